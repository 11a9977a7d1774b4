//! Navigation and resource timing entries into `core::wire::timing`: the page-load event once the
//! document's `load` has finished, and a resource event for each `fetch`/XHR whose response
//! named its backend trace in `Server-Timing`. Entries come through js/entries.js in bulk
//! (`timing:` reads every field at once; resources without a Server-Timing are never read).
use crate::prelude::*;

use super::bindings::{date_now, performance_now};
use super::callback::{Listener, Timeout};
use super::entries::{entries, observe, Observer};
use crate::browser::{Local, Target};
use crate::config::Config;
use crate::core::trace::server_timing_trace;
use crate::core::vitals::entries::Flat;
use crate::core::wire::timing;
use crate::core::wire::Item;
use crate::core::{Feature, SinkRef};
use core::cell::RefCell;
use wasm_bindgen::JsCast;

/// The epoch milliseconds of a `performance` timestamp (counted from now, as Faro does, so a
/// suspended machine's drifting `timeOrigin` does not skew it).
fn epoch_ms(perf_time: f64) -> f64 {
    date_now() - (performance_now() - perf_time)
}

/// Where the events go, and the config's `redact.queryParams`, which their URLs go through too
/// (set at install: the resource observer's callback is a plain `fn`).
static TARGET: Local<Target> = Local(Target::new());

/// Pushes the page-load event if the navigation entry is complete; true once it is done.
fn report_navigation() -> bool {
    let (nums, strs) = entries("timing:navigation");
    // The last entry, read in a loop (no `Vec` of the large `Full` for one entry).
    let mut batch = Flat::new(&nums, &strs);
    let mut last = None;
    while !batch.is_empty() {
        last = Some(batch.full());
    }
    let Some(nav) = last else {
        return true;
    };
    if nav.load_event_end <= 0.0 {
        return false;
    }
    let redact = TARGET.with(Target::redact);
    let event = timing::navigation_event(&nav, epoch_ms(0.0), &redact);
    TARGET.with(|t| t.push_all(vec![Item::Event(event)]));
    true
}

/// A batch of fetch/XHR entries with a Server-Timing: those that named their backend trace
/// make events.
fn on_resources(nums: &[f64], strs: &str) {
    let redact = TARGET.with(Target::redact);
    let mut events = Vec::new();
    let mut batch = Flat::new(nums, strs);
    while !batch.is_empty() {
        let r = batch.full().resource;
        if server_timing_trace(&r.server_timing).is_none() {
            continue;
        }
        if let Some(e) = timing::resource_event(&r, epoch_ms(r.start_time), &redact) {
            events.push(Item::Event(e));
        }
    }
    TARGET.with(|t| t.push_all(events));
}

/// The timer set by the first `load`: loadEventEnd is set after the load handlers return.
static AFTER_LOAD: Local<RefCell<Option<Timeout>>> = Local(RefCell::new(None));

fn on_load(_: web_sys::Event) {
    if let Ok(mut s) = AFTER_LOAD.0.try_borrow_mut() {
        if s.is_none() {
            *s = Some(Timeout::new(0.0, || {
                report_navigation();
            }));
        }
    }
}

/// Owns the `load` listener and the resource observer (and, through [`AFTER_LOAD`], the timer).
struct TimingGuard {
    _load: Option<Listener>,
    _observer: Option<Observer>,
}

impl Drop for TimingGuard {
    fn drop(&mut self) {
        TARGET.with(|t| t.set(None));
        AFTER_LOAD.with(|s| s.try_borrow_mut().map(|mut s| *s = None).ok());
    }
}

impl Feature for TimingGuard {}

/// Reports the page load (now, or once `load` has finished) and traced resources to `sink`;
/// the second part of the tracing feature (docs/tracing.md), beside `http`.
pub fn install(config: &Config, sink: SinkRef) -> Option<Box<dyn Feature>> {
    TARGET.with(|t| t.set(Some((sink, config.redact.query_params.clone()))));
    let mut load = None;
    if !report_navigation() {
        let w = crate::browser::bindings::window();
        load = Listener::new(w.unchecked_ref(), "load", false, on_load);
    }
    Some(Box::new(TimingGuard {
        _load: load,
        _observer: observe("timing:resource", None, on_resources),
    }))
}
