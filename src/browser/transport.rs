//! Getting bodies out of the page: `sendBeacon` (a `text/plain` string, no CORS preflight),
//! else `fetch` with `keepalive`.

use super::bindings::{fetch_with_init, send_beacon};
use super::storage::{self, Store};
use crate::core::queue::OfflineQueue;
use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

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
    if page_hidden() {
        // Refused while the page is being left: the shared in-flight budget is spent, and a
        // keepalive fetch would be refused too. Keep it for the next page view.
        keep_for_later(body);
        return false;
    }
    fetch(url, body, None, None, false)
}

/// Storage key of the offline queue.
const QUEUE_KEY: &str = "wasm_rum_queue";

/// Adds a body to the bounded offline queue in `localStorage`.
pub fn keep_for_later(body: &str) {
    let mut q = OfflineQueue::decode(&storage::get(Store::Local, QUEUE_KEY).unwrap_or_default());
    q.push(body.to_string());
    storage::set(Store::Local, QUEUE_KEY, &q.encode());
}

/// Sends what earlier page views could not (the page is visible now: plain requests).
pub fn send_kept(url: &str) {
    let Some(stored) = storage::get(Store::Local, QUEUE_KEY) else {
        return;
    };
    storage::remove(Store::Local, QUEUE_KEY);
    for body in OfflineQueue::decode(&stored).take() {
        fetch(url, &body, None, None, false);
    }
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
            // A network failure (collector down, offline) keeps the body for the next page
            // view; the rejection never surfaces on the page. The handler lives until the
            // request settles (a few bytes per batch).
            let kept = body.to_string();
            let on_failure = Closure::once(move |_: JsValue| keep_for_later(&kept));
            let _ = p.catch(&on_failure);
            on_failure.forget();
            true
        }
        Err(_) => false,
    }
}
