//! The collector binary: flags, listener, bounded graceful shutdown.

use clap::Parser;
use std::io::Write;
use std::sync::Arc;
use wasm_rum_collector::{metrics_router, router, serve, AppState, Settings};

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let mut settings = Settings::parse();
    settings.max_connections = serve::fit_to_fd_limit(settings.max_connections);
    let state = match AppState::new(settings) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("wasm-rum-collector: cannot open an output file: {e}");
            std::process::exit(2);
        }
    };
    let settings = &state.settings;
    let listener = match tokio::net::TcpListener::bind(&settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "wasm-rum-collector: cannot listen on {}: {e}",
                settings.listen
            );
            std::process::exit(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| settings.listen.clone());
    let metrics_listener = match &settings.metrics_listen {
        None => None,
        Some(a) => match tokio::net::TcpListener::bind(a).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("wasm-rum-collector: cannot listen on {a}: {e}");
                std::process::exit(2);
            }
        },
    };
    // Not println!: it panics when stdout is closed (a test that has read the first line).
    let mut out = std::io::stdout();
    let _ = writeln!(out, "wasm-rum-collector listening on http://{addr}");
    if let Some(Ok(a)) = metrics_listener.as_ref().map(|l| l.local_addr()) {
        let _ = writeln!(out, "wasm-rum-collector metrics on http://{a}/metrics");
    }
    let _ = out.flush();
    // SIGTERM: stop accepting, let requests in flight finish (half the time at most), then let
    // the sinks deliver what they hold until the whole time is up, and exit whatever they do.
    let total = settings.shutdown_timeout;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let signal = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    if let Some(l) = metrics_listener {
        let (app, stopped) = (metrics_router(state.clone()), signal(stopping.clone()));
        let state = state.clone();
        tokio::spawn(async move { serve::serve(l, app, &state.settings, stopped).await });
    }
    let signalled = serve::serve(listener, router(state.clone()), settings, signal(stopping)).await;
    let left = total.saturating_sub(signalled.elapsed());
    state.flush(left).await;
    let _ = std::io::stdout().flush();
    // Connections still open, and sink threads stuck on a write, end with the process.
    std::process::exit(0);
}
