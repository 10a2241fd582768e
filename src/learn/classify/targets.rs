//! Turns flow labels into class indices: benign / attack, or benign plus one class per attack
//! name. Rows without a label are left out (and counted).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::flows::schema::FlowRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Binary,
    Multiclass,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Binary => "binary",
            Mode::Multiclass => "multiclass",
        }
    }
}

/// Attack classes too small to stratify are pooled under this name.
pub const OTHER_ATTACK: &str = "other attack";

#[derive(Debug, Clone)]
pub struct Labelled {
    /// Indices of the labelled flows.
    pub rows: Vec<usize>,
    /// Class index per labelled flow.
    pub y: Vec<u32>,
    pub classes: Vec<String>,
    pub attack: Vec<bool>,
    pub unlabelled: usize,
    /// Attack names pooled into `OTHER_ATTACK` (fewer rows than `min_rows`).
    pub pooled: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    #[error("none of the {rows} rows has a label; supervised models need a label column")]
    NoLabels { rows: usize },
    #[error(
        "all {rows} labelled rows are {class}; supervised models need both benign and attack rows"
    )]
    OneClass { class: String, rows: usize },
    #[error(transparent)]
    Fit(crate::learn::detect::FitError),
}

/// Class indices for the labelled flows. In multi-class mode, attack names with fewer than
/// `min_rows` rows (e.g. fewer than the folds) are pooled into one class.
pub fn targets(
    flows: &[&FlowRecord],
    mode: Mode,
    min_rows: usize,
) -> Result<Labelled, TargetError> {
    let mut rows = Vec::new();
    let mut names: Vec<(bool, &str)> = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        if let Some(l) = &f.label {
            rows.push(i);
            names.push((l.attack, &l.class));
        }
    }
    if rows.is_empty() {
        return Err(TargetError::NoLabels { rows: flows.len() });
    }
    let attacks = names.iter().filter(|(a, _)| *a).count();
    if attacks == 0 || attacks == names.len() {
        let (_, class) = names[0];
        let class = if attacks == 0 {
            "benign".to_string()
        } else {
            format!("attacks ({class} …)")
        };
        return Err(TargetError::OneClass {
            class,
            rows: rows.len(),
        });
    }
    let unlabelled = flows.len() - rows.len();
    if mode == Mode::Binary {
        return Ok(Labelled {
            y: names.iter().map(|(a, _)| u32::from(*a)).collect(),
            rows,
            classes: vec!["benign".into(), "attack".into()],
            attack: vec![false, true],
            unlabelled,
            pooled: Vec::new(),
        });
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (a, n) in &names {
        if *a {
            *counts.entry(n).or_default() += 1;
        }
    }
    let mut by_size: Vec<(&str, usize)> = counts.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let (kept, small): (Vec<_>, Vec<_>) = by_size.into_iter().partition(|(_, c)| *c >= min_rows);
    let mut classes = vec!["benign".to_string()];
    classes.extend(kept.iter().map(|(n, _)| n.to_string()));
    let index: HashMap<&str, u32> = kept
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i as u32 + 1))
        .collect();
    let other = classes.len() as u32;
    if !small.is_empty() {
        classes.push(OTHER_ATTACK.to_string());
    }
    let y = names
        .iter()
        .map(|(a, n)| match (a, index.get(n)) {
            (false, _) => 0,
            (true, Some(&i)) => i,
            (true, None) => other,
        })
        .collect();
    let mut attack = vec![true; classes.len()];
    attack[0] = false;
    Ok(Labelled {
        rows,
        y,
        classes,
        attack,
        unlabelled,
        pooled: small.iter().map(|(n, _)| n.to_string()).collect(),
    })
}
