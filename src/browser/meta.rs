//! Reads the page facts `meta` carries.

use crate::prelude::*;

use crate::core::wire::Browser;
use wasm_bindgen::JsCast;

/// `[location.href, navigator.userAgent, navigator.language, innerWidth, innerHeight]`, read in
/// one crossing (js/entries.js `pageFacts`).
fn facts() -> Option<js_sys::Array> {
    let facts = super::bindings::page_facts().ok()?;
    facts.is_object().then(|| facts.unchecked_into())
}

/// `location.href`, `""` if unavailable.
pub fn page_url() -> String {
    facts()
        .and_then(|f| super::bindings::string(&f.get(0)))
        .unwrap_or_default()
}

/// The browser facts: name, version and OS parsed from the user agent, language, viewport.
pub fn browser() -> Option<Browser> {
    let f = facts()?;
    let text = |i| super::bindings::string(&f.get(i)).unwrap_or_default();
    let num = |i| f.get(i).as_f64().unwrap_or(0.0) as u32;
    let ua = text(1);
    let parsed = crate::core::ua::parse(&ua);
    Some(Browser {
        name: parsed.name,
        version: parsed.version,
        os: parsed.os,
        mobile: parsed.mobile,
        user_agent: ua,
        language: text(2),
        viewport_width: num(3),
        viewport_height: num(4),
    })
}
