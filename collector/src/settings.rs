//! The collector's settings: every command-line flag, its default and its check live here and
//! nowhere else. `main.rs` parses them; the state, the accept loop and the sinks read what they
//! need from the one [`Settings`] value.

use crate::lines::Format;
use crate::metrics::{self, RoutePattern};
use std::time::Duration;

/// Every flag, its default (`default_value`) and its check (`value_parser`).
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "wasm-rum-collector",
    version,
    about = "Receives RUM payloads (Grafana Faro format) and exposes metrics, logs and traces",
    args_override_self = true
)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:12347")]
    pub listen: String,
    /// Where log lines go (default stdout).
    #[arg(long)]
    pub log_file: Option<String>,
    /// Log line format.
    #[arg(long, value_enum, default_value = "logfmt")]
    pub log_format: Format,
    /// Allowed CORS origin (repeatable; `*` allows any). None means no CORS headers.
    #[arg(long = "cors-origin")]
    pub cors_origins: Vec<String>,
    /// Required `x-api-key` (or `/collect/{key}`).
    #[arg(long)]
    pub api_key: Option<String>,
    /// Largest body accepted, before and after decompression.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    pub max_body: usize,
    /// Payloads per second per app (0 turns the limit off).
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Burst of payloads per app.
    #[arg(long, default_value_t = 100.0)]
    pub rate_burst: f64,
    /// Distinct page routes before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_pages: usize,
    /// OTLP/HTTP endpoint traces are forwarded to (`/v1/traces` is appended).
    #[arg(long)]
    pub otlp_endpoint: Option<String>,
    /// Loki base URL lines are pushed to (`/loki/api/v1/push` is appended).
    #[arg(long)]
    pub loki_url: Option<String>,
    /// Append every accepted request (path, headers, body) as a JSON line: for tests and the demo.
    #[arg(long)]
    pub dump_file: Option<String>,
    /// Items each sink (file, dump, loki, otlp) queues; past it, new items are dropped and counted.
    #[arg(long, default_value_t = 10_000)]
    pub sink_queue: usize,
    /// Bytes (estimated) each sink queues; past it, new items are dropped and counted.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub sink_queue_bytes: usize,
    /// Seconds to connect to Loki or the OTLP endpoint.
    #[arg(long, default_value = "2", value_parser = seconds)]
    pub sink_connect_timeout: Duration,
    /// Seconds for one push to Loki or the OTLP endpoint (connect, send, answer).
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub sink_request_timeout: Duration,
    /// Seconds a failed push is retried (with backoff) before its items are dropped.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub sink_retry_for: Duration,
    /// Seconds a connection may take to send a request's headers (and may stay idle between requests).
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds a request may take from its headers to the answer (reading the body included): 408 past it.
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub body_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog. Lowered to fit the open-file limit.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds from SIGTERM to exit at most: requests in flight finish, sinks deliver what they hold.
    #[arg(long, default_value = "8", value_parser = seconds)]
    pub shutdown_timeout: Duration,
    /// Serve `GET /metrics` on this address only (not on `--listen`), e.g. a private interface.
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// Distinct apps before the rest count as `other` (in series, Loki stream labels and
    /// rate-limit buckets).
    #[arg(long, default_value_t = 200)]
    pub max_apps: usize,
    /// Distinct exception types before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_exception_types: usize,
    /// Distinct event names before the rest count as `other`.
    #[arg(long, default_value_t = 200)]
    pub max_event_names: usize,
    /// Distinct request hosts (`server`) of `rum_http_client_duration_seconds` before the rest
    /// count as `other`.
    #[arg(long, default_value_t = 50)]
    pub max_http_servers: usize,
    /// Distinct request routes (`route`) of `rum_http_client_duration_seconds` before the rest
    /// count as `other` (`--route` patterns take no slot).
    #[arg(long, default_value_t = 200)]
    pub max_http_routes: usize,
    /// Page ids remembered (about 40 bytes each) so that a view with several exceptions counts
    /// once in `rum_page_views_with_errors_total`.
    #[arg(long, default_value_t = metrics::ERROR_PAGE_IDS)]
    pub max_error_page_ids: usize,
    /// Items (logs, exceptions, measurements, events, spans; plain web-vitals reports) per
    /// payload; more is refused with 413.
    #[arg(long, default_value_t = 1000)]
    pub max_items: usize,
    /// Longest string (bytes) in meta and items; longer ones are cut and end in `…[truncated]`.
    #[arg(long, default_value_t = 8192)]
    pub max_string: usize,
    /// A route pattern (repeatable, tried in order): `/product/:id`, `/docs/*`. Matching pages
    /// (and fetch/XHR paths) count under the pattern, the same on every replica, outside
    /// `--max-pages` (`--max-http-routes`).
    #[arg(long = "route", value_parser = RoutePattern::parse)]
    pub routes: Vec<RoutePattern>,
    /// The `--sourcemaps-*` flags (download and directory modes).
    #[command(flatten)]
    pub sourcemaps: crate::sourcemaps::Flags,
}

