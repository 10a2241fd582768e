//! The anomaly-feed filter typed after `/`: space-separated terms that must all match.
//! `score>0.9`, `threat>=70`, `votes>=4`, `cluster:3`, `label:attack` (or `benign`, or a class
//! name), `dport:443`, `sport:`, `src:10.0.0.5`, `dst:`, `proto:udp`, `level:high`,
//! `detector:lof` (that detector voted), or a bare word found in the endpoints, label or protocol.

use crate::engine::AnomalyEvent;

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub text: String,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Compare(Field, Cmp, f64),
    Cluster(usize),
    Label(String),
    Port { dst: bool, port: u16 },
    Host { dst: bool, text: String },
    Proto(String),
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
    pub fn parse(text: &str) -> Result<Option<Filter>, String> {
        let terms = text
            .split_whitespace()
            .map(term)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!terms.is_empty()).then(|| Filter {
            text: text.trim().to_string(),
            terms,
        }))
    }

    /// `detectors` names the columns of `AnomalyEvent::votes`.
    pub fn matches(&self, e: &AnomalyEvent, detectors: &[&str]) -> bool {
        self.terms.iter().all(|t| t.matches(e, detectors))
    }
}

fn term(t: &str) -> Result<Term, String> {
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
                    return Err(format!(
                        "'{other}' cannot be compared: use score, threat or votes"
                    ));
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
        return Err(format!("'{t}' needs a value after ':'"));
    }
    let port = |v: &str| {
        v.parse::<u16>()
            .map_err(|_| format!("'{v}' is not a port number"))
    };
    Ok(match k.to_ascii_lowercase().as_str() {
        "cluster" => Term::Cluster(
            v.parse()
                .map_err(|_| format!("'{v}' is not a cluster number"))?,
        ),
        "label" => Term::Label(v.to_ascii_lowercase()),
        "dport" => Term::Port {
            dst: true,
            port: port(&v)?,
        },
        "sport" => Term::Port {
            dst: false,
            port: port(&v)?,
        },
        "src" => Term::Host {
            dst: false,
            text: v,
        },
        "dst" => Term::Host { dst: true, text: v },
        "proto" => Term::Proto(v.to_ascii_lowercase()),
        "level" => match v.to_ascii_lowercase().as_str() {
            l @ ("low" | "medium" | "high") => Term::Level(l.to_ascii_uppercase()),
            _ => return Err(format!("level is low, medium or high, not '{v}'")),
        },
        "detector" => Term::Detector(v.to_ascii_lowercase()),
        other => {
            return Err(format!(
                "unknown filter key '{other}': use score, threat, votes, cluster, label, dport, sport, src, dst, proto, level, detector"
            ));
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
            Term::Port { dst, port } => {
                let p = if *dst { e.dport } else { e.sport };
                p == Some(*port)
            }
            Term::Host { dst, text } => {
                let h = if *dst { &e.dst } else { &e.src };
                h.as_deref().is_some_and(|h| h.contains(text.as_str()))
            }
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
