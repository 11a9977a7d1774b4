//! The frontend SLI series on the real binary: page views and sessions weighted by 1/sampling
//! rate, views with errors counted once per page id within a bounded memory, fetch/XHR latency
//! by route with trace exemplars; and a real Prometheus evaluating the shipped rules
//! (examples/grafana/rules/frontend-slo.yml) and storing the exemplars.

mod support;

use serde_json::{json, Value};
use support::{client, histogram, sample, scrape, Collector, Prometheus, PrometheusOptions};

/// A payload of one view: `page_id` at `url`, in session `session`.
fn payload(app: &str, session: &str, page_id: &str, url: &str) -> Value {
    json!({
        "meta": {
            "sdk": {"name": "wasm-rum", "version": "0.1.0"},
            "app": {"name": app},
            "session": {"id": session},
            "page": {"id": page_id, "url": url},
        },
    })
}

/// A `page_view` (or `session_start`) event as the agent sends it.
fn event(name: &str, sampled: bool, rate: &str) -> Value {
    json!({"name": name, "domain": "browser", "attributes": {
        "navigation_type": "navigate",
        "session_sampled": sampled.to_string(),
        "sampling_rate": rate,
    }})
}

fn exception(value: &str) -> Value {
    json!({"type": "TypeError", "value": value,
        "stacktrace": {"frames": [{"function": "f", "filename": "https://shop.test/app.js", "lineno": 1, "colno": 2}]}})
}

/// Which semantic-convention names a span's HTTP attributes use.
#[derive(Clone, Copy)]
enum Conventions {
    /// `http.request.method`, `url.full`, `http.response.status_code` (the agent's).
    Stable,
    /// `http.method`, `http.url`, `http.status_code` (older OpenTelemetry JS, Faro's web-tracing).
    Old,
}

/// A CLIENT span of a fetch taking `ms`, with `status` (None: the request failed).
fn fetch_span(
    trace_id: &str,
    names: Conventions,
    method: &str,
    url: &str,
    status: Option<i64>,
    ms: u64,
) -> Value {
    let (m, u, s) = match names {
        Conventions::Stable => (
            "http.request.method",
            "url.full",
            "http.response.status_code",
        ),
        Conventions::Old => ("http.method", "http.url", "http.status_code"),
    };
    let mut attributes = vec![
        json!({"key": m, "value": {"stringValue": method}}),
        json!({"key": u, "value": {"stringValue": url}}),
    ];
    if let Some(code) = status {
        attributes.push(json!({"key": s, "value": {"intValue": code.to_string()}}));
    }
    let start: u64 = 1_787_566_502_000_000_000;
    json!({"traceId": trace_id, "spanId": "00f067aa0ba902b7", "name": method, "kind": 3,
        "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + ms * 1_000_000).to_string(),
        "attributes": attributes, "status": {}})
}

fn with_spans(mut p: Value, spans: Vec<Value>) -> Value {
    p["traces"] = json!({"resourceSpans": [{"resource": {"attributes": []},
        "scopeSpans": [{"scope": {"name": "wasm-rum"}, "spans": spans}]}]});
    p
}

async fn post(c: &Collector, p: &Value) {
    let r = client()
        .post(c.url("/collect"))
        .body(p.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
}

/// A trace id of 32 hex characters, distinct for each `n`.
fn trace_id(n: usize) -> String {
    format!("4bf92f3577b34da6a3ce{n:012x}")
}

#[tokio::test]
async fn page_views_and_sessions_of_sampled_sessions_weigh_one_over_the_rate() {
    let c = Collector::start(&[]);
    // Session a, head-sampled at 0.5: its start and three views (two product pages, the home).
    let mut first = payload("shop", "a", "a1", "https://shop.test/product/12345");
    first["events"] = json!([
        event("session_start", true, "0.5"),
        event("page_view", true, "0.5")
    ]);
    post(&c, &first).await;
    let mut p = payload("shop", "a", "a2", "https://shop.test/product/999?ref=x");
    p["events"] = json!([event("page_view", true, "0.5")]);
    post(&c, &p).await;
    let mut p = payload("shop", "a", "a3", "https://shop.test/");
    p["events"] = json!([event("page_view", true, "0.5")]);
    post(&c, &p).await;
    // Session b, sampled out and promoted by an error: its start and view add nothing.
    let mut p = payload("shop", "b", "b1", "https://shop.test/product/777");
    p["events"] = json!([
        event("session_start", false, "0.5"),
        event("page_view", false, "0.5")
    ]);
    p["exceptions"] = json!([exception("boom")]);
    post(&c, &p).await;
    // Session c gives a rate no sampler produces: counted as 1.
    let mut p = payload("shop", "c", "c1", "https://shop.test/");
    p["events"] = json!([
        event("session_start", true, "often"),
        event("page_view", true, "0")
    ]);
    post(&c, &p).await;

    let s = scrape(&c).await;
    let views = |page| {
        sample(
            &s,
            "rum_page_views_total",
            &[("app", "shop"), ("page", page)],
        )
    };
    assert_eq!(views("/product/:id"), Some(4.0), "two views at 1/0.5 each");
    assert_eq!(
        views("/"),
        Some(3.0),
        "one at 1/0.5, one at an invalid rate (1)"
    );
    assert_eq!(
        sample(&s, "rum_sessions_total", &[("app", "shop")]),
        Some(3.0)
    );
    // The events themselves are all counted as events, sampled or not.
    assert_eq!(
        sample(
            &s,
            "rum_events_total",
            &[("app", "shop"), ("name", "page_view")]
        ),
        Some(5.0)
    );
    // And each one still has its line, with the sampling attributes a LogQL query reads.
    let lines = c.lines();
    let promoted: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "event" && l["event_name"] == "page_view")
        .filter(|l| l["event_data_session_sampled"] == "false")
        .collect();
    assert_eq!(promoted.len(), 1);
    assert_eq!(promoted[0]["event_data_sampling_rate"], "0.5");
    assert_eq!(promoted[0]["page_id"], "b1");
}

