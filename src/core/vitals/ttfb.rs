//! Time to First Byte: `responseStart` measured from activation (0 after a restore), broken
//! down into waiting, cache, DNS, connection and request time.

use super::NavTiming;
use crate::core::wire::vitals::Attribution;

/// TTFB's attribution: the navigation's breakdown, or all zeros after a restore (or without
/// a valid navigation entry).
pub fn attribution(value: f64, nav: Option<&NavTiming>, restored: bool) -> Attribution {
    Attribution::Ttfb {
        breakdown: match nav.filter(|_| !restored) {
            Some(n) => n.ttfb_breakdown(value),
            None => [
                ("waiting_duration", 0.0),
                ("cache_duration", 0.0),
                ("dns_duration", 0.0),
                ("connection_duration", 0.0),
                ("request_duration", 0.0),
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prerendered_page_counts_from_activation_clamped_at_zero() {
        let n = NavTiming {
            activation_start: 500.0,
            response_start: 200.0,
            fetch_start: 3.0,
            ..Default::default()
        };
        assert_eq!(n.ttfb(), 0.0);
        let Attribution::Ttfb { breakdown } = attribution(0.0, Some(&n), false) else {
            unreachable!()
        };
        assert!(breakdown.iter().all(|(_, v)| *v == 0.0), "{breakdown:?}");
    }

    #[test]
    fn a_restore_has_no_breakdown() {
        let n = NavTiming {
            response_start: 200.0,
            fetch_start: 3.0,
            ..Default::default()
        };
        let Attribution::Ttfb { breakdown } = attribution(0.0, Some(&n), true) else {
            unreachable!()
        };
        assert!(breakdown.iter().all(|(_, v)| *v == 0.0));
    }
}
