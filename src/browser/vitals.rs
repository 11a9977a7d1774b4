//! Core Web Vitals from `PerformanceObserver` entries: converts entries into `core::vitals`
//! structs, follows the page's lifecycle (hidden, back/forward-cache restores, trusted input),
//! and pushes each report as a Faro `web-vitals` measurement.

use super::bindings::{
    add_global_listener, date_now, entries_by_type, performance_now, request_animation_frame,
    request_idle_callback, TypedObserver, SUPPORTED_ENTRY_TYPES,
};
use super::js::{flag, get, num, text};
use super::listener::{defer, Listener};
use crate::agent;
use crate::config::Config;
use crate::core::payload::{Item, Measurement};
use crate::core::rand;
use crate::core::vitals::cls::{Cls, LayoutShift};
use crate::core::vitals::inp::{self, EventEntry, Interactions};
use crate::core::vitals::lcp::{self, LcpEntry, LcpResource};
use crate::core::vitals::report::new_id;
use crate::core::vitals::selector::{selector, NodePart};
use crate::core::vitals::{load_state, paint_value, Metric, Name, NavTiming, Report};
use std::any::Any;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A frame of event entries painted together (for INP's processing/presentation split).
#[derive(Clone, Copy)]
struct Frame {
    end: f64,
    processing_start: f64,
    processing_end: f64,
}

struct State {
    report_all: bool,
    first_hidden: f64,
    restored: bool,
    nav: Option<NavTiming>,
    base_type: &'static str,
    fcp: Metric,
    lcp: Metric,
    lcp_final: bool,
    lcp_entry: Option<LcpEntry>,
    cls: Metric,
    cls_state: Cls,
    cls_started: bool,
    pending_shifts: Vec<LayoutShift>,
    inp: Metric,
    interactions: Interactions,
    inp_baseline: u64,
    inp_entry: Option<EventEntry>,
    frames: Vec<Frame>,
    min_id: u64,
    max_id: u64,
    ttfb: Metric,
    ttfb_reported: bool,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    static OBSERVERS: RefCell<Vec<(&'static str, TypedObserver)>> = const { RefCell::new(Vec::new()) };
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

fn new_metric(name: Name, navigation_type: &'static str) -> Metric {
    Metric::new(name, new_id(date_now(), rand::unit()), navigation_type)
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn is_hidden() -> bool {
    document().is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

fn prerendering() -> bool {
    document().is_some_and(|d| flag(d.as_ref(), "prerendering"))
}

/// The navigation entry, if valid as web-vitals defines it (0 < responseStart < now).
fn navigation() -> Option<(NavTiming, String)> {
    let e = entries_by_type("navigation").get(0);
    if e.is_undefined() {
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

fn navigation_type(nav: &Option<(NavTiming, String)>) -> &'static str {
    let Some((n, kind)) = nav else {
        return "navigate";
    };
    if prerendering() || n.activation_start > 0.0 {
        "prerender"
    } else if document().is_some_and(|d| flag(d.as_ref(), "wasDiscarded")) {
        "restore"
    } else {
        match kind.as_str() {
            "reload" => "reload",
            "back_forward" => "back-forward",
            _ => "navigate",
        }
    }
}

fn initial_first_hidden(activation_start: f64) -> f64 {
    if !prerendering() {
        let entries = entries_by_type("visibility-state");
        for e in entries.iter() {
            if text(&e, "name") == "hidden" && num(&e, "startTime") >= activation_start {
                return num(&e, "startTime");
            }
        }
    }
    if is_hidden() && !prerendering() {
        0.0
    } else {
        f64::INFINITY
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

fn loading() -> bool {
    document().is_some_and(|d| d.ready_state() == "loading")
}

fn push_nonzero(values: &mut Vec<(String, f64)>, key: &str, v: f64) {
    if v != 0.0 && v.is_finite() {
        values.push((key.into(), v));
    }
}

/// Turns a report into the Faro measurement, with the attribution for its metric.
fn measurement(r: &Report, s: &State) -> Item {
    let mut values = vec![
        (r.name.key().to_string(), r.value),
        ("delta".to_string(), r.delta),
    ];
    let mut context = vec![
        ("id".to_string(), r.id.clone()),
        ("rating".to_string(), r.rating.as_str().to_string()),
        ("navigation_type".to_string(), r.navigation_type.to_string()),
    ];
    let nav = if r.navigation_type == "back-forward-cache" {
        None
    } else {
        s.nav.as_ref()
    };
    let state = |t: f64| load_state(loading(), nav, t).to_string();
    match r.name {
        Name::Fcp => {
            let ttfb = nav.map_or(0.0, |n| n.ttfb());
            push_nonzero(&mut values, "time_to_first_byte", ttfb);
            push_nonzero(&mut values, "first_byte_to_fcp", r.value - ttfb);
            context.push((
                "load_state".into(),
                state(r.value + nav.map_or(0.0, |n| n.activation_start)),
            ));
        }
        Name::Lcp => {
            let resource = s
                .lcp_entry
                .as_ref()
                .filter(|e| !e.url.is_empty())
                .and_then(|e| lcp_resource(&e.url, e.start_time));
            for (k, v) in lcp::subparts(r.value, nav, resource.as_ref()) {
                push_nonzero(&mut values, k, v);
            }
            if let Some(e) = &s.lcp_entry {
                if !e.target.is_empty() {
                    context.push(("element".into(), e.target.clone()));
                }
            }
        }
        Name::Cls => {
            if let Some(shift) = s.cls_state.largest_shift() {
                push_nonzero(&mut values, "largest_shift_value", shift.value);
                push_nonzero(&mut values, "largest_shift_time", shift.start_time);
                if !shift.target.is_empty() {
                    context.push(("largest_shift_target".into(), shift.target.clone()));
                }
                context.push(("load_state".into(), state(shift.start_time)));
            }
        }
        Name::Inp => {
            if let Some(first) = &s.inp_entry {
                let end = first.start_time + first.duration;
                let group = s
                    .frames
                    .iter()
                    .rev()
                    .find(|f| (f.end - end).abs() <= 8.0)
                    .map_or((first.processing_start, first.processing_end), |f| {
                        (f.processing_start, f.processing_end)
                    });
                let p = inp::parts(first, group);
                push_nonzero(&mut values, "interaction_time", p.interaction_time);
                push_nonzero(&mut values, "input_delay", p.input_delay);
                push_nonzero(&mut values, "processing_duration", p.processing_duration);
                push_nonzero(&mut values, "presentation_delay", p.presentation_delay);
                push_nonzero(&mut values, "next_paint_time", p.next_paint_time);
                if !first.target.is_empty() {
                    context.push(("interaction_target".into(), first.target.clone()));
                }
                context.push((
                    "interaction_type".into(),
                    if first.name.starts_with("key") {
                        "keyboard"
                    } else {
                        "pointer"
                    }
                    .into(),
                ));
                context.push(("load_state".into(), state(first.start_time)));
            }
        }
        Name::Ttfb => {
            if let Some(n) = nav {
                for (k, v) in n.ttfb_breakdown(r.value) {
                    push_nonzero(&mut values, k, v);
                }
            }
        }
    }
    Item::Measurement(Measurement {
        kind: "web-vitals".into(),
        values,
        timestamp: date_now(),
        context,
        trace: None,
    })
}

/// The resource entry that loaded the LCP image: the last with its URL that started before the paint.
fn lcp_resource(url: &str, lcp_start: f64) -> Option<LcpResource> {
    let entries = entries_by_type("resource");
    let mut found = None;
    for e in entries.iter() {
        if text(&e, "name") == url {
            let req = num(&e, "requestStart");
            let start = if req > 0.0 { req } else { num(&e, "startTime") };
            if start <= lcp_start {
                found = Some(LcpResource {
                    request_start: start,
                    response_end: num(&e, "responseEnd"),
                });
            }
        }
    }
    found
}

/// web-vitals' `whenIdleOrHidden`: at once when hidden; otherwise in an idle callback (at most
/// 1 s away) or on the next `visibilitychange`, whichever comes first.
fn when_idle_or_hidden(f: impl FnOnce() + 'static) {
    if is_hidden() {
        f();
        return;
    }
    let slot = std::rc::Rc::new(RefCell::new(Some(f)));
    let run = {
        let slot = slot.clone();
        move || {
            let f = slot.borrow_mut().take();
            if let Some(f) = f {
                f();
            }
        }
    };
    let run2 = run.clone();
    let idle: JsValue = Closure::once_into_js(run);
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"timeout".into(), &JsValue::from_f64(1000.0));
    if request_idle_callback(idle.unchecked_ref(), &opts).is_err() {
        super::bindings::set_timeout(idle.unchecked_ref(), 0.0);
    }
    let on_hide: JsValue = Closure::once_into_js(move |_: JsValue| run2());
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"capture".into(), &JsValue::TRUE);
    let _ = js_sys::Reflect::set(&opts, &"once".into(), &JsValue::TRUE);
    add_global_listener("visibilitychange", on_hide.unchecked_ref(), &opts);
}

/// Reports and pushes (outside the state borrow).
fn emit(reports: Vec<Item>) {
    for item in reports {
        agent::push(item);
    }
}

fn report(
    metric: fn(&mut State) -> &mut Metric,
    force: bool,
) -> impl FnOnce(&mut State) -> Option<Item> {
    move |s: &mut State| {
        let all = s.report_all;
        let r = metric(s).report(force, all)?;
        Some(measurement(&r, s))
    }
}

fn on_paint(entries: js_sys::Array) {
    for e in entries.iter() {
        if text(&e, "name") != "first-contentful-paint" {
            continue;
        }
        let start = num(&e, "startTime");
        let item = with(|s| {
            let activation = s.nav.map_or(0.0, |n| n.activation_start);
            let v = paint_value(start, s.first_hidden, activation)?;
            s.fcp.value = v;
            let item = report(|s| &mut s.fcp, true)(s);
            // CLS starts once FCP is reported, with every shift buffered so far as its first batch.
            s.cls_started = true;
            let pending = std::mem::take(&mut s.pending_shifts);
            if s.cls_state.on_batch(&pending) {
                s.cls.value = s.cls_state.value;
            }
            item
        })
        .flatten();
        emit(item.into_iter().collect());
        // web-vitals reports CLS once right after setting it up (only visible with reportAllChanges).
        defer(0.0, || {
            emit(
                with(report(|s| &mut s.cls, false))
                    .flatten()
                    .into_iter()
                    .collect(),
            )
        });
    }
}

fn on_lcp(entries: js_sys::Array) {
    let len = entries.length() as usize;
    let report_all = with(|s| s.report_all).unwrap_or(false);
    let mut items = Vec::new();
    for i in lcp::entries_to_process(len, report_all) {
        let e = entries.get(i as u32);
        let start = num(&e, "startTime");
        let element = get(&e, "element");
        let target = if element.is_object() {
            node_selector(&element)
        } else {
            text(&e, "id")
                .chars()
                .next()
                .map(|_| String::from("#") + &text(&e, "id"))
                .unwrap_or_default()
        };
        let entry = LcpEntry {
            start_time: start,
            target,
            url: text(&e, "url"),
        };
        if let Some(Some(item)) = with(|s| {
            if s.lcp_final {
                return None;
            }
            let activation = s.nav.map_or(0.0, |n| n.activation_start);
            let v = paint_value(start, s.first_hidden, activation)?;
            s.lcp.value = v;
            s.lcp_entry = Some(entry);
            report(|s| &mut s.lcp, false)(s)
        }) {
            items.push(item);
        }
    }
    emit(items);
}

fn finalize_lcp() {
    let item = with(|s| {
        if s.lcp_final {
            return None;
        }
        s.lcp_final = true;
        report(|s| &mut s.lcp, true)(s)
    });
    emit(item.flatten().into_iter().collect());
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
        if let Some(n) = chosen {
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
    let item = with(|s| {
        if !s.cls_started {
            s.pending_shifts.extend(batch);
            return None;
        }
        if s.cls_state.on_batch(&batch) {
            s.cls.value = s.cls_state.value;
        }
        report(|s| &mut s.cls, force)(s)
    });
    emit(item.flatten().into_iter().collect());
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
            String::new()
        },
    }
}

fn on_events(entries: js_sys::Array, force: bool) {
    let batch: Vec<EventEntry> = entries.iter().map(|e| event_entry(&e)).collect();
    // As web-vitals, entries are processed when idle (or hidden), so that every event entry of
    // an interaction has arrived.
    when_idle_or_hidden(move || process_events(batch, force));
}

fn process_events(batch: Vec<EventEntry>, force: bool) {
    let item = with(|s| {
        for e in &batch {
            let end = e.start_time + e.duration;
            match s
                .frames
                .iter_mut()
                .rev()
                .find(|f| (f.end - end).abs() <= 8.0)
            {
                Some(f) => {
                    f.processing_start = f.processing_start.min(e.processing_start);
                    f.processing_end = f.processing_end.max(e.processing_end);
                }
                None => s.frames.push(Frame {
                    end,
                    processing_start: e.processing_start,
                    processing_end: e.processing_end,
                }),
            }
            if s.frames.len() > 50 {
                s.frames.remove(0);
            }
            s.interactions.process(e);
        }
        let n = interaction_count(s).saturating_sub(s.inp_baseline);
        if let Some(c) = s.interactions.candidate(n) {
            if c.latency != s.inp.value {
                s.inp.value = c.latency;
                s.inp_entry = c.entries.first().cloned();
            }
        }
        report(|s| &mut s.inp, force)(s)
    });
    emit(item.flatten().into_iter().collect());
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

/// Observes `kind` (buffered) and registers the observer under `key` for `take_records`.
fn observer(
    kind: &'static str,
    key: &'static str,
    extra: &[(&str, f64)],
    cb: fn(js_sys::Array, bool),
) -> Option<Closure<dyn Fn(JsValue)>> {
    let supported = SUPPORTED_ENTRY_TYPES.with(|t| {
        t.dyn_ref::<js_sys::Array>()
            .is_some_and(|a| a.includes(&JsValue::from_str(kind), 0))
    });
    if !supported {
        return None;
    }
    let closure = Closure::<dyn Fn(JsValue)>::new(move |list: JsValue| {
        let entries = js_sys::Reflect::get(&list, &"getEntries".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call0(&list).ok())
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
            .unwrap_or_default();
        cb(entries, false);
    });
    let obs = TypedObserver::new_vitals_observer(closure.as_ref().unchecked_ref()).ok()?;
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"type".into(), &kind.into());
    let _ = js_sys::Reflect::set(&opts, &"buffered".into(), &JsValue::TRUE);
    for (k, v) in extra {
        let _ = js_sys::Reflect::set(&opts, &(*k).into(), &JsValue::from_f64(*v));
    }
    obs.observe_with(&opts).ok()?;
    OBSERVERS.with(|o| o.borrow_mut().push((key, obs)));
    Some(closure)
}

fn take_records(kind: &str) -> js_sys::Array {
    OBSERVERS.with(|o| {
        o.borrow()
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, obs)| obs.take_records())
            .fold(js_sys::Array::new(), |acc, a| acc.concat(&a))
    })
}

fn on_hidden(trusted: bool) {
    on_shifts(take_records("layout-shift"), true);
    let events = take_records("event").concat(&take_records("first-input"));
    on_events(events, true);
    // web-vitals finalises LCP only on trusted events (a scripted visibilitychange does not count).
    if trusted {
        finalize_lcp();
    }
}

fn after_double_raf(f: impl FnOnce() + 'static) {
    let inner = Closure::once_into_js(move || {
        let outer: JsValue = Closure::once_into_js(f);
        request_animation_frame(outer.unchecked_ref());
    });
    request_animation_frame(inner.unchecked_ref());
}

fn on_restore(event_time: f64) {
    with(|s| {
        s.restored = true;
        let t = "back-forward-cache";
        s.fcp = new_metric(Name::Fcp, t);
        s.lcp = new_metric(Name::Lcp, t);
        s.lcp_final = true;
        s.lcp_entry = None;
        s.cls = new_metric(Name::Cls, t);
        s.cls_state = Cls::default();
        s.inp = new_metric(Name::Inp, t);
        s.inp_baseline = interaction_count(s);
        s.interactions.clear();
        s.inp_entry = None;
        if s.ttfb_reported {
            s.ttfb = new_metric(Name::Ttfb, t);
            s.ttfb.value = 0.0;
        }
    });
    emit(
        with(|s| {
            if s.ttfb_reported {
                report(|s| &mut s.ttfb, true)(s)
            } else {
                None
            }
        })
        .flatten()
        .into_iter()
        .collect(),
    );
    defer(0.0, || {
        with(|s| s.first_hidden = if is_hidden() { 0.0 } else { f64::INFINITY });
    });
    after_double_raf(move || {
        let value = performance_now() - event_time;
        let mut items = Vec::new();
        items.extend(
            with(|s| {
                s.fcp.value = value;
                report(|s| &mut s.fcp, true)(s)
            })
            .flatten(),
        );
        items.extend(
            with(|s| {
                s.lcp.value = value;
                report(|s| &mut s.lcp, true)(s)
            })
            .flatten(),
        );
        items.extend(with(report(|s| &mut s.cls, false)).flatten());
        emit(items);
    });
}

fn report_ttfb() {
    let item = with(|s| {
        let n = s.nav?;
        s.ttfb.value = n.ttfb();
        s.ttfb_reported = true;
        report(|s| &mut s.ttfb, true)(s)
    });
    emit(item.flatten().into_iter().collect());
}

/// Everything installed; dropping it stops the observers and listeners.
struct Guard {
    _closures: Vec<Closure<dyn Fn(JsValue)>>,
    _listeners: Vec<Listener>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        OBSERVERS.with(|o| {
            for (_, obs) in o.borrow_mut().drain(..) {
                obs.disconnect();
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
    let doc = window.document()?;
    let nav = navigation();
    let base_type = navigation_type(&nav);
    let activation = nav.as_ref().map_or(0.0, |(n, _)| n.activation_start);
    let state = State {
        report_all: config.web_vitals.report_all_changes,
        first_hidden: initial_first_hidden(activation),
        restored: false,
        nav: nav.as_ref().map(|(n, _)| *n),
        base_type,
        fcp: new_metric(Name::Fcp, base_type),
        lcp: new_metric(Name::Lcp, base_type),
        lcp_final: false,
        lcp_entry: None,
        cls: new_metric(Name::Cls, base_type),
        cls_state: Cls::default(),
        cls_started: false,
        pending_shifts: Vec::new(),
        inp: new_metric(Name::Inp, base_type),
        interactions: Interactions::default(),
        inp_baseline: 0,
        inp_entry: None,
        frames: Vec::new(),
        min_id: 0,
        max_id: 0,
        ttfb: new_metric(Name::Ttfb, base_type),
        ttfb_reported: false,
    };
    let _ = state.base_type;
    let _ = state.restored;
    STATE.with(|s| s.try_borrow_mut().ok().map(|mut s| *s = Some(state)))?;

    let mut closures = Vec::new();
    closures.extend(observer("paint", "paint", &[], |e, _| on_paint(e)));
    closures.extend(observer(
        "largest-contentful-paint",
        "largest-contentful-paint",
        &[],
        |e, _| on_lcp(e),
    ));
    closures.extend(observer("layout-shift", "layout-shift", &[], on_shifts));
    closures.extend(observer(
        "event",
        "event",
        &[("durationThreshold", 40.0)],
        on_events,
    ));
    closures.extend(observer("first-input", "first-input", &[], on_events));
    // Without performance.interactionCount, the ids of every event (threshold 0) give the count.
    if get(&get(&js_sys::global(), "performance"), "interactionCount")
        .as_f64()
        .is_none()
    {
        closures.extend(observer(
            "event",
            "interaction-count",
            &[("durationThreshold", 0.0)],
            |e, _| on_count(e),
        ));
    }

    let mut listeners = Vec::new();
    // Capture on the window, added before any idle-or-hidden wait: the final reports are pushed
    // before the agent's own flush (a bubbling listener on the document) sends them.
    listeners.extend(Listener::new(
        window.as_ref(),
        "visibilitychange",
        true,
        move |ev| {
            if is_hidden() {
                on_hidden(ev.is_trusted());
                let t = ev.time_stamp();
                with(|s| {
                    if !s.first_hidden.is_finite() {
                        s.first_hidden = t;
                    }
                });
            }
        },
    ));
    for kind in ["keydown", "click"] {
        listeners.extend(Listener::new(window.as_ref(), kind, true, |ev| {
            if ev.is_trusted() {
                when_idle_or_hidden(finalize_lcp);
            }
        }));
    }
    listeners.extend(Listener::new(window.as_ref(), "pageshow", true, |ev| {
        if flag(ev.as_ref(), "persisted") {
            on_restore(ev.time_stamp());
        }
    }));
    // TTFB once the page has loaded, one task after `load` (so loadEventEnd is set).
    if doc.ready_state() == "complete" {
        defer(0.0, report_ttfb);
    } else {
        listeners.extend(Listener::new(window.as_ref(), "load", true, |_| {
            defer(0.0, report_ttfb)
        }));
    }
    Some(Box::new(Guard {
        _closures: closures,
        _listeners: listeners,
    }))
}
