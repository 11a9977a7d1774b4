//! `sessionStorage`/`localStorage` through js/send.js, where a full or denied store is a `None`, never an error.

use crate::prelude::*;

/// Which store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// Per tab.
    Session,
    /// Per origin.
    Local,
}

/// One crossing per use, through js/send.js's `store` (which never throws).
fn store(which: Store, key: &str, op: u32, value: &str) -> wasm_bindgen::JsValue {
    crate::browser::bindings::web_store(which == Store::Local, key, op, value)
}

/// Reads a key.
pub fn get(s: Store, key: &str) -> Option<String> {
    super::bindings::string(&store(s, key, 0, ""))
}

/// Writes a key; false when the store is full, denied or missing.
pub fn set(s: Store, key: &str, value: &str) -> bool {
    store(s, key, 1, value).as_bool() == Some(true)
}

/// Removes a key.
pub fn remove(s: Store, key: &str) {
    store(s, key, 2, "");
}
