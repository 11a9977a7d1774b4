//! Browser tests of the thin edge, run by `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_rum::browser::callback::Listener;
use wasm_rum::browser::storage::{self, Store};

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static HITS: Cell<u32> = const { Cell::new(0) };
}

#[wasm_bindgen_test]
fn a_dropped_listener_no_longer_fires() {
    let window = web_sys::window().unwrap();
    let target: &web_sys::EventTarget = window.unchecked_ref();
    let listener = Listener::new(target, "wasm-rum-test", false, |_| {
        HITS.with(|h| h.set(h.get() + 1))
    })
    .unwrap();
    let ev = web_sys::Event::new("wasm-rum-test").unwrap();
    target.dispatch_event(&ev).unwrap();
    assert_eq!(HITS.with(Cell::get), 1);
    drop(listener);
    target.dispatch_event(&ev).unwrap();
    assert_eq!(
        HITS.with(Cell::get),
        1,
        "the listener was removed when dropped"
    );
}

#[wasm_bindgen_test]
fn session_storage_round_trips_and_misses_are_none() {
    assert!(storage::set(Store::Session, "wasm_rum_test", "v1"));
    assert_eq!(
        storage::get(Store::Session, "wasm_rum_test").as_deref(),
        Some("v1")
    );
    storage::remove(Store::Session, "wasm_rum_test");
    assert_eq!(storage::get(Store::Session, "wasm_rum_test"), None);
}

#[wasm_bindgen_test]
fn random_ids_come_from_the_browser_crypto() {
    let a = wasm_rum::core::rand::alnum_id(20);
    let b = wasm_rum::core::rand::alnum_id(20);
    assert_eq!(a.len(), 20);
    assert_ne!(a, b);
}
