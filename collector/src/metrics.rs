//! Prometheus series: `web_vitals_seconds` (and `web_vitals_cls`) by app, metric, rating and a
//! bounded page route; the frontend SLIs (page views and sessions weighted for head sampling,
//! views with an error, fetch/XHR latency by route with trace exemplars); counters of
//! exceptions, events and payloads.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

/// Seconds buckets: every web-vitals threshold (INP 0.2/0.5, TTFB 0.8/1.8, FCP 1.8/3, LCP 2.5/4) is a bound.
pub const SECONDS_BUCKETS: [f64; 15] = [
    0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 1.8, 2.5, 3.0, 4.0, 6.0, 10.0, 20.0,
];
/// CLS buckets (unitless): thresholds 0.1 and 0.25 are bounds.
pub const CLS_BUCKETS: [f64; 7] = [0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VitalLabels {
    pub app: String,
    pub metric: String,
    pub rating: String,
    pub page: String,
    pub navigation_type: String,
}

/// web-vitals' navigation types, the values of the `navigation_type` label (anything else is
/// `other`).
pub const NAVIGATION_TYPES: [&str; 7] = [
    "navigate",
    "reload",
    "back-forward",
    "back-forward-cache",
    "prerender",
    "restore",
    "soft-navigation",
];

/// The `navigation_type` label of a sender's value.
pub fn navigation_type(t: &str) -> &'static str {
    NAVIGATION_TYPES
        .iter()
        .find(|n| **n == t)
        .copied()
        .unwrap_or("other")
}

/// OpenTelemetry's default buckets for `http.client.request.duration` (seconds).
pub const HTTP_CLIENT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The smallest `sampling_rate` a view or session is weighted by: a lower (or hostile) rate is
/// read as this one, so one item adds at most 1000 to a counter instead of poisoning it for good.
pub const MIN_SAMPLING_RATE: f64 = 0.001;