#[tokio::test]
async fn a_view_with_several_exceptions_counts_once_by_page_id() {
    let c = Collector::start(&[]);
    // View p1: two exceptions in one payload, a third in a later one.
    let mut p = payload("shop", "s", "p1", "https://shop.test/cart");
    p["exceptions"] = json!([exception("a"), exception("b")]);
    post(&c, &p).await;
    let mut p = payload("shop", "s", "p1", "https://shop.test/cart");
    p["exceptions"] = json!([exception("c")]);
    post(&c, &p).await;
    // View p2 of the same page: one more view with errors. View p3: events only.
    let mut p = payload("shop", "s", "p2", "https://shop.test/cart");
    p["exceptions"] = json!([exception("d")]);
    post(&c, &p).await;
    let mut p = payload("shop", "s", "p3", "https://shop.test/cart");
    p["events"] = json!([event("page_view", true, "1")]);
    post(&c, &p).await;
    // The same page id under another app is another view.
    let mut p = payload("blog", "s", "p1", "https://blog.test/");
    p["exceptions"] = json!([exception("e")]);
    post(&c, &p).await;

    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "rum_page_views_with_errors_total",
            &[("app", "shop"), ("page", "/cart")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &s,
            "rum_page_views_with_errors_total",
            &[("app", "blog"), ("page", "/")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &s,
            "rum_exceptions_total",
            &[("app", "shop"), ("type", "TypeError")]
        ),
        Some(4.0),
        "every exception is still counted"
    );
}

#[tokio::test]
async fn the_page_id_memory_keeps_only_the_last_max_error_page_ids() {
    let c = Collector::start(&["--max-error-page-ids", "2"]);
    let errs = |id: &str| {
        let mut p = payload("shop", "s", id, "https://shop.test/");
        p["exceptions"] = json!([exception(id)]);
        p
    };
    for id in ["p1", "p2", "p3"] {
        post(&c, &errs(id)).await;
    }
    // p3 is among the last two: not counted again. p1 has been forgotten: counted again.
    post(&c, &errs("p3")).await;
    post(&c, &errs("p1")).await;
    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "rum_page_views_with_errors_total",
            &[("app", "shop"), ("page", "/")]
        ),
        Some(4.0)
    );
}

