//! The typed configuration and every default.
//!
//! The package's entry module validates what a person passes to `init()` synchronously (so a
//! bad config throws before any wasm loads) with the same rules as [`validate`], which checks
//! the struct again here; both sides are tested against the same cases. RegExps and functions
//! (`beforeSend`) stay on the JS side: the entry passes only strings here. The struct is read
//! from the entry module's flat array by [`from_js`] rather than with serde, which saves
//! about 40 KB of wasm (serde's error formatting pulls in float `Display`).
use crate::core::List;
use crate::prelude::*;
use js_sys::{Array, Object};
use wasm_bindgen::{JsCast, JsValue};

/// How batches leave the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transport {
    /// `navigator.sendBeacon` with a `text/plain` body (no CORS preflight); the default.
    #[default]
    Beacon,
    /// `fetch` with `Content-Type: application/json`, as Faro's own transport.
    Fetch,
}

/// `app`: who is sending.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppConfig {
    /// Required.
    pub name: String,
    /// Version (`service.version`).
    pub version: String,
    /// Environment (`deployment.environment.name`).
    pub environment: String,
    /// Namespace.
    pub namespace: String,
    /// Release, used by collectors to find source maps.
    pub release: String,
}

/// `batching`.
#[derive(Clone, Debug, PartialEq)]
pub struct Batching {
    /// Send when this many items wait.
    pub item_limit: u32,
    /// Send this many ms after the first item was queued.
    pub send_timeout: u32,
}

impl Default for Batching {
    fn default() -> Self {
        Batching {
            item_limit: 50,
            send_timeout: 5_000,
        }
    }
}

/// `sessionTracking`.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionTracking {
    /// Share of sessions kept, 0..=1.
    pub sampling_rate: f64,
    /// Items an unsampled session keeps in memory, sent if an exception promotes it.
    pub error_buffer: u32,
    /// A session with no activity for this many ms ends.
    pub inactivity_timeout: f64,
    /// A session ends this many ms after it started.
    pub max_session_duration: f64,
    /// Keep the session in `localStorage` (across tabs and restarts) instead of `sessionStorage`.
    pub persistent: bool,
}

impl Default for SessionTracking {
    fn default() -> Self {
        SessionTracking {
            sampling_rate: 1.0,
            error_buffer: 50,
            inactivity_timeout: 900_000.0,
            max_session_duration: 14_400_000.0,
            persistent: false,
        }
    }
}

/// `webVitals`.
#[derive(Clone, Debug, PartialEq)]
pub struct WebVitalsConfig {
    /// Report every change of a metric, not only its final value.
    pub report_all_changes: bool,
    /// Start new metrics at each soft navigation, as web-vitals' `reportSoftNavs` (only where the
    /// browser has soft-navigation entries).
    pub report_soft_navs: bool,
}

impl Default for WebVitalsConfig {
    fn default() -> Self {
        WebVitalsConfig {
            report_all_changes: false,
            report_soft_navs: true,
        }
    }
}

/// `tracing`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TracingConfig {
    /// URL prefixes (strings) of other origins that get `traceparent`; RegExps are tested by the entry module.
    pub propagate_trace_header_cors_urls: List,
}

/// `errors`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorsConfig {
    /// Exceptions sent per minute at most; the rest are counted and reported as dropped.
    pub max_per_minute: u32,
}

impl Default for ErrorsConfig {
    fn default() -> Self {
        ErrorsConfig { max_per_minute: 30 }
    }
}

/// `redact`: what is taken out of URLs before they leave the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RedactConfig {
    /// Query parameter names whose values become `REDACTED`, beyond the built-in list
    /// (`core::url::SENSITIVE`); matched the same way, by whole tokens.
    pub query_params: List,
}

/// `user`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserConfig {
    /// Id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// String attributes.
    pub attributes: Vec<(String, String)>,
}

