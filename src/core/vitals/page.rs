//! The five metrics of one page as web-vitals runs them side by side: each metric's instance,
//! when it reports, when it is final, what a back/forward-cache restore starts again, and CLS
//! waiting for FCP. The browser edge hands it plain entries and lifecycle signals and asks what
//! the page is like now through [`Env`]; it hands back Faro measurements.

use crate::prelude::*;

use super::cls::{Cls, LayoutShift};
use super::inp::{self, EventEntry, Interactions, Loaf, Pick};
use super::lcp::{self, LcpEntry, LcpResource};
use super::report::new_id;
use super::{fcp, load_state, paint_value, ttfb, Metric, Name, NavTiming, Report};
use crate::core::wire::vitals::{self as wire, Attribution};
use crate::core::wire::Item;

/// web-vitals' navigation type of a metric started by a back/forward-cache restore.
pub const BFCACHE: &str = "back-forward-cache";

/// web-vitals' navigation type of metrics started by a soft navigation.
pub const SOFT: &str = "soft-navigation";

/// A `soft-navigation` entry (Chromium's Soft Navigation API), as web-vitals reads it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoftNavigation {
    /// The interaction that caused it (its contentful paints carry the same id).
    pub interaction_id: u64,
    /// The route's URL (`name`), redacted as the page URL is.
    pub url: String,
    /// `startTime`: the interaction's start, from which the new metrics count.
    pub start_time: f64,
    /// `presentationTime`, else `paintTime`, of its first contentful paint (0 when none).
    pub paint_time: f64,
    /// `getLargestInteractionContentfulPaint()`, when there is one.
    pub largest: Option<ContentfulPaint>,
}

/// An `interaction-contentful-paint` entry: a paint caused by an interaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContentfulPaint {
    /// The interaction it belongs to.
    pub interaction_id: u64,
    /// The paint, as an LCP entry (`largestContentfulPaint`: render time, element, URL).
    pub paint: LcpEntry,
}

/// What the metrics ask of the page when they report.
pub trait Env {
    /// `Date.now()`.
    fn now(&self) -> f64;
    /// A random number in [0, 1), for metric ids.
    fn random(&self) -> f64;
    /// `document.readyState === 'loading'`.
    fn loading(&self) -> bool;
    /// The id of the page's navigation that Faro keeps (`navigation_entry_id`).
    fn navigation_id(&self) -> String;
    /// The resource entries of the timeline (the LCP image's, when it is not among the last 50 seen).
    fn resource_timeline(&self) -> Vec<Resource>;
    /// The latest resource entries observed (at most 50, oldest first), as web-vitals 6.1+ buffers
    /// them (kept by the browser edge: no call into the agent per entry).
    fn recent_resources(&self) -> Vec<Resource>;
}

/// A resource the LCP image may have come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The entry's `name`: its URL.
    pub url: String,
    /// `requestStart` (or `startTime` when 0) and `responseEnd`.
    pub timing: LcpResource,
    /// The start the LCP is compared with.
    pub start_time: f64,
}

/// Which observers run (a metric whose observer the browser refused never reports).
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed {
    /// FCP's `paint` observer.
    pub fcp: bool,
    /// LCP's `largest-contentful-paint` observer.
    pub lcp: bool,
    /// INP's `event` observer.
    pub inp: bool,
}

/// The page's metrics.
pub struct Vitals {
    report_all: bool,
    /// The URL of the navigation the metrics measure (web-vitals' `navigationURL`), redacted as
    /// the page URL is: sent as `context.navigation_url`.
    navigation_url: String,
    /// web-vitals' `firstHiddenTime`.
    pub first_hidden: f64,
    /// `pageshow.timeStamp` of the last restore, -1 before any.
    restore_time: f64,
    nav: Option<NavTiming>,
    fcp: Metric,
    fcp_start: f64,
    lcp: Metric,
    lcp_final: bool,
    lcp_entry: Option<LcpEntry>,
    cls: Metric,
    cls_state: Cls,
    cls_started: bool,
    pending_shifts: Vec<LayoutShift>,
    /// The soft navigation the metrics measure, if they started with one.
    soft: Option<SoftNavigation>,
    inp: Metric,
    interactions: Interactions,
    inp_pick: Option<Pick>,
    min_id: u64,
    max_id: u64,
    ttfb: Metric,
    ttfb_reported: bool,
}

