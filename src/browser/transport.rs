//! Getting bodies out of the page: `sendBeacon` (a `text/plain` string, no CORS preflight), or a
//! `POST` through js/send.js, whose answers come back through one installed function. The
//! decisions (what goes now, what waits, retries) are the outbox's (`core::outbox`); this file
//! only sends, reads answers, and keeps the offline queue in `localStorage`.
use crate::prelude::*;

use super::bindings::{send_answers_to, send_beacon, send_post};
use super::callback::{callback, guarded, Callback};
use super::storage::{self, Store};
use crate::core::outbox::{self, Answer, DropCounts, DEFAULT_RETRY_AFTER_MS};
use wasm_bindgen::{JsCast, JsValue};

/// Whether the page is hidden (being left, or in the background): then requests need
/// `keepalive`, which shares the beacon's 64 KiB in-flight budget.
pub fn page_hidden() -> bool {
    super::lifecycle::is_hidden()
}

/// `navigator.sendBeacon(url, body)`: whether the browser took it (false when missing, or
/// over the page's 64 KiB in-flight budget).
pub fn beacon(url: &str, body: &str) -> bool {
    matches!(send_beacon(url, body), Ok(true))
}

/// One request as the transport sends it.
pub struct Post<'a> {
    /// The id its answer comes back with.
    pub id: u32,
    /// The collector URL.
    pub url: &'a str,
    /// The body.
    pub body: &'a str,
    /// `x-api-key`, when configured.
    pub api_key: Option<&'a str>,
    /// The session id, for the fetch transport: sent as `x-faro-session-id` with an
    /// `application/json` body, as Faro's own transport does (and no other custom header: Alloy's
    /// CORS refuses any other). Without one the body goes as `text/plain`, like a beacon (no
    /// CORS preflight).
    pub session_id: Option<&'a str>,
    /// Whether the request must outlive the page.
    pub keepalive: bool,
}

/// Sends one body; false when it could not start (then no answer will come).
pub fn post(p: &Post) -> bool {
    let content_type = if p.session_id.is_some() {
        "application/json"
    } else {
        "text/plain;charset=UTF-8"
    };
    send_post(
        p.id,
        p.url,
        p.body,
        content_type,
        p.api_key,
        p.session_id,
        p.keepalive,
    )
}

/// The installed receiver of every answer: one closure for the agent's life, freed (and
/// unhooked) when dropped, so no request leaves anything behind.
#[must_use]
pub struct Answers {
    _callback: Callback,
}

impl Answers {
    /// Hands each answer, read into an [`Answer`], to `f(id, answer)`.
    pub fn install(f: impl Fn(u32, Answer) + 'static) -> Answers {
        // js/send.js hands each answer as `[id, status, retryAfter, sessionStatus]`.
        let callback = callback(move |answer: JsValue| {
            let a: &js_sys::Array = answer.unchecked_ref();
            let id = a.get(0).as_f64().unwrap_or(0.0) as u32;
            let status = a.get(1).as_f64().unwrap_or(0.0);
            f(
                id,
                read_answer(
                    status,
                    super::bindings::string(&a.get(2)),
                    super::bindings::string(&a.get(3)),
                ),
            )
        });
        let _ = send_answers_to(&guarded(callback.as_ref().unchecked_ref()));
        Answers {
            _callback: callback,
        }
    }
}

impl Drop for Answers {
    fn drop(&mut self) {
        let _ = send_answers_to(&JsValue::UNDEFINED);
    }
}

/// What a status and two headers mean: 0 is a network failure; 429 waits `Retry-After` whole
/// seconds (an HTTP date, rarer, waits the default; no float parsing in the wasm);
/// `X-Faro-Session-Status: invalid` asks for a new session.
fn read_answer(status: f64, retry_after: Option<String>, session_status: Option<String>) -> Answer {
    if status == 0.0 {
        return Answer::Failed;
    }
    if status == 429.0 {
        let ms = retry_after
            .and_then(|v| crate::core::wire::json::parse_u64(v.trim_ascii()))
            .filter(|s| *s <= u64::from(u32::MAX))
            .map_or(DEFAULT_RETRY_AFTER_MS, |s| s as f64 * 1000.0);
        return Answer::RetryAfter(ms);
    }
    if session_status.as_deref() == Some("invalid") {
        return Answer::SessionInvalid;
    }
    Answer::Accepted
}

/// Storage key of the offline queue.
const QUEUE_KEY: &str = "wasm_rum_queue";
/// Storage key of the drop counts not yet reported.
const DROPS_KEY: &str = "wasm_rum_dropped";

/// Adds a body to the bounded offline queue in `localStorage`; returns how many older bodies
/// it let go.
pub fn keep_for_later(body: String) -> u64 {
    let stored = storage::get(Store::Local, QUEUE_KEY).unwrap_or_default();
    let (stored, dropped) = outbox::keep(&stored, body);
    storage::set(Store::Local, QUEUE_KEY, &stored);
    dropped
}

/// Every body of the offline queue, oldest first. They stay stored until each has arrived.
pub fn kept() -> Vec<String> {
    storage::get(Store::Local, QUEUE_KEY)
        .map(|s| outbox::OfflineQueue::decode(&s).take())
        .unwrap_or_default()
}

/// Removes a body of the offline queue that has arrived.
pub fn delivered(body: &str) {
    let Some(stored) = storage::get(Store::Local, QUEUE_KEY) else {
        return;
    };
    match outbox::remove(&stored, body) {
        Some(rest) if rest.is_empty() => storage::remove(Store::Local, QUEUE_KEY),
        Some(rest) => {
            storage::set(Store::Local, QUEUE_KEY, &rest);
        }
        None => {}
    }
}

/// Takes the drop counts an earlier page view stored.
pub fn take_stored_drops() -> DropCounts {
    let stored = storage::get(Store::Local, DROPS_KEY);
    storage::remove(Store::Local, DROPS_KEY);
    stored.map_or_else(DropCounts::default, |s| DropCounts::decode(&s))
}

/// Stores the drop counts not yet reported (none: removes them).
pub fn store_drops(drops: &DropCounts) {
    if drops.is_empty() {
        storage::remove(Store::Local, DROPS_KEY);
    } else {
        storage::set(Store::Local, DROPS_KEY, &drops.encode());
    }
}
