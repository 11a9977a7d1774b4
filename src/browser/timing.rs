//! Navigation and resource timing entries into `core::timing`: the page-load event once the
//! document's `load` has finished, and a resource event for each `fetch`/XHR whose response
//! named its backend trace in `Server-Timing`. Entries come through js/entries.js in bulk
//! (`timing:` reads every field at once; resources without a Server-Timing are never read).
use crate::prelude::*;

use super::bindings::{date_now, performance_now};
use super::listener::{Listener, Timeout};
use super::observe::{entries, observe, Observer};
use crate::agent;
use crate::core::payload::Item;
use crate::core::timing;
use crate::core::trace::server_timing_trace;
use crate::core::vitals::entries::Flat;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;

/// The epoch milliseconds of a `performance` timestamp (counted from now, as Faro does, so a
/// suspended machine's drifting `timeOrigin` does not skew it).
fn epoch_ms(perf_time: f64) -> f64 {
    date_now() - (performance_now() - perf_time)
}

/// The config's `redact.queryParams`, which the events' URLs go through too.
fn redact() -> Vec<String> {
    agent::with(|a| a.config.redact.query_params.clone()).unwrap_or_default()
}

/// Pushes the page-load event if the navigation entry is complete; true once it is done.
fn report_navigation() -> bool {
    let mut nav = None;
    entries("timing:navigation", &mut |nums, strs| {
        nav = Flat::new(nums, strs).all(Flat::full).pop();
    });
    let Some(nav) = nav else {
        return true;
    };
    if nav.load_event_end <= 0.0 {
        return false;
    }
    agent::push(Item::Event(timing::navigation_event(
        &nav,
        epoch_ms(0.0),
        &redact(),
    )));
    true
}

/// A batch of fetch/XHR entries with a Server-Timing: those that named their backend trace
/// make events.
fn on_resources(nums: &[f64], strs: &str) {
    let redact = redact();
    for r in Flat::new(nums, strs).all(Flat::full) {
        let r = r.resource;
        let st = r
            .server_timing
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_str()));
        if server_timing_trace(st).is_none() {
            continue;
        }
        if let Some(event) = timing::resource_event(&r, epoch_ms(r.start_time), &redact) {
            agent::push(Item::Event(event));
        }
    }
}

/// Owns the `load` listener, its follow-up timer and the resource observer.
pub struct TimingGuard {
    _load: Option<Listener>,
    _after_load: Rc<RefCell<Option<Timeout>>>,
    _observer: Option<Observer>,
}

/// Reports the page load (now, or once `load` has finished) and traced resources.
pub fn install() -> TimingGuard {
    let after_load: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
    let mut load = None;
    if !report_navigation() {
        let slot = after_load.clone();
        let done = Rc::new(Cell::new(false));
        load = web_sys::window().and_then(|w| {
            Listener::new(w.unchecked_ref(), "load", false, move |_| {
                if done.replace(true) {
                    return;
                }
                // loadEventEnd is set after the load handlers return.
                if let Ok(mut s) = slot.try_borrow_mut() {
                    *s = Some(Timeout::new(0.0, || {
                        report_navigation();
                    }));
                }
            })
        });
    }
    TimingGuard {
        _load: load,
        _after_load: after_load,
        _observer: observe("timing:resource", None, on_resources),
    }
}
