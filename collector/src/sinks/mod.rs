//! Where lines and traces go: the log file (or stdout), the dump file, Loki's push API, and an
//! OTLP/HTTP endpoint.
//!
//! Each sink is a task (the files: a thread of their own) fed by a bounded queue. A handler only
//! ever calls `try_send`: when a queue is full, the item is dropped and counted, so a slow disk or
//! a stalled endpoint never holds a request, a worker thread, a socket per payload or unbounded
//! memory. What each sink does with its items is counted in `/metrics`:
//! `rum_sink_sent_total{sink}`, `rum_sink_pending{sink}` (queued or in flight) and
//! `rum_sink_dropped_total{sink, reason}` with `reason` one of [`DropReason`].

mod file;
mod loki;
mod otlp;

use axum::body::Bytes;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

use crate::Settings;

pub use loki::LokiLine;

/// Why a sink dropped items (the `reason` label of `rum_sink_dropped_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The sink's queue was full (or over its byte budget) when the item came.
    QueueFull,
    /// The endpoint did not answer within the request timeout, until the retry time ran out.
    Timeout,
    /// The endpoint refused: connection refused or reset, an error status, or a write error.
    Refused,
    /// The collector was shutting down before the item could be delivered.
    Shutdown,
}

impl DropReason {
    pub const ALL: [DropReason; 4] = [
        DropReason::QueueFull,
        DropReason::Timeout,
        DropReason::Refused,
        DropReason::Shutdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::Timeout => "timeout",
            DropReason::Refused => "refused",
            DropReason::Shutdown => "shutdown",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SinkLabels {
    pub sink: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub sink: String,
    pub reason: String,
}

/// The sinks' series, registered beside the collector's own.
#[derive(Clone, Default)]
pub struct SinkMetrics {
    sent: Family<SinkLabels, Counter>,
    pending: Family<SinkLabels, Gauge>,
    dropped: Family<DropLabels, Counter>,
}

impl SinkMetrics {
    pub fn register(registry: &mut Registry) -> SinkMetrics {
        let m = SinkMetrics::default();
        registry.register(
            "rum_sink_sent",
            "Items a sink delivered (lines for file, dump and loki; spans for otlp)",
            m.sent.clone(),
        );
        registry.register(
            "rum_sink_pending",
            "Items queued in a sink or in flight",
            m.pending.clone(),
        );
        registry.register(
            "rum_sink_dropped",
            "Items a sink dropped, by reason (queue_full, timeout, refused, shutdown)",
            m.dropped.clone(),
        );
        m
    }

    /// One sink's series, created at zero so they are there before anything happens; the
    /// handles are kept so that counting an item takes no lock and no allocation.
    fn for_sink(&self, sink: &str) -> SinkCounters {
        SinkCounters {
            sent: self.sent.get_or_create(&label(sink)).clone(),
            pending: self.pending.get_or_create(&label(sink)).clone(),
            dropped: DropReason::ALL
                .map(|r| self.dropped.get_or_create(&drop_label(sink, r)).clone()),
        }
    }
}

/// The series of one sink.
#[derive(Clone)]
struct SinkCounters {
    sent: Counter,
    pending: Gauge,
    dropped: [Counter; 4],
}

impl SinkCounters {
    fn queued(&self, weight: u64) {
        self.pending.inc_by(weight as i64);
    }

    /// Items that were queued are now delivered (`None`) or dropped for a reason.
    fn finished(&self, weight: u64, outcome: Option<DropReason>) {
        self.pending.dec_by(weight as i64);
        match outcome {
            None => self.sent.inc_by(weight),
            Some(r) => self.dropped(weight, r),
        };
    }

    fn dropped(&self, weight: u64, reason: DropReason) -> u64 {
        self.dropped[reason as usize].inc_by(weight)
    }
}

fn label(sink: &str) -> SinkLabels {
    SinkLabels { sink: sink.into() }
}

fn drop_label(sink: &str, reason: DropReason) -> DropLabels {
    DropLabels {
        sink: sink.into(),
        reason: reason.as_str().into(),
    }
}

struct Entry<T> {
    item: T,
    bytes: usize,
    /// What the item counts for in the metrics: 1 line, or the spans of a trace payload.
    weight: u64,
}

/// The sending half of a sink's queue: never waits.
struct Queue<T> {
    tx: mpsc::Sender<Entry<T>>,
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    counters: SinkCounters,
}

impl<T> Queue<T> {
    fn push(&self, item: T, bytes: usize, weight: u64) {
        let before = self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if before + bytes > self.max_bytes {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.counters.dropped(weight, DropReason::QueueFull);
            return;
        }
        self.counters.queued(weight);
        let entry = Entry {
            item,
            bytes,
            weight,
        };
        if let Err(e) = self.tx.try_send(entry) {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            let reason = match e {
                mpsc::error::TrySendError::Full(_) => DropReason::QueueFull,
                mpsc::error::TrySendError::Closed(_) => DropReason::Shutdown,
            };
            self.counters.finished(weight, Some(reason));
        }
    }
}

/// The receiving half, held by the sink's task.
struct Inbox<T> {
    sink: &'static str,
    rx: mpsc::Receiver<Entry<T>>,
    bytes: Arc<AtomicUsize>,
    counters: SinkCounters,
    shutdown: watch::Receiver<bool>,
}

impl<T> Inbox<T> {
    fn take(&self, e: Entry<T>) -> (T, u64) {
        self.bytes.fetch_sub(e.bytes, Ordering::Relaxed);
        (e.item, e.weight)
    }

    /// The next item, or `None` once shutdown is asked for (or the queue is closed).
    async fn next(&mut self) -> Option<(T, u64)> {
        let e = tokio::select! {
            biased;
            _ = self.shutdown.wait_for(|s| *s) => return None,
            e = self.rx.recv() => e?,
        };
        Some(self.take(e))
    }

    /// An item already queued, without waiting.
    fn ready(&mut self) -> Option<(T, u64)> {
        let e = self.rx.try_recv().ok()?;
        Some(self.take(e))
    }

    fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    fn finished(&self, weight: u64, outcome: Option<DropReason>) {
        self.counters.finished(weight, outcome);
    }
}

fn queue<T>(
    sink: &'static str,
    settings: &Settings,
    metrics: &SinkMetrics,
    shutdown: &watch::Sender<bool>,
) -> (Queue<T>, Inbox<T>) {
    let (tx, rx) = mpsc::channel(settings.sink_queue.max(1));
    let bytes = Arc::new(AtomicUsize::new(0));
    let counters = metrics.for_sink(sink);
    (
        Queue {
            tx,
            bytes: bytes.clone(),
            max_bytes: settings.sink_queue_bytes,
            counters: counters.clone(),
        },
        Inbox {
            sink,
            rx,
            bytes,
            counters,
            shutdown: shutdown.subscribe(),
        },
    )
}

/// Every sink of a collector; the handlers push into it, shutdown drains it.
pub struct Sinks {
    log: Queue<String>,
    dump: Option<Queue<String>>,
    loki: Option<Queue<LokiLine>>,
    otlp: Option<Queue<Vec<u8>>>,
    metrics: SinkMetrics,
    names: Vec<&'static str>,
    shutdown: watch::Sender<bool>,
    finished: Mutex<Vec<oneshot::Receiver<()>>>,
}

impl Sinks {
    /// Opens the files and starts the task of every sink `settings` names (`--log-file`,
    /// `--dump-file`, `--loki-url`, `--otlp-endpoint`). Must be called inside a tokio runtime.
    pub fn start(settings: &Settings, metrics: SinkMetrics) -> std::io::Result<Sinks> {
        let (shutdown, _) = watch::channel(false);
        let mut finished = Vec::new();
        let mut names = vec!["file"];
        let log_out = file::open(settings.log_file.as_deref())?;
        let dump_out = settings
            .dump_file
            .as_deref()
            .map(|p| file::open(Some(p)))
            .transpose()?;
        let (log, inbox) = queue("file", settings, &metrics, &shutdown);
        finished.push(file::spawn(log_out, inbox)?);
        let dump = match dump_out {
            Some(out) => {
                names.push("dump");
                let (q, inbox) = queue("dump", settings, &metrics, &shutdown);
                finished.push(file::spawn(out, inbox)?);
                Some(q)
            }
            None => None,
        };
        let needs_http = settings.loki_url.is_some() || settings.otlp_endpoint.is_some();
        let client = if needs_http {
            Some(
                reqwest::Client::builder()
                    .connect_timeout(settings.sink_connect_timeout)
                    .timeout(settings.sink_request_timeout)
                    .build()
                    .map_err(std::io::Error::other)?,
            )
        } else {
            None
        };
        let loki = match (&settings.loki_url, &client) {
            (Some(url), Some(client)) => {
                names.push("loki");
                let (q, inbox) = queue("loki", settings, &metrics, &shutdown);
                finished.push(spawn_http(
                    url,
                    loki::ENDPOINT,
                    client.clone(),
                    settings.sink_retry_for,
                    inbox,
                ));
                Some(q)
            }
            _ => None,
        };
        let otlp = match (&settings.otlp_endpoint, &client) {
            (Some(url), Some(client)) => {
                names.push("otlp");
                let (q, inbox) = queue("otlp", settings, &metrics, &shutdown);
                finished.push(spawn_http(
                    url,
                    otlp::ENDPOINT,
                    client.clone(),
                    settings.sink_retry_for,
                    inbox,
                ));
                Some(q)
            }
            _ => None,
        };
        Ok(Sinks {
            log,
            dump,
            loki,
            otlp,
            metrics,
            names,
            shutdown,
            finished: Mutex::new(finished),
        })
    }

    /// Queues a line for the log file (or stdout).
    pub fn log_line(&self, line: String) {
        let bytes = line.len() + 1;
        self.log.push(line, bytes, 1);
    }

    /// Queues a line for the dump file, if there is one.
    pub fn dump_line(&self, line: String) {
        if let Some(d) = &self.dump {
            let bytes = line.len() + 1;
            d.push(line, bytes, 1);
        }
    }

    pub fn has_dump(&self) -> bool {
        self.dump.is_some()
    }

    pub fn has_loki(&self) -> bool {
        self.loki.is_some()
    }

    pub fn has_otlp(&self) -> bool {
        self.otlp.is_some()
    }

    /// Queues a line for Loki with its stream's `app` and `kind`.
    pub fn loki_line(&self, app: &str, kind: &str, line: String) {
        if let Some(l) = &self.loki {
            let item = LokiLine::new(app, kind, line);
            let bytes = item.size();
            l.push(item, bytes, 1);
        }
    }

    /// Queues one payload's `traces` (`{"resourceSpans": [...]}`) holding `spans` spans for the
    /// OTLP endpoint (kept serialised: what it weighs in the queue is what it sends).
    pub fn traces(&self, mut traces: serde_json::Value, spans: u64) {
        let Some(o) = &self.otlp else { return };
        let resource_spans = traces
            .get_mut("resourceSpans")
            .map(serde_json::Value::take)
            .unwrap_or_else(|| serde_json::json!([]));
        if let Ok(json) = serde_json::to_vec(&resource_spans) {
            let bytes = json.len();
            o.push(json, bytes, spans);
        }
    }

    /// Asks every sink to deliver what it holds (no more retries) and waits for them; at most
    /// `limit`. What is still pending then is counted (and logged) as dropped at shutdown.
    pub async fn shutdown(&self, limit: Duration) {
        let _ = self.shutdown.send(true);
        let waiting = match self.finished.lock() {
            Ok(mut f) => std::mem::take(&mut *f),
            Err(_) => Vec::new(),
        };
        let all = async {
            for done in waiting {
                let _ = done.await;
            }
        };
        let _ = tokio::time::timeout(limit, all).await;
        for sink in &self.names {
            let counters = self.metrics.for_sink(sink);
            let left = counters.pending.get();
            if left > 0 {
                counters.finished(left as u64, Some(DropReason::Shutdown));
                tracing::warn!("{sink} sink: {left} items not delivered at shutdown");
            }
        }
    }
}

/// The result of one delivery attempt to an HTTP endpoint.
enum Attempt {
    Delivered,
    /// Worth retrying (timeouts, refused connections, 5xx, 429, 408).
    Retry(DropReason),
    /// Not worth retrying (another 4xx): the endpoint will not take this body.
    GiveUp(DropReason),
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Bytes) -> Attempt {
    let request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.clone());
    match request.send().await {
        Ok(r) => {
            let status = r.status();
            // Read the (small) answer so the connection can be reused; bounded by the timeout.
            let _ = r.bytes().await;
            if status.is_success() {
                Attempt::Delivered
            } else if status.is_server_error()
                || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || status == reqwest::StatusCode::REQUEST_TIMEOUT
            {
                Attempt::Retry(DropReason::Refused)
            } else {
                Attempt::GiveUp(DropReason::Refused)
            }
        }
        Err(e) if e.is_timeout() => Attempt::Retry(DropReason::Timeout),
        Err(_) => Attempt::Retry(DropReason::Refused),
    }
}

/// Posts one batch, retrying with backoff (250 ms doubling, at most 5 s) for at most `retry_for`;
/// returns `None` when delivered, else why it was dropped. Shutdown ends the retries.
async fn deliver<T>(
    inbox: &mut Inbox<T>,
    client: &reqwest::Client,
    url: &str,
    body: &Bytes,
    retry_for: Duration,
) -> Option<DropReason> {
    let started = tokio::time::Instant::now();
    let mut backoff = Duration::from_millis(250);
    loop {
        let reason = match post_json(client, url, body).await {
            Attempt::Delivered => return None,
            Attempt::GiveUp(r) => return Some(r),
            Attempt::Retry(r) => r,
        };
        if inbox.shutting_down() || started.elapsed() + backoff > retry_for {
            return Some(reason);
        }
        let shutdown = inbox.shutdown.wait_for(|s| *s);
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown => return Some(DropReason::Shutdown),
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// What tells one HTTP sink (Loki, OTLP) from another: the path appended to its base URL, how
/// it batches, how a batch becomes a body.
struct Endpoint<T> {
    path: &'static str,
    /// Items in one post at most.
    batch: usize,
    /// How long a post waits for more items after the first.
    wait: Duration,
    encode: fn(Vec<T>) -> Vec<u8>,
}

/// Starts an HTTP sink's task posting to `base` + the endpoint's path; the receiver resolves
/// when the task has finished (at shutdown).
fn spawn_http<T: Send + 'static>(
    base: &str,
    endpoint: Endpoint<T>,
    client: reqwest::Client,
    retry_for: Duration,
    inbox: Inbox<T>,
) -> oneshot::Receiver<()> {
    let url = format!("{}{}", base.trim_end_matches('/'), endpoint.path);
    let (done, finished) = oneshot::channel();
    tokio::spawn(async move {
        run_http(inbox, client, url, retry_for, endpoint).await;
        let _ = done.send(());
    });
    finished
}

/// The loop every HTTP sink runs: take a batch (up to `batch` items, waiting at most `wait`
/// after the first), post it with the one retry loop ([`deliver`]), count the outcome; at
/// shutdown, post what is queued once, then stop.
async fn run_http<T>(
    mut inbox: Inbox<T>,
    client: reqwest::Client,
    url: String,
    retry_for: Duration,
    endpoint: Endpoint<T>,
) {
    let (max, wait) = (endpoint.batch, endpoint.wait);
    loop {
        let (batch, weight) = match inbox.next().await {
            Some(first) => {
                let mut batch = vec![first.0];
                let mut weight = first.1;
                let until = tokio::time::Instant::now() + wait;
                while batch.len() < max {
                    if let Some((item, w)) = inbox.ready() {
                        batch.push(item);
                        weight += w;
                        continue;
                    }
                    match tokio::time::timeout_at(until, inbox.next()).await {
                        Ok(Some((item, w))) => {
                            batch.push(item);
                            weight += w;
                        }
                        _ => break,
                    }
                }
                (batch, weight)
            }
            None => {
                // Shutdown: what is queued now goes out in one last round of batches.
                let mut batch = Vec::new();
                let mut weight = 0;
                while batch.len() < max {
                    let Some((item, w)) = inbox.ready() else {
                        break;
                    };
                    batch.push(item);
                    weight += w;
                }
                if batch.is_empty() {
                    return;
                }
                (batch, weight)
            }
        };
        let body = Bytes::from((endpoint.encode)(batch));
        let outcome = deliver(&mut inbox, &client, &url, &body, retry_for).await;
        if let Some(reason) = outcome {
            tracing::warn!(
                "{} sink: {weight} items dropped ({}) posting to {url}",
                inbox.sink,
                reason.as_str()
            );
        }
        inbox.finished(weight, outcome);
    }
}