/// Everything `init()` takes, as the wasm sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Collector URL (required).
    pub url: String,
    /// Sent as `x-api-key`; forces the fetch transport (a beacon cannot carry headers).
    pub api_key: Option<String>,
    /// The app.
    pub app: AppConfig,
    /// `beacon` (default) or `fetch`.
    pub transport: Transport,
    /// Batching.
    pub batching: Batching,
    /// Sessions and sampling.
    pub session_tracking: SessionTracking,
    /// Web vitals.
    pub web_vitals: WebVitalsConfig,
    /// Trace propagation.
    pub tracing: TracingConfig,
    /// URL substrings whose requests are neither traced nor recorded (RegExps: entry module).
    pub ignore_urls: List,
    /// Error message substrings to drop (RegExps: entry module).
    pub ignore_errors: List,
    /// Turn console calls into logs.
    pub capture_console: bool,
    /// Console levels left alone when capturing.
    pub capture_console_disabled_levels: List,
    /// Error limits.
    pub errors: ErrorsConfig,
    /// URL redaction.
    pub redact: RedactConfig,
    /// The user, if known at start.
    pub user: Option<UserConfig>,
    /// Start paused (consent not yet given).
    pub paused: bool,
    /// Log the agent's own decisions to the console.
    pub debug: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            url: String::new(),
            api_key: None,
            app: AppConfig::default(),
            transport: Transport::Beacon,
            batching: Batching::default(),
            session_tracking: SessionTracking::default(),
            web_vitals: WebVitalsConfig::default(),
            tracing: TracingConfig::default(),
            ignore_urls: List::default(),
            ignore_errors: List::default(),
            capture_console: false,
            capture_console_disabled_levels: List::new(vec![
                "debug".into(),
                "trace".into(),
                "log".into(),
            ]),
            errors: ErrorsConfig::default(),
            redact: RedactConfig::default(),
            user: None,
            paused: false,
            debug: false,
        }
    }
}

/// The paths of the entry module's `RULES` table, in its order: the entry module hands the
/// config over as the value at each path ([`from_js`] reads them by index), so no key
/// name crosses or ships in the wasm. A test checks this list against pkg-template/index.js.
pub const PATHS: [&str; 40] = [
    "url",
    "apiKey",
    "app",
    "app.name",
    "app.version",
    "app.environment",
    "app.namespace",
    "app.release",
    "transport",
    "batching",
    "batching.itemLimit",
    "batching.sendTimeout",
    "sessionTracking",
    "sessionTracking.samplingRate",
    "sessionTracking.errorBuffer",
    "sessionTracking.inactivityTimeout",
    "sessionTracking.maxSessionDuration",
    "sessionTracking.persistent",
    "webVitals",
    "webVitals.reportAllChanges",
    "tracing",
    "tracing.propagateTraceHeaderCorsUrls",
    "ignoreUrls",
    "ignoreErrors",
    "captureConsole",
    "captureConsoleDisabledLevels",
    "errors",
    "errors.maxPerMinute",
    "redact",
    "redact.queryParams",
    "beforeSend",
    "user",
    "user.id",
    "user.username",
    "user.email",
    "user.attributes",
    "paused",
    "debug",
    "wasmUrl",
    "webVitals.reportSoftNavs",
];

/// Checks values the types cannot: required strings and ranges. The messages are the ones
/// the entry module throws, naming the key.
pub fn validate(c: &Config) -> Result<(), String> {
    if c.url.is_empty() {
        return Err("config.url is required (a non-empty string)".into());
    }
    if c.app.name.is_empty() {
        return Err("config.app.name is required (a non-empty string)".into());
    }
    let s = &c.session_tracking;
    if !(0.0..=1.0).contains(&s.sampling_rate) {
        return Err("config.sessionTracking.samplingRate must be between 0 and 1".into());
    }
    if !(1.0..=1e12).contains(&s.inactivity_timeout) {
        return Err(
            "config.sessionTracking.inactivityTimeout must be between 1 and 1000000000000".into(),
        );
    }
    if !(1.0..=1e12).contains(&s.max_session_duration) {
        return Err(
            "config.sessionTracking.maxSessionDuration must be between 1 and 1000000000000".into(),
        );
    }
    if c.batching.item_limit == 0 || c.batching.item_limit > 1000 {
        return Err("config.batching.itemLimit must be between 1 and 1000".into());
    }
    Ok(())
}

impl Config {
    /// The transport actually used: an API key needs a header, so it forces `fetch`.
    pub fn effective_transport(&self) -> Transport {
        if self.api_key.as_deref().is_some_and(|k| !k.is_empty()) {
            Transport::Fetch
        } else {
            self.transport
        }
    }
}

