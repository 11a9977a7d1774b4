//! Core Web Vitals from `PerformanceObserver` entries: converts entries into `core::vitals`
//! structs, follows the page's lifecycle (hidden, prerender activation, back/forward-cache
//! restores, trusted input), and pushes each report as a Faro `web-vitals` measurement.
use crate::prelude::*;
use crate::browser::Local;


use super::bindings::{date_now, entries_by_type, performance_now};
use super::js::{flag, get, num, text};
use super::lifecycle::{
    after_double_raf, hidden_since_load, initial_first_hidden, is_hidden, loading, once,
    prerendering, was_discarded, when_activated, when_idle_or_hidden,
};
use super::listener::{defer, Listener};
use super::observe::{observe, Observer};
use super::storage::{self, Store};
use crate::agent;
use crate::config::Config;
use crate::core::payload::Item;
use crate::core::rand;
use crate::core::vitals::cls::{Cls, LayoutShift};
use crate::core::vitals::inp::{self, EventEntry, Interactions, Loaf, Pick, Script};
use crate::core::vitals::lcp::{self, LcpEntry, LcpResource};
use crate::core::vitals::report::new_id;
use crate::core::vitals::selector::{selector, NodePart};
use crate::core::vitals::wire::{self, Attribution};
use crate::core::vitals::{fcp, ttfb};
use crate::core::vitals::{
    first_hidden_after_hide, load_state, paint_value, Metric, Name, NavTiming, Report,
};
use core::any::Any;
use core::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const BFCACHE: &str = "back-forward-cache";

/// Where Faro keeps the id of the page's navigation; sent as `navigation_entry_id`.
const FARO_NAVIGATION_ID_KEY: &str = "com.grafana.faro.lastNavigationId";

/// A resource the LCP image may have come from (web-vitals keeps the last 50 it observed).
struct Resource {
    url: String,
    timing: LcpResource,
    start_time: f64,
}

struct State {
    report_all: bool,
    first_hidden: f64,
    /// `pageshow.timeStamp` of the last restore, -1 before any.
    restore_time: f64,
    nav: Option<NavTiming>,
    fcp: Metric,
    fcp_start: f64,
    lcp: Metric,
    lcp_final: bool,
    lcp_entry: Option<LcpEntry>,
    resources: Vec<Resource>,
    cls: Metric,
    cls_state: Cls,
    cls_started: bool,
    pending_shifts: Vec<LayoutShift>,
    inp: Metric,
    interactions: Interactions,
    inp_pick: Option<Pick>,
    min_id: u64,
    max_id: u64,
    ttfb: Metric,
    ttfb_reported: bool,
}

static STATE: Local<RefCell<Option<State>>> = Local(RefCell::new(None));
/// The running observers by what they observe: reached by the hidden handler (takeRecords),
/// the LCP finalisation (disconnect) and the restore handler (which metrics exist).
static OBSERVERS: Local<RefCell<Vec<(&'static str, Observer)>>> = Local(RefCell::new(Vec::new()));

/// The one place that borrows the state (not generic: one copy in the wasm).
fn with_state(f: &mut dyn FnMut(&mut State)) {
    STATE.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if let Some(s) = s.as_mut() {
                f(s);
            }
        }
    });
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    let (mut f, mut out) = (Some(f), None);
    with_state(&mut |s| out = f.take().map(|f| f(s)));
    out
}

fn observing(key: &str) -> bool {
    OBSERVERS.with(|o| {
        o.try_borrow()
            .is_ok_and(|o| o.iter().any(|(k, _)| *k == key))
    })
}

fn keep(key: &'static str, observer: Option<Observer>) {
    if let Some(obs) = observer {
        OBSERVERS.with(|o| {
            if let Ok(mut o) = o.try_borrow_mut() {
                o.push((key, obs));
            }
        });
    }
}

fn take_records(key: &str) -> js_sys::Array {
    OBSERVERS.with(|o| {
        o.try_borrow()
            .ok()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, obs)| obs.take_records())
            })
            .unwrap_or_default()
    })
}

fn new_metric(name: Name, navigation_type: &'static str) -> Metric {
    Metric::new(name, new_id(date_now(), rand::unit()), navigation_type)
}

