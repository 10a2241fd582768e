//! Every operator action, with its config name, default keys and help text.

use super::keymap::KeyMapError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Close,
    Help,
    Up,
    Down,
    Left,
    Right,
    SwitchTab,
    PageUp,
    PageDown,
    Top,
    FocusNext,
    FocusPrev,
    Focus1,
    Focus2,
    Focus3,
    Focus4,
    Focus5,
    Focus6,
    DrillDown,
    Filter,
    SortNext,
    SortPrev,
    SortReverse,
    Fold,
    Freeze,
    Pause,
    Faster,
    Slower,
    Step,
    Retrain,
    CancelRetrain,
    Threat,
    Export,
    Save,
    Load,
}

impl Action {
    /// The number key that focuses `pane`: a mouse click on a pane acts as that key.
    pub fn focus(pane: super::Pane) -> Action {
        use super::Pane;
        match pane {
            Pane::Traffic => Action::Focus1,
            Pane::Clusters => Action::Focus2,
            Pane::Anomalies => Action::Focus3,
            Pane::Forecast => Action::Focus4,
            Pane::Projection => Action::Focus5,
            Pane::Quality => Action::Focus6,
        }
    }

    pub const ALL: [Action; 36] = [
        Action::Quit,
        Action::Close,
        Action::Help,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::SwitchTab,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Focus1,
        Action::Focus2,
        Action::Focus3,
        Action::Focus4,
        Action::Focus5,
        Action::Focus6,
        Action::DrillDown,
        Action::Filter,
        Action::SortNext,
        Action::SortPrev,
        Action::SortReverse,
        Action::Fold,
        Action::Freeze,
        Action::Pause,
        Action::Faster,
        Action::Slower,
        Action::Step,
        Action::Retrain,
        Action::CancelRetrain,
        Action::Threat,
        Action::Export,
        Action::Save,
        Action::Load,
    ];

    fn info(self) -> (&'static str, &'static [&'static str], &'static str) {
        match self {
            Action::Quit => ("quit", &["q"], "quit (ctrl-c always quits)"),
            Action::Close => (
                "close",
                &["esc"],
                "close the overlay, or the opened folds; never quits",
            ),
            Action::Help => ("help", &["?"], "this help"),
            Action::Up => ("up", &["up", "k"], "previous row"),
            Action::Down => ("down", &["down", "j"], "next row"),
            Action::Left => ("left", &["left", "h"], "previous series / tab"),
            Action::Right => ("right", &["right", "l"], "next series / tab"),
            Action::SwitchTab => (
                "switch-tab",
                &["v"],
                "second tab: Forecast (temporal profile) or, focused, Model quality (classifier)",
            ),
            Action::PageUp => ("page-up", &["pageup"], "page up"),
            Action::PageDown => ("page-down", &["pagedown"], "page down"),
            Action::Top => ("top", &["home", "g"], "back to the newest row (follow)"),
            Action::FocusNext => ("focus-next", &["tab"], "focus the next pane"),
            Action::FocusPrev => ("focus-prev", &["shift-tab"], "focus the previous pane"),
            Action::Focus1 => ("focus-1", &["1"], "focus Traffic"),
            Action::Focus2 => ("focus-2", &["2"], "focus Clusters"),
            Action::Focus3 => ("focus-3", &["3"], "focus Anomalies"),
            Action::Focus4 => ("focus-4", &["4"], "focus Forecast"),
            Action::Focus5 => ("focus-5", &["5"], "focus Projection"),
            Action::Focus6 => ("focus-6", &["6"], "focus Model quality"),
            Action::DrillDown => (
                "drill-down",
                &["enter"],
                "open the selected flow or fold of repeats; on a cluster, filter the feed to it",
            ),
            Action::Filter => (
                "filter",
                &["/"],
                "filter the feed: score>0.9 cluster:3 label:attack dport:443 …",
            ),
            Action::SortNext => ("sort-next", &[">"], "sort the feed by the next column"),
            Action::SortPrev => ("sort-prev", &["<"], "sort the feed by the previous column"),
            Action::SortReverse => ("sort-reverse", &["I"], "reverse the feed's sort order"),
            Action::Fold => (
                "fold",
                &["z"],
                "fold repeats (same src, dst, port, proto) into one row, or list every flow",
            ),
            Action::Freeze => ("freeze", &["space"], "freeze the view (ingest goes on)"),
            Action::Pause => ("pause", &["p"], "pause / resume the replay"),
            Action::Faster => ("faster", &["]"], "replay faster"),
            Action::Slower => ("slower", &["["], "replay slower"),
            Action::Step => ("step", &["."], "let one flow through while paused"),
            Action::Retrain => ("retrain", &["R"], "retrain all models now (background)"),
            Action::CancelRetrain => ("cancel-retrain", &["x"], "cancel the running retrain"),
            Action::Threat => (
                "threat",
                &["t"],
                "threat query, pre-filled from the selected flow",
            ),
            Action::Export => (
                "export",
                &["e"],
                "export the feed as shown (CSV + JSON lines)",
            ),
            Action::Save => ("save", &["s"], "save the model set"),
            Action::Load => ("load", &["L"], "load the model set"),
        }
    }

    pub fn name(self) -> &'static str {
        self.info().0
    }

    pub fn default_keys(self) -> &'static [&'static str] {
        self.info().1
    }

    pub fn help(self) -> &'static str {
        self.info().2
    }

    pub fn parse(name: &str) -> Result<Action, KeyMapError> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                KeyMapError::new(format!(
                    "[keys]: unknown action '{name}'; actions are {}",
                    Action::ALL.map(|a| a.name()).join(", ")
                ))
            })
    }
}
