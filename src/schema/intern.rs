//! Shared strings for values that repeat on every row (`tcp`, `SF`, `http`, `normal`, the
//! addresses of a busy host): each distinct cell is cleaned and allocated once, and every
//! record holding it shares that allocation. Bounded, so a column of unique values (uids)
//! costs one allocation per row, as without interning, and never an ever-growing table.

use std::collections::HashMap;
use std::sync::Arc;

use super::label::clean_class;
use super::value::{TimestampParser, is_unset, proto_name};

/// Distinct values kept per table.
const LIMIT: usize = 1 << 16;

/// foldhash rather than SipHash: several lookups per row make the hash a hot spot, and its
/// per-process random seed still keeps crafted input from choosing the collisions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    map: HashMap<Box<[u8]>, Option<Arc<str>>, foldhash::fast::RandomState>,
}

impl Interner {
    fn get(
        &mut self,
        raw: &[u8],
        make: impl FnOnce(&[u8]) -> Option<Arc<str>>,
    ) -> Option<Arc<str>> {
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

/// Per-decoder state for turning cells into values.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellCtx {
    pub ts: TimestampParser,
    texts: Interner,
    protos: Interner,
    labels: Interner,
}

impl CellCtx {
    pub fn text(&mut self, raw: &[u8]) -> Option<Arc<str>> {
        self.texts.get(raw, text)
    }

    /// Protocol names, numbers translated (`6` → `tcp`).
    pub fn proto(&mut self, raw: &[u8]) -> Option<Arc<str>> {
        self.protos.get(raw, |r| text(r).map(|t| proto_name(&t)))
    }

    /// Cleaned label or class name; `None` when empty.
    pub fn label(&mut self, raw: &[u8]) -> Option<Arc<str>> {
        self.labels.get(raw, |r| {
            Some(clean_class(r))
                .filter(|c| !c.is_empty())
                .map(Arc::from)
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
        assert_eq!(c.label(b"smurf.").as_deref(), Some("smurf"));
        assert_eq!(c.label(b"  "), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut i = Interner::default();
        for n in 0..LIMIT + 10 {
            let s = n.to_string();
            assert_eq!(i.get(s.as_bytes(), text).as_deref(), Some(s.as_str()));
        }
        assert_eq!(i.map.len(), LIMIT);
    }
}
