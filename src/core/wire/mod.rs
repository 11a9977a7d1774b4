//! The Faro wire format: the only module that knows its field names.
//!
//! Items are plain structs; `encode` turns one into its JSON object once, when it enters the
//! batch, and `body` joins encoded items under one `meta` into the payload a collector takes
//! (Grafana Alloy's `faro.receiver`, the OpenTelemetry `faroreceiver`, or ours).
use crate::prelude::*;

pub mod json;
pub mod time;
pub mod timing;
pub mod vitals;

use self::json::Obj;
use time::rfc3339;

/// A list of string pairs: Faro's `context` and `attributes` maps (string values only).
pub type StrMap = Vec<(String, String)>;

/// Appends `(key, value)` to a list of attributes. Out of line, as [`push_pair`]: inlined, the
/// key's allocation and copy are repeated at every call site (issue 14).
#[inline(never)]
pub fn push_attr(attrs: &mut Vec<(String, AttrValue)>, key: &str, value: AttrValue) {
    attrs.push((key.into(), value));
}

/// Appends `(key, value)` to a string map, both copied. Out of line (see [`push_attr`]).
#[inline(never)]
pub fn push_pair(map: &mut StrMap, key: &str, value: &str) {
    map.push((key.into(), value.into()));
}

/// `trace` on an item: lowercase hex ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex characters.
    pub trace_id: String,
    /// 16 lowercase hex characters.
    pub span_id: String,
}

/// One stack frame, innermost first in a trace.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Frame {
    /// Function name, `""` when unknown.
    pub function: String,
    /// Script URL.
    pub filename: String,
    /// 1-based line, 0 when unknown (then left out).
    pub lineno: u32,
    /// 1-based column, 0 when unknown (then left out).
    pub colno: u32,
}

/// A log line (`pushLog`, console capture).
#[derive(Clone, Debug, PartialEq)]
pub struct Log {
    /// The message.
    pub message: String,
    /// `trace`, `debug`, `info`, `log`, `warn` or `error`.
    pub level: String,
    /// String context.
    pub context: StrMap,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// Trace it belongs to, if any.
    pub trace: Option<TraceContext>,
}

/// An exception.
#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    /// The error's name (`TypeError`) or `Error`.
    pub kind: String,
    /// The error's message.
    pub value: String,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// Parsed stack, innermost frame first.
    pub frames: Vec<Frame>,
    /// String context.
    pub context: StrMap,
    /// Trace it belongs to, if any.
    pub trace: Option<TraceContext>,
}

/// A measurement: web vitals, custom numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// `web-vitals` or the app's own type.
    pub kind: String,
    /// Named numbers.
    pub values: Vec<(String, f64)>,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// String context.
    pub context: StrMap,
    /// Trace it belongs to, if any.
    pub trace: Option<TraceContext>,
}

/// A named event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Event name.
    pub name: String,
    /// Event domain, empty for none.
    pub domain: String,
    /// String attributes.
    pub attributes: StrMap,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// Trace it belongs to, if any.
    pub trace: Option<TraceContext>,
}

/// An OTLP attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// `stringValue`
    Str(String),
    /// `intValue` (a decimal string on the wire)
    Int(i64),
    /// `doubleValue`
    Double(f64),
    /// `boolValue`
    Bool(bool),
}

/// One OTLP span (a `fetch` or XHR call).
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// 32 hex.
    pub trace_id: String,
    /// 16 hex.
    pub span_id: String,
    /// 16 hex or empty.
    pub parent_span_id: String,
    /// Span name (`GET`).
    pub name: String,
    /// OTLP kind: 3 = CLIENT.
    pub kind: u8,
    /// Epoch milliseconds.
    pub start: f64,
    /// Epoch milliseconds.
    pub end: f64,
    /// Attributes.
    pub attributes: Vec<(String, AttrValue)>,
    /// OTLP status code: 0 unset, 1 ok, 2 error.
    pub status_code: u8,
    /// Instrumentation scope (`wasm-rum/fetch`).
    pub scope: String,
}

/// Any item the agent sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A log.
    Log(Log),
    /// An exception.
    Exception(Exception),
    /// A measurement.
    Measurement(Measurement),
    /// An event.
    Event(Event),
    /// A span.
    Span(Span),
}

/// Which list of the payload an item goes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `logs`
    Log = 0,
    /// `exceptions`
    Exception = 1,
    /// `measurements`
    Measurement = 2,
    /// `events`
    Event = 3,
    /// `traces` (spans)
    Span = 4,
}

