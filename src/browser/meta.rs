//! Reads the page facts `meta` carries.

use crate::prelude::*;

use crate::core::wire::Browser;

/// `location.href`, `""` if unavailable.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// The browser facts: name, version and OS parsed from the user agent, language, viewport.
pub fn browser() -> Option<Browser> {
    let w = web_sys::window()?;
    let nav = w.navigator();
    let ua = nav.user_agent().unwrap_or_default();
    let num = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32
    };
    let parsed = crate::core::ua::parse(&ua);
    Some(Browser {
        name: parsed.name,
        version: parsed.version,
        os: parsed.os,
        mobile: parsed.mobile,
        user_agent: ua,
        language: nav.language().unwrap_or_default(),
        viewport_width: num(w.inner_width()),
        viewport_height: num(w.inner_height()),
    })
}
