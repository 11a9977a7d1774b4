//! The real collector binary against payloads an attacker would send: forged log lines,
//! poisoned histograms, unbounded labels, amplification, and replicas naming routes alike.

mod support;

use support::{client, Collector};

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
