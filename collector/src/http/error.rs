//! The one error type of the routes: every refusal a sender can get, with its status, the
//! `reason` label it is counted under (`rum_payloads_total{result="rejected", reason}`, by
//! [`answer`]) and the sentence of its plain-text body.

use axum::extract::rejection::PathRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::metrics::Metrics;
use crate::payload::DecodeError;

/// Why a payload was refused.
#[derive(Debug)]
pub enum Refusal {
    /// The `{key}` of `/collect/{key}` is not valid UTF-8: axum's own 400, not counted.
    Path(PathRejection),
    /// The `x-api-key` header (or the path's key) is missing or is not `--api-key`.
    ApiKey,
    /// A `content-type` other than JSON or plain text.
    ContentType,
    /// The body is over `--max-body`, as sent or once inflated.
    TooLarge { max: usize, decompressed: bool },
    /// `content-encoding: gzip` with a body that does not inflate.
    BadGzip(std::io::Error),
    /// A `content-encoding` other than gzip or identity.
    BadEncoding(String),
    /// The body does not decode (the sentence says where).
    Invalid(String),
    /// More than `max` items (`what` names them) in one payload.
    TooManyItems { max: usize, what: &'static str },
    /// The app's rate limit is spent: try again in `retry_after` seconds.
    RateLimited { retry_after: u64 },
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Path(r) => r.status(),
            Refusal::ApiKey => StatusCode::UNAUTHORIZED,
            Refusal::ContentType | Refusal::BadEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::TooLarge { .. } | Refusal::TooManyItems { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Refusal::BadGzip(_) | Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
            Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The `reason` label.
    fn reason(&self) -> &'static str {
        match self {
            Refusal::Path(_) => "path",
            Refusal::ApiKey => "api_key",
            Refusal::ContentType => "content_type",
            Refusal::TooLarge { .. } => "too_large",
            Refusal::BadGzip(_) => "bad_gzip",
            Refusal::BadEncoding(_) => "bad_encoding",
            Refusal::Invalid(_) => "invalid",
            Refusal::TooManyItems { .. } => "too_many_items",
            Refusal::RateLimited { .. } => "rate_limited",
        }
    }

    /// The body: a sentence a person can act on.
    fn message(self) -> String {
        match self {
            Refusal::Path(r) => r.body_text(),
            Refusal::ApiKey => "missing or wrong API key".into(),
            Refusal::ContentType => "content-type must be application/json or text/plain".into(),
            Refusal::TooLarge {
                max,
                decompressed: false,
            } => format!("body larger than {max} bytes"),
            Refusal::TooLarge {
                max,
                decompressed: true,
            } => format!("decompressed body larger than {max} bytes"),
            Refusal::BadGzip(e) => format!("invalid gzip body: {e}"),
            Refusal::BadEncoding(other) => format!("unsupported content-encoding {other:?}"),
            Refusal::Invalid(reason) => reason,
            Refusal::TooManyItems { max, what } => format!("more than {max} {what} in one payload"),
            Refusal::RateLimited { .. } => "too many requests".into(),
        }
    }
}

impl From<DecodeError> for Refusal {
    fn from(e: DecodeError) -> Refusal {
        match e {
            DecodeError::Invalid(reason) => Refusal::Invalid(reason),
            DecodeError::TooManyItems(max) => Refusal::TooManyItems {
                max,
                what: "items (logs, exceptions, measurements, events, spans)",
            },
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if let Refusal::Path(r) = self {
            return r.into_response();
        }
        let status = self.status();
        let reason = self.reason();
        let retry_after = match &self {
            Refusal::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        };
        let message = self.message();
        tracing::debug!("rejected ({reason}): {message}");
        let mut r = (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response();
        if let Some(wait) = retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        r
    }
}

/// The answer of an ingest route: its own on success, the refusal's otherwise, counted in
/// `rum_payloads_total{result="rejected", reason}` (axum's own path rejection is not counted).
pub fn answer(metrics: &Metrics, outcome: Result<Response, Refusal>) -> Response {
    match outcome {
        Ok(r) => r,
        Err(e) => {
            if !matches!(e, Refusal::Path(_)) {
                metrics.payload("rejected", e.reason());
            }
            e.into_response()
        }
    }
}
