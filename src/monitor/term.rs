//! The terminal: raw mode and the alternate screen on entry, restored on exit, on error and on
//! panic (the panic hook restores first, then prints the message and the log path).

use std::io::{self, Stdout, Write};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped, however the UI ends.
pub struct TermGuard {
    mouse: bool,
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

pub fn restore(mouse: bool) {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, ratatui::crossterm::cursor::Show);
    let _ = out.flush();
}

/// Enters raw mode and the alternate screen; installs a panic hook that restores the terminal
/// before the panic is reported, and names the log file.
pub fn enter(mouse: bool, log: Option<String>) -> io::Result<(Tui, TermGuard)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(mouse);
        previous(info);
        if let Some(log) = &log {
            crate::errln!("flowtop: the log is in {log}");
        }
    }));
    enable_raw_mode()?;
    let guard = TermGuard { mouse };
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(out))?;
    Ok((terminal, guard))
}
