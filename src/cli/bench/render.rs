//! `flowtop bench render`: time to draw one frame of the monitor at a given size, from a view
//! built by running the real engine over a file (full feed, projection and series), set beside
//! a baseline measured in the same run: a frame holding one bordered block.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::Block;
use serde::Serialize;

use flowtop::engine::runner::LiveView;
use flowtop::engine::{Engine, EngineConfig};
use flowtop::flows::ingest::read_all;
use flowtop::flows::schema::DetectOptions;
use flowtop::flows::source::Input;
use flowtop::learn::model::FitOptions;
use flowtop::monitor::app::{Action, App, KeyMap, update};
use flowtop::monitor::theme::Theme;
use flowtop::monitor::ui::{self, ViewCtx};

#[derive(Debug, Serialize)]
pub struct RenderBench {
    pub width: u16,
    pub height: u16,
    pub frames: usize,
    pub feed_rows: usize,
    pub projection_points: usize,
    /// Median microseconds per frame.
    pub baseline_us: f64,
    pub monitor_us: f64,
    pub detail_us: f64,
    pub monitor_vs_baseline: f64,
    /// Share of the ~66 ms frame budget (15 fps) one monitor frame takes.
    pub budget_share: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_frames(
    frames: usize,
    term: &mut Terminal<TestBackend>,
    mut draw: impl FnMut(&mut ratatui::Frame),
) -> Result<f64, String> {
    let mut t = Vec::with_capacity(frames);
    for _ in 0..frames {
        let start = Instant::now();
        term.draw(&mut draw).map_err(|e| e.to_string())?;
        t.push(start.elapsed().as_secs_f64() * 1e6);
    }
    Ok(median(t))
}

pub fn run(
    input: &Input,
    opts: &DetectOptions,
    width: u16,
    height: u16,
    frames: usize,
) -> Result<RenderBench, String> {
    let mut flows = Vec::new();
    let summary = read_all(input, opts, |f| flows.push(f)).map_err(|e| e.to_string())?;
    flows.truncate(30_000);
    let cfg = EngineConfig {
        fit: FitOptions::default(),
        warmup: 2000.min(flows.len()),
        retrain_every: 0,
        background: false,
        backlog: 20_000,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(summary.schema, cfg);
    for chunk in flows.chunks(1024) {
        engine.ingest(chunk.to_vec());
    }
    let mut view = LiveView::new(input.display_name(), true);
    view.format = Some(engine.schema().format.name().to_string());
    view.snapshot = engine.snapshot();
    let live = Arc::new(view);
    let theme = Theme::load("dark").map_err(|e| e.to_string())?;
    let keys = KeyMap::new(&BTreeMap::new()).map_err(|e| e.to_string())?;
    let mut term = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    let frames = frames.max(1);
    let baseline_us = time_frames(frames, &mut term, |f| {
        f.render_widget(Block::bordered().title("baseline"), f.area());
    })?;
    let app = App::new("m.json".into(), ".".into());
    let mut detail = app.clone();
    update(&mut detail, Action::DrillDown, &live);
    let draw = |app: &App, f: &mut ratatui::Frame| {
        let c = ViewCtx {
            app,
            view: &live,
            live: &live,
            theme: &theme,
            keys: &keys,
            ascii: false,
            now: 0.0,
        };
        ui::render(f, &c);
    };
    let monitor_us = time_frames(frames, &mut term, |f| draw(&app, f))?;
    let detail_us = time_frames(frames, &mut term, |f| draw(&detail, f))?;
    Ok(RenderBench {
        width,
        height,
        frames,
        feed_rows: live.snapshot.feed.len(),
        projection_points: live.snapshot.projection.len(),
        baseline_us,
        monitor_us,
        detail_us,
        monitor_vs_baseline: monitor_us / baseline_us,
        budget_share: monitor_us / 66_000.0,
    })
}

pub fn render_text(r: &RenderBench) -> String {
    format!(
        "frame {}×{} ({} feed rows, {} projected points), median of {} frames:\n  \
         monitor {:.0} µs = {:.1}× a one-block frame ({:.0} µs), {:.2}% of the 66 ms frame budget\n  \
         with the flow detail open {:.0} µs\n",
        r.width,
        r.height,
        r.feed_rows,
        r.projection_points,
        r.frames,
        r.monitor_us,
        r.monitor_vs_baseline,
        r.baseline_us,
        100.0 * r.budget_share,
        r.detail_us
    )
}
