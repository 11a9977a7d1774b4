//! The running agent: one per page, owned by a thread-local so browser callbacks can reach it.
//! Data flows one way: an item comes in, the session decides whether it is kept, it is
//! encoded once, batched, and bodies leave through the transport.
use crate::browser::Local;
use crate::prelude::*;

use crate::browser::bindings::{console_debug, console_warn, date_now, performance_now, Host};
use crate::browser::callback::{Listener, Timeout};
use crate::browser::meta;
use crate::browser::storage::{self, Store};
use crate::browser::transport::{self, Answers, Post};
use crate::config::{Config, Transport};
use crate::core::batch::{self, Batch, Flush};
use crate::core::debug::{self, Tally};
use crate::core::outbox::{Answer, DropReason, Outbox, Route};
use crate::core::session::{self, Admit, ErrorBuffer, Session};
use crate::core::wire::{self, App, Encoded, Item, Meta, User};
use crate::core::{Feature, Sink, SinkRef};
use core::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

/// The SDK version sent in `meta.sdk.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Storage key of the session.
const SESSION_KEY: &str = "wasm_rum_session";

/// Everything the agent holds while it runs.
pub struct Agent {
    /// The config as given (shared: the features are installed with it outside the agent's
    /// borrow, and a refcount is cheaper in the wasm than cloning every list in it).
    pub config: alloc::rc::Rc<Config>,
    /// JS-side config parts (RegExps, `beforeSend`).
    pub host: Host,
    meta: Meta,
    meta_json: Option<String>,
    resource_json: String,
    batch: Batch,
    /// Bodies made under an earlier meta, waiting for the next flush.
    sealed: Vec<String>,
    timer: Option<Timeout>,
    /// The scheduled resend of the offline queue.
    retry: Option<Timeout>,
    outbox: Outbox,
    _answers: Option<Answers>,
    paused: bool,
    session: Session,
    held: ErrorBuffer,
    session_written: f64,
    warned_before_send: bool,
    /// With `config.debug`: what the next debug lines tell.
    debug: Option<Tally>,
    /// `performance.now()` at start, for the first send's delay.
    started: f64,
    _listeners: Vec<Listener>,
}

static AGENT: Local<RefCell<Option<Agent>>> = Local(RefCell::new(None));

/// The installed features (observers, wrappers, listeners), beside the agent rather than in it:
/// their `before_flush` pushes into the agent. Dropped on shutdown.
static FEATURES: Local<RefCell<Vec<Box<dyn Feature>>>> = Local(RefCell::new(Vec::new()));

/// The sink every feature is handed: the running agent.
struct AgentSink;

impl Sink for AgentSink {
    fn push(&self, item: Item) {
        push(item);
    }
    fn flush(&self) {
        flush();
    }
    fn note_drop(&self, reason: usize, count: u64) {
        with(|a| a.note_drop(reason, count));
    }
    fn sampled(&self) -> Option<bool> {
        with(|a| (!a.paused).then_some(a.session.sampled)).flatten()
    }
    fn session_id(&self) -> String {
        with(|a| a.session.id.clone()).unwrap_or_default()
    }
}

static SINK: AgentSink = AgentSink;

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

/// What leaves in one flush: bodies (each with its request id and whether it needs
/// `keepalive`) plus where and how to send them.
struct Outgoing {
    sends: Vec<(u32, String, bool)>,
    url: String,
    transport: Transport,
    api_key: Option<String>,
    session_id: String,
}

/// Sends everything queued now.
pub fn flush() {
    flush_with(false);
}

/// Sends everything queued now, as the page is being left or hidden (`pagehide`,
/// `visibilitychange`, `freeze`): with `keepalive`, so the requests outlive the page.
pub fn flush_leaving() {
    flush_with(true);
}

fn flush_with(leaving: bool) {
    // What features hold back (the folded error) goes into this flush.
    FEATURES.with(|f| {
        if let Ok(features) = f.try_borrow() {
            for feature in features.iter() {
                feature.before_flush();
            }
        }
    });
    let leaving = leaving || transport::page_hidden();
    if let Some(Some(out)) = with(|a| a.take_outgoing(leaving)) {
        send(out, leaving);
    }
}