impl Kind {
    /// All kinds, in payload order.
    pub const ALL: [Kind; 5] = [
        Kind::Log,
        Kind::Exception,
        Kind::Measurement,
        Kind::Event,
        Kind::Span,
    ];

    /// The payload key.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Log => "logs",
            Kind::Exception => "exceptions",
            Kind::Measurement => "measurements",
            Kind::Event => "events",
            Kind::Span => "traces",
        }
    }

    /// The singular name used by `beforeSend` (`log`, `exception`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Log => "log",
            Kind::Exception => "exception",
            Kind::Measurement => "measurement",
            Kind::Event => "event",
            Kind::Span => "trace",
        }
    }

    /// Parses the singular name back.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Item {
    /// Which list it goes in.
    pub fn kind(&self) -> Kind {
        match self {
            Item::Log(_) => Kind::Log,
            Item::Exception(_) => Kind::Exception,
            Item::Measurement(_) => Kind::Measurement,
            Item::Event(_) => Kind::Event,
            Item::Span(_) => Kind::Span,
        }
    }
}

/// An item already written as JSON, ready to batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// Which list it goes in.
    pub kind: Kind,
    /// The item's JSON object (for spans: one OTLP span object).
    pub json: String,
    /// Whether it is an exception (sampling promotes a session on one).
    pub is_exception: bool,
    /// Whether entries were dropped to bring it under [`MAX_ITEM_BYTES`].
    pub shrunk: bool,
}

/// The largest item, as encoded: every item fits a beacon with its batch's meta.
pub const MAX_ITEM_BYTES: usize = 32 * 1024;

impl Encoded {
    /// Still over [`MAX_ITEM_BYTES`] (nothing left to drop, or `beforeSend` made it larger):
    /// it must not be sent.
    pub fn too_large(&self) -> bool {
        self.json.len() > MAX_ITEM_BYTES
    }

    /// Counted as `oversize`: shrunk to fit, or too large to send.
    pub fn oversize(&self) -> bool {
        self.shrunk || self.too_large()
    }
}

fn push_trace(o: &mut Obj, trace: &Option<TraceContext>) {
    if let Some(t) = trace {
        let out = o.key("trace");
        let mut t_o = Obj::new(out);
        t_o.str("trace_id", &t.trace_id).str("span_id", &t.span_id);
        t_o.end();
    }
}

fn push_timestamp(o: &mut Obj, ms: f64) {
    if ms > 0.0 {
        o.str("timestamp", &rfc3339(ms));
    }
}

/// Nanoseconds since the epoch as the decimal string OTLP wants.
fn nanos(ms: f64) -> String {
    let mut s = String::new();
    let whole = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
    json::push_u64(&mut s, (whole * 1_000.0) as u64 * 1_000);
    s
}

/// At least the bytes a string takes in the JSON (escapes only add to it).
fn min_len(s: &str) -> usize {
    s.len().min(json::MAX_STRING_BYTES) + 2
}

/// Drops what an item can lose, last in first, to save about `excess` bytes: its context or
/// attributes, then (an exception) its outermost frames. False when nothing is left to drop
/// (spans have a few short attributes; a measurement's values are its point).
fn shrink(item: &mut Item, excess: usize) -> bool {
    let (map, mut frames) = match item {
        Item::Log(l) => (&mut l.context, None),
        Item::Exception(e) => (&mut e.context, Some(&mut e.frames)),
        Item::Measurement(m) => (&mut m.context, None),
        Item::Event(e) => (&mut e.attributes, None),
        Item::Span(_) => return false,
    };
    let mut saved = 0;
    while saved < excess {
        if let Some((k, v)) = map.pop() {
            // `"k":"v",`
            saved += min_len(&k) + min_len(&v) + 2;
        } else if let Some(f) = frames.as_mut().and_then(|f| f.pop()) {
            // `{"function":"f","filename":"n"},`
            saved += min_len(&f.function) + min_len(&f.filename) + 26;
        } else {
            break;
        }
    }
    saved > 0
}

