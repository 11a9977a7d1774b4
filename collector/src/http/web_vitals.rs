//! `POST /metrics/web-vitals` (and `/metrics/web-vitals/{key}`): the plain JSON sites send from
//! the `web-vitals` library, one report or an array, under the same API key, rate limit and
//! label caps as `/collect`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::{answer, Refusal};
use super::intake::Intake;
use super::Shared;
use crate::{lines, metrics, payload, LogBudget};

/// One report in the plain JSON sites send from the `web-vitals` library.
#[derive(Debug, serde::Deserialize)]
struct PlainVital {
    metric: String,
    value: f64,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    navigation_type: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    session_id: String,
    #[serde(default)]
    app: String,
}

/// The app a plain web-vitals report is counted under.
fn plain_app(app: &str) -> String {
    if app.is_empty() {
        "unknown".to_string()
    } else {
        app.to_string()
    }
}

pub async fn web_vitals(State(state): State<Shared>, intake: Result<Intake, Refusal>) -> Response {
    let outcome = match intake {
        Ok(intake) => accept(&state, intake).await,
        Err(e) => Err(e),
    };
    answer(&state.metrics, outcome)
}

async fn accept(state: &Shared, intake: Intake) -> Result<Response, Refusal> {
    let decoded = &intake.decoded;
    payload::check_depth(decoded).map_err(Refusal::Invalid)?;
    let value: serde_json::Value = serde_json::from_slice(decoded)
        .map_err(|e| Refusal::Invalid(format!("invalid JSON: {e}")))?;
    let list = if value.is_array() {
        value
    } else {
        serde_json::Value::Array(vec![value])
    };
    let max_items = state.settings.max_items;
    if list.as_array().is_some_and(|l| l.len() > max_items) {
        return Err(Refusal::TooManyItems {
            max: max_items,
            what: "reports",
        });
    }
    let mut reports: Vec<PlainVital> = serde_json::from_value(list)
        .map_err(|e| Refusal::Invalid(format!("invalid web-vitals report: {e}")))?;
    let max = state.settings.max_string;
    let cut: usize = reports
        .iter_mut()
        .flat_map(|r| {
            [
                &mut r.metric,
                &mut r.rating,
                &mut r.id,
                &mut r.navigation_type,
                &mut r.page,
                &mut r.session_id,
                &mut r.app,
            ]
        })
        .map(|f| payload::cut(f, max))
        .sum();
    state.metrics.truncated("string", cut);
    let budget = &mut LogBudget::for_body(decoded.len());
    let mut apps: Vec<String> = reports
        .iter()
        .map(|r| state.metrics.app(&plain_app(&r.app)))
        .collect();
    apps.sort();
    apps.dedup();
    intake.admit(state, "/metrics/web-vitals", &apps)?;
    for r in reports {
        let metric = r.metric.to_ascii_lowercase();
        // Sites scale CLS by 1000 to send an integer.
        let value = if metric == "cls" {
            r.value / 1000.0
        } else {
            r.value
        };
        if !metrics::in_range(&metric, value) {
            state.metrics.dropped("out_of_range");
            continue;
        }
        let app = plain_app(&r.app);
        let label_app = state.metrics.app(&app);
        state.metrics.observe_vital(
            &label_app,
            &metric,
            value,
            &r.page,
            &r.navigation_type,
            &r.id,
        );
        let mut kv = lines::KeyVals::new();
        let ts = r
            .timestamp
            .as_ref()
            .and_then(|t| t.as_f64())
            .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
            .unwrap_or_else(chrono::Utc::now);
        kv.own("timestamp", lines::go_time(&ts));
        kv.own("kind", "measurement");
        kv.own("type", "web-vitals");
        kv.sender("", &metric, format!("{value:.6}"));
        for (k, v) in [
            ("context_id", &r.id),
            ("context_rating", &r.rating),
            ("context_navigation_type", &r.navigation_type),
            ("session_id", &r.session_id),
            ("page_url", &r.page),
        ] {
            kv.own(k, v.clone());
        }
        kv.own("app_name", app);
        state.emit(&label_app, "measurement", budget, || kv);
    }
    state.metrics.payload("accepted", "");
    Ok((StatusCode::ACCEPTED, "ok").into_response())
}
