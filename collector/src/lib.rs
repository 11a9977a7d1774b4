//! wasm-rum-collector: takes Faro payloads (from wasm-rum, Grafana Faro, or anything speaking the
//! format) and plain web-vitals JSON, and turns them into Prometheus series, log lines (file,
//! stdout or Loki) and traces (OTLP/HTTP or log lines).

pub mod lines;
pub mod metrics;
pub mod payload;
pub mod serve;
pub mod sinks;
pub mod sourcemaps;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use lines::Format;
use metrics::Metrics;
use sinks::Sinks;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Command-line flags.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "wasm-rum-collector",
    version,
    about = "Receives RUM payloads (Grafana Faro format) and exposes metrics, logs and traces",
    args_override_self = true
)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:12347")]
    pub listen: String,
    /// Where log lines go (default stdout).
    #[arg(long)]
    pub log_file: Option<String>,
    /// Log line format.
    #[arg(long, value_enum, default_value = "logfmt")]
    pub log_format: Format,
    /// Allowed CORS origin (repeatable; `*` allows any). None means no CORS headers.
    #[arg(long = "cors-origin")]
    pub cors_origins: Vec<String>,
    /// Required `x-api-key` (or `/collect/{key}`).
    #[arg(long)]
    pub api_key: Option<String>,
    /// Largest body accepted, before and after decompression.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    pub max_body: usize,
    /// Payloads per second per app (0 turns the limit off).
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Burst of payloads per app.
    #[arg(long, default_value_t = 100.0)]
    pub rate_burst: f64,
    /// Distinct page routes before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_pages: usize,
    /// OTLP/HTTP endpoint traces are forwarded to (`/v1/traces` is appended).
    #[arg(long)]
    pub otlp_endpoint: Option<String>,
    /// Loki base URL lines are pushed to (`/loki/api/v1/push` is appended).
    #[arg(long)]
    pub loki_url: Option<String>,
    /// Append every accepted request (path, headers, body) as a JSON line: for tests and the demo.
    #[arg(long)]
    pub dump_file: Option<String>,
    /// Items each sink (file, dump, loki, otlp) queues; past it, new items are dropped and counted.
    #[arg(long, default_value_t = 10_000)]
    pub sink_queue: usize,
    /// Bytes (estimated) each sink queues; past it, new items are dropped and counted.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub sink_queue_bytes: usize,
    /// Seconds to connect to Loki or the OTLP endpoint.
    #[arg(long, default_value = "2", value_parser = seconds)]
    pub sink_connect_timeout: Duration,
    /// Seconds for one push to Loki or the OTLP endpoint (connect, send, answer).
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub sink_request_timeout: Duration,
    /// Seconds a failed push is retried (with backoff) before its items are dropped.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub sink_retry_for: Duration,
    /// Seconds a connection may take to send a request's headers (and may stay idle between requests).
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds a request may take from its headers to the answer (reading the body included): 408 past it.
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub body_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog. Lowered to fit the open-file limit.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds from SIGTERM to exit at most: requests in flight finish, sinks deliver what they hold.
    #[arg(long, default_value = "8", value_parser = seconds)]
    pub shutdown_timeout: Duration,
    /// Serve `GET /metrics` on this address only (not on `--listen`), e.g. a private interface.
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// Distinct apps before the rest count as `other` (in series, Loki stream labels and
    /// rate-limit buckets).
    #[arg(long, default_value_t = 200)]
    pub max_apps: usize,
    /// Distinct exception types before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_exception_types: usize,
    /// Distinct event names before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_event_names: usize,
    /// Items (logs, exceptions, measurements, events, spans; plain web-vitals reports) per
    /// payload; more is refused with 413.
    #[arg(long, default_value_t = 1000)]
    pub max_items: usize,
    /// Longest string (bytes) in meta and items; longer ones are cut and end in `…[truncated]`.
    #[arg(long, default_value_t = 8192)]
    pub max_string: usize,
    /// A route pattern (repeatable, tried in order): `/product/:id`, `/docs/*`. Matching pages
    /// count under the pattern, the same on every replica, outside `--max-pages`.
    #[arg(long = "route", value_parser = metrics::RoutePattern::parse)]
    pub routes: Vec<metrics::RoutePattern>,
    /// The `--sourcemaps-*` flags (download and directory modes).
    #[command(flatten)]
    pub sourcemaps: sourcemaps::Flags,
}

/// Parses a flag given in seconds (decimals allowed: `0.5`).
pub(crate) fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s:?} is not a duration in seconds"))
}

