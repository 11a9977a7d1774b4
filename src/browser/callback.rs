//! Listeners and timers as values: dropping one removes it from the page (after gloo's
//! `EventListener` and `Timeout`), so `shutdown()` is just dropping the agent.

use crate::browser::Local;
use crate::prelude::*;

use super::bindings::{clear_timeout, set_timeout, Host};
use core::cell::RefCell;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// The entry module's host, whose `guard` wraps every callback we hand the browser.
static GUARD: Local<RefCell<Option<Host>>> = Local(RefCell::new(None));

/// Sets (or clears) the host whose `guard` wraps listeners and timers created from now on.
pub fn set_guard(host: Option<Host>) {
    GUARD.with(|g| {
        if let Ok(mut g) = g.try_borrow_mut() {
            *g = host;
        }
    });
}

/// `f` as the browser will call it: through the host's guard, so a trap or a throw inside the
/// agent stops the agent instead of reaching the page (`f` itself when there is no host).
pub fn guarded(f: &Function) -> Function {
    GUARD
        .with(|g| {
            let g = g.try_borrow().ok()?;
            g.as_ref()?.guard(f).ok()
        })
        .unwrap_or_else(|| f.clone())
}

/// The one signature of every long-lived callback the agent hands JS: listeners, timers, observers,
/// the console, fetch ends and transport answers all take one value (several arguments come as
/// one array). Each distinct `dyn Fn` signature costs its own wasm-bindgen shims in the wasm and
/// adapters in the glue (~0.3 KB raw, issue 14); only `begin` of js/patch.js, which answers,
/// has another.
pub type Callback = Closure<dyn Fn(JsValue)>;

/// `f` as a [`Callback`].
pub fn callback(f: impl Fn(JsValue) + 'static) -> Callback {
    Closure::<dyn Fn(JsValue)>::new(f)
}

/// An event listener that is removed when dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    js: Function,
    _callback: Callback,
}

impl Listener {
    /// Adds `f` for `kind` on `target`; `None` if the page refused (the agent then goes on without it).
    /// `Fn`, not `FnMut`: a listener may be re-entered (an event dispatched from inside another).
    /// A plain `fn`: one closure type for every listener (each closure type costs ~160 B of wasm).
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        f: fn(Event),
    ) -> Option<Listener> {
        let callback = callback(move |ev: JsValue| f(ev.unchecked_into()));
        let js = guarded(callback.as_ref().unchecked_ref());
        target
            .add_event_listener_with_callback_and_bool(kind, &js, capture)
            .ok()?;
        Some(Listener {
            target: target.clone(),
            kind,
            capture,
            js,
            _callback: callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            &self.js,
            self.capture,
        );
    }
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timeout {
    id: JsValue,
    _callback: Callback,
}

impl Timeout {
    /// Runs `f` once after `ms` milliseconds unless dropped first. A plain `fn`, as for
    /// [`Listener::new`]: one closure type for every timer.
    pub fn new(ms: f64, f: fn()) -> Timeout {
        let callback = callback(move |_| f());
        let id = set_timeout(&guarded(callback.as_ref().unchecked_ref()), ms);
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

/// `f` as a guarded one-shot JS function (arguments ignored): `f` runs at most once and is freed
/// when it has run; the small closure around it is the JS function's, freed with it. Every one-shot
/// callback of the agent goes through this one boxed type and the one [`Callback`] signature
/// (`Closure::once_into_js` brought a mutable-closure adapter and shim of its own, issue 14).
pub fn once_js(f: Box<dyn FnOnce()>) -> Function {
    let f = RefCell::new(Some(f));
    let run = callback(move |_| {
        let f = f.try_borrow_mut().ok().and_then(|mut f| f.take());
        if let Some(f) = f {
            f();
        }
    });
    guarded(run.into_js_value().unchecked_ref())
}

/// Runs `f` once after `ms` milliseconds, through the guard; the closure frees itself when it
/// has run. For one-shot work that is never cancelled. A plain `fn`, as [`Timeout::new`]: one
/// boxed type for every call (each closure type would bring its own vtable and shim).
pub fn defer(ms: f64, f: fn()) {
    set_timeout(&once_js(Box::new(f)), ms);
}
