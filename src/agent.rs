//! The running agent: one per page, owned by a thread-local so browser callbacks can reach it.
//! Data flows one way: an item comes in, the session decides whether it is kept, it is
//! encoded once, batched, and bodies leave through the transport.

use crate::browser::bindings::{console_warn, date_now, Host};
use crate::browser::listener::{Listener, Timeout};
use crate::browser::storage::{self, Store};
use crate::browser::{meta, transport};
use crate::config::{Config, Transport};
use crate::core::batch::{self, Batch, Flush};
use crate::core::payload::{self, App, Encoded, Item, Meta, User};
use crate::core::session::{self, Admit, ErrorBuffer, Session};
use std::any::Any;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

/// The SDK version sent in `meta.sdk.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Storage key of the session.
const SESSION_KEY: &str = "wasm_rum_session";

/// Everything the agent holds while it runs.
pub struct Agent {
    /// The config as given.
    pub config: Config,
    /// JS-side config parts (RegExps, `beforeSend`).
    pub host: Host,
    meta: Meta,
    meta_json: Option<String>,
    resource_json: String,
    batch: Batch,
    /// Bodies made under an earlier meta, waiting for the next flush.
    sealed: Vec<String>,
    timer: Option<Timeout>,
    paused: bool,
    session: Session,
    held: ErrorBuffer,
    session_written: f64,
    warned_before_send: bool,
    /// Items shrunk or dropped by the size caps, not yet reported.
    oversize: u32,
    _listeners: Vec<Listener>,
    /// Guards of installed features (observers, wrappers, listeners): dropped on shutdown.
    pub features: Vec<Box<dyn Any>>,
}

thread_local! {
    static AGENT: RefCell<Option<Agent>> = const { RefCell::new(None) };
}

/// Runs `f` on the agent if it is running and not already borrowed (a re-entrant call, say
/// from a listener fired by our own work, is skipped rather than trapping).
pub fn with<R>(f: impl FnOnce(&mut Agent) -> R) -> Option<R> {
    AGENT.with(|a| {
        let mut guard = a.try_borrow_mut().ok()?;
        guard.as_mut().map(f)
    })
}

/// Queues an item from anywhere in the agent.
pub fn push(item: Item) {
    let flush_now = with(|a| a.push(item)).unwrap_or(false);
    if flush_now {
        flush();
    }
}

/// What leaves in one flush: bodies plus where and how to send them.
struct Outgoing {
    bodies: Vec<String>,
    url: String,
    transport: Transport,
    api_key: Option<String>,
    session_id: String,
}

/// Sends everything queued now. The sending happens outside the agent's borrow, since
/// `fetch` may be our own wrapper, which calls back into the agent.
pub fn flush() {
    crate::browser::errors::before_flush();
    let Some(Some(out)) = with(|a| a.take_outgoing()) else {
        return;
    };
    for body in &out.bodies {
        if transport::backing_off() {
            // The collector said 429: these wait for the retry it asked for.
            transport::keep_for_later(body);
            continue;
        }
        match out.transport {
            Transport::Beacon => {
                transport::beacon(&out.url, body);
            }
            Transport::Fetch => {
                let keepalive = transport::page_hidden() && body.len() <= batch::MAX_BODY_BYTES;
                transport::fetch(
                    &out.url,
                    body,
                    out.api_key.as_deref(),
                    Some(&out.session_id),
                    keepalive,
                );
            }
        }
    }
}

/// Sends the bodies kept in the offline queue, with the configured transport's headers.
pub fn resend_kept() {
    let Some((url, api_key, session)) = with(|a| {
        let fetch = a.config.effective_transport() == Transport::Fetch;
        (
            a.config.url.clone(),
            a.config.api_key.clone(),
            fetch.then(|| a.session.id.clone()),
        )
    }) else {
        return;
    };
    transport::send_kept(&url, api_key.as_deref(), session.as_deref());
}

/// How many items were shrunk to fit `payload::MAX_ITEM_BYTES` (entries dropped) or dropped
/// as too large since the last call: the `oversize` count of `wasm-rum.items_dropped`.
pub fn take_oversize() -> u32 {
    with(|a| std::mem::take(&mut a.oversize)).unwrap_or(0)
}

