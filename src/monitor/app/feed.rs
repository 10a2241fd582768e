//! The feed as the operator reads it: repeats of one conversation fold into one row, and rows
//! sort by any column. Pure functions of the filtered events and the App's choices.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::engine::AnomalyEvent;
use crate::flows::schema::Text;

/// What the feed can be sorted by; each names a feed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Flow,
    Proto,
    Service,
    State,
    Duration,
    Bytes,
    Repeats,
    Score,
    Votes,
    Threat,
    Classifier,
    Label,
}

impl SortKey {
    /// In the order the columns appear on screen (`<` and `>` walk it).
    pub const ALL: [SortKey; 13] = [
        SortKey::Time,
        SortKey::Flow,
        SortKey::Proto,
        SortKey::Service,
        SortKey::State,
        SortKey::Duration,
        SortKey::Bytes,
        SortKey::Repeats,
        SortKey::Score,
        SortKey::Votes,
        SortKey::Threat,
        SortKey::Classifier,
        SortKey::Label,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Time => "time",
            SortKey::Flow => "flow",
            SortKey::Proto => "proto",
            SortKey::Service => "service",
            SortKey::State => "state",
            SortKey::Duration => "duration",
            SortKey::Bytes => "bytes",
            SortKey::Repeats => "repeats",
            SortKey::Score => "score",
            SortKey::Votes => "votes",
            SortKey::Threat => "threat",
            SortKey::Classifier => "classifier",
            SortKey::Label => "label",
        }
    }

    /// Text columns read A→Z; numbers and times biggest (newest) first.
    fn text(self) -> bool {
        matches!(
            self,
            SortKey::Flow | SortKey::Proto | SortKey::Service | SortKey::State | SortKey::Label
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    /// Flipped from the column's natural order (`I`).
    pub reversed: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Time,
            reversed: false,
        }
    }
}

impl Sort {
    /// True when the biggest value is on top.
    pub fn descending(self) -> bool {
        !self.key.text() ^ self.reversed
    }

    pub fn step(self, forward: bool) -> Sort {
        let n = SortKey::ALL.len();
        let i = SortKey::ALL
            .iter()
            .position(|k| *k == self.key)
            .unwrap_or(0);
        let i = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        Sort {
            key: SortKey::ALL[i],
            reversed: false,
        }
    }
}

/// Flows of one pattern: same source, destination, destination port and protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FoldKey {
    src: Text,
    dst: Text,
    dport: Option<u16>,
    proto: Option<Text>,
}

impl FoldKey {
    /// Volume events and flows without both addresses stand alone (folding NSL-KDD's
    /// address-less rows by port would hide everything behind "port 80 tcp").
    pub fn of(e: &AnomalyEvent) -> Option<FoldKey> {
        if e.volume.is_some() {
            return None;
        }
        Some(FoldKey {
            src: e.src.clone()?,
            dst: e.dst.clone()?,
            dport: e.dport,
            proto: e.proto.clone(),
        })
    }
}

/// One row of the feed: a flow, a fold of repeats, or one member of an opened fold.
#[derive(Debug, Clone)]
pub struct FeedRow<'a> {
    /// Newest first. A folded row holds every repeat; the others one event.
    pub events: Vec<&'a Arc<AnomalyEvent>>,
    /// A fold opened with Enter: its older members follow as `member` rows.
    pub expanded: bool,
    pub member: bool,
}