fn metric(name: Name, navigation_type: &'static str, url: &str, env: &dyn Env) -> Metric {
    let mut m = Metric::new(name, new_id(env.now(), env.random()), navigation_type);
    m.navigation_url = url.into();
    m
}

impl Vitals {
    /// The metrics of a page loaded as `navigation_type`, hidden first at `first_hidden`.
    pub fn new(
        report_all: bool,
        first_hidden: f64,
        nav: Option<NavTiming>,
        navigation_type: &'static str,
        navigation_url: String,
        env: &dyn Env,
    ) -> Vitals {
        let url = navigation_url.clone();
        let m = |name| metric(name, navigation_type, &url, env);
        Vitals {
            report_all,
            navigation_url,
            first_hidden,
            restore_time: -1.0,
            nav,
            fcp: m(Name::Fcp),
            fcp_start: -1.0,
            lcp: m(Name::Lcp),
            lcp_final: false,
            lcp_entry: None,
            cls: m(Name::Cls),
            cls_state: Cls::default(),
            cls_started: false,
            pending_shifts: Vec::new(),
            soft: None,
            inp: m(Name::Inp),
            interactions: Interactions::default(),
            inp_pick: None,
            min_id: 0,
            max_id: 0,
            ttfb: m(Name::Ttfb),
            ttfb_reported: false,
        }
    }

    /// Whether every change is reported (`reportAllChanges`).
    pub fn report_all(&self) -> bool {
        self.report_all
    }

    /// The navigation entry as it is now (a prerendered page's `activationStart` is set at activation).
    pub fn set_navigation(&mut self, nav: NavTiming) {
        self.nav = Some(nav);
    }

    fn activation(&self) -> f64 {
        self.nav.map_or(0.0, |n| n.activation_start)
    }

    /// Reports one metric (when forced or reporting all changes) into `out`.
    fn report(&mut self, which: Name, force: bool, env: &dyn Env, out: &mut Vec<Item>) {
        let all = self.report_all;
        let metric = match which {
            Name::Fcp => &mut self.fcp,
            Name::Lcp => &mut self.lcp,
            Name::Cls => &mut self.cls,
            Name::Inp => &mut self.inp,
            Name::Ttfb => &mut self.ttfb,
        };
        if let Some(r) = metric.report(force, all) {
            let a = self.attribution(&r, env);
            let id = env.navigation_id();
            out.push(Item::Measurement(wire::measurement(&r, &a, &id, env.now())));
        }
    }

    /// The attribution of a report, from what is known now (as web-vitals' attribution build
    /// computes it when the report is made).
    fn attribution(&self, r: &Report, env: &dyn Env) -> Attribution {
        // A restore's or a soft navigation's metrics have no navigation-timing breakdown.
        let restored = r.navigation_type == BFCACHE || r.navigation_type == SOFT;
        let nav = self.nav.as_ref();
        let loading = env.loading();
        let state = |t: f64| load_state(loading, nav, t);
        let soft = r.navigation_type == SOFT;
        match r.name {
            // web-vitals' attribution of a soft navigation's FCP: all of it after the "first byte".
            Name::Fcp if soft => Attribution::Fcp {
                time_to_first_byte: 0.0,
                first_byte_to_fcp: r.value,
                load_state: "complete",
            },
            Name::Fcp => fcp::attribution(
                r.value,
                nav,
                (!restored && self.fcp_start >= 0.0).then_some(self.fcp_start),
                self.restore_time,
                loading,
            ),
            Name::Lcp => {
                // A restore's LCP is a frame, with no element. A soft navigation's parts count
                // from its start, with no first byte, as web-vitals' attribution does.
                let entry = self
                    .lcp_entry
                    .as_ref()
                    .filter(|_| r.navigation_type != BFCACHE);
                let route = self.soft.as_ref().filter(|_| soft).map(|s| NavTiming {
                    activation_start: s.start_time,
                    ..NavTiming::default()
                });
                let from = if soft { route.as_ref() } else { nav };
                let resource = entry
                    .filter(|e| !e.url.is_empty())
                    .and_then(|e| self.lcp_resource(&e.url, e.start_time, env));
                Attribution::Lcp {
                    element: entry.map(|e| e.target.clone()).unwrap_or_default(),
                    subparts: lcp::subparts(
                        r.value,
                        from.filter(|_| entry.is_some()),
                        resource.as_ref(),
                    ),
                }
            }
            Name::Cls => match self.cls_state.largest_shift() {
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
                let pick = self.inp_pick.clone().unwrap_or(Pick {
                    latency: r.value,
                    first: None,
                });
                let at = match (&pick.first, &self.soft) {
                    (Some((_, e, _)), _) => e.start_time,
                    // A stand-in INP is at its navigation's start.
                    (None, Some(nav)) if soft => nav.start_time,
                    (None, _) => self.restore_time.max(0.0),
                };
                Attribution::Inp {
                    parts: self.interactions.attribution(&pick),
                    load_state: state(at),
                }
            }
            Name::Ttfb => ttfb::attribution(r.value, nav, restored),
        }
    }

