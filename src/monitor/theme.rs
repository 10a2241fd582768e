//! Themes: TOML files of named slots (`anomaly-high`, `focus-border` …), each a foreground,
//! background and modifiers, using the 16 ANSI colours so the terminal's palette applies.
//! `dark`, `light` and `mono` are built in; any other name is read as a file path. Every slot
//! must be present and every name valid, so a bad theme fails before the terminal is touched.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

crate::message_error!(
    /// A theme that cannot be used: not found, not TOML, an unknown slot, colour or modifier.
    ThemeError
);

/// Every slot a theme defines, by meaning. The UI names slots by this type, so a misspelt
/// slot does not compile (it used to fall back to the default style unnoticed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Text,
    Muted,
    Title,
    Border,
    FocusBorder,
    StatusBar,
    StatusWarning,
    Selection,
    AnomalyLow,
    AnomalyMedium,
    AnomalyHigh,
    Consensus,
    VoteYes,
    VoteNo,
    Series,
    Forecast,
    ForecastBand,
    Error,
}

impl Slot {
    pub const ALL: [Slot; 18] = [
        Slot::Text,
        Slot::Muted,
        Slot::Title,
        Slot::Border,
        Slot::FocusBorder,
        Slot::StatusBar,
        Slot::StatusWarning,
        Slot::Selection,
        Slot::AnomalyLow,
        Slot::AnomalyMedium,
        Slot::AnomalyHigh,
        Slot::Consensus,
        Slot::VoteYes,
        Slot::VoteNo,
        Slot::Series,
        Slot::Forecast,
        Slot::ForecastBand,
        Slot::Error,
    ];

    /// The slot's key in a theme file.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Text => "text",
            Slot::Muted => "muted",
            Slot::Title => "title",
            Slot::Border => "border",
            Slot::FocusBorder => "focus-border",
            Slot::StatusBar => "status-bar",
            Slot::StatusWarning => "status-warning",
            Slot::Selection => "selection",
            Slot::AnomalyLow => "anomaly-low",
            Slot::AnomalyMedium => "anomaly-medium",
            Slot::AnomalyHigh => "anomaly-high",
            Slot::Consensus => "consensus",
            Slot::VoteYes => "vote-yes",
            Slot::VoteNo => "vote-no",
            Slot::Series => "series",
            Slot::Forecast => "forecast",
            Slot::ForecastBand => "forecast-band",
            Slot::Error => "error",
        }
    }

    fn parse(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }
}

const BUILT_IN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    slots: BTreeMap<Slot, Style>,
}

impl Theme {
    /// The style of a slot; a theme is checked to define every slot when it is loaded.
    pub fn style(&self, slot: Slot) -> Style {
        self.slots.get(&slot).copied().unwrap_or_default()
    }

    /// The same theme with every colour removed and the modifiers kept (`--color never`,
    /// `NO_COLOR`); themes carry meaning in modifiers too, so nothing is lost.
    pub fn without_colour(mut self) -> Theme {
        for style in self.slots.values_mut() {
            if style.bg.is_some() {
                // A coloured background marked the slot (status bar, selection): keep it visible.
                *style = style.add_modifier(Modifier::REVERSED);
            }
            style.fg = None;
            style.bg = None;
        }
        self
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return parse(text, name_or_path);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<_> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(ThemeError::new(format!(
                "unknown theme '{name_or_path}': built-in themes are {}, or give a path to a TOML file",
                names.join(", ")
            )));
        }
        let text = crate::files::read_regular(path, 1 << 20)
            .map_err(|e| format!("{name_or_path}: cannot read the theme: {e}"))?;
        parse(&text, name_or_path)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    slots: BTreeMap<String, SlotFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotFile {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
    let file: ThemeFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    let mut slots = BTreeMap::new();
    for (name, s) in file.slots {
        let Some(slot) = Slot::parse(&name) else {
            let known: Vec<&str> = Slot::ALL.iter().map(|s| s.name()).collect();
            return Err(ThemeError::new(format!(
                "{origin}: unknown theme slot '{name}'; slots are {}",
                known.join(", ")
            )));
        };
        let style = slot_style(&s).map_err(|e| format!("{origin}: slot '{name}': {e}"))?;
        slots.insert(slot, style);
    }
    if let Some(missing) = Slot::ALL.iter().find(|s| !slots.contains_key(*s)) {
        return Err(ThemeError::new(format!(
            "{origin}: theme slot '{}' is missing",
            missing.name()
        )));
    }
    Ok(Theme {
        name: file.name,
        slots,
    })
}

fn slot_style(s: &SlotFile) -> Result<Style, ThemeError> {
    let mut style = Style::default();
    if let Some(fg) = &s.fg {
        style = style.fg(color(fg)?);
    }
    if let Some(bg) = &s.bg {
        style = style.bg(color(bg)?);
    }
    for m in &s.modifiers {
        style = style.add_modifier(modifier(m)?);
    }
    Ok(style)
}

fn color(name: &str) -> Result<Color, ThemeError> {
    Ok(match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        "default" | "reset" => Color::Reset,
        _ => {
            return Err(ThemeError::new(format!(
                "unknown colour '{name}' (use the 16 ANSI colour names, e.g. light-red, dark-gray)"
            )));
        }
    })
}

