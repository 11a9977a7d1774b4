//! The collector binary: flags, listener, graceful shutdown.

use clap::Parser;
use std::io::Write;
use std::sync::Arc;
use wasm_rum_collector::{router, AppState, Args};

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
    let args = Args::parse();
    let state = match AppState::new(args.clone()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("wasm-rum-collector: cannot open an output file: {e}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wasm-rum-collector: cannot listen on {}: {e}", args.listen);
            std::process::exit(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| args.listen.clone());
    println!("wasm-rum-collector listening on http://{addr}");
    let _ = std::io::stdout().flush();
    if state.loki.is_some() {
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Some(l) = &s.loki {
                    l.flush().await;
                }
            }
        });
    }
    let served = axum::serve(listener, router(state.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    if let Some(l) = &state.loki {
        l.flush().await;
    }
    state.flush();
    if let Err(e) = served {
        eprintln!("wasm-rum-collector: server error: {e}");
        std::process::exit(1);
    }
}