#[tokio::test]
async fn fetch_spans_fill_the_http_client_histogram_with_trace_id_exemplars() {
    let c = Collector::start(&["--max-http-servers", "2"]);
    let mut p = payload("shop", "s", "p1", "https://shop.test/product/1");
    p = with_spans(
        p,
        vec![
            fetch_span(
                &trace_id(1),
                Conventions::Stable,
                "GET",
                "https://api.test/api/items/12345?q=1",
                Some(200),
                30,
            ),
            fetch_span(
                &trace_id(2),
                Conventions::Old,
                "get",
                "https://api.test/api/items/67890",
                Some(200),
                300,
            ),
            fetch_span(
                &trace_id(3),
                Conventions::Stable,
                "POST",
                "/api/cart",
                Some(503),
                60,
            ),
            fetch_span(
                &trace_id(4),
                Conventions::Stable,
                "GET",
                "https://cdn.test/x.json",
                None,
                5000,
            ),
            fetch_span(
                &trace_id(5),
                Conventions::Old,
                "GET",
                "https://third.test/",
                Some(200),
                1,
            ),
        ],
    );
    // A server span and a client span without a URL are no fetches.
    let mut server = fetch_span(
        &trace_id(6),
        Conventions::Stable,
        "GET",
        "https://api.test/x",
        Some(200),
        1,
    );
    server["kind"] = json!(2);
    let mut no_url = fetch_span(&trace_id(7), Conventions::Stable, "GET", "", Some(200), 1);
    no_url["attributes"] = json!([{"key": "http.request.method", "value": {"stringValue": "GET"}}]);
    p["traces"]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array_mut()
        .unwrap()
        .extend([server, no_url]);
    post(&c, &p).await;

    let r = client().get(c.url("/metrics")).send().await.unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    let s = {
        let lines = text.lines().map(|l| Ok(l.to_string()));
        prometheus_parse::Scrape::parse(lines).unwrap()
    };
    let h = |method, class, server, route| {
        histogram(
            &s,
            "rum_http_client_duration_seconds",
            &[
                ("app", "shop"),
                ("method", method),
                ("status_class", class),
                ("server", server),
                ("route", route),
            ],
        )
    };
    // Both conventions land in the same series: one call under 50 ms, one in (250, 500] ms.
    let items = h("GET", "2xx", "api.test", "/api/items/:id").expect("the items series");
    let count = |buckets: &[(f64, f64)], le: f64| buckets.iter().find(|(b, _)| *b == le).unwrap().1;
    assert_eq!(count(&items, 0.025), 0.0);
    assert_eq!(count(&items, 0.05), 1.0);
    assert_eq!(count(&items, 0.25), 1.0);
    assert_eq!(count(&items, 0.5), 2.0);
    assert_eq!(count(&items, f64::INFINITY), 2.0);
    let bounds: Vec<f64> = items.iter().map(|(b, _)| *b).collect();
    assert_eq!(
        bounds,
        [
            0.005,
            0.01,
            0.025,
            0.05,
            0.075,
            0.1,
            0.25,
            0.5,
            0.75,
            1.0,
            2.5,
            5.0,
            7.5,
            10.0,
            f64::INFINITY
        ],
        "OpenTelemetry's HTTP client buckets"
    );
    // A relative URL is the page's host; a request without a status is `error`; the third
    // host is past --max-http-servers 2.
    assert_eq!(
        h("POST", "5xx", "shop.test", "/api/cart").map(|b| count(&b, 0.075)),
        Some(1.0)
    );
    assert_eq!(
        h("GET", "error", "other", "/x.json").map(|b| count(&b, 5.0)),
        Some(1.0)
    );
    assert_eq!(
        h("GET", "2xx", "other", "/").map(|b| count(&b, 0.005)),
        Some(1.0)
    );
    let series = s
        .samples
        .iter()
        .filter(|x| x.metric == "rum_http_client_duration_seconds")
        .count();
    assert_eq!(
        series, 4,
        "no series for the server span or the span without a URL"
    );
    // Each observation is its bucket's exemplar, with the span's trace id and the duration.
    let exemplar = |le: &str, id: &str, value: &str| {
        text.lines().any(|l| {
            l.starts_with(&format!(
                "rum_http_client_duration_seconds_bucket{{le=\"{le}\","
            )) && l.ends_with(&format!(" # {{trace_id=\"{id}\"}} {value}"))
        })
    };
    assert!(exemplar("0.05", &trace_id(1), "0.03"), "{text}");
    assert!(exemplar("0.5", &trace_id(2), "0.3"), "{text}");
    assert!(exemplar("0.075", &trace_id(3), "0.06"), "{text}");
    assert!(exemplar("5.0", &trace_id(4), "5.0"), "{text}");
    assert!(!text.contains(&trace_id(6)) && !text.contains(&trace_id(7)));
}

