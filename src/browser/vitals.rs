//! Core Web Vitals at the edge: sets up the observers and listeners, hands their entries and the
//! page's lifecycle (hidden, prerender activation, back/forward-cache restores, trusted input)
//! to `core::vitals::page::Vitals`, and pushes the measurements it makes.
use crate::prelude::*;

use super::bindings::{date_now, performance_now};
use super::bindings::{flag, get};
use super::callback::{defer, Listener};
use super::entries::{entries, observe, Observer};
use super::lifecycle::{
    after_double_raf, hidden_since_load, initial_first_hidden, is_hidden, loading, once,
    prerendering, was_discarded, when_activated, when_idle_or_hidden,
};
use super::storage::{self, Store};
use super::{Local, Target};
use crate::config::Config;
use crate::core::rand;
use crate::core::vitals::entries::Flat;
use crate::core::vitals::first_hidden_after_hide;
use crate::core::vitals::lcp;
use crate::core::vitals::page::{Env, Observed, Resource, Vitals};
use crate::core::vitals::NavTiming;
use crate::core::wire::Item;
use crate::core::{Feature, SinkRef};
use core::cell::{RefCell, RefMut};

/// Where Faro keeps the id of the page's navigation; sent as `navigation_entry_id`.
const FARO_NAVIGATION_ID_KEY: &str = "com.grafana.faro.lastNavigationId";

static STATE: Local<RefCell<Option<Vitals>>> = Local(RefCell::new(None));

/// Where the measurements go, and the redaction of soft navigations' URLs.
static TARGET: Local<Target> = Local(Target::new());

/// `webVitals.reportSoftNavs`, for the observers set up at activation.
static SOFT_NAVS: Local<core::cell::Cell<bool>> = Local(core::cell::Cell::new(false));

/// The running observers, in the order of [`Kind`].
static OBSERVERS: Local<RefCell<[Option<Observer>; 9]>> = Local(RefCell::new([
    None, None, None, None, None, None, None, None, None,
]));

/// What each observer observes (its index in [`OBSERVERS`]).
#[derive(Clone, Copy)]
enum Kind {
    Fcp,
    Lcp,
    Resource,
    Cls,
    Inp,
    Loaf,
    Count,
    Soft,
    Paint,
}

/// The page as the metrics ask about it when they report.
struct Page;

impl Env for Page {
    fn now(&self) -> f64 {
        date_now()
    }
    fn random(&self) -> f64 {
        rand::unit()
    }
    fn loading(&self) -> bool {
        loading()
    }
    fn navigation_id(&self) -> String {
        storage::get(Store::Session, FARO_NAVIGATION_ID_KEY).unwrap_or_else(|| "unknown".into())
    }
    fn resource_timeline(&self) -> Vec<Resource> {
        let (nums, strs) = entries("resource");
        Flat::new(&nums, &strs).all(Flat::resource)
    }
    fn recent_resources(&self) -> Vec<Resource> {
        let mut list = Vec::new();
        with_observer(Kind::Resource, |o| {
            let (nums, strs) = o.records();
            list = Flat::new(&nums, &strs).all(Flat::resource);
        });
        list
    }
}

/// The metrics unless they are missing or already borrowed: one non-generic copy in the wasm
/// (a `dyn FnMut` per call site cost a vtable and a shim each).
#[inline(never)]
fn state() -> Option<RefMut<'static, Vitals>> {
    let s = STATE.0.try_borrow_mut().ok()?;
    RefMut::filter_map(s, Option::as_mut).ok()
}

fn with<R>(f: impl FnOnce(&mut Vitals) -> R) -> Option<R> {
    let mut s = state()?;
    Some(f(&mut s))
}

/// Runs `f` on the metrics, then pushes what they reported (outside the borrow).
fn update(f: impl FnOnce(&mut Vitals, &mut Vec<Item>)) {
    let mut out = Vec::new();
    with(|s| f(s, &mut out));
    TARGET.with(|t| t.push_all(out));
}

fn with_observer(kind: Kind, f: impl FnOnce(&Observer)) {
    OBSERVERS.with(|o| {
        if let Ok(o) = o.try_borrow() {
            if let Some(obs) = &o[kind as usize] {
                f(obs);
            }
        }
    });
}

fn observing(kind: Kind) -> bool {
    let mut yes = false;
    with_observer(kind, |_| yes = true);
    yes
}

fn keep(kind: Kind, observer: Option<Observer>) {
    OBSERVERS.with(|o| {
        if let Ok(mut o) = o.try_borrow_mut() {
            o[kind as usize] = observer;
        }
    });
}

