//! `sessionStorage`/`localStorage`, where a full or denied store is a `None`, never an error.

use crate::prelude::*;

/// Which store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// Per tab.
    Session,
    /// Per origin.
    Local,
}

fn storage(store: Store) -> Option<web_sys::Storage> {
    let w = crate::browser::bindings::window();
    match store {
        Store::Session => w.session_storage().ok().flatten(),
        Store::Local => w.local_storage().ok().flatten(),
    }
}

/// Reads a key.
pub fn get(store: Store, key: &str) -> Option<String> {
    storage(store)?.get_item(key).ok().flatten()
}

/// Writes a key; false when the store is full, denied or missing.
pub fn set(store: Store, key: &str, value: &str) -> bool {
    storage(store).is_some_and(|s| s.set_item(key, value).is_ok())
}

/// Removes a key.
pub fn remove(store: Store, key: &str) {
    if let Some(s) = storage(store) {
        let _ = s.remove_item(key);
    }
}
