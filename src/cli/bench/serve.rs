//! `flowtop bench serve`: the HTTP service under load on loopback, in this process. A model is
//! fitted on FILE and the service started over it (no input followed, so nothing else runs);
//! then `clients` keep-alive connections send `/v1/threat` queries (flows of FILE) until
//! `requests` are answered, and two connections send `/v1/score` batches of `batch` flows.
//! The loops stop by themselves. Resident memory is sampled before and after the threat run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use flowtop::engine::runner::LiveView;
use flowtop::flows::schema::{DetectOptions, FlowRecord};
use flowtop::flows::source::Input;
use flowtop::learn::eval::read_flows;
use flowtop::learn::model::ModelSet;
use flowtop::progress::Progress;

pub struct Load {
    pub clients: usize,
    pub requests: usize,
    pub batch: usize,
    pub batches: usize,
}

#[derive(Debug, Serialize)]
pub struct ServeBench {
    pub file: String,
    pub clients: usize,
    pub threat_requests: usize,
    pub threat_per_s: f64,
    pub threat_p50_ms: f64,
    pub threat_p99_ms: f64,
    pub score_batch: usize,
    pub score_rows_per_s: f64,
    pub rss_before_mb: f64,
    pub rss_after_mb: f64,
}

/// The flow's canonical fields as a `/v1/threat` body.
fn query(f: &FlowRecord) -> String {
    let c = &f.core;
    serde_json::json!({
        "duration": c.duration, "fwd_packets": c.fwd_packets, "bwd_packets": c.bwd_packets,
        "fwd_bytes": c.fwd_bytes, "bwd_bytes": c.bwd_bytes,
        "mean_packet_size": c.mean_packet_size, "dport": f.meta.dport,
        "proto": f.meta.proto.as_deref(),
    })
    .to_string()
}

/// One request on a keep-alive connection; the status and the body's length.
async fn call(conn: &mut BufReader<TcpStream>, path: &str, body: &str) -> Result<(u16, usize)> {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok((status, length))
}

async fn connect(addr: std::net::SocketAddr) -> Result<BufReader<TcpStream>> {
    Ok(BufReader::new(TcpStream::connect(addr).await?))
}

pub fn run(input: &Input, detect: &DetectOptions, load: &Load) -> Result<ServeBench> {
    let (summary, rows) = read_flows(input, detect, &Progress::hidden())?;
    if rows.is_empty() {
        return Err(eyre!("{}: no flows", input.display_name()));
    }
    let refs: Vec<&FlowRecord> = rows.iter().collect();
    let model = Arc::new(ModelSet::fit_default(&summary.schema, &refs)?);
    let queries: Arc<Vec<String>> = Arc::new(rows.iter().map(query).collect());
    let batch: String = format!(
        "[{}]",
        queries
            .iter()
            .cycle()
            .take(load.batch)
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut view = LiveView::new(input.display_name(), false);
    view.model = Some(model);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (_views, rx) = tokio::sync::watch::channel(Arc::new(view));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let service =
            flowtop::serve::Service::detached(rx, None, flowtop::learn::threat::Bands::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(flowtop::serve::run(listener, service, async {
            let _ = stopped.await;
        }));
        let per_client = load.requests.div_ceil(load.clients.max(1));
        // The bench's own records are made (and written) before the first sample, so the two
        // samples differ by what the service holds.
        let records: Vec<Vec<Duration>> = (0..load.clients.max(1))
            .map(|_| vec![Duration::ZERO; per_client])
            .collect();
        let rss_before = crate::cli::bench::soak::rss_mb().unwrap_or(f64::NAN);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (c, mut latencies) in records.into_iter().enumerate() {
            let queries = queries.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn = connect(addr).await?;
                for i in 0..per_client {
                    let q = &queries[(c * per_client + i) % queries.len()];
                    let t = Instant::now();
                    let (status, _) = call(&mut conn, "/v1/threat", q).await?;
                    if status != 200 {
                        return Err(eyre!("/v1/threat answered {status}"));
                    }
                    latencies[i] = t.elapsed();
                }
                Ok::<_, color_eyre::Report>(latencies)
            }));
        }
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await??);
        }
        let threat_s = start.elapsed().as_secs_f64();
        let rss_after = crate::cli::bench::soak::rss_mb().unwrap_or(f64::NAN);
        let mut latencies: Vec<Duration> = done.into_iter().flatten().collect();
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
        };
        let start = Instant::now();
        let mut scorers = Vec::new();
        for _ in 0..2 {
            let batch = batch.clone();
            let n = load.batches.div_ceil(2);
            scorers.push(tokio::spawn(async move {
                let mut conn = connect(addr).await?;
                for _ in 0..n {
                    let (status, _) = call(&mut conn, "/v1/score", &batch).await?;
                    if status != 200 {
                        return Err(eyre!("/v1/score answered {status}"));
                    }
                }
                Ok::<_, color_eyre::Report>(n)
            }));
        }
        let mut sent = 0;
        for t in scorers {
            sent += t.await??;
        }
        let score_s = start.elapsed().as_secs_f64();
        let _ = stop.send(());
        let _ = server.await;
        Ok(ServeBench {
            file: input.display_name(),
            clients: load.clients,
            threat_requests: latencies.len(),
            threat_per_s: latencies.len() as f64 / threat_s,
            threat_p50_ms: at(0.5),
            threat_p99_ms: at(0.99),
            score_batch: load.batch,
            score_rows_per_s: (sent * load.batch) as f64 / score_s,
            rss_before_mb: rss_before,
            rss_after_mb: rss_after,
        })
    })
}

pub fn render_text(b: &ServeBench) -> String {
    format!(
        "{}: /v1/threat {} requests from {} clients: {:.0} requests/s, latency p50 {:.2} ms, p99 {:.2} ms\n\
         /v1/score batches of {}: {:.0} rows/s\n\
         resident memory {:.0} MB before the threat run, {:.0} MB after\n",
        b.file,
        b.threat_requests,
        b.clients,
        b.threat_per_s,
        b.threat_p50_ms,
        b.threat_p99_ms,
        b.score_batch,
        b.score_rows_per_s,
        b.rss_before_mb,
        b.rss_after_mb,
    )
}