// The read pass: the entry module's flat array into a `Config`.

/// `v` when it is a string: the agent's binding in the wasm (`bindings::string`); natively,
/// where the rules above are unit-tested, `JsValue::as_string`.
#[cfg(target_arch = "wasm32")]
use crate::browser::bindings::string;
#[cfg(not(target_arch = "wasm32"))]
fn string(v: &JsValue) -> Option<String> {
    v.as_string()
}

/// The string-valued entries of an object.
pub fn string_entries(v: &JsValue) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if v.is_object() {
        let entries = Object::entries(v.unchecked_ref());
        for i in 0..entries.length() {
            let pair: Array = entries.get(i).unchecked_into();
            if let (Some(k), Some(val)) = (string(&pair.get(0)), string(&pair.get(1))) {
                out.push((k, val));
            }
        }
    }
    out
}

/// The strings of `v` into `out` (replacing what it held) when `v` is an array; by index, not
/// `Array::iter` (its iterator and a second element getter, issue 14).
fn string_list(v: &JsValue, out: &mut List) {
    // The entry module hands arrays or nothing here (`is_object`: no `Array.isArray` import).
    if v.is_object() {
        let mut list = Vec::new();
        let v: &Array = v.unchecked_ref();
        for i in 0..v.length() {
            if let Some(x) = string(&v.get(i)) {
                list.push(x);
            }
        }
        *out = alloc::rc::Rc::new(list);
    }
}

