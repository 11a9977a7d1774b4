//! Navigation and resource timing as Faro events: `faro.performance.navigation` for the page
//! load and `faro.performance.resource` for a `fetch`/XHR whose server named its trace in
//! `Server-Timing`. Both carry that backend trace as the event's `trace`, which is what joins
//! a slow page to the backend request that made it slow. Phase names follow Faro's
//! `performanceUtils.ts`, so dashboards built for Faro read ours.
use crate::prelude::*;

use super::json;
use super::{Event, StrMap, TraceContext};
use crate::core::trace::server_timing_trace;
use crate::core::url;

/// Event name of the page load.
pub const NAVIGATION_EVENT: &str = "faro.performance.navigation";
/// Event name of a traced resource.
pub const RESOURCE_EVENT: &str = "faro.performance.resource";
/// Domain of both.
pub const DOMAIN: &str = "browser";

/// The fields of a `PerformanceResourceTiming` the events use (milliseconds from the time origin).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceTiming {
    /// The URL.
    pub name: String,
    /// `fetch`, `xmlhttprequest`, `navigation`, …
    pub initiator_type: String,
    /// `h2`, `http/1.1`, …
    pub next_hop_protocol: String,
    /// `blocking`, `non-blocking`, or empty.
    pub render_blocking_status: String,
    /// Entry start.
    pub start_time: f64,
    /// Entry duration.
    pub duration: f64,
    /// `redirectStart`
    pub redirect_start: f64,
    /// `redirectEnd`
    pub redirect_end: f64,
    /// `workerStart`
    pub worker_start: f64,
    /// `fetchStart`
    pub fetch_start: f64,
    /// `domainLookupStart`
    pub domain_lookup_start: f64,
    /// `domainLookupEnd`
    pub domain_lookup_end: f64,
    /// `connectStart`
    pub connect_start: f64,
    /// `secureConnectionStart` (0 without TLS)
    pub secure_connection_start: f64,
    /// `connectEnd`
    pub connect_end: f64,
    /// `requestStart`
    pub request_start: f64,
    /// `responseStart`
    pub response_start: f64,
    /// `responseEnd`
    pub response_end: f64,
    /// `transferSize`
    pub transfer_size: f64,
    /// `encodedBodySize`
    pub encoded_body_size: f64,
    /// `decodedBodySize`
    pub decoded_body_size: f64,
    /// `responseStatus` (0 when not exposed)
    pub response_status: f64,
    /// `serverTiming` as `(name, description)`.
    pub server_timing: Vec<(String, String)>,
}

/// The extra fields of a `PerformanceNavigationTiming`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NavigationTiming {
    /// The resource part.
    pub resource: ResourceTiming,
    /// `navigate`, `reload`, `back_forward`, `prerender`.
    pub kind: String,
    /// `activationStart` (prerendered pages), 0 otherwise.
    pub activation_start: f64,
    /// `domInteractive`
    pub dom_interactive: f64,
    /// `domContentLoadedEventStart`
    pub dom_content_loaded_event_start: f64,
    /// `domContentLoadedEventEnd`
    pub dom_content_loaded_event_end: f64,
    /// `domComplete`
    pub dom_complete: f64,
    /// `loadEventStart`
    pub load_event_start: f64,
    /// `loadEventEnd`
    pub load_event_end: f64,
}

/// A span of time as Faro writes it: whole non-negative milliseconds; 0 when either end is
/// missing (the browser reports 0 for a phase that did not happen, or hides it cross-origin).
fn phase(from: f64, to: f64) -> String {
    let v = if from > 0.0 && to >= from {
        to - from
    } else {
        0.0
    };
    whole(v)
}

fn whole(v: f64) -> String {
    let mut s = String::new();
    let v = if v.is_finite() && v > 0.0 {
        // Rounds half up (no `f64::round` without std); v is positive and finite here.
        (v + 0.5) as u64 as f64
    } else {
        0.0
    };
    json::push_f64(&mut s, v);
    s
}

fn push(attrs: &mut StrMap, key: &str, value: String) {
    attrs.push((key.into(), value));
}

/// `cache` when served from the HTTP cache, `conditionalFetch` for a revalidated 304,
/// `fullLoad` otherwise.
fn cache_status(r: &ResourceTiming) -> &'static str {
    if r.transfer_size == 0.0 && r.decoded_body_size > 0.0 {
        "cache"
    } else if r.response_status == 304.0 {
        "conditionalFetch"
    } else {
        "fullLoad"
    }
}

