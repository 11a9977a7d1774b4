//! The real collector binary against payloads an attacker would send: forged log lines,
//! poisoned histograms, unbounded labels, amplification, and replicas naming routes alike.

mod support;

use support::{client, full_payload, sample, scrape, Collector};

async fn post_json(c: &Collector, path: &str, body: &serde_json::Value) -> reqwest::Response {
    client()
        .post(c.url(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The log file's lines once there are at least `n` of them (lines may be written after the
/// answer); panics after 10 s.
async fn wait_raw_lines(c: &Collector, n: usize) -> Vec<String> {
    let path = c.dir.join("log.jsonl");
    for _ in 0..200 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} lines were written");
}

async fn wait_lines(c: &Collector, n: usize) -> Vec<serde_json::Value> {
    wait_raw_lines(c, n)
        .await
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn forging_payload() -> serde_json::Value {
    serde_json::json!({
        "meta": {"app": {"name": "shop"}, "page": {"url": "https://shop.test/", "attributes": {"a b=\"c\"": "d"}}},
        "measurements": [{"type": "custom",
            "values": {"kind": 1.0, "app_name": 2.0, "x\nkind=exception app_name=bank": 3.0},
            "context": {"x\nkind=exception app_name=bank type=TypeError": "1"}}],
        "events": [{"name": "click", "attributes": {"\"app_name": "bank", "y\r\nkind": "exception"}}]
    })
}

fn key_ok(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

#[tokio::test]
async fn sender_keys_cannot_forge_json_lines_or_override_fields() {
    let c = Collector::start(&[]);
    assert_eq!(
        post_json(&c, "/collect", &forging_payload()).await.status(),
        202
    );
    let lines = wait_lines(&c, 2).await;
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["measurement", "event"]);
    for l in &lines {
        assert_eq!(l["app_name"], "shop", "{l}");
        for k in l.as_object().unwrap().keys() {
            assert!(key_ok(k), "key {k:?} in {l}");
        }
    }
    assert_eq!(lines[0]["type"], "custom");
    // The sender's values are kept, under keys that shadow nothing.
    assert_eq!(lines[0]["_kind"], "1.000000");
    assert_eq!(lines[0]["_app_name"], "2.000000");
    assert_eq!(lines[0]["x_kind_exception_app_name_bank"], "3.000000");
    assert_eq!(lines[1]["event_data__app_name"], "bank");
}

#[tokio::test]
async fn sender_keys_cannot_forge_logfmt_lines_or_override_fields() {
    let c = Collector::start(&["--log-format", "logfmt"]);
    assert_eq!(
        post_json(&c, "/collect", &forging_payload()).await.status(),
        202
    );
    let lines = wait_raw_lines(&c, 2).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].contains(" kind=measurement "), "{}", lines[0]);
    assert!(lines[1].contains(" kind=event "), "{}", lines[1]);
    for l in &lines {
        assert_eq!(l.matches(" app_name=").count(), 1, "{l}");
        assert!(l.contains(" app_name=shop "), "{l}");
        assert!(!l.contains(" kind=exception"), "{l}");
        assert_eq!(l.matches(" kind=").count(), 1, "{l}");
    }
}

#[tokio::test]
async fn out_of_range_vitals_are_dropped_and_counted_not_summed() {
    let c = Collector::start(&[]);
    let mut p = full_payload("poison");
    p["measurements"] = serde_json::json!([
        {"type": "web-vitals", "values": {"cls": 1.7e308, "delta": 1.7e308}, "context": {"id": "p-1"}},
        {"type": "web-vitals", "values": {"lcp": -5.0}, "context": {"id": "p-2"}},
        {"type": "web-vitals", "values": {"inp": 3_600_001.0}, "context": {"id": "p-3"}},
        {"type": "web-vitals", "values": {"cls": 100.5}, "context": {"id": "p-4"}},
        {"type": "web-vitals", "values": {"lcp": 1200.0}, "context": {"id": "p-5"}},
        {"type": "web-vitals", "values": {"cls": 0.2}, "context": {"id": "p-6"}}
    ]);
    assert_eq!(post_json(&c, "/collect", &p).await.status(), 202);
    let plain = serde_json::json!([
        {"metric": "CLS", "value": 1.7e308, "id": "w-1", "page": "/"},
        {"metric": "TTFB", "value": -1.0, "id": "w-2", "page": "/"},
        {"metric": "LCP", "value": 900.0, "id": "w-3", "page": "/"}
    ]);
    assert_eq!(
        post_json(&c, "/metrics/web-vitals", &plain).await.status(),
        202
    );
    let s = scrape(&c).await;
    assert_eq!(
        sample(&s, "rum_items_dropped_total", &[("reason", "out_of_range")]),
        Some(6.0)
    );
    let cls_sum = sample(&s, "web_vitals_cls_sum", &[("app", "poison")]);
    assert_eq!(cls_sum, Some(0.2));
    let lcp_count: f64 = s
        .samples
        .iter()
        .filter(|x| x.metric == "web_vitals_seconds_count")
        .filter_map(|x| match x.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => Some(v),
            _ => None,
        })
        .sum();
    assert_eq!(lcp_count, 2.0, "only the two sane LCPs are observed");
    // The dropped measurements leave no line either.
    // log, exception, the two sane measurements, event, span; then the plain LCP.
    let lines = wait_lines(&c, 7).await;
    assert_eq!(lines.len(), 7);
    let measurements = lines.iter().filter(|l| l["kind"] == "measurement").count();
    assert_eq!(measurements, 3, "two /collect items and one plain report");
}

