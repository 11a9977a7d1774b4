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

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The page's global `eval` (js-sys keeps its own behind a feature).
    #[wasm_bindgen(js_name = eval)]
    fn js_eval(src: &str) -> wasm_bindgen::JsValue;
}

#[wasm_bindgen_test]
fn any_value_reads_as_text_a_person_can_read() {
    let value = |src: &str| js_eval(&format!("(() => {{ {src} }})()"));
    let read = |src: &str| wasm_rum::browser::errors::readable(&value(src));
    assert_eq!(read("return 'as is'"), "as is");
    assert_eq!(read("return undefined"), "undefined");
    assert_eq!(read("return null"), "null");
    assert_eq!(read("return false"), "false");
    assert_eq!(read("return 1.5"), "1.5");
    assert_eq!(read("return NaN"), "NaN");
    assert_eq!(
        read("return new TypeError('x is undefined')"),
        "TypeError: x is undefined"
    );
    assert_eq!(read("return {a: [1, 'b']}"), r#"{"a":[1,"b"]}"#);
    assert_eq!(read("return () => 1"), "[function]");
    assert_eq!(read("return 10n"), "[bigint]");
    assert_eq!(read("const o = {}; o.o = o; return o"), "[object]");
    assert_eq!(
        read("return {toJSON() { throw new Error('no') }}"),
        "[object]"
    );
}
