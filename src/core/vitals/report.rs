//! One metric instance and when it is reported (web-vitals' `initMetric` + `bindReporter`).

use crate::prelude::*;

use super::rating::{rate, Name, Rating};

/// A metric instance: the initial page load, or one back/forward-cache restore.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Which metric.
    pub name: Name,
    /// Current value; below 0 means nothing to report yet.
    pub value: f64,
    /// `v6-<ms>-<13 digits>`, unique per instance.
    pub id: String,
    /// `navigate`, `reload`, `back-forward`, `back-forward-cache`, `prerender` or `restore`.
    pub navigation_type: &'static str,
    /// The URL of the navigation it measures (web-vitals' `navigationURL`).
    pub navigation_url: String,
    prev: Option<f64>,
}

/// What a report carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Which metric.
    pub name: Name,
    /// The value.
    pub value: f64,
    /// Change since the last report (the value itself the first time; may be negative for INP).
    pub delta: f64,
    /// Instance id.
    pub id: String,
    /// Rating of the value.
    pub rating: Rating,
    /// Navigation type.
    pub navigation_type: &'static str,
    /// The URL of the navigation it measures.
    pub navigation_url: String,
}

impl Metric {
    /// A new instance; CLS starts at 0, the others at -1 (not reportable).
    pub fn new(name: Name, id: String, navigation_type: &'static str) -> Metric {
        Metric {
            name,
            value: if name == Name::Cls { 0.0 } else { -1.0 },
            id,
            navigation_type,
            navigation_url: String::new(),
            prev: None,
        }
    }

    /// Reports when forced or `report_all_changes`, if the value is set and changed (or never reported).
    pub fn report(&mut self, force: bool, report_all_changes: bool) -> Option<Report> {
        if self.value < 0.0 || !(force || report_all_changes) {
            return None;
        }
        let delta = self.value - self.prev.unwrap_or(0.0);
        if delta == 0.0 && self.prev.is_some() {
            return None;
        }
        self.prev = Some(self.value);
        Some(Report {
            name: self.name,
            value: self.value,
            delta,
            id: self.id.clone(),
            rating: rate(self.name, self.value),
            navigation_type: self.navigation_type,
            navigation_url: self.navigation_url.clone(),
        })
    }
}

/// A metric id: `v6-<now ms>-<a random 13-digit number>`, as web-vitals makes them.
pub fn new_id(now_ms: f64, unit_random: f64) -> String {
    let mut s = String::from("v6-");
    crate::core::wire::json::push_i64(&mut s, now_ms as i64);
    s.push('-');
    crate::core::wire::json::push_i64(
        &mut s,
        (unit_random * (9e12 - 1.0)) as i64 + 1_000_000_000_000,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_forced_report_carries_the_value_and_unchanged_values_are_not_resent() {
        let mut m = Metric::new(Name::Lcp, "id".into(), "navigate");
        assert_eq!(m.report(true, false), None, "nothing before a value");
        m.value = 1200.0;
        assert_eq!(
            m.report(false, false),
            None,
            "not forced, not reporting all changes"
        );
        let r = m.report(true, false).unwrap();
        assert_eq!((r.value, r.delta, r.rating), (1200.0, 1200.0, Rating::Good));
        assert_eq!(m.report(true, false), None);
        m.value = 3000.0;
        assert_eq!(m.report(false, true).unwrap().delta, 1800.0);
    }

    #[test]
    fn cls_zero_is_sent_once_when_forced() {
        let mut m = Metric::new(Name::Cls, "id".into(), "navigate");
        assert_eq!(m.report(true, false).unwrap().value, 0.0);
        assert_eq!(m.report(true, false), None);
    }

    #[test]
    fn inp_delta_can_be_negative() {
        let mut m = Metric::new(Name::Inp, "id".into(), "navigate");
        m.value = 300.0;
        m.report(true, false);
        m.value = 250.0;
        assert_eq!(m.report(true, false).unwrap().delta, -50.0);
    }

    #[test]
    fn ids_have_web_vitals_shape() {
        let id = new_id(1_787_566_500_123.0, 0.5);
        assert!(id.starts_with("v6-1787566500123-"));
        assert_eq!(id.rsplit('-').next().unwrap().len(), 13);
    }
}
