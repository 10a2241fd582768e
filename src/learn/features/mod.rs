//! The feature pipeline: `FlowRecord`s in, a dense matrix of model features out. Fitted on a
//! training window without labels; serialisable with the model set.

mod categorical;
mod column;
mod derived;

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use categorical::CategoricalEncoding;
pub use column::{CLIP, NumericTransform, quantile_sorted};
pub use derived::Derived;

use crate::flows::schema::{FlowRecord, Schema};

/// Rows per task of `FeaturePipeline::transform`.
const TRANSFORM_BLOCK: usize = 256;

/// Where a model feature's input value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// Index into `FlowRecord::values`.
    Numeric(usize),
    Derived(Derived),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericFeature {
    pub name: String,
    pub input: Input,
    pub transform: NumericTransform,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalFeature {
    pub name: String,
    /// Index into `FlowRecord::categories`.
    pub index: usize,
    pub encoding: CategoricalEncoding,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    pub numeric: Vec<NumericFeature>,
    pub categorical: Vec<CategoricalFeature>,
    /// Input columns that carried no information in the training window.
    pub dropped: Vec<String>,
    /// Output feature names, in matrix column order.
    pub names: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeatureError {
    #[error("no training rows")]
    Empty,
    #[error(
        "no usable features: every numeric and categorical column is constant or missing in the {0} training rows"
    )]
    NoFeatures(usize),
}

impl FeaturePipeline {
    pub fn fit(schema: &Schema, train: &[&FlowRecord]) -> Result<FeaturePipeline, FeatureError> {
        if train.is_empty() {
            return Err(FeatureError::Empty);
        }
        let mut inputs: Vec<(String, Input)> = schema
            .numeric_names()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), Input::Numeric(i)))
            .collect();
        for d in Derived::available(schema) {
            inputs.push((d.name().to_string(), Input::Derived(d)));
        }
        let mut numeric = Vec::new();
        let mut dropped = Vec::new();
        let mut column = Vec::with_capacity(train.len());
        for (name, input) in inputs {
            column.clear();
            column.extend(train.iter().map(|r| read_input(&input, r)));
            match NumericTransform::fit(&column) {
                Ok(transform) => numeric.push(NumericFeature {
                    name,
                    input,
                    transform,
                }),
                Err(_) => dropped.push(name),
            }
        }
        let mut categorical = Vec::new();
        for (index, name) in schema.categorical_names().into_iter().enumerate() {
            let values = train
                .iter()
                .map(|r| r.categories.get(index).cloned().flatten());
            match CategoricalEncoding::fit(values, train.len()) {
                Some(encoding) => categorical.push(CategoricalFeature {
                    name: name.to_string(),
                    index,
                    encoding,
                }),
                None => dropped.push(name.to_string()),
            }
        }
        let mut names: Vec<String> = numeric.iter().map(|f| f.name.clone()).collect();
        for c in &categorical {
            names.extend(c.encoding.output_names(&c.name));
        }
        if names.is_empty() {
            return Err(FeatureError::NoFeatures(train.len()));
        }
        Ok(FeaturePipeline {
            numeric,
            categorical,
            dropped,
            names,
        })
    }

    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// One row per record, `width()` columns; every cell finite.
    pub fn transform(&self, records: &[&FlowRecord]) -> Array2<f64> {
        let mut out = Array2::zeros((records.len(), self.width()));
        // In blocks on the pool: a batch's transform is a tenth of its scoring time, and on
        // the calling thread it would leave the other cores idle meanwhile.
        out.axis_chunks_iter_mut(Axis(0), TRANSFORM_BLOCK)
            .into_par_iter()
            .zip(records.par_chunks(TRANSFORM_BLOCK))
            .for_each(|(mut block, recs)| {
                for (mut row, r) in block.rows_mut().into_iter().zip(recs) {
                    let row = row.as_slice_mut().unwrap_or_default();
                    self.transform_into(r, row);
                }
            });
        out
    }

    /// Fills one row; `row.len()` must be `width()`.
    pub fn transform_into(&self, r: &FlowRecord, row: &mut [f64]) {
        let mut j = 0;
        for f in &self.numeric {
            if let Some(slot) = row.get_mut(j) {
                *slot = f.transform.apply(read_input(&f.input, r));
            }
            j += 1;
        }
        for c in &self.categorical {
            let v = r.categories.get(c.index).and_then(|v| v.as_deref());
            let n = c.encoding.width();
            if let Some(out) = row.get_mut(j..j + n) {
                c.encoding.encode(v, out);
            }
            j += n;
        }
    }

    /// The raw (untransformed) input value behind each numeric feature, for explanations.
    pub fn raw_value(&self, feature: usize, r: &FlowRecord) -> Option<f64> {
        self.numeric.get(feature).map(|f| read_input(&f.input, r))
    }
}

fn read_input(input: &Input, r: &FlowRecord) -> f64 {
    match input {
        Input::Numeric(i) => r.values.get(*i).copied().unwrap_or(f64::NAN),
        Input::Derived(d) => d.compute(&r.core),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod tests_support {
    use crate::flows::ingest::read_all;
    use crate::flows::schema::{DetectOptions, FlowRecord, Schema};
    use crate::flows::source::Input;

    pub fn load(path: &str) -> (Schema, Vec<FlowRecord>) {
        let mut rows = Vec::new();
        let summary = read_all(&Input::parse(path), &DetectOptions::default(), |r| {
            rows.push(r);
        })
        .expect("fixture reads");
        (summary.schema, rows)
    }
}
