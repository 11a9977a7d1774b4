//! `PerformanceObserver`s as web-vitals' `observe()` sets them up, through js/entries.js: each
//! batch reaches Rust in one call, as flat numbers and one string (core::vitals::entries reads them).

use crate::prelude::*;

use super::bindings::{entries_keep, entries_observe, entries_take, EntryObserver};
use super::callback::{callback, guarded, Callback};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A running observer; dropping it disconnects it.
pub struct Observer {
    observer: EntryObserver,
    _callback: Option<Callback>,
}

/// Observes the supported ones of `types` (comma-separated; buffered, with `durationThreshold`
/// when given); `None` when none is supported or the browser refuses, as web-vitals (that
/// metric then never reports). One plain `fn` per use: a single copy of the closure code.
pub fn observe(
    types: &str,
    duration_threshold: Option<f64>,
    on_entries: fn(&[f64], &str),
) -> Option<Observer> {
    // js/entries.js hands each batch as one `[Float64Array, string]`.
    let callback = callback(move |batch: JsValue| {
        let (nums, strs) = split(batch.unchecked_ref());
        on_entries(&nums, &strs)
    });
    let observer = entries_observe(
        types,
        duration_threshold.unwrap_or(-1.0),
        &guarded(callback.as_ref().unchecked_ref()),
    )?;
    Some(Observer {
        observer,
        _callback: Some(callback),
    })
}

/// Observes `kind` (buffered), keeping its `n` latest entries in JS: [`Observer::records`] reads
/// them. Nothing crosses into the wasm per entry.
pub fn keep(kind: &str, n: u32) -> Option<Observer> {
    let observer = entries_keep(kind, n as f64)?;
    Some(Observer {
        observer,
        _callback: None,
    })
}

impl Observer {
    /// Hands the entries recorded but not yet delivered (`takeRecords()`) to `f`.
    pub fn take_records(&self, f: fn(&[f64], &str)) {
        if let Ok(batch) = entries_take(&self.observer) {
            let (nums, strs) = split(&batch);
            f(&nums, &strs);
        }
    }

    /// The entries recorded but not yet delivered, flat (of a [`keep`] observer: those it kept);
    /// empty when the read failed.
    pub fn records(&self) -> (Vec<f64>, String) {
        entries_take(&self.observer)
            .map(|batch| split(&batch))
            .unwrap_or_default()
    }

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

/// A `[Float64Array, string]` pair from js/entries.js.
pub fn split(batch: &js_sys::Array) -> (Vec<f64>, String) {
    // js/entries.js always makes the first a Float64Array: no `instanceof` import to check it,
    // and its length read through Array's `length` binding (the same `.length`), not one more.
    let first = batch.get(0);
    let mut nums = Vec::new();
    if first.is_object() {
        let a: &js_sys::Float64Array = first.unchecked_ref();
        let len = first.unchecked_ref::<js_sys::Array>().length();
        // Float64Array::to_vec asserts the length it read twice (an assert_eq! links the
        // core::fmt Debug machinery, issue 14): copy through a view of our own memory instead.
        nums = alloc::vec![0.0; len as usize];
        // SAFETY: the view covers `nums` exactly and is used at once: nothing allocates (and so
        // nothing can grow the memory and detach the view) before `set` has filled it.
        unsafe {
            js_sys::Float64Array::view_mut_raw(nums.as_mut_ptr(), nums.len()).set(a, 0);
        }
    }
    (
        nums,
        super::bindings::string(&batch.get(1)).unwrap_or_default(),
    )
}

/// `performance.getEntriesByType(kind)`, flat (empty when the read failed).
pub fn entries(kind: &str) -> (Vec<f64>, String) {
    split(&super::bindings::entries_read(kind))
}
