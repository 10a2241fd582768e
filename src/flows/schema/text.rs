//! The text of a categorical, address, protocol or label cell, shared among records.
//!
//! Most such cells repeat on every row (`tcp`, `SF`, `http`, `normal`, a busy host's
//! address). The first distinct values a process sees, up to a fixed budget, are kept for its
//! whole life: copying one is copying a pointer, and dropping it does nothing. Values past the
//! budget are reference counted, so a stream of ever-new addresses costs memory only while
//! its records live. Reference counts were a fifth of the decoding cost of a dense file such
//! as NSL-KDD: seven strings per row, each counted up on the decoding core and down again on
//! the consuming one.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// Distinct values kept for the life of the process.
const KEEP_VALUES: usize = 1 << 16;
/// Bytes of text kept for the life of the process.
const KEEP_BYTES: usize = 4 << 20;

#[derive(Clone)]
pub struct Text(Repr);

/// One word either way, so a record's many optional texts stay small to move.
#[derive(Clone)]
enum Repr {
    Kept(&'static &'static str),
    Counted(Arc<Box<str>>),
}

/// The kept values, and what they cost.
struct Kept {
    by_text: HashMap<&'static str, &'static &'static str>,
    bytes: usize,
    max_values: usize,
    max_bytes: usize,
}

impl Kept {
    fn new(max_values: usize, max_bytes: usize) -> Self {
        Self {
            by_text: HashMap::new(),
            bytes: 0,
            max_values,
            max_bytes,
        }
    }

    /// No more values are worth trying: every slot is taken, or the bytes left would not
    /// hold an ordinary address.
    fn is_spent(&self) -> bool {
        self.by_text.len() >= self.max_values || self.bytes + 40 > self.max_bytes
    }

    /// The kept copy of `s`, made now if the budget allows.
    fn get(&mut self, s: &str) -> Option<&'static &'static str> {
        if let Some(&k) = self.by_text.get(s) {
            return Some(k);
        }
        if self.by_text.len() >= self.max_values || self.bytes + s.len() > self.max_bytes {
            return None;
        }
        let text: &'static str = Box::leak(Box::from(s));
        let k: &'static &'static str = Box::leak(Box::new(text));
        self.by_text.insert(text, k);
        self.bytes += s.len();
        Some(k)
    }
}

static KEPT: LazyLock<Mutex<Kept>> =
    LazyLock::new(|| Mutex::new(Kept::new(KEEP_VALUES, KEEP_BYTES)));
/// Set once the budget is spent, so later values skip the lock.
static KEPT_FULL: AtomicBool = AtomicBool::new(false);

impl Text {
    /// The shared text for `s`: the kept copy when there is one or the budget allows a new
    /// one, a counted copy otherwise.
    pub fn keep(s: &str) -> Text {
        if !KEPT_FULL.load(Ordering::Relaxed) {
            // A poisoned lock only means another thread panicked while holding it; the table
            // is still consistent (entries are inserted whole).
            let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
            match kept.get(s) {
                Some(k) => return Text(Repr::Kept(k)),
                None if kept.is_spent() => KEPT_FULL.store(true, Ordering::Relaxed),
                None => {}
            }
        }
        Text::counted(s)
    }

    /// A reference-counted copy of `s`, never kept.
    pub fn counted(s: &str) -> Text {
        Text(Repr::Counted(Arc::new(Box::from(s))))
    }

    /// True when copies of this text cost no reference count.
    pub fn is_kept(&self) -> bool {
        matches!(self.0, Repr::Kept(_))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Kept(k) => k,
            Repr::Counted(a) => a,
        }
    }

    /// Whether both are the same copy (not only equal text).
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        match (&a.0, &b.0) {
            (Repr::Kept(x), Repr::Kept(y)) => std::ptr::eq(*x, *y),
            (Repr::Counted(x), Repr::Counted(y)) => Arc::ptr_eq(x, y),
            _ => false,
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Hashes as its `str` does, so maps keyed by `Text` can be looked up with a `&str`.
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// Text made outside the decoders (queries, tests) is counted, never kept: only decoded
/// cells are worth keeping.
impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::counted(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Repr::Counted(Arc::new(s.into_boxed_str())))
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_text_is_one_copy_and_compares_by_content() {
        let a = Text::keep("kept-text-test");
        let b = Text::keep("kept-text-test");
        assert!(a.is_kept() && Text::ptr_eq(&a, &b));
        let c = Text::from("kept-text-test");
        assert!(!c.is_kept() && !Text::ptr_eq(&a, &c));
        assert_eq!(a, c);
        assert_eq!(&*a, "kept-text-test");
        let mut m = HashMap::new();
        m.insert(c.clone(), 1);
        assert_eq!(m.get("kept-text-test"), Some(&1));
        assert_eq!(m.get(&a), Some(&1));
        assert_eq!(format!("{a:?} {a}"), "\"kept-text-test\" kept-text-test");
        let (a, b) = (Text::from("a"), Text::keep("b"));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    }

    /// The budget holds in values and in bytes; a value already kept is found again.
    #[test]
    fn the_kept_set_is_bounded() {
        let mut kept = Kept::new(3, 11);
        let a = kept.get("abc").expect("first");
        assert!(std::ptr::eq(a, kept.get("abc").expect("again")));
        assert!(kept.get("defghij").is_some());
        assert!(kept.get("klm").is_none(), "13 bytes");
        assert!(kept.get("k").is_some());
        assert!(kept.get("l").is_none(), "4 values");
        assert!(kept.is_spent());
        assert_eq!(**kept.get("defghij").expect("kept"), *"defghij");
        assert_eq!((kept.by_text.len(), kept.bytes), (3, 11));
    }
}