/// Parses a flag given in seconds (decimals allowed: `0.5`).
pub fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s:?} is not a duration in seconds"))
}

impl Settings {
    /// The label caps of the series and the Loki stream labels.
    pub fn caps(&self) -> metrics::Caps {
        metrics::Caps {
            routes: self.routes.clone(),
            pages: self.max_pages,
            apps: self.max_apps,
            exception_types: self.max_exception_types,
            event_names: self.max_event_names,
            http_servers: self.max_http_servers,
            http_routes: self.max_http_routes,
            error_page_ids: self.max_error_page_ids,
        }
    }

    /// Whether the rate limit is on (`--rate-limit 0`, or below, turns it off).
    pub fn rate_limited(&self) -> bool {
        self.rate_limit > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;
    use clap::{CommandFactory, Parser};

    const README: &str = include_str!("../README.md");

    #[test]
    fn every_flag_is_in_the_collector_readme_with_its_default() {
        for arg in Settings::command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let flag = format!("`--{long}");
            assert!(
                README.contains(&flag),
                "--{long} is not in collector/README.md"
            );
            // The tables say `| `--flag N` | default | ...`: the default must be clap's.
            let row = README.lines().find(|l| {
                l.strip_prefix(&format!("| {flag}"))
                    .is_some_and(|rest| rest.starts_with([' ', '`']))
            });
            let Some(row) = row else {
                continue;
            };
            let documented = row.split('|').nth(2).unwrap_or("").trim();
            let default = if !arg.get_action().takes_values() {
                // A switch (`--sourcemaps-download`): the tables say it is off by default.
                "off".into()
            } else {
                arg.get_default_values()
                    .first()
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "none".into())
            };
            assert!(
                documented == default || documented.starts_with(&format!("{default} ")),
                "--{long}: the README says {documented:?}, the default is {default:?}"
            );
        }
    }

    #[test]
    fn no_flags_give_the_documented_defaults() {
        let s = Settings::try_parse_from(["wasm-rum-collector"]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:12347");
        assert_eq!(s.max_body, 5 * 1024 * 1024);
        assert_eq!((s.rate_limit, s.rate_burst), (50.0, 100.0));
        assert_eq!(
            (
                s.max_pages,
                s.max_apps,
                s.max_exception_types,
                s.max_event_names
            ),
            (200, 200, 200, 200)
        );
        assert_eq!((s.max_items, s.max_string), (1000, 8192));
        assert_eq!(
            (s.max_http_servers, s.max_http_routes, s.max_error_page_ids),
            (50, 200, 100_000)
        );
        assert_eq!(s.sink_connect_timeout.as_secs(), 2);
        assert_eq!(s.sink_request_timeout.as_secs(), 10);
        assert_eq!(s.sink_retry_for.as_secs(), 30);
        assert_eq!(s.shutdown_timeout.as_secs(), 8);
    }

    #[test]
    fn bad_values_are_refused_with_the_flag_named() {
        for (flag, value) in [
            ("--sink-retry-for", "soon"),
            ("--header-timeout", "-1"),
            ("--route", "no-slash"),
            ("--max-items", "many"),
        ] {
            let e = Settings::try_parse_from(["wasm-rum-collector", &format!("{flag}={value}")])
                .expect_err(flag)
                .to_string();
            assert!(e.contains(flag), "{flag} {value}: {e}");
        }
    }
}
