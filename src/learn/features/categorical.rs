//! Categorical columns: one-hot when they have few values (protocol, connection state),
//! frequency encoding when they have many (service names, long-tail strings).

use crate::flows::schema::Text;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Up to this many distinct training values a column is one-hot encoded.
pub const ONE_HOT_MAX: usize = 12;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CategoricalEncoding {
    /// One output per training value; unseen values encode as all zeros.
    OneHot(Vec<String>),
    /// One output: the value's share of the training rows (0 for unseen), so rare values stand
    /// out.
    Frequency(HashMap<String, f64>),
}

impl CategoricalEncoding {
    /// `None` when the column carries no information (one value or nothing at all).
    pub fn fit(
        values: impl Iterator<Item = Option<Text>>,
        rows: usize,
    ) -> Option<CategoricalEncoding> {
        let mut counts: HashMap<Text, usize> = HashMap::new();
        let mut missing = 0usize;
        for v in values {
            match v {
                Some(v) => *counts.entry(v).or_default() += 1,
                None => missing += 1,
            }
        }
        let distinct = counts.len() + usize::from(missing > 0);
        if distinct < 2 {
            return None;
        }
        if counts.len() <= ONE_HOT_MAX {
            let mut names: Vec<(usize, String)> = counts
                .into_iter()
                .map(|(k, c)| (c, k.to_string()))
                .collect();
            names.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            return Some(CategoricalEncoding::OneHot(
                names.into_iter().map(|(_, n)| n).collect(),
            ));
        }
        let total = rows.max(1) as f64;
        Some(CategoricalEncoding::Frequency(
            counts
                .into_iter()
                .map(|(k, c)| (k.to_string(), c as f64 / total))
                .collect(),
        ))
    }

    pub fn width(&self) -> usize {
        match self {
            CategoricalEncoding::OneHot(v) => v.len(),
            CategoricalEncoding::Frequency(_) => 1,
        }
    }

    pub fn output_names(&self, column: &str) -> Vec<String> {
        match self {
            CategoricalEncoding::OneHot(v) => v.iter().map(|x| format!("{column}={x}")).collect(),
            CategoricalEncoding::Frequency(_) => vec![format!("{column}:frequency")],
        }
    }

    pub fn encode(&self, value: Option<&str>, out: &mut [f64]) {
        match self {
            CategoricalEncoding::OneHot(names) => {
                for (slot, name) in out.iter_mut().zip(names) {
                    *slot = if Some(name.as_str()) == value {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
            CategoricalEncoding::Frequency(freq) => {
                if let Some(slot) = out.first_mut() {
                    *slot = value.and_then(|v| freq.get(v)).copied().unwrap_or(0.0);
                }
            }
        }
    }
}