/// Writes one item as its JSON object, every string capped at [`json::MAX_STRING_BYTES`] and
/// the whole at [`MAX_ITEM_BYTES`]: entries are dropped (see `shrink`) until it fits, and
/// the result says so in `shrunk`. An item that cannot be brought under is returned as it
/// is, [`Encoded::too_large`].
pub fn encode(mut item: Item) -> Encoded {
    let mut encoded = encode_whole(&item);
    if !encoded.too_large() {
        return encoded;
    }
    while encoded.too_large() && shrink(&mut item, encoded.json.len() - MAX_ITEM_BYTES) {
        encoded = encode_whole(&item);
    }
    encoded.shrunk = true;
    encoded
}

fn encode_whole(item: &Item) -> Encoded {
    let mut s = String::with_capacity(256);
    let mut o = Obj::new(&mut s);
    match item {
        Item::Log(l) => {
            o.str("message", &l.message).str("level", &l.level);
            o.str_map("context", &l.context);
            push_timestamp(&mut o, l.timestamp);
            push_trace(&mut o, &l.trace);
        }
        Item::Exception(e) => {
            o.str("type", &e.kind).str("value", &e.value);
            push_timestamp(&mut o, e.timestamp);
            if !e.frames.is_empty() {
                push_stacktrace(o.key("stacktrace"), &e.frames);
            }
            o.str_map("context", &e.context);
            push_trace(&mut o, &e.trace);
        }
        Item::Measurement(m) => {
            o.str("type", &m.kind);
            {
                let out = o.key("values");
                let mut vo = Obj::new(out);
                for (k, v) in &m.values {
                    vo.f64(k, *v);
                }
                vo.end();
            }
            push_timestamp(&mut o, m.timestamp);
            o.str_map("context", &m.context);
            push_trace(&mut o, &m.trace);
        }
        Item::Event(e) => {
            o.str("name", &e.name).opt_str("domain", Some(&e.domain));
            o.str_map("attributes", &e.attributes);
            push_timestamp(&mut o, e.timestamp);
            push_trace(&mut o, &e.trace);
        }
        Item::Span(sp) => {
            o.str("traceId", &sp.trace_id).str("spanId", &sp.span_id);
            o.opt_str("parentSpanId", Some(&sp.parent_span_id));
            o.str("name", &sp.name).i64("kind", sp.kind as i64);
            o.str("startTimeUnixNano", &nanos(sp.start));
            o.str("endTimeUnixNano", &nanos(sp.end));
            let out = o.key("attributes");
            push_attributes(out, &sp.attributes);
            let out = o.key("status");
            let mut st = Obj::new(out);
            if sp.status_code != 0 {
                st.i64("code", sp.status_code as i64);
            }
            st.end();
        }
    }
    o.end();
    Encoded {
        kind: item.kind(),
        json: s,
        is_exception: matches!(item, Item::Exception(_)),
        shrunk: false,
    }
}

/// Writes an exception's `{"frames":[…]}`.
fn push_stacktrace(out: &mut String, frames: &[Frame]) {
    let mut st = Obj::new(out);
    let out = st.key("frames");
    out.push('[');
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut fo = Obj::new(out);
        fo.str("function", &f.function).str("filename", &f.filename);
        if f.lineno > 0 {
            fo.i64("lineno", f.lineno as i64);
        }
        if f.colno > 0 {
            fo.i64("colno", f.colno as i64);
        }
        fo.end();
    }
    out.push(']');
    st.end();
}

/// Writes OTLP `[{key, value:{…Value}}]`.
pub fn push_attributes(out: &mut String, attrs: &[(String, AttrValue)]) {
    out.push('[');
    for (i, (k, v)) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut a = Obj::new(out);
        a.str("key", k);
        let out = a.key("value");
        let mut vo = Obj::new(out);
        match v {
            AttrValue::Str(s) => {
                vo.str("stringValue", s);
            }
            AttrValue::Int(n) => {
                let mut s = String::new();
                json::push_i64(&mut s, *n);
                vo.str("intValue", &s);
            }
            AttrValue::Double(d) => {
                vo.f64("doubleValue", *d);
            }
            AttrValue::Bool(b) => {
                vo.bool("boolValue", *b);
            }
        }
        vo.end();
        a.end();
    }
    out.push(']');
}

/// The app, as `meta.app`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct App {
    /// Required name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Environment.
    pub environment: String,
    /// Namespace.
    pub namespace: String,
    /// Release (source maps).
    pub release: String,
}

/// The user, as `meta.user`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Extra string attributes.
    pub attributes: StrMap,
}

