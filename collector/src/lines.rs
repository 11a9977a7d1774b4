//! Log lines with the keys and order Grafana Alloy's `faro.receiver` writes, as logfmt or as
//! flat JSON objects.

use crate::payload::{Event, Exception, Log, Measurement, Meta, Span, TraceContext};
use chrono::{DateTime, Utc};

/// The output format of `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `key=value` pairs, quoted where needed.
    Logfmt,
    /// One flat JSON object per line.
    Json,
}

/// Who chose a key: the collector (a fixed name) or the sender (a `context`, `attributes` or
/// `values` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Own,
    Sender,
}

/// Declares the collector's own keys once, as a list (for tests) and as a `match` (fast: it
/// runs for every key a sender chose).
macro_rules! reserved_keys {
    ($($key:literal),* $(,)?) => {
        /// Every key the collector itself writes on some line. A sender's key never takes one
        /// of these names, even on a line where the collector's own value is empty and so
        /// left out.
        #[cfg(test)]
        const RESERVED: &[&str] = &[$($key),*];

        /// Whether `key` is one of the collector's own keys.
        fn is_reserved(key: &str) -> bool {
            matches!(key, $($key)|*)
        }
    };
}

reserved_keys!(
    "timestamp",
    "kind",
    "message",
    "level",
    "type",
    "value",
    "stacktrace",
    "hash",
    "traceID",
    "spanID",
    "parentSpanID",
    "event_name",
    "event_domain",
    "name",
    "span_kind",
    "status",
    "duration_ns",
    "service_name",
    "sdk_name",
    "sdk_version",
    "sdk_integrations",
    "app_name",
    "app_namespace",
    "app_release",
    "app_version",
    "app_environment",
    "user_email",
    "user_id",
    "user_username",
    "session_id",
    "page_id",
    "page_url",
    "browser_name",
    "browser_version",
    "browser_os",
    "browser_mobile",
    "browser_userAgent",
    "browser_language",
    "browser_viewportWidth",
    "browser_viewportHeight",
    "view_name",
);

/// The characters a key may hold; anything else in a sender's key becomes `_`.
fn key_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// `prefix` + the sender's `key` with every character outside `[A-Za-z0-9_.-]` replaced by `_`
/// (an empty result becomes `_`), so a key can never end a pair, open a quote or start a line.
pub fn sanitize_key(prefix: &str, key: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + key.len());
    out.push_str(prefix);
    out.extend(key.chars().map(|c| if key_char_ok(c) { c } else { '_' }));
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// One line: ordered key/value pairs, each marked as the collector's own key or the sender's.
/// Empty values are left out, as Alloy does.
#[derive(Clone, Debug, Default)]
pub struct KeyVals {
    pairs: Vec<(String, String, Origin)>,
}

impl KeyVals {
    pub fn new() -> Self {
        KeyVals::default()
    }

    /// A key the collector names (a constant in `[A-Za-z0-9_.-]`).
    pub fn own(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.pairs.push((key.to_string(), value, Origin::Own));
        }
    }

    /// `prefix` + a key the sender chose, sanitised; see [`KeyVals::resolved`] for clashes.
    pub fn sender(&mut self, prefix: &str, key: &str, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.pairs
                .push((sanitize_key(prefix, key), value, Origin::Sender));
        }
    }

    /// The value of one of the collector's own keys.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _, o)| *o == Origin::Own && k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// Calls `f` with each pair as written: a sender's key that equals one of the collector's
    /// keys (or one written before it) gets `_` prepended until it is unique, so it can never
    /// shadow `kind`, `app_name` and the like, in logfmt or JSON.
    pub fn for_each_resolved(&self, mut f: impl FnMut(&str, &str)) {
        use std::borrow::Cow;
        use std::collections::HashSet;
        // Sender keys written so far: a short list, a set once there are many.
        let mut few: Vec<Cow<'_, str>> = Vec::new();
        let mut many: HashSet<Cow<'_, str>> = HashSet::new();
        for (k, v, o) in &self.pairs {
            if *o == Origin::Own {
                f(k, v);
                continue;
            }
            let mut key = Cow::Borrowed(k.as_str());
            // The reserved list, and the collector's keys on this line it lacks (the plain
            // web-vitals line's `context_*`): compared to the line's own keys only when a
            // sender key comes (a length check each, mostly), nothing built per line.
            while is_reserved(&key)
                || self
                    .pairs
                    .iter()
                    .any(|(own, _, o)| *o == Origin::Own && *own == *key)
                || few.contains(&key)
                || many.contains(&key)
            {
                key = Cow::Owned(format!("_{key}"));
            }
            f(&key, v);
            if few.len() < 16 {
                few.push(key);
            } else {
                many.insert(key);
            }
        }
    }
}