    /// The resource that loaded the LCP image: the last with its URL that started no later than
    /// the paint, among the last 50 observed, else in the timeline.
    fn lcp_resource(&self, url: &str, lcp_start: f64, env: &dyn Env) -> Option<LcpResource> {
        let fits = |r: &&Resource| r.url == url && r.start_time <= lcp_start;
        if let Some(r) = env.recent_resources().iter().rev().find(fits) {
            return Some(r.timing);
        }
        env.resource_timeline()
            .iter()
            .rev()
            .find(fits)
            .map(|r| r.timing)
    }

    /// The `first-contentful-paint` entry. True when FCP reported (and so CLS started): the
    /// edge then reports CLS once more a task later, as web-vitals does.
    pub fn on_fcp(&mut self, start: f64, env: &dyn Env, out: &mut Vec<Item>) -> bool {
        if self.fcp_start >= 0.0 {
            return false; // already handled (web-vitals disconnects here)
        }
        self.fcp_start = start;
        let Some(v) = paint_value(start, self.first_hidden, self.activation()) else {
            return false;
        };
        self.fcp.value = v;
        self.report(Name::Fcp, true, env, out);
        self.start_cls()
    }

    /// CLS starts with the first FCP report (a paint's, a restore's or a soft navigation's), as
    /// web-vitals' does (so its metric is `back-forward-cache` after a restore), every shift
    /// buffered so far as its first batch, and no report until the task after it, which the edge
    /// makes by [`Vitals::report_cls`] when this returns true (false once CLS runs).
    fn start_cls(&mut self) -> bool {
        if self.cls_started {
            return false;
        }
        self.cls_started = true;
        let pending = core::mem::take(&mut self.pending_shifts);
        if self.cls_state.on_batch(&pending) {
            self.cls.value = self.cls_state.value;
        }
        true
    }

    /// Reports CLS if it changed (or with `reportAllChanges`).
    pub fn report_cls(&mut self, env: &dyn Env, out: &mut Vec<Item>) {
        self.report(Name::Cls, false, env, out);
    }

    /// A `largest-contentful-paint` entry (the edge passes those of
    /// [`lcp::entries_to_process`]).
    pub fn on_lcp(&mut self, entry: LcpEntry, env: &dyn Env, out: &mut Vec<Item>) {
        if self.lcp_final {
            return;
        }
        if let Some(v) = paint_value(entry.start_time, self.first_hidden, self.activation()) {
            self.lcp.value = v;
            self.lcp_entry = Some(entry);
            self.report(Name::Lcp, false, env, out);
        }
    }

    /// The id of the LCP instance a trusted input would finalise, if it is not final yet.
    pub fn lcp_to_finalize(&self) -> Option<String> {
        (!self.lcp_final).then(|| self.lcp.id.clone())
    }

    /// Freezes LCP (the first trusted key, click or hide, once idle), unless the instance
    /// changed meanwhile. True when the edge should stop observing LCP.
    pub fn finalize_lcp(&mut self, id: &str, env: &dyn Env, out: &mut Vec<Item>) -> bool {
        if self.lcp_final || id != self.lcp.id {
            return false;
        }
        self.lcp_final = true;
        self.report(Name::Lcp, true, env, out);
        true
    }

    /// A batch of `layout-shift` entries (`force` when the page is being hidden).
    pub fn on_shifts(
        &mut self,
        batch: Vec<LayoutShift>,
        force: bool,
        env: &dyn Env,
        out: &mut Vec<Item>,
    ) {
        if !self.cls_started {
            let mut batch = batch;
            self.pending_shifts.append(&mut batch);
            return;
        }
        if self.cls_state.on_batch(&batch) {
            self.cls.value = self.cls_state.value;
        }
        self.report(Name::Cls, force, env, out);
    }

    /// The interaction count: `performance.interactionCount` where the browser has it, else
    /// estimated from the interaction ids seen.
    pub fn interaction_count(&self, from_browser: Option<f64>) -> u64 {
        match from_browser {
            Some(n) => n as u64,
            None => inp::estimate_count(self.min_id, self.max_id),
        }
    }