/// The browser, as `meta.browser`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Browser {
    /// `Chrome`, `Firefox`, …
    pub name: String,
    /// Its version.
    pub version: String,
    /// Operating system.
    pub os: String,
    /// Mobile device.
    pub mobile: bool,
    /// The raw user agent.
    pub user_agent: String,
    /// `navigator.language`.
    pub language: String,
    /// `innerWidth`, as a string on the wire.
    pub viewport_width: u32,
    /// `innerHeight`, as a string on the wire.
    pub viewport_height: u32,
}

/// Everything `meta` carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    /// SDK version.
    pub sdk_version: String,
    /// The app.
    pub app: App,
    /// Session id; left out when empty.
    pub session_id: String,
    /// Session attributes (`isSampled`).
    pub session_attributes: StrMap,
    /// Page URL (already redacted).
    pub page_url: String,
    /// Page id (one per page view).
    pub page_id: String,
    /// Browser facts.
    pub browser: Option<Browser>,
    /// View name; left out when empty.
    pub view: String,
    /// User; left out when `None`.
    pub user: Option<User>,
}

/// SDK name on the wire.
pub const SDK_NAME: &str = "wasm-rum";

/// Writes `meta` as JSON.
pub fn encode_meta(m: &Meta) -> String {
    let mut s = String::with_capacity(512);
    let mut o = Obj::new(&mut s);
    {
        let out = o.key("sdk");
        let mut so = Obj::new(out);
        so.str("name", SDK_NAME).str("version", &m.sdk_version);
        so.end();
    }
    {
        let out = o.key("app");
        let mut a = Obj::new(out);
        a.str("name", &m.app.name)
            .opt_str("namespace", Some(&m.app.namespace))
            .opt_str("release", Some(&m.app.release))
            .opt_str("version", Some(&m.app.version))
            .opt_str("environment", Some(&m.app.environment));
        a.end();
    }
    if let Some(u) = &m.user {
        let out = o.key("user");
        let mut uo = Obj::new(out);
        uo.opt_str("id", Some(&u.id))
            .opt_str("username", Some(&u.username))
            .opt_str("email", Some(&u.email))
            .str_map("attributes", &u.attributes);
        uo.end();
    }
    if !m.session_id.is_empty() {
        let out = o.key("session");
        let mut so = Obj::new(out);
        so.str("id", &m.session_id)
            .str_map("attributes", &m.session_attributes);
        so.end();
    }
    {
        let out = o.key("page");
        let mut p = Obj::new(out);
        p.opt_str("id", Some(&m.page_id)).str("url", &m.page_url);
        p.end();
    }
    if let Some(b) = &m.browser {
        let out = o.key("browser");
        let mut bo = Obj::new(out);
        let mut w = String::new();
        json::push_u64(&mut w, b.viewport_width as u64);
        let mut h = String::new();
        json::push_u64(&mut h, b.viewport_height as u64);
        bo.opt_str("name", Some(&b.name))
            .opt_str("version", Some(&b.version))
            .opt_str("os", Some(&b.os))
            .bool("mobile", b.mobile)
            .opt_str("userAgent", Some(&b.user_agent))
            .opt_str("language", Some(&b.language))
            .str("viewportWidth", &w)
            .str("viewportHeight", &h);
        bo.end();
    }
    if !m.view.is_empty() {
        let out = o.key("view");
        let mut v = Obj::new(out);
        v.str("name", &m.view);
        v.end();
    }
    o.end();
    s
}

/// The OTLP resource and scope a payload's spans travel under.
pub fn encode_resource(app: &App, session_id: &str) -> String {
    let mut attrs = Vec::new();
    push_attr(&mut attrs, "service.name", AttrValue::Str(app.name.clone()));
    let mut text = |key, v: &str| {
        if !v.is_empty() {
            push_attr(&mut attrs, key, AttrValue::Str(v.into()));
        }
    };
    text("service.version", &app.version);
    text("service.namespace", &app.namespace);
    text("deployment.environment.name", &app.environment);
    text("telemetry.sdk.name", SDK_NAME);
    text("process.runtime.name", "browser");
    text("session.id", session_id);
    let mut s = String::from("{\"attributes\":");
    push_attributes(&mut s, &attrs);
    s.push('}');
    s
}