/// One journey: 4 views of a session head-sampled at 0.5 (8 estimated) and 2 of a promoted
/// session (not added), 3 exceptions on 2 views, 12 fetches. Its trace ids start at `first_trace`.
fn journey(round: usize, first_trace: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..4 {
        let mut p = payload(
            "slo",
            &format!("kept-{round}"),
            &format!("kept-{round}-{i}"),
            &format!("https://shop.test/product/{}", 100 + i),
        );
        p["events"] = json!([event("page_view", true, "0.5")]);
        if i == 0 {
            p["exceptions"] = json!([exception("kept")]);
        }
        out.push(p);
    }
    for i in 0..2 {
        let mut p = payload(
            "slo",
            &format!("promoted-{round}"),
            &format!("promoted-{round}-{i}"),
            "https://shop.test/checkout",
        );
        p["events"] = json!([event("page_view", false, "0.5")]);
        if i == 1 {
            p["exceptions"] = json!([exception("promoted 1"), exception("promoted 2")]);
        }
        out.push(p);
    }
    // /api/items/:id: 9 calls of 30 ms and one of 300 ms; /api/cart: two of 600 ms.
    let mut spans = Vec::new();
    for i in 0..10 {
        let ms = if i == 9 { 300 } else { 30 };
        let url = format!("https://api.test/api/items/{}", 1000 + i);
        spans.push(fetch_span(
            &trace_id(first_trace + i),
            Conventions::Stable,
            "GET",
            &url,
            Some(200),
            ms,
        ));
    }
    for i in 10..12 {
        spans.push(fetch_span(
            &trace_id(first_trace + i),
            Conventions::Stable,
            "POST",
            "https://api.test/api/cart",
            Some(201),
            600,
        ));
    }
    out.push(with_spans(
        payload(
            "slo",
            &format!("kept-{round}"),
            &format!("kept-{round}-0"),
            "https://shop.test/product/100",
        ),
        spans,
    ));
    out
}

#[tokio::test]
async fn prometheus_evaluates_the_shipped_rules_and_stores_the_trace_exemplars() {
    let c = Collector::start(&[]);
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/grafana/rules/frontend-slo.yml")
        .canonicalize()
        .unwrap();
    // The whole first journey is in before Prometheus starts: its first scrape holds all of it.
    for p in journey(1, 0) {
        post(&c, &p).await;
    }
    let Some(prom) = Prometheus::start_with(
        &c.dir.join("prom"),
        &[("rum", vec![c.host()])],
        PrometheusOptions {
            rule_files: vec![rules],
            features: vec!["exemplar-storage".into()],
        },
    ) else {
        return;
    };
    // The same journey again, a scrape later: every series grows by what it held, so rate()
    // extrapolates numerator and denominator alike and the ratios are the journey's own.
    prom.value_until("sum(rum_page_views_total{app=\"slo\"})", |v| v == 8.0)
        .await;
    for p in journey(2, 100) {
        post(&c, &p).await;
    }
    prom.value_until("sum(rum_page_views_total{app=\"slo\"})", |v| v == 16.0)
        .await;

    let close = |want: f64| move |v: f64| (v - want).abs() < 1e-9;
    // 3 exceptions per 8 estimated views; 2 views with errors per 8.
    let (labels, _) = prom
        .value_until("app:rum_error_rate:ratio_rate5m{app=\"slo\"}", close(0.375))
        .await;
    assert_eq!(labels["app"], "slo");
    prom.value_until(
        "app:rum_views_with_errors:ratio_rate5m{app=\"slo\"}",
        close(0.25),
    )
    .await;
    // p95 per route: /api/items/:id rank 19 of 20 with 18 below 0.25: 0.25 + 0.25 × 1/2;
    // /api/cart all in (0.5, 0.75]: 0.5 + 0.25 × 0.95.
    prom.value_until(
        "route:rum_http_client_duration_seconds:p95_5m{app=\"slo\",route=\"/api/items/:id\"}",
        close(0.375),
    )
    .await;
    prom.value_until(
        "route:rum_http_client_duration_seconds:p95_5m{app=\"slo\",route=\"/api/cart\"}",
        close(0.7375),
    )
    .await;

    // Every shipped rule loaded and evaluated without error.
    let rules = prom.api("rules").await;
    let all: Vec<&Value> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    assert_eq!(all.len(), 12, "{rules}");
    for r in &all {
        assert_eq!(r["health"], "ok", "{r}");
    }

    // The exemplars Prometheus stored carry trace ids the spans had.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sent: Vec<String> = (0..12).chain(100..112).map(trace_id).collect();
    let query = support::percent_encode(
        "rum_http_client_duration_seconds_bucket{app=\"slo\",route=\"/api/cart\"}",
    );
    let answer = prom
        .api(&format!(
            "query_exemplars?query={query}&start={}&end={}",
            now - 600,
            now + 60
        ))
        .await;
    let ids: Vec<&str> = answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["exemplars"].as_array().unwrap())
        .map(|e| e["labels"]["trace_id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty(), "no exemplars: {answer}");
    for id in &ids {
        assert!(sent.iter().any(|s| s == id), "{id} was never sent");
    }
}

/// A stand-in Loki: every push body it gets.
async fn loki() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
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

/// The pairs of a logfmt line (the collector's: bare or double-quoted values).
fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim_start().to_string();
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            v.push(e);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            rest = &quoted[end..];
            v
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let v = rest[..end].to_string();
            rest = &rest[end..];
            v
        };
        out.push((key, value));
    }
    out
}

