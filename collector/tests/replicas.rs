//! Two collector replicas behind a (round-robin) load balancer, scraped by one real Prometheus:
//! with `--route`, `sum by (page)` over both equals what one collector counts.

mod support;

use std::collections::BTreeMap;
use support::{client, full_payload, Collector, Prometheus};

const FLAGS: [&str; 6] = [
    "--route",
    "/product/:id",
    "--route",
    "/docs/*",
    "--max-pages",
    "2",
];

/// `sum by (page)` as page → count.
fn by_page(result: &[serde_json::Value]) -> BTreeMap<String, f64> {
    result
        .iter()
        .map(|r| {
            (
                r["metric"]["page"].as_str().unwrap_or("").to_string(),
                r["value"][1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn two_replicas_summed_by_page_equal_one_collector() {
    let a = Collector::start(&FLAGS);
    let b = Collector::start(&FLAGS);
    let single = Collector::start(&FLAGS);
    // Slugs the id heuristic keeps, docs pages at any depth, and two routes under the cap.
    let pages = [
        "/product/red-shoe",
        "/docs/intro",
        "/product/blue-hat?ref=mail",
        "/docs/api/v2/",
        "/checkout",
        "/product/scarf",
        "/cart",
        "/docs",
        "/checkout?step=2",
        "/product/red-shoe",
    ];
    for (i, page) in pages.iter().enumerate() {
        let mut p = full_payload("shop");
        p["meta"]["page"]["url"] = serde_json::json!(format!("https://shop.test{page}"));
        p["measurements"][0]["context"]["id"] = serde_json::json!(format!("lcp-{i}"));
        p["measurements"][1]["context"]["id"] = serde_json::json!(format!("cls-{i}"));
        let replica = if i % 2 == 0 { &a } else { &b };
        for c in [replica, &single] {
            let r = client()
                .post(c.url("/collect"))
                .body(p.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
        }
    }
    let Some(prom) = Prometheus::start(
        &single.dir.join("prom"),
        &[
            ("replicas", vec![a.host(), b.host()]),
            ("single", vec![single.host()]),
        ],
    ) else {
        return;
    };
    let total = pages.len() as f64;
    let complete = |r: &[serde_json::Value]| by_page(r).values().sum::<f64>() == total;
    let replicas = by_page(
        &prom
            .query_until(
                "sum by (page) (web_vitals_seconds_count{job=\"replicas\",metric=\"lcp\"})",
                complete,
            )
            .await,
    );
    let one = by_page(
        &prom
            .query_until(
                "sum by (page) (web_vitals_seconds_count{job=\"single\",metric=\"lcp\"})",
                complete,
            )
            .await,
    );
    let want: BTreeMap<String, f64> = [
        ("/product/:id", 4.0),
        ("/docs/*", 3.0),
        ("/checkout", 2.0),
        ("/cart", 1.0),
    ]
    .into_iter()
    .map(|(p, n)| (p.to_string(), n))
    .collect();
    assert_eq!(one, want, "what one collector counts");
    assert_eq!(replicas, one, "both replicas summed by page");
    let cls = |job: &str| format!("sum by (page) (web_vitals_cls_count{{job=\"{job}\"}})");
    assert_eq!(
        by_page(&prom.query_until(&cls("replicas"), complete).await),
        by_page(&prom.query_until(&cls("single"), complete).await)
    );
}
