//! Loki and OTLP/HTTP test endpoints decode what the collector pushes with the real schemas.

mod support;

use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{client, full_payload, sample, scrape, Collector};

/// Lines one `full_payload` makes: a log, an exception, two measurements, an event.
const LINES_PER_PAYLOAD: f64 = 5.0;

/// Loki's push API body (`/loki/api/v1/push`, JSON form).
#[derive(Debug, Deserialize)]
struct PushRequest {
    streams: Vec<Stream>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    stream: std::collections::BTreeMap<String, String>,
    values: Vec<(String, String)>,
}

type Captured = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

async fn capture_server() -> (String, Captured) {
    let got: Captured = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/{*path}",
        post(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                g.lock()
                    .unwrap()
                    .push((uri.path().to_string(), body.to_vec()));
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

async fn wait_for(got: &Captured, path: &str) -> Vec<u8> {
    for _ in 0..100 {
        if let Some((_, b)) = got.lock().unwrap().iter().find(|(p, _)| p == path) {
            return b.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("nothing arrived at {path}");
}

#[tokio::test]
async fn lines_are_pushed_to_loki_and_spans_to_otlp() {
    let (base, got) = capture_server().await;
    let c = Collector::start(&["--loki-url", &base, "--otlp-endpoint", &base]);
    let r = client()
        .post(c.url("/collect"))
        .body(full_payload("shop").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let otlp = wait_for(&got, "/v1/traces").await;
    let req: ExportTraceServiceRequest =
        serde_json::from_slice(&otlp).expect("an OTLP ExportTraceServiceRequest");
    let rs = &req.resource_spans[0];
    let span = &rs.scope_spans[0].spans[0];
    let hex: String = span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    let service = rs
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.key == "service.name")
        .unwrap();
    match service.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => assert_eq!(s, "shop"),
        other => panic!("service.name is {other:?}"),
    }

    let loki = wait_for(&got, "/loki/api/v1/push").await;
    let push: PushRequest = serde_json::from_slice(&loki).expect("a Loki push request");
    let all: Vec<(&Stream, &String)> = push
        .streams
        .iter()
        .flat_map(|s| s.values.iter().map(move |(_, l)| (s, l)))
        .collect();
    let (stream, line) = all
        .iter()
        .find(|(_, l)| l.contains("kind=exception"))
        .expect("the exception line");
    assert_eq!(stream.stream["app"], "shop");
    assert_eq!(stream.stream["kind"], "exception");
    assert!(
        line.contains("traceID=4bf92f3577b34da6a3ce929d0e0e4736"),
        "{line}"
    );
    assert!(
        push.streams
            .iter()
            .all(|s| s.values.iter().all(|(ts, _)| ts.parse::<u128>().is_ok())),
        "timestamps are nanosecond strings"
    );
    // With an OTLP endpoint, spans are forwarded, not written as lines.
    assert!(!c.lines().iter().any(|l| l["kind"] == "span"));
}

/// An endpoint that accepts connections and never reads or answers: returns its base URL and the
/// number of connections it has accepted (and holds open).
async fn stalled_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            n.fetch_add(1, Ordering::Relaxed);
            held.push(socket);
        }
    });
    (format!("http://{addr}"), accepted)
}

