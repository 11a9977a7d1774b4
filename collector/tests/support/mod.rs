//! Starts the real collector binary on a loopback port for integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Collector {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Collector {
    /// Starts `wasm-rum-collector --listen 127.0.0.1:0 --log-format json --log-file <tmp>` plus `args`.
    pub fn start(args: &[&str]) -> Collector {
        Collector::spawn(None, args)
    }

    /// As `start`, with the collector's open-file limit (RLIMIT_NOFILE) set to `nofile`.
    pub fn start_with_fd_limit(nofile: u32, args: &[&str]) -> Collector {
        Collector::spawn(Some(nofile), args)
    }

    fn spawn(nofile: Option<u32>, args: &[&str]) -> Collector {
        let dir =
            std::env::temp_dir().join(format!("wrc-test-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log.jsonl");
        let bin = env!("CARGO_BIN_EXE_wasm-rum-collector");
        let mut cmd = match nofile {
            None => Command::new(bin),
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), bin]);
                c
            }
        };
        let mut child = cmd
            .args([
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--log-file",
            ])
            .arg(&log)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("collector starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "startup line: {line}"
        );
        Collector { child, base, dir }
    }

    /// `127.0.0.1:port`: a scrape target, a socket address.
    pub fn host(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A GET over a plain socket (usable from sync code): the response body.
    pub fn get_blocking(&self, path: &str) -> String {
        let addr = self.host();
        let mut s = std::net::TcpStream::connect(&addr).expect("collector reachable");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// Waits (10 s at most) until the collector has written everything it queued for the log file:
    /// `rum_sink_pending{sink="file"}` is 0.
    pub fn wait_file_written(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.get_blocking("/metrics");
            let pending = text
                .lines()
                .find_map(|l| l.strip_prefix("rum_sink_pending{sink=\"file\"} "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if pending == Some(0.0) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the log file sink still has {pending:?} lines pending after 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The JSON log lines of everything accepted so far (waits until the file sink has written them).
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.wait_file_written();
        std::fs::read_to_string(self.dir.join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn stop(self) -> std::process::ExitStatus {
        self.stop_within(Duration::from_secs(30))
            .expect("the collector exits within 30 s of SIGTERM")
            .0
    }

    /// Sends SIGTERM and waits at most `limit` for the exit: its status and how long it took.
    /// On `None` the collector was still running and has been killed.
    pub fn stop_within(mut self, limit: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let started = Instant::now();
        unsafe_sigterm(self.child.id());
        let got = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break Some((status, started.elapsed()));
            }
            if started.elapsed() > limit {
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // Drop kills the child if it is still there and removes the directory.
        drop(self);
        got
    }

    /// Open file descriptors of the collector process (Linux).
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Resident set size of the collector process in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unsafe_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_003
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64
}

pub fn client() -> reqwest::Client {
    // reqwest is built with rustls and no provider of its own: the collector installs ring.
    wasm_rum_collector::sourcemaps::install_tls_provider();
    reqwest::Client::new()
}

/// A payload with one item of every kind.
pub fn full_payload(app: &str) -> serde_json::Value {
    serde_json::json!({
        "meta": {
            "sdk": {"name": "wasm-rum", "version": "0.1.0"},
            "app": {"name": app, "version": "1.0.0", "environment": "test"},
            "session": {"id": "sess123", "attributes": {"isSampled": "true"}},
            "page": {"url": "https://shop.test/product/12345?token=x"},
            "browser": {"name": "Chrome", "mobile": false, "viewportWidth": "1280", "viewportHeight": "720"},
            "view": {"name": "product"}
        },
        "logs": [{"message": "hello", "level": "info", "context": {"k": "v"}, "timestamp": "2026-08-24T10:15:02.123Z"}],
        "exceptions": [{"type": "TypeError", "value": "boom", "timestamp": "2026-08-24T10:15:02.123Z",
            "stacktrace": {"frames": [{"function": "onClick", "filename": "https://shop.test/app.js", "lineno": 3, "colno": 9}]},
            "trace": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}}],
        "measurements": [
            {"type": "web-vitals", "values": {"lcp": 1200.0, "delta": 1200.0}, "context": {"id": "v6-1-1", "rating": "good", "navigation_type": "navigate"}},
            {"type": "web-vitals", "values": {"cls": 0.12, "delta": 0.12}, "context": {"id": "v6-1-2", "rating": "needs-improvement"}}
        ],
        "events": [{"name": "checkout", "domain": "shop", "attributes": {"step": "2"}}],
        "traces": {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "wasm-rum"}, "spans": [{
            "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7", "name": "GET", "kind": 3,
            "startTimeUnixNano": "1787566502200000000", "endTimeUnixNano": "1787566502611000000",
            "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}}, {"key": "server.port", "value": {"intValue": "443"}}],
            "status": {}}]}]}]}
    })
}

/// Parses `/metrics` with a Prometheus text-format parser.
pub async fn scrape(c: &Collector) -> prometheus_parse::Scrape {
    let text = client()
        .get(c.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).unwrap()
}