/// Builds the typed config from the entry module's flat array (the value at each of the
/// `RULES` paths, in order; see `config::PATHS`). Missing or mistyped values keep their defaults.
pub fn from_js(v: &JsValue) -> Config {
    let mut c = Config::default();
    if !v.is_object() {
        return c;
    }
    let a: &Array = v.unchecked_ref();
    let s = |i: u32| string(&a.get(i));
    let n = |i: u32| a.get(i).as_f64();
    let u = |i: u32, out: &mut u32| {
        if let Some(x) = n(i).filter(|x| *x >= 0.0 && *x <= u32::MAX as f64) {
            *out = x as u32;
        }
    };
    let b = |i: u32, out: &mut bool| {
        if let Some(x) = a.get(i).as_bool() {
            *out = x;
        }
    };
    let l = |i: u32, out: &mut List| string_list(&a.get(i), out);
    let st = |i: u32, out: &mut String| {
        if let Some(x) = s(i) {
            *out = x;
        }
    };
    st(0, &mut c.url);
    c.api_key = s(1);
    st(3, &mut c.app.name);
    st(4, &mut c.app.version);
    st(5, &mut c.app.environment);
    st(6, &mut c.app.namespace);
    st(7, &mut c.app.release);
    if s(8).as_deref() == Some("fetch") {
        c.transport = Transport::Fetch;
    }
    u(10, &mut c.batching.item_limit);
    u(11, &mut c.batching.send_timeout);
    let t = &mut c.session_tracking;
    if let Some(x) = n(13) {
        t.sampling_rate = x;
    }
    u(14, &mut t.error_buffer);
    if let Some(x) = n(15) {
        t.inactivity_timeout = x;
    }
    if let Some(x) = n(16) {
        t.max_session_duration = x;
    }
    b(17, &mut t.persistent);
    b(19, &mut c.web_vitals.report_all_changes);
    l(21, &mut c.tracing.propagate_trace_header_cors_urls);
    l(22, &mut c.ignore_urls);
    l(23, &mut c.ignore_errors);
    b(24, &mut c.capture_console);
    l(25, &mut c.capture_console_disabled_levels);
    u(27, &mut c.errors.max_per_minute);
    l(29, &mut c.redact.query_params);
    if a.get(31).is_object() {
        let mut user = UserConfig::default();
        st(32, &mut user.id);
        st(33, &mut user.username);
        st(34, &mut user.email);
        user.attributes = string_entries(&a.get(35));
        c.user = Some(user);
    }
    b(36, &mut c.paused);
    b(37, &mut c.debug);
    b(39, &mut c.web_vitals.report_soft_navs);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Config {
        Config {
            url: "http://127.0.0.1:12347/collect".into(),
            app: AppConfig {
                name: "shop".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::default();
        assert_eq!(c.batching.item_limit, 50);
        assert_eq!(c.batching.send_timeout, 5_000);
        assert_eq!(c.session_tracking.sampling_rate, 1.0);
        assert_eq!(c.session_tracking.error_buffer, 50);
        assert_eq!(c.session_tracking.inactivity_timeout, 900_000.0);
        assert_eq!(c.session_tracking.max_session_duration, 14_400_000.0);
        assert_eq!(c.errors.max_per_minute, 30);
        assert_eq!(
            *c.capture_console_disabled_levels,
            ["debug", "trace", "log"]
        );
        assert_eq!(c.transport, Transport::Beacon);
        assert!(c.redact.query_params.is_empty());
    }

    #[test]
    fn rejects_what_the_entry_module_rejects_with_the_same_message() {
        assert_eq!(validate(&ok()), Ok(()));
        let mut c = ok();
        c.url.clear();
        assert!(validate(&c).unwrap_err().starts_with("config.url"));
        let mut c = ok();
        c.app.name.clear();
        assert!(validate(&c).unwrap_err().starts_with("config.app.name"));
        let mut c = ok();
        c.session_tracking.sampling_rate = 1.5;
        assert_eq!(
            validate(&c).unwrap_err(),
            "config.sessionTracking.samplingRate must be between 0 and 1"
        );
        c.session_tracking.sampling_rate = f64::NAN;
        assert!(validate(&c).is_err());
    }

    #[test]
    fn the_paths_are_the_entry_modules_rules_in_order() {
        let js = include_str!("../pkg-template/index.js");
        let table = &js[js.find("const RULES = [").unwrap()..];
        let table = &table[..table.find("];").unwrap()];
        // Each rule is `['path', type, …]`; a type may be a list of strings (`['beacon', 'fetch']`),
        // whose first item is followed by another string rather than a type.
        let paths: Vec<&str> = table
            .split("['")
            .skip(1)
            .map(|p| p.split_once("', ").unwrap())
            .filter(|(_, rest)| !rest.starts_with('\''))
            .map(|(path, _)| path)
            .collect();
        assert_eq!(paths, PATHS);
    }

    #[test]
    fn an_api_key_forces_fetch() {
        let mut c = ok();
        assert_eq!(c.effective_transport(), Transport::Beacon);
        c.api_key = Some("k".into());
        assert_eq!(c.effective_transport(), Transport::Fetch);
    }

    /// Builds a Config from a case's JSON the way [`from_js`] reads the JS object.
    fn from_case(v: &serde_json::Value) -> Config {
        let mut c = Config::default();
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        if let Some(u) = s(&v["url"]) {
            c.url = u;
        }
        if let Some(n) = s(&v["app"]["name"]) {
            c.app.name = n;
        }
        if let Some(r) = v["sessionTracking"]["samplingRate"].as_f64() {
            c.session_tracking.sampling_rate = r;
        }
        if let Some(t) = v["sessionTracking"]["inactivityTimeout"].as_f64() {
            c.session_tracking.inactivity_timeout = t;
        }
        if let Some(t) = v["sessionTracking"]["maxSessionDuration"].as_f64() {
            c.session_tracking.max_session_duration = t;
        }
        if let Some(n) = v["batching"]["itemLimit"].as_u64() {
            c.batching.item_limit = n as u32;
        }
        c
    }

    #[test]
    fn the_shared_case_table_gives_the_same_verdicts_as_the_entry_module() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../tests/config-cases.json")).unwrap();
        let mut checked = 0;
        for case in table["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["both"] == true)
        {
            let got = validate(&from_case(&case["config"]));
            match case["error"].as_str() {
                None => assert_eq!(got, Ok(()), "{}", case["name"]),
                Some(e) => {
                    let message = &e[e.find(": ").unwrap() + 2..];
                    let got = got.expect_err(case["name"].as_str().unwrap());
                    assert!(
                        got.starts_with(message),
                        "{}: expected {message}, got {got}",
                        case["name"]
                    );
                }
            }
            checked += 1;
        }
        assert!(checked >= 8);
    }
}
