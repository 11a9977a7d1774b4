//! The page lifecycle as web-vitals follows it: visibility (and the first time the page was
//! hidden), prerender activation, back/forward-cache restores, idle-or-hidden scheduling and
//! the double `requestAnimationFrame`.
use crate::prelude::*;

use super::bindings::{flag, get, text};
use super::bindings::{listen_once, request_animation_frame, when_idle};
use super::callback::once_js;
use crate::core::vitals::entries::Flat;
use alloc::rc::Rc;
use core::cell::RefCell;
use wasm_bindgen::JsValue;

/// `window.document` (its fields read through Reflect: no binding of its own for it, its
/// `readyState`, or the event fields below, issue 14).
pub fn document() -> Option<JsValue> {
    let d = get(crate::browser::bindings::window().as_ref(), "document");
    d.is_object().then_some(d)
}

/// `document.readyState`.
pub fn ready_state(d: &JsValue) -> String {
    text(d, "readyState")
}

/// `document.visibilityState === 'hidden'` (read as a string: web-sys's enum conversion
/// carries a panic message).
pub fn is_hidden() -> bool {
    document().is_some_and(|d| text(&d, "visibilityState") == "hidden")
}

/// `document.prerendering`.
pub fn prerendering() -> bool {
    document().is_some_and(|d| flag(&d, "prerendering"))
}

/// `document.wasDiscarded`.
pub fn was_discarded() -> bool {
    document().is_some_and(|d| flag(&d, "wasDiscarded"))
}

/// `document.readyState === 'loading'`.
pub fn loading() -> bool {
    document().is_some_and(|d| ready_state(&d) == "loading")
}

/// web-vitals' initial `firstHiddenTime`: the first `visibility-state` entry named `hidden`
/// after activation; otherwise 0 when the page is hidden now (and not prerendering), else +∞.
pub fn initial_first_hidden(activation_start: f64) -> f64 {
    let mut first = None;
    if !prerendering() {
        let (nums, strs) = super::entries::entries("visibility-state");
        let mut batch = Flat::new(&nums, &strs);
        while first.is_none() && !batch.is_empty() {
            let (t, name) = batch.visibility();
            if name == "hidden" && t >= activation_start {
                first = Some(t);
            }
        }
    }
    first.unwrap_or_else(hidden_since_load)
}

/// 0 when hidden (and not prerendering), +∞ otherwise: the first hidden time after a restore.
pub fn hidden_since_load() -> f64 {
    if is_hidden() && !prerendering() {
        0.0
    } else {
        f64::INFINITY
    }
}

fn shared(f: Box<dyn FnOnce()>) -> impl Fn() + Clone {
    let slot = Rc::new(RefCell::new(Some(f)));
    move || {
        let f = slot.try_borrow_mut().ok().and_then(|mut s| s.take());
        if let Some(f) = f {
            f();
        }
    }
}

/// web-vitals' `whenActivated`: `f` now, or on `prerenderingchange` for a prerendered page.
pub fn when_activated(f: fn()) {
    if !prerendering() {
        f();
        return;
    }
    once("prerenderingchange", f);
}

/// Runs `f` on the next `kind` event at the window (capture, once). The page keeps this
/// one-shot listener until the event; it frees itself when it runs.
pub fn once(kind: &str, f: fn()) {
    listen_once(kind, &once_js(Box::new(f)));
}

/// web-vitals' `whenIdleOrHidden`: at once when hidden; otherwise in an idle callback (at most
/// 1 s away; a 0 ms timeout where `requestIdleCallback` is missing) or on the next
/// `visibilitychange`, whichever comes first.
pub fn when_idle_or_hidden(f: Box<dyn FnOnce()>) {
    if is_hidden() {
        f();
        return;
    }
    // Whichever comes first runs `f`; the other finds nothing left to run. The idle callback
    // always comes (and frees itself); the hidden listener is removed then, and its small
    // one-shot closure is left to the page.
    let run = shared(f);
    let run_idle = run.clone();
    let on_hide = once_js(Box::new(run));
    let idle = {
        let on_hide = on_hide.clone();
        once_js(Box::new(move || {
            // Through the listener's own binding (web-sys), not one more import of our own.
            let window: web_sys::Window = super::bindings::window();
            let _ = window.remove_event_listener_with_callback_and_bool(
                "visibilitychange",
                &on_hide,
                true,
            );
            run_idle();
        }))
    };
    listen_once("visibilitychange", &on_hide);
    let _ = when_idle(&idle);
}

/// Runs `f` after two animation frames (web-vitals' `doubleRAF`): the first paint after a restore.
pub fn after_double_raf(f: Box<dyn FnOnce()>) {
    let inner = once_js(Box::new(move || {
        request_animation_frame(&once_js(f));
    }));
    request_animation_frame(&inner);
}