/// The navigation entry, if valid as web-vitals defines it (0 < responseStart < now), its type
/// and its URL.
fn navigation() -> Option<(NavTiming, String, String)> {
    let (nums, strs) = entries("navigation");
    if nums.is_empty() {
        return None;
    }
    let (r, n, kind) = Flat::new(&nums, &strs).navigation();
    Some((n, kind, r.url))
        .filter(|(n, _, _)| n.response_start > 0.0 && n.response_start < performance_now())
}

/// The navigation type of the page's first metrics (web-vitals' `initMetric`).
fn navigation_type(nav: Option<&(NavTiming, String, String)>) -> &'static str {
    let Some((n, kind, _)) = nav else {
        return "navigate";
    };
    if prerendering() || n.activation_start > 0.0 {
        "prerender"
    } else if was_discarded() {
        "restore"
    } else {
        match kind.as_str() {
            "reload" => "reload",
            "back_forward" => "back-forward",
            _ => "navigate",
        }
    }
}

/// The navigation type of the page's own (hard) navigation, as its first metrics have it.
pub fn page_navigation_type() -> &'static str {
    navigation_type(navigation().as_ref())
}

fn on_paint(nums: &[f64], strs: &str) {
    // Entries read one by one off the batch, not collected first: a Vec of each entry type and
    // its consuming loop cost their own copies of std's code (issue 14).
    let mut batch = Flat::new(nums, strs);
    while !batch.is_empty() {
        let start = batch.paint();
        let mut reported = false;
        update(|s, out| reported = s.on_fcp(start, &Page, out));
        if reported {
            report_cls_next_task();
        }
    }
}

/// web-vitals reports CLS once a task after it starts (seen with reportAllChanges).
fn report_cls_next_task() {
    defer(0.0, || update(|s, out| s.report_cls(&Page, out)));
}

fn on_lcp(nums: &[f64], strs: &str) {
    let batch = Flat::new(nums, strs).all(Flat::lcp);
    let report_all = with(|s| s.report_all()).unwrap_or(false);
    for i in lcp::entries_to_process(batch.len(), report_all) {
        if let Some(entry) = batch.get(i) {
            let entry = entry.clone();
            update(|s, out| s.on_lcp(entry, &Page, out));
        }
    }
}

/// Freezes LCP (on the first trusted key, click or hide), unless the instance changed meanwhile.
/// With soft navigations the observers stay: each route has its LCP.
fn finalize_lcp(id: String) {
    let mut done = false;
    update(|s, out| done = s.finalize_lcp(&id, &Page, out));
    if done && !observing(Kind::Soft) {
        with_observer(Kind::Lcp, Observer::disconnect);
    }
}

/// `soft-navigation` entries: each starts the route's metrics (its URL redacted as the page's).
fn on_soft_navs(nums: &[f64], strs: &str) {
    let redact = TARGET.with(Target::redact);
    let mut batch = Flat::new(nums, strs);
    while !batch.is_empty() {
        let mut nav = batch.soft_navigation();
        nav.url = crate::core::url::redact(&nav.url, &redact);
        let url = nav.url.clone();
        update(|s, out| s.on_soft_navigation(nav, &Page, out));
        // INP's part in an idle task, as web-vitals: after the event entries that came first.
        when_idle_or_hidden(Box::new(move || {
            let browser_count = browser_interaction_count();
            update(|s, out| {
                let count = s.interaction_count(browser_count);
                s.on_soft_navigation_inp(&url, count, &Page, out);
            });
        }));
    }
}

fn on_contentful_paints(nums: &[f64], strs: &str) {
    let mut batch = Flat::new(nums, strs);
    while !batch.is_empty() {
        let p = batch.contentful_paint();
        update(|s, out| s.on_contentful_paint(p, &Page, out));
    }
}

/// web-vitals' `checkSoftNavsEnabled`: the entries exist and so does the method it reads the
/// largest paint with (older Chromium had an attribute instead).
fn soft_navs_supported() -> bool {
    let p = get(
        &get(
            &crate::browser::bindings::window(),
            "PerformanceSoftNavigation",
        ),
        "prototype",
    );
    get(&p, "getLargestInteractionContentfulPaint").is_function()
}

fn on_trusted_input() {
    if let Some(id) = with(|s| s.lcp_to_finalize()).flatten() {
        when_idle_or_hidden(Box::new(move || finalize_lcp(id)));
    }
}