/// The histogram's cumulative buckets with these labels, as (le, count).
pub fn histogram(
    s: &prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<Vec<(f64, f64)>> {
    s.samples.iter().find_map(|sample| {
        if sample.metric != name || !labels.iter().all(|(k, v)| sample.labels.get(k) == Some(*v)) {
            return None;
        }
        match &sample.value {
            prometheus_parse::Value::Histogram(buckets) => {
                Some(buckets.iter().map(|b| (b.less_than, b.count)).collect())
            }
            _ => None,
        }
    })
}

/// The value of a counter/gauge sample with these labels.
pub fn sample(s: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples.iter().find_map(|sample| {
        if sample.metric != name || !labels.iter().all(|(k, v)| sample.labels.get(k) == Some(*v)) {
            return None;
        }
        match &sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => Some(*v),
            _ => None,
        }
    })
}

/// A real Prometheus (`/usr/bin/prometheus`) scraping `jobs` (name, `host:port` targets) every
/// second, killed on drop.
pub struct Prometheus {
    child: Child,
    port: u16,
}

/// What a test asks of its Prometheus beyond scraping.
#[derive(Default)]
pub struct PrometheusOptions {
    /// Rule files loaded (evaluated every second).
    pub rule_files: Vec<PathBuf>,
    /// `--enable-feature` values (`exemplar-storage`).
    pub features: Vec<String>,
}

impl Prometheus {
    /// None (the test is skipped, with a note) when Prometheus is not installed, unless
    /// `WASM_RUM_REQUIRE_PROMETHEUS` is set.
    pub fn start(dir: &std::path::Path, jobs: &[(&str, Vec<String>)]) -> Option<Prometheus> {
        Prometheus::start_with(dir, jobs, PrometheusOptions::default())
    }

    /// As `start`, with rule files and features.
    pub fn start_with(
        dir: &std::path::Path,
        jobs: &[(&str, Vec<String>)],
        options: PrometheusOptions,
    ) -> Option<Prometheus> {
        let prometheus = std::path::Path::new("/usr/bin/prometheus");
        if !prometheus.exists() {
            assert!(
                std::env::var("WASM_RUM_REQUIRE_PROMETHEUS").is_err(),
                "WASM_RUM_REQUIRE_PROMETHEUS is set but /usr/bin/prometheus is missing"
            );
            eprintln!(
                "skipped: /usr/bin/prometheus is not installed (scripts/bootstrap installs it)"
            );
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let mut config =
            String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        if !options.rule_files.is_empty() {
            config.push_str("rule_files:\n");
            for f in &options.rule_files {
                config.push_str(&format!("  - '{}'\n", f.display()));
            }
        }
        config.push_str("scrape_configs:\n");
        for (job, targets) in jobs {
            let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ));
        }
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(prometheus)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(
                options
                    .features
                    .iter()
                    .map(|f| format!("--enable-feature={f}")),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        Some(Prometheus { child, port })
    }

    /// The `data.result` of an instant query, once Prometheus answers with a non-empty one
    /// that `ready` accepts; panics after 30 s.
    pub async fn query_until(
        &self,
        query: &str,
        ready: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let url = format!(
            "http://127.0.0.1:{}/api/v1/query?query={}",
            self.port,
            percent_encode(query)
        );
        for _ in 0..120 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let Ok(r) = client().get(&url).send().await else {
                continue;
            };
            let Ok(v) = r.json::<serde_json::Value>().await else {
                continue;
            };
            if let Some(result) = v["data"]["result"].as_array() {
                if !result.is_empty() && ready(result) {
                    return result.clone();
                }
            }
        }
        panic!("Prometheus never answered {query}");
    }

    /// The first instant-query answer whose value `ready` accepts (NaN included), as the
    /// labels and value of the first series; panics after 30 s with the last answer.
    pub async fn value_until(
        &self,
        query: &str,
        ready: impl Fn(f64) -> bool,
    ) -> (serde_json::Value, f64) {
        let value = |r: &serde_json::Value| -> Option<f64> { r["value"][1].as_str()?.parse().ok() };
        let url = format!(
            "http://127.0.0.1:{}/api/v1/query?query={}",
            self.port,
            percent_encode(query)
        );
        let mut last = serde_json::Value::Null;
        for _ in 0..120 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let Ok(r) = client().get(&url).send().await else {
                continue;
            };
            let Ok(v) = r.json::<serde_json::Value>().await else {
                continue;
            };
            if let Some(first) = v["data"]["result"].as_array().and_then(|r| r.first()) {
                if let Some(x) = value(first).filter(|x| ready(*x)) {
                    return (first["metric"].clone(), x);
                }
            }
            last = v;
        }
        panic!("Prometheus never gave {query} an expected value; last answer: {last}");
    }

    /// `GET /api/v1/<path>` on this Prometheus: the JSON answer.
    pub async fn api(&self, path: &str) -> serde_json::Value {
        client()
            .get(format!("http://127.0.0.1:{}/api/v1/{path}", self.port))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a query parameter value.
pub fn percent_encode(s: &str) -> String {
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
