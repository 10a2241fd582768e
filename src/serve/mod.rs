//! `flowtop serve`: the live engine without a terminal, answering over HTTP. The engine runs
//! on its own thread exactly as under the monitor; its views are published into a `watch`
//! channel the handlers read, and commands (retrain) go to it through the same
//! `EngineCommand`s the monitor's keys send; queries and batches are answered from the model
//! the view carries, off the engine thread. tokio and axum carry the network side only.
//!
//! Safe by default: the caller refuses a non-loopback address without a token
//! (`check_listen`); with a token every endpoint but the health checks wants
//! `Authorization: Bearer …`, compared in constant time; bodies are capped at `MAX_BODY`,
//! requests at `REQUEST_TIMEOUT`; nothing writes a path taken from a request.

mod events;
pub mod metrics;
mod score;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use crate::engine::runner::{EngineCommand, EngineHandle, LiveView};
use crate::engine::{ModelState, Snapshot};
use crate::learn::threat::{Bands, ThreatQuery};

/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;
/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most feed rows `/v1/snapshot` returns, whatever is asked.
pub const MAX_FEED: usize = 1000;

crate::message_error!(
    /// An address the service will not listen on as configured.
    ListenError
);

/// Loopback is always allowed; any other address only with a token.
pub fn check_listen(addr: SocketAddr, has_token: bool) -> Result<(), ListenError> {
    if addr.ip().is_loopback() || has_token {
        Ok(())
    } else {
        Err(ListenError::new(format!(
            "refusing to listen on {addr} without --token-file: anyone who can reach it could \
             read the flows and retrain the models"
        )))
    }
}

struct Inner {
    view: watch::Receiver<Arc<LiveView>>,
    /// `None` when serving a loaded model without input (`Service::detached`).
    engine: Option<EngineHandle>,
    token: Option<String>,
    /// The threat levels' bounds, for rows scored outside the engine.
    bands: Bands,
    /// Set when the service stops, so event streams end and shutdown is not held up.
    stopping: watch::Sender<bool>,
}

/// What the handlers share.
#[derive(Clone)]
pub struct Service(Arc<Inner>);

impl Service {
    pub fn new(
        view: watch::Receiver<Arc<LiveView>>,
        engine: EngineHandle,
        token: Option<String>,
        bands: Bands,
    ) -> Service {
        Service::with(view, Some(engine), token, bands)
    }

    /// A service over a model and no input: it answers threat queries and scores batches;
    /// the snapshot stays as given and a retrain is refused.
    pub fn detached(
        view: watch::Receiver<Arc<LiveView>>,
        token: Option<String>,
        bands: Bands,
    ) -> Service {
        Service::with(view, None, token, bands)
    }

    fn with(
        view: watch::Receiver<Arc<LiveView>>,
        engine: Option<EngineHandle>,
        token: Option<String>,
        bands: Bands,
    ) -> Service {
        Service(Arc::new(Inner {
            view,
            engine,
            token,
            bands,
            stopping: watch::Sender::new(false),
        }))
    }

    fn view(&self) -> Arc<LiveView> {
        self.0.view.borrow().clone()
    }

    /// Hands a command to the engine thread without holding up the runtime (its channel is
    /// bounded and may be full of flows).
    /// False when there is no engine to send to.
    async fn send(&self, cmd: EngineCommand) -> bool {
        if self.0.engine.is_none() {
            return false;
        }
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(e) = &me.0.engine {
                e.send(cmd);
            }
        })
        .await;
        true
    }
}

/// The routes, with authentication, body limit and timeout.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/v1/model", get(model))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/retrain", post(retrain))
        .route("/v1/threat", post(threat))
        .route("/v1/score", post(score::score))
        .route("/v1/events", get(events::events))
        .layer(middleware::from_fn_with_state(service.clone(), authorise))
        .layer(middleware::from_fn(time_limit))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(service)
}

/// Serves until `shutdown` completes; requests in flight finish first.
pub async fn run(
    listener: tokio::net::TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = service.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.0.stopping.send_replace(true);
    };
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A JSON response, terminal-safe (`sanitize::json`): these bodies carry addresses and
/// labels from the flows, and are often read with `curl` in a terminal.
fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(text) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            crate::sanitize::json(&text).into_owned(),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(
        status,
        &serde_json::json!({ "error": crate::sanitize::text(&message.into()) }),
    )
}

