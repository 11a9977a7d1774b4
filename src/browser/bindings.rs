//! The JS declarations web-sys lacks or that we bind more cheaply ourselves, and the few field
//! reads through `Reflect` that stand in for a binding each. One place for all of them.

use crate::prelude::*;
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

    /// The config lists that hold at least one RegExp, comma-separated (read once: a list
    /// without RegExps is never tested across the boundary).
    #[wasm_bindgen(method, getter, js_name = regExps)]
    pub fn reg_exps(this: &Host) -> Option<String>;

    /// `navigator.sendBeacon(url, string)`; a string body goes as `text/plain;charset=UTF-8`.
    #[wasm_bindgen(js_namespace = navigator, js_name = sendBeacon, catch)]
    pub fn send_beacon(url: &str, body: &str) -> Result<bool, JsValue>;

    /// `Date.now()`
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub fn date_now() -> f64;

    /// `String(n)`: a number as JavaScript writes it (what `JSON.stringify` writes).
    #[wasm_bindgen(js_name = String)]
    fn number_text(n: f64) -> String;

    /// `performance.now()`
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;

    /// `console.warn(message)`, used only for the agent's own, once-only notices.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn console_warn(message: &str);

    /// `console.debug(line)`, only with `config.debug` (the lines of `core::debug`).
    #[wasm_bindgen(js_namespace = console, js_name = debug)]
    pub fn console_debug(line: &str);

    /// `setTimeout(cb, ms)`
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(cb: &js_sys::Function, ms: f64) -> JsValue;

    /// `globalThis` as a class, for the getter below.
    type Global;

    /// The page's `window` (the agent runs in a window only: the entry module checks), read by
    /// a plain getter instead of through `js_sys::global()`'s four probes and an `instanceof
    /// Window`, or a `thread_local_v2` static (its lazy cell and poisoned-cell panic, issue 14).
    #[wasm_bindgen(static_method_of = Global, js_class = globalThis, getter = window)]
    fn window_get() -> web_sys::Window;

    /// `clearTimeout(id)`
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
}

impl Host {
    /// Whether the config list `list` holds RegExps (tested by [`Host::test`]).
    pub fn has_reg_exps(&self, list: &str) -> bool {
        self.reg_exps()
            .is_some_and(|lists| crate::core::text::split(&lists, b',').any(|l| l == list))
    }
}

// --- transport ---

#[wasm_bindgen(module = "/js/send.js")]
extern "C" {
    /// `post(id, url, body, contentType, apiKey, sessionId, keepalive)` through the page's
    /// original `fetch` (js/send.js); false when it could not start.
    #[wasm_bindgen(js_name = post)]
    pub fn send_post(
        id: u32,
        url: &str,
        body: &str,
        content_type: &str,
        api_key: Option<&str>,
        session_id: Option<&str>,
        keepalive: bool,
    ) -> bool;

    /// Sets the one function every answer goes to (`undefined`: none). `catch` also keeps the
    /// import behind the glue (the build's boundary renaming expects every import there).
    #[wasm_bindgen(js_name = onAnswer, catch)]
    pub fn send_answers_to(f: &JsValue) -> Result<(), JsValue>;

    /// `store(local, key, op, value)` (js/send.js): in `localStorage` (else `sessionStorage`),
    /// op 0 reads `key` (a string or `undefined`), 1 writes `value` (whether it held), 2 removes it.
    #[wasm_bindgen(js_name = store)]
    pub fn web_store(local: bool, key: &str, op: u32, value: &str) -> JsValue;
}

// --- tracing ---

#[wasm_bindgen(module = "/js/patch.js")]
extern "C" {
    /// Wraps `fetch` and `XMLHttpRequest` once (js/patch.js); false when already wrapped.
    #[wasm_bindgen(js_name = install, catch)]
    pub fn http_patch_install(
        begin: &js_sys::Function,
        end: &js_sys::Function,
    ) -> Result<bool, JsValue>;

    /// Restores the originals, or leaves a pass-through where another wrapper came after ours.
    #[wasm_bindgen(js_name = uninstall, catch)]
    pub fn http_patch_uninstall() -> Result<(), JsValue>;
}

// --- web vitals ---

