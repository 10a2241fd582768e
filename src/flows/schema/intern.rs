//! Shared strings for values that repeat on every row (`tcp`, `SF`, `http`, `normal`, the
//! addresses of a busy host): each distinct cell is cleaned and looked up once per decoder,
//! and every record holding it shares one `Text`. Bounded, so a column of unique values
//! costs one allocation per row, as without interning, and never an ever-growing table.

use std::collections::HashMap;

use super::Text;
use super::label::{binary_label, clean_class, is_benign};
use super::value::{TimestampParser, is_unset, proto_name, word};

/// Distinct values kept per table.
const LIMIT: usize = 1 << 16;

/// foldhash rather than `SipHash`: several lookups per row make the hash a hot spot, and its
/// per-process random seed still keeps crafted input from choosing the collisions. Cells of up
/// to 15 bytes (nearly every category, protocol, state and label) are keyed by their bytes
/// packed into two words, so a lookup hashes two integers and compares two, with no call to
/// compare bytes; longer cells are keyed by their bytes.
///
/// Entries whose texts are all kept for the process (see `Text`) stay across `clear`;
/// the others are forgotten, and their keys are listed for that.
#[derive(Debug, Clone)]
pub(crate) struct Interner<V = Option<Text>> {
    short: HashMap<ShortKey, V, foldhash::fast::RandomState>,
    long: HashMap<Box<[u8]>, V, foldhash::fast::RandomState>,
    counted_short: Vec<ShortKey>,
    counted_long: Vec<Box<[u8]>>,
}

impl<V> Default for Interner<V> {
    fn default() -> Self {
        Self {
            short: HashMap::default(),
            long: HashMap::default(),
            counted_short: Vec::new(),
            counted_long: Vec::new(),
        }
    }
}

/// Whether an interned value holds only kept texts: copies of it cost no reference count,
/// so it can stay in the table for the next batches.
pub(crate) trait AllKept {
    fn all_kept(&self) -> bool;
}

impl AllKept for Option<Text> {
    fn all_kept(&self) -> bool {
        self.as_ref().is_none_or(Text::is_kept)
    }
}

impl<V: Clone + AllKept> Interner<V> {
    fn get(&mut self, raw: &[u8], make: impl FnOnce(&[u8]) -> V) -> V {
        let key = ShortKey::of(raw);
        let found = match key {
            Some(k) => self.short.get(&k),
            None => self.long.get(raw),
        };
        if let Some(v) = found {
            return v.clone();
        }
        let v = make(raw);
        if self.len() < LIMIT {
            let kept = v.all_kept();
            if let Some(k) = key {
                self.short.insert(k, v.clone());
                if !kept {
                    self.counted_short.push(k);
                }
            } else {
                self.long.insert(raw.into(), v.clone());
                if !kept {
                    self.counted_long.push(raw.into());
                }
            }
        }
        v
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Forgets the values holding counted texts.
    fn clear(&mut self) {
        for k in self.counted_short.drain(..) {
            self.short.remove(&k);
        }
        for k in self.counted_long.drain(..) {
            self.long.remove(&k);
        }
    }
}

/// The bytes of a cell of at most 15 bytes, little-endian and zero-padded, with the length
/// in the top byte: equal keys are equal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ShortKey(u64, u64);

impl ShortKey {
    fn of(raw: &[u8]) -> Option<Self> {
        let n = raw.len();
        match n {
            0..=8 => Some(Self(up_to_8(raw), (n as u64) << 56)),
            9..=15 => Some(Self(word(raw, 0)?, up_to_8(&raw[8..]) | (n as u64) << 56)),
            _ => None,
        }
    }
}

/// Up to 8 bytes as one little-endian word, zero-padded: two overlapping loads put every
/// byte in its place (where they overlap they hold the same bytes), with no copy loop.
fn up_to_8(b: &[u8]) -> u64 {
    if let Some(w) = word(b, 0) {
        return w;
    }
    let n = b.len();
    match n {
        4..=7 => {
            let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]);
            u64::from(lo) | u64::from(hi) << (8 * (n - 4))
        }
        2..=3 => {
            let lo = u16::from_le_bytes([b[0], b[1]]);
            let hi = u16::from_le_bytes([b[n - 2], b[n - 1]]);
            u64::from(lo) | u64::from(hi) << (8 * (n - 2))
        }
        1 => u64::from(b[0]),
        _ => 0,
    }
}

/// Trimmed text of a cell, `None` when it is one of the unset markers.
fn text(raw: &[u8]) -> Option<Text> {
    let t = raw.trim_ascii();
    let s = String::from_utf8_lossy(t);
    (!is_unset(&s)).then(|| Text::keep(&crate::sanitize::cell(&s)))
}

/// A cleaned label or class cell and what it says, worked out once per distinct cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LabelCell {
    pub text: Text,
    /// `Some(attack)` for a 0/1 or true/false cell.
    pub binary: Option<bool>,
    pub benign: bool,
    /// The class a record gets when this cell is its only label: the text, or `attack` /
    /// `benign` for a binary cell.
    pub class_alone: Text,
}

