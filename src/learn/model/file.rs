//! The model file: JSON with a format tag and version, written to a temporary file beside the
//! target and renamed into place, so a crash never leaves a half-written model.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ModelSet, SchemaFingerprint};

pub const FORMAT_TAG: &str = "flowtop-model";
/// Bumped whenever the serialised layout changes; other versions are refused.
pub const FORMAT_VERSION: u32 = 2;
/// Largest model file read (a model set of the default window is a few megabytes).
const MAX_MODEL_BYTES: u64 = 1 << 30;

#[derive(Serialize)]
struct Envelope<'a> {
    format: &'a str,
    version: u32,
    model: &'a ModelSet,
}

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

#[derive(Deserialize)]
struct OwnedEnvelope {
    model: ModelSet,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a flowtop model file ({detail})")]
    NotAModel { path: String, detail: String },
    #[error(
        "{path}: model file version {found}, this flowtop reads version {FORMAT_VERSION}; retrain with `flowtop train`"
    )]
    Version { path: String, found: u32 },
    #[error(
        "{path}: the model file is inconsistent inside ({detail}); retrain with `flowtop train`"
    )]
    Inconsistent {
        path: String,
        detail: super::Inconsistency,
    },
    #[error(
        "{path}: the model was trained on {trained} data with other columns than this {input} input{detail}; retrain on this data"
    )]
    Schema {
        path: String,
        trained: String,
        input: String,
        detail: String,
    },
}

pub fn save(model: &ModelSet, path: &Path) -> Result<(), ModelFileError> {
    let io = |source| ModelFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    remove_stale_temporaries(dir, &name);
    let env = Envelope {
        format: FORMAT_TAG,
        version: FORMAT_VERSION,
        model,
    };
    let result = (|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut f, &env).map_err(std::io::Error::other)?;
        f.flush()?;
        f.get_ref().sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Removes `.NAME.tmpPID` files left by saves that were killed: those whose process is gone.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Without a process table to ask, a temporary is never taken for stale.
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Loads a model file; `expected` (the schema of the data about to be scored) must match the
/// one it was trained on.
pub fn load(path: &Path, expected: Option<&SchemaFingerprint>) -> Result<ModelSet, ModelFileError> {
    let p = path.display().to_string();
    let text =
        crate::files::read_regular(path, MAX_MODEL_BYTES).map_err(|source| ModelFileError::Io {
            path: p.clone(),
            source,
        })?;
    let not_model = |detail: String| ModelFileError::NotAModel {
        path: p.clone(),
        detail,
    };
    let header: Header = serde_json::from_str(&text).map_err(|e| not_model(e.to_string()))?;
    if header.format.as_deref() != Some(FORMAT_TAG) {
        return Err(not_model("no flowtop-model tag".into()));
    }
    match header.version {
        Some(FORMAT_VERSION) => {}
        Some(found) => return Err(ModelFileError::Version { path: p, found }),
        None => return Err(not_model("no version".into())),
    }
    let env: OwnedEnvelope = serde_json::from_str(&text).map_err(|e| not_model(e.to_string()))?;
    super::validate(&env.model).map_err(|detail| ModelFileError::Inconsistent {
        path: p.clone(),
        detail,
    })?;
    if let Some(expected) = expected {
        check_schema(&env.model, expected, &p)?;
    }
    Ok(env.model)
}

/// The model must have been trained on data with the columns of `expected` (the schema of the
/// data about to be scored); `path` names the model file in the message.
pub fn check_schema(
    model: &ModelSet,
    expected: &SchemaFingerprint,
    path: &str,
) -> Result<(), ModelFileError> {
    if &model.schema == expected {
        return Ok(());
    }
    let missing: Vec<&String> = model
        .schema
        .numeric
        .iter()
        .chain(&model.schema.categorical)
        .filter(|c| !expected.numeric.contains(c) && !expected.categorical.contains(c))
        .take(3)
        .collect();
    let detail = if missing.is_empty() {
        String::new()
    } else {
        format!(
            " (e.g. {} missing here)",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Err(ModelFileError::Schema {
        path: path.to_string(),
        trained: model.schema.format.clone(),
        input: expected.format.clone(),
        detail,
    })
}
