//! `PerformanceObserver` plumbing as web-vitals' `observe()`: one observer for a set of entry
//! types, each observed with `{type, buffered: true, …}` (web-sys has no `type` in its init,
//! and browsers honour `buffered` only with it); types the browser lacks are dropped; a batch
//! of several types is sorted by `startTime + duration`.
use crate::prelude::*;


use super::bindings::{TypedObserver, SUPPORTED_ENTRY_TYPES};
use super::js::num;
use super::listener::guarded;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A running observer; dropping it disconnects it.
pub struct Observer {
    observer: TypedObserver,
    _callback: Closure<dyn Fn(JsValue)>,
}

/// Whether the browser reports entries of `kind`.
pub fn supported(kind: &str) -> bool {
    SUPPORTED_ENTRY_TYPES.with(|t| {
        t.dyn_ref::<Array>()
            .is_some_and(|a| a.includes(&JsValue::from_str(kind), 0))
    })
}

/// Observes (one plain `fn` for every observer: a single copy of this code in the wasm) the
/// supported ones of `types` (buffered, with `durationThreshold` when given);
/// `None` when none is supported or the browser refuses, as web-vitals (that metric then
/// never reports).
pub fn observe(
    types: &[&str],
    duration_threshold: Option<f64>,
    on_entries: fn(Array),
) -> Option<Observer> {
    let kinds: Vec<&str> = types.iter().copied().filter(|k| supported(k)).collect();
    if kinds.is_empty() {
        return None;
    }
    let sort = kinds.len() > 1;
    let callback = Closure::<dyn Fn(JsValue)>::new(move |list: JsValue| {
        let entries = entries_of(&list);
        if sort {
            sort_by_end(&entries);
        }
        on_entries(entries);
    });
    let observer =
        TypedObserver::new_vitals_observer(&guarded(callback.as_ref().unchecked_ref())).ok()?;
    for kind in kinds {
        let opts = Object::new();
        let _ = Reflect::set(&opts, &"type".into(), &kind.into());
        let _ = Reflect::set(&opts, &"buffered".into(), &JsValue::TRUE);
        if let Some(t) = duration_threshold {
            let _ = Reflect::set(&opts, &"durationThreshold".into(), &t.into());
        }
        observer.observe_with(&opts).ok()?;
    }
    Some(Observer {
        observer,
        _callback: callback,
    })
}

fn entries_of(list: &JsValue) -> Array {
    Reflect::get(list, &"getEntries".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(list).ok())
        .and_then(|v| v.dyn_into::<Array>().ok())
        .unwrap_or_default()
}

fn sort_by_end(entries: &Array) {
    let mut keyed: Vec<(f64, JsValue)> = entries
        .iter()
        .map(|e| (num(&e, "startTime") + num(&e, "duration"), e))
        .collect();
    // Stable, as Array.prototype.sort (insertion: batches are small and nearly sorted).
    for i in 1..keyed.len() {
        let mut j = i;
        while j > 0 && keyed[j - 1].0 > keyed[j].0 {
            keyed.swap(j - 1, j);
            j -= 1;
        }
    }
    for (i, (_, e)) in keyed.into_iter().enumerate() {
        entries.set(i as u32, e);
    }
}

impl Observer {
    /// The entries recorded but not yet handed to the callback (`takeRecords()`, unsorted as
    /// web-vitals uses it).
    pub fn take_records(&self) -> Array {
        self.observer.take_records()
    }
}

impl Observer {
    /// Stops the observer (it stays owned, so this is safe from inside its own callback).
    pub fn disconnect(&self) {
        self.observer.disconnect();
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
