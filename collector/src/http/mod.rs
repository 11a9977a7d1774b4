//! The HTTP routes and the layers around them: `/collect` ([`collect`]), `/metrics/web-vitals`
//! ([`web_vitals`]), `/metrics` and `/-/ready` ([`metrics`]). Both ingest routes take their body
//! through [`intake::Intake`] (API key, content type, size caps, then rate limit and dump), and
//! every refusal is a [`error::Refusal`], counted once by [`error::answer`].

pub mod collect;
mod cors;
pub mod error;
pub mod intake;
pub mod metrics;
pub mod web_vitals;

use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

use crate::AppState;
pub use cors::ALLOWED_HEADERS;

pub(crate) type Shared = Arc<AppState>;

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The routes `--metrics-listen` serves: `GET /metrics` and `GET /-/ready`.
pub fn metrics_router(state: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics_text))
        .route("/-/ready", get(metrics::ready))
        .with_state(state)
}

/// The HTTP routes (`GET /metrics` among them unless `--metrics-listen` serves it elsewhere).
pub fn router(state: Shared) -> Router {
    let collect = || post(collect::collect).options(preflight);
    let web_vitals = || post(web_vitals::web_vitals).options(preflight);
    let routes = Router::new()
        .route("/collect", collect())
        .route("/collect/{key}", collect())
        .route("/metrics/web-vitals", web_vitals())
        .route("/metrics/web-vitals/{key}", web_vitals());
    let routes = if state.settings.metrics_listen.is_none() {
        routes.route("/metrics", get(metrics::metrics_text))
    } else {
        routes
    };
    routes
        .route("/-/ready", get(metrics::ready))
        .layer(middleware::from_fn_with_state(state.clone(), cors::cors))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}
