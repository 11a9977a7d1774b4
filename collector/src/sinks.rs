//! Where lines and traces go: the log file (or stdout), the dump file, Loki's push API, and an
//! OTLP/HTTP endpoint.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// A line-oriented file (or stdout), flushed after each write so tests and tail -f see it at once.
pub struct LineFile {
    out: Mutex<Box<dyn Write + Send>>,
}

impl LineFile {
    pub fn open(path: Option<&str>) -> std::io::Result<LineFile> {
        let out: Box<dyn Write + Send> = match path {
            None | Some("-") => Box::new(std::io::stdout()),
            Some(p) => Box::new(OpenOptions::new().create(true).append(true).open(p)?),
        };
        Ok(LineFile {
            out: Mutex::new(out),
        })
    }

    pub fn write_line(&self, line: &str) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    }

    pub fn flush(&self) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.flush();
        }
    }
}

/// Buffers lines for Loki and pushes them in batches.
pub struct Loki {
    url: String,
    buffer: Mutex<Vec<(serde_json::Value, String, String)>>,
    client: reqwest::Client,
}

fn now_ns() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .to_string()
}

impl Loki {
    pub fn new(base: &str, client: reqwest::Client) -> Loki {
        Loki {
            url: format!("{}/loki/api/v1/push", base.trim_end_matches('/')),
            buffer: Mutex::new(Vec::new()),
            client,
        }
    }

    /// Queues a line with its stream labels (`app`, `kind`, `service_name`).
    pub fn push(&self, app: &str, kind: &str, line: String) {
        let labels = serde_json::json!({ "app": if app.is_empty() { "unknown" } else { app }, "kind": kind, "service_name": if app.is_empty() { "unknown" } else { app } });
        if let Ok(mut b) = self.buffer.lock() {
            b.push((labels, now_ns(), line));
        }
    }

    /// Sends what is buffered as one push request (streams grouped by labels).
    pub async fn flush(&self) {
        let batch = match self.buffer.lock() {
            Ok(mut b) => std::mem::take(&mut *b),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        let mut streams: Vec<(serde_json::Value, Vec<[String; 2]>)> = Vec::new();
        for (labels, ts, line) in batch {
            match streams.iter_mut().find(|(l, _)| *l == labels) {
                Some((_, values)) => values.push([ts, line]),
                None => streams.push((labels, vec![[ts, line]])),
            }
        }
        let body = serde_json::json!({ "streams": streams.into_iter().map(|(stream, values)| serde_json::json!({"stream": stream, "values": values})).collect::<Vec<_>>() });
        post_json(&self.client, &self.url, &body, "loki push").await;
    }
}

/// POSTs a JSON body; a failure is logged (the collector's own log), never fatal.
async fn post_json(client: &reqwest::Client, url: &str, body: &serde_json::Value, what: &str) {
    if let Err(e) = client
        .post(url)
        .json(body)
        .send()
        .await
        .and_then(|r| r.error_for_status())
    {
        tracing::warn!("{what} failed: {e}");
    }
}

/// Forwards OTLP/JSON traces to `{endpoint}/v1/traces`.
pub struct Otlp {
    url: String,
    client: reqwest::Client,
}

impl Otlp {
    pub fn new(base: &str, client: reqwest::Client) -> Otlp {
        Otlp {
            url: format!("{}/v1/traces", base.trim_end_matches('/')),
            client,
        }
    }

    pub async fn send(&self, body: serde_json::Value) {
        post_json(&self.client, &self.url, &body, "otlp export").await;
    }
}

/// Opens a dump file for appending.
pub fn dump_file(path: &str) -> std::io::Result<LineFile> {
    let _ = File::options().create(true).append(true).open(path)?;
    LineFile::open(Some(path))
}
