//! From a format description and a header to a decoding plan: every column gets its role,
//! feature slot, connection attribute and core field; rows are then assembled cell by cell.

use super::infer::{is_class_column_name, role_by_name, role_by_values};
use super::{RowReject, SchemaError};

use super::intern::{CellCtx, LabelCell};
use super::map::{ColumnMap, MapRole};
use super::names::normalize;
use super::record::Categories;
use super::value::{Num, parse_num, parse_port};
use super::{
    Column, CoreField, CoreFields, FlowMeta, FlowRecord, Format, Label, MetaField, Role, Schema,
};

/// Lines that are not flows, by format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipRule {
    None,
    /// Argus `man` records (proto column says `man`).
    ArgusMan,
    /// nfdump: `Summary` and everything after it.
    NfdumpSummary,
    /// Zeek: `#` directives.
    Zeek,
}

pub(crate) type RoleFn = fn(&str) -> Option<(Role, Option<MetaField>)>;

/// What a format knows about its columns.
pub(crate) struct FormatSpec {
    pub format: Format,
    pub variant: String,
    /// Role of a column by its normalised name; `None` falls back to conventional names and
    /// then to the values.
    pub role_of: RoleFn,
    /// Where the core fields come from: (field, normalised column name, factor to canonical
    /// units). The first present numeric column wins.
    pub core: &'static [(CoreField, &'static str, f64)],
    pub skip: SkipRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelPart {
    None,
    Label,
    Class,
}

#[derive(Debug, Clone)]
pub(crate) struct ColPlan {
    /// The feature slot when the column is a numeric feature and nothing else (the common case,
    /// decoded on the fast path).
    pub only_num: Option<usize>,
    pub num: Option<usize>,
    pub cat: Option<usize>,
    pub meta: Option<MetaField>,
    pub ts: bool,
    pub label: LabelPart,
}

