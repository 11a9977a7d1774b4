//! The tracing feature: `traceparent` on `fetch`/XHR with a span per request (`http`), and the
//! page load and traced resources tied to their backend traces (`timing`). See docs/tracing.md.

use crate::prelude::*;

use crate::config::Config;
use crate::core::{Feature, SinkRef};
use wasm_bindgen::{JsCast, JsValue};

/// Both parts; dropping it uninstalls them.
struct Installed {
    _http: Option<super::http::HttpGuard>,
    _timing: super::timing::TimingGuard,
}

impl Feature for Installed {}

/// Installs both parts; their spans and events go to `sink`.
/// `host` is the entry module's `Host` object.
pub fn install(config: &Config, host: &JsValue, sink: SinkRef) -> Option<Box<dyn Feature>> {
    let http = super::http::install(config, host.unchecked_ref(), sink);
    let timing = super::timing::install(config, sink);
    Some(Box::new(Installed {
        _http: http,
        _timing: timing,
    }))
}
