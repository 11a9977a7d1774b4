//! W3C Trace Context for `fetch` and `XMLHttpRequest`: ids, the `traceparent` header, which
//! URLs may receive it, the CLIENT span a request becomes, and the backend trace a response
//! names in `Server-Timing`.
//!
//! The one rule that matters most: a `traceparent` sent to an origin that does not expect it
//! makes the browser preflight the request, and the preflight fails unless that server allows
//! the header, so the page's request breaks. The header therefore goes only to the page's own
//! origin and to URLs the config lists, never to the collector or an ignored URL.
use crate::prelude::*;

use super::wire::{push_attr, AttrValue, Span, TraceContext};
use super::{rand, url};

/// OTLP span kind CLIENT.
pub const KIND_CLIENT: u8 = 3;
/// OTLP status code ERROR.
pub const STATUS_ERROR: u8 = 2;

/// A random, non-zero id of `N` bytes as lowercase hex (32 characters for a trace id when
/// `N` is 16, 16 for a span id when `N` is 8). All-zero ids are invalid in W3C Trace Context.
fn random_id<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    loop {
        rand::fill(&mut bytes);
        if bytes.iter().any(|&b| b != 0) {
            return rand::hex(&bytes);
        }
    }
}

/// A new trace id: 32 lowercase hex characters, never all zero.
pub fn new_trace_id() -> String {
    random_id::<16>()
}

/// A new span (parent) id: 16 lowercase hex characters, never all zero.
pub fn new_span_id() -> String {
    random_id::<8>()
}

/// `00-<trace id>-<span id>-<flags>`, flags `01` for a sampled session and `00` otherwise.
pub fn format_traceparent(trace_id: &str, span_id: &str, sampled: bool) -> String {
    let mut s = String::with_capacity(55);
    s.push_str("00-");
    s.push_str(trace_id);
    s.push('-');
    s.push_str(span_id);
    s.push_str(if sampled { "-01" } else { "-00" });
    s
}

/// A parsed `traceparent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceParent {
    /// 32 lowercase hex characters, not all zero.
    pub trace_id: String,
    /// 16 lowercase hex characters, not all zero: the caller's span.
    pub parent_id: String,
    /// The trace flags byte (bit 0: sampled).
    pub flags: u8,
}

impl TraceParent {
    /// As the `trace` of a Faro item.
    pub fn context(&self) -> TraceContext {
        TraceContext {
            trace_id: self.trace_id.clone(),
            span_id: self.parent_id.clone(),
        }
    }
}

