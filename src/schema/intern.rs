//! Shared strings for values that repeat on every row (`tcp`, `SF`, `http`, `normal`, the
//! addresses of a busy host): each distinct cell is cleaned and allocated once, and every
//! record holding it shares that allocation. Bounded, so a column of unique values (uids)
//! costs one allocation per row, as without interning, and never an ever-growing table.

use std::collections::HashMap;
use std::sync::Arc;

use super::label::{binary_label, clean_class, is_benign};
use super::value::{TimestampParser, is_unset, proto_name};

/// Distinct values kept per table.
const LIMIT: usize = 1 << 16;

/// foldhash rather than SipHash: several lookups per row make the hash a hot spot, and its
/// per-process random seed still keeps crafted input from choosing the collisions.
#[derive(Debug, Clone)]
pub(crate) struct Interner<V = Option<Arc<str>>> {
    map: HashMap<Box<[u8]>, V, foldhash::fast::RandomState>,
}

impl<V> Default for Interner<V> {
    fn default() -> Self {
        Self {
            map: HashMap::default(),
        }
    }
}

impl<V: Clone> Interner<V> {
    fn get(&mut self, raw: &[u8], make: impl FnOnce(&[u8]) -> V) -> V {
        if let Some(v) = self.map.get(raw) {
            return v.clone();
        }
        let v = make(raw);
        if self.map.len() < LIMIT {
            self.map.insert(raw.into(), v.clone());
        }
        v
    }
}

/// Trimmed text of a cell, `None` when it is one of the unset markers.
fn text(raw: &[u8]) -> Option<Arc<str>> {
    let t = raw.trim_ascii();
    let s = String::from_utf8_lossy(t);
    (!is_unset(&s)).then(|| Arc::from(&*s))
}

/// A cleaned label or class cell and what it says, worked out once per distinct cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LabelCell {
    pub text: Arc<str>,
    /// `Some(attack)` for a 0/1 or true/false cell.
    pub binary: Option<bool>,
    pub benign: bool,
    /// The class a record gets when this cell is its only label: the text, or `attack` /
    /// `benign` for a binary cell.
    pub class_alone: Arc<str>,
}

impl LabelCell {
    pub fn new(text: Arc<str>) -> Self {
        let binary = binary_label(&text);
        let class_alone = match binary {
            Some(true) => Arc::from("attack"),
            Some(false) => Arc::from("benign"),
            None => text.clone(),
        };
        Self {
            benign: is_benign(&text),
            binary,
            class_alone,
            text,
        }
    }
}

/// Per-decoder state for turning cells into values.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellCtx {
    pub ts: TimestampParser,
    texts: Interner,
    protos: Interner,
    labels: Interner<Option<LabelCell>>,
}

impl CellCtx {
    /// Forgets every shared string (the tables keep their capacity).
    pub fn release_strings(&mut self) {
        self.texts.map.clear();
        self.protos.map.clear();
        self.labels.map.clear();
    }

    pub fn text(&mut self, raw: &[u8]) -> Option<Arc<str>> {
        self.texts.get(raw, text)
    }

    /// Protocol names, numbers translated (`6` → `tcp`).
    pub fn proto(&mut self, raw: &[u8]) -> Option<Arc<str>> {
        self.protos.get(raw, |r| text(r).map(|t| proto_name(&t)))
    }

    /// Cleaned label or class name; `None` when empty.
    pub fn label(&mut self, raw: &[u8]) -> Option<LabelCell> {
        self.labels.get(raw, |r| {
            Some(clean_class(r))
                .filter(|c| !c.is_empty())
                .map(|c| LabelCell::new(Arc::from(c)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_cells_share_one_allocation() {
        let mut c = CellCtx::default();
        let a = c.text(b" tcp ").expect("text");
        let b = c.text(b" tcp ").expect("text");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "tcp");
        assert_eq!(c.text(b"-"), None);
        assert_eq!(c.proto(b"6").as_deref(), Some("tcp"));
        let smurf = c.label(b"smurf.").expect("label");
        assert_eq!(
            (&*smurf.text, smurf.benign, smurf.binary),
            ("smurf", false, None)
        );
        let zero = c.label(b"0").expect("label");
        assert_eq!(
            (zero.benign, zero.binary, &*zero.class_alone),
            (true, Some(false), "benign")
        );
        assert_eq!(c.label(b"  "), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut i: Interner = Interner::default();
        for n in 0..LIMIT + 10 {
            let s = n.to_string();
            assert_eq!(i.get(s.as_bytes(), text).as_deref(), Some(s.as_str()));
        }
        assert_eq!(i.map.len(), LIMIT);
    }
}