    /// A batch of `event` and `first-input` entries, processed once idle (or hidden), with the
    /// interaction count then; `force` when the page is being hidden.
    pub fn on_events(
        &mut self,
        batch: &[EventEntry],
        count: u64,
        force: bool,
        env: &dyn Env,
        out: &mut Vec<Item>,
    ) {
        for e in batch {
            self.interactions.process(e);
        }
        // A restore's or a route's interactions too light for an entry count as 8 ms, as
        // web-vitals has it.
        let restored = self.inp.navigation_type == BFCACHE || self.inp.navigation_type == SOFT;
        if let Some(pick) = self.interactions.pick(count, restored) {
            if pick.latency != self.inp.value {
                self.inp.value = pick.latency;
                self.inp_pick = Some(pick);
                self.report(Name::Inp, false, env, out);
            }
        }
        if force {
            self.report(Name::Inp, true, env, out);
        }
    }

    /// Long animation frames, kept for INP's attribution.
    pub fn on_loafs(&mut self, loafs: Vec<Loaf>) {
        self.interactions.add_loafs(loafs);
    }

    /// Trims old frames and animation frames (web-vitals does it in a later idle task).
    pub fn cleanup(&mut self) {
        self.interactions.cleanup();
    }

    /// Interaction ids of `event` entries, for the count where the browser has no
    /// `performance.interactionCount`.
    pub fn on_interaction_ids(&mut self, ids: &[u64]) {
        for &id in ids.iter().filter(|id| **id > 0) {
            self.min_id = if self.min_id == 0 {
                id
            } else {
                self.min_id.min(id)
            };
            self.max_id = self.max_id.max(id);
        }
    }

    /// A back/forward-cache restore at `event_time`: new instances of the metrics that run,
    /// TTFB reported as 0 at once. The edge then calls [`Vitals::after_restore_paint`] after
    /// two animation frames.
    pub fn on_restore(
        &mut self,
        event_time: f64,
        observed: Observed,
        count: u64,
        env: &dyn Env,
        out: &mut Vec<Item>,
    ) {
        self.restore_time = event_time;
        if observed.fcp {
            self.fcp = metric(Name::Fcp, BFCACHE, &self.navigation_url, env);
        }
        if observed.lcp {
            self.lcp = metric(Name::Lcp, BFCACHE, &self.navigation_url, env);
            self.lcp_final = false;
            self.lcp_entry = None;
        }
        // Before CLS starts, the restore only sets what its metric will be.
        self.cls = metric(Name::Cls, BFCACHE, &self.navigation_url, env);
        self.cls_state = Cls::default();
        if observed.inp {
            self.interactions.reset(count);
            self.inp = metric(Name::Inp, BFCACHE, &self.navigation_url, env);
            self.inp_pick = None;
        }
        if self.ttfb_reported {
            self.ttfb = metric(Name::Ttfb, BFCACHE, &self.navigation_url, env);
            self.ttfb.value = 0.0;
            self.report(Name::Ttfb, true, env, out);
        }
    }

    /// The first paint after a restore, `since_restore` ms after it: the restored FCP and LCP
    /// (final, whatever input came before it), and CLS so far. True when the restored FCP started
    /// CLS (a page hidden until the restore): the edge then reports it a task later.
    pub fn after_restore_paint(
        &mut self,
        since_restore: f64,
        env: &dyn Env,
        out: &mut Vec<Item>,
    ) -> bool {
        let mut started = false;
        if self.fcp.navigation_type == BFCACHE && self.fcp.value < 0.0 {
            self.fcp.value = since_restore;
            self.report(Name::Fcp, true, env, out);
            started = self.start_cls();
        }
        if self.lcp.navigation_type == BFCACHE && self.lcp.value < 0.0 {
            self.lcp.value = since_restore;
            self.lcp_final = true;
            self.report(Name::Lcp, true, env, out);
        }
        if self.cls_started && !started {
            self.report(Name::Cls, false, env, out);
        }
        started
    }

