//! Core Web Vitals as Google's `web-vitals` (6.2.x) computes them: one module per metric, fed
//! plain structs by `browser::vitals`, plus the shared reporter and ratings.

pub mod cls;
pub mod entries;
pub mod fcp;
pub mod inp;
pub mod lcp;
pub mod page;
pub mod rating;
pub mod report;
pub mod selector;
pub mod ttfb;

pub use rating::{rate, Name, Rating};
pub use report::{Metric, Report};

/// A navigation's timing points (ms from `timeOrigin`), as the attribution needs them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NavTiming {
    /// `activationStart` (prerendered pages), 0 otherwise.
    pub activation_start: f64,
    /// `responseStart`.
    pub response_start: f64,
    /// `workerStart`, 0 when none.
    pub worker_start: f64,
    /// `fetchStart`.
    pub fetch_start: f64,
    /// `domainLookupStart`.
    pub domain_lookup_start: f64,
    /// `connectStart`.
    pub connect_start: f64,
    /// `connectEnd`.
    pub connect_end: f64,
    /// `domInteractive`.
    pub dom_interactive: f64,
    /// `domContentLoadedEventStart`.
    pub dom_content_loaded_start: f64,
    /// `domComplete`.
    pub dom_complete: f64,
}

impl NavTiming {
    /// Time to first byte measured from activation, clamped at 0.
    pub fn ttfb(&self) -> f64 {
        (self.response_start - self.activation_start).max(0.0)
    }

    /// TTFB's breakdown: waiting, cache, DNS, connection, request (Faro's key names).
    pub fn ttfb_breakdown(&self, value: f64) -> [(&'static str, f64); 5] {
        let a = self.activation_start;
        let w = ((if self.worker_start > 0.0 {
            self.worker_start
        } else {
            self.fetch_start
        }) - a)
            .max(0.0);
        let d = (self.domain_lookup_start - a).max(0.0);
        let cs = (self.connect_start - a).max(0.0);
        let ce = (self.connect_end - a).max(0.0);
        [
            ("waiting_duration", w),
            ("cache_duration", d - w),
            ("dns_duration", cs - d),
            ("connection_duration", ce - cs),
            ("request_duration", value - ce),
        ]
    }
}

/// The page's load state at time `t`, as web-vitals' `getLoadState`.
pub fn load_state(document_loading: bool, nav: Option<&NavTiming>, t: f64) -> &'static str {
    if document_loading {
        return "loading";
    }
    let Some(n) = nav else { return "complete" };
    if t < n.dom_interactive {
        "loading"
    } else if n.dom_content_loaded_start == 0.0 || t < n.dom_content_loaded_start {
        "dom-interactive"
    } else if n.dom_complete == 0.0 || t < n.dom_complete {
        "dom-content-loaded"
    } else {
        "complete"
    }
}

/// web-vitals' `firstHiddenTime` once a `visibilitychange` (or, for a page activated in the
/// background, `prerenderingchange`) has left the page hidden: the first value set stays.
pub fn first_hidden_after_hide(current: f64, visibilitychange: bool, time_stamp: f64) -> f64 {
    if current.is_finite() {
        current
    } else if visibilitychange {
        time_stamp
    } else {
        0.0
    }
}

/// FCP (and LCP): a paint counts only before the page was first hidden; measured from activation.
pub fn paint_value(start_time: f64, first_hidden: f64, activation_start: f64) -> Option<f64> {
    (start_time < first_hidden).then(|| (start_time - activation_start).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paints_after_hiding_do_not_count_and_prerender_subtracts_activation() {
        assert_eq!(paint_value(100.0, f64::INFINITY, 0.0), Some(100.0));
        assert_eq!(paint_value(100.0, 50.0, 0.0), None);
        assert_eq!(
            paint_value(100.0, 0.0, 0.0),
            None,
            "hidden at load: nothing"
        );
        assert_eq!(
            paint_value(100.0, f64::INFINITY, 400.0),
            Some(0.0),
            "clamped at 0"
        );
        assert_eq!(paint_value(500.0, f64::INFINITY, 400.0), Some(100.0));
    }

    #[test]
    fn the_first_hide_sets_the_first_hidden_time_once() {
        let t = first_hidden_after_hide(f64::INFINITY, true, 1234.5);
        assert_eq!(t, 1234.5);
        assert_eq!(first_hidden_after_hide(t, true, 9000.0), 1234.5);
        assert_eq!(
            first_hidden_after_hide(f64::INFINITY, false, 700.0),
            0.0,
            "activated in a background tab: hidden all along"
        );
    }

    #[test]
    fn load_states_follow_the_navigation_timeline() {
        let n = NavTiming {
            dom_interactive: 100.0,
            dom_content_loaded_start: 200.0,
            dom_complete: 300.0,
            ..Default::default()
        };
        assert_eq!(load_state(true, Some(&n), 500.0), "loading");
        assert_eq!(load_state(false, Some(&n), 50.0), "loading");
        assert_eq!(load_state(false, Some(&n), 150.0), "dom-interactive");
        assert_eq!(load_state(false, Some(&n), 250.0), "dom-content-loaded");
        assert_eq!(load_state(false, Some(&n), 300.0), "complete");
        assert_eq!(load_state(false, None, 1.0), "complete");
    }

    #[test]
    fn ttfb_breakdown_adds_up_to_the_value() {
        let n = NavTiming {
            response_start: 180.0,
            fetch_start: 5.0,
            domain_lookup_start: 10.0,
            connect_start: 20.0,
            connect_end: 50.0,
            ..Default::default()
        };
        let parts = n.ttfb_breakdown(n.ttfb());
        assert_eq!(parts.iter().map(|p| p.1).sum::<f64>(), 180.0);
        assert_eq!(parts[4], ("request_duration", 130.0));
    }
}
