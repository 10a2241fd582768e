//! Writes the exact train/test matrices eval used, for the Python comparison.

use std::io::Write;
use std::path::Path;

use ndarray::Array2;

use crate::flows::schema::FlowRecord;

/// A matrix file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    pub path: std::path::PathBuf,
    pub source: std::io::Error,
}

pub fn write_split(
    dir: &Path,
    names: &[String],
    x_train: &Array2<f64>,
    train: &[&FlowRecord],
    x_test: &Array2<f64>,
    test: &[&FlowRecord],
) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    write_one(&dir.join("train.csv"), names, x_train, train)?;
    write_one(&dir.join("test.csv"), names, x_test, test)
}

/// The calibrated detector scores of the same rows (`train_scores.csv`, `test_scores.csv`).
pub fn write_scores(
    dir: &Path,
    names: &[String],
    train_scores: &Array2<f64>,
    train: &[&FlowRecord],
    test_scores: &Array2<f64>,
    test: &[&FlowRecord],
) -> Result<(), WriteError> {
    write_one(&dir.join("train_scores.csv"), names, train_scores, train)?;
    write_one(&dir.join("test_scores.csv"), names, test_scores, test)
}

fn write_one(
    path: &Path,
    names: &[String],
    x: &Array2<f64>,
    rows: &[&FlowRecord],
) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
    let mut header: Vec<String> = names
        .iter()
        .map(|n| format!("\"{}\"", n.replace('"', "'")))
        .collect();
    header.push("label".into());
    writeln!(w, "{}", header.join(",")).map_err(err)?;
    for (row, r) in x.rows().into_iter().zip(rows) {
        let label = match &r.label {
            Some(l) if l.attack => "1",
            Some(_) => "0",
            None => "",
        };
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        writeln!(w, "{},{label}", cells.join(",")).map_err(err)?;
    }
    w.flush().map_err(err)
}
