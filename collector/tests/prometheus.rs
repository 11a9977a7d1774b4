//! A real Prometheus scrapes the collector, and `histogram_quantile(0.75, …)` over
//! `web_vitals_seconds` equals Prometheus' interpolation over our buckets, computed here independently.

mod support;

use support::{client, full_payload, Collector, Prometheus};

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

#[tokio::test]
async fn prometheus_p75_over_our_buckets_matches_an_independent_computation() {
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
    let Some(prom) = Prometheus::start(&c.dir.join("prom"), &[("rum", vec![c.host()])]) else {
        return;
    };
    let query = "histogram_quantile(0.75, sum by (le) (web_vitals_seconds_bucket{app=\"promapp\",metric=\"lcp\"}))";
    let result = prom.query_until(query, |_| true).await;
    let got: f64 = result[0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("Prometheus answered the p75 query");
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