fn shifts(nums: &[f64], strs: &str, force: bool) {
    let batch = Flat::new(nums, strs).all(Flat::shift);
    update(|s, out| s.on_shifts(batch, force, &Page, out));
}

fn on_shifts(nums: &[f64], strs: &str) {
    shifts(nums, strs, false);
}

fn on_final_shifts(nums: &[f64], strs: &str) {
    shifts(nums, strs, true);
}

/// `performance.interactionCount`, where the browser has it.
fn browser_interaction_count() -> Option<f64> {
    get(
        &get(&crate::browser::bindings::window(), "performance"),
        "interactionCount",
    )
    .as_f64()
}

fn events(nums: &[f64], strs: &str, force: bool) {
    let batch = Flat::new(nums, strs).all(Flat::event);
    // As web-vitals, entries are processed when idle (or hidden), so that every event entry of
    // an interaction has arrived.
    when_idle_or_hidden(Box::new(move || {
        let browser_count = browser_interaction_count();
        update(|s, out| {
            let count = s.interaction_count(browser_count);
            s.on_events(&batch, count, force, &Page, out);
        });
        // web-vitals trims its frames and LoAFs in a later idle task.
        when_idle_or_hidden(Box::new(cleanup_interactions));
    }));
}

fn on_events(nums: &[f64], strs: &str) {
    events(nums, strs, false);
}

fn on_final_events(nums: &[f64], strs: &str) {
    events(nums, strs, true);
}

fn cleanup_interactions() {
    with(|s| s.cleanup());
}

fn on_loafs(nums: &[f64], strs: &str) {
    let loafs = Flat::new(nums, strs).all(Flat::loaf);
    with(|s| s.on_loafs(loafs));
    when_idle_or_hidden(Box::new(cleanup_interactions));
}

fn on_count(nums: &[f64], strs: &str) {
    let mut ids = Vec::new();
    let mut batch = Flat::new(nums, strs);
    while !batch.is_empty() {
        ids.push(batch.event().interaction_id);
    }
    with(|s| s.on_interaction_ids(&ids));
}

/// Final values when the page is hidden: pending shifts and events first, then forced reports.
/// Runs from a capturing window listener, so before the agent's own flush on the same event.
fn on_hidden() {
    with_observer(Kind::Cls, |o| o.take_records(on_final_shifts));
    with_observer(Kind::Inp, |o| o.take_records(on_final_events));
}

fn on_restore(event_time: f64) {
    let observed = Observed {
        fcp: observing(Kind::Fcp),
        lcp: observing(Kind::Lcp),
        inp: observing(Kind::Inp),
    };
    let browser_count = browser_interaction_count();
    update(|s, out| {
        let count = s.interaction_count(browser_count);
        s.on_restore(event_time, observed, count, &Page, out);
    });
    // Once the page has had a chance to become visible, it counts as visible since the restore.
    defer(0.0, || {
        with(|s| s.first_hidden = hidden_since_load());
    });
    after_double_raf(Box::new(move || {
        let since = performance_now() - event_time;
        let mut started = false;
        update(|s, out| started = s.after_restore_paint(since, &Page, out));
        if started {
            report_cls_next_task();
        }
    }));
}

/// TTFB once it is safe to read: after activation, after `load`, one task later.
fn when_ttfb_ready() {
    if prerendering() {
        when_activated(when_ttfb_ready);
        return;
    }
    let complete = super::lifecycle::document()
        .is_some_and(|d| super::lifecycle::ready_state(&d) == "complete");
    if complete {
        defer(0.0, report_ttfb);
        return;
    }
    once("load", when_ttfb_ready);
}

fn report_ttfb() {
    if let Some((n, _, _)) = navigation() {
        update(|s, out| s.on_ttfb(n, &Page, out));
    }
}

