//! Explainable signals on the canonical core fields. Each returns its points and a sentence;
//! each is monotone in the quantity it names, so an operator can predict how a flow moves.

use super::{Signal, ThreatInput};

/// Ports that are rarely legitimate across a perimeter: remote shells, file sharing, remote
/// desktops, databases, and the defaults of common backdoors.
const RISKY_PORTS: [(u16, &str, f64); 15] = [
    (21, "FTP", 8.0),
    (23, "Telnet", 12.0),
    (135, "MS RPC", 10.0),
    (139, "NetBIOS", 10.0),
    (445, "SMB", 12.0),
    (1433, "MS SQL", 10.0),
    (2323, "Telnet (IoT)", 12.0),
    (3306, "MySQL", 8.0),
    (3389, "RDP", 12.0),
    (4444, "Metasploit default", 20.0),
    (5555, "ADB", 12.0),
    (5900, "VNC", 12.0),
    (6667, "IRC (botnet C2)", 18.0),
    (12345, "NetBus backdoor", 20.0),
    (31337, "Back Orifice", 20.0),
];

/// Zeek `conn_state`, KDD `flag` and Argus `State` values for connections that were refused,
/// never answered or left half-open.
const REFUSED_STATES: [(&str, &str); 10] = [
    ("REJ", "rejected"),
    ("S0", "no reply to the SYN"),
    ("RSTOS0", "SYN then reset by the originator"),
    ("RSTRH", "reset by the responder before the handshake"),
    ("SH", "SYN and FIN without a SYN-ACK"),
    ("SHR", "responder SYN-ACK and FIN, no originator SYN"),
    ("OTH", "midstream, no SYN seen"),
    ("REQ", "request without a reply"),
    ("INT", "initial packets only, no reply"),
    ("RST", "reset"),
];

