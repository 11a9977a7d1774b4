//! The accept loop: hyper's HTTP/1 connections with a header-read timeout, a whole-request
//! timeout (it covers reading the body), at most `max_connections` open at once, and a graceful
//! shutdown bounded in time. Slow or idle sockets cannot pile up: each is closed once its
//! timeout runs out, and past the cap new connections wait in the kernel's listen backlog
//! instead of taking file descriptors.

use axum::http::StatusCode;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower_http::timeout::TimeoutLayer;

use crate::Settings;

/// File descriptors kept for everything but client connections (files, sinks, the listener).
const RESERVED_FDS: u64 = 128;

/// Raises the open-file limit to fit `wanted` connections if the hard limit allows, and returns
/// the number of connections that fit.
pub fn fit_to_fd_limit(wanted: usize) -> usize {
    let need = wanted as u64 + RESERVED_FDS;
    match rlimit::increase_nofile_limit(need) {
        Ok(limit) if limit < need => {
            let fits = limit.saturating_sub(RESERVED_FDS).max(1) as usize;
            tracing::warn!(
                "open-file limit {limit}: --max-connections lowered from {wanted} to {fits}"
            );
            fits
        }
        _ => wanted,
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and lets the open
/// connections finish for at most half of `--shutdown-timeout`. Returns when the signal came.
/// The limits are `--header-timeout` (counted from a connection's accept or the end of its
/// previous request, so it is the keep-alive idle timeout too), `--body-timeout` (from the
/// headers to the answer, reading the body included: 408 past it) and `--max-connections`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &Settings,
    shutdown: impl Future<Output = ()>,
) -> Instant {
    let drain_for = settings.shutdown_timeout / 2;
    let app = app.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        settings.body_timeout,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's doing (timeouts, resets, bad requests).
            let _ = conn.await;
            drop(permit);
        });
    }
    let signalled = Instant::now();
    drop(listener);
    let _ = tokio::time::timeout(drain_for, graceful.shutdown()).await;
    signalled
}

/// Accept errors: the client's (reset before accept) are skipped; anything else (EMFILE, ENFILE,
/// ENOBUFS) is logged and the loop pauses a little, so it neither spins nor stops.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept failed: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
