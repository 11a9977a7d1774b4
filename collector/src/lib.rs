//! wasm-rum-collector: takes Faro payloads (from wasm-rum, Grafana Faro, or anything speaking the
//! format) and plain web-vitals JSON, and turns them into Prometheus series, log lines (file,
//! stdout or Loki) and traces (OTLP/HTTP or log lines).

pub mod http;
pub mod lines;
pub mod metrics;
pub mod payload;
pub mod serve;
pub mod settings;
pub mod sinks;
pub mod sourcemaps;

use lines::Format;
use metrics::Metrics;
use sinks::Sinks;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use settings::{seconds, Settings};

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
    pub settings: Settings,
    pub metrics: Metrics,
    pub sinks: Sinks,
    pub sourcemaps: sourcemaps::SourceMaps,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl AppState {
    /// Opens the sinks `settings` name and starts their tasks (inside a tokio runtime).
    pub fn new(settings: Settings) -> std::io::Result<AppState> {
        // https for source-map downloads (and Loki, OTLP): reqwest is built without a provider.
        sourcemaps::install_tls_provider();
        let mut metrics = Metrics::new(settings.caps());
        let sink_metrics = sinks::SinkMetrics::register(&mut metrics.registry);
        let sinks = Sinks::start(&settings, sink_metrics)?;
        let sourcemaps = sourcemaps::SourceMaps::new(&settings.sourcemaps, &mut metrics.registry);
        Ok(AppState {
            metrics,
            sinks,
            sourcemaps,
            buckets: Mutex::new(HashMap::new()),
            settings,
        })
    }

    /// Writes the line `kv` builds, if the payload's budget has room for it; `app` (already
    /// capped) becomes the Loki stream labels. Once a line does not fit, the budget is spent
    /// and the payload's later lines are neither built nor written (each counted as dropped).
    fn emit<'a>(
        &self,
        app: &str,
        kind: &str,
        budget: &mut LogBudget,
        kv: impl FnOnce() -> lines::KeyVals<'a>,
    ) {
        if budget.0 == 0 {
            self.metrics.dropped("log_budget");
            return;
        }
        let mut kv = kv();
        let line = lines::render(&mut kv, self.settings.log_format);
        let Some(left) = budget.0.checked_sub(line.len() + 1) else {
            budget.0 = 0;
            self.metrics.dropped("log_budget");
            return;
        };
        budget.0 = left;
        if self.sinks.has_loki() {
            self.sinks
                .loki_line(app, kind, lines::render(&mut kv, Format::Logfmt));
        }
        self.sinks.log_line(line);
    }

    /// Takes a token from the bucket of each of `keys`, or from none of them: Err(seconds to
    /// wait) when one is empty.
    fn take_tokens(&self, keys: &[String]) -> Result<(), u64> {
        if !self.settings.rate_limited() {
            return Ok(());
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let burst = self.settings.rate_burst.max(1.0);
        let mut wait = 0u64;
        for key in keys {
            let b = buckets.entry(key.clone()).or_insert(Bucket {
                tokens: burst,
                last: now,
            });
            b.tokens = (b.tokens
                + now.duration_since(b.last).as_secs_f64() * self.settings.rate_limit)
                .min(burst);
            b.last = now;
            if b.tokens < 1.0 {
                wait = wait.max(
                    ((1.0 - b.tokens) / self.settings.rate_limit)
                        .ceil()
                        .max(1.0) as u64,
                );
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