/// Page ids remembered by default to count a view with errors once (`--max-error-page-ids`).
pub const ERROR_PAGE_IDS: usize = 100_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PageLabels {
    pub app: String,
    pub page: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AppLabels {
    pub app: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpClientLabels {
    pub app: String,
    pub method: String,
    pub status_class: String,
    pub server: String,
    pub route: String,
}

/// The exemplar of an HTTP client observation: the span's trace, for Grafana's link to Tempo.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceLabels {
    pub trace_id: String,
}

/// A float counter: page views and sessions are weighted by 1/sampling rate.
pub type FloatCounter = Counter<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExceptionLabels {
    pub app: String,
    pub r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub app: String,
    pub name: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TruncatedLabels {
    pub what: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PayloadLabels {
    pub result: String,
    pub reason: String,
}

/// A bounded set of strings: past `max` distinct values, the rest are `other`.
pub struct Bounded {
    seen: HashSet<String>,
    max: usize,
}

impl Bounded {
    pub fn new(max: usize) -> Self {
        Bounded {
            seen: HashSet::new(),
            max,
        }
    }

    pub fn admit(&mut self, v: &str) -> String {
        if self.seen.contains(v) {
            return v.to_string();
        }
        if self.seen.len() >= self.max {
            return "other".into();
        }
        self.seen.insert(v.to_string());
        v.to_string()
    }
}

/// `v` through a shared cap (`other` if the lock is poisoned).
fn admit(cap: &Mutex<Bounded>, v: &str) -> String {
    cap.lock()
        .map(|mut c| c.admit(v))
        .unwrap_or_else(|_| "other".into())
}

/// Remembers the last `cap` metric ids, so a re-reported id is observed once. Ids are kept as
/// 128-bit hashes: memory stays at `cap` × 32 bytes however long the ids a sender makes up.
pub struct RecentIds {
    order: VecDeque<u128>,
    set: HashSet<u128>,
    cap: usize,
}

impl RecentIds {
    pub fn new(cap: usize) -> Self {
        RecentIds {
            order: VecDeque::new(),
            set: HashSet::new(),
            cap,
        }
    }

    /// True the first time an id is seen.
    pub fn first(&mut self, id: &str) -> bool {
        if id.is_empty() {
            return true;
        }
        let h = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
        if self.set.contains(&h) {
            return false;
        }
        if self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(h);
        self.set.insert(h);
        true
    }
}

fn is_id_segment(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    if seg.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let hexish = seg.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let digits = seg.bytes().any(|b| b.is_ascii_digit());
    // UUIDs and long hex ids.
    if hexish && digits && seg.len() >= 8 {
        return true;
    }
    // Long opaque tokens mixing letters and digits.
    seg.len() >= 16
        && digits
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The path of a page URL (or of a path): scheme, host, query and fragment dropped.
fn url_path(url: &str) -> &str {
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => url,
    };
    path.split(['?', '#']).next().unwrap_or("/")
}

/// One segment of a `--route` pattern.
#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    /// `:name`: any one non-empty segment.
    Param,
    /// A trailing `*`: whatever follows, nothing included.
    Rest,
}

/// A route an operator names with `--route` (`/product/:id`, `/docs/*`): pages whose path
/// matches count under the pattern itself, the same on every replica, outside `--max-pages`.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutePattern {
    name: String,
    segments: Vec<Segment>,
}

/// A path's segments without the leading `/` and a trailing `/`.
fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

impl RoutePattern {
    /// Parses a pattern: it starts with `/`; `:name` segments match any one segment; `*` may
    /// only be the last segment.
    pub fn parse(pattern: &str) -> Result<RoutePattern, String> {
        if !pattern.starts_with('/') {
            return Err(format!("route {pattern:?} must start with /"));
        }
        let parts = segments(pattern);
        let mut out = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            out.push(match *part {
                "*" if i + 1 == parts.len() => Segment::Rest,
                "*" => return Err(format!("route {pattern:?}: * must be the last segment")),
                p if p.starts_with(':') => Segment::Param,
                "" => return Err(format!("route {pattern:?} has an empty segment")),
                p => Segment::Literal(p.to_string()),
            });
        }
        Ok(RoutePattern {
            name: pattern.to_string(),
            segments: out,
        })
    }

    /// The pattern as written: the `page` label of the pages it matches.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the path of `url` matches.
    pub fn matches(&self, url: &str) -> bool {
        let parts = segments(url_path(url));
        let mut parts = parts.iter();
        for seg in &self.segments {
            match seg {
                Segment::Rest => return true,
                Segment::Param => {
                    if parts.next().is_none_or(|p| p.is_empty()) {
                        return false;
                    }
                }
                Segment::Literal(l) => {
                    if parts.next() != Some(&l.as_str()) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }
}

/// The route of a page URL or path: query and fragment dropped, id-like segments → `:id`.
pub fn route(url: &str) -> String {
    let path = url_path(url);
    let segs: Vec<&str> = path
        .split('/')
        .map(|s| if is_id_segment(s) { ":id" } else { s })
        .collect();
    let r = segs.join("/");
    if r.is_empty() {
        "/".into()
    } else if r.starts_with('/') {
        r
    } else {
        format!("/{r}")
    }
}

/// The web-vitals rating for a value (ms, or unitless for CLS) when the sender gave none.
pub fn rating(metric: &str, value: f64) -> &'static str {
    let (good, poor) = match metric {
        "lcp" => (2500.0, 4000.0),
        "inp" | "fid" => (200.0, 500.0),
        "cls" => (0.1, 0.25),
        "fcp" => (1800.0, 3000.0),
        "ttfb" => (800.0, 1800.0),
        _ => return "",
    };
    if value > poor {
        "poor"
    } else if value > good {
        "needs-improvement"
    } else {
        "good"
    }
}

/// What one view or session of a head-sampled session stands for: 1/`sampling_rate`, the rate
/// clamped to [[`MIN_SAMPLING_RATE`], 1]; a missing or unreadable rate (not a number, 0 or less)
/// counts as 1. Horvitz-Thompson: summed over the sessions kept at rate r, the estimate of the
/// whole population's count is unbiased.
pub fn sampling_weight(rate: Option<&str>) -> f64 {
    match rate.and_then(|r| r.trim().parse::<f64>().ok()) {
        Some(r) if r > 0.0 => 1.0 / r.clamp(MIN_SAMPLING_RATE, 1.0),
        _ => 1.0,
    }
}

/// The `status_class` label: `1xx` … `5xx`, or `error` for a request without a status (it
/// failed: network error, CORS, abort) or with one outside 100..=599.
pub fn status_class(status: Option<i64>) -> &'static str {
    match status {
        Some(100..=199) => "1xx",
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        _ => "error",
    }
}

/// The `method` label: one of the methods of RFC 9110 (and PATCH) in upper case, anything else
/// `_OTHER`, as the OpenTelemetry HTTP conventions (and the agent) name it.
pub fn http_method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    KNOWN
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or("_OTHER")
}

