//! Log lines with the keys and order Grafana Alloy's `faro.receiver` writes, as logfmt or as
//! flat JSON objects.
//!
//! A line runs once per item of every payload, so it is built without copies: values borrow
//! the payload's strings, own keys are constants, and the line is written into one buffer.

use crate::payload::{Event, Exception, Log, Measurement, Meta, Span, TraceContext};
use chrono::{DateTime, Datelike, Timelike, Utc};
use std::borrow::Cow;
use std::fmt::Write as _;

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

/// Declares the collector's own keys once, as a list (for tests) and as a chain of
/// comparisons (fast: it runs for every key a sender chose; the length is compared first).
macro_rules! reserved_keys {
    ($($key:literal),* $(,)?) => {
        /// Every key the collector itself writes on some line. A sender's key never takes one
        /// of these names, even on a line where the collector's own value is empty and so
        /// left out.
        #[cfg(test)]
        const RESERVED: &[&str] = &[$($key),*];

        /// Whether `key` is one of the collector's own keys.
        fn is_reserved(key: &str) -> bool {
            $(key.len() == $key.len() && key == $key)||*
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

/// [`sanitize_key`], borrowing `key` when it is already clean and has no prefix.
fn sender_key<'a>(prefix: &str, key: &'a str) -> Cow<'a, str> {
    let clean = key.bytes().all(|b| key_char_ok(b as char));
    if prefix.is_empty() && clean && !key.is_empty() {
        Cow::Borrowed(key)
    } else if clean {
        let mut out = String::with_capacity(prefix.len() + key.len().max(1));
        out.push_str(prefix);
        out.push_str(key);
        if out.is_empty() {
            out.push('_');
        }
        Cow::Owned(out)
    } else {
        Cow::Owned(sanitize_key(prefix, key))
    }
}

/// One line: ordered key/value pairs, each marked as the collector's own key or the sender's.
/// Values borrow from the payload where they can. Empty values are left out, as Alloy does.
#[derive(Clone, Debug, Default)]
pub struct KeyVals<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>, Origin)>,
    /// Whether the sender keys have been through [`KeyVals::resolve`] since the last push.
    resolved: bool,
}

/// Equal strings, the lengths compared first (most keys differ in length).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a == b
}

impl<'a> KeyVals<'a> {
    pub fn new() -> Self {
        KeyVals {
            // Room for a line with the usual meta: one allocation.
            pairs: Vec::with_capacity(24),
            resolved: false,
        }
    }

    /// A key the collector names (a constant in `[A-Za-z0-9_.-]`).
    pub fn own(&mut self, key: &'static str, value: impl Into<Cow<'a, str>>) {
        let value = value.into();
        if !value.is_empty() {
            self.pairs.push((Cow::Borrowed(key), value, Origin::Own));
            self.resolved = false;
        }
    }

    /// `prefix` + a key the sender chose, sanitised; see [`KeyVals::resolve`] for clashes.
    pub fn sender(&mut self, prefix: &str, key: &'a str, value: impl Into<Cow<'a, str>>) {
        let value = value.into();
        if !value.is_empty() {
            self.pairs
                .push((sender_key(prefix, key), value, Origin::Sender));
            self.resolved = false;
        }
    }

