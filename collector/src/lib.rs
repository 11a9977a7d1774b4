//! wasm-rum-collector: takes Faro payloads (from wasm-rum, Grafana Faro, or anything speaking the
//! format) and plain web-vitals JSON, and turns them into Prometheus series, log lines (file,
//! stdout or Loki) and traces (OTLP/HTTP or log lines).

pub mod http;
pub mod lines;
pub mod metrics;
pub mod payload;
pub mod serve;
pub mod sinks;

use lines::Format;
use metrics::Metrics;
use sinks::Sinks;
use std::collections::HashMap;
use std::sync::Mutex;
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
}

/// Parses a flag given in seconds (decimals allowed: `0.5`).
fn seconds(s: &str) -> Result<Duration, String> {
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
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl AppState {
    /// Opens the sinks named by `args` and starts their tasks (inside a tokio runtime).
    pub fn new(args: Args) -> std::io::Result<AppState> {
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
        Ok(AppState {
            metrics,
            sinks,
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

pub use http::{metrics_router, router, ALLOWED_HEADERS};