/// Go's `time.Time.String()`: `2021-09-30 10:46:17.68 +0000 UTC` (trailing zeros trimmed).
pub fn go_time(t: &DateTime<Utc>) -> String {
    let mut frac = format!("{:09}", t.timestamp_subsec_nanos());
    while frac.ends_with('0') {
        frac.pop();
    }
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac.is_empty() {
        format!("{base} +0000 UTC")
    } else {
        format!("{base}.{frac} +0000 UTC")
    }
}

fn timestamp(kv: &mut KeyVals, t: &Option<DateTime<Utc>>) {
    let t = t.unwrap_or_else(Utc::now);
    kv.own("timestamp", go_time(&t));
}

fn trace(kv: &mut KeyVals, t: &Option<TraceContext>) {
    if let Some(t) = t {
        kv.own("traceID", t.trace_id.clone());
        kv.own("spanID", t.span_id.clone());
    }
}

fn context(kv: &mut KeyVals, prefix: &str, map: &std::collections::BTreeMap<String, String>) {
    for (k, v) in map {
        kv.sender(prefix, k, v.clone());
    }
}

/// `%f` as Go prints it: six decimals.
fn fixed6(v: f64) -> String {
    format!("{v:.6}")
}

/// Shortest float, as Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
fn shortest(v: f64) -> String {
    let s = format!("{v}");
    s
}

/// The meta keys appended to every line.
pub fn meta(kv: &mut KeyVals, m: &Meta) {
    kv.own("sdk_name", m.sdk.name.clone());
    kv.own("sdk_version", m.sdk.version.clone());
    let integrations: Vec<String> = m
        .sdk
        .integrations
        .iter()
        .map(|i| format!("{}:{}", i.name, i.version))
        .collect();
    kv.own("sdk_integrations", integrations.join(","));
    kv.own("app_name", m.app.name.clone());
    kv.own("app_namespace", m.app.namespace.clone());
    kv.own("app_release", m.app.release.clone());
    kv.own("app_version", m.app.version.clone());
    kv.own("app_environment", m.app.environment.clone());
    kv.own("user_email", m.user.email.clone());
    kv.own("user_id", m.user.id.clone());
    kv.own("user_username", m.user.username.clone());
    context(kv, "user_attr_", &m.user.attributes);
    kv.own("session_id", m.session.id.clone());
    context(kv, "session_attr_", &m.session.attributes);
    kv.own("page_id", m.page.id.clone());
    kv.own("page_url", m.page.url.clone());
    context(kv, "page_attr_", &m.page.attributes);
    kv.own("browser_name", m.browser.name.clone());
    kv.own("browser_version", m.browser.version.clone());
    kv.own("browser_os", m.browser.os.clone());
    kv.own("browser_mobile", m.browser.mobile.to_string());
    kv.own("browser_userAgent", m.browser.user_agent.clone());
    kv.own("browser_language", m.browser.language.clone());
    kv.own("browser_viewportWidth", m.browser.viewport_width.clone());
    kv.own("browser_viewportHeight", m.browser.viewport_height.clone());
    kv.own("view_name", m.view.name.clone());
}