fn lower_hex(s: &str) -> bool {
    super::text::all_bytes(s, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex_value(b: u8) -> u8 {
    if b.is_ascii_digit() {
        b - b'0'
    } else {
        b - b'a' + 10
    }
}

/// Parses a `traceparent` strictly, as W3C Trace Context requires: lowercase hex only, exact
/// field lengths, `ff` and all-zero ids rejected; version `00` is exactly 55 characters, and a
/// later version may only append `-…` after the four fields it shares with `00`. Surrounding
/// spaces and tabs (optional whitespace in a header value) are ignored.
pub fn parse_traceparent(header: &str) -> Option<TraceParent> {
    let h = super::text::trim_set(header, b" \t");
    // The four shared fields as a fixed array: indexing it has no bounds check (nor panic path).
    let b: &[u8; 55] = h.as_bytes().get(..55)?.try_into().ok()?;
    if !b.is_ascii() {
        return None;
    }
    let part = |a, b| super::text::mid(h, a, b);
    let (version, trace_id, parent_id, flags) =
        (part(0, 2), part(3, 35), part(36, 52), part(53, 55));
    let dashes = b[2] == b'-' && b[35] == b'-' && b[52] == b'-';
    let tail_ok = match version {
        "00" => h.len() == 55,
        "ff" => false,
        _ => matches!(h.as_bytes().get(55), None | Some(b'-')),
    };
    let ok = dashes
        && tail_ok
        && [version, trace_id, parent_id, flags]
            .iter()
            .all(|f| lower_hex(f))
        && !super::text::all_bytes(trace_id, |b| b == b'0')
        && !super::text::all_bytes(parent_id, |b| b == b'0');
    if !ok {
        return None;
    }
    Some(TraceParent {
        trace_id: trace_id.into(),
        parent_id: parent_id.into(),
        flags: hex_value(b[53]) << 4 | hex_value(b[54]),
    })
}

/// The backend trace a response names in `Server-Timing`: the first entry called `traceparent`
/// (the de-facto convention) or `trace` (the W3C draft) whose description is a valid
/// `traceparent`. Entries are `(name, description)` as `PerformanceServerTiming` gives them
/// (the browser has already removed quotes).
pub fn server_timing_trace<N: AsRef<str>>(entries: &[(N, N)]) -> Option<TraceContext> {
    for (name, desc) in entries {
        let name = name.as_ref();
        if name.eq_ignore_ascii_case("traceparent") || name.eq_ignore_ascii_case("trace") {
            if let Some(tp) = parse_traceparent(desc.as_ref()) {
                return Some(tp.context());
            }
        }
    }
    None
}

/// Whether `target` is `prefix` or lies under it: same scheme, host and port, and the target's
/// path starts with the prefix's path at a `/` boundary (`/api` covers `/api` and `/api/cart`,
/// not `/apix`). A prefix that is not an absolute `http(s)` URL matches nothing.
pub fn url_under(target: &str, prefix: &str) -> bool {
    let (Some(t), Some(p)) = (url::parse(target), url::parse(prefix)) else {
        return false;
    };
    if !t.scheme.eq_ignore_ascii_case(p.scheme)
        || !t.host.eq_ignore_ascii_case(p.host)
        || t.port != p.port
    {
        return false;
    }
    let path = p.path.as_bytes();
    let mut n = path.len();
    while n > 0 && path[n - 1] == b'/' {
        n -= 1;
    }
    let base = super::text::head(p.path, n);
    match t.path.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with("/") || base.is_empty(),
        None => false,
    }
}

/// `url` without its query and fragment: what a `propagateTraceHeaderCorsUrls` RegExp is
/// tested against, so an allowed URL inside another URL's query never matches.
pub fn without_query(url: &str) -> &str {
    super::text::head(url, super::text::find_any(url, b"?#").unwrap_or(url.len()))
}

/// `url` made absolute against `base` for the forms a config URL takes (`https://…`,
/// `//host/…`, `/path`); anything else is returned as it is.
pub fn absolute(base: &str, url: &str) -> String {
    let (Some((scheme, rest)), None) = (super::text::split_once(base, "://"), url::parse(url))
    else {
        return url.into();
    };
    let authority = super::text::head(
        rest,
        super::text::find_any(rest, b"/?#").unwrap_or(rest.len()),
    );
    let mut out = String::from(scheme);
    if let Some(tail) = url.strip_prefix("//") {
        out.push_str("://");
        out.push_str(tail);
    } else if url.starts_with("/") && url::parse(base).is_some() {
        out.push_str("://");
        out.push_str(authority);
        out.push_str(url);
    } else {
        return url.into();
    }
    out
}

/// What the agent does with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Leave it alone: not recorded, no header (the collector, `ignoreUrls`, non-http URLs).
    Ignore,
    /// Record a span, add no header (any other origin).
    Record,
    /// Record a span and send `traceparent` (same origin, or listed in
    /// `propagateTraceHeaderCorsUrls`).
    Propagate,
}

/// The config the decision needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// `location.href` of the page (only its origin is used).
    pub page_url: String,
    /// The collector URL: requests under it are the agent's own.
    pub collector_url: String,
    /// String entries of `tracing.propagateTraceHeaderCorsUrls`.
    pub cors_urls: super::List,
    /// String entries of `ignoreUrls` (substrings).
    pub ignore_urls: super::List,
}

impl Rules {
    /// Whether `ignoreUrls` (its strings, then its RegExps through `regex`) matches `target`.
    pub fn ignored(&self, target: &str, regex: &dyn Fn(&str, &str) -> bool) -> bool {
        self.ignore_urls
            .iter()
            .any(|s| !s.is_empty() && super::text::contains(target, s))
            || regex("ignoreUrls", target)
    }

    /// Decides for an absolute URL. `regex` tests the JS-side RegExps of a config list
    /// (`ignoreUrls` with the full URL, `propagateTraceHeaderCorsUrls` with the URL without its
    /// query and fragment); it is only called when the strings did not decide.
    pub fn decide(&self, target: &str, regex: &dyn Fn(&str, &str) -> bool) -> Decision {
        let Some(parts) = url::parse(target) else {
            return Decision::Ignore;
        };
        if !(parts.scheme.eq_ignore_ascii_case("http")
            || parts.scheme.eq_ignore_ascii_case("https"))
        {
            return Decision::Ignore;
        }
        if url_under(target, &self.collector_url) || self.ignored(target, regex) {
            return Decision::Ignore;
        }
        if url::same_origin(target, &self.page_url)
            || self.cors_urls.iter().any(|p| url_under(target, p))
            || regex("propagateTraceHeaderCorsUrls", without_query(target))
        {
            Decision::Propagate
        } else {
            Decision::Record
        }
    }
}

