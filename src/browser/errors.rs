//! Uncaught errors and unhandled rejections: `window` listeners that turn what the browser
//! gives into a [`RawError`] and hand it to the pure [`Errors`] (folding, rate limit). Every
//! exception the agent sends (`pushError`, `console.error`, early errors) goes through
//! [`report`], so `ignoreErrors` and the limit apply to all of them.
use crate::browser::Local;
use crate::prelude::*;

use super::bindings::{date_now, Host};
use super::callback::{Listener, Timeout};
use crate::config::Config;
use crate::core::errors::{self, Errors, Offer, RawError};
use crate::core::wire::{Frame, Item};
use crate::core::{Feature, SinkRef};
use core::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

/// What the feature holds while installed.
struct State {
    sink: SinkRef,
    errors: Errors,
    ignore: crate::core::List,
    host: Host,
    /// Whether `ignoreErrors` holds RegExps (tested on the JS side).
    regexps: bool,
    /// Held errors go out at the latest this long after they arrive.
    flush_delay: f64,
    flush_timer: Option<Timeout>,
    dropped_timer: Option<Timeout>,
}

static STATE: Local<RefCell<Option<State>>> = Local(RefCell::new(None));

/// Runs `f` on the state unless it is missing or already borrowed.
fn with<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Owns the listeners; dropping it uninstalls the feature.
struct Installed {
    _listeners: Vec<Listener>,
}

impl Feature for Installed {
    /// Before the agent takes the batch: the held error goes out, and when the page is hidden
    /// (it may be leaving) so does the dropped count.
    fn before_flush(&self) {
        let held = with(|s| {
            s.flush_timer = None;
            (s.sink, s.errors.release())
        });
        if let Some((sink, Some(ex))) = held {
            sink.push(Item::Exception(ex));
        }
        if super::lifecycle::is_hidden() {
            report_dropped();
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        STATE.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = None;
            }
        });
    }
}

/// Listens for `error` and `unhandledrejection` on `window`; errors go to `sink`.
pub fn install(config: &Config, host: &Host, sink: SinkRef) -> Option<Box<dyn Feature>> {
    let state = State {
        sink,
        errors: Errors::new(config.errors.max_per_minute),
        ignore: config.ignore_errors.clone(),
        host: host.clone(),
        regexps: host.has_reg_exps("ignoreErrors"),
        flush_delay: config.batching.send_timeout as f64,
        flush_timer: None,
        dropped_timer: None,
    };
    STATE.with(|s| s.try_borrow_mut().ok().map(|mut s| *s = Some(state)))?;
    let mut listeners = Vec::new();
    {
        let w = crate::browser::bindings::window();
        // Bubble phase on window: script errors only (resource load errors do not bubble).
        crate::core::push_some(
            &mut listeners,
            Listener::new(w.unchecked_ref(), "error", false, on_error),
        );
        crate::core::push_some(
            &mut listeners,
            Listener::new(w.unchecked_ref(), "unhandledrejection", false, on_rejection),
        );
    }
    Some(Box::new(Installed {
        _listeners: listeners,
    }))
}

fn on_error(ev: web_sys::Event) {
    // [error, filename, lineno, colno, message] of an ErrorEvent, in one crossing.
    let Some(fields) = super::bindings::error_event(&ev).ok() else {
        return;
    };
    // An array or undefined (js/entries.js): `is_object`, not an `Array.isArray` import.
    if !fields.is_object() {
        return;
    }
    let f: &js_sys::Array = fields.unchecked_ref();
    let text = |i| super::bindings::string(&f.get(i)).unwrap_or_default();
    let num = |i| f.get(i).as_f64().unwrap_or(0.0) as u32;
    let error = f.get(0);
    let mut raw = if error.is_undefined() || error.is_null() {
        // A cross-origin script's error ("Script error.") carries only the event's fields.
        let message = text(4);
        let message = if message.is_empty() {
            "Script error.".into()
        } else {
            message
        };
        raw_error("Error".into(), message, String::new())
    } else {
        describe(&error, "Error")
    };
    raw.fallback = Some(Frame {
        function: String::new(),
        filename: text(1),
        lineno: num(2),
        colno: num(3),
    });
    report(raw);
}

