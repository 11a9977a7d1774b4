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

type Hits = Arc<Mutex<Vec<String>>>;
/// A route: path, status, one extra header, body.
type Route = (&'static str, u16, Option<(&'static str, String)>, String);

/// Serves `routes` (path → (status, extra header, body)) and records each path asked for.
async fn site(routes: Vec<Route>) -> (String, Hits) {
    let hits: Hits = Arc::default();
    let h = hits.clone();
    let routes = Arc::new(routes);
    let app = Router::new().fallback(move |uri: axum::http::Uri| {
        let (h, routes) = (h.clone(), routes.clone());
        async move {
            h.lock().unwrap().push(uri.path().to_string());
            match routes.iter().find(|r| r.0 == uri.path()) {
                Some((_, status, header, body)) => {
                    let mut r = axum::response::Response::new(axum::body::Body::from(body.clone()));
                    *r.status_mut() = axum::http::StatusCode::from_u16(*status).unwrap();
                    if let Some((k, v)) = header {
                        r.headers_mut().insert(*k, v.parse().unwrap());
                    }
                    r
                }
                None => {
                    let mut r = axum::response::Response::new(axum::body::Body::empty());
                    *r.status_mut() = axum::http::StatusCode::NOT_FOUND;
                    r
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

#[tokio::test]
async fn the_map_is_found_by_dot_map_data_urls_and_redirects_only_within_allowed_origins() {
    let (minified, json) = bundle();
    let (other, other_hits) = site(vec![("/x.map", 200, None, json.clone())]).await;
    let data = format!(
        "data:application/json;base64,{}",
        base64_encode(json.as_bytes())
    );
    let (shop, shop_hits) = site(vec![
        // No comment: `<script>.map`.
        ("/plain.js", 200, None, minified.clone()),
        ("/plain.js.map", 200, None, json.clone()),
        // A data: URL: no map request.
        (
            "/inline.js",
            200,
            None,
            format!("{minified}//# sourceMappingURL={data}\n"),
        ),
        // A redirect within the origin is followed.
        (
            "/moved.js",
            200,
            None,
            format!("{minified}//# sourceMappingURL=maps/moved.map\n"),
        ),
        (
            "/maps/moved.map",
            302,
            Some(("location", "/real.map".into())),
            String::new(),
        ),
        ("/real.map", 200, None, json.clone()),
        // A redirect to another origin is not.
        (
            "/away.js",
            200,
            None,
            format!("{minified}//# sourceMappingURL=/away.map\n"),
        ),
        (
            "/away.map",
            302,
            Some(("location", format!("{other}/x.map"))),
            String::new(),
        ),
        // A comment naming another origin is not fetched either.
        (
            "/elsewhere.js",
            200,
            None,
            format!("{minified}//# sourceMappingURL={other}/x.map\n"),
        ),
    ])
    .await;
    let c = Collector::start(&["--sourcemaps-download", "--sourcemaps-origin", &shop]);
    for (file, mapped) in [
        ("plain.js", true),
        ("inline.js", true),
        ("moved.js", true),
        ("away.js", false),
        ("elsewhere.js", false),
    ] {
        assert_eq!(
            post_payload(&c, &payload(&format!("{shop}/{file}"), "")).await,
            202
        );
        let lines = c.lines();
        let stack = lines.last().unwrap()["stacktrace"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            stack.contains("at inner (src/cart.ts:3:5)"),
            mapped,
            "{file}: {stack}"
        );
    }
    assert_eq!(*other_hits.lock().unwrap(), Vec::<String>::new());
    let hits = shop_hits.lock().unwrap().clone();
    assert!(!hits.iter().any(|h| h == "/inline.js.map"), "{hits:?}");
    assert!(hits.contains(&"/real.map".to_string()), "{hits:?}");
    let s = scrape(&c).await;
    assert_eq!(
        sample(
            &s,
            "rum_sourcemap_lookups_total",
            &[("result", "not_allowed")]
        ),
        Some(2.0)
    );
    c.stop();
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