    /// The value of one of the collector's own keys.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _, o)| *o == Origin::Own && k == key)
            .map(|(_, v, _)| v.as_ref())
    }

    /// Renames the sender keys that clash: a sender's key that equals one of the collector's
    /// keys (or a sender key before it) gets `_` prepended until it is unique, so it can never
    /// shadow `kind`, `app_name` and the like, in logfmt or JSON.
    fn resolve(&mut self) {
        if self.resolved {
            return;
        }
        self.resolved = true;
        // Sender keys before this one: compared in place while few, a set once there are many.
        let mut many: Option<std::collections::HashSet<String>> = None;
        let mut senders = 0usize;
        for i in 0..self.pairs.len() {
            if self.pairs[i].2 == Origin::Own {
                continue;
            }
            loop {
                let key: &str = &self.pairs[i].0;
                // The reserved list, and the collector's keys on this line it lacks (the plain
                // web-vitals line's `context_*`).
                let clash = is_reserved(key)
                    || self
                        .pairs
                        .iter()
                        .any(|(own, _, o)| *o == Origin::Own && same(own, key))
                    || match &many {
                        Some(set) => set.contains(key),
                        None => self.pairs[..i]
                            .iter()
                            .any(|(k, _, o)| *o == Origin::Sender && same(k, key)),
                    };
                if !clash {
                    break;
                }
                let renamed = format!("_{key}");
                self.pairs[i].0 = Cow::Owned(renamed);
            }
            senders += 1;
            match &mut many {
                Some(set) => {
                    set.insert(self.pairs[i].0.to_string());
                }
                None if senders > 16 => {
                    many = Some(
                        self.pairs[..=i]
                            .iter()
                            .filter(|(_, _, o)| *o == Origin::Sender)
                            .map(|(k, _, _)| k.to_string())
                            .collect(),
                    );
                }
                None => {}
            }
        }
    }

    /// Calls `f` with each pair as written, sender keys renamed as [`KeyVals::resolve`] says.
    pub fn for_each_resolved(&mut self, mut f: impl FnMut(&str, &str)) {
        self.resolve();
        for (k, v, _) in &self.pairs {
            f(k, v);
        }
    }
}

/// Appends `n` with at least `width` digits (zero-padded).
fn push_padded(out: &mut String, n: u32, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// Go's `time.Time.String()`: `2021-09-30 10:46:17.68 +0000 UTC` (trailing zeros trimmed).
pub fn go_time(t: &DateTime<Utc>) -> String {
    let (year, nanos) = (t.year(), t.timestamp_subsec_nanos());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return go_time_formatted(t);
    }
    let mut out = String::with_capacity(40);
    push_padded(&mut out, year as u32, 4);
    out.push('-');
    push_padded(&mut out, t.month(), 2);
    out.push('-');
    push_padded(&mut out, t.day(), 2);
    out.push(' ');
    push_padded(&mut out, t.hour(), 2);
    out.push(':');
    push_padded(&mut out, t.minute(), 2);
    out.push(':');
    push_padded(&mut out, t.second(), 2);
    if nanos != 0 {
        let (mut frac, mut width) = (nanos, 9);
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        push_padded(&mut out, frac, width);
    }
    out.push_str(" +0000 UTC");
    out
}

/// [`go_time`] through chrono's formatter: years outside 0-9999 and leap seconds.
fn go_time_formatted(t: &DateTime<Utc>) -> String {
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

fn trace<'a>(kv: &mut KeyVals<'a>, t: &'a Option<TraceContext>) {
    if let Some(t) = t {
        kv.own("traceID", &t.trace_id);
        kv.own("spanID", &t.span_id);
    }
}

fn context<'a>(
    kv: &mut KeyVals<'a>,
    prefix: &str,
    map: &'a std::collections::BTreeMap<String, String>,
) {
    for (k, v) in map {
        kv.sender(prefix, k, v);
    }
}

/// Shortest digits of a finite `v` below 2^32 without an exponent, from the fast shortest-float
/// writer; None elsewhere. Where two shortest forms are equally close it may pick the other
/// one than `{v}` does (std rounds the tie up), so only [`fixed6`] uses it.
fn shortest_digits(v: f64) -> Option<String> {
    if !v.is_finite() || v.abs() >= 4_294_967_296.0 {
        return None;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v);
    if s.contains(['e', 'E']) {
        return None;
    }
    Some(s.strip_suffix(".0").unwrap_or(s).to_string())
}

/// `%f` as Go prints it: six decimals.
fn fixed6(v: f64) -> String {
    // The shortest digits `d` of `v` lie within half an ulp of it. Below 2^32 an ulp is under
    // 1e-6, so when `d` has at most six decimals, `v` rounds to `d` at six decimals: `d`
    // padded with zeros is `{v:.6}`. Anything else takes the exact formatter.
    if let Some(mut d) = shortest_digits(v) {
        let decimals = d.find('.').map_or(0, |dot| d.len() - dot - 1);
        if decimals <= 6 {
            if decimals == 0 {
                d.push('.');
            }
            for _ in decimals..6 {
                d.push('0');
            }
            return d;
        }
    }
    format!("{v:.6}")
}

/// Shortest float, as Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
fn shortest(v: f64) -> String {
    format!("{v}")
}

