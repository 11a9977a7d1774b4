//! Getting bodies out of the page: `sendBeacon` (a `text/plain` string, no CORS preflight),
//! else `fetch` with `keepalive`.

use super::bindings::{fetch_with_init, send_beacon};
use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

thread_local! {
    /// One rejection handler shared by every send, kept for the page's lifetime.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

fn set(o: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(k), v);
}

/// Sends one body with `sendBeacon`, falling back to a keepalive `fetch` when the beacon is
/// refused (missing, or over the page's 64 KiB in-flight budget). Returns whether it left.
pub fn beacon(url: &str, body: &str) -> bool {
    if matches!(send_beacon(url, body), Ok(true)) {
        return true;
    }
    fetch(url, body, None, true)
}

/// Sends one body with `fetch` as `application/json`, with `x-api-key` when given.
pub fn fetch(url: &str, body: &str, api_key: Option<&str>, keepalive: bool) -> bool {
    let init = Object::new();
    set(&init, "method", &JsValue::from_str("POST"));
    set(&init, "body", &JsValue::from_str(body));
    set(&init, "keepalive", &JsValue::from_bool(keepalive));
    set(&init, "credentials", &JsValue::from_str("omit"));
    let headers = Object::new();
    set(
        &headers,
        "content-type",
        &JsValue::from_str("application/json"),
    );
    if let Some(k) = api_key {
        set(&headers, "x-api-key", &JsValue::from_str(k));
    }
    set(&init, "headers", &headers);
    match fetch_with_init(url, &init) {
        Ok(p) => {
            // A rejected promise must not surface as an unhandled rejection on the page.
            IGNORE.with(|cb| {
                let _ = p.catch(cb);
            });
            true
        }
        Err(_) => false,
    }
}