impl<'a> FeedRow<'a> {
    /// The newest flow of the row: what Enter, `t` and the columns show.
    pub fn head(&self) -> &'a Arc<AnomalyEvent> {
        self.events[0]
    }

    pub fn repeats(&self) -> usize {
        self.events.len()
    }

    /// The oldest flow time of a fold.
    pub fn first_seen(&self) -> Option<f64> {
        self.events.iter().filter_map(|e| e.ts).reduce(f64::min)
    }

    pub fn last_seen(&self) -> Option<f64> {
        self.events.iter().filter_map(|e| e.ts).reduce(f64::max)
    }

    fn max_of(&self, f: impl Fn(&AnomalyEvent) -> Option<f64>) -> Option<f64> {
        self.events.iter().filter_map(|e| f(e)).reduce(f64::max)
    }

    /// The row's value for a numeric sort: a fold sorts by its biggest member.
    fn number(&self, key: SortKey) -> Option<f64> {
        match key {
            SortKey::Time => self.max_of(|e| e.at.is_finite().then_some(e.at)),
            SortKey::Duration => self.max_of(|e| e.core.duration),
            SortKey::Bytes => self.max_of(total_bytes),
            SortKey::Repeats => Some(self.repeats() as f64),
            SortKey::Score => self.max_of(|e| e.volume.is_none().then_some(e.score)),
            SortKey::Votes => self.max_of(|e| Some(votes(e) as f64)),
            SortKey::Threat => self.max_of(|e| Some(e.threat.score)),
            SortKey::Classifier => self.max_of(|e| e.predicted.as_ref().map(|p| p.probability)),
            _ => None,
        }
    }

    fn text(&self, key: SortKey) -> Option<String> {
        let e = self.head();
        match key {
            SortKey::Proto => e.proto.as_deref().map(str::to_string),
            SortKey::Service => e.service.as_deref().map(str::to_string),
            SortKey::State => e.state.as_deref().map(str::to_string),
            SortKey::Label => e.label.as_deref().map(str::to_string),
            _ => None,
        }
    }
}

pub fn votes(e: &AnomalyEvent) -> usize {
    e.votes.iter().filter(|v| **v == Some(true)).count()
}

pub fn total_bytes(e: &AnomalyEvent) -> Option<f64> {
    match (e.core.fwd_bytes, e.core.bwd_bytes) {
        (None, None) => e.core.bytes,
        (f, b) => Some(f.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// The feed's rows: `events` (newest first) folded when `fold`, sorted, with the folds in
/// `expanded` followed by their older members.
pub fn rows<'a>(
    events: &[&'a Arc<AnomalyEvent>],
    fold: bool,
    expanded: &HashSet<FoldKey>,
    sort: Sort,
) -> Vec<FeedRow<'a>> {
    let mut groups: Vec<FeedRow<'a>> = Vec::new();
    let mut index: HashMap<FoldKey, usize> = HashMap::new();
    for e in events {
        let key = if fold { FoldKey::of(e) } else { None };
        if let Some(&i) = key.as_ref().and_then(|k| index.get(k)) {
            groups[i].events.push(e);
        } else {
            if let Some(k) = key {
                index.insert(k, groups.len());
            }
            groups.push(FeedRow {
                events: vec![e],
                expanded: false,
                member: false,
            });
        }
    }
    // Stable: rows that tie keep arrival order (newest first). Missing values go last
    // whichever way the column sorts.
    groups.sort_by(|a, b| compare(a, b, sort));
    let mut out = Vec::with_capacity(groups.len());
    for mut g in groups {
        let open = g.repeats() > 1 && FoldKey::of(g.head()).is_some_and(|k| expanded.contains(&k));
        g.expanded = open;
        let members: Vec<FeedRow<'a>> = if open {
            g.events[1..]
                .iter()
                .map(|e| FeedRow {
                    events: vec![*e],
                    expanded: false,
                    member: true,
                })
                .collect()
        } else {
            Vec::new()
        };
        out.push(g);
        out.extend(members);
    }
    out
}

fn compare(a: &FeedRow, b: &FeedRow, sort: Sort) -> Ordering {
    let desc = sort.descending();
    match sort.key {
        SortKey::Flow => present_first(
            Some(flow_key(a.head())),
            Some(flow_key(b.head())),
            |x, y| x.cmp(y),
            desc,
        ),
        k if k.text() => present_first(a.text(k), b.text(k), |x, y| x.cmp(y), desc),
        k => present_first(a.number(k), b.number(k), |x, y| x.total_cmp(y), desc),
    }
}

/// Addresses compare as addresses (10.0.0.9 before 10.0.0.10), names after them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Host {
    Ip(std::net::IpAddr),
    Name(String),
    Missing,
}

fn host(t: &Option<Text>) -> Host {
    match t.as_deref() {
        None => Host::Missing,
        Some(s) => s
            .parse()
            .map_or_else(|_| Host::Name(s.to_string()), Host::Ip),
    }
}

fn flow_key(e: &AnomalyEvent) -> (Host, Host, Option<u16>, Option<u16>) {
    (host(&e.src), host(&e.dst), e.dport, e.sport)
}

fn present_first<T>(
    a: Option<T>,
    b: Option<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    desc: bool,
) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            let o = cmp(&x, &y);
            if desc { o.reverse() } else { o }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