/// The meta keys appended to every line.
pub fn meta<'a>(kv: &mut KeyVals<'a>, m: &'a Meta) {
    kv.own("sdk_name", &m.sdk.name);
    kv.own("sdk_version", &m.sdk.version);
    if !m.sdk.integrations.is_empty() {
        let mut integrations = String::new();
        for (n, i) in m.sdk.integrations.iter().enumerate() {
            if n > 0 {
                integrations.push(',');
            }
            integrations.push_str(&i.name);
            integrations.push(':');
            integrations.push_str(&i.version);
        }
        kv.own("sdk_integrations", integrations);
    }
    kv.own("app_name", &m.app.name);
    kv.own("app_namespace", &m.app.namespace);
    kv.own("app_release", &m.app.release);
    kv.own("app_version", &m.app.version);
    kv.own("app_environment", &m.app.environment);
    kv.own("user_email", &m.user.email);
    kv.own("user_id", &m.user.id);
    kv.own("user_username", &m.user.username);
    context(kv, "user_attr_", &m.user.attributes);
    kv.own("session_id", &m.session.id);
    context(kv, "session_attr_", &m.session.attributes);
    kv.own("page_id", &m.page.id);
    kv.own("page_url", &m.page.url);
    context(kv, "page_attr_", &m.page.attributes);
    kv.own("browser_name", &m.browser.name);
    kv.own("browser_version", &m.browser.version);
    kv.own("browser_os", &m.browser.os);
    kv.own(
        "browser_mobile",
        if m.browser.mobile { "true" } else { "false" },
    );
    kv.own("browser_userAgent", &m.browser.user_agent);
    kv.own("browser_language", &m.browser.language);
    kv.own("browser_viewportWidth", &m.browser.viewport_width);
    kv.own("browser_viewportHeight", &m.browser.viewport_height);
    kv.own("view_name", &m.view.name);
}

/// A log item's line.
pub fn log<'a>(l: &'a Log, m: &'a Meta) -> KeyVals<'a> {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &l.timestamp);
    kv.own("kind", "log");
    kv.own("message", &l.message);
    kv.own("level", &l.level);
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
            if f.function.is_empty() {
                let _ = write!(s, "\n  at {file}:{}:{}", f.lineno, f.colno);
            } else {
                let _ = write!(s, "\n  at {} ({file}:{}:{})", f.function, f.lineno, f.colno);
            }
        }
    }
    s
}

/// An exception's line.
pub fn exception<'a>(e: &'a Exception, m: &'a Meta) -> KeyVals<'a> {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &e.timestamp);
    kv.own("kind", "exception");
    kv.own("type", &e.kind);
    kv.own("value", &e.value);
    kv.own("stacktrace", stacktrace(e));
    kv.own(
        "hash",
        itoa::Buffer::new()
            .format(xxhash_rust::xxh3::xxh3_64(e.value.as_bytes()))
            .to_string(),
    );
    context(&mut kv, "context_", &e.context);
    trace(&mut kv, &e.trace);
    meta(&mut kv, m);
    kv
}

/// A measurement's line.
pub fn measurement<'a>(me: &'a Measurement, m: &'a Meta) -> KeyVals<'a> {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &me.timestamp);
    kv.own("kind", "measurement");
    kv.own("type", &me.kind);
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
pub fn event<'a>(e: &'a Event, m: &'a Meta) -> KeyVals<'a> {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &e.timestamp);
    kv.own("kind", "event");
    kv.own("event_name", &e.name);
    kv.own("event_domain", &e.domain);
    context(&mut kv, "event_data_", &e.attributes);
    trace(&mut kv, &e.trace);
    meta(&mut kv, m);
    kv
}

/// A span's line, written when no OTLP endpoint takes traces.
pub fn span<'a>(s: &'a Span, service_name: &'a str, m: &'a Meta) -> KeyVals<'a> {
    let mut kv = KeyVals::new();
    kv.own("timestamp", go_time(&Utc::now()));
    kv.own("kind", "span");
    kv.own("traceID", &s.trace_id);
    kv.own("spanID", &s.span_id);
    kv.own("parentSpanID", &s.parent_span_id);
    kv.own("name", &s.name);
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
    kv.own("service_name", service_name);
    meta(&mut kv, m);
    kv
}

