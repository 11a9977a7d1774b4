//! The collector's own Faro payload types, written after Grafana Alloy's receiver: string maps
//! for `context` and `attributes`, integer `lineno`/`colno`, RFC 3339 timestamps, number
//! `values`. Unknown fields are ignored. Never shared with the agent's `payload.rs`, so a field
//! the agent gets wrong fails here too.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A string map (`context`, `attributes`): any non-string value fails the payload, as in Alloy.
pub type StrMap = BTreeMap<String, String>;

/// The whole payload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Payload {
    pub meta: Meta,
    pub logs: Vec<Log>,
    pub exceptions: Vec<Exception>,
    pub measurements: Vec<Measurement>,
    pub events: Vec<Event>,
    pub traces: Option<Traces>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Meta {
    pub sdk: Sdk,
    pub app: App,
    pub user: User,
    pub session: Session,
    pub page: Page,
    pub browser: Browser,
    pub view: View,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Sdk {
    pub name: String,
    pub version: String,
    pub integrations: Vec<Integration>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Integration {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct App {
    pub name: String,
    pub namespace: String,
    pub release: String,
    pub version: String,
    pub environment: String,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub attributes: StrMap,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Session {
    pub id: String,
    pub attributes: StrMap,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct Page {
    pub id: String,
    pub url: String,
    pub attributes: StrMap,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default, rename_all = "camelCase")]
pub struct Browser {
    pub name: String,
    pub version: String,
    pub os: String,
    pub mobile: bool,
    pub user_agent: String,
    pub language: String,
    pub viewport_width: String,
    pub viewport_height: String,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct View {
    pub name: String,
}

/// `trace` on an item.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Log {
    pub message: String,
    pub level: String,
    pub context: StrMap,
    pub timestamp: Option<DateTime<Utc>>,
    pub trace: Option<TraceContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Exception {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub timestamp: Option<DateTime<Utc>>,
    pub stacktrace: Option<Stacktrace>,
    pub context: StrMap,
    pub trace: Option<TraceContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Stacktrace {
    pub frames: Vec<Frame>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Frame {
    pub function: String,
    pub module: String,
    pub filename: String,
    pub lineno: i64,
    pub colno: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Measurement {
    #[serde(rename = "type")]
    pub kind: String,
    pub values: BTreeMap<String, f64>,
    pub timestamp: Option<DateTime<Utc>>,
    pub context: StrMap,
    pub trace: Option<TraceContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Event {
    pub name: String,
    pub domain: String,
    pub attributes: StrMap,
    pub timestamp: Option<DateTime<Utc>>,
    pub trace: Option<TraceContext>,
}

/// OTLP/JSON `ExportTraceServiceRequest`, just deep enough to validate ids and write lines;
/// the raw JSON is what gets forwarded.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Traces {
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceSpans {
    pub resource: Resource,
    pub scope_spans: Vec<ScopeSpans>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource {
    pub attributes: Vec<KeyValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScopeSpans {
    pub spans: Vec<Span>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub name: String,
    pub kind: i64,
    pub start_time_unix_nano: U64String,
    pub end_time_unix_nano: U64String,
    pub attributes: Vec<KeyValue>,
    pub status: Status,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status {
    pub code: i64,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyValue {
    pub key: String,
    pub value: AnyValue,
}

/// OTLP `AnyValue`; 64-bit ints arrive as decimal strings (or numbers).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AnyValue {
    pub string_value: Option<String>,
    pub bool_value: Option<bool>,
    pub int_value: Option<U64String>,
    pub double_value: Option<f64>,
}

impl AnyValue {
    /// The value as text for a log line.
    pub fn text(&self) -> String {
        if let Some(s) = &self.string_value {
            s.clone()
        } else if let Some(b) = self.bool_value {
            b.to_string()
        } else if let Some(i) = &self.int_value {
            i.0.to_string()
        } else if let Some(d) = self.double_value {
            d.to_string()
        } else {
            String::new()
        }
    }
}

/// An OTLP 64-bit integer: a decimal string, or a number.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct U64String(pub i128);

impl<'de> Deserialize<'de> for U64String {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i128),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(U64String(n)),
            Raw::S(s) => s
                .parse()
                .map(U64String)
                .map_err(|_| serde::de::Error::custom("an integer as a decimal string")),
        }
    }
}

/// How deep JSON may nest before we refuse it without handing it to serde.
pub const MAX_DEPTH: usize = 64;

/// Refuses JSON nested deeper than [`MAX_DEPTH`], scanning bytes (strings skipped).
pub fn check_depth(body: &[u8]) -> Result<(), String> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("JSON nested deeper than {MAX_DEPTH} levels"));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Decodes and validates a payload; the error is the reason sent back with 400.
pub fn decode(body: &[u8]) -> Result<Payload, String> {
    check_depth(body)?;
    let p: Payload = serde_json::from_slice(body).map_err(|e| format!("invalid payload: {e}"))?;
    if let Some(t) = &p.traces {
        for rs in &t.resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    if !is_hex(&s.trace_id, 32) {
                        return Err(format!(
                            "invalid payload: span traceId {:?} is not 32 hex characters",
                            s.trace_id
                        ));
                    }
                    if !is_hex(&s.span_id, 16) {
                        return Err(format!(
                            "invalid payload: span spanId {:?} is not 16 hex characters",
                            s.span_id
                        ));
                    }
                    if !s.parent_span_id.is_empty() && !is_hex(&s.parent_span_id, 16) {
                        return Err(format!(
                            "invalid payload: span parentSpanId {:?} is not 16 hex characters",
                            s.parent_span_id
                        ));
                    }
                }
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_reference_example_and_ignores_unknown_fields() {
        let body = br#"{"meta":{"sdk":{"name":"wasm-rum","version":"0.1.0"},"app":{"name":"shop"},"browser":{"mobile":false,"viewportWidth":"1440"},"k6":{"isK6Browser":true}},
          "exceptions":[{"type":"TypeError","value":"x","stacktrace":{"frames":[{"function":"f","filename":"a.js","lineno":1,"colno":2}]},"unknown":1}],
          "measurements":[{"type":"web-vitals","values":{"lcp":2412.3,"delta":2412.3},"context":{"rating":"good"},"timestamp":"2026-08-24T10:15:02.123Z"}]}"#;
        let p = decode(body).unwrap();
        assert_eq!(p.meta.app.name, "shop");
        assert_eq!(
            p.exceptions[0].stacktrace.as_ref().unwrap().frames[0].colno,
            2
        );
        assert_eq!(p.measurements[0].values["lcp"], 2412.3);
    }

    #[test]
    fn rejects_what_alloy_rejects() {
        assert!(decode(br#"{"logs":[{"message":"m","context":{"n":1}}]}"#)
            .unwrap_err()
            .contains("invalid type"));
        assert!(
            decode(br#"{"exceptions":[{"stacktrace":{"frames":[{"lineno":"12"}]}}]}"#).is_err()
        );
        assert!(
            decode(br#"{"exceptions":[{"stacktrace":{"frames":[{"lineno":12.0}]}}]}"#).is_err()
        );
        assert!(decode(br#"{"logs":[{"timestamp":""}]}"#).is_err());
        assert!(decode(br#"{"meta":{"browser":{"viewportWidth":1440}}}"#).is_err());
        assert!(decode(br#"{"traces":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"00f067aa0ba902b7"}]}]}]}}"#).is_err());
        assert!(decode(b"{\"logs\":[{\"message\":\"\xff\"}]}").is_err());
    }

    #[test]
    fn refuses_deep_nesting_before_parsing() {
        let deep = "[".repeat(10_000);
        assert!(check_depth(deep.as_bytes())
            .unwrap_err()
            .contains("nested deeper"));
        assert!(check_depth(br#"{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#).is_ok());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&body);
        }

        #[test]
        fn mutated_payloads_never_panic(cut in 0usize..600, byte in any::<u8>(), at in 0usize..600) {
            let mut body = br#"{"meta":{"app":{"name":"a"},"browser":{"mobile":true}},"logs":[{"message":"m","context":{"a":"b"},"timestamp":"2026-08-24T10:15:02.123Z"}],"exceptions":[{"type":"E","value":"v","stacktrace":{"frames":[{"lineno":1,"colno":2}]}}],"traces":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","startTimeUnixNano":"1","endTimeUnixNano":2}]}]}]}}"#.to_vec();
            if at < body.len() {
                body[at] = byte;
            }
            body.truncate(cut.min(body.len()));
            let _ = decode(&body);
        }

        #[test]
        fn any_json_value_never_panics(v in arb_json()) {
            let _ = decode(v.to_string().as_bytes());
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z]{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            let keys = prop_oneof![
                Just("meta".to_string()),
                Just("logs".to_string()),
                Just("context".to_string()),
                Just("traces".to_string()),
                Just("lineno".to_string()),
                "[a-z]{1,6}"
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(keys, inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
