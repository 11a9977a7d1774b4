//! Largest Contentful Paint: the last candidate painted before the page was hidden, measured
//! from activation; frozen by the first trusted input or when the page is hidden.

use crate::prelude::*;

use super::NavTiming;

/// One `largest-contentful-paint` entry, with what the attribution needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LcpEntry {
    /// `startTime` (render time).
    pub start_time: f64,
    /// The element's selector, taken when the entry was processed (`#<id>` when the element is gone).
    pub target: String,
    /// Image URL, empty for text.
    pub url: String,
}

/// The resource that carried the LCP image (from resource timing), if any.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LcpResource {
    /// `requestStart`, or `startTime` when 0.
    pub request_start: f64,
    /// `responseEnd`.
    pub response_end: f64,
}

/// Picks the entries of an observer batch to process: all of them with `report_all_changes`,
/// otherwise only the last one.
pub fn entries_to_process(batch_len: usize, report_all_changes: bool) -> core::ops::Range<usize> {
    if report_all_changes || batch_len == 0 {
        0..batch_len
    } else {
        batch_len - 1..batch_len
    }
}

/// The four LCP sub-parts (Faro's key names): time to first byte, resource load delay,
/// resource load duration, element render delay. They add up to the value.
pub fn subparts(
    value: f64,
    nav: Option<&NavTiming>,
    resource: Option<&LcpResource>,
) -> [(&'static str, f64); 4] {
    let Some(n) = nav else {
        return [
            ("time_to_first_byte", 0.0),
            ("resource_load_delay", 0.0),
            ("resource_load_duration", 0.0),
            ("element_render_delay", value),
        ];
    };
    let a = n.activation_start;
    let ttfb = n.ttfb();
    let req = ttfb.max(resource.map_or(0.0, |r| r.request_start - a));
    let end = value.min(req.max(resource.map_or(0.0, |r| r.response_end - a)));
    [
        ("time_to_first_byte", ttfb),
        ("resource_load_delay", req - ttfb),
        ("resource_load_duration", end - req),
        ("element_render_delay", value - end),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_candidate_of_a_batch_counts_unless_reporting_all() {
        assert_eq!(entries_to_process(3, false), 2..3);
        assert_eq!(entries_to_process(3, true), 0..3);
        assert_eq!(entries_to_process(0, false), 0..0);
    }

    #[test]
    fn an_image_lcp_splits_into_four_parts_that_add_up() {
        let nav = NavTiming {
            response_start: 100.0,
            ..Default::default()
        };
        let res = LcpResource {
            request_start: 150.0,
            response_end: 600.0,
        };
        let parts = subparts(900.0, Some(&nav), Some(&res));
        assert_eq!(parts.map(|p| p.1), [100.0, 50.0, 450.0, 300.0]);
        assert_eq!(parts.iter().map(|p| p.1).sum::<f64>(), 900.0);
    }

    #[test]
    fn a_text_lcp_has_no_load_delay_or_duration() {
        let nav = NavTiming {
            response_start: 100.0,
            ..Default::default()
        };
        let parts = subparts(400.0, Some(&nav), None);
        assert_eq!(parts.map(|p| p.1), [100.0, 0.0, 0.0, 300.0]);
    }
}
