//! CORS as Alloy's `faro.receiver` answers it: only when `--cors-origin` is given, with exactly
//! its allowed headers (and `idempotency-key`), a 403 to a preflight from another origin.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;
use crate::AppState;

/// The request headers Alloy's CORS allows, plus `idempotency-key`, which the Faro Web SDK sends
/// with every post since 2.11 (without it a browser's preflight fails and Faro loses everything).
pub const ALLOWED_HEADERS: &str = "content-type, content-encoding, traceparent, x-api-key, x-faro-session-id, x-scope-orgid, idempotency-key";

fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let o = origin.to_str().ok()?;
    state
        .settings
        .cors_origins
        .iter()
        .any(|a| a == "*" || a == o)
        .then(|| origin.clone())
}

/// CORS as Alloy does it: only when origins are configured, with exactly its allowed headers.
pub(super) async fn cors(State(state): State<Shared>, req: Request, next: Next) -> Response {
    if state.settings.cors_origins.is_empty() {
        return next.run(req).await;
    }
    let origin = allowed_origin(&state, req.headers());
    if req.method() == Method::OPTIONS {
        let Some(origin) = origin else {
            return StatusCode::FORBIDDEN.into_response();
        };
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("7200"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        return r;
    }
    let mut r = next.run(req).await;
    if let Some(origin) = origin {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After, X-Faro-Session-Status"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}