fn resource_attributes(r: &ResourceTiming, redact: &[String]) -> StrMap {
    let mut a = Vec::with_capacity(24);
    push(&mut a, "name", url::redact(&r.name, redact));
    push(&mut a, "duration", whole(r.duration));
    push(
        &mut a,
        "redirectTime",
        phase(r.redirect_start, r.redirect_end),
    );
    push(
        &mut a,
        "serviceWorkerTime",
        phase(r.worker_start, r.fetch_start),
    );
    push(
        &mut a,
        "dnsLookupTime",
        phase(r.domain_lookup_start, r.domain_lookup_end),
    );
    push(
        &mut a,
        "tcpHandshakeTime",
        phase(r.connect_start, r.connect_end),
    );
    push(
        &mut a,
        "tlsNegotiationTime",
        phase(r.secure_connection_start, r.connect_end),
    );
    push(
        &mut a,
        "requestTime",
        phase(r.request_start, r.response_start),
    );
    push(
        &mut a,
        "responseTime",
        phase(r.response_start, r.response_end),
    );
    push(&mut a, "fetchTime", phase(r.fetch_start, r.response_end));
    push(&mut a, "ttfb", phase(r.request_start, r.response_start));
    push(&mut a, "transferSize", whole(r.transfer_size));
    push(&mut a, "encodedBodySize", whole(r.encoded_body_size));
    push(&mut a, "decodedBodySize", whole(r.decoded_body_size));
    push(&mut a, "cacheHitStatus", cache_status(r).into());
    if r.response_status > 0.0 {
        push(&mut a, "responseStatus", whole(r.response_status));
    }
    if !r.next_hop_protocol.is_empty() {
        push(&mut a, "protocol", r.next_hop_protocol.clone());
    }
    if !r.initiator_type.is_empty() {
        push(&mut a, "initiatorType", r.initiator_type.clone());
    }
    if !r.render_blocking_status.is_empty() {
        push(
            &mut a,
            "renderBlockingStatus",
            r.render_blocking_status.clone(),
        );
    }
    a
}

fn backend_trace(r: &ResourceTiming) -> Option<TraceContext> {
    server_timing_trace(&r.server_timing)
}

/// The page-load event: the navigation phases, and as its `trace` the backend trace from the
/// document response's `Server-Timing` (`traceparent` or `trace`), when valid.
pub fn navigation_event(nav: &NavigationTiming, timestamp: f64, redact: &[String]) -> Event {
    let r = &nav.resource;
    let mut attributes = resource_attributes(r, redact);
    // TTFB of a prerendered page counts from its activation (as web-vitals does).
    if let Some(ttfb) = attributes.iter_mut().find(|(k, _)| k == "ttfb") {
        let from = nav.activation_start.max(0.0);
        ttfb.1 = whole((r.response_start - from).max(0.0));
    }
    push(&mut attributes, "type", nav.kind.clone());
    push(
        &mut attributes,
        "pageLoadTime",
        phase(r.fetch_start.max(f64::MIN_POSITIVE), nav.dom_complete),
    );
    push(
        &mut attributes,
        "domProcessingTime",
        phase(nav.dom_interactive, nav.dom_complete),
    );
    push(
        &mut attributes,
        "domContentLoadHandlerTime",
        phase(
            nav.dom_content_loaded_event_start,
            nav.dom_content_loaded_event_end,
        ),
    );
    push(
        &mut attributes,
        "onLoadTime",
        phase(nav.load_event_start, nav.load_event_end),
    );
    Event {
        name: NAVIGATION_EVENT.into(),
        domain: DOMAIN.into(),
        attributes,
        timestamp,
        trace: backend_trace(r),
    }
}