fn modifier(name: &str) -> Result<Modifier, ThemeError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        _ => {
            return Err(ThemeError::new(format!(
                "unknown modifier '{name}' (bold, dim, italic, underlined, reversed, crossed-out)"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_load_and_define_every_slot() {
        for name in ["dark", "light", "mono"] {
            let t = Theme::load(name).expect(name);
            assert_eq!(t.name, name);
        }
        let dark = Theme::load("dark").expect("dark");
        assert_eq!(dark.style(Slot::AnomalyHigh).fg, Some(Color::LightRed));
        assert!(
            dark.style(Slot::AnomalyHigh)
                .add_modifier
                .contains(Modifier::BOLD)
        );
        // Meaning without colour: mono carries it in modifiers.
        let mono = Theme::load("mono").expect("mono");
        assert_eq!(mono.style(Slot::AnomalyHigh).fg, None);
        assert!(
            mono.style(Slot::AnomalyHigh)
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
    }

    /// The light theme writes nothing in ANSI 7 (light grey) or white on the terminal's own
    /// light background: muted text and borders were unreadable.
    #[test]
    fn the_light_theme_has_no_light_text_on_the_background() {
        let light = Theme::load("light").expect("light");
        for slot in [
            Slot::Text,
            Slot::Muted,
            Slot::Title,
            Slot::Border,
            Slot::FocusBorder,
            Slot::VoteNo,
            Slot::Series,
        ] {
            let s = light.style(slot);
            assert!(s.bg.is_none(), "{slot:?} keeps the terminal's background");
            assert!(
                !matches!(s.fg, Some(Color::Gray | Color::White | Color::LightYellow)),
                "{slot:?}: {:?} on a light background",
                s.fg
            );
        }
    }

    #[test]
    fn bad_themes_are_explained() {
        assert!(
            Theme::load("solarized")
                .expect_err("unknown")
                .contains("unknown theme 'solarized'")
        );
        let dark = include_str!("../../themes/dark.toml");
        let e = parse(&dark.replace("light-red", "crimson"), "t.toml").expect_err("bad colour");
        assert!(e.contains("unknown colour 'crimson'"), "{e}");
        let e =
            parse(&dark.replace("\"bold\"", "\"blink-fast\""), "t.toml").expect_err("bad modifier");
        assert!(e.contains("unknown modifier 'blink-fast'"), "{e}");
        let e = parse(&dark.replace("error = ", "eror = "), "t.toml").expect_err("bad slot");
        assert!(e.contains("unknown theme slot 'eror'"), "{e}");
        let e = parse(
            &dark.replace("vote-no = { fg = \"dark-gray\" }\n", ""),
            "t.toml",
        )
        .expect_err("missing slot");
        assert!(e.contains("slot 'vote-no' is missing"), "{e}");
    }

    #[test]
    fn a_user_theme_by_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("mine.toml");
        std::fs::write(
            &p,
            include_str!("../../themes/light.toml").replace("name = \"light\"", "name = \"mine\""),
        )
        .expect("write");
        assert_eq!(
            Theme::load(&p.display().to_string()).expect("load").name,
            "mine"
        );
    }
}