/// Starts the agent; the caller has validated `config`.
pub fn start(config: Config, host: Host) -> Result<(), String> {
    crate::browser::listener::set_guard(Some(host.clone()));
    let now = date_now();
    let store = if config.session_tracking.persistent {
        Store::Local
    } else {
        Store::Session
    };
    let st = &config.session_tracking;
    let stored = storage::get(store, SESSION_KEY);
    let (session, _) = session::resume_or_start(
        stored.as_deref(),
        now,
        st.sampling_rate,
        st.inactivity_timeout,
        st.max_session_duration,
    );
    storage::set(store, SESSION_KEY, &session.encode());
    let app = App {
        name: config.app.name.clone(),
        version: config.app.version.clone(),
        environment: config.app.environment.clone(),
        namespace: config.app.namespace.clone(),
        release: config.app.release.clone(),
    };
    let meta = Meta {
        sdk_version: VERSION.into(),
        app: app.clone(),
        session_id: session.id.clone(),
        session_attributes: vec![("isSampled".into(), bool_str(session.sampled).into())],
        page_url: crate::core::url::redact(&meta::page_url(), &config.redact.query_params),
        page_id: crate::core::rand::alnum_id(10),
        browser: meta::browser(),
        view: "default".into(),
        user: config.user.as_ref().map(user_from_config),
    };
    let resource_json = payload::encode_resource(&app, &session.id);
    let mut listeners = Vec::new();
    if let Some(w) = web_sys::window() {
        if let Some(doc) = w.document() {
            let d = doc.clone();
            // Not capturing: at the document, capture listeners (the vitals' final reports) run first.
            listeners.extend(Listener::new(
                doc.unchecked_ref(),
                "visibilitychange",
                false,
                move |_| {
                    if d.visibility_state() == web_sys::VisibilityState::Hidden {
                        flush();
                    }
                },
            ));
        }
        listeners.extend(Listener::new(w.unchecked_ref(), "pagehide", true, |_| {
            flush()
        }));
    }
    let agent = Agent {
        held: ErrorBuffer::new(config.session_tracking.error_buffer as usize),
        batch: Batch::new(config.batching.item_limit as usize),
        sealed: Vec::new(),
        paused: config.paused,
        config,
        host,
        meta,
        meta_json: None,
        resource_json,
        timer: None,
        session,
        session_written: now,
        warned_before_send: false,
        oversize: 0,
        _listeners: listeners,
        features: Vec::new(),
    };
    AGENT.with(|a| match a.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = Some(agent);
            Ok(())
        }
        Err(_) => Err("wasm-rum is busy starting".to_string()),
    })?;
    // What earlier page views could not send goes first.
    resend_kept();
    // Features install after the agent is in place, since their callbacks push into it.
    let features = install_features();
    with(|a| a.features = features);
    Ok(())
}

/// Installs each feature's listeners, observers and wrappers; each returns a guard that
/// uninstalls it when dropped. One line per feature.
fn install_features() -> Vec<Box<dyn Any>> {
    let Some(Some((config, host))) = with(|a| Some((a.config.clone(), a.host.clone()))) else {
        return Vec::new();
    };
    let mut features: Vec<Box<dyn Any>> = Vec::new();
    features.extend(crate::browser::tracing::install(&config, &host));
    features.extend(crate::browser::vitals::install(&config));
    features.extend(crate::browser::errors::install(&config, &host));
    features
}

