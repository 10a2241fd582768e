//! Who talks: top-N statistics over sources, destinations, ports, protocols, services and
//! conversations, and beacons (pairs that connect at a steady rhythm), each with bounded
//! memory.

pub mod beacon;
pub mod top;

/// A TCP flow from `src` to `dst`:`dport`, with no counts yet, for the tests here.
#[cfg(test)]
fn test_flow(
    src: &str,
    dst: &str,
    dport: u16,
    ts: Option<f64>,
) -> crate::flows::schema::FlowRecord {
    use crate::flows::schema::{FlowMeta, FlowRecord, Text};
    FlowRecord {
        line: 1,
        ts,
        values: Vec::new(),
        categories: Default::default(),
        core: Default::default(),
        suspect: 0,
        meta: FlowMeta {
            src: Some(Text::from(src)),
            dst: Some(Text::from(dst)),
            dport: Some(dport),
            proto: Some(Text::from("tcp")),
            ..Default::default()
        },
        label: None,
    }
}