#[tokio::test]
async fn plain_web_vitals_need_the_api_key_and_are_rate_limited() {
    let c = Collector::start(&[
        "--api-key",
        "s3cret",
        "--rate-limit",
        "1",
        "--rate-burst",
        "2",
    ]);
    let report = serde_json::json!({"metric": "LCP", "value": 900.0, "id": "k-1", "page": "/", "app": "shop"});
    let send = |key: Option<&'static str>, path: &'static str| {
        let mut req = client()
            .post(c.url(path))
            .header("content-type", "application/json")
            .body(report.to_string());
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        req.send()
    };
    assert_eq!(
        send(None, "/metrics/web-vitals").await.unwrap().status(),
        401
    );
    assert_eq!(
        send(Some("wrong"), "/metrics/web-vitals")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        send(Some("s3cret"), "/metrics/web-vitals")
            .await
            .unwrap()
            .status(),
        202
    );
    // The key in the path, for navigator.sendBeacon, which cannot set headers.
    assert_eq!(
        send(None, "/metrics/web-vitals/s3cret")
            .await
            .unwrap()
            .status(),
        202
    );
    let r = send(Some("s3cret"), "/metrics/web-vitals").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "rum_payloads_total",
            &[("result", "rejected"), ("reason", "api_key")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(&s, "web_vitals_seconds_count", &[("app", "shop")]),
        Some(1.0),
        "one id, observed once"
    );
}

