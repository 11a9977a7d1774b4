//! Loki and OTLP/HTTP test endpoints decode what the collector pushes with the real schemas.

mod support;

use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use support::{client, full_payload, Collector};

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
