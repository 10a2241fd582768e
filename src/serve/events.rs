//! `GET /v1/events`: the anomaly feed as Server-Sent Events. Each new feed row (a flow the
//! detectors flag or the classifier calls an attack, or a volume event) is one `alert` event
//! whose data is the row as the `e` export and `score -o FILE.jsonl` write it, terminal-safe; a comment every 15 s keeps proxies from
//! closing a quiet stream. A client that falls behind gets what the feed still holds (its
//! newest 1,000 rows): the engine never waits for a slow reader.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::watch;

use super::Service;
use crate::engine::AnomalyEvent;
use crate::engine::export::json_row;
use crate::engine::runner::LiveView;
use crate::learn::detect::DetectorKind;

struct Follow {
    views: watch::Receiver<Arc<LiveView>>,
    stopping: watch::Receiver<bool>,
    /// The newest row already sent.
    last: Option<Arc<AnomalyEvent>>,
    pending: VecDeque<Arc<AnomalyEvent>>,
    /// The model's detectors, which name the score and vote columns.
    detectors: Vec<DetectorKind>,
}

impl Follow {
    /// The feed rows newer than `last`, oldest first (the feed is newest first).
    fn take_new(&mut self, feed: &[Arc<AnomalyEvent>]) {
        let known = self
            .last
            .as_ref()
            .and_then(|l| feed.iter().position(|e| Arc::ptr_eq(e, l)))
            .unwrap_or(feed.len());
        self.pending.extend(feed[..known].iter().rev().cloned());
        if let Some(newest) = feed.first() {
            self.last = Some(newest.clone());
        }
    }
}

fn event(row: &AnomalyEvent, detectors: &[DetectorKind]) -> Event {
    let data = json_row(row, detectors).to_string();
    Event::default()
        .event("alert")
        .id(row.line.to_string())
        .data(crate::sanitize::json(&data))
}

pub async fn events(State(s): State<Service>) -> Response {
    let views = s.0.view.clone();
    // Only what arrives from now on: the snapshot has the history.
    let last = views.borrow().snapshot.feed.first().cloned();
    let follow = Follow {
        views,
        stopping: s.0.stopping.subscribe(),
        detectors: Vec::new(),
        last,
        pending: VecDeque::new(),
    };
    let events = stream::unfold(follow, |mut f| async move {
        loop {
            if let Some(row) = f.pending.pop_front() {
                return Some((Ok::<_, Infallible>(event(&row, &f.detectors)), f));
            }
            tokio::select! {
                changed = f.views.changed() => changed.ok()?,
                _ = f.stopping.wait_for(|stop| *stop) => return None,
            }
            let view = f.views.borrow_and_update().clone();
            f.detectors = view.snapshot.detectors.iter().map(|d| d.kind).collect();
            f.take_new(&view.snapshot.feed);
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