#[wasm_bindgen(module = "/js/entries.js")]
extern "C" {
    /// A `PerformanceObserver` made by js/entries.js.
    pub type EntryObserver;

    /// `errorFields(v)`: `[name, message, stack]` of an `Error` (or of an object with string
    /// `name` and `message`, as one from another realm); `undefined` for anything else.
    /// (`catch` gives it a glue shim: an import straight from a snippet would escape the build's
    /// renaming of the boundary, scripts/build.mjs.)
    #[wasm_bindgen(js_name = errorFields, catch)]
    pub fn error_fields(v: &JsValue) -> Result<JsValue, JsValue>;

    /// `str(v)`: `v` when it is a string. What `JsValue::as_string` does, through a `String`
    /// return instead of wasm-bindgen's `string_get`, whose boxed slice links the allocator's
    /// shrink path (issue 14).
    #[wasm_bindgen(js_name = str)]
    pub fn string(v: &JsValue) -> Option<String>;

    /// `readable(v)`: any value as text a person can read (see `errors::readable`).
    #[wasm_bindgen(js_name = readable, catch)]
    pub fn readable(v: &JsValue) -> Result<String, JsValue>;

    /// `errorEvent(ev)`: `[error, filename, lineno, colno, message]` of an `ErrorEvent`;
    /// `undefined` for another event.
    #[wasm_bindgen(js_name = errorEvent, catch)]
    pub fn error_event(ev: &web_sys::Event) -> Result<JsValue, JsValue>;

    /// `pageFacts()`: `[location.href, navigator.userAgent, navigator.language, innerWidth,
    /// innerHeight]`.
    #[wasm_bindgen(js_name = pageFacts, catch)]
    pub fn page_facts() -> Result<JsValue, JsValue>;

    /// `observe(types, threshold, f)`: `f(nums, strings)` per batch; `undefined` when none of
    /// the comma-separated `types` is supported or the browser refused.
    #[wasm_bindgen(js_name = observe)]
    pub fn entries_observe(
        types: &str,
        threshold: f64,
        f: &js_sys::Function,
    ) -> Option<EntryObserver>;

    /// `observer.disconnect()`
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &EntryObserver);

    /// `keep(type, n)`: an observer of `type` that keeps its `n` latest entries in JS (read by
    /// `take`); `None` when the browser refuses.
    #[wasm_bindgen(js_name = keep)]
    pub fn entries_keep(kind: &str, n: f64) -> Option<EntryObserver>;

    /// `take(observer)`: `[nums, strings]` of what `takeRecords()` gives (of a `keep` observer:
    /// what it kept).
    #[wasm_bindgen(js_name = take, catch)]
    pub fn entries_take(o: &EntryObserver) -> Result<js_sys::Array, JsValue>;

    /// `entries(type)`: `[nums, strings]` of `performance.getEntriesByType(type)`.
    #[wasm_bindgen(js_name = entries)]
    pub fn entries_read(kind: &str) -> js_sys::Array;

    /// `once(type, cb)`: `cb` on the next `type` event at the window (capture, once).
    #[wasm_bindgen(js_name = once)]
    pub fn listen_once(kind: &str, cb: &js_sys::Function);

    /// `idle(cb)`: `cb` when idle, at most 1 s away (a 0 ms timeout without requestIdleCallback).
    /// (`catch`: an import straight from a snippet would escape the build's boundary renaming.)
    #[wasm_bindgen(js_name = idle, catch)]
    pub fn when_idle(cb: &js_sys::Function) -> Result<(), JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// `requestAnimationFrame(cb)`
    #[wasm_bindgen(js_name = requestAnimationFrame)]
    pub fn request_animation_frame(cb: &js_sys::Function) -> JsValue;
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

/// Appends `n` as JavaScript writes it: the agent's writer of fractional numbers
/// (`core::wire::json::set_float_writer`), so our JSON has the digits Faro's `JSON.stringify` has.
pub fn write_number(out: &mut String, n: f64) {
    out.push_str(&number_text(n));
}

/// The page's `window`.
pub fn window() -> web_sys::Window {
    Global::window_get()
}

// --- fields of JS objects (performance entries, events) read without typed bindings ---

/// `o[key]`, `undefined` when it cannot be read.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    if !o.is_object() && !o.is_function() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A finite number field, 0 otherwise.
pub fn num(o: &JsValue, key: &str) -> f64 {
    get(o, key)
        .as_f64()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// A string field, empty otherwise.
pub fn text(o: &JsValue, key: &str) -> String {
    string(&get(o, key)).unwrap_or_default()
}

/// A boolean field, false otherwise.
pub fn flag(o: &JsValue, key: &str) -> bool {
    get(o, key).as_bool().unwrap_or(false)
}

/// `o[name](arg)`, `undefined` when it is not a function or throws.
pub fn call1(o: &JsValue, name: &str, arg: &JsValue) -> JsValue {
    use wasm_bindgen::JsCast;
    get(o, name)
        .dyn_into::<js_sys::Function>()
        .ok()
        .and_then(|f| f.call1(o, arg).ok())
        .unwrap_or(JsValue::UNDEFINED)
}