/// The lines `{selector} | logfmt | k="v" | k!="v"` (the `count_over_time(...)` argument of a
/// documented query, range dropped) keeps from the pushed streams: the subset of LogQL the
/// documented queries use, evaluated by its meaning.
fn select(query: &str, pushes: &[Value]) -> Vec<Vec<(String, String)>> {
    let inner = query
        .split_once("count_over_time(")
        .and_then(|(_, r)| r.split_once(" ["))
        .map(|(q, _)| q)
        .unwrap_or_else(|| panic!("no count_over_time(… [range]) in {query}"));
    let (selector, pipeline) = inner.split_once('}').unwrap();
    let matcher = |m: &str| -> (String, bool, String) {
        let (k, v, eq) = match m.split_once("!=") {
            Some((k, v)) => (k, v, false),
            None => {
                let (k, v) = m.split_once('=').unwrap();
                (k, v, true)
            }
        };
        (
            k.trim().to_string(),
            eq,
            v.trim().trim_matches('"').to_string(),
        )
    };
    let labels: Vec<_> = selector
        .trim_start_matches('{')
        .split(", ")
        .map(matcher)
        .collect();
    let mut stages = pipeline
        .split(" | ")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let filters: Vec<_> = match stages.next() {
        Some("logfmt") => stages.map(matcher).collect(),
        None => Vec::new(),
        Some(other) => panic!("stage {other} in {query}"),
    };
    let holds = |(k, eq, v): &(String, bool, String), get: &dyn Fn(&str) -> Option<String>| {
        (get(k).unwrap_or_default() == *v) == *eq
    };
    let mut out = Vec::new();
    for stream in pushes.iter().flat_map(|p| p["streams"].as_array().unwrap()) {
        let stream_label = |k: &str| stream["stream"][k].as_str().map(str::to_string);
        if !labels.iter().all(|m| holds(m, &stream_label)) {
            continue;
        }
        for entry in stream["values"].as_array().unwrap() {
            let pairs = logfmt(entry[1].as_str().unwrap());
            let field = |k: &str| pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
            if filters.iter().all(|m| holds(m, &field)) {
                out.push(pairs.clone());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_documented_logql_error_rate_matches_the_journey_on_the_pushed_lines() {
    let docs = include_str!("../../docs/backend.md");
    let block = |start: &str| -> String {
        let at = docs
            .find(start)
            .unwrap_or_else(|| panic!("docs/backend.md lacks {start}"));
        docs[at..].split("\n```").next().unwrap().to_string()
    };
    let rate_query = block("sum(count_over_time({service_name=\"shop\", kind=\"exception\"}");
    let (exceptions_query, views_query) = rate_query.split_once("\n/\n").unwrap();
    let error_views_query = block("count(sum by (page_id)");
    let divisor: f64 = views_query
        .rsplit_once(") / ")
        .and_then(|(_, r)| r.trim_end_matches(')').parse().ok())
        .expect("the views divided by the rate");
    assert_eq!(divisor, 0.5);

    let (base, pushes) = loki().await;
    let c = Collector::start(&["--loki-url", &base]);
    let mut journey = journey(1, 0);
    for p in &mut journey {
        p["meta"]["app"]["name"] = json!("shop");
        post(&c, p).await;
    }
    // The journey's own numbers: 4 head-sampled views at 0.5 and 2 promoted, 3 exceptions on
    // 2 views, 12 span lines. Wait for all of them (Loki gets a push a second after a line).
    let expected_lines = 4 + 2 + 3 + 12;
    let pushed = loop {
        let got = pushes.lock().unwrap().clone();
        let n = select("count_over_time({service_name=\"shop\"} [5m])", &got).len();
        if n >= expected_lines {
            break got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let exceptions = select(exceptions_query, &pushed).len() as f64;
    let views = select(views_query, &pushed).len() as f64;
    assert_eq!((exceptions, views), (3.0, 4.0));
    assert_eq!(
        exceptions / (views / divisor),
        0.375,
        "as the Prometheus rule"
    );
    let pages: std::collections::BTreeSet<String> = select(&error_views_query, &pushed)
        .iter()
        .filter_map(|l| {
            l.iter()
                .find(|(k, _)| k == "page_id")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(pages.len(), 2);
}
