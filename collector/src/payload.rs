//! The collector's own Faro payload types, written after Grafana Alloy's receiver: string maps
//! for `context` and `attributes`, integer `lineno`/`colno`, RFC 3339 timestamps, number
//! `values`. Unknown fields are ignored. Never shared with the agent's `payload.rs`, so a field
//! the agent gets wrong fails here too.

use chrono::{DateTime, Utc};
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// A string map (`context`, `attributes`): any non-string value fails the payload, as in Alloy.
pub type StrMap = BTreeMap<String, String>;

/// The whole payload.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Payload {
    pub meta: Meta,
    #[serde(deserialize_with = "items")]
    pub logs: Vec<Log>,
    #[serde(deserialize_with = "items")]
    pub exceptions: Vec<Exception>,
    #[serde(deserialize_with = "items")]
    pub measurements: Vec<Measurement>,
    #[serde(deserialize_with = "items")]
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
    #[serde(deserialize_with = "frames")]
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

/// The event the agent sends once per page view (hard navigation at start, each soft
/// navigation or route change).
pub const PAGE_VIEW: &str = "page_view";
/// The event the agent sends when a session begins (Faro's name).
pub const SESSION_START: &str = "session_start";

impl Event {
    /// What a `page_view` or `session_start` stands for in the population estimate: None when
    /// `session_sampled` is `"false"` (a session the head-sampling decision dropped, sent only
    /// because an error promoted it), else the weight of its `sampling_rate` (see
    /// [`crate::metrics::sampling_weight`]; a sender that does not sample sends neither, and
    /// each view counts 1).
    pub fn sampling_weight(&self) -> Option<f64> {
        if self.attributes.get("session_sampled").map(String::as_str) == Some("false") {
            return None;
        }
        Some(crate::metrics::sampling_weight(
            self.attributes.get("sampling_rate").map(String::as_str),
        ))
    }
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
    #[serde(deserialize_with = "items")]
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

/// OTLP span kind CLIENT: the agent's fetch/XHR spans.
pub const SPAN_KIND_CLIENT: i64 = 3;

impl Span {
    /// The first attribute named one of `keys` (tried in order).
    fn attribute(&self, keys: &[&str]) -> Option<&AnyValue> {
        keys.iter()
            .find_map(|k| self.attributes.iter().find(|a| a.key == *k))
            .map(|a| &a.value)
    }