/// Stops the agent: sends what is left, then drops every listener, observer and wrapper.
pub fn shutdown() {
    flush();
    let agent = AGENT.with(|a| a.try_borrow_mut().ok().and_then(|mut s| s.take()));
    drop(agent);
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Converts the config's user into the wire's.
pub fn user_from_config(u: &crate::config::UserConfig) -> User {
    User {
        id: u.id.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        attributes: u
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

impl Agent {
    /// Queues an item; returns whether the batch wants a flush now.
    pub fn push(&mut self, item: Item) -> bool {
        if self.paused {
            return false;
        }
        self.touch_session();
        let mut encoded = payload::encode(item);
        if !self.apply_before_send(&mut encoded) {
            return false;
        }
        if encoded.oversize() {
            self.oversize += 1;
            if encoded.too_large() {
                return false;
            }
        }
        let was_sampled = self.session.sampled;
        let out = match self.held.admit(&mut self.session.sampled, encoded) {
            Admit::Send(out) => out,
            Admit::Held => return false,
        };
        if !was_sampled {
            // Promoted by its first exception: the decision is stored, so reloads keep it.
            self.on_session_change();
        }
        let mut send_now = false;
        for encoded in out {
            send_now |= self.batch.push(encoded) == Flush::Now;
        }
        if !send_now && self.timer.is_none() {
            self.timer = Some(Timeout::new(
                self.config.batching.send_timeout as f64,
                || {
                    with(|a| a.timer = None);
                    flush();
                },
            ));
        }
        send_now
    }

    /// Runs `beforeSend` on an encoded item: false drops it. A throwing hook keeps the item
    /// and is reported once.
    fn apply_before_send(&mut self, encoded: &mut Encoded) -> bool {
        if !self.host.has_before_send() {
            return true;
        }
        match self.host.before_send(encoded.kind.name(), &encoded.json) {
            Ok(v) if v.is_null() => false,
            Ok(v) => {
                if let Some(s) = v.as_string() {
                    encoded.json = s;
                }
                true
            }
            Err(_) => {
                if !self.warned_before_send {
                    self.warned_before_send = true;
                    console_warn("wasm-rum: config.beforeSend threw; items are sent unchanged");
                }
                true
            }
        }
    }

    fn touch_session(&mut self) {
        let now = date_now();
        let st = &self.config.session_tracking;
        if self
            .session
            .expired(now, st.inactivity_timeout, st.max_session_duration)
        {
            // Ended by inactivity or age: a new session with its own sampling decision.
            self.session = Session::new(now, st.sampling_rate);
            self.held = ErrorBuffer::new(st.error_buffer as usize);
            self.on_session_change();
        }
        self.session.last_activity = now;
        if now - self.session_written > 1_000.0 {
            self.store_session();
        }
    }

    fn store_session(&mut self) {
        self.session_written = date_now();
        let store = if self.config.session_tracking.persistent {
            Store::Local
        } else {
            Store::Session
        };
        storage::set(store, SESSION_KEY, &self.session.encode());
    }

    /// Starts a new session (the collector said the current one is invalid).
    pub fn renew_session(&mut self) {
        let st = &self.config.session_tracking;
        self.session = Session::new(date_now(), st.sampling_rate);
        self.held = ErrorBuffer::new(st.error_buffer as usize);
        self.on_session_change();
    }

    /// The session id or its decision changed: meta and resource follow, and it is stored.
    fn on_session_change(&mut self) {
        self.seal();
        self.meta.session_id = self.session.id.clone();
        self.meta.session_attributes =
            vec![("isSampled".into(), bool_str(self.session.sampled).into())];
        self.meta_json = None;
        self.resource_json = payload::encode_resource(&self.meta.app, &self.session.id);
        self.store_session();
    }

    /// Turns the queued items into bodies under the current meta, kept until the next flush:
    /// called before the meta changes, so every item goes out with the meta it was made under.
    fn seal(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let items = self.batch.take();
        if self.meta_json.is_none() {
            self.meta_json = Some(payload::encode_meta(&self.meta));
        }
        let meta_json = self.meta_json.as_deref().unwrap_or("{}");
        self.sealed.extend(batch::bodies(
            meta_json,
            &self.resource_json,
            VERSION,
            &items,
            batch::MAX_BODY_BYTES,
        ));
    }

    fn take_outgoing(&mut self) -> Option<Outgoing> {
        self.timer = None;
        self.seal();
        if self.sealed.is_empty() {
            return None;
        }
        Some(Outgoing {
            bodies: std::mem::take(&mut self.sealed),
            url: self.config.url.clone(),
            transport: self.config.effective_transport(),
            api_key: self.config.api_key.clone(),
            session_id: self.session.id.clone(),
        })
    }

    /// Sets or clears the user.
    pub fn set_user(&mut self, user: Option<User>) {
        self.seal();
        self.meta.user = user;
        self.meta_json = None;
    }

    /// Sets the view name.
    pub fn set_view(&mut self, name: String) {
        if self.meta.view == name {
            return;
        }
        self.seal();
        self.meta.view = name;
        self.meta_json = None;
    }

    /// The session id and whether it is sampled.
    pub fn session(&self) -> (&str, bool) {
        (&self.session.id, self.session.sampled)
    }

    /// Stops collecting (consent withdrawn): drops what is queued, keeps nothing.
    pub fn pause(&mut self) {
        self.paused = true;
        self.batch.take();
        self.sealed.clear();
        self.timer = None;
    }

    /// Collects again.
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether collection is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Current epoch ms (for features that need the agent's clock).
    pub fn now(&self) -> f64 {
        date_now()
    }
}

/// A JS value to a string map, for `context` and `attributes` (the entry module already made
/// every value a string; anything else is skipped).
pub fn str_map(v: &JsValue) -> payload::StrMap {
    crate::browser::config_js::string_entries(v)
}