/// FCP, LCP, CLS (after FCP) and INP observers, set up once the page is activated; with
/// `webVitals.reportSoftNavs` where the browser has them, soft navigations too.
fn start_observers() {
    if SOFT_NAVS.with(|s| s.get()) && soft_navs_supported() {
        keep(Kind::Soft, observe("soft-navigation", None, on_soft_navs));
        keep(
            Kind::Paint,
            observe("interaction-contentful-paint", None, on_contentful_paints),
        );
    }
    if let Some((n, _, _)) = navigation() {
        with(|s| s.set_navigation(n));
    }
    keep(Kind::Fcp, observe("paint", None, on_paint));
    keep(Kind::Lcp, observe("largest-contentful-paint", None, on_lcp));
    // The LCP attribution's buffer of the latest resources, kept in JS (no call per entry).
    keep(
        Kind::Resource,
        crate::browser::entries::keep("resource", 50),
    );
    keep(Kind::Cls, observe("layout-shift", None, on_shifts));
    let event_timing = get(
        &crate::browser::bindings::window(),
        "PerformanceEventTiming",
    );
    let has_interaction_id = event_timing.is_function()
        && js_sys::Reflect::has(&get(&event_timing, "prototype"), &"interactionId".into())
            .unwrap_or(false);
    if has_interaction_id {
        if browser_interaction_count().is_none() {
            // Without performance.interactionCount, the ids of every event give the count.
            keep(Kind::Count, observe("event", Some(0.0), on_count));
        }
        keep(Kind::Loaf, observe("long-animation-frame", None, on_loafs));
        keep(
            Kind::Inp,
            observe("event,first-input", Some(40.0), on_events),
        );
    }
}

/// Everything installed; dropping it stops the observers and listeners.
struct Guard {
    _listeners: Vec<Listener>,
}

impl Feature for Guard {}

impl Drop for Guard {
    fn drop(&mut self) {
        OBSERVERS.with(|o| {
            if let Ok(mut o) = o.try_borrow_mut() {
                *o = Default::default();
            }
        });
        STATE.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = None;
            }
        });
        TARGET.with(|t| t.set(None));
    }
}

fn on_visibility(ev: web_sys::Event) {
    if is_hidden() {
        on_hidden();
    }
    // web-vitals finalises LCP on any trusted visibilitychange (shown too, for a page loaded
    // in the background), never on a scripted one.
    if flag(ev.as_ref(), "isTrusted") {
        on_trusted_input();
    }
    if is_hidden() {
        let t = super::bindings::num(ev.as_ref(), "timeStamp");
        with(|s| s.first_hidden = first_hidden_after_hide(s.first_hidden, true, t));
    }
}

/// Starts measuring the five Core Web Vitals; measurements go to `sink`.
pub fn install(config: &Config, sink: SinkRef) -> Option<Box<dyn Feature>> {
    let window = crate::browser::bindings::window();
    let nav = navigation();
    let activation = nav.as_ref().map_or(0.0, |(n, _, _)| n.activation_start);
    // web-vitals' `navigationURL` of a hard navigation: the entry's URL (the page's, without one).
    let url = nav
        .as_ref()
        .map_or_else(super::meta::page_url, |(_, _, u)| u.clone());
    let vitals = Vitals::new(
        config.web_vitals.report_all_changes,
        initial_first_hidden(activation),
        nav.as_ref().map(|(n, _, _)| *n),
        navigation_type(nav.as_ref()),
        crate::core::url::redact(&url, &config.redact.query_params),
        &Page,
    );
    STATE.with(|s| s.try_borrow_mut().ok().map(|mut s| *s = Some(vitals)))?;
    SOFT_NAVS.with(|s| s.set(config.web_vitals.report_soft_navs));
    TARGET.with(|t| t.set(Some((sink, config.redact.query_params.clone()))));

    let mut listeners = Vec::new();
    // Capturing on the window: the final reports are pushed before the agent's own flush (a
    // bubbling listener on the document) sends them.
    crate::core::push_some(
        &mut listeners,
        Listener::new(window.as_ref(), "visibilitychange", true, on_visibility),
    );
    if prerendering() {
        // Activated in a background tab: hidden all along.
        crate::core::push_some(
            &mut listeners,
            Listener::new(window.as_ref(), "prerenderingchange", true, |_| {
                if is_hidden() {
                    with(|s| s.first_hidden = first_hidden_after_hide(s.first_hidden, false, 0.0));
                }
            }),
        );
    }
    for kind in ["keydown", "click"] {
        crate::core::push_some(
            &mut listeners,
            Listener::new(window.as_ref(), kind, true, |ev| {
                if flag(ev.as_ref(), "isTrusted") {
                    on_trusted_input();
                }
            }),
        );
    }
    crate::core::push_some(
        &mut listeners,
        Listener::new(window.as_ref(), "pageshow", true, |ev| {
            if flag(ev.as_ref(), "persisted") {
                on_restore(super::bindings::num(ev.as_ref(), "timeStamp"));
            }
        }),
    );
    when_activated(start_observers);
    when_ttfb_ready();
    Some(Box::new(Guard {
        _listeners: listeners,
    }))
}
