//! Listeners and timers as values: dropping one removes it from the page (after gloo's
//! `EventListener` and `Timeout`), so `shutdown()` is just dropping the agent.

use super::bindings::{clear_timeout, set_timeout};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// An event listener that is removed when dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Closure<dyn Fn(Event)>,
}

impl Listener {
    /// Adds `f` for `kind` on `target`; `None` if the page refused (the agent then goes on without it).
    /// `Fn`, not `FnMut`: a listener may be re-entered (an event dispatched from inside another).
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        f: impl Fn(Event) + 'static,
    ) -> Option<Listener> {
        let callback = Closure::<dyn Fn(Event)>::new(f);
        target
            .add_event_listener_with_callback_and_bool(
                kind,
                callback.as_ref().unchecked_ref(),
                capture,
            )
            .ok()?;
        Some(Listener {
            target: target.clone(),
            kind,
            capture,
            callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn Fn()>,
}

impl Timeout {
    /// Runs `f` once after `ms` milliseconds unless dropped first.
    pub fn new(ms: f64, f: impl Fn() + 'static) -> Timeout {
        let callback = Closure::<dyn Fn()>::new(f);
        let id = set_timeout(callback.as_ref().unchecked_ref(), ms);
        Timeout {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// Runs `f` once after `ms` milliseconds; the closure frees itself when it has run. For
/// one-shot work that is never cancelled.
pub fn defer(ms: f64, f: impl FnOnce() + 'static) {
    let cb: JsValue = Closure::once_into_js(f);
    set_timeout(cb.unchecked_ref(), ms);
}
