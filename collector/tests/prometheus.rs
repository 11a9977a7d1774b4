//! A real Prometheus scrapes the collector, and `histogram_quantile(0.75, …)` over
//! `web_vitals_seconds` equals Prometheus' interpolation over our buckets, computed here independently.

mod support;

use std::process::{Command, Stdio};
use support::{client, full_payload, Collector};

const BUCKETS: [f64; 15] = [
    0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 1.8, 2.5, 3.0, 4.0, 6.0, 10.0, 20.0,
];

/// Prometheus' histogram_quantile: find the bucket holding rank q·n, interpolate linearly inside it.
fn expected_quantile(q: f64, values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let rank = q * n;
    let mut below = 0.0;
    let mut lower = 0.0;
    for &upper in &BUCKETS {
        let cum = values.iter().filter(|&&v| v <= upper).count() as f64;
        if cum >= rank {
            return lower + (upper - lower) * (rank - below) / (cum - below);
        }
        below = cum;
        lower = upper;
    }
    *BUCKETS.last().unwrap()
}

/// Percent-encodes a query parameter value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn prometheus_p75_over_our_buckets_matches_an_independent_computation() {
    let prometheus = std::path::Path::new("/usr/bin/prometheus");
    if !prometheus.exists() {
        assert!(
            std::env::var("WASM_RUM_REQUIRE_PROMETHEUS").is_err(),
            "WASM_RUM_REQUIRE_PROMETHEUS is set but /usr/bin/prometheus is missing"
        );
        eprintln!("skipped: /usr/bin/prometheus is not installed (scripts/bootstrap installs it)");
        return;
    }
    let c = Collector::start(&[]);
    let values_s = [0.4, 0.9, 1.2, 1.6, 2.2, 2.7, 3.5, 5.0, 0.7, 1.9];
    for (i, v) in values_s.iter().enumerate() {
        let mut p = full_payload("promapp");
        p["measurements"] = serde_json::json!([{"type": "web-vitals", "values": {"lcp": v * 1000.0, "delta": v * 1000.0}, "context": {"id": format!("v6-{i}")}}]);
        let r = client()
            .post(c.url("/collect"))
            .body(p.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let dir = c.dir.join("prom");
    std::fs::create_dir_all(&dir).unwrap();
    let target = c.base.trim_start_matches("http://").to_string();
    let config = format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: rum\n    static_configs:\n      - targets: ['{target}']\n");
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let mut prom = Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let query = "histogram_quantile(0.75, sum by (le) (web_vitals_seconds_bucket{app=\"promapp\",metric=\"lcp\"}))";
    let mut got = None;
    for _ in 0..120 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let url = format!(
            "http://127.0.0.1:{port}/api/v1/query?query={}",
            encode(query)
        );
        let Ok(r) = client().get(url).send().await else {
            continue;
        };
        let Ok(v) = r.json::<serde_json::Value>().await else {
            continue;
        };
        if let Some(s) = v["data"]["result"][0]["value"][1].as_str() {
            got = s.parse::<f64>().ok();
            break;
        }
    }
    let _ = prom.kill();
    let _ = prom.wait();
    let got = got.expect("Prometheus answered the p75 query");
    let want = expected_quantile(0.75, &values_s);
    assert!(
        (got - want).abs() < 1e-9,
        "Prometheus says {got}, our interpolation says {want}"
    );
    // And the rank falls in the bucket that holds the true p75 of the raw values.
    let mut sorted = values_s.to_vec();
    sorted.sort_by(f64::total_cmp);
    let true_p75 = sorted[(0.75 * sorted.len() as f64).ceil() as usize - 1];
    let bucket_of = |v: f64| BUCKETS.iter().position(|&b| v <= b);
    assert_eq!(bucket_of(got), bucket_of(true_p75));
}
