//! `GET /metrics` (OpenMetrics text) and `GET /-/ready`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::Shared;

pub async fn metrics_text(State(state): State<Shared>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

pub async fn ready() -> &'static str {
    "ready"
}