async fn authorise(
    State(s): State<Service>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    let open = matches!(req.uri().path(), "/healthz" | "/readyz");
    if let (Some(token), false) = (&s.0.token, open) {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .unwrap_or_default();
        if !bool::from(given.ct_eq(token.as_bytes())) {
            let mut r = error(StatusCode::UNAUTHORIZED, "a bearer token is required");
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(req).await
}

async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the request took too long"),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(s): State<Service>) -> Response {
    let v = s.view();
    match &v.snapshot.model {
        ModelState::Ready => (StatusCode::OK, "ready\n").into_response(),
        state => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "ready": false, "model": state }),
        ),
    }
}

async fn metrics_text(State(s): State<Service>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        metrics::render(&s.view()),
    )
        .into_response()
}

/// `/v1/model`: what the model in use is.
#[derive(Serialize)]
struct ModelInfo<'a> {
    model: &'a ModelState,
    generation: u64,
    trained_at: Option<f64>,
    model_age_flows: u64,
    retraining: Option<&'a crate::engine::snapshot::JobState>,
    budget: Option<&'a crate::learn::detect::Budget>,
    detectors: &'a [crate::engine::snapshot::DetectorState],
    classifier: Option<&'a crate::engine::snapshot::ClassifierView>,
    classifier_note: Option<&'a str>,
}

async fn model(State(s): State<Service>) -> Response {
    let v = s.view();
    let snap = &v.snapshot;
    json(
        StatusCode::OK,
        &ModelInfo {
            model: &snap.model,
            generation: snap.generation,
            trained_at: snap.trained_at,
            model_age_flows: snap.model_age_flows,
            retraining: snap.retraining.as_ref(),
            budget: snap.budget.as_ref(),
            detectors: &snap.detectors,
            classifier: snap.classifier.as_ref(),
            classifier_note: snap.classifier_note.as_deref(),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotQuery {
    /// Newest feed rows to include (default 100, at most `MAX_FEED`).
    feed: Option<usize>,
}

/// One series' latest forecast, or why there is none.
#[derive(Serialize)]
struct SeriesForecastBody<'a> {
    series: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    forecast: Option<&'a crate::engine::forecaster::SeriesForecast>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable: Option<&'a str>,
}

#[derive(Serialize)]
struct SnapshotBody<'a> {
    source: &'a str,
    format: Option<&'a str>,
    finished: bool,
    failed: Option<&'a str>,
    flows_per_s: f64,
    rejects: &'a [String],
    /// The latest ARIMA forecast of each series (empty until enough buckets have closed).
    forecasts: Vec<SeriesForecastBody<'a>>,
    #[serde(flatten)]
    snapshot: Snapshot,
}

async fn snapshot(State(s): State<Service>, Query(q): Query<SnapshotQuery>) -> Response {
    let v = s.view();
    let mut snapshot = v.snapshot.clone();
    snapshot.feed.truncate(q.feed.unwrap_or(100).min(MAX_FEED));
    let forecasts = v.forecasts.as_ref().map_or_else(Vec::new, |(_, fc)| {
        crate::engine::SeriesKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let r = fc.get(kind.index())?;
                Some(SeriesForecastBody {
                    series: kind.name(),
                    forecast: r.as_ref().ok(),
                    unavailable: r.as_ref().err().map(String::as_str),
                })
            })
            .collect()
    });
    json(
        StatusCode::OK,
        &SnapshotBody {
            source: &v.source,
            format: v.format.as_deref(),
            finished: v.finished,
            failed: v.failed.as_deref(),
            flows_per_s: v.flows_per_s,
            rejects: &v.rejects,
            forecasts,
            snapshot,
        },
    )
}

async fn retrain(State(s): State<Service>) -> Response {
    if !s.send(EngineCommand::Retrain).await {
        return error(
            StatusCode::CONFLICT,
            "serving a model without input: there is no window to retrain on",
        );
    }
    json(
        StatusCode::ACCEPTED,
        &serde_json::json!({ "retraining": true }),
    )
}

/// `/v1/threat`: the `flowtop threat` query as JSON, answered by `learn::threat::evaluate`
/// with the model in use — the function behind `flowtop threat` and the monitor's `t` form —
/// on a blocking task, so concurrent queries do not queue behind the engine thread.
async fn threat(State(s): State<Service>, body: Bytes) -> Response {
    let query: ThreatQuery = match serde_json::from_slice(&body) {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("the query: {e}")),
    };
    let model = s.view().model.clone();
    let bands = s.0.bands;
    let answer = tokio::task::spawn_blocking(move || {
        crate::learn::threat::evaluate(model.as_deref(), &query, &bands)
    })
    .await;
    match answer {
        Ok(Ok(a)) => json(StatusCode::OK, &a),
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the query failed"),
    }
}

#[cfg(test)]
mod tests;
