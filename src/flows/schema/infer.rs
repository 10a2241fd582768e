//! Roles for columns that no format table names: first by conventional names, then by the
//! values seen in the sample rows.

use super::value::{Num, TimestampParser, is_unset, parse_num};
use super::{MetaField, Role};

/// Conventional column names of flow exports and ML data sets (normalised form).
pub fn role_by_name(n: &str) -> Option<(Role, Option<MetaField>)> {
    use MetaField::*;
    let r = match n {
        "timestamp" | "ts" | "time" | "datetime" | "date time" | "date" | "stime"
        | "start time" | "starttime" | "first seen" | "firstseen" | "flow start" | "time stamp"
        | "frame time epoch" => (Role::Timestamp, None),
        "label" | "labels" | "class" | "attack cat" | "attack type" | "attack" | "is attack"
        | "malicious" | "is malicious" | "target" | "outcome" | "category" => (Role::Label, None),
        "difficulty" | "difficulty level" | "detailed label" => (Role::LabelDetail, None),
        "id" | "flow id" | "uid" | "index" | "unnamed: 0" | "row id" | "record id" | "conn id"
        | "community id" => (Role::Identifier, None),
        "src ip" | "source ip" | "srcip" | "src addr" | "srcaddr" | "saddr" | "src"
        | "source address" | "ip src" | "ipv4 src addr" | "id orig h" | "src host" => {
            (Role::Address, Some(Src))
        }
        "dst ip"
        | "destination ip"
        | "dstip"
        | "dst addr"
        | "dstaddr"
        | "daddr"
        | "dst"
        | "destination address"
        | "ip dst"
        | "ipv4 dst addr"
        | "id resp h"
        | "dst host" => (Role::Address, Some(Dst)),
        "src port" | "source port" | "sport" | "srcport" | "l4 src port" | "id orig p" => {
            (Role::Port, Some(Sport))
        }
        "dst port" | "destination port" | "dport" | "dstport" | "dsport" | "l4 dst port"
        | "id resp p" => (Role::Port, Some(Dport)),
        "proto" | "protocol" | "protocol type" | "ip proto" => (Role::Categorical, Some(Proto)),
        "state" | "conn state" => (Role::Categorical, Some(State)),
        "service" => (Role::Categorical, Some(Service)),
        _ => return None,
    };
    Some(r)
}

/// Classes a label column's values as class names rather than 0/1 (used to pick which of two
/// label columns names the attack class).
pub fn is_class_column_name(n: &str) -> bool {
    matches!(
        n,
        "attack cat" | "attack type" | "category" | "detailed label" | "attack"
    )
}

fn looks_like_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// Decides a role from sample values when the name says nothing.
pub fn role_by_values(values: &[&str]) -> Role {
    let present: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !is_unset(v))
        .collect();
    if present.is_empty() {
        return Role::Numeric;
    }
    // Mostly numbers is numeric: the odd malformed cell is then rejected with its row instead of
    // turning a count column into text.
    let numbers = present
        .iter()
        .filter(|v| matches!(parse_num(v.as_bytes()), Num::Value(_) | Num::Missing))
        .count();
    if numbers * 5 >= present.len() * 4 {
        return Role::Numeric;
    }
    let ips = present.iter().filter(|v| looks_like_ip(v)).count();
    if ips * 10 >= present.len() * 8 {
        return Role::Address;
    }
    let mut ts = TimestampParser::default();
    let times = present
        .iter()
        .filter(|v| matches!(ts.parse(v.as_bytes()), Ok(Some(_))))
        .count();
    if times * 10 >= present.len() * 9 {
        return Role::Timestamp;
    }
    let mut distinct: Vec<&str> = present.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if present.len() >= 20 && distinct.len() * 10 > present.len() * 9 {
        return Role::Identifier;
    }
    Role::Categorical
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decide_the_role() {
        assert_eq!(
            role_by_values(&["1", "2.5", "-", "Infinity"]),
            Role::Numeric
        );
        assert_eq!(
            role_by_values(&["10.0.0.1", "fe80::1", "192.168.1.1"]),
            Role::Address
        );
        assert_eq!(
            role_by_values(&["2024-01-01 10:00:00", "2024-01-01 10:00:01"]),
            Role::Timestamp
        );
        assert_eq!(role_by_values(&["tcp", "udp", "tcp"]), Role::Categorical);
        let ids: Vec<String> = (0..30).map(|i| format!("C{i}x")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(role_by_values(&refs), Role::Identifier);
        assert_eq!(role_by_values(&["", "-"]), Role::Numeric);
        assert_eq!(role_by_values(&["1", "2", "3", "4", "oops"]), Role::Numeric);
        assert_eq!(role_by_values(&["1", "2", "x", "y"]), Role::Categorical);
    }

    #[test]
    fn names_decide_first() {
        assert_eq!(role_by_name("attack cat"), Some((Role::Label, None)));
        assert_eq!(
            role_by_name("dst port"),
            Some((Role::Port, Some(MetaField::Dport)))
        );
        assert_eq!(role_by_name("throughput"), None);
    }
}
