//! Log lines with the keys and order Grafana Alloy's `faro.receiver` writes, as logfmt or as
//! flat JSON objects.

use crate::payload::{Event, Exception, Log, Measurement, Meta, Span, TraceContext};
use chrono::{DateTime, Utc};

/// One line: ordered key/value pairs.
pub type KeyVals = Vec<(String, String)>;

/// The output format of `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `key=value` pairs, quoted where needed.
    Logfmt,
    /// One flat JSON object per line.
    Json,
}

fn push(kv: &mut KeyVals, k: impl Into<String>, v: impl Into<String>) {
    let v = v.into();
    if !v.is_empty() {
        kv.push((k.into(), v));
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
    push(kv, "timestamp", go_time(&t));
}

fn trace(kv: &mut KeyVals, t: &Option<TraceContext>) {
    if let Some(t) = t {
        push(kv, "traceID", t.trace_id.clone());
        push(kv, "spanID", t.span_id.clone());
    }
}

fn context(kv: &mut KeyVals, prefix: &str, map: &std::collections::BTreeMap<String, String>) {
    for (k, v) in map {
        push(kv, format!("{prefix}{k}"), v.clone());
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
    push(kv, "sdk_name", m.sdk.name.clone());
    push(kv, "sdk_version", m.sdk.version.clone());
    let integrations: Vec<String> = m
        .sdk
        .integrations
        .iter()
        .map(|i| format!("{}:{}", i.name, i.version))
        .collect();
    push(kv, "sdk_integrations", integrations.join(","));
    push(kv, "app_name", m.app.name.clone());
    push(kv, "app_namespace", m.app.namespace.clone());
    push(kv, "app_release", m.app.release.clone());
    push(kv, "app_version", m.app.version.clone());
    push(kv, "app_environment", m.app.environment.clone());
    push(kv, "user_email", m.user.email.clone());
    push(kv, "user_id", m.user.id.clone());
    push(kv, "user_username", m.user.username.clone());
    context(kv, "user_attr_", &m.user.attributes);
    push(kv, "session_id", m.session.id.clone());
    context(kv, "session_attr_", &m.session.attributes);
    push(kv, "page_id", m.page.id.clone());
    push(kv, "page_url", m.page.url.clone());
    context(kv, "page_attr_", &m.page.attributes);
    push(kv, "browser_name", m.browser.name.clone());
    push(kv, "browser_version", m.browser.version.clone());
    push(kv, "browser_os", m.browser.os.clone());
    kv.push(("browser_mobile".into(), m.browser.mobile.to_string()));
    push(kv, "browser_userAgent", m.browser.user_agent.clone());
    push(kv, "browser_language", m.browser.language.clone());
    push(
        kv,
        "browser_viewportWidth",
        m.browser.viewport_width.clone(),
    );
    push(
        kv,
        "browser_viewportHeight",
        m.browser.viewport_height.clone(),
    );
    push(kv, "view_name", m.view.name.clone());
}

/// A log item's line.
pub fn log(l: &Log, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &l.timestamp);
    push(&mut kv, "kind", "log");
    push(&mut kv, "message", l.message.clone());
    push(&mut kv, "level", l.level.clone());
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
    push(&mut kv, "kind", "exception");
    push(&mut kv, "type", e.kind.clone());
    push(&mut kv, "value", e.value.clone());
    push(&mut kv, "stacktrace", stacktrace(e));
    push(
        &mut kv,
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
    push(&mut kv, "kind", "measurement");
    push(&mut kv, "type", me.kind.clone());
    for (k, v) in &me.values {
        push(&mut kv, k.clone(), fixed6(*v));
    }
    trace(&mut kv, &me.trace);
    context(&mut kv, "context_", &me.context);
    for (k, v) in &me.values {
        push(&mut kv, format!("value_{k}"), shortest(*v));
    }
    meta(&mut kv, m);
    kv
}

/// An event's line.
pub fn event(e: &Event, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    timestamp(&mut kv, &e.timestamp);
    push(&mut kv, "kind", "event");
    push(&mut kv, "event_name", e.name.clone());
    push(&mut kv, "event_domain", e.domain.clone());
    context(&mut kv, "event_data_", &e.attributes);
    trace(&mut kv, &e.trace);
    meta(&mut kv, m);
    kv
}

/// A span's line, written when no OTLP endpoint takes traces.
pub fn span(s: &Span, service_name: &str, m: &Meta) -> KeyVals {
    let mut kv = KeyVals::new();
    push(&mut kv, "timestamp", go_time(&Utc::now()));
    push(&mut kv, "kind", "span");
    push(&mut kv, "traceID", s.trace_id.clone());
    push(&mut kv, "spanID", s.span_id.clone());
    push(&mut kv, "parentSpanID", s.parent_span_id.clone());
    push(&mut kv, "name", s.name.clone());
    let kind = match s.kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    };
    push(&mut kv, "span_kind", kind);
    let status = match s.status.code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };
    push(&mut kv, "status", status);
    let dur = s.end_time_unix_nano.0 - s.start_time_unix_nano.0;
    push(&mut kv, "duration_ns", dur.max(0).to_string());
    for a in &s.attributes {
        push(&mut kv, format!("attr_{}", a.key), a.value.text());
    }
    push(&mut kv, "service_name", service_name.to_string());
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
            let map: serde_json::Map<String, serde_json::Value> = kv
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::Value::Object(map).to_string()
        }
        Format::Logfmt => {
            let mut out = String::new();
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
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
        let st = &kv.iter().find(|(k, _)| k == "stacktrace").unwrap().1;
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