/// Puts bodies on the wire outside the agent's borrow (a page's `fetch` wrapper or a beacon
/// may call back into the agent). Bodies the browser refused at once are answered `Failed`.
fn send(out: Outgoing, leaving: bool) {
    let mut answered = Vec::new();
    for (id, body, keepalive) in &out.sends {
        let post = |session_id: Option<&str>, keepalive: bool| {
            transport::post(&Post {
                id: *id,
                url: &out.url,
                body,
                api_key: out.api_key.as_deref(),
                session_id,
                keepalive,
            })
        };
        let started = match out.transport {
            Transport::Beacon if transport::beacon(&out.url, body) => {
                // The browser took it: no answer will come, and none is needed.
                answered.push((*id, Answer::Accepted));
                continue;
            }
            // Refused while the page is being left: the shared in-flight budget is spent and
            // a keepalive fetch would be refused too; while visible, a plain request (no budget).
            Transport::Beacon => !leaving && post(None, false),
            Transport::Fetch => post(Some(&out.session_id), *keepalive),
        };
        if !started {
            answered.push((*id, Answer::Failed));
        }
    }
    for (id, answer) in answered {
        on_answer(id, answer);
    }
}

/// An answer of the transport: the outbox decides, the agent carries it out.
fn on_answer(id: u32, answer: Answer) {
    let flush_now = with(|a| a.on_answer(id, answer)).unwrap_or(false);
    if flush_now {
        flush();
    }
}

/// Sends the bodies kept in the offline queue (not while paused, nor while the collector asked
/// us to wait: they stay in storage).
pub fn resend_kept() {
    if let Some(Some(out)) = with(|a| a.take_kept()) {
        send(out, false);
    }
}

/// Starts the agent; the caller has validated `config`.
pub fn start(mut config: Config, host: Host) -> Result<(), String> {
    crate::browser::callback::set_guard(Some(host.clone()));
    // Fractional numbers as the browser writes them (no float formatter in the wasm).
    crate::core::wire::json::set_float_writer(crate::browser::bindings::write_number);
    let now = date_now();
    let (session, new_session) = resume_session(&config, now);
    // The config's user becomes meta's (moved: nothing reads it from the config later).
    let user = config.user.take().map(user_from_config);
    let meta = page_meta(&config, &session, user);
    let resource_json = wire::encode_resource(&meta.app, &session.id);
    let config_debug = config.debug;
    let agent = Agent {
        held: ErrorBuffer::new(config.session_tracking.error_buffer as usize),
        batch: Batch::new(config.batching.item_limit as usize),
        sealed: Vec::new(),
        paused: config.paused,
        config: alloc::rc::Rc::new(config),
        host,
        meta,
        meta_json: None,
        resource_json,
        timer: None,
        retry: None,
        outbox: Outbox::default(),
        _answers: None,
        session,
        session_written: now,
        warned_before_send: false,
        debug: config_debug.then(Tally::default),
        started: performance_now(),
        _listeners: leave_listeners(),
    };
    AGENT.with(|a| match a.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = Some(agent);
            Ok(())
        }
        Err(_) => Err("wasm-rum is busy starting".to_string()),
    })?;
    with(|a| {
        a.debug_session();
        a._answers = Some(Answers::install(on_answer));
        if !a.paused {
            a.take_stored_drops();
        }
    });
    // What earlier page views could not send goes first.
    resend_kept();
    // Features install after the agent is in place, since their callbacks push into it.
    let features = install_features();
    FEATURES.with(|f| f.try_borrow_mut().map(|mut f| *f = features).ok());
    // The counts of the SLOs: the session if it starts here, and this view (sent with the first
    // batch whether or not the page ever loads).
    let navigation_type = crate::browser::vitals::page_navigation_type();
    if new_session {
        if let Some(start) = with(|a| a.count_event(session::SESSION_START, None)) {
            push(start);
        }
    }
    if let Some(view) = with(|a| a.count_event(session::PAGE_VIEW, Some(navigation_type))) {
        push(view);
    }
    Ok(())
}

/// Where the session is kept.
fn session_store(config: &Config) -> Store {
    if config.session_tracking.persistent {
        Store::Local
    } else {
        Store::Session
    }
}