impl ColPlan {
    /// True when the cell fills nothing in the record (identifiers, ignored columns).
    pub fn is_inert(&self) -> bool {
        self.num.is_none()
            && self.cat.is_none()
            && self.meta.is_none()
            && !self.ts
            && self.label == LabelPart::None
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub cols: Vec<ColPlan>,
    pub names: Vec<String>,
    pub n_num: usize,
    pub n_cat: usize,
    pub core: Vec<(CoreField, usize, f64)>,
    /// One-way records (nfdump without bidirectional aggregation): a zero count back means
    /// "not measured", so the backward fields stay unknown instead of reading "no reply".
    pub one_way: bool,
}

/// Builds the schema and plan. `sample` holds data rows (cells per column) for inference.
pub(crate) fn build(
    spec: &FormatSpec,
    names: Vec<String>,
    sample: &[Vec<String>],
    has_header: bool,
    map: &ColumnMap,
) -> Result<(Schema, Plan), SchemaError> {
    // Column names are input too: they reach tables, the feed's reasons and exports.
    let names: Vec<String> = names
        .into_iter()
        .map(|n| crate::sanitize::cell(&n).into_owned())
        .collect();
    let norm: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    let mut roles: Vec<(Role, Option<MetaField>)> = (0..names.len())
        .map(|i| {
            (spec.role_of)(&norm[i])
                .or_else(|| role_by_name(&norm[i]))
                .unwrap_or_else(|| {
                    let col: Vec<&str> = sample
                        .iter()
                        .filter_map(|r| r.get(i).map(String::as_str))
                        .collect();
                    (role_by_values(&col), None)
                })
        })
        .collect();
    let mut class_col: Option<usize> = None;
    let mut core_override: Vec<(CoreField, usize)> = Vec::new();
    for (role, col) in &map.entries {
        let i = ColumnMap::resolve(&names, col).ok_or_else(|| {
            format!(
                "the column map names '{col}', which is not a column here (columns: {})",
                names.join(", ")
            )
        })?;
        match *role {
            MapRole::Role(r) => roles[i] = (r, None),
            MapRole::Class => {
                roles[i] = (Role::Label, None);
                class_col = Some(i);
            }
            MapRole::Meta(m) => {
                let r = match m {
                    MetaField::Src | MetaField::Dst => Role::Address,
                    MetaField::Sport | MetaField::Dport => Role::Port,
                    _ => Role::Categorical,
                };
                roles[i] = (r, Some(m));
            }
            MapRole::Core(c) => {
                roles[i] = (Role::Numeric, None);
                core_override.push((c, i));
            }
        }
    }
    // One timestamp column: the first one; any other time column is not a feature either.
    let mut seen_ts = false;
    for r in &mut roles {
        if r.0 == Role::Timestamp {
            if seen_ts {
                *r = (Role::Ignored, None);
            }
            seen_ts = true;
        }
    }
    let label_cols: Vec<usize> = (0..names.len())
        .filter(|&i| roles[i].0 == Role::Label)
        .collect();
    if class_col.is_none() && label_cols.len() > 1 {
        class_col = label_cols
            .iter()
            .copied()
            .find(|&i| is_class_column_name(&norm[i]));
    }
    let label_col = label_cols
        .iter()
        .copied()
        .find(|&i| Some(i) != class_col)
        .or(class_col);
    for &i in &label_cols {
        if Some(i) != label_col && Some(i) != class_col {
            roles[i] = (Role::LabelDetail, None);
        }
    }

    let (mut n_num, mut n_cat) = (0, 0);
    let mut cols = Vec::with_capacity(names.len());
    for (i, &(role, meta)) in roles.iter().enumerate() {
        let mut p = ColPlan {
            only_num: None,
            num: None,
            cat: None,
            meta,
            ts: role == Role::Timestamp,
            label: LabelPart::None,
        };
        match role {
            Role::Numeric => {
                p.num = Some(n_num);
                p.only_num = meta.is_none().then_some(n_num);
                n_num += 1;
            }
            Role::Categorical => {
                p.cat = Some(n_cat);
                n_cat += 1;
            }
            Role::Label if Some(i) == class_col && label_col != class_col => {
                p.label = LabelPart::Class;
            }
            Role::Label => p.label = LabelPart::Label,
            _ => {}
        }
        cols.push(p);
    }

    let mut columns: Vec<Column> = names
        .iter()
        .zip(&roles)
        .map(|(n, &(role, meta))| Column {
            name: n.clone(),
            role,
            meta,
            core: None,
            core_unit: 1.0,
        })
        .collect();
    let mut core = Vec::new();
    for field in CoreField::ALL {
        let chosen = core_override
            .iter()
            .find(|(c, _)| *c == field)
            .map(|&(_, i)| (i, 1.0))
            .or_else(|| {
                spec.core
                    .iter()
                    .filter(|(c, _, _)| *c == field)
                    .find_map(|(_, name, scale)| {
                        norm.iter().position(|n| n == name).map(|i| (i, *scale))
                    })
                    .filter(|&(i, _)| cols[i].num.is_some())
            });
        if let Some((i, scale)) = chosen
            && let Some(slot) = cols[i].num
        {
            core.push((field, slot, scale));
            if columns[i].core.is_none() {
                columns[i].core = Some(field);
                columns[i].core_unit = scale;
            }
        }
    }
    let schema = Schema {
        format: spec.format,
        variant: spec.variant.clone(),
        has_header,
        columns,
    };
    Ok((
        schema,
        Plan {
            cols,
            names,
            n_num,
            n_cat,
            core,
            one_way: spec.format == Format::Nfdump,
        },
    ))
}

/// Collects one row's cells, then turns them into a `FlowRecord`.
pub(crate) struct RowBuilder {
    values: Vec<f64>,
    categories: Categories,
    meta: FlowMeta,
    ts: Option<f64>,
    label: Option<LabelCell>,
    class: Option<LabelCell>,
}

impl RowBuilder {
    pub fn new(plan: &Plan) -> Self {
        Self {
            values: vec![f64::NAN; plan.n_num],
            categories: smallvec::smallvec![None; plan.n_cat],
            meta: FlowMeta::default(),
            ts: None,
            label: None,
            class: None,
        }
    }

    /// Stores a numeric feature already parsed by the caller's fast path.
    pub fn set_value(&mut self, slot: usize, v: f64) {
        self.values[slot] = v;
    }

    /// Takes one cell of column `col`; an error names the column and the offending text.
    pub fn cell(
        &mut self,
        plan: &Plan,
        col: usize,
        raw: &[u8],
        ctx: &mut CellCtx,
    ) -> Result<(), RowReject> {
        let p = &plan.cols[col];
        if let Some(slot) = p.num {
            match parse_num(raw) {
                Num::Value(v) => self.values[slot] = v,
                Num::Missing => {}
                Num::Invalid => return Err(bad(plan, col, raw, "is not a number")),
            }
        }
        if p.ts {
            self.ts = ctx
                .ts
                .parse(raw)
                .map_err(|()| bad(plan, col, raw, "is not a timestamp"))?;
        }
        let text = match (p.cat, p.meta) {
            (_, Some(MetaField::Proto)) => {
                let (text, name) = ctx.proto(raw);
                self.meta.proto = name;
                text
            }
            (Some(_), _)
            | (_, Some(MetaField::Src | MetaField::Dst | MetaField::Service | MetaField::State)) => {
                ctx.text(raw)
            }
            _ => None,
        };
        match p.label {
            LabelPart::None => {}
            LabelPart::Label => self.label = ctx.label(raw),
            LabelPart::Class => self.class = ctx.label(raw),
        }
        if let Some(m) = p.meta {
            match m {
                MetaField::Sport => self.meta.sport = port(plan, col, raw)?,
                MetaField::Dport => self.meta.dport = port(plan, col, raw)?,
                MetaField::Src => self.meta.src = text.clone(),
                MetaField::Dst => self.meta.dst = text.clone(),
                // Set above, from the same lookup as the text.
                MetaField::Proto => {}
                MetaField::Service => self.meta.service = text.clone(),
                MetaField::State => self.meta.state = text.clone(),
            }
        }
        if let Some(slot) = p.cat {
            self.categories[slot] = text;
        }
        Ok(())
    }

