//! The agent's side of the `fetch`/XHR wrapper in `js/patch.js`: decides per request whether
//! it is recorded and whether it gets a `traceparent`, and turns each finished request into a
//! CLIENT span. The JS wrapper calls these hooks inside try/catch and always runs the original.
use crate::prelude::*;

use super::bindings::{date_now, http_patch_install, http_patch_uninstall, performance_now, Host};
use super::callback::{callback, Callback};
use crate::config::Config;
use crate::core::text;
use crate::core::trace::{self, Decision, Outcome, Request, Rules};
use crate::core::wire::Item;
use crate::core::{Feature, SinkRef};
use alloc::rc::Rc;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Requests still in flight are capped so that ones that never end (a request the page
/// re-opened, a stream left open) cannot grow memory for ever.
const MAX_PENDING: usize = 256;

struct Pending {
    id: f64,
    request: Request,
    perf_start: f64,
}

struct Hooks {
    sink: SinkRef,
    /// `config.debug`: requests left alone by `ignoreUrls` are counted.
    debug: bool,
    rules: Rules,
    /// The config's `redact.queryParams`.
    redact: crate::core::List,
    /// The host, when `ignoreUrls` or `propagateTraceHeaderCorsUrls` holds RegExps to test.
    regexps: Option<Host>,
    pending: RefCell<Vec<Pending>>,
}

/// Owns the hooks the JS wrapper calls; dropping it unwraps `fetch`/XHR (or leaves a
/// pass-through when another library wrapped them after us) before the hooks are freed.
struct HttpGuard {
    _begin: Callback,
    _end: Callback,
}

impl Drop for HttpGuard {
    fn drop(&mut self) {
        let _ = http_patch_uninstall();
    }
}

impl Hooks {
    /// `None`: leave the request alone. `Some("")`: record it. `Some(header)`: record it and
    /// send `traceparent: header`.
    fn begin(
        &self,
        id: f64,
        kind: u8,
        method: &str,
        url: &str,
        page_header: Option<&str>,
    ) -> Option<String> {
        let sampled = self.sink.sampled()?;
        let regex =
            |list: &str, value: &str| self.regexps.as_ref().is_some_and(|h| h.test(list, value));
        let decision = self.rules.decide(url, &regex);
        if decision == Decision::Ignore {
            // With `debug`, requests left alone by `ignoreUrls` (not the collector's own) are told.
            if self.debug && self.rules.ignored(url, &regex) {
                self.sink.note_drop(crate::core::debug::IGNORE_URLS, 1);
            }
            return None;
        }
        let scope = if kind == 1 {
            "wasm-rum/xhr"
        } else {
            "wasm-rum/fetch"
        };
        let request = Request::new(method, url, page_header, date_now(), scope);
        // A traceparent the page set itself is never replaced: the span joins its trace.
        let header = if decision == Decision::Propagate && page_header.is_none() {
            trace::format_traceparent(&request.trace_id, &request.span_id, sampled)
        } else {
            String::new()
        };
        // try_borrow_mut: RefCell::borrow_mut's panic would link core::fmt (issue 14).
        if let Ok(mut pending) = self.pending.try_borrow_mut() {
            if pending.len() >= MAX_PENDING {
                crate::core::remove_at(&mut pending, 0);
            }
            pending.push(Pending {
                id,
                request,
                perf_start: performance_now(),
            });
        }
        Some(header)
    }

    /// A status below 0 means the request never started: it is dropped without a span.
    fn end(&self, id: f64, status: f64, error: String) {
        let found = self.pending.try_borrow_mut().ok().and_then(|mut pending| {
            let i = pending.iter().position(|p| p.id == id)?;
            Some(pending.swap_remove(i))
        });
        let Some(p) = found else { return };
        if status < 0.0 {
            return;
        }
        let outcome = Outcome {
            end: p.request.start + (performance_now() - p.perf_start).max(0.0),
            status: status as u16,
            error,
        };
        let session = self.sink.session_id();
        // Pushed outside every borrow: a full batch flushes through `fetch`, i.e. through us.
        self.sink.push(Item::Span(trace::client_span(
            p.request,
            &outcome,
            &session,
            &self.redact,
        )));
    }
}

impl Feature for HttpGuard {}

/// Wraps `fetch` and `XMLHttpRequest`, spans to `sink`; `None` when they were already wrapped
/// or the page refused. The first part of the tracing feature (docs/tracing.md), beside `timing`.
pub fn install(config: &Config, host: &Host, sink: SinkRef) -> Option<Box<dyn Feature>> {
    let page_url = super::meta::page_url();
    let hooks = Rc::new(Hooks {
        sink,
        debug: config.debug,
        rules: Rules {
            collector_url: trace::absolute(&page_url, &config.url),
            page_url,
            cors_urls: config.tracing.propagate_trace_header_cors_urls.clone(),
            ignore_urls: config.ignore_urls.clone(),
        },
        redact: config.redact.query_params.clone(),
        regexps: (host.has_reg_exps("ignoreUrls")
            || host.has_reg_exps("propagateTraceHeaderCorsUrls"))
        .then(|| host.clone()),
        pending: RefCell::new(Vec::new()),
    });
    let h = hooks.clone();
    // js/patch.js hands each start as `[id, request]`, the request one string (kind, URL, NUL,
    // 'h' and the page's traceparent or nothing, NUL, method: read in one crossing instead of
    // one per field), and reads the answer from index 2 (the one callback type, not a signature
    // of its own that answers).
    let begin = callback(move |call: JsValue| {
        let call: &js_sys::Array = call.unchecked_ref();
        let request = super::bindings::string(&call.get(1)).unwrap_or_default();
        let Some((head, rest)) = text::split_once_at(&request, 0) else {
            return;
        };
        let Some((page_header, method)) = text::split_once_at(rest, 0) else {
            return;
        };
        let answer = h.begin(
            call.get(0).as_f64().unwrap_or(0.0),
            u8::from(head.as_bytes().first() == Some(&b'1')),
            method,
            text::tail(head, 1),
            (!page_header.is_empty()).then(|| text::tail(page_header, 1)),
        );
        if let Some(header) = answer {
            call.set(2, header.into());
        }
    });
    // js/patch.js hands each end as `[id, status, errorType]`.
    let end = callback(move |end: JsValue| {
        let end: &js_sys::Array = end.unchecked_ref();
        let num = |i| end.get(i).as_f64().unwrap_or(-1.0);
        hooks.end(
            num(0),
            num(1),
            super::bindings::string(&end.get(2)).unwrap_or_default(),
        )
    });
    let installed =
        http_patch_install(begin.as_ref().unchecked_ref(), end.as_ref().unchecked_ref());
    if !matches!(installed, Ok(true)) {
        return None;
    }
    Some(Box::new(HttpGuard {
        _begin: begin,
        _end: end,
    }))
}