/// Log bytes one payload may write: this many times its decoded size, counted from
/// [`LOG_BUDGET_FLOOR`] for small bodies. Every line carries the whole meta, so without it a
/// small body of many tiny items writes hundreds of times its size.
pub const LOG_BUDGET_FACTOR: usize = 16;
/// The body size small bodies are budgeted as.
pub const LOG_BUDGET_FLOOR: usize = 64 * 1024;

/// What is left of one payload's log budget; lines past it are dropped and counted.
pub struct LogBudget(usize);

impl LogBudget {
    pub fn for_body(decoded_len: usize) -> LogBudget {
        LogBudget(
            decoded_len
                .max(LOG_BUDGET_FLOOR)
                .saturating_mul(LOG_BUDGET_FACTOR),
        )
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Shared server state.
pub struct AppState {
    pub args: Args,
    pub metrics: Metrics,
    pub sinks: Sinks,
    pub sourcemaps: sourcemaps::SourceMaps,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl AppState {
    /// Opens the sinks named by `args` and starts their tasks (inside a tokio runtime).
    pub fn new(args: Args) -> std::io::Result<AppState> {
        // https for source-map downloads (and Loki, OTLP): reqwest is built without a provider.
        sourcemaps::install_tls_provider();
        let mut metrics = Metrics::new(metrics::Caps {
            routes: args.routes.clone(),
            pages: args.max_pages,
            apps: args.max_apps,
            exception_types: args.max_exception_types,
            event_names: args.max_event_names,
        });
        let sink_metrics = sinks::SinkMetrics::register(&mut metrics.registry);
        let sinks = Sinks::start(
            sinks::Targets {
                log_file: args.log_file.as_deref(),
                dump_file: args.dump_file.as_deref(),
                loki_url: args.loki_url.as_deref(),
                otlp_endpoint: args.otlp_endpoint.as_deref(),
            },
            &sinks::SinkSettings {
                queue_items: args.sink_queue,
                queue_bytes: args.sink_queue_bytes,
                connect_timeout: args.sink_connect_timeout,
                request_timeout: args.sink_request_timeout,
                retry_for: args.sink_retry_for,
            },
            sink_metrics,
        )?;
        let sourcemaps = sourcemaps::SourceMaps::new(&args.sourcemaps, &mut metrics.registry);
        Ok(AppState {
            metrics,
            sinks,
            sourcemaps,
            buckets: Mutex::new(HashMap::new()),
            args,
        })
    }

    /// Writes the line `kv` builds, if the payload's budget has room for it; `app` (already
    /// capped) becomes the Loki stream labels. Once a line does not fit, the budget is spent
    /// and the payload's later lines are neither built nor written (each counted as dropped).
    fn emit(
        &self,
        app: &str,
        kind: &str,
        budget: &mut LogBudget,
        kv: impl FnOnce() -> lines::KeyVals,
    ) {
        if budget.0 == 0 {
            self.metrics.dropped("log_budget");
            return;
        }
        let kv = kv();
        let line = lines::render(&kv, self.args.log_format);
        let Some(left) = budget.0.checked_sub(line.len() + 1) else {
            budget.0 = 0;
            self.metrics.dropped("log_budget");
            return;
        };
        budget.0 = left;
        if self.sinks.has_loki() {
            self.sinks
                .loki_line(app, kind, lines::render(&kv, Format::Logfmt));
        }
        self.sinks.log_line(line);
    }

    /// Takes a token from the bucket of each of `keys`, or from none of them: Err(seconds to
    /// wait) when one is empty.
    fn take_tokens(&self, keys: &[String]) -> Result<(), u64> {
        if self.args.rate_limit <= 0.0 {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let burst = self.args.rate_burst.max(1.0);
        let mut wait = 0u64;
        for key in keys {
            let b = buckets.entry(key.clone()).or_insert(Bucket {
                tokens: burst,
                last: now,
            });
            b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * self.args.rate_limit)
                .min(burst);
            b.last = now;
            if b.tokens < 1.0 {
                wait = wait.max(((1.0 - b.tokens) / self.args.rate_limit).ceil().max(1.0) as u64);
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for key in keys {
            if let Some(b) = buckets.get_mut(key) {
                b.tokens -= 1.0;
            }
        }
        Ok(())
    }

    /// Lets every sink deliver what it holds, for at most `limit`.
    pub async fn flush(&self, limit: Duration) {
        self.sinks.shutdown(limit).await;
    }
}

type Shared = Arc<AppState>;

/// The request headers Alloy's CORS allows, plus `idempotency-key`, which the Faro Web SDK sends
/// with every post since 2.11 (without it a browser's preflight fails and Faro loses everything).
pub const ALLOWED_HEADERS: &str = "content-type, content-encoding, traceparent, x-api-key, x-faro-session-id, x-scope-orgid, idempotency-key";

fn reject(state: &AppState, status: StatusCode, reason: &str, message: String) -> Response {
    state.metrics.payload("rejected", reason);
    tracing::debug!("rejected ({reason}): {message}");
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body within the limit and inflates gzip within the limit too (never inflating past it).
async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(usize, Vec<u8>), Response> {
    let max = state.args.max_body;
    let raw: Bytes = match axum::body::to_bytes(body, max).await {
        Ok(b) => b,
        Err(_) => {
            return Err(reject(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("body larger than {max} bytes"),
            ))
        }
    };
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
            if let Err(e) = dec.read_to_end(&mut out) {
                return Err(reject(
                    state,
                    StatusCode::BAD_REQUEST,
                    "bad_gzip",
                    format!("invalid gzip body: {e}"),
                ));
            }
            if out.len() > max {
                return Err(reject(
                    state,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("decompressed body larger than {max} bytes"),
                ));
            }
            Ok((raw.len(), out))
        }
        other => Err(reject(
            state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_encoding",
            format!("unsupported content-encoding {other:?}"),
        )),
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

fn dump(state: &AppState, path: &str, headers: &HeaderMap, content_length: usize, decoded: &[u8]) {
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

/// The `x-api-key` header (or the `{key}` of the path) against `--api-key`: the 401 when it
/// is missing or wrong.
fn api_key_refusal(
    state: &AppState,
    headers: &HeaderMap,
    path_key: Option<String>,
) -> Option<Response> {
    let expected = state.args.api_key.as_ref()?;
    let given = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(path_key);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
        None
    } else {
        Some(reject(
            state,
            StatusCode::UNAUTHORIZED,
            "api_key",
            "missing or wrong API key".into(),
        ))
    }
}

/// 429 with `Retry-After`.
fn rate_limited(state: &AppState, wait: u64) -> Response {
    let mut r = reject(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests".into(),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    r
}

async fn collect(State(state): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    handle_collect(&state, None, &headers, body).await
}

async fn collect_with_key(
    State(state): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle_collect(&state, Some(key), &headers, body).await
}

async fn handle_collect(
    state: &Shared,
    path_key: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = api_key_refusal(state, headers, path_key) {
        return r;
    }
    if !content_type_ok(headers) {
        return reject(
            state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "content-type must be application/json or text/plain".into(),
        );
    }
    let (content_length, decoded) = match read_body(state, headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (mut p, trimmed) = match payload::decode_with_limit(&decoded, state.args.max_items) {
        Ok(p) => p,
        Err(payload::DecodeError::Invalid(reason)) => {
            return reject(state, StatusCode::BAD_REQUEST, "invalid", reason)
        }
        Err(payload::DecodeError::TooManyItems(n)) => {
            return reject(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_items",
                format!("more than {n} items (logs, exceptions, measurements, events, spans) in one payload"),
            )
        }
    };
    state.metrics.truncated("stack_frames", trimmed.frames);
    state
        .metrics
        .truncated("string", p.truncate_strings(state.args.max_string));
    state.metrics.dropped_n("empty", p.drop_empty());
    // Keyed by the capped app alone: a new environment (or app name past the cap) cannot
    // escape the limit, and the buckets are bounded by `--max-apps`.
    if let Err(wait) = state.take_tokens(&[state.metrics.app(&p.meta.app.name)]) {
        return rate_limited(state, wait);
    }
    dump(state, "/collect", headers, content_length, &decoded);
    ingest(state, p, &decoded).await;
    state.metrics.payload("accepted", "");
    (StatusCode::ACCEPTED, "ok").into_response()
}

/// Turns an accepted payload into lines, series and traces.
pub async fn ingest(state: &Shared, mut p: payload::Payload, raw: &[u8]) {
    // Frames of minified bundles become the developer's own (a missing map leaves them).
    state.sourcemaps.map_payload(&mut p).await;
    // The label value; lines keep the sender's name in `app_name`.
    let app = state.metrics.app(&p.meta.app.name);
    let budget = &mut LogBudget::for_body(raw.len());
    for l in &p.logs {
        state.emit(&app, "log", budget, || lines::log(l, &p.meta));
    }
    for e in &p.exceptions {
        state.metrics.exception(&app, &e.kind);
        state.emit(&app, "exception", budget, || lines::exception(e, &p.meta));
    }
    for m in &p.measurements {
        if m.kind == "web-vitals" && !vitals_in_range(m) {
            state.metrics.dropped("out_of_range");
            continue;
        }
        if m.kind == "web-vitals" {
            for metric in ["lcp", "inp", "fcp", "ttfb", "cls"] {
                if let Some(v) = m.values.get(metric) {
                    let id = m.context.get("id").map(String::as_str).unwrap_or("");
                    state
                        .metrics
                        .observe_vital(&app, metric, *v, &p.meta.page.url, id);
                }
            }
        }
        state.emit(&app, "measurement", budget, || {
            lines::measurement(m, &p.meta)
        });
    }
    for e in &p.events {
        state.metrics.event(&app, &e.name);
        state.emit(&app, "event", budget, || lines::event(e, &p.meta));
    }
    if let Some(traces) = &p.traces {
        if state.sinks.has_otlp() {
            if let Ok(mut full) = serde_json::from_slice::<serde_json::Value>(raw) {
                let mut t = full
                    .get_mut("traces")
                    .map(serde_json::Value::take)
                    .unwrap_or_default();
                enrich_resources(&mut t, &p.meta.app);
                let spans = traces
                    .resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .map(|ss| ss.spans.len() as u64)
                    .sum();
                state.sinks.traces(t, spans);
            }
        } else {
            for rs in &traces.resource_spans {
                let service = rs
                    .resource
                    .attributes
                    .iter()
                    .find(|a| a.key == "service.name")
                    .map(|a| a.value.text())
                    .unwrap_or_else(|| p.meta.app.name.clone());
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        state.emit(&app, "span", budget, || lines::span(s, &service, &p.meta));
                    }
                }
            }
        }
    }
}

/// False when a web-vitals measurement carries a vital no real page produces (negative, over an
/// hour, CLS over 100): the whole item is dropped, line and series.
fn vitals_in_range(m: &payload::Measurement) -> bool {
    ["lcp", "inp", "fcp", "ttfb", "cls"].iter().all(|metric| {
        m.values
            .get(*metric)
            .is_none_or(|v| metrics::in_range(metric, *v))
    })
}

/// Sets `service.name`, `service.version`, `deployment.environment.name` from `meta.app` where missing.
pub fn enrich_resources(traces: &mut serde_json::Value, app: &payload::App) {
    let Some(rss) = traces
        .get_mut("resourceSpans")
        .and_then(|v| v.as_array_mut())
    else {
        return;
    };
    for rs in rss {
        let Some(obj) = rs.as_object_mut() else {
            continue;
        };
        let resource = obj
            .entry("resource")
            .or_insert_with(|| serde_json::json!({}));
        let Some(res) = resource.as_object_mut() else {
            continue;
        };
        let attrs = res
            .entry("attributes")
            .or_insert_with(|| serde_json::json!([]));
        let Some(list) = attrs.as_array_mut() else {
            continue;
        };
        for (key, val) in [
            ("service.name", &app.name),
            ("service.version", &app.version),
            ("deployment.environment.name", &app.environment),
            ("service.namespace", &app.namespace),
        ] {
            if val.is_empty()
                || list
                    .iter()
                    .any(|a| a.get("key").and_then(|k| k.as_str()) == Some(key))
            {
                continue;
            }
            list.push(serde_json::json!({"key": key, "value": {"stringValue": val}}));
        }
    }
}

/// One report in the plain JSON sites send from the `web-vitals` library.
#[derive(Debug, serde::Deserialize)]
struct PlainVital {
    metric: String,
    value: f64,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    navigation_type: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    session_id: String,
    #[serde(default)]
    app: String,
}

/// The app a plain web-vitals report is counted under.
fn plain_app(app: &str) -> String {
    if app.is_empty() {
        "unknown".to_string()
    } else {
        app.to_string()
    }
}

async fn web_vitals(State(state): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    handle_web_vitals(&state, None, &headers, body).await
}

async fn web_vitals_with_key(
    State(state): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle_web_vitals(&state, Some(key), &headers, body).await
}

/// The plain web-vitals JSON: the same API key, rate limit and label caps as `/collect`.
async fn handle_web_vitals(
    state: &Shared,
    path_key: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = api_key_refusal(state, headers, path_key) {
        return r;
    }
    if !content_type_ok(headers) {
        return reject(
            state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "content-type must be application/json or text/plain".into(),
        );
    }
    let (content_length, decoded) = match read_body(state, headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(e) = payload::check_depth(&decoded) {
        return reject(state, StatusCode::BAD_REQUEST, "invalid", e);
    }
    let value: serde_json::Value = match serde_json::from_slice(&decoded) {
        Ok(v) => v,
        Err(e) => {
            return reject(
                state,
                StatusCode::BAD_REQUEST,
                "invalid",
                format!("invalid JSON: {e}"),
            )
        }
    };
    let list = if value.is_array() {
        value
    } else {
        serde_json::Value::Array(vec![value])
    };
    if list
        .as_array()
        .is_some_and(|l| l.len() > state.args.max_items)
    {
        return reject(
            state,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_items",
            format!("more than {} reports in one payload", state.args.max_items),
        );
    }
    let mut reports: Vec<PlainVital> = match serde_json::from_value(list) {
        Ok(r) => r,
        Err(e) => {
            return reject(
                state,
                StatusCode::BAD_REQUEST,
                "invalid",
                format!("invalid web-vitals report: {e}"),
            )
        }
    };
    let max = state.args.max_string;
    let cut: usize = reports
        .iter_mut()
        .flat_map(|r| {
            [
                &mut r.metric,
                &mut r.rating,
                &mut r.id,
                &mut r.navigation_type,
                &mut r.page,
                &mut r.session_id,
                &mut r.app,
            ]
        })
        .map(|f| payload::cut(f, max))
        .sum();
    state.metrics.truncated("string", cut);
    let budget = &mut LogBudget::for_body(decoded.len());
    let mut apps: Vec<String> = reports
        .iter()
        .map(|r| state.metrics.app(&plain_app(&r.app)))
        .collect();
    apps.sort();
    apps.dedup();
    if let Err(wait) = state.take_tokens(&apps) {
        return rate_limited(state, wait);
    }
    dump(
        state,
        "/metrics/web-vitals",
        headers,
        content_length,
        &decoded,
    );
    for r in reports {
        let metric = r.metric.to_ascii_lowercase();
        // Sites scale CLS by 1000 to send an integer.
        let value = if metric == "cls" {
            r.value / 1000.0
        } else {
            r.value
        };
        if !metrics::in_range(&metric, value) {
            state.metrics.dropped("out_of_range");
            continue;
        }
        let app = plain_app(&r.app);
        let label_app = state.metrics.app(&app);
        state
            .metrics
            .observe_vital(&label_app, &metric, value, &r.page, &r.id);
        let mut kv = lines::KeyVals::new();
        let ts = r
            .timestamp
            .as_ref()
            .and_then(|t| t.as_f64())
            .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
            .unwrap_or_else(chrono::Utc::now);
        kv.own("timestamp", lines::go_time(&ts));
        kv.own("kind", "measurement");
        kv.own("type", "web-vitals");
        kv.sender("", &metric, format!("{value:.6}"));
        for (k, v) in [
            ("context_id", &r.id),
            ("context_rating", &r.rating),
            ("context_navigation_type", &r.navigation_type),
            ("session_id", &r.session_id),
            ("page_url", &r.page),
        ] {
            kv.own(k, v.clone());
        }
        kv.own("app_name", app);
        state.emit(&label_app, "measurement", budget, || kv);
    }
    state.metrics.payload("accepted", "");
    (StatusCode::ACCEPTED, "ok").into_response()
}

async fn metrics_text(State(state): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn ready() -> &'static str {
    "ready"
}

fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let o = origin.to_str().ok()?;
    state
        .args
        .cors_origins
        .iter()
        .any(|a| a == "*" || a == o)
        .then(|| origin.clone())
}

/// CORS as Alloy does it: only when origins are configured, with exactly its allowed headers.
async fn cors(State(state): State<Shared>, req: Request, next: Next) -> Response {
    if state.args.cors_origins.is_empty() {
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

/// The routes `--metrics-listen` serves: `GET /metrics` and `GET /-/ready`.
pub fn metrics_router(state: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/-/ready", get(ready))
        .with_state(state)
}

/// The HTTP routes (`GET /metrics` among them unless `--metrics-listen` serves it elsewhere).
pub fn router(state: Shared) -> Router {
    let routes = Router::new()
        .route("/collect", post(collect).options(preflight))
        .route("/collect/{key}", post(collect_with_key).options(preflight))
        .route("/metrics/web-vitals", post(web_vitals).options(preflight))
        .route(
            "/metrics/web-vitals/{key}",
            post(web_vitals_with_key).options(preflight),
        );
    let routes = if state.args.metrics_listen.is_none() {
        routes.route("/metrics", get(metrics_text))
    } else {
        routes
    };
    routes
        .route("/-/ready", get(ready))
        .layer(middleware::from_fn_with_state(state.clone(), cors))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}
