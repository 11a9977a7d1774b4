//! The real collector binary on a loopback port: every item kind, encodings, content types,
//! the plain web-vitals JSON, CORS, and every way a payload is refused.

mod support;

use std::io::Write;
use support::{client, full_payload, histogram, sample, scrape, Collector};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn post(c: &Collector, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(c.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_item_kind_becomes_a_log_line_and_series() {
    let c = Collector::start(&[]);
    let r = post(
        &c,
        "/collect",
        "text/plain;charset=UTF-8",
        full_payload("shop").to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.text().await.unwrap(), "ok");
    let lines = c.lines();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "log",
            "exception",
            "measurement",
            "measurement",
            "event",
            "span"
        ]
    );
    let log = &lines[0];
    assert_eq!(log["message"], "hello");
    assert_eq!(log["context_k"], "v");
    assert_eq!(log["session_id"], "sess123");
    assert_eq!(log["app_name"], "shop");
    assert_eq!(log["timestamp"], "2026-08-24 10:15:02.123 +0000 UTC");
    let ex = &lines[1];
    assert_eq!(ex["type"], "TypeError");
    assert_eq!(
        ex["stacktrace"],
        "TypeError: boom\n  at onClick (https://shop.test/app.js:3:9)"
    );
    assert_eq!(ex["traceID"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(lines[2]["lcp"], "1200.000000");
    assert_eq!(lines[2]["value_lcp"], "1200");
    assert_eq!(lines[2]["context_rating"], "good");
    assert_eq!(lines[4]["event_name"], "checkout");
    assert_eq!(lines[4]["event_data_step"], "2");
    let span = &lines[5];
    assert_eq!(span["traceID"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(span["span_kind"], "client");
    assert_eq!(span["duration_ns"], "411000000");
    assert_eq!(span["attr_server.port"], "443");
    assert_eq!(span["service_name"], "shop");

    let s = scrape(&c).await;
    let lcp = histogram(
        &s,
        "web_vitals_seconds",
        &[
            ("app", "shop"),
            ("metric", "lcp"),
            ("rating", "good"),
            ("page", "/product/:id"),
        ],
    )
    .expect("lcp histogram");
    // 1.2 s falls in le=1.5 and above, not in le=1.
    assert_eq!(lcp.iter().find(|(le, _)| *le == 1.0).unwrap().1, 0.0);
    assert_eq!(lcp.iter().find(|(le, _)| *le == 1.5).unwrap().1, 1.0);
    assert_eq!(
        sample(&s, "web_vitals_seconds_sum", &[("metric", "lcp")]),
        Some(1.2)
    );
    assert_eq!(
        sample(&s, "web_vitals_seconds_count", &[("metric", "lcp")]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &s,
            "web_vitals_cls_sum",
            &[("metric", "cls"), ("rating", "needs-improvement")]
        ),
        Some(0.12)
    );
    assert_eq!(
        sample(
            &s,
            "rum_exceptions_total",
            &[("app", "shop"), ("type", "TypeError")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &s,
            "rum_events_total",
            &[("app", "shop"), ("name", "checkout")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&s, "rum_payloads_total", &[("result", "accepted")]),
        Some(1.0)
    );

    // The same metric ids again (a re-report after the page is shown again) are not counted twice.
    let r = post(
        &c,
        "/collect",
        "application/json",
        full_payload("shop").to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), 202);
    let s = scrape(&c).await;
    assert_eq!(
        sample(&s, "web_vitals_seconds_count", &[("metric", "lcp")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&s, "rum_exceptions_total", &[("app", "shop")]),
        Some(2.0)
    );
    assert!(c.stop().success());
}

#[tokio::test]
async fn gzip_bodies_are_inflated_within_the_limit() {
    let c = Collector::start(&["--max-body", "100000"]);
    let body = gzip(full_payload("zipped").to_string().as_bytes());
    let r = client()
        .post(c.url("/collect"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert!(c.lines().iter().any(|l| l["app_name"] == "zipped"));

    // 10 MB of spaces compress to ~10 KB: refused without being inflated past the limit.
    let mut bomb = b"{\"logs\":[],\"x\":\"".to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 10_000_000));
    let bomb = gzip(&bomb);
    assert!(bomb.len() < 100_000);
    let r = client()
        .post(c.url("/collect"))
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let mut truncated = gzip(full_payload("t").to_string().as_bytes());
    truncated.truncate(truncated.len() / 2);
    let r = client()
        .post(c.url("/collect"))
        .header("content-encoding", "gzip")
        .body(truncated)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("gzip"));
}

#[tokio::test]
async fn bad_payloads_get_4xx_with_a_reason_and_are_counted() {
    let c = Collector::start(&["--max-body", "2000"]);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("a number in context", br#"{"logs":[{"message":"m","context":{"n":1}}]}"#.to_vec(), 400, "invalid type"),
        ("a string lineno", br#"{"exceptions":[{"type":"E","value":"v","stacktrace":{"frames":[{"lineno":"12"}]}}]}"#.to_vec(), 400, "invalid"),
        ("malformed JSON", b"{\"logs\": [".to_vec(), 400, "invalid payload"),
        ("invalid UTF-8", b"{\"logs\":[{\"message\":\"\xff\xfe\"}]}".to_vec(), 400, "invalid payload"),
        ("deep nesting", "[".repeat(1500).into_bytes(), 400, "nested deeper"),
        ("over the body limit", vec![b' '; 5000], 413, "larger than"),
    ];
    for (name, body, status, reason) in cases {
        let r = post(&c, "/collect", "application/json", body).await;
        assert_eq!(r.status().as_u16(), status, "{name}");
        let text = r.text().await.unwrap();
        assert!(text.contains(reason), "{name}: {text}");
    }
    let r = post(&c, "/collect", "application/xml", b"<x/>".to_vec()).await;
    assert_eq!(r.status(), 415);
    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "rum_payloads_total",
            &[("result", "rejected"), ("reason", "invalid")]
        ),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &s,
            "rum_payloads_total",
            &[("result", "rejected"), ("reason", "too_large")]
        ),
        Some(1.0)
    );
    // Still serving after all that.
    assert_eq!(
        client()
            .get(c.url("/-/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn an_api_key_is_required_in_the_header_or_the_path() {
    let c = Collector::start(&["--api-key", "s3cret"]);
    let body = full_payload("keyed").to_string();
    assert_eq!(
        post(
            &c,
            "/collect",
            "application/json",
            body.clone().into_bytes()
        )
        .await
        .status(),
        401
    );
    let r = client()
        .post(c.url("/collect"))
        .header("x-api-key", "wrong")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(c.url("/collect"))
        .header("x-api-key", "s3cret")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        post(
            &c,
            "/collect/s3cret",
            "text/plain",
            body.clone().into_bytes()
        )
        .await
        .status(),
        202
    );
    assert_eq!(
        post(&c, "/collect/nope", "text/plain", body.into_bytes())
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_flood_from_one_app_gets_429_with_retry_after() {
    let c = Collector::start(&["--rate-limit", "1", "--rate-burst", "3"]);
    let body = full_payload("flood").to_string();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = post(
            &c,
            "/collect",
            "application/json",
            body.clone().into_bytes(),
        )
        .await;
        statuses.push((
            r.status().as_u16(),
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
    }
    assert_eq!(statuses.iter().filter(|(s, _)| *s == 202).count(), 3);
    let (status, retry) = &statuses[4];
    assert_eq!(*status, 429);
    assert_eq!(retry.as_deref(), Some("1"));
    // Another app has its own bucket.
    assert_eq!(
        post(
            &c,
            "/collect",
            "application/json",
            full_payload("other").to_string().into_bytes()
        )
        .await
        .status(),
        202
    );
}

#[tokio::test]
async fn cors_preflight_allows_exactly_alloys_headers() {
    let c = Collector::start(&["--cors-origin", "https://shop.test"]);
    let r = client()
        .request(reqwest::Method::OPTIONS, c.url("/collect"))
        .header("origin", "https://shop.test")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-faro-session-id",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://shop.test");
    assert_eq!(h["access-control-allow-headers"], "content-type, content-encoding, traceparent, x-api-key, x-faro-session-id, x-scope-orgid, idempotency-key");
    let r = client()
        .request(reqwest::Method::OPTIONS, c.url("/collect"))
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = client()
        .post(c.url("/collect"))
        .header("origin", "https://shop.test")
        .body(full_payload("cors").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.test"
    );

    let plain = Collector::start(&[]);
    let r = client()
        .post(plain.url("/collect"))
        .header("origin", "https://shop.test")
        .body(full_payload("cors").to_string())
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("access-control-allow-origin").is_none(),
        "no CORS headers unless origins are configured"
    );
}

#[tokio::test]
async fn the_plain_web_vitals_json_sites_already_send_is_taken() {
    let c = Collector::start(&[]);
    let reports = serde_json::json!([
        {"metric": "LCP", "value": 3100.0, "rating": "needs-improvement", "id": "v5-1", "navigation_type": "navigate", "page": "/checkout?x=1", "timestamp": 1787566502123u64, "session_id": "s9"},
        {"metric": "CLS", "value": 50, "rating": "good", "id": "v5-2", "navigation_type": "navigate", "page": "/checkout", "session_id": "s9"}
    ]);
    let r = post(
        &c,
        "/metrics/web-vitals",
        "application/json",
        reports.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), 202);
    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "web_vitals_seconds_sum",
            &[("metric", "lcp"), ("page", "/checkout"), ("app", "unknown")]
        ),
        Some(3.1)
    );
    assert_eq!(
        sample(
            &s,
            "web_vitals_cls_sum",
            &[("metric", "cls"), ("rating", "good")]
        ),
        Some(0.05),
        "CLS scaled by 1000 is scaled back"
    );
    let lines = c.lines();
    assert_eq!(lines[0]["kind"], "measurement");
    assert_eq!(lines[0]["lcp"], "3100.000000");
    assert_eq!(lines[0]["session_id"], "s9");
    assert_eq!(
        post(
            &c,
            "/metrics/web-vitals",
            "application/json",
            br#"{"metric":"LCP"}"#.to_vec()
        )
        .await
        .status(),
        400
    );
}

#[tokio::test]
async fn page_routes_are_bounded() {
    let c = Collector::start(&["--max-pages", "3"]);
    for i in 0..6 {
        let mut p = full_payload("pages");
        p["meta"]["page"]["url"] = serde_json::json!(format!("https://shop.test/section{i}/"));
        p["measurements"][0]["context"]["id"] = serde_json::json!(format!("id-{i}"));
        assert_eq!(
            post(
                &c,
                "/collect",
                "application/json",
                p.to_string().into_bytes()
            )
            .await
            .status(),
            202
        );
    }
    let s = scrape(&c).await;
    let pages: std::collections::BTreeSet<String> = s
        .samples
        .iter()
        .filter(|x| x.metric == "web_vitals_seconds_count")
        .filter_map(|x| x.labels.get("page").map(str::to_string))
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages.contains("other"));
    assert_eq!(
        sample(&s, "web_vitals_seconds_count", &[("page", "other")]),
        Some(3.0)
    );
}

/// Issue 15: a single-page app's metrics count under the route they measure
/// (`context.navigation_url`), with a bounded `navigation_type` label.
#[tokio::test]
async fn vitals_count_under_the_route_they_measure_and_their_navigation_type() {
    let c = Collector::start(&[]);
    let vital = |id: &str, url: Option<&str>, nav: &str, lcp: f64| {
        let mut context = serde_json::json!({ "id": id, "navigation_type": nav });
        if let Some(u) = url {
            context["navigation_url"] = serde_json::json!(u);
        }
        serde_json::json!({ "type": "web-vitals", "values": { "lcp": lcp, "delta": lcp }, "context": context })
    };
    let mut p = full_payload("spa");
    // Sent from the cart page: the page's own LCP (finalised at the route change) names `/`.
    p["meta"]["page"]["url"] = serde_json::json!("https://shop.test/cart?token=REDACTED");
    p["measurements"] = serde_json::json!([
        vital("v6-a", Some("https://shop.test/"), "navigate", 1200.0),
        vital(
            "v6-b",
            Some("https://shop.test/cart?token=REDACTED"),
            "soft-navigation",
            300.0
        ),
        vital("v6-c", None, "soft-navigation", 400.0),
        vital(
            "v6-d",
            Some("https://shop.test/product/12345"),
            "bogus\nkind",
            500.0
        ),
    ]);
    let r = post(
        &c,
        "/collect",
        "application/json",
        p.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status(), 202);
    let s = scrape(&c).await;
    let count = |page: &str, nav: &str| {
        sample(
            &s,
            "web_vitals_seconds_count",
            &[
                ("app", "spa"),
                ("metric", "lcp"),
                ("page", page),
                ("navigation_type", nav),
            ],
        )
    };
    assert_eq!(count("/", "navigate"), Some(1.0));
    assert_eq!(
        count("/cart", "soft-navigation"),
        Some(2.0),
        "by navigation_url, else the page URL"
    );
    assert_eq!(
        count("/product/:id", "other"),
        Some(1.0),
        "an unknown navigation type is other"
    );
}
