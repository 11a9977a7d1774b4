//! Loki's push API (`/loki/api/v1/push`, JSON): lines batched for up to a second (at most
//! `BATCH` per push), streams grouped by their labels.

use super::{run_http, Inbox};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// Lines in one push at most.
const BATCH: usize = 2000;
/// How long a push waits for more lines after the first.
const WAIT: Duration = Duration::from_secs(1);

/// One line with its stream labels (`app`, `kind`; `service_name` is the app).
pub struct LokiLine {
    app: String,
    kind: String,
    ts: String,
    line: String,
}

impl LokiLine {
    pub fn new(app: &str, kind: &str, line: String) -> LokiLine {
        LokiLine {
            app: if app.is_empty() { "unknown" } else { app }.to_string(),
            kind: kind.to_string(),
            ts: now_ns(),
            line,
        }
    }

    /// About what it takes in the queue.
    pub(super) fn size(&self) -> usize {
        self.app.len() + self.kind.len() + self.ts.len() + self.line.len() + 64
    }
}

fn now_ns() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .to_string()
}

/// `{"streams": [{"stream": {labels}, "values": [[ts, line], ...]}, ...]}`
fn encode(batch: Vec<LokiLine>) -> Vec<u8> {
    let mut streams: Vec<(String, String, Vec<[String; 2]>)> = Vec::new();
    for l in batch {
        match streams
            .iter_mut()
            .find(|(app, kind, _)| *app == l.app && *kind == l.kind)
        {
            Some((_, _, values)) => values.push([l.ts, l.line]),
            None => streams.push((l.app, l.kind, vec![[l.ts, l.line]])),
        }
    }
    let streams: Vec<serde_json::Value> = streams
        .into_iter()
        .map(|(app, kind, values)| {
            serde_json::json!({
                "stream": {"app": app, "kind": kind, "service_name": app},
                "values": values,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "streams": streams })).unwrap_or_default()
}

pub(super) fn spawn(
    base: &str,
    client: reqwest::Client,
    retry_for: Duration,
    inbox: Inbox<LokiLine>,
) -> oneshot::Receiver<()> {
    let url = format!("{}/loki/api/v1/push", base.trim_end_matches('/'));
    let (done, finished) = oneshot::channel();
    tokio::spawn(async move {
        run_http(inbox, client, url, retry_for, BATCH, WAIT, encode).await;
        let _ = done.send(());
    });
    finished
}