/// The navigation entry, if valid as web-vitals defines it (0 < responseStart < now).
fn navigation() -> Option<(NavTiming, String)> {
    let e = entries_by_type("navigation").get(0);
    if !e.is_object() {
        return None;
    }
    let n = NavTiming {
        activation_start: num(&e, "activationStart"),
        response_start: num(&e, "responseStart"),
        worker_start: num(&e, "workerStart"),
        fetch_start: num(&e, "fetchStart"),
        domain_lookup_start: num(&e, "domainLookupStart"),
        connect_start: num(&e, "connectStart"),
        connect_end: num(&e, "connectEnd"),
        dom_interactive: num(&e, "domInteractive"),
        dom_content_loaded_start: num(&e, "domContentLoadedEventStart"),
        dom_complete: num(&e, "domComplete"),
    };
    (n.response_start > 0.0 && n.response_start < performance_now()).then(|| (n, text(&e, "type")))
}

/// The navigation type of a metric instance created now (web-vitals' `initMetric`).
fn navigation_type(restored: bool) -> &'static str {
    if restored {
        return BFCACHE;
    }
    let Some((n, kind)) = navigation() else {
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

/// The selector of a DOM node, as web-vitals' attribution build gives it.
fn node_selector(node: &JsValue) -> String {
    let mut chain = Vec::new();
    let mut cur: Option<web_sys::Node> = node.dyn_ref::<web_sys::Node>().cloned();
    while let Some(n) = cur {
        if n.node_type() == 9 || chain.len() > 64 {
            break;
        }
        let part = match n.dyn_ref::<web_sys::Element>() {
            Some(el) => {
                let list = el.class_list();
                NodePart {
                    id: el.id(),
                    name: n.node_name().to_ascii_lowercase(),
                    classes: (0..list.length()).filter_map(|i| list.item(i)).collect(),
                }
            }
            None => NodePart {
                id: String::new(),
                name: n.node_name().trim_start_matches('#').to_ascii_uppercase(),
                classes: Vec::new(),
            },
        };
        let stop = !part.id.is_empty();
        chain.push(part);
        if stop {
            break;
        }
        cur = n.parent_node();
    }
    selector(&chain)
}

/// The attribution of a report, from what the state holds now (as web-vitals' attribution
/// build computes it when the report is made).
fn attribution(r: &Report, s: &State) -> Attribution {
    let restored = r.navigation_type == BFCACHE;
    let nav = s.nav.as_ref();
    let state = |t: f64| load_state(loading(), nav, t);
    match r.name {
        Name::Fcp => fcp::attribution(
            r.value,
            nav,
            (!restored && s.fcp_start >= 0.0).then_some(s.fcp_start),
            s.restore_time,
            loading(),
        ),
        Name::Lcp => {
            let entry = s.lcp_entry.as_ref().filter(|_| !restored);
            let resource = entry
                .filter(|e| !e.url.is_empty())
                .and_then(|e| lcp_resource(s, &e.url, e.start_time));
            Attribution::Lcp {
                element: entry.map(|e| e.target.clone()).unwrap_or_default(),
                subparts: lcp::subparts(
                    r.value,
                    nav.filter(|_| entry.is_some()),
                    resource.as_ref(),
                ),
            }
        }
        Name::Cls => match s.cls_state.largest_shift() {
            Some(shift) => Attribution::Cls {
                target: shift.target.clone(),
                value: shift.value,
                time: shift.start_time,
                load_state: state(shift.start_time),
            },
            None => Attribution::Cls {
                target: String::new(),
                value: 0.0,
                time: 0.0,
                load_state: "",
            },
        },
        Name::Inp => {
            let pick = s.inp_pick.clone().unwrap_or(Pick {
                latency: r.value,
                first: None,
            });
            let at = match &pick.first {
                Some((_, e, _)) => e.start_time,
                None => s.restore_time.max(0.0),
            };
            Attribution::Inp {
                parts: s.interactions.attribution(&pick),
                load_state: state(at),
            }
        }
        Name::Ttfb => ttfb::attribution(r.value, nav, restored),
    }
}

/// The resource that loaded the LCP image: the last with its URL that started no later than
/// the paint, among the last 50 observed, else in the timeline.
fn lcp_resource(s: &State, url: &str, lcp_start: f64) -> Option<LcpResource> {
    let started = |start: f64| start <= lcp_start;
    if let Some(r) = s
        .resources
        .iter()
        .rev()
        .find(|r| r.url == url && started(r.start_time))
    {
        return Some(r.timing);
    }
    entries_by_type("resource")
        .iter()
        .map(|e| resource(&e))
        .rfind(|r| r.url == url && started(r.start_time))
        .map(|r| r.timing)
}

fn resource(e: &JsValue) -> Resource {
    let req = num(e, "requestStart");
    let start = if req > 0.0 { req } else { num(e, "startTime") };
    Resource {
        url: text(e, "name"),
        timing: LcpResource {
            request_start: start,
            response_end: num(e, "responseEnd"),
        },
        start_time: start,
    }
}

fn on_resources(entries: js_sys::Array) {
    let list: Vec<Resource> = entries.iter().map(|e| resource(&e)).collect();
    with(|s| {
        for r in list {
            if s.resources.len() == 50 {
                s.resources.remove(0);
            }
            s.resources.push(r);
        }
    });
}

/// Reports one metric of the state (when forced or reporting all changes) into `out`.
fn report(s: &mut State, which: Name, force: bool, out: &mut Vec<Item>) {
    let all = s.report_all;
    let metric = match which {
        Name::Fcp => &mut s.fcp,
        Name::Lcp => &mut s.lcp,
        Name::Cls => &mut s.cls,
        Name::Inp => &mut s.inp,
        Name::Ttfb => &mut s.ttfb,
    };
    if let Some(r) = metric.report(force, all) {
        let a = attribution(&r, s);
        let id = storage::get(Store::Session, FARO_NAVIGATION_ID_KEY);
        let id = id.as_deref().unwrap_or("unknown");
        out.push(Item::Measurement(wire::measurement(&r, &a, id, date_now())));
    }
}

/// Runs `f` on the state, then pushes what it reported (outside the state borrow).
fn update(f: impl FnOnce(&mut State, &mut Vec<Item>)) {
    let mut out = Vec::new();
    with(|s| f(s, &mut out));
    for item in out {
        agent::push(item);
    }
}

fn on_paint(entries: js_sys::Array) {
    for e in entries.iter() {
        if text(&e, "name") != "first-contentful-paint" {
            continue;
        }
        let start = num(&e, "startTime");
        let mut reported = false;
        update(|s, out| {
            if s.fcp_start >= 0.0 {
                return; // already handled (web-vitals disconnects here)
            }
            s.fcp_start = start;
            let activation = s.nav.map_or(0.0, |n| n.activation_start);
            let Some(v) = paint_value(start, s.first_hidden, activation) else {
                return;
            };
            s.fcp.value = v;
            report(s, Name::Fcp, true, out);
            reported = true;
            // CLS starts with the FCP report, every shift buffered so far as its first batch.
            s.cls_started = true;
            let pending = core::mem::take(&mut s.pending_shifts);
            if s.cls_state.on_batch(&pending) {
                s.cls.value = s.cls_state.value;
            }
            report(s, Name::Cls, false, out);
        });
        if reported {
            // web-vitals reports CLS once a task after setting it up (seen with reportAllChanges).
            defer(0.0, || update(|s, out| report(s, Name::Cls, false, out)));
        }
    }
}

fn on_lcp(entries: js_sys::Array) {
    let len = entries.length() as usize;
    let report_all = with(|s| s.report_all).unwrap_or(false);
    for i in lcp::entries_to_process(len, report_all) {
        let e = entries.get(i as u32);
        let element = get(&e, "element");
        let target = if element.is_object() {
            node_selector(&element)
        } else {
            let id = text(&e, "id");
            if id.is_empty() {
                id
            } else {
                String::from("#") + &id
            }
        };
        let entry = LcpEntry {
            start_time: num(&e, "startTime"),
            target,
            url: text(&e, "url"),
        };
        update(|s, out| {
            if s.lcp_final {
                return;
            }
            let activation = s.nav.map_or(0.0, |n| n.activation_start);
            if let Some(v) = paint_value(entry.start_time, s.first_hidden, activation) {
                s.lcp.value = v;
                s.lcp_entry = Some(entry);
                report(s, Name::Lcp, false, out);
            }
        });
    }
}

/// Freezes LCP (on the first trusted key, click or hide), unless the instance changed meanwhile.
fn finalize_lcp(id: Option<String>) {
    update(|s, out| {
        if s.lcp_final || id.is_some_and(|id| id != s.lcp.id) {
            return;
        }
        s.lcp_final = true;
        report(s, Name::Lcp, true, out);
    });
    OBSERVERS.with(|o| {
        if let Ok(o) = o.try_borrow() {
            if let Some((_, obs)) = o.iter().find(|(k, _)| *k == "lcp") {
                obs.disconnect();
            }
        }
    });
}

fn on_trusted_input() {
    let id = with(|s| (!s.lcp_final).then(|| s.lcp.id.clone())).flatten();
    if let Some(id) = id {
        when_idle_or_hidden(Box::new(move || finalize_lcp(Some(id))));
    }
}

fn shift(e: &JsValue) -> LayoutShift {
    let sources = get(e, "sources");
    let mut target = String::new();
    if let Some(list) = sources.dyn_ref::<js_sys::Array>() {
        let nodes: Vec<JsValue> = list.iter().map(|s| get(&s, "node")).collect();
        let chosen = nodes
            .iter()
            .find(|n| n.dyn_ref::<web_sys::Element>().is_some())
            .or(nodes.first());
        if let Some(n) = chosen.filter(|n| n.is_object()) {
            target = node_selector(n);
        }
    }
    LayoutShift {
        value: num(e, "value"),
        start_time: num(e, "startTime"),
        had_recent_input: flag(e, "hadRecentInput"),
        target,
    }
}

fn on_shifts(entries: js_sys::Array, force: bool) {
    let batch: Vec<LayoutShift> = entries.iter().map(|e| shift(&e)).collect();
    update(|s, out| {
        if !s.cls_started {
            s.pending_shifts.extend(batch);
            return;
        }
        if s.cls_state.on_batch(&batch) {
            s.cls.value = s.cls_state.value;
        }
        report(s, Name::Cls, force, out);
    });
}

fn interaction_count(s: &State) -> u64 {
    let perf = get(&js_sys::global(), "performance");
    match get(&perf, "interactionCount").as_f64() {
        Some(n) => n as u64,
        None => inp::estimate_count(s.min_id, s.max_id),
    }
}

fn event_entry(e: &JsValue) -> EventEntry {
    let target = get(e, "target");
    EventEntry {
        interaction_id: num(e, "interactionId") as u64,
        duration: num(e, "duration"),
        start_time: num(e, "startTime"),
        processing_start: num(e, "processingStart"),
        processing_end: num(e, "processingEnd"),
        name: text(e, "name"),
        target: if target.is_object() {
            node_selector(&target)
        } else {
            text(e, "targetSelector")
        },
    }
}

fn on_events(entries: js_sys::Array, force: bool) {
    let batch: Vec<EventEntry> = entries.iter().map(|e| event_entry(&e)).collect();
    // As web-vitals, entries are processed when idle (or hidden), so that every event entry of
    // an interaction has arrived.
    when_idle_or_hidden(Box::new(move || {
        update(|s, out| {
            for e in &batch {
                s.interactions.process(e);
            }
            let count = interaction_count(s);
            let restored = s.inp.navigation_type == BFCACHE;
            if let Some(pick) = s.interactions.pick(count, restored) {
                if pick.latency != s.inp.value {
                    s.inp.value = pick.latency;
                    s.inp_pick = Some(pick);
                    report(s, Name::Inp, false, out);
                }
            }
            if force {
                report(s, Name::Inp, true, out);
            }
        });
        // web-vitals trims its frames and LoAFs in a later idle task.
        when_idle_or_hidden(Box::new(cleanup_interactions));
    }));
}

fn cleanup_interactions() {
    with(|s| s.interactions.cleanup());
}

fn on_loafs(entries: js_sys::Array) {
    let loafs: Vec<Loaf> = entries
        .iter()
        .map(|l| Loaf {
            start_time: num(&l, "startTime"),
            duration: num(&l, "duration"),
            style_and_layout_start: num(&l, "styleAndLayoutStart"),
            scripts: get(&l, "scripts")
                .dyn_into::<js_sys::Array>()
                .map(|list| {
                    list.iter()
                        .map(|s| Script {
                            start_time: num(&s, "startTime"),
                            duration: num(&s, "duration"),
                            forced_style_and_layout_duration: num(
                                &s,
                                "forcedStyleAndLayoutDuration",
                            ),
                            invoker_type: text(&s, "invokerType"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    with(|s| s.interactions.add_loafs(loafs));
    when_idle_or_hidden(Box::new(cleanup_interactions));
}

fn on_count(entries: js_sys::Array) {
    let ids: Vec<u64> = entries
        .iter()
        .map(|e| num(&e, "interactionId") as u64)
        .filter(|id| *id > 0)
        .collect();
    with(|s| {
        for id in ids {
            s.min_id = if s.min_id == 0 { id } else { s.min_id.min(id) };
            s.max_id = s.max_id.max(id);
        }
    });
}

/// Final values when the page is hidden: pending shifts and events first, then forced reports.
/// Runs from a capturing window listener, so before the agent's own flush on the same event.
fn on_hidden() {
    if observing("cls") {
        on_shifts(take_records("cls"), true);
    }
    if observing("inp") {
        on_events(take_records("inp"), true);
    }
}

fn on_restore(event_time: f64) {
    update(|s, out| {
        s.restore_time = event_time;
        if observing("fcp") {
            s.fcp = new_metric(Name::Fcp, BFCACHE);
        }
        if observing("lcp") {
            s.lcp = new_metric(Name::Lcp, BFCACHE);
            s.lcp_final = false;
            s.lcp_entry = None;
        }
        if s.cls_started {
            s.cls = new_metric(Name::Cls, BFCACHE);
            s.cls_state = Cls::default();
        }
        if observing("inp") {
            let count = interaction_count(s);
            s.interactions.reset(count);
            s.inp = new_metric(Name::Inp, BFCACHE);
            s.inp_pick = None;
        }
        if s.ttfb_reported {
            s.ttfb = new_metric(Name::Ttfb, BFCACHE);
            s.ttfb.value = 0.0;
            report(s, Name::Ttfb, true, out);
        }
    });
    // Once the page has had a chance to become visible, it counts as visible since the restore.
    defer(0.0, || {
        with(|s| s.first_hidden = hidden_since_load());
    });
    after_double_raf(Box::new(move || {
        update(|s, out| {
            let value = performance_now() - event_time;
            if s.fcp.navigation_type == BFCACHE && s.fcp.value < 0.0 {
                s.fcp.value = value;
                report(s, Name::Fcp, true, out);
            }
            // A restored LCP is the first paint, whatever input came before it.
            if s.lcp.navigation_type == BFCACHE && s.lcp.value < 0.0 {
                s.lcp.value = value;
                s.lcp_final = true;
                report(s, Name::Lcp, true, out);
            }
            if s.cls_started {
                report(s, Name::Cls, false, out);
            }
        });
    }));
}

/// TTFB once it is safe to read: after activation, after `load`, one task later.
fn when_ttfb_ready() {
    if prerendering() {
        when_activated(when_ttfb_ready);
        return;
    }
    let complete = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.ready_state() == "complete");
    if complete {
        defer(0.0, report_ttfb);
        return;
    }
    once("load", when_ttfb_ready);
}

fn report_ttfb() {
    let nav = navigation();
    update(|s, out| {
        let Some((n, _)) = nav else { return };
        s.nav = Some(n);
        s.ttfb.value = n.ttfb();
        s.ttfb_reported = true;
        report(s, Name::Ttfb, true, out);
    });
}

/// FCP, LCP, CLS (after FCP) and INP observers, set up once the page is activated.
fn start_observers() {
    // The navigation entry as it is now (a prerendered page's activationStart is set at activation).
    let nav = navigation().map(|(n, _)| n);
    with(|s| {
        if nav.is_some() {
            s.nav = nav;
        }
    });
    keep("fcp", observe(&["paint"], None, on_paint));
    keep("lcp", observe(&["largest-contentful-paint"], None, on_lcp));
    keep("resource", observe(&["resource"], None, on_resources));
    keep(
        "cls",
        observe(&["layout-shift"], None, |e| on_shifts(e, false)),
    );
    let event_timing = get(&js_sys::global(), "PerformanceEventTiming");
    let has_interaction_id = event_timing.is_function()
        && js_sys::Reflect::has(&get(&event_timing, "prototype"), &"interactionId".into())
            .unwrap_or(false);
    if has_interaction_id {
        let no_count =
            get(&get(&js_sys::global(), "performance"), "interactionCount").is_undefined();
        if no_count {
            // Without performance.interactionCount, the ids of every event give the count.
            keep("count", observe(&["event"], Some(0.0), on_count));
        }
        keep("loaf", observe(&["long-animation-frame"], None, on_loafs));
        keep(
            "inp",
            observe(&["event", "first-input"], Some(40.0), |e| {
                on_events(e, false)
            }),
        );
    }
}

/// Everything installed; dropping it stops the observers and listeners.
struct Guard {
    _listeners: Vec<Listener>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        OBSERVERS.with(|o| {
            if let Ok(mut o) = o.try_borrow_mut() {
                o.clear();
            }
        });
        STATE.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = None;
            }
        });
    }
}

/// Starts measuring the five Core Web Vitals.
pub fn install(config: &Config) -> Option<Box<dyn Any>> {
    let window = web_sys::window()?;
    let nav = navigation();
    let base_type = navigation_type(false);
    let activation = nav.as_ref().map_or(0.0, |(n, _)| n.activation_start);
    let state = State {
        report_all: config.web_vitals.report_all_changes,
        first_hidden: initial_first_hidden(activation),
        restore_time: -1.0,
        nav: nav.map(|(n, _)| n),
        fcp: new_metric(Name::Fcp, base_type),
        fcp_start: -1.0,
        lcp: new_metric(Name::Lcp, base_type),
        lcp_final: false,
        lcp_entry: None,
        resources: Vec::new(),
        cls: new_metric(Name::Cls, base_type),
        cls_state: Cls::default(),
        cls_started: false,
        pending_shifts: Vec::new(),
        inp: new_metric(Name::Inp, base_type),
        interactions: Interactions::default(),
        inp_pick: None,
        min_id: 0,
        max_id: 0,
        ttfb: new_metric(Name::Ttfb, base_type),
        ttfb_reported: false,
    };
    STATE.with(|s| s.try_borrow_mut().ok().map(|mut s| *s = Some(state)))?;

    let mut listeners = Vec::new();
    // Capturing on the window: the final reports are pushed before the agent's own flush (a
    // bubbling listener on the document) sends them.
    listeners.extend(Listener::new(
        window.as_ref(),
        "visibilitychange",
        true,
        |ev| {
            if is_hidden() {
                on_hidden();
            }
            // web-vitals finalises LCP on any trusted visibilitychange (shown too, for a page
            // loaded in the background), never on a scripted one.
            if ev.is_trusted() {
                on_trusted_input();
            }
            if is_hidden() {
                let t = ev.time_stamp();
                with(|s| s.first_hidden = first_hidden_after_hide(s.first_hidden, true, t));
            }
        },
    ));
    if prerendering() {
        // Activated in a background tab: hidden all along.
        listeners.extend(Listener::new(
            window.as_ref(),
            "prerenderingchange",
            true,
            |_| {
                if is_hidden() {
                    with(|s| s.first_hidden = first_hidden_after_hide(s.first_hidden, false, 0.0));
                }
            },
        ));
    }
    for kind in ["keydown", "click"] {
        listeners.extend(Listener::new(window.as_ref(), kind, true, |ev| {
            if ev.is_trusted() {
                on_trusted_input();
            }
        }));
    }
    listeners.extend(Listener::new(window.as_ref(), "pageshow", true, |ev| {
        if flag(ev.as_ref(), "persisted") {
            on_restore(ev.time_stamp());
        }
    }));
    when_activated(start_observers);
    when_ttfb_ready();
    Some(Box::new(Guard {
        _listeners: listeners,
    }))
}
