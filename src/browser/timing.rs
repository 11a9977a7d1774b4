//! Navigation and resource timing entries into `core::timing`: the page-load event once the
//! document's `load` has finished, and a resource event for each `fetch`/XHR whose response
//! named its backend trace in `Server-Timing`.
use crate::prelude::*;

use super::bindings::{date_now, performance_now, TypedObserver};
use super::js::{get, num, text};
use super::listener::{Listener, Timeout};
use crate::agent;
use crate::core::payload::Item;
use crate::core::timing::{self, NavigationTiming, ResourceTiming};
use crate::core::trace::server_timing_trace;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{PerformanceObserver, PerformanceObserverEntryList};

/// An entry's `serverTiming` as (name, description) pairs.
fn server_timing(e: &JsValue) -> Vec<(String, String)> {
    get(e, "serverTiming")
        .dyn_into::<Array>()
        .map(|a| {
            a.iter()
                .map(|st| (text(&st, "name"), text(&st, "description")))
                .collect()
        })
        .unwrap_or_default()
}

/// A `PerformanceResourceTiming` (or navigation entry) as the plain struct.
fn resource_timing(e: &JsValue, server_timing: Vec<(String, String)>) -> ResourceTiming {
    ResourceTiming {
        name: text(e, "name"),
        initiator_type: text(e, "initiatorType"),
        next_hop_protocol: text(e, "nextHopProtocol"),
        render_blocking_status: text(e, "renderBlockingStatus"),
        start_time: num(e, "startTime"),
        duration: num(e, "duration"),
        redirect_start: num(e, "redirectStart"),
        redirect_end: num(e, "redirectEnd"),
        worker_start: num(e, "workerStart"),
        fetch_start: num(e, "fetchStart"),
        domain_lookup_start: num(e, "domainLookupStart"),
        domain_lookup_end: num(e, "domainLookupEnd"),
        connect_start: num(e, "connectStart"),
        secure_connection_start: num(e, "secureConnectionStart"),
        connect_end: num(e, "connectEnd"),
        request_start: num(e, "requestStart"),
        response_start: num(e, "responseStart"),
        response_end: num(e, "responseEnd"),
        transfer_size: num(e, "transferSize"),
        encoded_body_size: num(e, "encodedBodySize"),
        decoded_body_size: num(e, "decodedBodySize"),
        response_status: num(e, "responseStatus"),
        server_timing,
    }
}

/// The epoch milliseconds of a `performance` timestamp (counted from now, as Faro does, so a
/// suspended machine's drifting `timeOrigin` does not skew it).
fn epoch_ms(perf_time: f64) -> f64 {
    date_now() - (performance_now() - perf_time)
}

/// Pushes the page-load event if the navigation entry is complete; true once it is done.
/// `redact` is the config's `redact.queryParams`.
fn report_navigation(redact: &[String]) -> bool {
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return true;
    };
    let entry = perf.get_entries_by_type("navigation").get(0);
    if entry.is_undefined() {
        return true;
    }
    let e: &JsValue = &entry;
    if num(e, "loadEventEnd") <= 0.0 {
        return false;
    }
    let nav = NavigationTiming {
        resource: resource_timing(e, server_timing(e)),
        kind: text(e, "type"),
        activation_start: num(e, "activationStart"),
        dom_interactive: num(e, "domInteractive"),
        dom_content_loaded_event_start: num(e, "domContentLoadedEventStart"),
        dom_content_loaded_event_end: num(e, "domContentLoadedEventEnd"),
        dom_complete: num(e, "domComplete"),
        load_event_start: num(e, "loadEventStart"),
        load_event_end: num(e, "loadEventEnd"),
    };
    agent::push(Item::Event(timing::navigation_event(
        &nav,
        epoch_ms(0.0),
        redact,
    )));
    true
}

/// An observer and the callback it calls.
type Observer = (
    PerformanceObserver,
    Closure<dyn Fn(PerformanceObserverEntryList)>,
);

/// Owns the `load` listener, its follow-up timer and the resource observer.
pub struct TimingGuard {
    _load: Option<Listener>,
    _after_load: Rc<RefCell<Option<Timeout>>>,
    observer: Option<Observer>,
}

impl Drop for TimingGuard {
    fn drop(&mut self) {
        if let Some((observer, _)) = &self.observer {
            observer.disconnect();
        }
    }
}

fn observe_resources(redact: Vec<String>) -> Option<Observer> {
    let callback = Closure::<dyn Fn(PerformanceObserverEntryList)>::new(
        move |list: PerformanceObserverEntryList| {
            for entry in list.get_entries().iter() {
                let kind = text(&entry, "initiatorType");
                if kind != "fetch" && kind != "xmlhttprequest" {
                    continue;
                }
                // Only a response that named its backend trace makes an event: the other
                // entries (most of them) are not read any further.
                let st = server_timing(&entry);
                if server_timing_trace(st.iter().map(|(n, d)| (n.as_str(), d.as_str()))).is_none() {
                    continue;
                }
                let r = resource_timing(&entry, st);
                if let Some(event) = timing::resource_event(&r, epoch_ms(r.start_time), &redact) {
                    agent::push(Item::Event(event));
                }
            }
        },
    );
    let observer = PerformanceObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"type".into(), &"resource".into());
    let _ = Reflect::set(&options, &"buffered".into(), &JsValue::TRUE);
    observer
        .unchecked_ref::<TypedObserver>()
        .observe_with(&options)
        .ok()?;
    Some((observer, callback))
}

/// Reports the page load (now, or once `load` has finished) and traced resources, their
/// URLs redacted with the config's `redact.queryParams` too.
pub fn install(redact: &[String]) -> TimingGuard {
    let after_load: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
    let mut load = None;
    if !report_navigation(redact) {
        let names = redact.to_vec();
        let slot = after_load.clone();
        let done = Rc::new(Cell::new(false));
        load = web_sys::window().and_then(|w| {
            Listener::new(w.unchecked_ref(), "load", false, move |_| {
                if done.replace(true) {
                    return;
                }
                // loadEventEnd is set after the load handlers return.
                if let Ok(mut s) = slot.try_borrow_mut() {
                    let names = names.clone();
                    *s = Some(Timeout::new(0.0, move || {
                        report_navigation(&names);
                    }));
                }
            })
        });
    }
    TimingGuard {
        _load: load,
        _after_load: after_load,
        observer: observe_resources(redact.to_vec()),
    }
}