/// A loopback address where nothing listens: connections are refused.
fn refused_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// Posts `n` full payloads from `concurrency` clients; returns how many got 202.
async fn post_many(c: &Collector, n: usize, concurrency: usize) -> usize {
    let body = full_payload("shop").to_string();
    let url = c.url("/collect");
    let client = client();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        let mine = n / concurrency + usize::from(w < n % concurrency);
        tasks.spawn(async move {
            let mut ok = 0;
            for _ in 0..mine {
                let r = client.post(&url).body(body.clone()).send().await.unwrap();
                ok += usize::from(r.status() == 202);
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        ok += r.unwrap();
    }
    ok
}

fn dropped(s: &prometheus_parse::Scrape, sink: &str, reason: &str) -> f64 {
    sample(
        s,
        "rum_sink_dropped_total",
        &[("sink", sink), ("reason", reason)],
    )
    .unwrap_or(0.0)
}

/// Polls `/metrics` until `done` holds (or fails after `limit`).
async fn wait_metrics(
    c: &Collector,
    limit: Duration,
    what: &str,
    done: impl Fn(&prometheus_parse::Scrape) -> bool,
) -> prometheus_parse::Scrape {
    let deadline = Instant::now() + limit;
    loop {
        let s = scrape(c).await;
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_sinks_keep_fds_and_memory_bounded_and_sigterm_still_exits() {
    let (base, accepted) = stalled_endpoint().await;
    let c = Collector::start(&[
        "--loki-url",
        &base,
        "--otlp-endpoint",
        &base,
        "--rate-limit",
        "0",
    ]);
    let before = (c.fds(), c.rss_kib());
    let ok = post_many(&c, 5000, 16).await;
    let (fds, rss) = (c.fds(), c.rss_kib());
    eprintln!(
        "stalled sinks: 5000 payloads, {ok} accepted; collector fds {} -> {fds}, RSS {} -> {rss} KiB; the endpoint accepted {} connections",
        before.0,
        before.1,
        accepted.load(Ordering::Relaxed)
    );
    assert_eq!(ok, 5000, "every payload is acked");
    assert!(fds < 100, "fds stay bounded: {fds}");
    assert!(rss < 64 * 1024, "RSS stays bounded: {rss} KiB");

    // Every line is accounted for: pending, or dropped (the queue is full while Loki hangs).
    let s = scrape(&c).await;
    let pending = sample(&s, "rum_sink_pending", &[("sink", "loki")]).unwrap();
    let sent = sample(&s, "rum_sink_sent_total", &[("sink", "loki")]).unwrap();
    let full = dropped(&s, "loki", "queue_full");
    assert!(full > 0.0, "a full queue drops and counts");
    let all_drops: f64 = ["queue_full", "timeout", "refused", "shutdown"]
        .iter()
        .map(|r| dropped(&s, "loki", r))
        .sum();
    assert_eq!(pending + sent + all_drops, 5000.0 * LINES_PER_PAYLOAD);

    let stopped = c.stop_within(Duration::from_secs(10));
    let (status, took) = stopped.expect("SIGTERM exits within 10 s with sinks stalled");
    eprintln!("stalled sinks: SIGTERM to exit {took:?}");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn refused_sinks_count_every_line_and_span_dropped_as_refused() {
    let base = refused_endpoint();
    let c = Collector::start(&[
        "--loki-url",
        &base,
        "--otlp-endpoint",
        &base,
        "--sink-retry-for",
        "1",
    ]);
    assert_eq!(post_many(&c, 20, 4).await, 20);
    let s = wait_metrics(&c, Duration::from_secs(20), "refused drops", |s| {
        dropped(s, "loki", "refused") >= 20.0 * LINES_PER_PAYLOAD
            && dropped(s, "otlp", "refused") >= 20.0
    })
    .await;
    assert_eq!(dropped(&s, "loki", "refused"), 20.0 * LINES_PER_PAYLOAD);
    assert_eq!(dropped(&s, "otlp", "refused"), 20.0, "one span per payload");
    assert_eq!(dropped(&s, "loki", "queue_full"), 0.0);
    assert_eq!(
        sample(&s, "rum_sink_sent_total", &[("sink", "loki")]),
        Some(0.0)
    );
    // The log file is its own sink: it still has every line.
    assert_eq!(c.lines().len(), 20 * LINES_PER_PAYLOAD as usize);
}

#[tokio::test]
async fn a_sink_that_never_answers_times_out_and_counts_timeouts() {
    let (base, _) = stalled_endpoint().await;
    let c = Collector::start(&[
        "--loki-url",
        &base,
        "--otlp-endpoint",
        &base,
        "--sink-request-timeout",
        "0.3",
        "--sink-retry-for",
        "1",
    ]);
    assert_eq!(post_many(&c, 4, 1).await, 4);
    let s = wait_metrics(&c, Duration::from_secs(20), "timeout drops", |s| {
        dropped(s, "loki", "timeout") >= 4.0 * LINES_PER_PAYLOAD
            && dropped(s, "otlp", "timeout") >= 4.0
    })
    .await;
    assert_eq!(dropped(&s, "loki", "timeout"), 4.0 * LINES_PER_PAYLOAD);
    assert_eq!(dropped(&s, "otlp", "timeout"), 4.0);
}