fn on_rejection(ev: web_sys::Event) {
    // A PromiseRejectionEvent has a `reason` (maybe undefined); an `Event` a page dispatched
    // under that name has none and is ignored. Read through Reflect, not two bindings of its own.
    let ev: &JsValue = ev.as_ref();
    if js_sys::Reflect::has(ev, &"reason".into()) != Ok(true) {
        return;
    }
    report(describe(
        &super::bindings::get(ev, "reason"),
        "UnhandledRejection",
    ));
}

/// An `Error` (or one that looks like one, as one from another realm does) as its name (`None`
/// when not a string), message and stack, read in one crossing (js/entries.js `errorFields`).
fn error_fields(v: &JsValue) -> Option<(Option<String>, String, String)> {
    let fields = super::bindings::error_fields(v).ok()?;
    if !fields.is_object() {
        return None;
    }
    let a: &js_sys::Array = fields.unchecked_ref();
    let text = |i| super::bindings::string(&a.get(i));
    Some((
        text(0),
        text(1).unwrap_or_default(),
        text(2).unwrap_or_default(),
    ))
}

/// An `Error` as a raw error (its name, message and stack); `None` for any other value.
pub fn error_of(v: &JsValue) -> Option<RawError> {
    let (name, value, stack) = error_fields(v)?;
    let kind = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Error".into());
    Some(raw_error(kind, value, stack))
}

/// A thrown or rejected value as a raw error: an `Error` gives its name, message and stack;
/// anything else becomes `non_error_kind` with a readable value.
pub fn describe(v: &JsValue, non_error_kind: &str) -> RawError {
    error_of(v).unwrap_or_else(|| raw_error(non_error_kind.into(), readable(v), String::new()))
}

fn raw_error(kind: String, value: String, stack: String) -> RawError {
    RawError {
        kind,
        value,
        stack,
        fallback: None,
        context: Vec::new(),
        timestamp: 0.0,
    }
}

/// Any JS value as text a person can read: strings as they are, `undefined`, `null`, booleans
/// and numbers spelled out, errors as `Name: message`, objects as JSON, anything else as
/// `[typeof]`. Read in one crossing (js/entries.js `readable`), not one per type test.
pub fn readable(v: &JsValue) -> String {
    super::bindings::readable(v).unwrap_or_default()
}

/// Offers an error: ignored, folded into the held one, held, or dropped by the rate limit.
pub fn report(mut raw: RawError) {
    let now = date_now();
    if raw.timestamp <= 0.0 {
        raw.timestamp = now;
    }
    let Some((sink, ignored, host)) = with(|s| {
        let ignored = errors::is_ignored(&raw.value, &s.ignore);
        (
            s.sink,
            ignored,
            (s.regexps && !ignored).then(|| s.host.clone()),
        )
    }) else {
        return;
    };
    // RegExps are tested on the JS side, outside our borrow.
    if ignored || host.is_some_and(|h| h.test("ignoreErrors", &raw.value)) {
        sink.note_drop(crate::core::debug::IGNORE_ERRORS, 1);
        return;
    }
    let mut limited = false;
    let previous = with(|s| {
        let (offer, previous) = s.errors.offer(raw, now);
        limited = offer == Offer::Dropped;
        match offer {
            Offer::Held if s.flush_timer.is_none() => {
                s.flush_timer = Some(Timeout::new(s.flush_delay, flush_when_due));
            }
            Offer::Dropped if s.dropped_timer.is_none() => {
                let wait = (s.errors.window_end() - now).max(0.0);
                s.dropped_timer = Some(Timeout::new(wait, report_dropped_when_due));
            }
            _ => {}
        }
        previous
    })
    .flatten();
    if limited {
        sink.note_drop(crate::core::debug::ERROR_LIMIT, 1);
    }
    if let Some(ex) = previous {
        sink.push(Item::Exception(ex));
    }
}

/// The held error's timer: a flush takes it (`before_flush`).
fn flush_when_due() {
    if let Some(sink) = with(|s| s.sink) {
        sink.flush();
    }
}

/// The minute's dropped count, from its timer.
fn report_dropped_when_due() {
    let event = with(|s| {
        s.dropped_timer = None;
        (s.sink, s.errors.dropped_report(date_now()))
    });
    if let Some((sink, Some(ev))) = event {
        sink.push(Item::Event(ev));
    }
}

/// Reports the dropped count now (an explicit `flush()`, the page being hidden).
pub fn report_dropped() {
    let event = with(|s| (s.sink, s.errors.dropped_report(date_now())));
    if let Some((sink, Some(ev))) = event {
        sink.push(Item::Event(ev));
    }
}