    /// The fetch/XHR call a CLIENT span describes, read with the stable HTTP semantic
    /// conventions (`http.request.method`, `url.full`, `http.response.status_code`) or the old
    /// ones (`http.method`, `http.url`, `http.status_code`). None for other spans (no method or
    /// no URL). The status is absent when the request failed without one.
    pub fn http_call(&self) -> Option<crate::metrics::HttpCall<'_>> {
        if self.kind != SPAN_KIND_CLIENT {
            return None;
        }
        let method = self
            .attribute(&["http.request.method", "http.method"])?
            .string_value
            .as_deref()?;
        let url = self
            .attribute(&["url.full", "http.url"])?
            .string_value
            .as_deref()?;
        let status = self
            .attribute(&["http.response.status_code", "http.status_code"])
            .and_then(AnyValue::integer);
        let nanos = self.end_time_unix_nano.0 - self.start_time_unix_nano.0;
        Some(crate::metrics::HttpCall {
            method,
            url,
            status,
            seconds: nanos as f64 / 1e9,
            trace_id: &self.trace_id,
        })
    }
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
    /// The value as an integer: an `intValue`, or a string or whole double holding one.
    pub fn integer(&self) -> Option<i64> {
        if let Some(i) = &self.int_value {
            return i64::try_from(i.0).ok();
        }
        if let Some(s) = &self.string_value {
            return s.trim().parse().ok();
        }
        self.double_value
            .filter(|d| d.fract() == 0.0 && d.abs() < 1e15)
            .map(|d| d as i64)
    }

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

/// Appended to a string cut at `--max-string` bytes.
pub const TRUNCATED: &str = "…[truncated]";

/// Cuts `s` to at most `max` bytes (on a character boundary) plus [`TRUNCATED`]; 1 if it did.
pub fn cut(s: &mut String, max: usize) -> usize {
    if s.len() <= max {
        return 0;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str(TRUNCATED);
    1
}

fn cut_opt(t: &mut Option<TraceContext>, max: usize) -> usize {
    t.as_mut()
        .map_or(0, |t| cut(&mut t.trace_id, max) + cut(&mut t.span_id, max))
}

/// Cuts keys and values of a map; keys that end up equal keep the last value.
fn cut_map<V>(m: &mut BTreeMap<String, V>, max: usize, value: impl Fn(&mut V) -> usize) -> usize {
    let mut n = 0;
    for v in m.values_mut() {
        n += value(v);
    }
    if m.keys().all(|k| k.len() <= max) {
        return n;
    }
    for (mut k, v) in std::mem::take(m) {
        n += cut(&mut k, max);
        m.insert(k, v);
    }
    n
}

fn cut_str_map(m: &mut StrMap, max: usize) -> usize {
    cut_map(m, max, |v| cut(v, max))
}

impl Meta {
    fn truncate_strings(&mut self, max: usize) -> usize {
        let mut n = cut(&mut self.sdk.name, max) + cut(&mut self.sdk.version, max);
        for i in &mut self.sdk.integrations {
            n += cut(&mut i.name, max) + cut(&mut i.version, max);
        }
        let a = &mut self.app;
        for f in [
            &mut a.name,
            &mut a.namespace,
            &mut a.release,
            &mut a.version,
            &mut a.environment,
        ] {
            n += cut(f, max);
        }
        let u = &mut self.user;
        for f in [&mut u.id, &mut u.username, &mut u.email] {
            n += cut(f, max);
        }
        n += cut_str_map(&mut u.attributes, max);
        n += cut(&mut self.session.id, max) + cut_str_map(&mut self.session.attributes, max);
        n += cut(&mut self.page.id, max)
            + cut(&mut self.page.url, max)
            + cut_str_map(&mut self.page.attributes, max);
        let b = &mut self.browser;
        for f in [
            &mut b.name,
            &mut b.version,
            &mut b.os,
            &mut b.user_agent,
            &mut b.language,
            &mut b.viewport_width,
            &mut b.viewport_height,
        ] {
            n += cut(f, max);
        }
        n + cut(&mut self.view.name, max)
    }
}

fn cut_attributes(attrs: &mut [KeyValue], max: usize) -> usize {
    attrs
        .iter_mut()
        .map(|a| cut(&mut a.key, max) + a.value.string_value.as_mut().map_or(0, |v| cut(v, max)))
        .sum()
}

impl Payload {
    /// Cuts every string of the meta and the items (keys included) longer than `max` bytes,
    /// so one long user agent copied onto every line cannot multiply a body; returns how many.
    pub fn truncate_strings(&mut self, max: usize) -> usize {
        let mut n = self.meta.truncate_strings(max);
        for l in &mut self.logs {
            n += cut(&mut l.message, max)
                + cut(&mut l.level, max)
                + cut_str_map(&mut l.context, max)
                + cut_opt(&mut l.trace, max);
        }
        for e in &mut self.exceptions {
            n += cut(&mut e.kind, max)
                + cut(&mut e.value, max)
                + cut_str_map(&mut e.context, max)
                + cut_opt(&mut e.trace, max);
            for f in e.stacktrace.iter_mut().flat_map(|s| s.frames.iter_mut()) {
                n +=
                    cut(&mut f.function, max) + cut(&mut f.module, max) + cut(&mut f.filename, max);
            }
        }
        for m in &mut self.measurements {
            n += cut(&mut m.kind, max)
                + cut_str_map(&mut m.context, max)
                + cut_map(&mut m.values, max, |_| 0)
                + cut_opt(&mut m.trace, max);
        }
        for e in &mut self.events {
            n += cut(&mut e.name, max)
                + cut(&mut e.domain, max)
                + cut_str_map(&mut e.attributes, max)
                + cut_opt(&mut e.trace, max);
        }
        for rs in self
            .traces
            .iter_mut()
            .flat_map(|t| t.resource_spans.iter_mut())
        {
            n += cut_attributes(&mut rs.resource.attributes, max);
            for s in rs.scope_spans.iter_mut().flat_map(|ss| ss.spans.iter_mut()) {
                n += cut(&mut s.name, max) + cut_attributes(&mut s.attributes, max);
            }
        }
        n
    }

    /// Leaves out items that carry nothing (a log without message or context, an exception
    /// without type, value or frames, a measurement without values, an event without name);
    /// returns how many.
    pub fn drop_empty(&mut self) -> usize {
        let before =
            self.logs.len() + self.exceptions.len() + self.measurements.len() + self.events.len();
        self.logs
            .retain(|l| !l.message.is_empty() || !l.context.is_empty());
        self.exceptions.retain(|e| {
            !e.kind.is_empty()
                || !e.value.is_empty()
                || e.stacktrace.as_ref().is_some_and(|s| !s.frames.is_empty())
        });
        self.measurements.retain(|m| !m.values.is_empty());
        self.events.retain(|e| !e.name.is_empty());
        before
            - (self.logs.len()
                + self.exceptions.len()
                + self.measurements.len()
                + self.events.len())
    }
}

/// How deep JSON may nest before we refuse it without handing it to serde.
pub const MAX_DEPTH: usize = 64;

/// Refuses JSON nested deeper than [`MAX_DEPTH`], scanning bytes (strings skipped: the
/// end of each is found with `memchr`, most of a body being strings).
pub fn check_depth(body: &[u8]) -> Result<(), String> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        i += 1;
        match b {
            b'"' => loop {
                // Past the closing quote; an escape skips the byte after its backslash. An
                // unterminated string ends the scan (serde refuses it).
                let Some(j) = body
                    .get(i..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                else {
                    return Ok(());
                };
                i += j + 1;
                if body[i - 1] == b'"' {
                    break;
                }
                i += 1;
            },
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

/// Frames kept per stack trace; the rest are skipped unparsed (V8 keeps 10 by default).
pub const MAX_FRAMES: usize = 128;

/// Why a body was refused.
#[derive(Debug, PartialEq)]
pub enum DecodeError {
    /// Malformed or not what Alloy accepts: 400 with this reason.
    Invalid(String),
    /// More items (logs, exceptions, measurements, events, spans) than the limit: 413.
    TooManyItems(usize),
}

/// What decoding cut short without refusing the payload.
#[derive(Debug, Default, PartialEq)]
pub struct Trimmed {
    /// Stack frames past [`MAX_FRAMES`], skipped.
    pub frames: usize,
}

thread_local! {
    // serde has no way to hand a runtime limit to a field's deserializer: decoding is
    // synchronous on one thread, so `decode_with_limit` sets these around the call.
    static ITEMS_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
    static TOO_MANY: Cell<bool> = const { Cell::new(false) };
    static FRAMES_SKIPPED: Cell<usize> = const { Cell::new(0) };
}

/// An item array counted against the payload's item limit as it is parsed, so a body of a
/// million `{}` fails after `--max-items` of them instead of allocating them all.
fn items<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct Items<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Items<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                let left = ITEMS_LEFT.get();
                if left == 0 {
                    TOO_MANY.set(true);
                    return Err(serde::de::Error::custom("too many items"));
                }
                ITEMS_LEFT.set(left - 1);
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Items(PhantomData))
}

/// Stack frames: the first [`MAX_FRAMES`] kept, the rest skipped without allocating.
fn frames<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Frame>, D::Error> {
    struct Frames;
    impl<'de> Visitor<'de> for Frames {
        type Value = Vec<Frame>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of frames")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Frame>, A::Error> {
            let mut out = Vec::new();
            while out.len() < MAX_FRAMES {
                match seq.next_element()? {
                    Some(f) => out.push(f),
                    None => return Ok(out),
                }
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {
                FRAMES_SKIPPED.set(FRAMES_SKIPPED.get() + 1);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Frames)
}

/// Decodes and validates a payload; the error is the reason sent back with 400.
pub fn decode(body: &[u8]) -> Result<Payload, String> {
    match decode_with_limit(body, usize::MAX) {
        Ok((p, _)) => Ok(p),
        Err(DecodeError::Invalid(e)) => Err(e),
        Err(DecodeError::TooManyItems(n)) => Err(format!("more than {n} items")),
    }
}

/// [`decode`] with at most `max_items` items, saying what was trimmed.
pub fn decode_with_limit(body: &[u8], max_items: usize) -> Result<(Payload, Trimmed), DecodeError> {
    check_depth(body).map_err(DecodeError::Invalid)?;
    ITEMS_LEFT.set(max_items);
    TOO_MANY.set(false);
    FRAMES_SKIPPED.set(0);
    let parsed = serde_json::from_slice::<Payload>(body);
    ITEMS_LEFT.set(usize::MAX);
    let trimmed = Trimmed {
        frames: FRAMES_SKIPPED.get(),
    };
    if TOO_MANY.get() {
        return Err(DecodeError::TooManyItems(max_items));
    }
    let p = parsed.map_err(|e| DecodeError::Invalid(format!("invalid payload: {e}")))?;
    validate(p)
        .map(|p| (p, trimmed))
        .map_err(DecodeError::Invalid)
}

fn validate(p: Payload) -> Result<Payload, String> {
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
    fn items_past_the_limit_fail_while_parsing() {
        let body = format!(r#"{{"events":[{}]}}"#, [r#"{"name":"e"}"#; 11].join(","));
        assert_eq!(
            decode_with_limit(body.as_bytes(), 10).unwrap_err(),
            DecodeError::TooManyItems(10)
        );
        assert_eq!(
            decode_with_limit(body.as_bytes(), 11)
                .unwrap()
                .0
                .events
                .len(),
            11
        );
        let spans = r#"{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7"}"#;
        let body = format!(
            r#"{{"logs":[{{"message":"m"}}],"traces":{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans},{spans}]}}]}}]}}}}"#
        );
        assert!(decode_with_limit(body.as_bytes(), 2).is_err());
        assert!(decode_with_limit(body.as_bytes(), 3).is_ok());
    }

    #[test]
    fn frames_past_the_cap_are_skipped_and_counted() {
        let frames = vec![r#"{"lineno":1}"#; MAX_FRAMES + 5].join(",");
        let body =
            format!(r#"{{"exceptions":[{{"type":"E","stacktrace":{{"frames":[{frames}]}}}}]}}"#);
        let (p, trimmed) = decode_with_limit(body.as_bytes(), 10).unwrap();
        assert_eq!(
            p.exceptions[0].stacktrace.as_ref().unwrap().frames.len(),
            MAX_FRAMES
        );
        assert_eq!(trimmed.frames, 5);
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary_with_a_marker() {
        let mut p = decode(r#"{"meta":{"browser":{"userAgent":"ééééé"}},"logs":[{"message":"abcdef","context":{"kkkkkkkk":"v"}}]}"#.as_bytes()).unwrap();
        assert_eq!(p.truncate_strings(5), 3);
        assert_eq!(p.meta.browser.user_agent, format!("éé{TRUNCATED}"));
        assert_eq!(p.logs[0].message, format!("abcde{TRUNCATED}"));
        assert!(p.logs[0].context.contains_key(&format!("kkkkk{TRUNCATED}")));
    }

    #[test]
    fn empty_items_are_left_out() {
        let mut p = decode(br#"{"logs":[{},{"message":"m"}],"exceptions":[{}],"measurements":[{"type":"x"}],"events":[{},{"name":"e"}]}"#).unwrap();
        assert_eq!(p.drop_empty(), 4);
        assert_eq!((p.logs.len(), p.events.len()), (1, 1));
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

    /// The depth check as it was first written: one byte at a time.
    fn depth_byte_by_byte(body: &[u8]) -> Result<(), String> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn depth_check_agrees_with_a_byte_by_byte_scan(
            body in prop_oneof![
                proptest::collection::vec(prop_oneof![Just(b'['), Just(b']'), Just(b'{'), Just(b'}'), Just(b'"'), Just(b'\\'), Just(b'a')], 0..400),
                proptest::collection::vec(any::<u8>(), 0..400),
            ],
        ) {
            prop_assert_eq!(check_depth(&body), depth_byte_by_byte(&body));
        }

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