type Captured = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// A stand-in Loki that keeps every push body.
async fn loki() -> (String, Captured) {
    let got: Captured = Default::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/loki/api/v1/push",
        axum::routing::post(move |body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                g.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

/// The distinct values of `label` over every sample of /metrics.
fn label_values(s: &prometheus_parse::Scrape, label: &str) -> std::collections::BTreeSet<String> {
    s.samples
        .iter()
        .filter_map(|x| x.labels.get(label).map(str::to_string))
        .collect()
}

#[tokio::test]
async fn every_label_is_capped_in_metrics_and_loki_and_ratings_are_computed() {
    let (loki_url, pushed) = loki().await;
    let c = Collector::start(&[
        "--max-apps",
        "2",
        "--max-exception-types",
        "2",
        "--max-event-names",
        "2",
        "--max-pages",
        "2",
        "--loki-url",
        &loki_url,
        "--rate-limit",
        "0",
    ]);
    for i in 0..20 {
        let mut p = full_payload(&format!("app{i}"));
        p["meta"]["app"]["environment"] = serde_json::json!(format!("env{i}"));
        p["meta"]["page"]["url"] = serde_json::json!(format!("https://shop.test/section{i}"));
        p["exceptions"][0]["type"] = serde_json::json!(format!("Error{i}"));
        p["events"][0]["name"] = serde_json::json!(format!("event{i}"));
        p["measurements"][0]["context"] =
            serde_json::json!({"id": format!("l-{i}"), "rating": format!("rating{i}")});
        p["measurements"][1]["context"] =
            serde_json::json!({"id": format!("c-{i}"), "rating": "good"});
        assert_eq!(post_json(&c, "/collect", &p).await.status(), 202);
    }
    let plain: Vec<_> = (0..20)
        .map(|i| serde_json::json!({"metric": "LCP", "value": 5000.0, "rating": "good", "id": format!("w-{i}"), "page": "/", "app": format!("plain{i}")}))
        .collect();
    assert_eq!(
        post_json(&c, "/metrics/web-vitals", &serde_json::json!(plain))
            .await
            .status(),
        202
    );
    let s = scrape(&c).await;
    assert_eq!(
        label_values(&s, "app"),
        ["app0", "app1", "other"].map(String::from).into()
    );
    assert_eq!(
        label_values(&s, "type"),
        ["Error0", "Error1", "other"].map(String::from).into()
    );
    assert_eq!(
        label_values(&s, "name"),
        ["event0", "event1", "other"].map(String::from).into()
    );
    assert_eq!(
        label_values(&s, "page"),
        ["/section0", "/section1", "other"].map(String::from).into()
    );
    // 1.2 s LCP is good, CLS 0.12 needs improvement, 5 s LCP is poor, whatever the sender said.
    assert_eq!(
        label_values(&s, "rating"),
        ["good", "needs-improvement", "poor"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        sample(
            &s,
            "web_vitals_seconds_count",
            &[("app", "other"), ("rating", "poor")]
        ),
        Some(20.0)
    );
    // Loki stream labels are capped the same way (pushed every second).
    let mut apps = std::collections::BTreeSet::new();
    for _ in 0..100 {
        apps = pushed
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| b["streams"].as_array().unwrap().clone())
            .flat_map(|st| {
                let l = &st["stream"];
                [
                    l["app"].as_str().unwrap().to_string(),
                    l["service_name"].as_str().unwrap().to_string(),
                ]
            })
            .collect();
        if apps.contains("other") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(apps, ["app0", "app1", "other"].map(String::from).into());
    // The lines keep the names the sender gave.
    let lines = wait_lines(&c, 20 * 6 + 20).await;
    assert!(lines.iter().any(|l| l["app_name"] == "app19"));
}

#[tokio::test]
async fn the_rate_limit_cannot_be_escaped_by_changing_environment_or_app() {
    let c = Collector::start(&[
        "--rate-limit",
        "0.001",
        "--rate-burst",
        "3",
        "--max-apps",
        "2",
    ]);
    let mut accepted = 0;
    for i in 0..30 {
        let mut p = full_payload("flood");
        p["meta"]["app"]["environment"] = serde_json::json!(format!("env{i}"));
        if post_json(&c, "/collect", &p).await.status() == 202 {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 3, "one bucket per app, whatever the environment");
    // Past the app cap every new name shares the `other` bucket.
    assert_eq!(
        post_json(&c, "/collect", &full_payload("second"))
            .await
            .status(),
        202
    );
    let mut accepted = 0;
    for i in 0..30 {
        if post_json(&c, "/collect", &full_payload(&format!("new{i}")))
            .await
            .status()
            == 202
        {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 3, "new app names past the cap share one bucket");
}

/// The log file's size once a sentinel line posted after everything before it is written.
async fn log_size_after_sentinel(c: &Collector, n: usize) -> u64 {
    let tag = format!("sentinel-{n}");
    let body = serde_json::json!({"logs": [{"message": tag}]});
    assert_eq!(post_json(c, "/collect", &body).await.status(), 202);
    let path = c.dir.join("log.jsonl");
    for _ in 0..400 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(&tag)) {
            return (text.len() - line.len() - 1) as u64;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the sentinel line never arrived");
}

#[tokio::test]
async fn large_hostile_bodies_write_under_20_log_bytes_per_body_byte() {
    let c = Collector::start(&["--rate-limit", "0"]);
    let ua = "u".repeat(100_000);
    let events = |n: usize, ev: &str| vec![ev; n].join(",");
    let attrs: String = (0..6000)
        .map(|i| format!("\"a{i}\":\"x\""))
        .collect::<Vec<_>>()
        .join(",");
    let values: String = (0..6000)
        .map(|i| format!("\"v{i}\":1e300"))
        .collect::<Vec<_>>()
        .join(",");
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "a 100 KB user agent on 999 events",
            format!(
                r#"{{"meta":{{"browser":{{"userAgent":"{ua}"}}}},"events":[{}]}}"#,
                events(999, r#"{"name":"e"}"#)
            ),
            202,
        ),
        (
            "30 000 empty events",
            format!(
                r#"{{"meta":{{"browser":{{"userAgent":"{ua}"}}}},"events":[{}]}}"#,
                events(30_000, "{}")
            ),
            413,
        ),
        (
            "6 000 page attributes on 999 events",
            format!(
                r#"{{"meta":{{"page":{{"attributes":{{{attrs}}}}}}},"events":[{}]}}"#,
                events(999, r#"{"name":"e"}"#)
            ),
            202,
        ),
        (
            "6 000 huge values on one measurement",
            format!(r#"{{"measurements":[{{"type":"custom","values":{{{values}}}}}]}}"#),
            202,
        ),
        (
            "empty items under the cap",
            format!(
                r#"{{"meta":{{"browser":{{"userAgent":"{ua}"}}}},"logs":[{}],"events":[{}]}}"#,
                events(500, "{}"),
                events(499, "{}")
            ),
            202,
        ),
    ];
    let mut before = log_size_after_sentinel(&c, 0).await;
    for (i, (name, body, status)) in cases.iter().enumerate() {
        assert!(body.len() >= 64 * 1024, "{name}: {} bytes", body.len());
        let r = client()
            .post(c.url("/collect"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), *status, "{name}");
        if *status == 413 {
            assert!(
                r.text().await.unwrap().contains("more than 1000 items"),
                "{name}"
            );
        }
        let after = log_size_after_sentinel(&c, i + 1).await;
        let sentinel = after.saturating_sub(before); // includes the previous sentinel's line
        let ratio = sentinel as f64 / body.len() as f64;
        eprintln!(
            "{name}: {} body bytes, {sentinel} log bytes, {ratio:.2} per body byte",
            body.len()
        );
        assert!(ratio < 20.0, "{name}: {ratio:.1} log bytes per body byte");
        before = after;
    }
    let lines = wait_lines(&c, 1).await;
    let ua_line = lines.iter().find(|l| l["kind"] == "event").unwrap();
    let ua_seen = ua_line["browser_userAgent"].as_str().unwrap();
    assert!(ua_seen.ends_with("…[truncated]") && ua_seen.len() <= 8192 + "…[truncated]".len());
    let s = scrape(&c).await;
    assert_eq!(
        sample(&s, "rum_truncated_total", &[("what", "string")]),
        Some(2.0),
        "the two user agents"
    );
    assert!(sample(&s, "rum_items_dropped_total", &[("reason", "log_budget")]).unwrap() > 0.0);
    assert_eq!(
        sample(&s, "rum_items_dropped_total", &[("reason", "empty")]),
        Some(999.0)
    );
    assert_eq!(
        sample(
            &s,
            "rum_payloads_total",
            &[("result", "rejected"), ("reason", "too_many_items")]
        ),
        Some(1.0)
    );
}