pub fn all(q: &ThreatInput) -> Vec<Signal> {
    [
        byte_asymmetry(q),
        no_reply(q),
        tiny_packets_fast(q),
        long_and_quiet(q),
        risky_port(q),
        refused(q),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Ports of internal infrastructure whose traffic is lopsided by nature (name lookups, `NetBIOS`
/// announcements, Kerberos tickets, directory queries): big one-way volumes to them are not
/// data leaving the network.
const INFRASTRUCTURE_PORTS: [u16; 10] = [53, 67, 68, 88, 123, 137, 138, 139, 389, 3268];

/// Much more data one way than the other in a flow of some size: the source uploading
/// (exfiltration or a bulk upload) or the destination sending (a payload or a download).
/// 0 points at a 10:1 ratio, 15 at 1000:1 and beyond. Needs both directions measured; silent
/// towards broadcast and multicast and towards internal infrastructure services.
fn byte_asymmetry(q: &ThreatInput) -> Option<Signal> {
    let (f, b) = (q.core.fwd_bytes?, q.core.bwd_bytes?);
    if f + b < 1000.0 || to_infrastructure(q) {
        return None;
    }
    let ratio = (f.max(b) + 1.0) / (f.min(b) + 1.0);
    let points = 15.0 * ((ratio.log10() - 1.0) / 2.0).clamp(0.0, 1.0);
    (points > 0.0).then(|| {
        let (name, way) = if f >= b {
            ("byte-asymmetry", "mostly sent by the source")
        } else {
            ("byte-asymmetry-in", "mostly sent by the destination")
        };
        Signal::new(
            name,
            points,
            format!("{ratio:.0}:1 byte asymmetry ({f:.0} B out, {b:.0} B back), {way}"),
        )
    })
}

/// Traffic to broadcast or multicast, or to a private address on an infrastructure port.
fn to_infrastructure(q: &ThreatInput) -> bool {
    let dst = q.dst.as_deref();
    dst.is_some_and(is_group_address)
        || (q.dport.is_some_and(|p| INFRASTRUCTURE_PORTS.contains(&p))
            && dst.is_none_or(is_private_address))
}

/// RFC 1918, loopback, link-local and IPv6 unique-local addresses.
fn is_private_address(a: &str) -> bool {
    match a.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

/// Several packets out and nothing back: a scan probe or a flood towards a dead host.
/// 8 points at 2 packets, 15 at 20 and more.
fn no_reply(q: &ThreatInput) -> Option<Signal> {
    let (f, b) = (q.core.fwd_packets?, q.core.bwd_packets?);
    // Broadcast and multicast traffic (NetBIOS, mDNS, SSDP) is never answered to the sender.
    if b > 0.0 || f < 2.0 || q.dst.as_deref().is_some_and(is_group_address) {
        return None;
    }
    let points = 8.0 + 7.0 * ((f / 2.0).log10()).clamp(0.0, 1.0);
    Some(Signal::new(
        "no-reply",
        points,
        format!("{f:.0} packets sent, none answered"),
    ))
}

/// Many small packets at a high rate: SYN/UDP floods and fast scans.
/// Below 100 B mean size and 10 packets: 0 points at 100 packets/s, 20 at 10,000 and beyond.
fn tiny_packets_fast(q: &ThreatInput) -> Option<Signal> {
    let packets = q.core.packets?;
    let size = q.core.mean_packet_size?;
    let duration = q.core.duration?;
    if packets < 10.0 || size >= 100.0 {
        return None;
    }
    // A flow shorter than a millisecond is counted as one millisecond.
    let rate = packets / duration.max(1e-3);
    let points = 20.0 * ((rate.log10() - 2.0) / 2.0).clamp(0.0, 1.0);
    (points > 0.0).then(|| {
        Signal::new(
            "tiny-packets-fast",
            points,
            format!("{rate:.0} packets/s of {size:.0} B on average"),
        )
    })
}

/// A connection held open for a long time with little data: beaconing, a C2 keep-alive or a
/// slow exfiltration. At least 5 minutes under 50 B/s: 10 points, up to 15 at 50 minutes.
fn long_and_quiet(q: &ThreatInput) -> Option<Signal> {
    let duration = q.core.duration?;
    let bytes = q.core.bytes?;
    if duration < 300.0 || bytes / duration >= 50.0 {
        return None;
    }
    let points = 10.0 + 5.0 * (duration / 300.0).log10().clamp(0.0, 1.0);
    Some(Signal::new(
        "long-and-quiet",
        points,
        format!(
            "open {:.0} min with {:.1} B/s",
            duration / 60.0,
            bytes / duration
        ),
    ))
}

fn risky_port(q: &ThreatInput) -> Option<Signal> {
    let port = q.dport?;
    let &(_, service, points) = RISKY_PORTS.iter().find(|(p, _, _)| *p == port)?;
    Some(Signal::new(
        "risky-port",
        points,
        format!("destination port {port} ({service})"),
    ))
}

/// IPv4 broadcast (x.x.x.255, 255.255.255.255) or multicast (224/4), IPv6 multicast (`ff00::/8`).
fn is_group_address(a: &str) -> bool {
    if let Ok(ip) = a.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_multicast() || v4.is_broadcast() || v4.octets()[3] == 255
            }
            std::net::IpAddr::V6(v6) => v6.is_multicast(),
        };
    }
    false
}

/// Connection states describe TCP handshakes; for UDP and ICMP "no reply" says it already.
fn refused(q: &ThreatInput) -> Option<Signal> {
    if q.proto
        .as_deref()
        .is_some_and(|p| !p.eq_ignore_ascii_case("tcp"))
    {
        return None;
    }
    let state = q.state.as_deref()?.trim();
    let &(name, meaning) = REFUSED_STATES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(state))?;
    Some(Signal::new(
        "refused",
        12.0,
        format!("connection state {name}: {meaning}"),
    ))
}

/// Recommendations for the signals present, in the order of the reasons.
pub fn recommend(signal: &str, src: &str, dst: &str, port: Option<u16>) -> Option<String> {
    Some(match signal {
        "consensus" => format!(
            "the detectors rank {src} → {dst} among the most unusual flows of the training window: compare its top deviations with {src}'s usual traffic"
        ),
        "classifier" => {
            "compare with the classifier's predicted class and confirm with the payload".into()
        }
        "byte-asymmetry" => format!(
            "check {src} for data exfiltration to {dst}; capture full packets for this pair"
        ),
        "byte-asymmetry-in" => format!(
            "check what {src} received from {dst} (a payload, a tool download, staging); capture full packets for this pair"
        ),
        "no-reply" => format!(
            "look for other hosts {src} probes (scan); rate-limit or block {src} if it continues"
        ),
        "tiny-packets-fast" => {
            format!("possible flood from {src}: rate-limit or block {src} upstream of {dst}")
        }
        "long-and-quiet" => {
            format!("check {src} for beaconing to {dst}: regular intervals, constant sizes")
        }
        "risky-port" => match port {
            Some(p) => format!(
                "confirm that port {p} is meant to be reachable on {dst}; block it at the perimeter if not"
            ),
            None => return None,
        },
        "refused" => format!(
            "repeated refused or half-open connections from {src} suggest scanning: block {src} if they continue"
        ),
        _ => return None,
    })
}
