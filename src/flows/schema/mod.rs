//! Format detection and decoding: lines in, `FlowRecord`s out. Every supported format is
//! described by a `FormatSpec` (which column plays which role, where the canonical core
//! fields are, which lines are not flows); one decoder for delimited text and one for Zeek's
//! JSON lines do the per-row work from that description.

mod bounded;
mod delimited;
mod format;
mod infer;
mod intern;
mod json;
pub mod label;
mod map;
pub mod names;
mod plan;
mod record;
mod sniff;
pub mod split;
mod text;
pub mod value;

use std::fmt;

use serde::Serialize;

pub use map::{ColumnMap, MapRole};
pub use record::{Categories, CoreField, CoreFields, FlowMeta, FlowRecord, Label};
pub use sniff::{DetectError, DetectOptions, Detected, SAMPLE_LINES, detect};
pub use text::Text;

crate::message_error!(
    /// Why a row was rejected: the column and the offending text, escaped.
    RowReject
);

crate::message_error!(
    /// Columns that cannot be read as flows of the format asked for, an unknown format or
    /// column role, or a `--map` that does not parse.
    SchemaError
);

/// The flow formats flowtop recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Cicflowmeter,
    NslKdd,
    UnswNb15,
    ZeekConn,
    Argus,
    Nfdump,
    Csv,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Cicflowmeter,
        Format::NslKdd,
        Format::UnswNb15,
        Format::ZeekConn,
        Format::Argus,
        Format::Nfdump,
        Format::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Cicflowmeter => "cicflowmeter",
            Format::NslKdd => "nsl-kdd",
            Format::UnswNb15 => "unsw-nb15",
            Format::ZeekConn => "zeek-conn",
            Format::Argus => "argus",
            Format::Nfdump => "nfdump",
            Format::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Result<Format, SchemaError> {
        let t = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == t || (t == "zeek" && *f == Format::ZeekConn))
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                SchemaError(format!(
                    "unknown format '{s}'; known formats: auto, {}",
                    names.join(", ")
                ))
            })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Timestamp,
    /// Ground truth (attack / benign or the attack class). Never a feature.
    Label,
    /// Derived from the ground truth or from the labelling process (NSL-KDD `difficulty`,
    /// Unicauca's DPI `ProtocolName`). Never a feature: it would leak the answer.
    LabelDetail,
    /// Row or flow identifiers, MAC addresses, exporter ids: unique per row, meaningless as features.
    Identifier,
    Address,
    Port,
    Numeric,
    Categorical,
    /// Present but unused (end times, MPLS labels, processing times, sets).
    Ignored,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Timestamp => "timestamp",
            Role::Label => "label",
            Role::LabelDetail => "label-detail",
            Role::Identifier => "identifier",
            Role::Address => "address",
            Role::Port => "port",
            Role::Numeric => "numeric",
            Role::Categorical => "categorical",
            Role::Ignored => "ignored",
        }
    }
}

/// Which connection attribute a column carries, besides its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetaField {
    Src,
    Dst,
    Sport,
    Dport,
    Proto,
    Service,
    State,
}

impl MetaField {
    pub fn name(self) -> &'static str {
        match self {
            MetaField::Src => "src",
            MetaField::Dst => "dst",
            MetaField::Sport => "sport",
            MetaField::Dport => "dport",
            MetaField::Proto => "proto",
            MetaField::Service => "service",
            MetaField::State => "state",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaField>,
    /// The canonical core field this column supplies, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core: Option<CoreField>,
    /// Factor from this column's unit to the core field's canonical unit (e.g. 1e-6 for
    /// microseconds), so a query in canonical units can be written back into the column.
    #[serde(skip)]
    pub core_unit: f64,
}

/// The detected layout of a source: its format, and every column with its role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    pub format: Format,
    /// Which flavour of the format (`machine-learning-cve`, `tsv`, `json`, `raw-49` …).
    pub variant: String,
    pub has_header: bool,
    pub columns: Vec<Column>,
}

impl Schema {
    /// Names of the numeric features, in `FlowRecord::values` order.
    pub fn numeric_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.role == Role::Numeric)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Names of the categorical features, in `FlowRecord::categories` order.
    pub fn categorical_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.role == Role::Categorical)
            .map(|c| c.name.as_str())
            .collect()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.columns.iter().any(|c| c.role == role)
    }
}

/// Why a line produced no flow without being an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    Blank,
    Header,
    /// Zeek `#…` lines.
    Comment,
    /// Argus management (`man`) records.
    Management,
    /// nfdump's `Summary` block after the flows.
    Trailer,
}

impl Skip {
    pub fn name(self) -> &'static str {
        match self {
            Skip::Blank => "blank",
            Skip::Header => "header",
            Skip::Comment => "comment",
            Skip::Management => "management",
            Skip::Trailer => "trailer",
        }
    }
}

/// Not boxed although a flow is much larger than the other variants: nearly every line is a
/// flow, and a box would cost an allocation per row that another thread then frees.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    Flow(FlowRecord),
    Skip(Skip),
    Reject(RowReject),
}

/// Turns lines of one detected source into flows. Stateful: Zeek headers can change the
/// column layout mid-stream, and nfdump's summary ends the flows.
pub trait Decoder: Send {
    fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded;
    /// A new file begins (rotation or truncation of a followed log).
    fn reset(&mut self);
    /// An independent copy, to decode part of a batch on another core; it shares no counted
    /// strings with this decoder (see `release_strings`).
    fn fork(&self) -> Box<dyn Decoder>;
    /// Whether this line may change how later lines are read (Zeek `#fields`, nfdump
    /// `Summary`): batches holding such a line are decoded in order by this decoder, every
    /// other batch may go to a fork on another core.
    fn changes_state(&self, line: &[u8]) -> bool;
    /// Forgets the reference-counted strings shared among the records decoded so far (see
    /// `Text`; kept strings stay). A worker does this after each batch, whose records another
    /// thread will drop: records sharing an allocation with the next batch would have two
    /// cores contending for its reference count.
    fn release_strings(&mut self);
}