/// The event of a `fetch`/XHR resource whose server named its trace in `Server-Timing`;
/// `None` without a valid one (the agent's own span already covers the request).
pub fn resource_event(r: &ResourceTiming, timestamp: f64, redact: &[String]) -> Option<Event> {
    let trace = backend_trace(r)?;
    Some(Event {
        name: RESOURCE_EVENT.into(),
        domain: DOMAIN.into(),
        attributes: resource_attributes(r, redact),
        timestamp,
        trace: Some(trace),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn get<'a>(e: &'a Event, key: &str) -> &'a str {
        e.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("<missing>")
    }

    fn nav() -> NavigationTiming {
        NavigationTiming {
            resource: ResourceTiming {
                name: "https://shop.test/checkout?session=s3cr3t".into(),
                initiator_type: "navigation".into(),
                next_hop_protocol: "http/1.1".into(),
                duration: 950.4,
                fetch_start: 2.0,
                domain_lookup_start: 2.0,
                domain_lookup_end: 7.0,
                connect_start: 7.0,
                connect_end: 20.0,
                request_start: 21.0,
                response_start: 182.6,
                response_end: 200.0,
                transfer_size: 5000.0,
                encoded_body_size: 4700.0,
                decoded_body_size: 12000.0,
                response_status: 200.0,
                server_timing: vec![("db".into(), "".into()), ("traceparent".into(), TP.into())],
                ..Default::default()
            },
            kind: "navigate".into(),
            dom_interactive: 400.0,
            dom_content_loaded_event_start: 410.0,
            dom_content_loaded_event_end: 415.0,
            dom_complete: 900.0,
            load_event_start: 901.0,
            load_event_end: 950.0,
            ..Default::default()
        }
    }

    #[test]
    fn the_page_load_event_carries_the_phases_and_the_backend_trace() {
        let e = navigation_event(&nav(), 1_787_566_501_950.0, &[]);
        assert_eq!(
            (e.name.as_str(), e.domain.as_str()),
            ("faro.performance.navigation", "browser")
        );
        let t = e.trace.as_ref().unwrap();
        assert_eq!(t.trace_id, "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(t.span_id, "b7ad6b7169203331");
        assert_eq!(
            get(&e, "name"),
            "https://shop.test/checkout?session=REDACTED"
        );
        assert_eq!(get(&e, "type"), "navigate");
        assert_eq!(get(&e, "duration"), "950");
        assert_eq!(get(&e, "ttfb"), "183");
        assert_eq!(get(&e, "dnsLookupTime"), "5");
        assert_eq!(get(&e, "tcpHandshakeTime"), "13");
        assert_eq!(get(&e, "tlsNegotiationTime"), "0");
        assert_eq!(get(&e, "requestTime"), "162");
        assert_eq!(get(&e, "responseTime"), "17");
        assert_eq!(get(&e, "pageLoadTime"), "898");
        assert_eq!(get(&e, "domProcessingTime"), "500");
        assert_eq!(get(&e, "domContentLoadHandlerTime"), "5");
        assert_eq!(get(&e, "onLoadTime"), "49");
        assert_eq!(get(&e, "responseStatus"), "200");
        assert_eq!(get(&e, "protocol"), "http/1.1");
        assert_eq!(get(&e, "cacheHitStatus"), "fullLoad");
        assert!(e.attributes.iter().all(|(_, v)| !v.is_empty()));
    }

    #[test]
    fn without_a_valid_server_timing_entry_the_page_load_has_no_trace() {
        let mut n = nav();
        n.resource.server_timing = vec![(
            "traceparent".into(),
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01".into(),
        )];
        assert_eq!(navigation_event(&n, 1.0, &[]).trace, None);
        n.resource.server_timing.clear();
        assert_eq!(navigation_event(&n, 1.0, &[]).trace, None);
        n.resource.server_timing = vec![("trace".into(), TP.into())];
        assert!(navigation_event(&n, 1.0, &[]).trace.is_some());
    }

    #[test]
    fn missing_phases_are_zero_and_a_prerendered_ttfb_counts_from_activation() {
        let mut n = nav();
        n.resource.domain_lookup_start = 0.0;
        n.resource.secure_connection_start = 10.0;
        n.activation_start = 100.0;
        n.load_event_end = 0.0;
        let e = navigation_event(&n, 1.0, &[]);
        assert_eq!(get(&e, "dnsLookupTime"), "0");
        assert_eq!(get(&e, "tlsNegotiationTime"), "10");
        assert_eq!(get(&e, "ttfb"), "83");
        assert_eq!(get(&e, "onLoadTime"), "0");
    }

    #[test]
    fn a_resource_event_exists_only_with_a_backend_trace() {
        let mut r = nav().resource;
        r.initiator_type = "fetch".into();
        r.transfer_size = 0.0;
        let e = resource_event(&r, 1.0, &[]).unwrap();
        assert_eq!(e.name, "faro.performance.resource");
        assert_eq!(get(&e, "initiatorType"), "fetch");
        assert_eq!(get(&e, "cacheHitStatus"), "cache");
        assert_eq!(
            e.trace.unwrap().trace_id,
            "0af7651916cd43dd8448eb211c80319c"
        );
        r.server_timing.clear();
        assert!(resource_event(&r, 1.0, &[]).is_none());
    }
}