/// One fetch/XHR call as the HTTP client histogram sees it (read from a CLIENT span).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpCall<'a> {
    pub method: &'a str,
    /// The request URL, absolute or relative to the page.
    pub url: &'a str,
    pub status: Option<i64>,
    pub seconds: f64,
    pub trace_id: &'a str,
}

/// The longest a time-based vital may sanely be: one hour, in ms.
pub const MAX_VITAL_MS: f64 = 3_600_000.0;
/// The longest a fetch/XHR call may sanely take: one hour, in seconds.
pub const MAX_HTTP_SECONDS: f64 = 3600.0;
/// The largest sane CLS (a page would have to shift by its whole viewport 100 times).
pub const MAX_CLS: f64 = 100.0;

/// Whether a web-vitals value (ms, or unitless for CLS) is one a real page can produce:
/// finite, not negative, at most an hour (CLS at most 100). Anything else would poison
/// `_sum` (CLS 1.7e308 makes it `+Inf` for good) and is dropped.
pub fn in_range(metric: &str, value: f64) -> bool {
    let max = if metric.eq_ignore_ascii_case("cls") {
        MAX_CLS
    } else {
        MAX_VITAL_MS
    };
    value.is_finite() && (0.0..=max).contains(&value)
}

/// How many distinct values each label may take before the rest are folded into `other`.
#[derive(Clone, Debug)]
pub struct Caps {
    /// Routes named by the operator, tried in order before the page cap.
    pub routes: Vec<RoutePattern>,
    pub pages: usize,
    pub apps: usize,
    pub exception_types: usize,
    pub event_names: usize,
    /// Distinct `server` values of the HTTP client histogram.
    pub http_servers: usize,
    /// Distinct `route` values of the HTTP client histogram (apart from `--route` patterns).
    pub http_routes: usize,
    /// Page ids remembered to count a view with errors once (not a label cap: a memory bound).
    pub error_page_ids: usize,
}

impl Caps {
    /// The same cap for every label.
    pub fn all(n: usize) -> Caps {
        Caps {
            routes: Vec::new(),
            pages: n,
            apps: n,
            exception_types: n,
            event_names: n,
            http_servers: n,
            http_routes: n,
            error_page_ids: ERROR_PAGE_IDS,
        }
    }
}

/// Every series the collector exposes.
pub struct Metrics {
    pub registry: Registry,
    pub vitals: Family<VitalLabels, Histogram>,
    pub cls: Family<VitalLabels, Histogram>,
    pub exceptions: Family<ExceptionLabels, Counter>,
    pub events: Family<EventLabels, Counter>,
    pub payloads: Family<PayloadLabels, Counter>,
    pub dropped: Family<DropLabels, Counter>,
    pub truncated: Family<TruncatedLabels, Counter>,
    pub page_views: Family<PageLabels, FloatCounter>,
    pub sessions: Family<AppLabels, FloatCounter>,
    pub views_with_errors: Family<PageLabels, Counter>,
    pub http_client: Family<HttpClientLabels, HistogramWithExemplars<TraceLabels>>,
    pub routes: Vec<RoutePattern>,
    pub pages: Mutex<Bounded>,
    pub apps: Mutex<Bounded>,
    pub exception_types: Mutex<Bounded>,
    pub event_names: Mutex<Bounded>,
    pub http_servers: Mutex<Bounded>,
    pub http_routes: Mutex<Bounded>,
    pub ids: Mutex<RecentIds>,
    /// The pages (app + page id) already counted in `rum_page_views_with_errors_total`: the
    /// last `--max-error-page-ids` (100 000 by default, about 40 bytes each, so ~4 MB). A view
    /// whose id has fallen out (that many other views erred since its first error) and errs
    /// again is counted again.
    pub error_pages: Mutex<RecentIds>,
}

