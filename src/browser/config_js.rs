//! Reads the config the entry module passes (already validated there) into [`Config`]: a flat
//! array, the value at each path of its `RULES` table in order. Missing or mistyped values keep
//! their defaults; `config::validate` then checks ranges again.

use crate::prelude::*;

use crate::config::{Config, Transport, UserConfig};
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

/// The string-valued entries of an object.
pub fn string_entries(v: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if v.is_object() {
        let entries = Object::entries(v.unchecked_ref());
        for i in 0..entries.length() {
            let pair: Array = entries.get(i).unchecked_into();
            if let (Some(k), Some(val)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((k, val));
            }
        }
    }
    out
}

/// The strings of `v` into `out` (replacing what it held) when `v` is an array; by index, not
/// `Array::iter` (its iterator and a second element getter, issue 14).
fn string_list(v: &JsValue, out: &mut crate::core::List) {
    // The entry module hands arrays or nothing here (`is_object`: no `Array.isArray` import).
    if v.is_object() {
        let mut list = Vec::new();
        let v: &Array = v.unchecked_ref();
        for i in 0..v.length() {
            if let Some(x) = v.get(i).as_string() {
                list.push(x);
            }
        }
        *out = alloc::rc::Rc::new(list);
    }
}

/// Builds the typed config from the entry module's flat array (the value at each of the
/// `RULES` paths, in order; see `config::PATHS`). Missing or mistyped values keep their defaults.
pub fn from_js(v: &JsValue) -> Config {
    let mut c = Config::default();
    if !v.is_object() {
        return c;
    }
    let a: &Array = v.unchecked_ref();
    let s = |i: u32| a.get(i).as_string();
    let n = |i: u32| a.get(i).as_f64();
    let u = |i: u32, out: &mut u32| {
        if let Some(x) = n(i).filter(|x| *x >= 0.0 && *x <= u32::MAX as f64) {
            *out = x as u32;
        }
    };
    let b = |i: u32, out: &mut bool| {
        if let Some(x) = a.get(i).as_bool() {
            *out = x;
        }
    };
    let l = |i: u32, out: &mut crate::core::List| string_list(&a.get(i), out);
    let st = |i: u32, out: &mut String| {
        if let Some(x) = s(i) {
            *out = x;
        }
    };
    st(0, &mut c.url);
    c.api_key = s(1);
    st(3, &mut c.app.name);
    st(4, &mut c.app.version);
    st(5, &mut c.app.environment);
    st(6, &mut c.app.namespace);
    st(7, &mut c.app.release);
    if s(8).as_deref() == Some("fetch") {
        c.transport = Transport::Fetch;
    }
    u(10, &mut c.batching.item_limit);
    u(11, &mut c.batching.send_timeout);
    let t = &mut c.session_tracking;
    if let Some(x) = n(13) {
        t.sampling_rate = x;
    }
    u(14, &mut t.error_buffer);
    if let Some(x) = n(15) {
        t.inactivity_timeout = x;
    }
    if let Some(x) = n(16) {
        t.max_session_duration = x;
    }
    b(17, &mut t.persistent);
    b(19, &mut c.web_vitals.report_all_changes);
    l(21, &mut c.tracing.propagate_trace_header_cors_urls);
    l(22, &mut c.ignore_urls);
    l(23, &mut c.ignore_errors);
    b(24, &mut c.capture_console);
    l(25, &mut c.capture_console_disabled_levels);
    u(27, &mut c.errors.max_per_minute);
    l(29, &mut c.redact.query_params);
    if a.get(31).is_object() {
        let mut user = UserConfig::default();
        st(32, &mut user.id);
        st(33, &mut user.username);
        st(34, &mut user.email);
        user.attributes = string_entries(&a.get(35));
        c.user = Some(user);
    }
    b(36, &mut c.paused);
    b(37, &mut c.debug);
    b(39, &mut c.web_vitals.report_soft_navs);
    c
}