/// A log item's line.
pub fn log(l: &Log, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &l.timestamp);
    kv.own("kind", "log");
    kv.own("message", l.message.clone());
    kv.own("level", l.level.clone());
    context(&mut kv, "context_", &l.context);
    trace(&mut kv, &l.trace);
    meta(&mut kv, m);
    kv
}

/// The readable stack Alloy writes: `Type: value\n  at fn (file:line:col)`.
pub fn stacktrace(e: &Exception) -> String {
    let mut s = format!("{}: {}", e.kind, e.value);
    if let Some(st) = &e.stacktrace {
        for f in &st.frames {
            let file = if f.module.is_empty() {
                &f.filename
            } else {
                &f.module
            };
            let loc = format!("{file}:{}:{}", f.lineno, f.colno);
            if f.function.is_empty() {
                s.push_str(&format!("\n  at {loc}"));
            } else {
                s.push_str(&format!("\n  at {} ({loc})", f.function));
            }
        }
    }
    s
}

/// An exception's line.
pub fn exception(e: &Exception, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &e.timestamp);
    kv.own("kind", "exception");
    kv.own("type", e.kind.clone());
    kv.own("value", e.value.clone());
    kv.own("stacktrace", stacktrace(e));
    kv.own(
        "hash",
        xxhash_rust::xxh3::xxh3_64(e.value.as_bytes()).to_string(),
    );
    context(&mut kv, "context_", &e.context);
    trace(&mut kv, &e.trace);
    meta(&mut kv, m);
    kv
}

/// A measurement's line.
pub fn measurement(me: &Measurement, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &me.timestamp);
    kv.own("kind", "measurement");
    kv.own("type", me.kind.clone());
    for (k, v) in &me.values {
        kv.sender("", k, fixed6(*v));
    }
    trace(&mut kv, &me.trace);
    context(&mut kv, "context_", &me.context);
    for (k, v) in &me.values {
        kv.sender("value_", k, shortest(*v));
    }
    meta(&mut kv, m);
    kv
}

/// An event's line.
pub fn event(e: &Event, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &e.timestamp);
    kv.own("kind", "event");
    kv.own("event_name", e.name.clone());
    kv.own("event_domain", e.domain.clone());
    context(&mut kv, "event_data_", &e.attributes);
    trace(&mut kv, &e.trace);
    meta(&mut kv, m);
    kv
}

/// A span's line, written when no OTLP endpoint takes traces.
pub fn span(s: &Span, service_name: &str, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    kv.own("timestamp", go_time(&Utc::now()));
    kv.own("kind", "span");
    kv.own("traceID", s.trace_id.clone());
    kv.own("spanID", s.span_id.clone());
    kv.own("parentSpanID", s.parent_span_id.clone());
    kv.own("name", s.name.clone());
    let kind = match s.kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    };
    kv.own("span_kind", kind);
    let status = match s.status.code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    kv.own("status", status);
    let dur = s.end_time_unix_nano.0 - s.start_time_unix_nano.0;
    kv.own("duration_ns", dur.max(0).to_string());
    for a in &s.attributes {
        kv.sender("attr_", &a.key, a.value.text());
    }
    kv.own("service_name", service_name.to_string());
    meta(&mut kv, m);
    kv
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.chars()
            .any(|c| c == ' ' || c == '=' || c == '"' || c.is_control() || c == '\u{fffd}')
}

