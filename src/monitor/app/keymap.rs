//! Key bindings: every action has default keys, the `[keys]` config section replaces an
//! action's keys, and a key bound to two actions is an error at start-up. Help and
//! `flowtop print-keys` are generated from the live map.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Action;

crate::message_error!(
    /// A key binding that cannot be used: an unknown key or action, or a clash.
    KeyMapError
);

/// A key as bindings name it: the code plus Ctrl / Alt (Shift is in the character itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: Code,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

const NAMED: [(&str, Code); 14] = [
    ("enter", Code::Enter),
    ("esc", Code::Esc),
    ("tab", Code::Tab),
    ("shift-tab", Code::BackTab),
    ("backspace", Code::Backspace),
    ("up", Code::Up),
    ("down", Code::Down),
    ("left", Code::Left),
    ("right", Code::Right),
    ("pageup", Code::PageUp),
    ("pagedown", Code::PageDown),
    ("home", Code::Home),
    ("end", Code::End),
    ("space", Code::Char(' ')),
];

impl Key {
    pub fn parse(s: &str) -> Result<Key, KeyMapError> {
        let mut rest = s.trim();
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 5 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 4 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == lower) {
            *c
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            Code::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Code::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
                _ => {
                    return Err(KeyMapError::new(format!(
                        "unknown key '{s}': use a character, ctrl-/alt- plus a key, or one of {}",
                        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let code = match e.code {
            KeyCode::Char(c) => Code::Char(if e.modifiers.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            }),
            KeyCode::Enter => Code::Enter,
            KeyCode::Esc => Code::Esc,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => Code::BackTab,
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        })
    }

    pub const fn plain(c: char) -> Key {
        Key {
            code: Code::Char(c),
            ctrl: false,
            alt: false,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl-")?;
        }
        if self.alt {
            write!(f, "alt-")?;
        }
        match self.code {
            Code::Char(' ') => write!(f, "space"),
            Code::Char(c) => write!(f, "{c}"),
            Code::F(n) => write!(f, "f{n}"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == other)
                    .map_or("?", |(n, _)| n);
                write!(f, "{name}")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct KeyMap {
    by_key: BTreeMap<Key, Action>,
    by_action: BTreeMap<Action, Vec<Key>>,
}

/// Ctrl-C always quits, whatever the config says.
const CTRL_C: Key = Key {
    code: Code::Char('c'),
    ctrl: true,
    alt: false,
};

impl KeyMap {
    /// The defaults with the config's bindings on top (`action = "key"` or a list of keys).
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<KeyMap, KeyMapError> {
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for a in Action::ALL {
            let keys = a
                .default_keys()
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()?;
            by_action.insert(a, keys);
        }
        for (name, keys) in overrides {
            let action = Action::parse(name)?;
            let keys = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            by_action.insert(action, keys);
        }
        let mut by_key = BTreeMap::new();
        for (action, keys) in &by_action {
            for k in keys {
                if *k == CTRL_C && *action != Action::Quit {
                    return Err(KeyMapError::new(format!(
                        "[keys] {}: ctrl-c is reserved for quit",
                        action.name()
                    )));
                }
                if let Some(other) = by_key.insert(*k, *action) {
                    return Err(KeyMapError::new(format!(
                        "[keys]: '{k}' is bound to both {} and {}",
                        other.name(),
                        action.name()
                    )));
                }
            }
        }
        by_key.insert(CTRL_C, Action::Quit);
        Ok(KeyMap { by_key, by_action })
    }

    pub fn action(&self, key: &Key) -> Option<Action> {
        self.by_key.get(key).copied()
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action.get(&action).map_or(&[], |v| v.as_slice())
    }

    /// "q ctrl-c" style list for help lines.
    pub fn describe(&self, action: Action) -> String {
        let mut keys: Vec<String> = self.keys(action).iter().map(|k| k.to_string()).collect();
        if action == Action::Quit && !keys.iter().any(|k| k == "ctrl-c") {
            keys.push("ctrl-c".into());
        }
        keys.join(" ")
    }

    /// What `flowtop print-keys` prints: every action, its keys, what it does.
    pub fn print(&self) -> String {
        let mut out = String::new();
        for a in Action::ALL {
            out.push_str(&format!(
                "{:<16} {:<22} {}\n",
                a.name(),
                self.describe(a),
                a.help()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &[&str])]) -> Result<KeyMap, KeyMapError> {
        KeyMap::new(
            &pairs
                .iter()
                .map(|(a, k)| (a.to_string(), k.iter().map(|s| s.to_string()).collect()))
                .collect(),
        )
    }

    #[test]
    fn keys_parse_and_print_back() {
        for s in [
            "q",
            "R",
            "?",
            "space",
            "ctrl-r",
            "shift-tab",
            "enter",
            "f5",
            "alt-x",
            "/",
        ] {
            let k = Key::parse(s).expect(s);
            assert_eq!(k.to_string(), s);
        }
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-q").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn defaults_have_no_clashes_and_overrides_replace_keys() {
        let m = map(&[]).expect("defaults");
        assert_eq!(m.action(&Key::plain('R')), Some(Action::Retrain));
        assert_eq!(m.action(&CTRL_C), Some(Action::Quit));
        let m = map(&[("retrain", &["ctrl-r"])]).expect("override");
        assert_eq!(m.action(&Key::plain('R')), None);
        assert_eq!(
            m.action(&Key::parse("ctrl-r").expect("key")),
            Some(Action::Retrain)
        );
        assert!(m.print().contains("retrain          ctrl-r"));
    }

    #[test]
    fn clashes_and_unknown_names_fail() {
        let e = map(&[("retrain", &["q"])]).expect_err("clash");
        assert!(e.contains("'q' is bound to both"), "{e}");
        let e = map(&[("retrian", &["r"])]).expect_err("unknown action");
        assert!(e.contains("retrian"), "{e}");
        let e = map(&[("retrain", &["hyper-r"])]).expect_err("unknown key");
        assert!(e.contains("unknown key 'hyper-r'"), "{e}");
        let e = map(&[("help", &["ctrl-c"])]).expect_err("reserved");
        assert!(e.contains("reserved"), "{e}");
    }
}
