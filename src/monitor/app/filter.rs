//! The anomaly-feed filter typed after `/`: space-separated terms that must all match, groups
//! of them joined by `OR` (or `|`), a term negated by `NOT` (or a leading `!`).
//! `score>0.9`, `threat>=70`, `votes>=4`, `cluster:3`, `label:attack` (or `benign`, or a class
//! name), `dport:443` or `dport:1-1024`, `sport:`, `src:10.0.0.5`, `src:172.16.9.0/24` (CIDR),
//! `dst:`, `proto:udp`, `service:dns`, `state:S0`, `level:high`, `detector:lof` (that detector
//! voted), or a bare word found in the endpoints, label or protocol. A mistake is reported with
//! the column where its term starts.

use crate::engine::AnomalyEvent;

crate::message_error!(
    /// A filter the feed cannot apply: an unknown field, a bad port range or address.
    FilterError
);

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub text: String,
    /// Any group matches when all of its terms do; a term may be negated.
    groups: Vec<Vec<(bool, Term)>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Compare(Field, Cmp, f64),
    Cluster(usize),
    Label(String),
    Port {
        dst: bool,
        lo: u16,
        hi: u16,
    },
    Host {
        dst: bool,
        text: String,
    },
    Net {
        dst: bool,
        net: std::net::IpAddr,
        bits: u8,
    },
    Proto(String),
    Service(String),
    State(String),
    Level(String),
    Detector(String),
    Word(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Score,
    Threat,
    Votes,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Option<Filter>, FilterError> {
        let mut groups: Vec<Vec<(bool, Term)>> = vec![Vec::new()];
        let mut negate = false;
        for (at, word) in words(text) {
            let fail = |e: FilterError| FilterError::new(format!("at column {}: {e}", at + 1));
            match word {
                w if w.eq_ignore_ascii_case("or") || w == "|" => {
                    if negate || groups.last().is_none_or(Vec::is_empty) {
                        return Err(fail("OR needs a term on each side".into()));
                    }
                    groups.push(Vec::new());
                }
                w if w.eq_ignore_ascii_case("not") || w == "!" => {
                    if negate {
                        return Err(fail("NOT twice".into()));
                    }
                    negate = true;
                }
                w => {
                    let (bang, w) = match w.strip_prefix('!') {
                        Some(rest) => (true, rest),
                        None => (false, w),
                    };
                    let t = term(w).map_err(fail)?;
                    if let Some(g) = groups.last_mut() {
                        g.push((negate ^ bang, t));
                    }
                    negate = false;
                }
            }
        }
        if negate || (groups.len() > 1 && groups.last().is_some_and(Vec::is_empty)) {
            return Err(FilterError::new(format!(
                "at column {}: the filter ends before its last term",
                text.trim_end().len() + 1
            )));
        }
        let empty = groups.iter().all(Vec::is_empty);
        Ok((!empty).then(|| Filter {
            text: text.trim().to_string(),
            groups,
        }))
    }

    /// `detectors` names the columns of `AnomalyEvent::votes`.
    pub fn matches(&self, e: &AnomalyEvent, detectors: &[&str]) -> bool {
        self.groups.iter().any(|g| {
            g.iter()
                .all(|(negated, t)| t.matches(e, detectors) != *negated)
        })
    }
}

/// Whitespace-separated words with the byte offset each starts at.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// `443` or `1-1024`.
fn port_range(v: &str) -> Result<(u16, u16), FilterError> {
    let one = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| FilterError::new(format!("'{p}' is not a port number")))
    };
    match v.split_once('-') {
        Some((a, b)) => {
            let (lo, hi) = (one(a)?, one(b)?);
            if lo > hi {
                return Err(FilterError::new(format!(
                    "the port range {v} runs backwards"
                )));
            }
            Ok((lo, hi))
        }
        None => one(v).map(|p| (p, p)),
    }
}

/// `10.0.0.0/8` → network and prefix length; `None` when `v` is not CIDR notation.
fn cidr(v: &str) -> Option<Result<(std::net::IpAddr, u8), FilterError>> {
    let (addr, bits) = v.split_once('/')?;
    let net: std::net::IpAddr = addr.parse().ok()?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    Some(match bits.parse::<u8>() {
        Ok(b) if b <= max => Ok((net, b)),
        _ => Err(FilterError::new(format!(
            "'/{bits}' is not a prefix length (0 to {max})"
        ))),
    })
}

