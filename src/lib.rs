//! flowtop: a terminal monitor for network flows. The library's modules follow the data:
//!
//! - [`flows`]: reading flow logs — sources (files, follow, stdin, replay), format sniffing
//!   and decoding into `FlowRecord`s, and the ingest pipeline that ties them together.
//! - [`learn`]: what is learnt from flows — features, the anomaly detectors and their
//!   consensus, clustering, classifiers, forecasts of the traffic series, threat scoring,
//!   the saved model set and the offline evaluation.
//! - [`engine`]: the live state — scoring each batch, refitting in the background, the
//!   series, the anomaly feed, and the view the monitor draws.
//! - [`monitor`]: the terminal application — keys and state (`app`), drawing (`ui`), theme,
//!   terminal handling and the event loop.
//! - [`serve`]: the same engine without a terminal, answering over HTTP (JSON API,
//!   Prometheus metrics, health checks) on a tokio runtime of its own.
//!
//! The command line (typed options, the config file, one module per subcommand) is the
//! binary's, in `src/cli`; so is color-eyre. Errors here are types (`thiserror`).
//!
//! [`sanitize`], [`panic`](mod@panic), [`progress`] and [`files`] serve all of them: escaping input text
//! for terminals and spreadsheets, remembering a worker thread's panic, progress bars on
//! stderr, and bounded reads of config, theme and model files.

/// Declares an error type for one kind of refusal (a theme, a key binding, a filter, a
/// parameter): the type says which, its message says what is wrong with which value. `?`
/// takes a message (`String` or `&str`) into it.
macro_rules! message_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("{0}")]
        pub struct $name(String);

        impl $name {
            pub fn new(what: impl Into<String>) -> $name {
                $name(what.into())
            }
        }

        impl From<String> for $name {
            fn from(what: String) -> $name {
                $name(what)
            }
        }

        /// The message, to show or to search.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(what: &str) -> $name {
                $name(what.to_string())
            }
        }
    };
}
pub(crate) use message_error;

pub mod engine;
pub mod files;
pub mod flows;
pub mod learn;
pub mod monitor;
pub mod panic;
pub mod progress;
pub mod sanitize;
pub mod serve;
