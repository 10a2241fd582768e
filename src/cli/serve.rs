//! `flowtop serve`: checks everything (listen address against the token, token file, input,
//! model, config) before anything starts, then runs the engine on a followed log and the HTTP
//! API on a small tokio runtime until SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::cli::args::ServeArgs;
use crate::cli::config::Config;
use flowtop::engine::ModelState;
use flowtop::engine::runner::{self, LiveView};
use flowtop::flows::ingest::live::IngestMode;
use flowtop::serve::{self, Service};

/// Shortest token accepted: a bearer token is a password anyone on the network may guess at.
const MIN_TOKEN_LEN: usize = 16;

fn read_token(path: &Path) -> Result<String> {
    let text = flowtop::files::read_regular(path, 4096)
        .wrap_err_with(|| format!("{}: cannot read the token file", path.display()))?;
    let token = text.trim().to_string();
    if token.len() < MIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(eyre!(
            "{}: the token must be at least {MIN_TOKEN_LEN} characters on one line, without spaces",
            path.display()
        ));
    }
    Ok(token)
}

pub fn run(args: &ServeArgs, cfg: &Config) -> Result<()> {
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    serve::check_listen(args.listen, token.is_some())?;
    let Some(file) = &args.file else {
        return serve_model(args, cfg, token);
    };
    let mode = IngestMode::Follow {
        from_start: args.from_start,
    };
    let (ingest, engine, model) =
        crate::cli::monitor::engine_options(file, mode, None, &args.engine, cfg)?;
    runtime()?.block_on(async move {
        let listener = bind(args.listen).await?;
        let (views, view) = tokio::sync::watch::channel(Arc::new(runner::first_view(&ingest)));
        let bands = engine.bands;
        let handle = runner::start(ingest, engine, model, move |v| {
            let _ = views.send(v);
        });
        serve::run(
            listener,
            Service::new(view, handle, token, bands),
            shutdown(),
        )
        .await?;
        flowtop::errln!("flowtop serve: stopped");
        Ok(())
    })
}

/// No input: the model alone answers threat queries and scores batches.
fn serve_model(args: &ServeArgs, cfg: &Config, token: Option<String>) -> Result<()> {
    let path = args
        .engine
        .model
        .as_deref()
        .ok_or_else(|| eyre!("flowtop serve needs a FILE to follow or a --model to serve"))?;
    let model = flowtop::learn::model::load(path, None)?;
    let mut view = LiveView::new(format!("model {}", path.display()), false);
    view.snapshot.model = ModelState::Ready;
    view.snapshot.generation = 1;
    view.snapshot.trained_at = Some(model.trained_at);
    view.snapshot.fit_s = Some(model.fit_s);
    view.model = Some(Arc::new(model));
    runtime()?.block_on(async move {
        let listener = bind(args.listen).await?;
        let (_views, view) = tokio::sync::watch::channel(Arc::new(view));
        let service = Service::detached(view, token, cfg.threat);
        serve::run(listener, service, shutdown()).await?;
        flowtop::errln!("flowtop serve: stopped");
        Ok(())
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("flowtop-http")
        .enable_all()
        .build()?)
}

/// Binds and says where, on stdout (a test or a supervisor reads the port from it).
async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .wrap_err_with(|| format!("cannot listen on {addr}"))?;
    flowtop::outln!(
        "flowtop serve: listening on http://{}",
        listener.local_addr()?
    )?;
    Ok(listener)
}

/// SIGINT (Ctrl-C) or SIGTERM: stop taking connections, let those in flight finish.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