fn in_net(host: &str, net: std::net::IpAddr, bits: u8) -> bool {
    use std::net::IpAddr;
    match (host.parse::<IpAddr>(), net) {
        (Ok(IpAddr::V4(h)), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(h) & mask == u32::from(n) & mask
        }
        (Ok(IpAddr::V6(h)), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(h) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn term(t: &str) -> Result<Term, FilterError> {
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        ("=", Cmp::Eq),
    ] {
        if let Some((k, v)) = t.split_once(op) {
            let field = match k.to_ascii_lowercase().as_str() {
                "score" => Field::Score,
                "threat" => Field::Threat,
                "votes" => Field::Votes,
                other => {
                    return Err(FilterError::new(format!(
                        "'{other}' cannot be compared: use score, threat or votes"
                    )));
                }
            };
            let v: f64 = v
                .parse()
                .map_err(|_| format!("'{v}' is not a number in '{t}'"))?;
            return Ok(Term::Compare(field, cmp, v));
        }
    }
    let Some((k, v)) = t.split_once(':') else {
        return Ok(Term::Word(t.to_ascii_lowercase()));
    };
    let v = v.to_string();
    if v.is_empty() {
        return Err(FilterError::new(format!("'{t}' needs a value after ':'")));
    }
    Ok(match k.to_ascii_lowercase().as_str() {
        "cluster" => Term::Cluster(
            v.parse()
                .map_err(|_| format!("'{v}' is not a cluster number"))?,
        ),
        "label" => Term::Label(v.to_ascii_lowercase()),
        "dport" | "sport" => {
            let (lo, hi) = port_range(&v)?;
            Term::Port {
                dst: k.eq_ignore_ascii_case("dport"),
                lo,
                hi,
            }
        }
        "src" | "dst" => {
            let dst = k.eq_ignore_ascii_case("dst");
            match cidr(&v) {
                Some(net) => {
                    let (net, bits) = net?;
                    Term::Net { dst, net, bits }
                }
                None => Term::Host { dst, text: v },
            }
        }
        "proto" => Term::Proto(v.to_ascii_lowercase()),
        "service" => Term::Service(v.to_ascii_lowercase()),
        "state" => Term::State(v.to_ascii_lowercase()),
        "level" => match v.to_ascii_lowercase().as_str() {
            l @ ("low" | "medium" | "high") => Term::Level(l.to_ascii_uppercase()),
            _ => {
                return Err(FilterError::new(format!(
                    "level is low, medium or high, not '{v}'"
                )));
            }
        },
        "detector" => Term::Detector(v.to_ascii_lowercase()),
        other => {
            return Err(FilterError::new(format!(
                "unknown filter key '{other}': use score, threat, votes, cluster, label, dport, sport, src, dst, proto, service, state, level, detector"
            )));
        }
    })
}

impl Term {
    fn matches(&self, e: &AnomalyEvent, detectors: &[&str]) -> bool {
        match self {
            Term::Compare(f, cmp, v) => {
                let x = match f {
                    Field::Score => e.score,
                    Field::Threat => e.threat.score,
                    Field::Votes => e.votes.iter().filter(|v| **v == Some(true)).count() as f64,
                };
                match cmp {
                    Cmp::Gt => x > *v,
                    Cmp::Ge => x >= *v,
                    Cmp::Lt => x < *v,
                    Cmp::Le => x <= *v,
                    Cmp::Eq => (x - v).abs() < 1e-9,
                }
            }
            Term::Cluster(c) => e.cluster == Some(*c),
            Term::Label(l) => match (e.label.as_deref(), e.attack) {
                (Some(class), Some(attack)) => match l.as_str() {
                    "attack" => attack,
                    "benign" | "normal" => !attack,
                    _ => class.to_ascii_lowercase().contains(l.as_str()),
                },
                _ => false,
            },
            Term::Port { dst, lo, hi } => {
                let p = if *dst { e.dport } else { e.sport };
                p.is_some_and(|p| (*lo..=*hi).contains(&p))
            }
            Term::Host { dst, text } => {
                let h = if *dst { &e.dst } else { &e.src };
                h.as_deref().is_some_and(|h| h.contains(text.as_str()))
            }
            Term::Net { dst, net, bits } => {
                let h = if *dst { &e.dst } else { &e.src };
                h.as_deref().is_some_and(|h| in_net(h, *net, *bits))
            }
            Term::Service(v) => e
                .service
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Term::State(v) => e
                .state
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Term::Proto(p) => e
                .proto
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(p)),
            Term::Level(l) => e.threat.level.name() == l,
            Term::Detector(d) => detectors
                .iter()
                .zip(&e.votes)
                .any(|(name, v)| *v == Some(true) && name.eq_ignore_ascii_case(d)),
            Term::Word(w) => [&e.src, &e.dst, &e.label, &e.proto].iter().any(|f| {
                f.as_deref()
                    .is_some_and(|s| s.to_ascii_lowercase().contains(w.as_str()))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(src: &str, dport: u16, service: &str, state: &str) -> AnomalyEvent {
        let mut e = (*crate::monitor::ui::fixture::view().snapshot.feed[0]).clone();
        e.src = Some(src.into());
        e.dport = Some(dport);
        e.service = Some(service.into());
        e.state = Some(state.into());
        e
    }

    fn hits(f: &str, e: &AnomalyEvent) -> bool {
        Filter::parse(f)
            .expect("parses")
            .expect("a filter")
            .matches(e, &[])
    }

    #[test]
    fn cidr_ranges_negation_and_or() {
        let a = event("172.16.9.233", 445, "smb", "S0");
        let b = event("10.1.2.3", 8080, "http", "SF");
        assert!(hits("src:172.16.9.0/24", &a) && !hits("src:172.16.9.0/24", &b));
        assert!(hits("src:10.0.0.0/8 dport:8000-8999", &b));
        assert!(!hits("dport:1-1024", &b) && hits("dport:1-1024", &a));
        assert!(hits("NOT service:http", &a) && !hits("!service:http", &b));
        assert!(hits("state:s0 OR service:http", &a) && hits("state:s0 | service:http", &b));
        assert!(!hits("state:rej OR dport:22", &a));
        assert!(hits(
            "src:2001:db8::/32",
            &event("2001:db8::1", 1, "x", "y")
        ));
    }

    #[test]
    fn mistakes_say_where_they_are() {
        for (text, want) in [
            (
                "score>0.5 dport:http",
                "at column 11: 'http' is not a port number",
            ),
            (
                "src:10.0.0.0/40",
                "at column 1: '/40' is not a prefix length (0 to 32)",
            ),
            (
                "dport:900-80",
                "at column 1: the port range 900-80 runs backwards",
            ),
            ("OR level:high", "at column 1: OR needs a term on each side"),
            (
                "level:high NOT",
                "at column 15: the filter ends before its last term",
            ),
        ] {
            assert_eq!(&*Filter::parse(text).expect_err(text), want, "{text}");
        }
    }
}