impl Metrics {
    pub fn new(caps: Caps) -> Self {
        let mut registry = Registry::default();
        let vitals = Family::<VitalLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(SECONDS_BUCKETS)
        });
        let cls =
            Family::<VitalLabels, Histogram>::new_with_constructor(|| Histogram::new(CLS_BUCKETS));
        let exceptions = Family::<ExceptionLabels, Counter>::default();
        let events = Family::<EventLabels, Counter>::default();
        let payloads = Family::<PayloadLabels, Counter>::default();
        let dropped = Family::<DropLabels, Counter>::default();
        let truncated = Family::<TruncatedLabels, Counter>::default();
        let page_views = Family::<PageLabels, FloatCounter>::default();
        let sessions = Family::<AppLabels, FloatCounter>::default();
        let views_with_errors = Family::<PageLabels, Counter>::default();
        let http_client =
            Family::<HttpClientLabels, HistogramWithExemplars<TraceLabels>>::new_with_constructor(
                || HistogramWithExemplars::new(HTTP_CLIENT_BUCKETS.into_iter()),
            );
        registry.register(
            "web_vitals_seconds",
            "Core Web Vitals (time-based) observed by real users",
            vitals.clone(),
        );
        registry.register(
            "web_vitals_cls",
            "Cumulative Layout Shift observed by real users (unitless)",
            cls.clone(),
        );
        registry.register("rum_exceptions", "Exceptions received", exceptions.clone());
        registry.register("rum_events", "Events received", events.clone());
        registry.register(
            "rum_payloads",
            "Payloads received, by result",
            payloads.clone(),
        );
        registry.register(
            "rum_items_dropped",
            "Items of accepted payloads that were not ingested, by reason",
            dropped.clone(),
        );
        registry.register(
            "rum_truncated",
            "Strings cut at --max-string and stack frames past 128, by what",
            truncated.clone(),
        );
        registry.register(
            "rum_page_views",
            "Page views (hard and soft navigations), estimated for all sessions: views of \
             head-sampled sessions weighted by 1/sampling rate, views of sessions kept only for \
             an error not added",
            page_views.clone(),
        );
        registry.register(
            "rum_sessions",
            "Sessions started, estimated as page views are",
            sessions.clone(),
        );
        registry.register(
            "rum_page_views_with_errors",
            "Page views with at least one exception, each counted once by page id (unweighted: \
             every session with an error sends it)",
            views_with_errors.clone(),
        );
        registry.register(
            "rum_http_client_duration_seconds",
            "Duration of the page's fetch/XHR requests, from their CLIENT spans; exemplars carry \
             the trace id",
            http_client.clone(),
        );
        Metrics {
            registry,
            vitals,
            cls,
            exceptions,
            events,
            payloads,
            dropped,
            truncated,
            page_views,
            sessions,
            views_with_errors,
            http_client,
            routes: caps.routes,
            pages: Mutex::new(Bounded::new(caps.pages)),
            apps: Mutex::new(Bounded::new(caps.apps)),
            exception_types: Mutex::new(Bounded::new(caps.exception_types)),
            event_names: Mutex::new(Bounded::new(caps.event_names)),
            http_servers: Mutex::new(Bounded::new(caps.http_servers)),
            http_routes: Mutex::new(Bounded::new(caps.http_routes)),
            ids: Mutex::new(RecentIds::new(10_000)),
            error_pages: Mutex::new(RecentIds::new(caps.error_page_ids)),
        }
    }

    /// The app as a label value: one of the first `--max-apps` distinct names, else `other`.
    /// Series, Loki stream labels and rate-limit buckets all use this, never the raw name.
    pub fn app(&self, name: &str) -> String {
        admit(&self.apps, name)
    }

    /// Observes one web-vitals report (value in ms, CLS unitless) once per metric id, under
    /// `app` (already capped, see [`Metrics::app`]). The rating is computed from the value:
    /// a sender's rating is never a label. `page_url` is the URL of the navigation the metric
    /// measures (`context.navigation_url`, else the page's), so a single-page app's routes each
    /// get their series.
    pub fn observe_vital(
        &self,
        app: &str,
        metric: &str,
        value: f64,
        page_url: &str,
        navigation_type: &str,
        id: &str,
    ) -> bool {
        let metric = metric.to_ascii_lowercase();
        if !matches!(metric.as_str(), "lcp" | "inp" | "fcp" | "ttfb" | "cls")
            || !in_range(&metric, value)
        {
            return false;
        }
        if !id.is_empty()
            && !self
                .ids
                .lock()
                .map(|mut ids| ids.first(&format!("{app}\u{0}{id}\u{0}{metric}")))
                .unwrap_or(true)
        {
            return false;
        }
        let rating = rating(&metric, value).to_string();
        let page = self.page(page_url);
        let labels = VitalLabels {
            app: app.to_string(),
            metric: metric.clone(),
            rating,
            page,
            navigation_type: self::navigation_type(navigation_type).to_string(),
        };
        if metric == "cls" {
            self.cls.get_or_create(&labels).observe(value);
        } else {
            self.vitals.get_or_create(&labels).observe(value / 1000.0);
        }
        true
    }

    pub fn payload(&self, result: &str, reason: &str) {
        self.payloads
            .get_or_create(&PayloadLabels {
                result: result.into(),
                reason: reason.into(),
            })
            .inc();
    }

    /// The `page` label of a URL: the first `--route` pattern it matches, else its templated
    /// route among the first `--max-pages` distinct ones, else `other`.
    pub fn page(&self, url: &str) -> String {
        match self.routes.iter().find(|r| r.matches(url)) {
            Some(r) => r.name().to_string(),
            None => admit(&self.pages, &route(url)),
        }
    }

    /// Counts an item of an accepted payload left out (`out_of_range`, `empty`, …).
    pub fn dropped(&self, reason: &str) {
        self.dropped_n(reason, 1);
    }

    /// Counts `n` items left out.
    pub fn dropped_n(&self, reason: &str, n: usize) {
        if n > 0 {
            self.dropped
                .get_or_create(&DropLabels {
                    reason: reason.into(),
                })
                .inc_by(n as u64);
        }
    }

    /// Counts `n` things cut short (`string`, `stack_frames`).
    pub fn truncated(&self, what: &str, n: usize) {
        if n > 0 {
            self.truncated
                .get_or_create(&TruncatedLabels { what: what.into() })
                .inc_by(n as u64);
        }
    }

    /// Counts an event under `app` (already capped) and its capped name.
    pub fn event(&self, app: &str, name: &str) {
        let name = admit(&self.event_names, name);
        self.events
            .get_or_create(&EventLabels {
                app: app.into(),
                name,
            })
            .inc();
    }

    /// Counts an exception under `app` (already capped) and its capped type.
    pub fn exception(&self, app: &str, kind: &str) {
        let kind = admit(&self.exception_types, kind);
        self.exceptions
            .get_or_create(&ExceptionLabels {
                app: app.into(),
                r#type: kind,
            })
            .inc();
    }

    /// Counts a `page_view` event under `app` (already capped) and the page of `page_url`:
    /// `weight` is the view's [`sampling_weight`], or `None` for a view of a session kept only
    /// because of an error (`session_sampled="false"`), which adds nothing: the head-sampled
    /// sessions' weights already stand for it.
    pub fn page_view(&self, app: &str, page_url: &str, weight: Option<f64>) {
        if let Some(w) = weight {
            let labels = PageLabels {
                app: app.into(),
                page: self.page(page_url),
            };
            self.page_views.get_or_create(&labels).inc_by(w);
        }
    }

    /// Counts a `session_start` event as [`Metrics::page_view`] counts a view.
    pub fn session(&self, app: &str, weight: Option<f64>) {
        if let Some(w) = weight {
            self.sessions
                .get_or_create(&AppLabels { app: app.into() })
                .inc_by(w);
        }
    }

    /// Counts the view `page_id` (of `page_url`) as having an error, the first time only (see
    /// [`Metrics::error_pages`]). A payload without a page id counts once itself. True if counted.
    pub fn view_with_error(&self, app: &str, page_id: &str, page_url: &str) -> bool {
        if !page_id.is_empty()
            && !self
                .error_pages
                .lock()
                .map(|mut ids| ids.first(&format!("{app}\u{0}{page_id}")))
                .unwrap_or(true)
        {
            return false;
        }
        let labels = PageLabels {
            app: app.into(),
            page: self.page(page_url),
        };
        self.views_with_errors.get_or_create(&labels).inc();
        true
    }

    /// The `route` label of a request path: the first `--route` pattern it matches, else its
    /// templated route among the first `--max-http-routes` distinct ones, else `other`.
    pub fn http_route(&self, path: &str) -> String {
        match self.routes.iter().find(|r| r.matches(path)) {
            Some(r) => r.name().to_string(),
            None => admit(&self.http_routes, &route(path)),
        }
    }

    /// Observes one fetch/XHR call of a page at `page_url` under `app` (already capped), with
    /// its trace id as the bucket's exemplar. False (nothing observed) when the URL does not
    /// resolve to a host or the duration is negative, not finite or over an hour.
    pub fn observe_http_client(&self, app: &str, call: &HttpCall, page_url: &str) -> bool {
        if !(call.seconds.is_finite() && (0.0..=MAX_HTTP_SECONDS).contains(&call.seconds)) {
            return false;
        }
        let url = url::Url::parse(call.url)
            .or_else(|_| url::Url::parse(page_url).and_then(|base| base.join(call.url)));
        let Some((host, path)) = url
            .ok()
            .and_then(|u| u.host_str().map(|h| (h.to_string(), u.path().to_string())))
        else {
            return false;
        };
        let labels = HttpClientLabels {
            app: app.into(),
            method: http_method(call.method).into(),
            status_class: status_class(call.status).into(),
            server: admit(&self.http_servers, &host),
            route: self.http_route(&path),
        };
        let exemplar = (!call.trace_id.is_empty()).then(|| TraceLabels {
            trace_id: call.trace_id.to_string(),
        });
        self.http_client
            .get_or_create(&labels)
            .observe(call.seconds, exemplar, None);
        true
    }

    /// Prometheus/OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_drop_queries_and_replace_ids() {
        assert_eq!(
            route("https://shop.test/product/12345?x=1#top"),
            "/product/:id"
        );
        assert_eq!(
            route("https://shop.test/order/550e8400-e29b-41d4-a716-446655440000/items"),
            "/order/:id/items"
        );
        assert_eq!(route("https://shop.test/"), "/");
        assert_eq!(route("https://shop.test"), "/");
        assert_eq!(route("/checkout"), "/checkout");
        assert_eq!(route("https://shop.test/blob/deadbeef42"), "/blob/:id");
        assert_eq!(route("https://shop.test/about-us"), "/about-us");
    }

    #[test]
    fn route_patterns_name_pages_outside_the_cap() {
        let p = |s: &str| RoutePattern::parse(s).unwrap();
        assert!(p("/product/:id").matches("https://shop.test/product/red-shoe?x=1"));
        assert!(p("/product/:id").matches("/product/red-shoe/"));
        assert!(!p("/product/:id").matches("/product"));
        assert!(!p("/product/:id").matches("/product/a/b"));
        assert!(p("/docs/*").matches("/docs"));
        assert!(p("/docs/*").matches("https://x.test/docs/api/v2#top"));
        assert!(!p("/docs/*").matches("/documents"));
        assert!(p("/").matches("https://x.test"));
        assert!(RoutePattern::parse("docs").is_err());
        assert!(RoutePattern::parse("/a/*/b").is_err());
        let mut caps = Caps::all(1);
        caps.routes = vec![p("/product/:id"), p("/docs/*")];
        let m = Metrics::new(caps);
        assert_eq!(m.page("/docs/a"), "/docs/*");
        assert_eq!(m.page("/product/x"), "/product/:id");
        assert_eq!(
            m.page("/checkout"),
            "/checkout",
            "patterns take no cap slot"
        );
        assert_eq!(m.page("/cart"), "other");
    }

    #[test]
    fn pages_past_the_cap_count_as_other() {
        let mut b = Bounded::new(2);
        assert_eq!(b.admit("/a"), "/a");
        assert_eq!(b.admit("/b"), "/b");
        assert_eq!(b.admit("/c"), "other");
        assert_eq!(b.admit("/a"), "/a");
    }

    #[test]
    fn an_id_is_observed_once() {
        let m = Metrics::new(Caps::all(10));
        assert!(m.observe_vital("shop", "LCP", 1200.0, "https://x.test/", "navigate", "v6-1"));
        assert!(!m.observe_vital("shop", "lcp", 1300.0, "https://x.test/", "navigate", "v6-1"));
        let text = m.encode();
        assert!(text.contains("web_vitals_seconds_count{app=\"shop\",metric=\"lcp\",rating=\"good\",page=\"/\",navigation_type=\"navigate\"} 1"), "{text}");
    }

    #[test]
    fn only_sane_values_are_in_range() {
        assert!(in_range("lcp", 0.0));
        assert!(in_range("lcp", MAX_VITAL_MS));
        assert!(!in_range("lcp", MAX_VITAL_MS + 1.0));
        assert!(!in_range("inp", -1.0));
        assert!(!in_range("ttfb", f64::NAN));
        assert!(!in_range("fcp", f64::INFINITY));
        assert!(in_range("cls", 100.0));
        assert!(!in_range("CLS", 1.7e308));
    }

    #[test]
    fn sampled_views_weigh_one_over_the_rate() {
        assert_eq!(sampling_weight(Some("0.5")), 2.0);
        assert_eq!(sampling_weight(Some("1")), 1.0);
        assert_eq!(sampling_weight(Some("4")), 1.0, "rates above 1 are 1");
        assert_eq!(sampling_weight(Some("1e-9")), 1000.0, "floored at 0.001");
        for bad in [
            None,
            Some(""),
            Some("half"),
            Some("0"),
            Some("-1"),
            Some("NaN"),
        ] {
            assert_eq!(sampling_weight(bad), 1.0, "{bad:?}");
        }
        let m = Metrics::new(Caps::all(10));
        m.page_view("shop", "https://x.test/product/12345", Some(2.0));
        m.page_view("shop", "https://x.test/product/999", Some(2.0));
        m.page_view("shop", "https://x.test/product/1", None);
        m.session("shop", Some(4.0));
        m.session("shop", None);
        let text = m.encode();
        assert!(
            text.contains("rum_page_views_total{app=\"shop\",page=\"/product/:id\"} 4.0"),
            "{text}"
        );
        assert!(
            text.contains("rum_sessions_total{app=\"shop\"} 4.0"),
            "{text}"
        );
    }

    #[test]
    fn a_view_with_errors_counts_once_within_the_memory_bound() {
        let mut caps = Caps::all(10);
        caps.error_page_ids = 2;
        let m = Metrics::new(caps);
        assert!(m.view_with_error("shop", "p1", "/a"));
        assert!(!m.view_with_error("shop", "p1", "/a"));
        assert!(m.view_with_error("blog", "p1", "/a"), "ids are per app");
        assert!(
            m.view_with_error("shop", "p2", "/a"),
            "p1 of shop falls out"
        );
        assert!(
            m.view_with_error("shop", "p1", "/a"),
            "forgotten, counted again"
        );
        assert!(m.view_with_error("shop", "", "/a") && m.view_with_error("shop", "", "/a"));
    }

    #[test]
    fn http_calls_are_labelled_by_method_class_server_and_route() {
        assert_eq!(status_class(Some(204)), "2xx");
        assert_eq!(status_class(Some(503)), "5xx");
        assert_eq!(status_class(None), "error");
        assert_eq!(status_class(Some(0)), "error");
        assert_eq!(http_method("get"), "GET");
        assert_eq!(http_method("PURGE"), "_OTHER");
        let mut caps = Caps::all(1);
        caps.routes = vec![RoutePattern::parse("/api/cart/:id").unwrap()];
        let m = Metrics::new(caps);
        let call = |url, status| HttpCall {
            method: "get",
            url,
            status,
            seconds: 0.3,
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        };
        assert!(m.observe_http_client(
            "shop",
            &call("https://API.test:8443/api/items/12345?q=1", Some(200)),
            "https://shop.test/"
        ));
        assert!(m.observe_http_client(
            "shop",
            &call("/api/cart/abc", None),
            "https://shop.test/checkout"
        ));
        assert!(!m.observe_http_client("shop", &call("/relative", None), "not a url"));
        let mut slow = call("https://api.test/x", Some(200));
        slow.seconds = -1.0;
        assert!(!m.observe_http_client("shop", &slow, ""));
        let text = m.encode();
        assert!(text.contains("rum_http_client_duration_seconds_count{app=\"shop\",method=\"GET\",status_class=\"2xx\",server=\"api.test\",route=\"/api/items/:id\"} 1"), "{text}");
        assert!(
            text.contains("rum_http_client_duration_seconds_bucket{le=\"0.5\",app=\"shop\",method=\"GET\",status_class=\"error\",server=\"other\",route=\"/api/cart/:id\"} 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.3"),
            "a host past the cap is other, a pattern names the route, the bucket has its exemplar: {text}"
        );
    }

    #[test]
    fn ratings_follow_the_thresholds() {
        assert_eq!(rating("lcp", 2500.0), "good");
        assert_eq!(rating("lcp", 2500.1), "needs-improvement");
        assert_eq!(rating("cls", 0.26), "poor");
        assert_eq!(rating("inp", 200.0), "good");
    }
}
