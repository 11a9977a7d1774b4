//! Reads the page facts `meta` carries.

use crate::core::payload::Browser;

/// `location.href`, `""` if unavailable.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// The browser facts available without parsing (the sessions issue adds name/version/os).
pub fn browser() -> Option<Browser> {
    let w = web_sys::window()?;
    let nav = w.navigator();
    let ua = nav.user_agent().unwrap_or_default();
    let num = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| {
        v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u32
    };
    Some(Browser {
        name: String::new(),
        version: String::new(),
        os: String::new(),
        mobile: ua.contains("Mobi"),
        user_agent: ua,
        language: nav.language().unwrap_or_default(),
        viewport_width: num(w.inner_width()),
        viewport_height: num(w.inner_height()),
    })
}