    pub fn finish(mut self, plan: &Plan, line: u64) -> FlowRecord {
        let mut core = CoreFields::default();
        let mut suspect = 0u8;
        for &(field, slot, scale) in &plan.core {
            let v = self.values[slot];
            if v.is_finite() {
                if field.plausible(v * scale) {
                    core.set(field, v * scale);
                } else {
                    // Counted by the caller, missing for the features and the threat score.
                    suspect |= 1 << field.index();
                    self.values[slot] = f64::NAN;
                }
            }
        }
        if plan.one_way
            && core.bwd_packets.unwrap_or(0.0) == 0.0
            && core.bwd_bytes.unwrap_or(0.0) == 0.0
        {
            core.bwd_packets = None;
            core.bwd_bytes = None;
            // What the record measured is all there is of it.
            core.packets = core.packets.or(core.fwd_packets);
            core.bytes = core.bytes.or(core.fwd_bytes);
        }
        FlowRecord {
            line,
            ts: self.ts,
            values: self.values,
            categories: self.categories,
            suspect,
            core: core.complete(),
            meta: self.meta,
            label: make_label(self.label, self.class),
        }
    }
}

/// A port cell: empty or unset is no port; anything else must be a port number.
fn port(plan: &Plan, col: usize, raw: &[u8]) -> Result<Option<u16>, RowReject> {
    match parse_port(raw) {
        Some(p) => Ok(Some(p)),
        // Empty or an unset marker (`-`, `(empty)` …) is no port; `NaN` is not a port.
        None if std::str::from_utf8(raw.trim_ascii()).is_ok_and(super::value::is_unset) => Ok(None),
        None => Err(bad(plan, col, raw, "is not a port (0 to 65535)")),
    }
}

fn bad(plan: &Plan, col: usize, raw: &[u8], what: &str) -> RowReject {
    let shown: String = String::from_utf8_lossy(raw).chars().take(40).collect();
    let shown = crate::sanitize::cell(shown.trim()).into_owned();
    RowReject::new(format!("column '{}': '{}' {what}", plan.names[col], shown))
}

/// Combines a label cell and an optional class cell into benign/attack + class name.
fn make_label(label: Option<LabelCell>, class: Option<LabelCell>) -> Option<Label> {
    let label = label.filter(|l| !l.text.is_empty());
    let class = class.filter(|c| !c.text.is_empty());
    let (attack, class) = match (label, class) {
        (None, None) => return None,
        (Some(l), Some(c)) => (l.binary.unwrap_or(!l.benign), c.text),
        (Some(l), None) => (l.binary.unwrap_or(!l.benign), l.class_alone),
        (None, Some(c)) => (!c.benign, c.text),
    };
    Some(Label { attack, class })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::schema::Text;

    #[test]
    fn labels_combine() {
        let cell = |s: &str| LabelCell::new(Text::from(s));
        let l = |a: Option<&str>, c: Option<&str>| make_label(a.map(cell), c.map(cell));
        assert_eq!(
            l(Some("neptune"), None),
            Some(Label {
                attack: true,
                class: "neptune".into()
            })
        );
        assert_eq!(
            l(Some("BENIGN"), None),
            Some(Label {
                attack: false,
                class: "BENIGN".into()
            })
        );
        assert_eq!(
            l(Some("1"), Some("Exploits")),
            Some(Label {
                attack: true,
                class: "Exploits".into()
            })
        );
        assert_eq!(
            l(Some("0"), Some("")),
            Some(Label {
                attack: false,
                class: "benign".into()
            })
        );
        assert_eq!(
            l(Some("0"), None),
            Some(Label {
                attack: false,
                class: "benign".into()
            })
        );
        assert_eq!(l(None, None), None);
    }
}
