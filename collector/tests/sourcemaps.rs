//! Source maps on the real binary: the logfmt file and the Loki lines show mapped frames, and a
//! huge, slow or missing map leaves the frame as it was with a 202. (The bundle built by esbuild
//! and thrown in Chromium is tests/e2e/sourcemaps.test.mjs.)

mod support;

use axum::routing::{get, post};
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{client, sample, scrape, Collector};

/// `function o(){function r(){throw new Error("x")}r()}o();` mapped to `src/cart.ts`, the throw
/// at 1:27 of the bundle being 3:5 of `inner`.
fn bundle() -> (String, String) {
    let minified = "function o(){function r(){throw new Error(\"x\")}r()}o();\n".to_string();
    let mut b = sourcemap::SourceMapBuilder::new(None);
    let src = b.add_source("src/cart.ts");
    b.set_source_contents(
        src,
        Some("export function outer() {\n  function inner() {\n    throw new Error(\"x\");\n  }\n  inner();\n}\n"),
    );
    let outer = b.add_name("outer");
    let inner = b.add_name("inner");
    b.add_raw(0, 0, 0, 0, Some(src), None, false);
    b.add_raw(0, 9, 0, 16, Some(src), Some(outer), false);
    b.add_raw(0, 13, 1, 2, Some(src), None, false);
    b.add_raw(0, 22, 1, 11, Some(src), Some(inner), false);
    b.add_raw(0, 26, 2, 4, Some(src), None, false);
    b.add_raw(0, 48, 4, 2, Some(src), None, false);
    let mut json = Vec::new();
    b.into_sourcemap().to_writer(&mut json).unwrap();
    (minified, String::from_utf8(json).unwrap())
}

fn payload(file: &str, release: &str) -> serde_json::Value {
    serde_json::json!({
        "meta": {"app": {"name": "shop", "release": release}},
        "exceptions": [{"type": "Error", "value": "x", "stacktrace": {"frames": [
            {"function": "r", "filename": file, "lineno": 1, "colno": 27}
        ]}}]
    })
}

fn maps_dir(release: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wrc-maps-{}-{release}", std::process::id()));
    let (minified, json) = bundle();
    std::fs::create_dir_all(dir.join(release).join("assets")).unwrap();
    std::fs::write(dir.join(release).join("assets/app.js"), minified).unwrap();
    std::fs::write(dir.join(release).join("assets/app.js.map"), json).unwrap();
    dir
}

type Captured = Arc<Mutex<Vec<Vec<u8>>>>;

async fn loki() -> (String, Captured) {
    let got: Captured = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/loki/api/v1/push",
        post(move |body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push(body.to_vec());
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

async fn post_payload(c: &Collector, body: &serde_json::Value) -> u16 {
    client()
        .post(c.url("/collect"))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn logfmt_and_loki_lines_show_the_mapped_frame() {
    let dir = maps_dir("7.1");
    let (loki_url, pushed) = loki().await;
    let rule = format!("https://shop.example.com/={}/{{release}}", dir.display());
    let c = Collector::start(&[
        "--log-format",
        "logfmt",
        "--loki-url",
        &loki_url,
        "--sourcemaps-dir",
        &rule,
    ]);
    let status = post_payload(
        &c,
        &payload("https://shop.example.com/assets/app.js?h=1", "7.1"),
    )
    .await;
    assert_eq!(status, 202);
    let want = r#"\n  at inner (src/cart.ts:3:5)"#;
    c.wait_file_written();
    let file = std::fs::read_to_string(c.dir.join("log.jsonl")).unwrap();
    assert!(file.contains(want), "{file}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let got = pushed.lock().unwrap().clone();
        if let Some(b) = got.first() {
            break String::from_utf8_lossy(b).into_owned();
        }
        assert!(Instant::now() < deadline, "nothing pushed to Loki");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The Loki body is JSON holding the logfmt line: its `\n` is written `\\n`.
    assert!(
        line.contains(r#"\\n  at inner (src/cart.ts:3:5)"#),
        "{line}"
    );
    let s = scrape(&c).await;
    assert_eq!(
        sample(&s, "rum_sourcemap_lookups_total", &[("result", "mapped")]),
        Some(1.0)
    );
    c.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// A site whose map is over the size cap, and one that never answers.
async fn bad_site() -> String {
    let (minified, json) = bundle();
    let big = format!("{json}{}", " ".repeat(4096));
    let app = Router::new()
        .route(
            "/big.js",
            get(move || {
                let m = minified.clone();
                async move { m }
            }),
        )
        .route("/big.js.map", get(move || std::future::ready(big.clone())))
        .route(
            "/slow.js",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                ""
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_huge_slow_or_missing_map_leaves_the_frame_and_the_payload_is_accepted() {
    let site = bad_site().await;
    let c = Collector::start(&[
        "--sourcemaps-download",
        "--sourcemaps-origin",
        &site,
        "--sourcemaps-max-bytes",
        "2048",
        "--sourcemaps-timeout",
        "0.3",
    ]);
    for (file, result) in [
        ("big.js", "too_large"),
        ("slow.js", "timeout"),
        ("gone.js", "missing"),
    ] {
        let url = format!("{site}/{file}");
        let started = Instant::now();
        assert_eq!(post_payload(&c, &payload(&url, "")).await, 202, "{file}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{file} took {:?}",
            started.elapsed()
        );
        let s = scrape(&c).await;
        assert_eq!(
            sample(&s, "rum_sourcemap_lookups_total", &[("result", result)]),
            Some(1.0),
            "{file}"
        );
    }
    let lines = c.lines();
    let stacks: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["stacktrace"].as_str())
        .collect();
    assert_eq!(stacks.len(), 3);
    for (stack, file) in stacks.iter().zip(["big.js", "slow.js", "gone.js"]) {
        assert_eq!(
            *stack,
            format!("Error: x\n  at r ({site}/{file}:1:27)"),
            "unmapped"
        );
    }
    c.stop();
}
