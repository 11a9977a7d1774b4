//! Loki's push API (`/loki/api/v1/push`, JSON): lines batched for up to a second (at most
//! 2000 per push), streams grouped by their labels.

use super::Endpoint;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Lines batched for up to a second, 2000 in one push at most.
pub(super) const ENDPOINT: Endpoint<LokiLine> = Endpoint {
    path: "/loki/api/v1/push",
    batch: 2000,
    wait: Duration::from_secs(1),
    encode,
};

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
