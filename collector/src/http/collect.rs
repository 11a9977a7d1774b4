//! `POST /collect` (and `/collect/{key}`): a Faro payload becomes log lines, series and traces.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::{answer, Refusal};
use super::intake::Intake;
use super::Shared;
use crate::{lines, metrics, payload, LogBudget};

pub async fn collect(State(state): State<Shared>, intake: Result<Intake, Refusal>) -> Response {
    let outcome = match intake {
        Ok(intake) => accept(&state, intake).await,
        Err(e) => Err(e),
    };
    answer(&state.metrics, outcome)
}

async fn accept(state: &Shared, intake: Intake) -> Result<Response, Refusal> {
    let (mut p, trimmed) = payload::decode_with_limit(&intake.decoded, state.settings.max_items)?;
    state.metrics.truncated("stack_frames", trimmed.frames);
    state
        .metrics
        .truncated("string", p.truncate_strings(state.settings.max_string));
    state.metrics.dropped_n("empty", p.drop_empty());
    // Keyed by the capped app alone: a new environment (or app name past the cap) cannot
    // escape the limit, and the buckets are bounded by `--max-apps`.
    let app = state.metrics.app(&p.meta.app.name);
    intake.admit(state, "/collect", std::slice::from_ref(&app))?;
    ingest(state, &app, p, &intake.decoded).await;
    state.metrics.payload("accepted", "");
    Ok((StatusCode::ACCEPTED, "ok").into_response())
}

/// Turns an accepted payload into lines, series and traces; `app` is its capped app name
/// ([`crate::metrics::Metrics::app`]), the label value: lines keep the sender's name in
/// `app_name`.
pub async fn ingest(state: &Shared, app: &str, mut p: payload::Payload, raw: &[u8]) {
    // Frames of minified bundles become the developer's own (a missing map leaves them).
    state.sourcemaps.map_payload(&mut p).await;
    let budget = &mut LogBudget::for_body(raw.len());
    for l in &p.logs {
        state.emit(app, "log", budget, || lines::log(l, &p.meta));
    }
    for e in &p.exceptions {
        state.metrics.exception(app, &e.kind);
        state.emit(app, "exception", budget, || lines::exception(e, &p.meta));
    }
    if !p.exceptions.is_empty() {
        state
            .metrics
            .view_with_error(app, &p.meta.page.id, &p.meta.page.url);
    }
    for m in &p.measurements {
        if m.kind == "web-vitals" && !vitals_in_range(m) {
            state.metrics.dropped("out_of_range");
            continue;
        }
        if m.kind == "web-vitals" {
            for metric in ["lcp", "inp", "fcp", "ttfb", "cls"] {
                if let Some(v) = m.values.get(metric) {
                    let ctx = |k| m.context.get(k).map(String::as_str);
                    // The route the metric measures: a soft navigation's, or the page's.
                    let url = ctx("navigation_url").unwrap_or(&p.meta.page.url);
                    let nav = ctx("navigation_type").unwrap_or("");
                    state
                        .metrics
                        .observe_vital(app, metric, *v, url, nav, ctx("id").unwrap_or(""));
                }
            }
        }
        state.emit(app, "measurement", budget, || {
            lines::measurement(m, &p.meta)
        });
    }
    for e in &p.events {
        state.metrics.event(app, &e.name);
        match e.name.as_str() {
            payload::PAGE_VIEW => {
                state
                    .metrics
                    .page_view(app, &p.meta.page.url, e.sampling_weight())
            }
            payload::SESSION_START => state.metrics.session(app, e.sampling_weight()),
            _ => {}
        }
        state.emit(app, "event", budget, || lines::event(e, &p.meta));
    }
    if let Some(traces) = &p.traces {
        for s in traces
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
        {
            if let Some(call) = s.http_call() {
                state
                    .metrics
                    .observe_http_client(app, &call, &p.meta.page.url);
            }
        }
        if state.sinks.has_otlp() {
            if let Ok(mut full) = serde_json::from_slice::<serde_json::Value>(raw) {
                let mut t = full
                    .get_mut("traces")
                    .map(serde_json::Value::take)
                    .unwrap_or_default();
                enrich_resources(&mut t, &p.meta.app);
                let spans = traces
                    .resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .map(|ss| ss.spans.len() as u64)
                    .sum();
                state.sinks.traces(t, spans);
            }
        } else {
            for rs in &traces.resource_spans {
                let service = rs
                    .resource
                    .attributes
                    .iter()
                    .find(|a| a.key == "service.name")
                    .map(|a| a.value.text())
                    .unwrap_or_else(|| p.meta.app.name.clone());
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        state.emit(app, "span", budget, || lines::span(s, &service, &p.meta));
                    }
                }
            }
        }
    }
}

/// False when a web-vitals measurement carries a vital no real page produces (negative, over an
/// hour, CLS over 100): the whole item is dropped, line and series.
fn vitals_in_range(m: &payload::Measurement) -> bool {
    ["lcp", "inp", "fcp", "ttfb", "cls"].iter().all(|metric| {
        m.values
            .get(*metric)
            .is_none_or(|v| metrics::in_range(metric, *v))
    })
}

/// Sets `service.name`, `service.version`, `deployment.environment.name` from `meta.app` where missing.
pub fn enrich_resources(traces: &mut serde_json::Value, app: &payload::App) {
    let Some(rss) = traces
        .get_mut("resourceSpans")
        .and_then(|v| v.as_array_mut())
    else {
        return;
    };
    for rs in rss {
        let Some(obj) = rs.as_object_mut() else {
            continue;
        };
        let resource = obj
            .entry("resource")
            .or_insert_with(|| serde_json::json!({}));
        let Some(res) = resource.as_object_mut() else {
            continue;
        };
        let attrs = res
            .entry("attributes")
            .or_insert_with(|| serde_json::json!([]));
        let Some(list) = attrs.as_array_mut() else {
            continue;
        };
        for (key, val) in [
            ("service.name", &app.name),
            ("service.version", &app.version),
            ("deployment.environment.name", &app.environment),
            ("service.namespace", &app.namespace),
        ] {
            if val.is_empty()
                || list
                    .iter()
                    .any(|a| a.get("key").and_then(|k| k.as_str()) == Some(key))
            {
                continue;
            }
            list.push(serde_json::json!({"key": key, "value": {"stringValue": val}}));
        }
    }
}