impl LabelCell {
    pub fn new(text: Text) -> Self {
        let binary = binary_label(&text);
        let class_alone = match binary {
            Some(true) => Text::keep("attack"),
            Some(false) => Text::keep("benign"),
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

/// A protocol cell's text (what a categorical column holds) and its protocol name, from one
/// lookup.
pub(crate) type ProtoCell = (Option<Text>, Option<Text>);

impl AllKept for ProtoCell {
    fn all_kept(&self) -> bool {
        self.0.all_kept() && self.1.all_kept()
    }
}

impl AllKept for Option<LabelCell> {
    fn all_kept(&self) -> bool {
        self.as_ref()
            .is_none_or(|l| l.text.is_kept() && l.class_alone.is_kept())
    }
}

/// Per-decoder state for turning cells into values.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellCtx {
    pub ts: TimestampParser,
    texts: Interner,
    protos: Interner<ProtoCell>,
    labels: Interner<Option<LabelCell>>,
}

impl CellCtx {
    /// Forgets the reference-counted strings; kept ones stay, having no count to contend
    /// for (the tables keep their capacity).
    pub fn release_strings(&mut self) {
        self.texts.clear();
        self.protos.clear();
        self.labels.clear();
    }

    pub fn text(&mut self, raw: &[u8]) -> Option<Text> {
        self.texts.get(raw, text)
    }

    /// A protocol cell as text (what a categorical column holds) and as a protocol name,
    /// numbers translated (`6` → `tcp`).
    pub fn proto(&mut self, raw: &[u8]) -> ProtoCell {
        self.protos.get(raw, |r| {
            let t = text(r);
            let name = t.as_deref().map(proto_name);
            (t, name)
        })
    }

    /// Cleaned label or class name; `None` when empty.
    pub fn label(&mut self, raw: &[u8]) -> Option<LabelCell> {
        self.labels.get(raw, |r| {
            Some(clean_class(r))
                .filter(|c| !c.is_empty())
                .map(|c| LabelCell::new(Text::keep(&c)))
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
        assert!(Text::ptr_eq(&a, &b));
        assert_eq!(&*a, "tcp");
        assert_eq!(c.text(b"-"), None);
        let (six, tcp) = c.proto(b" 6");
        assert_eq!((six.as_deref(), tcp.as_deref()), (Some("6"), Some("tcp")));
        assert_eq!(c.proto(b"-"), (None, None));
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

    /// Packed keys are equal exactly when the cells are: every length up to 15 and beyond,
    /// zero bytes, and cells that differ in one byte anywhere.
    #[test]
    fn short_keys_tell_cells_apart() {
        let mut cells: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0, 0], b"a\0".to_vec()];
        for n in 1..=17 {
            let base: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
            for at in 0..n {
                let mut c = base.clone();
                c[at] = b'Z';
                cells.push(c);
            }
            cells.push(base);
        }
        for a in &cells {
            for b in &cells {
                let (ka, kb) = (ShortKey::of(a), ShortKey::of(b));
                assert_eq!(ka.is_some(), a.len() <= 15);
                if let (Some(ka), Some(kb)) = (ka, kb) {
                    assert_eq!(ka == kb, a == b, "{a:?} {b:?}");
                }
            }
        }
        let mut i: Interner = Interner::default();
        for c in &cells {
            assert_eq!(i.get(c, text), text(c), "{c:?}");
            assert_eq!(i.get(c, |_| unreachable!()), text(c), "{c:?} again");
        }
    }

    /// Counted so as not to spend the process's budget of kept texts on a test.
    fn counted(raw: &[u8]) -> Option<Text> {
        Some(Text::counted(&String::from_utf8_lossy(raw)))
    }

    #[test]
    fn the_table_is_bounded() {
        let mut i: Interner = Interner::default();
        for n in 0..LIMIT + 10 {
            let s = n.to_string();
            assert_eq!(i.get(s.as_bytes(), counted).as_deref(), Some(s.as_str()));
        }
        assert_eq!(i.len(), LIMIT);
    }

    /// Clearing forgets the counted values (their counts would be shared with the next
    /// batch's records) and keeps the kept ones.
    #[test]
    fn clearing_keeps_only_kept_values() {
        let mut i: Interner = Interner::default();
        let kept = i.get(b"kept-by-the-interner", text).expect("text");
        let long_kept = i.get(b"a kept cell longer than fifteen bytes", text);
        let short = i.get(b"short", counted).expect("counted");
        let long = i.get(b"a counted cell longer than fifteen", counted);
        assert!(kept.is_kept() && !short.is_kept());
        i.clear();
        assert_eq!(i.len(), 2);
        let again = |i: &mut Interner, raw: &[u8]| i.get(raw, |_| Some(Text::from("made again")));
        assert!(Text::ptr_eq(
            &again(&mut i, b"kept-by-the-interner").expect("kept"),
            &kept
        ));
        assert_eq!(
            again(&mut i, b"a kept cell longer than fifteen bytes"),
            long_kept
        );
        assert_eq!(again(&mut i, b"short").as_deref(), Some("made again"));
        assert_ne!(again(&mut i, b"a counted cell longer than fifteen"), long);
    }
}
