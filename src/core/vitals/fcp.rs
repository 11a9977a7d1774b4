//! First Contentful Paint: the `first-contentful-paint` entry, if painted before the page was
//! first hidden, measured from activation; attributed to time to first byte and the rest.

use super::{load_state, NavTiming};
use crate::core::wire::vitals::Attribution;

/// FCP's attribution. `entry_start` is the paint entry's `startTime` (`None` after a restore,
/// which has no entry); `restore_time` the last restore's `pageshow.timeStamp` (-1 before any).
pub fn attribution(
    value: f64,
    nav: Option<&NavTiming>,
    entry_start: Option<f64>,
    restore_time: f64,
    document_loading: bool,
) -> Attribution {
    match (nav, entry_start) {
        (Some(n), Some(start)) => Attribution::Fcp {
            time_to_first_byte: n.ttfb(),
            first_byte_to_fcp: value - n.ttfb(),
            load_state: load_state(document_loading, nav, start),
        },
        _ => Attribution::Fcp {
            time_to_first_byte: 0.0,
            first_byte_to_fcp: value,
            load_state: load_state(document_loading, nav, restore_time),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nav() -> NavTiming {
        NavTiming {
            response_start: 120.0,
            dom_interactive: 300.0,
            dom_content_loaded_start: 310.0,
            dom_complete: 900.0,
            ..Default::default()
        }
    }

    #[test]
    fn fcp_splits_at_the_first_byte_and_takes_the_load_state_at_the_paint() {
        let a = attribution(400.0, Some(&nav()), Some(400.0), -1.0, false);
        assert_eq!(
            a,
            Attribution::Fcp {
                time_to_first_byte: 120.0,
                first_byte_to_fcp: 280.0,
                load_state: "dom-content-loaded",
            }
        );
    }

    #[test]
    fn after_a_restore_it_is_all_first_byte_to_fcp_at_the_restore_time() {
        let a = attribution(16.0, Some(&nav()), None, 5000.0, false);
        assert_eq!(
            a,
            Attribution::Fcp {
                time_to_first_byte: 0.0,
                first_byte_to_fcp: 16.0,
                load_state: "complete",
            }
        );
    }
}
