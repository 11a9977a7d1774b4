//! The tracing feature: `traceparent` on `fetch`/XHR with a span per request (`http`), and the
//! page load and traced resources tied to their backend traces (`timing`). See docs/tracing.md.

use crate::prelude::*;

use crate::config::Config;
use core::any::Any;
use wasm_bindgen::{JsCast, JsValue};

/// Installs both parts; the guard uninstalls them when dropped.
/// `host` is the entry module's `Host` object.
pub fn install(config: &Config, host: &JsValue) -> Option<Box<dyn Any>> {
    let http = super::http::install(config, host.unchecked_ref());
    let timing = super::timing::install();
    Some(Box::new((http, timing)))
}
