//! User-supplied column roles: `--map role=column,…` or `[input.map]` in the config file.
//! They override whatever detection decided, for any format.

use super::SchemaError;
use serde::Serialize;

use super::{CoreField, MetaField, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MapRole {
    Role(Role),
    /// The attack class name column, when a separate column holds the 0/1 label.
    Class,
    Meta(MetaField),
    Core(CoreField),
}

impl MapRole {
    pub fn parse(s: &str) -> Result<MapRole, SchemaError> {
        let r = match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "timestamp" | "time" | "ts" => MapRole::Role(Role::Timestamp),
            "label" => MapRole::Role(Role::Label),
            "class" | "attack-class" => MapRole::Class,
            "label-detail" => MapRole::Role(Role::LabelDetail),
            "id" | "identifier" => MapRole::Role(Role::Identifier),
            "ignore" | "ignored" | "drop" => MapRole::Role(Role::Ignored),
            "numeric" => MapRole::Role(Role::Numeric),
            "categorical" => MapRole::Role(Role::Categorical),
            "src" => MapRole::Meta(MetaField::Src),
            "dst" => MapRole::Meta(MetaField::Dst),
            "sport" => MapRole::Meta(MetaField::Sport),
            "dport" => MapRole::Meta(MetaField::Dport),
            "proto" => MapRole::Meta(MetaField::Proto),
            "service" => MapRole::Meta(MetaField::Service),
            "state" => MapRole::Meta(MetaField::State),
            other => match CoreField::ALL.iter().find(|c| c.name() == other) {
                Some(c) => MapRole::Core(*c),
                None => {
                    return Err(SchemaError::new(format!(
                        "unknown column role '{s}'; roles: timestamp, label, class, label-detail, id, ignore, numeric, \
                         categorical, src, dst, sport, dport, proto, service, state, duration, fwd-packets, bwd-packets, \
                         fwd-bytes, bwd-bytes, packets, bytes, mean-packet-size"
                    )));
                }
            },
        };
        Ok(r)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ColumnMap {
    pub entries: Vec<(MapRole, String)>,
}

impl ColumnMap {
    /// Parses one `--map` argument: `role=column[,role=column…]`.
    pub fn add_arg(&mut self, arg: &str) -> Result<(), SchemaError> {
        for part in arg.split(',').filter(|p| !p.trim().is_empty()) {
            let (role, col) = part.split_once('=').ok_or_else(|| {
                format!("invalid --map entry '{part}': expected role=column, e.g. label=attack_cat")
            })?;
            if col.trim().is_empty() {
                return Err(SchemaError::new(format!(
                    "invalid --map entry '{part}': the column name is empty"
                )));
            }
            self.entries
                .push((MapRole::parse(role)?, col.trim().to_string()));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Finds a column by exact name, by normalised name, or by 1-based position (`#3`).
    pub fn resolve(names: &[String], wanted: &str) -> Option<usize> {
        if let Some(i) = names.iter().position(|n| n == wanted) {
            return Some(i);
        }
        let w = super::names::normalize(wanted);
        if let Some(i) = names.iter().position(|n| super::names::normalize(n) == w) {
            return Some(i);
        }
        let pos = wanted.strip_prefix('#')?.parse::<usize>().ok()?;
        (1..=names.len()).contains(&pos).then(|| pos - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries() {
        let mut m = ColumnMap::default();
        m.add_arg("timestamp=time,label=y").expect("valid");
        m.add_arg("bytes_sent=fwd").expect_err("unknown role");
        m.add_arg("fwd-bytes=bytes_sent").expect("valid");
        assert_eq!(
            m.entries,
            vec![
                (MapRole::Role(Role::Timestamp), "time".into()),
                (MapRole::Role(Role::Label), "y".into()),
                (MapRole::Core(CoreField::FwdBytes), "bytes_sent".into()),
            ]
        );
        assert!(m.add_arg("label").is_err());
        assert!(m.add_arg("label=").is_err());
    }

    #[test]
    fn resolves_columns() {
        let names: Vec<String> = ["Flow Duration", "Label", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(ColumnMap::resolve(&names, "flow_duration"), Some(0));
        assert_eq!(ColumnMap::resolve(&names, "Label"), Some(1));
        assert_eq!(ColumnMap::resolve(&names, "#3"), Some(2));
        assert_eq!(ColumnMap::resolve(&names, "#4"), None);
        assert_eq!(ColumnMap::resolve(&names, "nope"), None);
    }
}