/// Whether a logfmt value must be quoted: empty, or holding a space, `=`, `"`, a control
/// character or U+FFFD.
fn needs_quotes(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    for (i, &b) in v.as_bytes().iter().enumerate() {
        if b <= b' ' || b == b'=' || b == b'"' || b == 0x7f {
            return true;
        }
        if b >= 0x80 {
            // Past ASCII: C1 controls and U+FFFD too.
            return v[i..]
                .chars()
                .any(|c| c == ' ' || c == '=' || c == '"' || c.is_control() || c == '\u{fffd}');
        }
    }
    false
}

/// Appends `v` quoted, with `\" \\ \n \r \t \uXXXX` escapes (`\u` for the other control
/// characters, C1 included). Scans bytes: every character escaped is ASCII but the C1
/// controls, which are `C2 80`-`C2 9F` in UTF-8.
fn push_quoted(out: &mut String, v: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let bytes = v.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let (escape, code, len) = match bytes[i] {
            b'"' => ("\\\"", 0, 1),
            b'\\' => ("\\\\", 0, 1),
            b'\n' => ("\\n", 0, 1),
            b'\r' => ("\\r", 0, 1),
            b'\t' => ("\\t", 0, 1),
            b @ (0..=0x1f | 0x7f) => ("", b, 1),
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => ("", bytes[i + 1], 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&v[run..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(code >> 4)] as char);
            out.push(HEX[usize::from(code & 15)] as char);
        } else {
            out.push_str(escape);
        }
        i += len;
        run = i;
    }
    out.push_str(&v[run..]);
    out.push('"');
}

