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

/// Whether the page is hidden (being left, or in the background): only then do requests need
/// `keepalive`, which shares the beacon's 64 KiB in-flight budget.
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// Sends one body with `sendBeacon`. When the beacon is refused (missing, or over the page's
/// 64 KiB in-flight budget), the same `text/plain` body goes by `fetch`: with `keepalive` when
/// the page is being left, as a plain request (no budget) while it is visible.
pub fn beacon(url: &str, body: &str) -> bool {
    if matches!(send_beacon(url, body), Ok(true)) {
        return true;
    }
    fetch(url, body, None, None, page_hidden())
}

/// Sends one body with `fetch`. With a session id (the fetch transport) it goes as Faro's own
/// transport sends it: `application/json`, `x-faro-session-id`, and `x-api-key` when given, and no
/// other custom header (Alloy's CORS refuses any other). Without one, as `text/plain` like a
/// beacon (no CORS preflight).
pub fn fetch(
    url: &str,
    body: &str,
    api_key: Option<&str>,
    session_id: Option<&str>,
    keepalive: bool,
) -> bool {
    let json = session_id.is_some();
    let init = Object::new();
    set(&init, "method", &JsValue::from_str("POST"));
    set(&init, "body", &JsValue::from_str(body));
    set(&init, "keepalive", &JsValue::from_bool(keepalive));
    set(&init, "credentials", &JsValue::from_str("omit"));
    let headers = Object::new();
    let content_type = if json {
        "application/json"
    } else {
        "text/plain;charset=UTF-8"
    };
    set(&headers, "content-type", &JsValue::from_str(content_type));
    if let Some(k) = api_key {
        set(&headers, "x-api-key", &JsValue::from_str(k));
    }
    if let Some(id) = session_id {
        set(&headers, "x-faro-session-id", &JsValue::from_str(id));
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
