//! Reads the config object the entry module passes (already validated there) into [`Config`].
//! Missing or mistyped values keep their defaults; `config::validate` then checks ranges again.

use crate::prelude::*;

use super::js::get;
use crate::config::{Config, Transport, UserConfig};
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

fn set_str(o: &JsValue, key: &str, out: &mut String) {
    if let Some(s) = get(o, key).as_string() {
        *out = s;
    }
}

fn set_f64(o: &JsValue, key: &str, out: &mut f64) {
    if let Some(n) = get(o, key).as_f64() {
        *out = n;
    }
}

fn set_u32(o: &JsValue, key: &str, out: &mut u32) {
    if let Some(n) = get(o, key).as_f64() {
        if n >= 0.0 && n <= u32::MAX as f64 {
            *out = n as u32;
        }
    }
}

fn set_bool(o: &JsValue, key: &str, out: &mut bool) {
    if let Some(b) = get(o, key).as_bool() {
        *out = b;
    }
}

fn set_strings(o: &JsValue, key: &str, out: &mut Vec<String>) {
    let v = get(o, key);
    if Array::is_array(&v) {
        *out = v
            .unchecked_into::<Array>()
            .iter()
            .filter_map(|x| x.as_string())
            .collect();
    }
}

/// The string-valued entries of an object.
pub fn string_entries(v: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if v.is_object() {
        for e in Object::entries(v.unchecked_ref()).iter() {
            let pair: Array = e.unchecked_into();
            if let (Some(k), Some(val)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((k, val));
            }
        }
    }
    out
}

/// Builds the typed config from the JS object.
pub fn from_js(v: &JsValue) -> Config {
    let mut c = Config::default();
    set_str(v, "url", &mut c.url);
    if let Some(k) = get(v, "apiKey").as_string() {
        c.api_key = Some(k);
    }
    let app = get(v, "app");
    set_str(&app, "name", &mut c.app.name);
    set_str(&app, "version", &mut c.app.version);
    set_str(&app, "environment", &mut c.app.environment);
    set_str(&app, "namespace", &mut c.app.namespace);
    set_str(&app, "release", &mut c.app.release);
    if get(v, "transport").as_string().as_deref() == Some("fetch") {
        c.transport = Transport::Fetch;
    }
    let b = get(v, "batching");
    set_u32(&b, "itemLimit", &mut c.batching.item_limit);
    set_u32(&b, "sendTimeout", &mut c.batching.send_timeout);
    let s = get(v, "sessionTracking");
    set_f64(&s, "samplingRate", &mut c.session_tracking.sampling_rate);
    set_u32(&s, "errorBuffer", &mut c.session_tracking.error_buffer);
    set_f64(
        &s,
        "inactivityTimeout",
        &mut c.session_tracking.inactivity_timeout,
    );
    set_f64(
        &s,
        "maxSessionDuration",
        &mut c.session_tracking.max_session_duration,
    );
    set_bool(&s, "persistent", &mut c.session_tracking.persistent);
    set_bool(
        &get(v, "webVitals"),
        "reportAllChanges",
        &mut c.web_vitals.report_all_changes,
    );
    set_strings(
        &get(v, "tracing"),
        "propagateTraceHeaderCorsUrls",
        &mut c.tracing.propagate_trace_header_cors_urls,
    );
    set_strings(v, "ignoreUrls", &mut c.ignore_urls);
    set_strings(v, "ignoreErrors", &mut c.ignore_errors);
    set_bool(v, "captureConsole", &mut c.capture_console);
    set_strings(
        v,
        "captureConsoleDisabledLevels",
        &mut c.capture_console_disabled_levels,
    );
    set_u32(
        &get(v, "errors"),
        "maxPerMinute",
        &mut c.errors.max_per_minute,
    );
    set_strings(&get(v, "redact"), "queryParams", &mut c.redact.query_params);
    let u = get(v, "user");
    if u.is_object() {
        let mut user = UserConfig::default();
        set_str(&u, "id", &mut user.id);
        set_str(&u, "username", &mut user.username);
        set_str(&u, "email", &mut user.email);
        user.attributes = string_entries(&get(&u, "attributes"));
        c.user = Some(user);
    }
    set_bool(v, "paused", &mut c.paused);
    set_bool(v, "debug", &mut c.debug);
    c
}
