//! What every ingest route (`/collect`, `/metrics/web-vitals`) checks before it decodes: the API
//! key, the content type, the size cap before and after decompression; and, once the apps of a
//! payload are known, the rate limit, then the dump file.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, RawPathParams, Request};
use axum::http::{header, HeaderMap};
use axum::RequestPartsExt;
use std::io::Read;

use super::error::Refusal;
use super::Shared;

/// A body that passed the checks, inflated.
pub struct Intake {
    pub headers: HeaderMap,
    /// Bytes as received (compressed, if it was).
    pub content_length: usize,
    /// The body inflated (or as received when it was not compressed).
    pub decoded: Vec<u8>,
}

impl FromRequest<Shared> for Intake {
    type Rejection = Refusal;

    async fn from_request(req: Request, state: &Shared) -> Result<Intake, Refusal> {
        let (mut parts, body) = req.into_parts();
        // `/collect/{key}` and `/metrics/web-vitals/{key}`: the key in the path, for senders
        // that cannot set headers (sendBeacon).
        let path_key = match parts.extract::<RawPathParams>().await {
            Ok(params) => params.iter().next().map(|(_, key)| key.to_string()),
            // Not UTF-8: axum's own answer, as `Path` gives it.
            Err(_) => match parts.extract::<Path<String>>().await {
                Ok(Path(key)) => Some(key),
                Err(e) => return Err(Refusal::Path(e)),
            },
        };
        check_api_key(state, &parts.headers, path_key)?;
        if !content_type_ok(&parts.headers) {
            return Err(Refusal::ContentType);
        }
        let (content_length, decoded) = read_body(state, &parts.headers, body).await?;
        Ok(Intake {
            headers: parts.headers,
            content_length,
            decoded,
        })
    }
}

impl Intake {
    /// Takes a token from each app's bucket (or none when one is empty), then writes the
    /// request to the dump file (if there is one) as `path`: what follows is accepted.
    pub fn admit(&self, state: &Shared, path: &str, apps: &[String]) -> Result<(), Refusal> {
        state
            .take_tokens(apps)
            .map_err(|retry_after| Refusal::RateLimited { retry_after })?;
        dump(
            state,
            path,
            &self.headers,
            self.content_length,
            &self.decoded,
        );
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `x-api-key` header (or the `{key}` of the path) against `--api-key`.
fn check_api_key(
    state: &Shared,
    headers: &HeaderMap,
    path_key: Option<String>,
) -> Result<(), Refusal> {
    let Some(expected) = state.settings.api_key.as_ref() else {
        return Ok(());
    };
    let given = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(path_key);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
        Ok(())
    } else {
        Err(Refusal::ApiKey)
    }
}

fn content_type_ok(headers: &HeaderMap) -> bool {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let base = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            base.is_empty() || base == "application/json" || base == "text/plain"
        }
    }
}

/// Reads the body within the limit and inflates gzip within the limit too (never inflating past
/// it). Returns the received length and the decoded bytes.
async fn read_body(
    state: &Shared,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<(usize, Vec<u8>), Refusal> {
    let max = state.settings.max_body;
    let raw: Bytes = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| Refusal::TooLarge {
            max,
            decompressed: false,
        })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok((raw.len(), raw.to_vec())),
        "gzip" => {
            let mut out = Vec::new();
            let mut dec = flate2::read::GzDecoder::new(&raw[..]).take(max as u64 + 1);
            dec.read_to_end(&mut out).map_err(Refusal::BadGzip)?;
            if out.len() > max {
                return Err(Refusal::TooLarge {
                    max,
                    decompressed: true,
                });
            }
            Ok((raw.len(), out))
        }
        _ => Err(Refusal::BadEncoding(encoding)),
    }
}

/// Appends the request (path, a few headers, the decoded body) to the dump file.
fn dump(state: &Shared, path: &str, headers: &HeaderMap, content_length: usize, decoded: &[u8]) {
    if !state.sinks.has_dump() {
        return;
    }
    let mut h = serde_json::Map::new();
    for name in [
        "x-faro-session-id",
        "x-api-key",
        "traceparent",
        "content-encoding",
        "origin",
    ] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            h.insert(name.into(), v.into());
        }
    }
    let body: serde_json::Value =
        serde_json::from_slice(decoded).unwrap_or(serde_json::Value::Null);
    let line = serde_json::json!({
        "path": path,
        "content_type": headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or(""),
        "content_length": content_length,
        "decoded_length": decoded.len(),
        "headers": h,
        "body": body,
    });
    state.sinks.dump_line(line.to_string());
}
