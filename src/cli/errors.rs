//! How errors reach the operator: one line per error, each cause said once, no colour where
//! stderr is not a terminal. Panics are reported through the library's hook
//! (`flowtop::panic`) with color-eyre's panic report.

use std::io::IsTerminal;

use color_eyre::config::{HookBuilder, Theme};
use color_eyre::eyre::Report;

/// Installs the error and panic hooks, coloured only on a terminal that has not asked for no
/// colour.
pub fn install_hooks() -> color_eyre::Result<()> {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if colour { Theme::dark() } else { Theme::new() };
    let (panic_hook, eyre_hook) = HookBuilder::default().theme(theme).into_hooks();
    eyre_hook.install()?;
    flowtop::panic::install_hook(move |info| panic_hook.panic_report(info).to_string());
    Ok(())
}

/// The error and its causes on one line, a cause left out when the text before already says
/// it (`Is a directory (os error 21): Is a directory (os error 21)`).
pub fn chain(e: &Report) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether the error is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use color_eyre::eyre::{WrapErr, eyre};

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let io = std::io::Error::from_raw_os_error(21);
        let e = Err::<(), _>(io)
            .wrap_err_with(|| format!("conn.log: {}", std::io::Error::from_raw_os_error(21)))
            .expect_err("error");
        let text = chain(&e);
        assert_eq!(text.matches("os error 21").count(), 1, "{text}");
        let plain = eyre!("outer").wrap_err("context");
        assert_eq!(chain(&plain), "context: outer");
    }

    #[test]
    fn broken_pipes_are_told_apart() {
        let e = Report::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&e.wrap_err("writing")));
        assert!(!is_broken_pipe(&eyre!("something else")));
    }
}