/// Formats a line.
pub fn render(kv: &mut KeyVals, format: Format) -> String {
    match format {
        Format::Json => {
            let mut map = serde_json::Map::new();
            kv.for_each_resolved(|k, v| {
                map.insert(k.to_string(), serde_json::Value::String(v.to_string()));
            });
            serde_json::Value::Object(map).to_string()
        }
        Format::Logfmt => {
            kv.resolve();
            // Keys, values, `=`, spaces and a pair of quotes each: one allocation mostly.
            let size: usize = kv.pairs.iter().map(|(k, v, _)| k.len() + v.len() + 4).sum();
            let mut out = String::with_capacity(size);
            for (k, v, _) in &kv.pairs {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(k);
                out.push('=');
                if needs_quotes(v) {
                    push_quoted(&mut out, v);
                } else {
                    out.push_str(v);
                }
            }
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
        let line = render(
            &mut measurement(&p.measurements[0], &p.meta),
            Format::Logfmt,
        );
        assert_eq!(
            line,
            "timestamp=\"2021-09-30 10:46:17.68 +0000 UTC\" kind=measurement type=web-vitals delta=2412.300000 lcp=2412.300000 traceID=a363d4f4417aa83158c437febd2d8838 spanID=42876ecc4c1feafa context_rating=good value_delta=2412.3 value_lcp=2412.3 app_name=shop session_id=s1 page_url=\"https://x.test/a b\" browser_mobile=false"
        );
    }

    #[test]
    fn exception_line_has_a_readable_stack_and_hash() {
        let p = decode(br#"{"exceptions":[{"type":"TypeError","value":"boom","stacktrace":{"frames":[{"function":"onClick","filename":"https://x.test/app.js","lineno":3,"colno":9},{"filename":"https://x.test/app.js","lineno":1,"colno":1}]}}]}"#).unwrap();
        let mut kv = exception(&p.exceptions[0], &p.meta);
        let st = kv.get("stacktrace").unwrap();
        assert_eq!(st, "TypeError: boom\n  at onClick (https://x.test/app.js:3:9)\n  at https://x.test/app.js:1:1");
        let json: serde_json::Value = serde_json::from_str(&render(&mut kv, Format::Json)).unwrap();
        assert_eq!(json["kind"], "exception");
        assert_eq!(
            json["hash"],
            xxhash_rust::xxh3::xxh3_64(b"boom").to_string()
        );
        assert!(
            render(&mut kv, Format::Logfmt).contains("stacktrace=\"TypeError: boom\\n  at onClick")
        );
    }
}

#[cfg(test)]
mod formatting {
    use super::*;
    use proptest::prelude::*;

    /// Floats of every kind: integers, vitals-like values, tiny and huge magnitudes, any bits.
    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0u32..100_000).prop_map(f64::from),
            (0u64..10_000_000).prop_map(|n| n as f64 / 1000.0),
            -1e10f64..1e10,
            -1e-3f64..1e-3,
            any::<f64>(),
            Just(0.0),
            Just(-0.0),
            Just(4_294_967_295.999_999_5),
            Just(0.000_000_5),
            Just(1e21),
            Just(1e-7),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn floats_print_at_six_decimals_as_std_prints_them(v in float()) {
            prop_assert_eq!(fixed6(v), format!("{v:.6}"));
        }

        #[test]
        fn go_time_matches_chronos_formatter(
            secs in -70_000_000_000i64..300_000_000_000,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|n| n * 1_000_000)],
        ) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            prop_assert_eq!(go_time(&t), go_time_formatted(&t));
        }
    }

    /// The char-by-char quoting the byte scan replaced.
    fn quoted_by_chars(v: &str) -> String {
        let mut out = String::from('"');
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
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        #[test]
        fn quoting_by_bytes_equals_quoting_by_chars(
            v in prop_oneof![".{0,24}", "[\\x00-\\x{ff} \"\\\\\n\r\t\u{fffd}a-z]{0,24}", any::<String>()],
        ) {
            let mut out = String::new();
            push_quoted(&mut out, &v);
            prop_assert_eq!(out, quoted_by_chars(&v));
            let by_chars = v.is_empty()
                || v.chars().any(|c| c == ' ' || c == '=' || c == '"' || c.is_control() || c == '\u{fffd}');
            prop_assert_eq!(needs_quotes(&v), by_chars);
        }
    }

    #[test]
    fn many_floats_print_at_six_decimals_as_std_prints_them() {
        // xorshift64: a fixed sequence of bit patterns, scaled into the ranges vitals take.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..300_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            let v = match n % 4 {
                0 => unit * 4_294_967_296.0,
                1 => unit * 100_000.0,
                2 => (unit * 1e7).round() / 1000.0,
                _ => f64::from_bits(x),
            };
            assert_eq!(fixed6(v), format!("{v:.6}"), "{v:e}");
        }
    }

    #[test]
    fn go_time_of_a_leap_second_is_chronos() {
        let t = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap();
        assert_eq!(go_time(&t), go_time_formatted(&t));
    }

    #[test]
    fn quoted_values_escape_as_before() {
        for (v, want) in [
            ("a b", "\"a b\""),
            ("", "\"\""),
            ("x=1", "\"x=1\""),
            ("q\"\\\n\r\t", "\"q\\\"\\\\\\n\\r\\t\""),
            (
                "bell\u{7}del\u{7f}c1\u{85}",
                "\"bell\\u0007del\\u007fc1\\u0085\"",
            ),
            ("é\u{fffd}", "\"é\u{fffd}\""),
            ("plain-é", "plain-é"),
        ] {
            let mut kv = KeyVals::new();
            kv.own("message", v);
            kv.own("kind", "log");
            let line = render(&mut kv, Format::Logfmt);
            let want = if v.is_empty() {
                "kind=log".to_string()
            } else {
                format!("message={want} kind=log")
            };
            assert_eq!(line, want, "{v:?}");
        }
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

    fn check(kv: KeyVals, kind: &str, app: &str) -> Result<(), TestCaseError> {
        // Each format from its own copy: neither relies on the other having resolved the keys.
        let logfmt = render(&mut kv.clone(), Format::Logfmt);
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
        let json: serde_json::Value =
            serde_json::from_str(&render(&mut kv.clone(), Format::Json)).unwrap();
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
            check(measurement(&m, &meta), "measurement", &app)?;
            let e = Event { name: "click".into(), attributes: context.clone(), ..Default::default() };
            check(event(&e, &meta), "event", &app)?;
            let l = Log { message: "m".into(), context, ..Default::default() };
            check(log(&l, &meta), "log", &app)?;
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
        let line = render(&mut measurement(&m, &Meta::default()), Format::Logfmt);
        assert!(line.contains(" kind=measurement "), "{line}");
        assert!(line.contains(" _kind=1.000000 "), "{line}");
    }
}