/// The stored session if it is still current, else a new one (true); stored unless paused.
fn resume_session(config: &Config, now: f64) -> (Session, bool) {
    let store = session_store(config);
    let st = &config.session_tracking;
    let stored = storage::get(store, SESSION_KEY);
    let (session, new_session) = session::resume_or_start(
        stored.as_deref(),
        now,
        st.sampling_rate,
        st.inactivity_timeout,
        st.max_session_duration,
    );
    if !config.paused {
        // Consent: a paused agent writes nothing, the session included.
        storage::set(store, SESSION_KEY, &session.encode());
    }
    (session, new_session)
}

/// The page's `meta`: app, session, page URL (redacted) and id, browser, user.
fn page_meta(config: &Config, session: &Session, user: Option<User>) -> Meta {
    let app = App {
        name: config.app.name.clone(),
        version: config.app.version.clone(),
        environment: config.app.environment.clone(),
        namespace: config.app.namespace.clone(),
        release: config.app.release.clone(),
    };
    Meta {
        sdk_version: VERSION.into(),
        app,
        session_id: session.id.clone(),
        session_attributes: session_attributes(session.sampled),
        page_url: crate::core::url::redact(&meta::page_url(), &config.redact.query_params),
        page_id: crate::core::rand::alnum_id(10),
        browser: meta::browser(),
        view: "default".into(),
        user,
    }
}

/// The listeners that send what is queued as the page is hidden, frozen or left.
fn leave_listeners() -> Vec<Listener> {
    let mut listeners = Vec::new();
    {
        let w = crate::browser::bindings::window();
        if let Some(doc) = crate::browser::lifecycle::document() {
            // Not capturing: at the document, capture listeners (the vitals' final reports) run first.
            crate::core::push_some(
                &mut listeners,
                Listener::new(doc.unchecked_ref(), "visibilitychange", false, |_| {
                    if crate::browser::lifecycle::is_hidden() {
                        flush_leaving();
                    }
                }),
            );
            // A frozen page (Chrome's page lifecycle) may be discarded without `pagehide`.
            crate::core::push_some(
                &mut listeners,
                Listener::new(doc.unchecked_ref(), "freeze", false, |_| flush_leaving()),
            );
        }
        crate::core::push_some(
            &mut listeners,
            Listener::new(w.unchecked_ref(), "pagehide", true, |_| flush_leaving()),
        );
    }
    listeners
}

/// Installs each feature's listeners, observers and wrappers; each returns a guard that
/// uninstalls it when dropped. One line per feature.
fn install_features() -> Vec<Box<dyn Feature>> {
    let Some(Some((config, host))) = with(|a| Some((a.config.clone(), a.host.clone()))) else {
        return Vec::new();
    };
    let sink: SinkRef = &SINK;
    let mut features = Vec::new();
    crate::core::push_some(
        &mut features,
        crate::browser::http::install(&config, host.unchecked_ref(), sink),
    );
    crate::core::push_some(
        &mut features,
        crate::browser::timing::install(&config, sink),
    );
    crate::core::push_some(
        &mut features,
        crate::browser::vitals::install(&config, sink),
    );
    crate::core::push_some(
        &mut features,
        crate::browser::errors::install(&config, &host, sink),
    );
    crate::core::push_some(
        &mut features,
        crate::browser::console::install(&config, &host, sink),
    );
    features
}