/// Joins encoded items under one meta into a payload body.
/// `resource` is the JSON of the OTLP resource used when spans are present.
pub fn body(meta_json: &str, resource_json: &str, sdk_version: &str, items: &[&Encoded]) -> String {
    let mut size = meta_json.len() + 64;
    for i in items {
        size += i.json.len() + 1;
    }
    let mut s = String::with_capacity(size);
    s.push_str("{\"meta\":");
    s.push_str(meta_json);
    for kind in Kind::ALL {
        let mut first = true;
        for it in items.iter().filter(|i| i.kind == kind) {
            if first {
                s.push_str(",\"");
                s.push_str(kind.key());
                if kind == Kind::Span {
                    s.push_str("\":{\"resourceSpans\":[{\"resource\":");
                    s.push_str(resource_json);
                    s.push_str(",\"scopeSpans\":[{\"scope\":{\"name\":\"wasm-rum\",\"version\":");
                    json::push_str(&mut s, sdk_version);
                    s.push_str("},\"spans\":[");
                } else {
                    s.push_str("\":[");
                }
                first = false;
            } else {
                s.push(',');
            }
            s.push_str(&it.json);
        }
        if !first {
            s.push_str(if kind == Kind::Span { "]}]}]}" } else { "]" });
        }
    }
    s.push('}');
    s
}

