//! The JS declarations web-sys lacks or that we bind more cheaply ourselves. One place for all of them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// What the package's entry module hands the agent: the JS-only parts of the config
    /// (RegExps, `beforeSend`) as functions.
    #[derive(Clone)]
    pub type Host;

    /// `beforeSend(kind, json)`: the item's JSON string changed, `null` to drop, or throws.
    #[wasm_bindgen(method, catch, js_name = beforeSend)]
    pub fn before_send(this: &Host, kind: &str, json: &str) -> Result<JsValue, JsValue>;

    /// Whether `beforeSend` is configured (saves a crossing per item when it is not).
    #[wasm_bindgen(method, getter, js_name = hasBeforeSend)]
    pub fn has_before_send(this: &Host) -> bool;

    /// Tests `value` against the RegExps of one config list (`ignoreUrls`, `ignoreErrors`,
    /// `propagateTraceHeaderCorsUrls`).
    #[wasm_bindgen(method, js_name = test)]
    pub fn test(this: &Host, list: &str, value: &str) -> bool;

    /// `navigator.sendBeacon(url, string)`; a string body goes as `text/plain;charset=UTF-8`.
    #[wasm_bindgen(js_namespace = navigator, js_name = sendBeacon, catch)]
    pub fn send_beacon(url: &str, body: &str) -> Result<bool, JsValue>;

    /// The page's `fetch` as it is now (used for the fetch transport, with a plain init object).
    #[wasm_bindgen(js_name = fetch, catch)]
    pub fn fetch_with_init(url: &str, init: &JsValue) -> Result<js_sys::Promise, JsValue>;

    /// `Date.now()`
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub fn date_now() -> f64;

    /// `performance.now()`
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;

    /// `console.warn(message)`, used only for the agent's own, once-only notices.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn console_warn(message: &str);

    /// `setTimeout(cb, ms)`
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(cb: &js_sys::Function, ms: f64) -> JsValue;

    /// `clearTimeout(id)`
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
}

// --- errors ---
#[wasm_bindgen]
extern "C" {
    /// `host.guard(f)`: `f` wrapped so that anything it throws (a wasm trap included) marks the
    /// agent dead, warns once and reports once, instead of reaching the page; a dead agent's
    /// callbacks do nothing.
    #[wasm_bindgen(method, catch)]
    pub fn guard(this: &Host, f: &js_sys::Function) -> Result<js_sys::Function, JsValue>;

    /// `host.wrapConsole(level, cb)`: `console[level]` still prints and first calls
    /// `cb(level, argsArray)` (never for the agent's own `wasm-rum:` lines, never re-entered);
    /// returns the function that puts the original back, or `undefined`.
    #[wasm_bindgen(method, catch, js_name = wrapConsole)]
    pub fn wrap_console(
        this: &Host,
        level: &str,
        cb: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;
}