    /// A soft navigation (web-vitals with `reportSoftNavs`): the running LCP and CLS are final and
    /// reported; each metric starts again for the route, counted from the navigation's start:
    /// FCP and TTFB (0) are reported at once, LCP starts from the largest contentful paint of the
    /// interaction so far, and the page counts as visible from here. INP follows in
    /// [`Vitals::on_soft_navigation_inp`].
    pub fn on_soft_navigation(&mut self, nav: SoftNavigation, env: &dyn Env, out: &mut Vec<Item>) {
        if !self.lcp_final {
            self.report(Name::Lcp, true, env, out);
        }
        // CLS is final. On a page hidden until now this navigation's FCP starts it, as web-vitals'
        // does; the buffered soft-navigation entry then ends that first instance at once.
        self.start_cls();
        self.report(Name::Cls, true, env, out);
        self.navigation_url = nav.url.clone();
        self.first_hidden = f64::INFINITY;
        let url = nav.url.clone();
        let m = |name| metric(name, SOFT, &url, env);
        self.fcp = m(Name::Fcp);
        self.fcp.value = (nav.paint_time - nav.start_time).max(0.0);
        self.report(Name::Fcp, true, env, out);
        if self.ttfb_reported {
            self.ttfb = m(Name::Ttfb);
            self.ttfb.value = 0.0;
            self.report(Name::Ttfb, true, env, out);
        }
        self.lcp = m(Name::Lcp);
        self.lcp_final = false;
        self.lcp_entry = None;
        self.cls = m(Name::Cls);
        self.cls_state = Cls::default();
        let largest = nav.largest.clone();
        self.soft = Some(nav);
        if let Some(p) = largest {
            self.on_contentful_paint(p, env, out);
        }
    }

    /// INP's part of a soft navigation, once the event entries before it are processed (web-vitals
    /// handles it in INP's idle task): the running INP is final and reported, and the route's
    /// starts, counting interactions from `count`.
    pub fn on_soft_navigation_inp(
        &mut self,
        url: &str,
        count: u64,
        env: &dyn Env,
        out: &mut Vec<Item>,
    ) {
        // As web-vitals: INP brought up to the count (no new entries), final, then started again.
        self.on_events(&[], count, true, env, out);
        self.interactions.reset(count);
        self.inp = metric(Name::Inp, SOFT, url, env);
        self.inp_pick = None;
    }

    /// An `interaction-contentful-paint` entry: the soft navigation's LCP, when it belongs to
    /// its interaction and the page was not hidden before it.
    pub fn on_contentful_paint(&mut self, p: ContentfulPaint, env: &dyn Env, out: &mut Vec<Item>) {
        let Some(soft) = &self.soft else { return };
        if self.lcp_final || p.interaction_id != soft.interaction_id {
            return;
        }
        let render = p.paint.start_time;
        if render < self.first_hidden {
            self.lcp.value = (render - soft.start_time).max(0.0);
            self.lcp_entry = Some(p.paint);
            self.report(Name::Lcp, false, env, out);
        }
    }