/// Bytes a body adds for an item beyond its own JSON (comma, list key, span envelope): an upper bound.
pub fn envelope_overhead(kind: Kind) -> usize {
    match kind {
        Kind::Span => 160,
        _ => 20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            sdk_version: "0.1.0".into(),
            app: App {
                name: "shop".into(),
                version: "1.2".into(),
                ..Default::default()
            },
            session_id: "abc123".into(),
            session_attributes: vec![("isSampled".into(), "true".into())],
            page_url: "https://shop.example/checkout".into(),
            page_id: "p1".into(),
            browser: Some(Browser {
                name: "Chrome".into(),
                viewport_width: 1440,
                viewport_height: 900,
                ..Default::default()
            }),
            view: "checkout".into(),
            user: None,
        }
    }

    #[test]
    fn meta_has_faro_shape_with_string_viewport() {
        let m = encode_meta(&meta());
        assert_eq!(
            m,
            r#"{"sdk":{"name":"wasm-rum","version":"0.1.0"},"app":{"name":"shop","version":"1.2"},"session":{"id":"abc123","attributes":{"isSampled":"true"}},"page":{"id":"p1","url":"https://shop.example/checkout"},"browser":{"name":"Chrome","mobile":false,"viewportWidth":"1440","viewportHeight":"900"},"view":{"name":"checkout"}}"#
        );
    }

    #[test]
    fn the_resource_names_the_service_and_leaves_out_what_is_not_set() {
        let app = App {
            name: "shop".into(),
            environment: "prod".into(),
            ..Default::default()
        };
        let attr = |k: &str, v: &str| {
            let mut s = String::from(r#"{"key":""#);
            s.push_str(k);
            s.push_str(r#"","value":{"stringValue":""#);
            s.push_str(v);
            s.push_str(r#""}}"#);
            s
        };
        let expected = |session: Option<&str>| {
            let mut parts = vec![
                attr("service.name", "shop"),
                attr("deployment.environment.name", "prod"),
                attr("telemetry.sdk.name", "wasm-rum"),
                attr("process.runtime.name", "browser"),
            ];
            if let Some(id) = session {
                parts.push(attr("session.id", id));
            }
            String::from(r#"{"attributes":["#) + &parts.join(",") + "]}"
        };
        assert_eq!(encode_resource(&app, "abc"), expected(Some("abc")));
        assert_eq!(encode_resource(&app, ""), expected(None));
        let unnamed = encode_resource(&App::default(), "");
        assert!(unnamed
            .starts_with(r#"{"attributes":[{"key":"service.name","value":{"stringValue":""}}"#));
    }

    #[test]
    fn exception_frames_have_integer_positions() {
        let e = encode(Item::Exception(Exception {
            kind: "TypeError".into(),
            value: "x is undefined".into(),
            timestamp: 1_787_566_502_123.0,
            frames: vec![Frame {
                function: "f".into(),
                filename: "https://a/app.js".into(),
                lineno: 1,
                colno: 48,
            }],
            context: vec![],
            trace: None,
        }));
        assert_eq!(
            e.json,
            r#"{"type":"TypeError","value":"x is undefined","timestamp":"2026-08-24T10:15:02.123Z","stacktrace":{"frames":[{"function":"f","filename":"https://a/app.js","lineno":1,"colno":48}]}}"#
        );
        assert!(e.is_exception);
    }

    #[test]
    fn body_groups_items_by_kind_and_wraps_spans_in_otlp() {
        let log = encode(Item::Log(Log {
            message: "hi".into(),
            level: "info".into(),
            context: vec![],
            timestamp: 0.0,
            trace: None,
        }));
        let span = encode(Item::Span(Span {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "00f067aa0ba902b7".into(),
            parent_span_id: String::new(),
            name: "GET".into(),
            kind: 3,
            start: 1000.0,
            end: 1500.5,
            attributes: vec![("server.port".into(), AttrValue::Int(443))],
            status_code: 2,
            scope: "wasm-rum/fetch".into(),
        }));
        let b = body("{}", "{\"attributes\":[]}", "0.1.0", &[&span, &log]);
        assert_eq!(
            b,
            r#"{"meta":{},"logs":[{"message":"hi","level":"info"}],"traces":{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"wasm-rum","version":"0.1.0"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"GET","kind":3,"startTimeUnixNano":"1000000000","endTimeUnixNano":"1500500000","attributes":[{"key":"server.port","value":{"intValue":"443"}}],"status":{"code":2}}]}]}]}}"#
        );
    }

    fn attrs(n: usize, value_len: usize) -> StrMap {
        (0..n)
            .map(|i| {
                let mut k = String::from("k");
                json::push_u64(&mut k, i as u64);
                (k, "v".repeat(value_len))
            })
            .collect()
    }

    #[test]
    fn a_huge_message_is_cut_and_the_item_is_not_counted_as_shrunk() {
        let e = encode(Item::Log(Log {
            message: "m".repeat(1 << 20),
            level: "info".into(),
            context: vec![("k".into(), "v".into())],
            timestamp: 0.0,
            trace: None,
        }));
        let expected = "m".repeat(json::MAX_STRING_BYTES - json::TRUNCATED.len()) + json::TRUNCATED;
        assert!(e.json.contains(&expected));
        assert!(e.json.contains(r#""context":{"k":"v"}"#));
        assert!(!e.oversize());
    }

    #[test]
    fn attributes_are_dropped_last_in_first_until_the_item_fits() {
        let event = Event {
            name: "big".into(),
            domain: String::new(),
            attributes: attrs(100, 1_000),
            timestamp: 0.0,
            trace: None,
        };
        let e = encode(Item::Event(event.clone()));
        assert!(e.shrunk && !e.too_large() && e.oversize());
        assert!(e.json.len() <= MAX_ITEM_BYTES);
        assert!(
            e.json.len() > MAX_ITEM_BYTES - 1_010,
            "no more dropped than needed"
        );
        // The first ones stay, in order; the last ones went.
        let kept = attrs(100, 1_000)
            .into_iter()
            .take_while(|(k, _)| e.json.contains(&(String::from("\"") + k + "\"")))
            .count();
        assert!((30..40).contains(&kept), "{kept}");
        assert!(!e.json.contains("\"k99\""));
        let mut small = event;
        small.attributes.truncate(kept);
        assert_eq!(encode(Item::Event(small)).json, e.json);
    }

    #[test]
    fn an_exception_loses_its_context_then_its_outermost_frames() {
        let frame = |i: u32| Frame {
            function: "f".repeat(2_000),
            filename: "https://a.test/".to_string() + &"x".repeat(20_000),
            lineno: i + 1,
            colno: 1,
        };
        let e = encode(Item::Exception(Exception {
            kind: "Error".into(),
            value: "boom".into(),
            timestamp: 0.0,
            frames: (0..50).map(frame).collect(),
            context: attrs(5, 100),
            trace: None,
        }));
        assert!(e.shrunk && e.json.len() <= MAX_ITEM_BYTES);
        assert!(!e.json.contains("context"));
        assert!(e.json.contains(r#""lineno":1,"#) && e.json.contains(r#""lineno":3,"#));
        assert!(
            !e.json.contains(r#""lineno":4,"#),
            "each frame is ~10 KB once capped"
        );
    }

    #[test]
    fn an_item_still_too_large_after_before_send_is_oversize() {
        let mut e = encode(Item::Log(Log {
            message: "m".into(),
            level: "info".into(),
            context: vec![],
            timestamp: 0.0,
            trace: None,
        }));
        assert!(!e.oversize());
        e.json = "x".repeat(MAX_ITEM_BYTES + 1);
        assert!(e.too_large() && e.oversize());
    }
}
