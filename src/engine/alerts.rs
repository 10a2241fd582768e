//! Alert delivery beside the screen and the API: every new feed row appended to a JSON-lines
//! file (the export's JSON) and/or sent to the local syslog socket as an RFC 5424 message.
//! Both are written on the engine thread as rows appear; a write that fails is counted and
//! said once, and never stops the engine.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::AnomalyEvent;
use super::export::json_row;
use crate::learn::detect::DetectorKind;
use crate::learn::threat::Level;

/// Where alerts go besides the feed.
#[derive(Debug, Clone, Default)]
pub struct AlertConfig {
    /// Appended to, one JSON object per line.
    pub jsonl: Option<PathBuf>,
    /// A syslog datagram socket (`/dev/log`).
    pub syslog: Option<PathBuf>,
}

impl AlertConfig {
    pub fn any(&self) -> bool {
        self.jsonl.is_some() || self.syslog.is_some()
    }
}

pub struct AlertOutputs {
    jsonl: Option<std::io::BufWriter<std::fs::File>>,
    syslog: Option<(UnixDatagram, PathBuf)>,
    host: String,
    pub delivered: u64,
    pub failed: u64,
}

fn open_jsonl(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

impl AlertOutputs {
    /// Opens what `cfg` names; an error says which output.
    pub fn open(cfg: &AlertConfig) -> Result<AlertOutputs, String> {
        let jsonl = match &cfg.jsonl {
            Some(p) => Some(std::io::BufWriter::new(open_jsonl(p).map_err(|e| {
                format!("{}: cannot open the alerts file: {e}", p.display())
            })?)),
            None => None,
        };
        let syslog = match &cfg.syslog {
            Some(p) => {
                let s = UnixDatagram::unbound()
                    .and_then(|s| s.connect(p).map(|()| s))
                    .map_err(|e| format!("{}: cannot reach syslog: {e}", p.display()))?;
                Some((s, p.clone()))
            }
            None => None,
        };
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or_else(|| "-".into());
        Ok(AlertOutputs {
            jsonl,
            syslog,
            host,
            delivered: 0,
            failed: 0,
        })
    }

    /// Writes `rows` (oldest first) to every output.
    pub fn deliver(&mut self, rows: &[Arc<AnomalyEvent>], detectors: &[DetectorKind]) {
        if rows.is_empty() {
            return;
        }
        if let Some(w) = &mut self.jsonl {
            let mut ok = true;
            for r in rows {
                let line = json_row(r, detectors).to_string();
                ok &= writeln!(w, "{}", crate::sanitize::json(&line)).is_ok();
            }
            ok &= w.flush().is_ok();
            self.count(ok, rows.len());
        }
        if let Some((socket, _)) = &self.syslog {
            let mut ok = true;
            for r in rows {
                ok &= socket.send(syslog_line(r, &self.host).as_bytes()).is_ok();
            }
            self.count(ok, rows.len());
        }
    }

    fn count(&mut self, ok: bool, n: usize) {
        if ok {
            self.delivered += n as u64;
        } else {
            self.failed += n as u64;
        }
    }
}

/// RFC 5424: `<PRI>1 TIMESTAMP HOST flowtop PID alert - MSG`, facility local0, severity by the
/// threat level; the message is one escaped line.
pub fn syslog_line(r: &AnomalyEvent, host: &str) -> String {
    let severity = match r.threat.level {
        Level::High => 3,
        Level::Medium => 4,
        Level::Low => 5,
    };
    let micros = (crate::learn::model::now_s() * 1e6) as i64;
    let now = chrono::DateTime::from_timestamp_micros(micros).map_or_else(
        || "-".to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    );
    let end = |a: &Option<crate::flows::schema::Text>, p: Option<u16>| {
        let a = a.as_deref().unwrap_or("?");
        p.map_or_else(|| a.to_string(), |p| format!("{a}:{p}"))
    };
    let msg = format!(
        "threat {:.0} {} {} -> {}{} consensus {:.3} line {}",
        r.threat.score,
        r.threat.level.name(),
        end(&r.src, r.sport),
        end(&r.dst, r.dport),
        r.proto
            .as_deref()
            .map_or_else(String::new, |p| format!("/{p}")),
        r.score,
        r.line
    );
    format!(
        "<{}>1 {now} {host} flowtop {} alert - {}",
        16 * 8 + severity,
        std::process::id(),
        crate::sanitize::text(&msg).replace('\n', " ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses are the sender's text: a terminal escape or a bidi control in one is escaped,
    /// and the priority is local0 with the level's severity.
    #[test]
    fn a_syslog_line_is_one_escaped_rfc5424_message() {
        let view = crate::monitor::ui::fixture::view();
        let mut row = (*view.snapshot.feed[0]).clone();
        row.src = Some("10.0.0.1\u{1b}[2J\u{202e}\nforged".into());
        row.threat.level = Level::High;
        let line = syslog_line(&row, "sensor-1");
        assert!(line.starts_with("<131>1 "), "{line}");
        assert!(line.contains(" sensor-1 flowtop "), "{line}");
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{202e}') && !line.contains('\n'),
            "{line:?}"
        );
        assert!(line.contains("10.0.0.1"), "{line}");
    }
}