/// Formats a line.
pub fn render(kv: &KeyVals, format: Format) -> String {
    match format {
        Format::Json => {
            let mut map = serde_json::Map::new();
            kv.for_each_resolved(|k, v| {
                map.insert(k.to_string(), serde_json::Value::String(v.to_string()));
            });
            serde_json::Value::Object(map).to_string()
        }
        Format::Logfmt => {
            let mut out = String::new();
            kv.for_each_resolved(|k, v| {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(k);
                out.push('=');
                if needs_quotes(v) {
                    out.push('"');
                    for c in v.chars() {
                        match c {
                            '"' => out.push_str("\\\""),
                            '\\' => out.push_str("\\\\"),
                            '\n' => out.push_str("\\n"),
                            '\r' => out.push_str("\\r"),
                            '\t' => out.push_str("\\t"),
                            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                            c => out.push(c),
                        }
                    }
                    out.push('"');
                } else {
                    out.push_str(v);
                }
            });
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::decode;

    #[test]
    fn measurement_line_matches_alloys_shape() {
        let p = decode(br#"{"meta":{"app":{"name":"shop"},"session":{"id":"s1"},"page":{"url":"https://x.test/a b"}},
          "measurements":[{"type":"web-vitals","values":{"lcp":2412.3,"delta":2412.3},"timestamp":"2021-09-30T10:46:17.680Z","context":{"rating":"good"},"trace":{"trace_id":"a363d4f4417aa83158c437febd2d8838","span_id":"42876ecc4c1feafa"}}]}"#).unwrap();
        let line = render(&measurement(&p.measurements[0], &p.meta), Format::Logfmt);
        assert_eq!(
            line,
            "timestamp=\"2021-09-30 10:46:17.68 +0000 UTC\" kind=measurement type=web-vitals delta=2412.300000 lcp=2412.300000 traceID=a363d4f4417aa83158c437febd2d8838 spanID=42876ecc4c1feafa context_rating=good value_delta=2412.3 value_lcp=2412.3 app_name=shop session_id=s1 page_url=\"https://x.test/a b\" browser_mobile=false"
        );
    }

    #[test]
    fn exception_line_has_a_readable_stack_and_hash() {
        let p = decode(br#"{"exceptions":[{"type":"TypeError","value":"boom","stacktrace":{"frames":[{"function":"onClick","filename":"https://x.test/app.js","lineno":3,"colno":9},{"filename":"https://x.test/app.js","lineno":1,"colno":1}]}}]}"#).unwrap();
        let kv = exception(&p.exceptions[0], &p.meta);
        let st = kv.get("stacktrace").unwrap();
        assert_eq!(st, "TypeError: boom\n  at onClick (https://x.test/app.js:3:9)\n  at https://x.test/app.js:1:1");
        let json: serde_json::Value = serde_json::from_str(&render(&kv, Format::Json)).unwrap();
        assert_eq!(json["kind"], "exception");
        assert_eq!(
            json["hash"],
            xxhash_rust::xxh3::xxh3_64(b"boom").to_string()
        );
        assert!(render(&kv, Format::Logfmt).contains("stacktrace=\"TypeError: boom\\n  at onClick"));
    }
}

#[cfg(test)]
mod forgery {
    use super::*;
    use crate::payload::{Event, Log, Measurement, Meta};
    use proptest::prelude::*;

    /// A strict logfmt reader (go-logfmt's grammar): `key=value` pairs separated by one space,
    /// values bare or double-quoted with `\" \\ \n \r \t \uXXXX` escapes.
    fn parse_logfmt(line: &str) -> Result<Vec<(String, String)>, String> {
        let mut pairs = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let mut key = String::new();
            loop {
                match chars.next() {
                    Some('=') => break,
                    Some(c) if c == ' ' || c == '"' => {
                        return Err(format!("bad key char in {key}"))
                    }
                    Some(c) => key.push(c),
                    None => return Err(format!("key {key} without a value")),
                }
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => value.push('"'),
                            Some('\\') => value.push('\\'),
                            Some('n') => value.push('\n'),
                            Some('r') => value.push('\r'),
                            Some('t') => value.push('\t'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                let n = u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?;
                                value.push(char::from_u32(n).ok_or("bad \\u")?);
                            }
                            other => return Err(format!("bad escape {other:?}")),
                        },
                        Some(c) => value.push(c),
                        None => return Err("unterminated quote".into()),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
            pairs.push((key, value));
            match chars.next() {
                None => return Ok(pairs),
                Some(' ') => {}
                Some(c) => return Err(format!("{c:?} after a value")),
            }
        }
    }

    fn hostile_key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(RESERVED.to_vec()).prop_map(str::to_string),
            Just("x\nkind=exception app_name=bank".to_string()),
            Just("a b=\"c\"".to_string()),
            Just(String::new()),
            Just("context_rating".to_string()),
            Just("value_lcp".to_string()),
            Just("lcp".to_string()),
            ".{0,12}",
        ]
    }

    fn hostile_map() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
        proptest::collection::btree_map(hostile_key(), ".{0,12}", 0..6)
    }

    fn check(kv: &KeyVals, kind: &str, app: &str) -> Result<(), TestCaseError> {
        let logfmt = render(kv, Format::Logfmt);
        prop_assert!(!logfmt.contains('\n') && !logfmt.contains('\r'), "{logfmt}");
        let pairs =
            parse_logfmt(&logfmt).map_err(|e| TestCaseError::fail(format!("{e}: {logfmt}")))?;
        let mut seen = std::collections::HashSet::new();
        for (k, _) in &pairs {
            prop_assert!(!k.is_empty() && k.chars().all(key_char_ok), "key {k:?}");
            prop_assert!(seen.insert(k.clone()), "duplicate key {k:?} in {logfmt}");
        }
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        prop_assert_eq!(get("kind"), Some(kind));
        prop_assert_eq!(get("app_name"), (!app.is_empty()).then_some(app));
        let json: serde_json::Value = serde_json::from_str(&render(kv, Format::Json)).unwrap();
        let obj = json.as_object().unwrap();
        prop_assert_eq!(obj.len(), pairs.len(), "a JSON key was overwritten");
        prop_assert_eq!(obj.get("kind").and_then(|v| v.as_str()), Some(kind));
        prop_assert_eq!(
            obj.get("app_name").and_then(|v| v.as_str()),
            (!app.is_empty()).then_some(app)
        );
        for (k, v) in &pairs {
            prop_assert_eq!(obj.get(k).and_then(|x| x.as_str()), Some(v.as_str()));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn sender_keys_never_forge_a_line_or_shadow_ours(
            app in prop_oneof![Just(String::new()), Just("shop".to_string())],
            context in hostile_map(),
            attrs in hostile_map(),
            values in proptest::collection::btree_map(hostile_key(), 0.0f64..1e6, 0..6),
        ) {
            let mut meta = Meta::default();
            meta.app.name = app.clone();
            meta.page.attributes = attrs.clone();
            meta.user.attributes = attrs.clone();
            let m = Measurement {
                kind: "web-vitals".into(),
                values,
                context: context.clone(),
                ..Default::default()
            };
            check(&measurement(&m, &meta), "measurement", &app)?;
            let e = Event { name: "click".into(), attributes: context.clone(), ..Default::default() };
            check(&event(&e, &meta), "event", &app)?;
            let l = Log { message: "m".into(), context, ..Default::default() };
            check(&log(&l, &meta), "log", &app)?;
        }
    }

    #[test]
    fn the_match_and_the_list_agree() {
        assert!(RESERVED.iter().all(|k| is_reserved(k)));
        assert!(!is_reserved("context_rating") && !is_reserved("lcp"));
    }

    #[test]
    fn a_values_key_named_kind_is_prefixed() {
        let m = Measurement {
            kind: "custom".into(),
            values: [("kind".to_string(), 1.0)].into(),
            ..Default::default()
        };
        let line = render(&measurement(&m, &Meta::default()), Format::Logfmt);
        assert!(line.contains(" kind=measurement "), "{line}");
        assert!(line.contains(" _kind=1.000000 "), "{line}");
    }
}