/// A request as the span needs it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// Trace id (ours, or the page's when it set `traceparent` itself).
    pub trace_id: String,
    /// This span's id.
    pub span_id: String,
    /// The page's span when it set `traceparent` itself, else empty.
    pub parent_span_id: String,
    /// As the page gave it (`get`, `POST`, …).
    pub method: String,
    /// Absolute URL (redacted when the span is built).
    pub url: String,
    /// Epoch milliseconds.
    pub start: f64,
    /// `wasm-rum/fetch` or `wasm-rum/xhr`.
    pub scope: &'static str,
}

impl Request {
    /// A request with fresh ids, or joining the trace of a `traceparent` the page set itself.
    pub fn new(
        method: &str,
        url: &str,
        page_traceparent: Option<&str>,
        start: f64,
        scope: &'static str,
    ) -> Request {
        let (trace_id, parent_span_id) = match page_traceparent.and_then(parse_traceparent) {
            Some(tp) => (tp.trace_id, tp.parent_id),
            None => (new_trace_id(), String::new()),
        };
        Request {
            trace_id,
            span_id: new_span_id(),
            parent_span_id,
            method: method.into(),
            url: url.into(),
            start,
            scope,
        }
    }
}

/// How a request ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Epoch milliseconds.
    pub end: f64,
    /// HTTP status, 0 when no status is visible (network error, opaque response).
    pub status: u16,
    /// The failure (`TypeError`, `AbortError`, `timeout`, …), empty when a response arrived.
    pub error: String,
}

const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// `http.request.method`: the known methods in upper case (fetch upper-cases them itself),
/// anything else `_OTHER`. A loop, not `iter().copied().find()`: that is its own copy of std's
/// `try_fold` in the wasm.
#[allow(clippy::manual_find)]
pub fn normalize_method(method: &str) -> Option<&'static str> {
    for m in KNOWN_METHODS {
        if m.eq_ignore_ascii_case(method) {
            return Some(m);
        }
    }
    None
}

fn int_str(n: u16) -> String {
    let mut s = String::new();
    super::wire::json::push_u64(&mut s, n as u64);
    s
}

