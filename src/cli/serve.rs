//! `flowtop serve`: checks everything (listen address against the token, token file, input,
//! model, config) before anything starts, then runs the engine on a followed log and the HTTP
//! API on a small tokio runtime until SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::cli::args::ServeArgs;
use crate::cli::config::Config;
use flowtop::engine::runner;
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
    let mode = IngestMode::Follow {
        from_start: args.from_start,
    };
    let (ingest, engine, model) =
        crate::cli::monitor::engine_options(&args.file, mode, None, &args.engine, cfg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("flowtop-http")
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let (views, view) = tokio::sync::watch::channel(Arc::new(runner::first_view(&ingest)));
        let bands = engine.bands;
        let handle = runner::start(ingest, engine, model, move |v| {
            let _ = views.send(v);
        });
        flowtop::outln!("flowtop serve: listening on http://{addr}")?;
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
