//! Panics and the log file: a panic on any thread is logged, recorded (the monitor ends on
//! it rather than run on with a dead worker) and reported on stderr, everything through
//! [`crate::sanitize`]. How the report looks is the binary's choice.

use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Installs the panic hook; `report` renders a panic for stderr.
pub fn install_hook(report: impl Fn(&PanicHookInfo) -> String + Send + Sync + 'static) {
    std::panic::set_hook(Box::new(move |info| {
        // The log keeps it too: in the monitor stderr may be gone with the screen.
        tracing::error!("panic: {info}");
        let _ = FIRST_PANIC.set(crate::sanitize::text(&info.to_string()).into_owned());
        crate::errln!("{}", report(info));
    }));
}

#[derive(Debug, thiserror::Error)]
#[error("{}: cannot open the log file: {source}", path.display())]
pub struct LogFileError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Sends the log to `path` (appended), through the same escaping as stdout and stderr: log
/// lines quote file names and panic messages, which are input too.
pub fn log_to(path: &Path) -> Result<(), LogFileError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| LogFileError {
            path: path.to_path_buf(),
            source,
        })?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::sync::Mutex::new(crate::sanitize::SafeWriter::new(
            file,
        )))
        .with_ansi(false)
        .init();
    Ok(())
}

static FIRST_PANIC: OnceLock<String> = OnceLock::new();

/// The first panic of any thread since the hooks were installed: the monitor ends on it
/// rather than run on with a dead worker.
pub fn panic_seen() -> Option<&'static str> {
    FIRST_PANIC.get().map(String::as_str)
}
