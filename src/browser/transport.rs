//! Getting bodies out of the page: `sendBeacon` (a `text/plain` string, no CORS preflight),
//! else `fetch` with `keepalive`.

use super::bindings::{date_now, fetch_with_init, send_beacon};
use super::js::{call1, get, num};
use super::listener::defer;
use super::storage::{self, Store};
use crate::core::queue::OfflineQueue;
use js_sys::{Object, Reflect};
use std::cell::Cell;
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

/// Sends what could not leave before (the page is visible now: plain requests). `api_key` and
/// `session_id` are the fetch transport's headers (`None` for beacons).
pub fn send_kept(url: &str, api_key: Option<&str>, session_id: Option<&str>) {
    let Some(stored) = storage::get(Store::Local, QUEUE_KEY) else {
        return;
    };
    storage::remove(Store::Local, QUEUE_KEY);
    for body in OfflineQueue::decode(&stored).take() {
        fetch(url, &body, api_key, session_id, false);
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
    let p = match fetch_with_init(url, &init) {
        Ok(p) => p,
        Err(_) => return false,
    };
    // The answer: a 429 starts a back-off (Retry-After, else 5 s) and the body waits for the
    // retry; `X-Faro-Session-Status: invalid` starts a new session. A network failure (collector
    // down, offline) keeps the body and retries with a growing delay; it is also there for the
    // next page view. Nothing surfaces on the page. One handler of the two runs; the other
    // stays allocated (a few bytes per batch).
    let kept = body.to_string();
    let on_answer = Closure::once(move |resp: JsValue| {
        let status = num(&resp, "status");
        let headers = get(&resp, "headers");
        if status == 429.0 {
            let retry_after = call1(&headers, "get", &JsValue::from_str("retry-after")).as_string();
            // Whole seconds (an HTTP date, rarer, falls back to 5 s); no float parsing in the wasm.
            let seconds = retry_after
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map_or(5.0, f64::from);
            BACKOFF_UNTIL.with(|b| b.set(date_now() + seconds * 1000.0));
            keep_for_later(&kept);
            schedule_retry(seconds * 1000.0);
            return;
        }
        RETRY_DELAY.with(|d| d.set(FIRST_RETRY_MS));
        if call1(&headers, "get", &JsValue::from_str("x-faro-session-status"))
            .as_string()
            .as_deref()
            == Some("invalid")
        {
            crate::agent::with(|a| a.renew_session());
        }
    });
    let kept = body.to_string();
    let on_failure = Closure::once(move |_: JsValue| {
        keep_for_later(&kept);
        let delay = RETRY_DELAY.with(|d| {
            let v = d.get();
            d.set((v * 2.0).min(60_000.0));
            v
        });
        schedule_retry(delay);
    });
    let _ = p.then2(&on_answer, &on_failure);
    on_answer.forget();
    on_failure.forget();
    true
}

const FIRST_RETRY_MS: f64 = 2_000.0;

thread_local! {
    /// No request before this time (epoch ms): the collector said 429.
    static BACKOFF_UNTIL: Cell<f64> = const { Cell::new(0.0) };
    /// The delay before the next retry after a network failure; doubles up to a minute.
    static RETRY_DELAY: Cell<f64> = const { Cell::new(FIRST_RETRY_MS) };
    static RETRY_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the collector asked us to wait (429).
pub fn backing_off() -> bool {
    BACKOFF_UNTIL.with(|b| date_now() < b.get())
}

/// Sends the kept bodies again after `ms` (once, however many failures asked for it).
fn schedule_retry(ms: f64) {
    if RETRY_PENDING.with(|p| p.replace(true)) {
        return;
    }
    defer(ms, || {
        RETRY_PENDING.with(|p| p.set(false));
        crate::agent::resend_kept();
    });
}