/// The OTLP CLIENT span of a finished request, with the stable HTTP semantic conventions:
/// named by its method, `url.full` redacted, status ERROR for failures and 4xx/5xx.
pub fn client_span(req: Request, outcome: &Outcome, session_id: &str, redact: &[String]) -> Span {
    let method = normalize_method(&req.method);
    let mut attributes = Vec::with_capacity(8);
    let a = &mut attributes;
    push_attr(
        a,
        "http.request.method",
        AttrValue::Str(method.unwrap_or("_OTHER").into()),
    );
    if method.is_none() {
        push_attr(
            a,
            "http.request.method_original",
            AttrValue::Str(req.method.clone()),
        );
    }
    push_attr(a, "url.full", AttrValue::Str(url::redact(&req.url, redact)));
    if let Some(p) = url::parse(&req.url) {
        let host = p.host.strip_prefix("[").unwrap_or(p.host);
        let host = host.strip_suffix("]").unwrap_or(host);
        push_attr(a, "server.address", AttrValue::Str(host.into()));
        push_attr(a, "server.port", AttrValue::Int(p.port as i64));
    }
    if outcome.status > 0 {
        push_attr(
            a,
            "http.response.status_code",
            AttrValue::Int(outcome.status as i64),
        );
    }
    let failed = !outcome.error.is_empty() || outcome.status >= 400;
    if !outcome.error.is_empty() {
        push_attr(a, "error.type", AttrValue::Str(outcome.error.clone()));
    } else if outcome.status >= 400 {
        push_attr(a, "error.type", AttrValue::Str(int_str(outcome.status)));
    }
    if !session_id.is_empty() {
        push_attr(a, "session.id", AttrValue::Str(session_id.into()));
    }
    Span {
        trace_id: req.trace_id,
        span_id: req.span_id,
        parent_span_id: req.parent_span_id,
        name: method.unwrap_or("HTTP").into(),
        kind: KIND_CLIENT,
        start: req.start,
        end: outcome.end.max(req.start),
        attributes,
        status_code: if failed { STATUS_ERROR } else { 0 },
        scope: req.scope.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn no_regex(_: &str, _: &str) -> bool {
        false
    }

    #[test]
    fn ids_are_lowercase_hex_of_the_right_length_random_and_non_zero() {
        let t = new_trace_id();
        let s = new_span_id();
        assert_eq!((t.len(), s.len()), (32, 16));
        assert!(lower_hex(&t) && lower_hex(&s));
        assert!(t.bytes().any(|b| b != b'0') && s.bytes().any(|b| b != b'0'));
        assert_ne!(new_trace_id(), t);
        assert_ne!(new_span_id(), s);
    }

    #[test]
    fn generated_headers_parse_back_with_the_sampled_flag() {
        let (t, s) = (new_trace_id(), new_span_id());
        let sampled = format_traceparent(&t, &s, true);
        assert_eq!(sampled.len(), 55);
        assert!(sampled.starts_with("00-") && sampled.ends_with("-01"));
        let tp = parse_traceparent(&sampled).unwrap();
        assert_eq!(
            (tp.trace_id, tp.parent_id, tp.flags),
            (t.clone(), s.clone(), 1)
        );
        assert!(format_traceparent(&t, &s, false).ends_with("-00"));
        assert_eq!(
            parse_traceparent(&format_traceparent(&t, &s, false))
                .unwrap()
                .flags,
            0
        );
    }

    #[test]
    fn parses_the_spec_example() {
        let tp = parse_traceparent(VALID).unwrap();
        assert_eq!(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.parent_id, "00f067aa0ba902b7");
        assert_eq!(tp.flags, 1);
        assert_eq!(
            parse_traceparent(&(String::from(" ") + VALID + "\t")),
            Some(tp)
        );
    }

    #[test]
    fn rejects_all_zero_ids() {
        assert_eq!(
            parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
            None
        );
    }

    #[test]
    fn rejects_uppercase_anywhere() {
        assert_eq!(
            parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"),
            None
        );
        assert_eq!(
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"),
            None
        );
    }

    #[test]
    fn rejects_bad_lengths_separators_and_characters() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", // trace id 31
            "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01", // trace id 33
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", // span id 15
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b77-01", // span id 17
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", // flags 1
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011", // flags 3
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", // v00 with a tail
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version 1
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", // separators
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0é", // non-ASCII
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01", // non-ASCII, same length
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_later_version_may_append_fields_after_a_dash() {
        let v1 = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(parse_traceparent(v1).is_some());
        assert!(parse_traceparent(&(String::from(v1) + "-what-comes-next")).is_some());
        assert!(parse_traceparent(&(String::from(v1) + "x")).is_none());
    }

    #[test]
    fn server_timing_takes_traceparent_or_trace_and_validates_it() {
        let ctx = server_timing_trace(&[("db", "12"), ("traceparent", VALID)]).unwrap();
        assert_eq!(ctx.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ctx.span_id, "00f067aa0ba902b7");
        assert!(server_timing_trace(&[("trace", VALID)]).is_some());
        assert!(server_timing_trace(&[("traceparent", "00-abc-def-01")]).is_none());
        assert!(server_timing_trace(&[("other", VALID)]).is_none());
        // An invalid first entry does not hide a valid second one.
        assert!(server_timing_trace(&[("traceparent", "garbage"), ("trace", VALID)]).is_some());
        assert!(server_timing_trace::<&str>(&[]).is_none());
    }

    #[test]
    fn a_cors_url_matches_its_origin_and_path_prefix_at_a_slash() {
        let p = "https://api.example.com";
        assert!(url_under("https://api.example.com/", p));
        assert!(url_under("https://api.example.com/v1/cart?x=1", p));
        assert!(url_under("https://API.example.com:443/v1", p));
        assert!(!url_under("https://api.example.com.evil.net/", p));
        assert!(!url_under("https://api.example.com:8443/", p));
        assert!(!url_under("http://api.example.com/", p));
        assert!(!url_under(
            "https://evil.net/?u=https://api.example.com/",
            p
        ));
        assert!(!url_under("https://evil.net/https://api.example.com/", p));
        assert!(!url_under("https://api.example.com@evil.net/", p));

        let p = "https://api.example.com/v1";
        assert!(url_under("https://api.example.com/v1", p));
        assert!(url_under("https://api.example.com/v1/cart", p));
        assert!(url_under("https://api.example.com/v1?x", p));
        assert!(!url_under("https://api.example.com/v10", p));
        assert!(!url_under("https://api.example.com/", p));
        assert!(url_under(
            "https://api.example.com/v1/cart",
            "https://api.example.com/v1/"
        ));
        assert!(!url_under(
            "https://api.example.com/v1x",
            "https://api.example.com/v1/"
        ));

        assert!(!url_under("https://api.example.com/", "api.example.com"));
        assert!(!url_under("https://api.example.com/", ""));
    }

    #[test]
    fn config_urls_are_made_absolute_against_the_page() {
        let page = "https://shop.test:8443/cart/view?x=1";
        assert_eq!(
            absolute(page, "https://c.test/collect"),
            "https://c.test/collect"
        );
        assert_eq!(absolute(page, "/collect"), "https://shop.test:8443/collect");
        assert_eq!(absolute(page, "//c.test/collect"), "https://c.test/collect");
        assert_eq!(absolute(page, "collect"), "collect");
        assert_eq!(absolute("about:blank", "/collect"), "/collect");
    }

    fn rules() -> Rules {
        Rules {
            page_url: "http://shop.test:8080/cart?step=2".into(),
            collector_url: "http://collector.test:12347/collect".into(),
            cors_urls: crate::core::List::new(vec!["http://api.test:9000/api".into()]),
            ignore_urls: crate::core::List::new(vec!["/health".into()]),
        }
    }

    #[test]
    fn the_header_goes_to_the_page_origin_and_listed_urls_only() {
        let r = rules();
        let d = |u: &str| r.decide(u, &no_regex);
        assert_eq!(d("http://shop.test:8080/api/cart"), Decision::Propagate);
        assert_eq!(d("http://api.test:9000/api/cart"), Decision::Propagate);
        assert_eq!(d("http://api.test:9000/apix"), Decision::Record);
        assert_eq!(d("http://api.test.evil:9000/api/cart"), Decision::Record);
        assert_eq!(d("http://api.test:9001/api/cart"), Decision::Record);
        assert_eq!(
            d("http://other.test/?next=http://api.test:9000/api/"),
            Decision::Record
        );
        assert_eq!(d("https://shop.test:8080/"), Decision::Record);
    }

    #[test]
    fn the_collector_ignored_urls_and_non_http_urls_are_left_alone() {
        let r = rules();
        let d = |u: &str| r.decide(u, &no_regex);
        assert_eq!(d("http://collector.test:12347/collect"), Decision::Ignore);
        assert_eq!(
            d("http://collector.test:12347/collect/key"),
            Decision::Ignore
        );
        assert_eq!(d("http://collector.test:12347/other"), Decision::Record);
        assert_eq!(d("http://shop.test:8080/health?x"), Decision::Ignore);
        assert_eq!(d("data:text/plain,hi"), Decision::Ignore);
        assert_eq!(d("blob:http://shop.test:8080/1234"), Decision::Ignore);
        assert_eq!(d("not a url"), Decision::Ignore);
    }

    #[test]
    fn regexps_see_the_url_without_query_and_fragment() {
        let r = rules();
        let seen = core::cell::RefCell::new(Vec::new());
        let regex = |list: &str, v: &str| {
            seen.borrow_mut().push((list.to_string(), v.to_string()));
            list == "propagateTraceHeaderCorsUrls" && v.starts_with("http://regex.test/")
        };
        assert_eq!(
            r.decide("http://regex.test/a?b=1#c", &regex),
            Decision::Propagate
        );
        assert_eq!(
            r.decide("http://elsewhere.test/?u=http://regex.test/", &regex),
            Decision::Record
        );
        let seen = seen.into_inner();
        assert_eq!(
            seen[0],
            ("ignoreUrls".into(), "http://regex.test/a?b=1#c".into())
        );
        assert_eq!(
            seen[1],
            (
                "propagateTraceHeaderCorsUrls".into(),
                "http://regex.test/a".into()
            )
        );
        assert_eq!(
            seen[3],
            (
                "propagateTraceHeaderCorsUrls".into(),
                "http://elsewhere.test/".into()
            )
        );
        let ignore_all = |list: &str, _: &str| list == "ignoreUrls";
        assert_eq!(
            r.decide("http://shop.test:8080/", &ignore_all),
            Decision::Ignore
        );
    }

    #[test]
    fn a_request_joins_a_valid_page_traceparent_and_otherwise_starts_a_trace() {
        let joined = Request::new("GET", "http://a.test/", Some(VALID), 1.0, "wasm-rum/fetch");
        assert_eq!(joined.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(joined.parent_span_id, "00f067aa0ba902b7");
        assert_ne!(joined.span_id, "00f067aa0ba902b7");
        let fresh = Request::new(
            "GET",
            "http://a.test/",
            Some("bogus"),
            1.0,
            "wasm-rum/fetch",
        );
        assert_eq!(
            (fresh.trace_id.len(), fresh.parent_span_id.as_str()),
            (32, "")
        );
    }

    fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a AttrValue> {
        span.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn a_successful_request_becomes_a_client_span_with_stable_http_attributes() {
        let req = Request::new(
            "get",
            "https://api.example.com/v1/cart?token=abc&q=1",
            None,
            1000.0,
            "wasm-rum/fetch",
        );
        let (trace, span) = (req.trace_id.clone(), req.span_id.clone());
        let sp = client_span(
            req,
            &Outcome {
                end: 1250.5,
                status: 200,
                error: String::new(),
            },
            "sess1",
            &[],
        );
        assert_eq!((&sp.trace_id, &sp.span_id), (&trace, &span));
        assert_eq!((sp.name.as_str(), sp.kind, sp.status_code), ("GET", 3, 0));
        assert_eq!((sp.start, sp.end), (1000.0, 1250.5));
        assert_eq!(
            attr(&sp, "http.request.method"),
            Some(&AttrValue::Str("GET".into()))
        );
        assert_eq!(
            attr(&sp, "url.full"),
            Some(&AttrValue::Str(
                "https://api.example.com/v1/cart?token=REDACTED&q=1".into()
            ))
        );
        assert_eq!(
            attr(&sp, "server.address"),
            Some(&AttrValue::Str("api.example.com".into()))
        );
        assert_eq!(attr(&sp, "server.port"), Some(&AttrValue::Int(443)));
        assert_eq!(
            attr(&sp, "http.response.status_code"),
            Some(&AttrValue::Int(200))
        );
        assert_eq!(attr(&sp, "error.type"), None);
        assert_eq!(
            attr(&sp, "session.id"),
            Some(&AttrValue::Str("sess1".into()))
        );
    }

    #[test]
    fn failures_and_error_statuses_set_error_type_and_status_error() {
        let req = || Request::new("POST", "http://[::1]:8080/x", None, 1.0, "wasm-rum/xhr");
        let sp = client_span(
            req(),
            &Outcome {
                end: 2.0,
                status: 503,
                error: String::new(),
            },
            "",
            &[],
        );
        assert_eq!(sp.status_code, STATUS_ERROR);
        assert_eq!(attr(&sp, "error.type"), Some(&AttrValue::Str("503".into())));
        assert_eq!(
            attr(&sp, "server.address"),
            Some(&AttrValue::Str("::1".into()))
        );
        assert_eq!(attr(&sp, "session.id"), None);

        let sp = client_span(
            req(),
            &Outcome {
                end: 2.0,
                status: 0,
                error: "TypeError".into(),
            },
            "",
            &[],
        );
        assert_eq!(sp.status_code, STATUS_ERROR);
        assert_eq!(
            attr(&sp, "error.type"),
            Some(&AttrValue::Str("TypeError".into()))
        );
        assert_eq!(attr(&sp, "http.response.status_code"), None);

        let sp = client_span(
            req(),
            &Outcome {
                end: 2.0,
                status: 302,
                error: String::new(),
            },
            "",
            &[],
        );
        assert_eq!(sp.status_code, 0);
        // An end before the start (clock change) never makes a negative span.
        let sp = client_span(
            req(),
            &Outcome {
                end: 0.5,
                status: 200,
                error: String::new(),
            },
            "",
            &[],
        );
        assert_eq!(sp.end, sp.start);
    }

    #[test]
    fn unknown_methods_are_other_with_the_original_kept() {
        let sp = client_span(
            Request::new("PURGE", "http://a.test/", None, 1.0, "wasm-rum/fetch"),
            &Outcome {
                end: 2.0,
                status: 200,
                error: String::new(),
            },
            "",
            &[],
        );
        assert_eq!(sp.name, "HTTP");
        assert_eq!(
            attr(&sp, "http.request.method"),
            Some(&AttrValue::Str("_OTHER".into()))
        );
        assert_eq!(
            attr(&sp, "http.request.method_original"),
            Some(&AttrValue::Str("PURGE".into()))
        );
        assert_eq!(normalize_method("patch"), Some("PATCH"));
    }
}