    /// TTFB, once the navigation entry is safe to read (after activation and `load`).
    pub fn on_ttfb(&mut self, nav: NavTiming, env: &dyn Env, out: &mut Vec<Item>) {
        self.nav = Some(nav);
        self.ttfb.value = nav.ttfb();
        self.ttfb_reported = true;
        self.report(Name::Ttfb, true, env, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::cls::tests::shift;
    use super::*;

    struct Page {
        loading: bool,
        recent: Vec<Resource>,
    }

    impl Env for Page {
        fn now(&self) -> f64 {
            1_700_000_000_000.0
        }
        fn random(&self) -> f64 {
            0.5
        }
        fn loading(&self) -> bool {
            self.loading
        }
        fn navigation_id(&self) -> String {
            "nav-1".into()
        }
        fn resource_timeline(&self) -> Vec<Resource> {
            Vec::new()
        }
        fn recent_resources(&self) -> Vec<Resource> {
            let copy = |r: &Resource| Resource {
                url: r.url.clone(),
                ..*r
            };
            self.recent.iter().map(copy).collect()
        }
    }

    fn values(out: &[Item]) -> Vec<(String, f64)> {
        out.iter()
            .filter_map(|i| match i {
                Item::Measurement(m) => Some((m.kind.clone(), m.values[0].1)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cls_waits_for_fcp_then_counts_the_shifts_buffered_before_it() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(true, f64::INFINITY, &env);
        let mut out = Vec::new();
        v.on_shifts(vec![shift(0.1, 10.0)], false, &env, &mut out);
        assert!(out.is_empty(), "no CLS before FCP");
        assert!(v.on_fcp(120.0, &env, &mut out));
        assert_eq!(values(&out), vec![("web-vitals".into(), 120.0)], "FCP only");
        v.report_cls(&env, &mut out); // the task after FCP
        let got = values(&out);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].1, 0.1, "CLS with the buffered shift");
        assert!(
            !v.on_fcp(130.0, &env, &mut out),
            "the second paint entry is ignored"
        );
    }

    #[test]
    fn a_paint_after_the_page_was_hidden_reports_nothing() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, 50.0, &env);
        let mut out = Vec::new();
        assert!(!v.on_fcp(120.0, &env, &mut out));
        v.on_lcp(
            LcpEntry {
                start_time: 120.0,
                target: String::new(),
                url: String::new(),
            },
            &env,
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn lcp_is_final_once_finalised_and_only_for_its_instance() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, f64::INFINITY, &env);
        let mut out = Vec::new();
        let entry = |t| LcpEntry {
            start_time: t,
            target: "img".into(),
            url: String::new(),
        };
        v.on_lcp(entry(200.0), &env, &mut out);
        assert!(out.is_empty(), "not reported before it is final");
        let id = v.lcp_to_finalize().unwrap();
        assert!(!v.finalize_lcp("someone else", &env, &mut out));
        assert!(v.finalize_lcp(&id, &env, &mut out));
        v.on_lcp(entry(900.0), &env, &mut out);
        assert_eq!(values(&out), vec![("web-vitals".into(), 200.0)]);
        assert_eq!(v.lcp_to_finalize(), None);
    }

    #[test]
    fn a_restore_reports_ttfb_zero_and_restarts_the_paints() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, f64::INFINITY, &env);
        let mut out = Vec::new();
        v.on_ttfb(
            NavTiming {
                response_start: 80.0,
                ..Default::default()
            },
            &env,
            &mut out,
        );
        assert!(v.on_fcp(100.0, &env, &mut out));
        out.clear();
        let observed = Observed {
            fcp: true,
            lcp: true,
            inp: false,
        };
        v.on_restore(5000.0, observed, 0, &env, &mut out);
        assert_eq!(values(&out).len(), 1, "TTFB 0 at once");
        assert_eq!(values(&out)[0].1, 0.0);
        out.clear();
        v.after_restore_paint(16.0, &env, &mut out);
        let got = values(&out);
        assert_eq!(
            got.len(),
            2,
            "{got:?}: FCP and LCP of the restore (CLS unchanged at 0)"
        );
        assert!(got.iter().all(|(_, value)| *value == 16.0));
    }

    #[test]
    fn interaction_ids_estimate_the_count_where_the_browser_has_none() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, f64::INFINITY, &env);
        v.on_interaction_ids(&[0, 7, 21, 14]);
        assert_eq!(v.interaction_count(Some(9.0)), 9);
        assert_eq!(v.interaction_count(None), inp::estimate_count(7, 21));
    }

    fn page(report_all: bool, first_hidden: f64, env: &Page) -> Vitals {
        let url = "https://shop.test/".into();
        Vitals::new(report_all, first_hidden, None, "navigate", url, env)
    }

    const FCP_LCP: Observed = Observed {
        fcp: true,
        lcp: true,
        inp: false,
    };

    #[test]
    fn cls_of_an_agent_loaded_after_the_paint_is_reported_once_with_its_buffered_shifts() {
        // reportAllChanges: the buffered paint comes before the buffered shifts; web-vitals reports
        // CLS a task after FCP, by when the shifts are in: one report, 0.02, not 0 and then 0.02.
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(true, f64::INFINITY, &env);
        let mut out = Vec::new();
        assert!(v.on_fcp(120.0, &env, &mut out));
        v.on_shifts(vec![shift(0.02, 60.0)], false, &env, &mut out);
        v.report_cls(&env, &mut out);
        let got = reports(&out);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[1].0.as_str(), got[1].1), ("cls", 0.02));
    }

    #[test]
    fn a_page_hidden_at_load_and_restored_from_the_cache_reports_cls_from_the_restored_fcp() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, 0.0, &env);
        let mut out = Vec::new();
        v.on_restore(5000.0, FCP_LCP, 0, &env, &mut out);
        v.first_hidden = f64::INFINITY; // visible since the restore
        assert!(v.after_restore_paint(16.0, &env, &mut out), "CLS started");
        v.report_cls(&env, &mut out); // the task after: nothing changed, nothing to report
        v.on_shifts(vec![shift(0.05, 5100.0)], true, &env, &mut out); // hidden
        let got = reports(&out);
        let cls: Vec<_> = got.iter().filter(|r| r.0 == "cls").collect();
        assert_eq!(cls.len(), 1, "{got:?}");
        assert_eq!(cls[0].1, 0.05);
        assert_eq!(cls[0].2, BFCACHE);
    }

    #[test]
    fn cls_started_by_a_paint_after_a_restore_is_a_back_forward_cache_metric() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, 0.0, &env);
        let mut out = Vec::new();
        v.on_restore(5000.0, FCP_LCP, 0, &env, &mut out);
        v.first_hidden = f64::INFINITY;
        assert!(v.on_fcp(5010.0, &env, &mut out), "the first real paint");
        assert!(!v.after_restore_paint(16.0, &env, &mut out));
        v.on_shifts(Vec::new(), true, &env, &mut out);
        let got = reports(&out);
        assert!(got.iter().all(|r| r.2 == BFCACHE), "{got:?}");
        assert!(got.iter().any(|r| r.0 == "cls"), "{got:?}");
    }

    #[test]
    fn a_soft_navigation_on_a_page_hidden_until_then_starts_cls_and_ends_its_first_instance() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, 0.0, &env);
        let mut out = Vec::new();
        v.on_shifts(vec![shift(0.01, 10.0)], false, &env, &mut out);
        let nav = SoftNavigation {
            interaction_id: 1,
            url: "https://shop.test/b".into(),
            start_time: 1000.0,
            paint_time: 1040.0,
            largest: None,
        };
        v.on_soft_navigation(nav, &env, &mut out);
        v.on_shifts(vec![shift(0.03, 1100.0)], true, &env, &mut out);
        let cls: Vec<_> = reports(&out).into_iter().filter(|r| r.0 == "cls").collect();
        assert_eq!(cls.len(), 2, "{cls:?}");
        assert_eq!((cls[0].1, cls[0].2.as_str()), (0.01, "navigate"));
        assert_eq!(cls[0].3, "https://shop.test/");
        assert_eq!((cls[1].1, cls[1].2.as_str()), (0.03, SOFT));
        assert_eq!(cls[1].3, "https://shop.test/b");
    }

    #[test]
    fn a_soft_navigations_image_lcp_is_split_from_the_navigations_start() {
        let hero = "https://shop.test/hero.png";
        let env = Page {
            loading: false,
            recent: vec![Resource {
                url: hero.into(),
                timing: LcpResource {
                    request_start: 1100.0,
                    response_end: 1400.0,
                },
                start_time: 1090.0,
            }],
        };
        let mut v = page(false, f64::INFINITY, &env);
        let mut out = Vec::new();
        let mut img = paint(1600.0, "img#hero");
        img.url = hero.into();
        let nav = SoftNavigation {
            interaction_id: 1,
            url: "https://shop.test/p/2".into(),
            start_time: 1000.0,
            paint_time: 1500.0,
            largest: Some(ContentfulPaint {
                interaction_id: 1,
                paint: img,
            }),
        };
        v.on_soft_navigation(nav, &env, &mut out);
        out.clear();
        let id = v.lcp_to_finalize().unwrap();
        assert!(v.finalize_lcp(&id, &env, &mut out));
        let Some(Item::Measurement(m)) = out.first() else {
            panic!("{out:?}")
        };
        let part = |k: &str| m.values.iter().find(|(key, _)| key == k).map(|(_, x)| *x);
        assert_eq!(part("lcp"), Some(600.0));
        assert_eq!(part("resource_load_delay"), Some(100.0));
        assert_eq!(part("resource_load_duration"), Some(300.0));
        assert_eq!(part("element_render_delay"), Some(200.0));
        assert_eq!(part("time_to_first_byte"), None, "0, so not sent");
    }

    #[test]
    fn a_route_whose_only_interaction_was_too_light_for_an_entry_reports_inp_8_at_the_next_route() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, f64::INFINITY, &env);
        let mut out = Vec::new();
        let nav = |n: u64, url: &str| SoftNavigation {
            interaction_id: n,
            url: url.into(),
            start_time: 1000.0 * n as f64,
            paint_time: 1000.0 * n as f64 + 20.0,
            largest: None,
        };
        v.on_soft_navigation(nav(1, "https://shop.test/a"), &env, &mut out);
        v.on_soft_navigation_inp("https://shop.test/a", 1, &env, &mut out);
        // The click that starts the second route is the first route's interaction.
        v.on_soft_navigation(nav(2, "https://shop.test/b"), &env, &mut out);
        v.on_soft_navigation_inp("https://shop.test/b", 2, &env, &mut out);
        let inp: Vec<_> = reports(&out).into_iter().filter(|r| r.0 == "inp").collect();
        assert_eq!(
            inp,
            vec![("inp".into(), 8.0, SOFT.into(), "https://shop.test/a".into())]
        );
    }

    /// (metric, value, navigation_type, navigation_url) of each measurement.
    fn reports(out: &[Item]) -> Vec<(String, f64, String, String)> {
        let ctx = |m: &crate::core::wire::Measurement, k: &str| {
            m.context
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        out.iter()
            .filter_map(|i| match i {
                Item::Measurement(m) => Some((
                    m.values[0].0.clone(),
                    m.values[0].1,
                    ctx(m, "navigation_type"),
                    ctx(m, "navigation_url"),
                )),
                _ => None,
            })
            .collect()
    }

    fn paint(start_time: f64, target: &str) -> LcpEntry {
        LcpEntry {
            start_time,
            target: target.into(),
            url: String::new(),
        }
    }

    #[test]
    fn a_soft_navigation_finalises_the_page_metrics_and_starts_the_routes_own() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, f64::INFINITY, &env);
        let mut out = Vec::new();
        v.on_ttfb(
            NavTiming {
                response_start: 80.0,
                ..Default::default()
            },
            &env,
            &mut out,
        );
        assert!(v.on_fcp(100.0, &env, &mut out));
        v.on_lcp(paint(500.0, "h1"), &env, &mut out);
        v.on_shifts(vec![shift(0.05, 600.0)], false, &env, &mut out);
        out.clear();
        let nav = SoftNavigation {
            interaction_id: 7,
            url: "https://shop.test/cart".into(),
            start_time: 2000.0,
            paint_time: 2120.0,
            largest: Some(ContentfulPaint {
                interaction_id: 7,
                paint: paint(2300.0, "main>h2"),
            }),
        };
        v.on_soft_navigation(nav, &env, &mut out);
        v.on_soft_navigation_inp("https://shop.test/cart", 3, &env, &mut out);
        let r = |m: &str, value: f64, t: &str, url: &str| {
            (m.to_string(), value, t.to_string(), url.to_string())
        };
        assert_eq!(
            reports(&out),
            [
                r("lcp", 500.0, "navigate", "https://shop.test/"),
                r("cls", 0.05, "navigate", "https://shop.test/"),
                r("fcp", 120.0, SOFT, "https://shop.test/cart"),
                r("ttfb", 0.0, SOFT, "https://shop.test/cart"),
            ],
            "the page's LCP and CLS final with its URL; the route's FCP and TTFB at once"
        );
        out.clear();
        // A paint of another interaction is not the route's; the route's own may grow it.
        v.on_contentful_paint(
            ContentfulPaint {
                interaction_id: 8,
                paint: paint(2900.0, "aside"),
            },
            &env,
            &mut out,
        );
        v.on_contentful_paint(
            ContentfulPaint {
                interaction_id: 7,
                paint: paint(2450.0, "main>img"),
            },
            &env,
            &mut out,
        );
        assert!(out.is_empty(), "LCP reports when final");
        let id = v.lcp_to_finalize().unwrap();
        assert!(v.finalize_lcp(&id, &env, &mut out));
        assert_eq!(
            reports(&out),
            [r("lcp", 450.0, SOFT, "https://shop.test/cart")]
        );
        // CLS of the route starts from zero.
        out.clear();
        v.on_shifts(vec![shift(0.02, 2600.0)], true, &env, &mut out);
        assert_eq!(
            reports(&out),
            [r("cls", 0.02, SOFT, "https://shop.test/cart")]
        );
    }

    #[test]
    fn a_soft_navigation_after_a_hidden_page_counts_its_paints_again() {
        let env = Page {
            loading: false,
            recent: Vec::new(),
        };
        let mut v = page(false, 50.0, &env);
        let mut out = Vec::new();
        let nav = SoftNavigation {
            interaction_id: 1,
            url: "https://shop.test/b".into(),
            start_time: 1000.0,
            paint_time: 1040.0,
            largest: Some(ContentfulPaint {
                interaction_id: 1,
                paint: paint(1060.0, "p"),
            }),
        };
        v.on_soft_navigation(nav, &env, &mut out);
        let id = v.lcp_to_finalize().unwrap();
        assert!(v.finalize_lcp(&id, &env, &mut out));
        let got = reports(&out);
        assert_eq!(got.last().unwrap().1, 60.0, "{got:?}");
    }
}