/// Stops the agent: sends what is left, then drops every listener, observer and wrapper.
pub fn shutdown() {
    flush();
    let agent = AGENT.with(|a| a.try_borrow_mut().ok().and_then(|mut s| s.take()));
    drop(agent);
    let features = FEATURES.with(|f| f.try_borrow_mut().map(|mut f| core::mem::take(&mut *f)));
    drop(features);
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// `meta.session.attributes`: whether the session is sampled.
fn session_attributes(sampled: bool) -> wire::StrMap {
    let mut attributes = Vec::new();
    wire::push_pair(&mut attributes, "isSampled", bool_str(sampled));
    attributes
}

/// Converts the config's user into the wire's.
pub fn user_from_config(u: crate::config::UserConfig) -> User {
    User {
        id: u.id,
        username: u.username,
        email: u.email,
        attributes: u.attributes,
    }
}

impl Agent {
    /// Queues an item; returns whether the batch wants a flush now.
    pub fn push(&mut self, item: Item) -> bool {
        if self.paused {
            return false;
        }
        self.touch_session();
        let mut encoded = wire::encode(item);
        if !self.apply_before_send(&mut encoded) {
            self.note_drop(debug::BEFORE_SEND, 1);
            return false;
        }
        if encoded.oversize() {
            // Shrunk to fit `wire::MAX_ITEM_BYTES` (entries dropped), or dropped as too large.
            self.count_drop(DropReason::Oversize, 1);
            if encoded.too_large() {
                return false;
            }
        }
        let was_sampled = self.session.sampled;
        let out = match self.held.admit(&mut self.session.sampled, encoded) {
            Admit::Send(out) => out,
            Admit::Held => {
                self.note_drop(debug::HELD, 1);
                return false;
            }
        };
        if !was_sampled {
            // Promoted by its first exception: the decision is stored, so reloads keep it, and
            // what the buffer let go is reported (an unsampled session reports nothing).
            self.on_session_change();
            let lost = core::mem::take(&mut self.held.dropped);
            self.count_drop(DropReason::SamplingBuffer, lost);
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
                if let Some(s) = crate::browser::bindings::string(&v) {
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

    /// A `page_view` or `session_start` event for the current session.
    fn count_event(&self, name: &str, navigation_type: Option<&str>) -> Item {
        Item::Event(wire::Event {
            name: name.into(),
            domain: "browser".into(),
            attributes: session::count_attributes(
                navigation_type,
                &self.session.id,
                self.config.session_tracking.sampling_rate,
            ),
            timestamp: date_now(),
            trace: None,
        })
    }

    /// The page moved to `url` without a new document (`history.pushState`, `popstate`; with
    /// `replace`, `replaceState`): what was queued is sealed under the old page, the page URL
    /// follows, and unless only replaced, the view is a new page view with its own page id.
    /// Returns whether the batch wants a flush now.
    pub fn navigate(&mut self, url: &str, replace: bool) -> bool {
        let url = crate::core::url::redact(url, &self.config.redact.query_params);
        if url == self.meta.page_url {
            return false;
        }
        self.seal();
        self.meta.page_url = url;
        self.meta_json = None;
        if replace {
            return false;
        }
        self.meta.page_id = crate::core::rand::alnum_id(10);
        let view = self.count_event(session::PAGE_VIEW, Some("route-change"));
        self.push(view)
    }

    fn touch_session(&mut self) {
        let now = date_now();
        let st = &self.config.session_tracking;
        if self
            .session
            .expired(now, st.inactivity_timeout, st.max_session_duration)
        {
            // Ended by inactivity or age: a new session with its own sampling decision.
            self.new_session(now);
        }
        self.session.last_activity = now;
        if now - self.session_written > 1_000.0 {
            self.store_session();
        }
    }

    fn store_session(&mut self) {
        self.session_written = date_now();
        storage::set(
            session_store(&self.config),
            SESSION_KEY,
            &self.session.encode(),
        );
    }

    /// Starts a new session (the collector said the current one is invalid).
    pub fn renew_session(&mut self) {
        self.new_session(date_now());
    }

    /// A new session started at `now`, with its own sampling decision and its `session_start`.
    fn new_session(&mut self, now: f64) {
        let st = &self.config.session_tracking;
        self.session = Session::new(now, st.sampling_rate);
        self.held = ErrorBuffer::new(st.error_buffer as usize);
        self.on_session_change();
        self.debug_session();
        let start = self.count_event(session::SESSION_START, None);
        self.push(start);
    }

    /// With `debug`: one `wasm-rum:` line of `parts`.
    fn debug(&self, parts: &[&str]) {
        if self.debug.is_some() {
            console_debug(&debug::join(parts));
        }
    }

    /// With `debug`: the session's sampling decision.
    fn debug_session(&self) {
        let rate = self.config.session_tracking.sampling_rate;
        let mut r = String::new();
        crate::core::wire::json::push_f64(&mut r, rate);
        let held = if self.session.sampled {
            "sampled"
        } else {
            "not sampled (held until an exception)"
        };
        self.debug(&[
            "session ",
            &self.session.id,
            " ",
            held,
            ", samplingRate ",
            &r,
        ]);
    }

    /// With `debug`: `n` items dropped (or held) for `debug::NAMES[why]`, told in the next
    /// flush line.
    pub fn note_drop(&mut self, why: usize, n: u64) {
        if let Some(t) = &mut self.debug {
            t.add(why, n);
        }
    }

    /// The session id or its decision changed: meta and resource follow, and it is stored.
    fn on_session_change(&mut self) {
        self.seal();
        self.meta.session_id = self.session.id.clone();
        self.meta.session_attributes = session_attributes(self.session.sampled);
        self.meta_json = None;
        self.resource_json = wire::encode_resource(&self.meta.app, &self.session.id);
        self.store_session();
    }

    /// Turns the queued items into bodies under the current meta, kept until the next flush:
    /// called before the meta changes, so every item goes out with the meta it was made under.
    fn seal(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let items = self.batch.take();
        if let Some(t) = &mut self.debug {
            t.sealed(&items);
        }
        if self.meta_json.is_none() {
            self.meta_json = Some(wire::encode_meta(&self.meta));
        }
        let meta_json = self.meta_json.as_deref().unwrap_or("{}");
        let mut bodies = batch::bodies(
            meta_json,
            &self.resource_json,
            VERSION,
            &items,
            batch::MAX_BODY_BYTES,
        );
        self.sealed.append(&mut bodies);
    }

    /// The bodies to send now, each routed by the outbox: those that go are in flight (kept
    /// until their answer), those that must wait are in the offline queue.
    fn take_outgoing(&mut self, leaving: bool) -> Option<Outgoing> {
        self.timer = None;
        self.seal();
        let since = performance_now() - self.started;
        let transport = match self.config.effective_transport() {
            Transport::Beacon => "beacon",
            Transport::Fetch if leaving => "fetch keepalive",
            Transport::Fetch => "fetch",
        };
        if let Some(t) = &mut self.debug {
            if let Some(line) = t.flush_line(&self.sealed, transport, &self.config.url) {
                console_debug(&line);
            }
            if !t.sent && !self.sealed.is_empty() {
                t.sent = true;
                console_debug(&debug::join(&[
                    "first send ",
                    &debug::num(since),
                    " ms after start",
                ]));
            }
        }
        if self.sealed.is_empty() {
            return None;
        }
        let bodies = core::mem::take(&mut self.sealed);
        Some(self.route(bodies, leaving))
    }

    /// The offline queue's bodies to send again (they stay stored until each has arrived),
    /// unless paused, backing off, or already being sent.
    fn take_kept(&mut self) -> Option<Outgoing> {
        if self.paused || self.outbox.resending() {
            return None;
        }
        let now = date_now();
        if self.outbox.backing_off(now) {
            // Too early (a timer may fire a little before the wait is over): try again then.
            let wait = self.outbox.backoff_left(now);
            if let Some(ms) = self.outbox.want_retry(wait) {
                self.schedule_retry(ms);
            }
            return None;
        }
        let bodies = transport::kept();
        if bodies.is_empty() {
            return None;
        }
        let mut sends = Vec::new();
        for body in bodies {
            sends.push((self.outbox.sent(body.clone(), false, true), body, false));
        }
        Some(self.outgoing(sends))
    }

    fn route(&mut self, bodies: Vec<String>, leaving: bool) -> Outgoing {
        let now = date_now();
        let mut sends = Vec::new();
        for body in bodies {
            match self.outbox.route(now, body.len(), leaving) {
                Route::Keep => self.keep(body),
                Route::Send { keepalive } => {
                    let id = self.outbox.sent(body.clone(), keepalive, false);
                    sends.push((id, body, keepalive));
                }
            }
        }
        self.outgoing(sends)
    }

    fn outgoing(&self, sends: Vec<(u32, String, bool)>) -> Outgoing {
        Outgoing {
            sends,
            url: self.config.url.clone(),
            transport: self.config.effective_transport(),
            api_key: self.config.api_key.clone(),
            session_id: self.session.id.clone(),
        }
    }

    /// Puts a body in the offline queue for a retry or the next page view (while paused, with
    /// consent withdrawn, nothing is written: it is let go).
    fn keep(&mut self, body: String) {
        if self.paused {
            return;
        }
        let lost = transport::keep_for_later(body);
        self.count_drop(DropReason::QueueOverflow, lost);
    }

    /// Counts items dropped for `reason`; stored at once, so the count survives the page.
    pub fn count_drop(&mut self, reason: DropReason, n: u64) {
        if n == 0 {
            return;
        }
        self.outbox.drops.add(reason, n);
        self.note_drop(debug::OUTBOX + reason as usize, n);
        if !self.paused {
            transport::store_drops(&self.outbox.drops);
        }
    }

    /// Adopts the counts an earlier page view stored and could not report.
    fn take_stored_drops(&mut self) {
        let stored = transport::take_stored_drops();
        self.outbox.drops.merge(&stored);
        transport::store_drops(&self.outbox.drops);
    }

    /// Carries out what the outbox decided on an answer; returns whether a flush is wanted.
    fn on_answer(&mut self, id: u32, answer: Answer) -> bool {
        let outcome = self.outbox.answer(id, answer, date_now());
        if self.debug.is_some() && answer != Answer::Accepted {
            let what = match answer {
                Answer::Failed => "no answer",
                Answer::RetryAfter(_) => "429",
                _ => "session invalid, renewed",
            };
            let kept = if outcome.keep.is_some() { ", kept" } else { "" };
            let retry = outcome.retry_in.map(debug::num).unwrap_or_default();
            let after = if retry.is_empty() {
                ""
            } else {
                ", retry in ms "
            };
            self.debug(&[what, kept, after, &retry]);
        }
        if outcome.renew_session {
            self.renew_session();
        }
        if let Some(body) = outcome.keep {
            self.keep(body);
        }
        if let Some(body) = outcome.delivered_from_queue {
            transport::delivered(&body);
        }
        if let Some(ms) = outcome.retry_in {
            self.schedule_retry(ms);
        }
        if matches!(answer, Answer::Accepted | Answer::SessionInvalid) {
            return self.report_drops();
        }
        false
    }

    /// Resends the offline queue after `ms` (not while paused: `resume()` sends it).
    fn schedule_retry(&mut self, ms: f64) {
        if self.paused {
            self.outbox.retry_ran();
            return;
        }
        self.retry = Some(Timeout::new(ms, || {
            with(|a| {
                a.retry = None;
                a.outbox.retry_ran();
            });
            resend_kept();
        }));
    }

    /// The collector is reachable: what was dropped on the way is reported, one
    /// `wasm-rum.items_dropped` event per reason.
    fn report_drops(&mut self) -> bool {
        if self.paused || self.outbox.drops.is_empty() {
            return false;
        }
        let mut flush_now = false;
        for (reason, n) in self.outbox.drops.take() {
            flush_now |= self.push(Item::Event(reason.event(n, date_now())));
        }
        transport::store_drops(&self.outbox.drops);
        flush_now
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

    /// Stops collecting (consent withdrawn): drops what is queued, keeps nothing, sends
    /// nothing (the resend of the offline queue is cancelled; the queue stays in storage).
    pub fn pause(&mut self) {
        self.paused = true;
        self.batch.take();
        self.sealed.clear();
        self.timer = None;
        self.retry = None;
        self.outbox.retry_ran();
    }

    /// Collects again: the session is stored, and what earlier page views kept goes out.
    pub fn resume(&mut self) -> bool {
        if !self.paused {
            return false;
        }
        self.paused = false;
        self.store_session();
        self.take_stored_drops();
        true
    }

    /// Current epoch ms (for features that need the agent's clock).
    pub fn now(&self) -> f64 {
        date_now()
    }
}

/// A JS value to a string map, for `context` and `attributes` (the entry module already made
/// every value a string; anything else is skipped).
pub fn str_map(v: &JsValue) -> wire::StrMap {
    crate::config::string_entries(v)
}
