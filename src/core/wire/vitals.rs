//! A report as Faro's web-vitals measurement: `values: {<metric>: value, delta, …numbers}` and
//! `context: {id, rating, navigation_type, navigation_entry_id, …strings}`, with the attribution
//! key names Faro's own instrumentation uses. Like Faro, attribution values that are zero, NaN
//! or empty are left out, except the INP Long Animation Frame totals, which are sent when known.
use crate::prelude::*;

use super::{push_pair, Measurement};
use crate::core::vitals::inp::InpAttribution;
use crate::core::vitals::Report;

/// What a report carries besides its value, per metric (all times in ms).
#[derive(Clone, Debug, PartialEq)]
pub enum Attribution {
    /// FCP: time to first byte, then to the paint; the load state at the paint.
    Fcp {
        /// `time_to_first_byte`
        time_to_first_byte: f64,
        /// `first_byte_to_fcp`
        first_byte_to_fcp: f64,
        /// `load_state`
        load_state: &'static str,
    },
    /// LCP: the element's selector and the four sub-parts (no load state, as Faro).
    Lcp {
        /// `element`
        element: String,
        /// `time_to_first_byte`, `resource_load_delay`, `resource_load_duration`, `element_render_delay`
        subparts: [(&'static str, f64); 4],
    },
    /// CLS: the largest shift of the reported window, if any.
    Cls {
        /// `largest_shift_target`
        target: String,
        /// `largest_shift_value`
        value: f64,
        /// `largest_shift_time`
        time: f64,
        /// `load_state` at that shift, empty when there is no shift
        load_state: &'static str,
    },
    /// INP: the interaction's phases and Long Animation Frame totals.
    Inp {
        /// The split of the interaction.
        parts: InpAttribution,
        /// `load_state` at the interaction
        load_state: &'static str,
    },
    /// TTFB: waiting, cache, DNS, connection, request durations.
    Ttfb {
        /// `(Faro key, duration)`
        breakdown: [(&'static str, f64); 5],
    },
}

// The pushes are kept out of line: inlined, each key's allocation and copy is repeated at
// every one of the thirty call sites.
#[inline(never)]
fn put(values: &mut Vec<(String, f64)>, key: &str, v: f64) {
    values.push((key.into(), v));
}

fn num(values: &mut Vec<(String, f64)>, key: &str, v: f64) {
    // Faro keeps only truthy numbers: 0 and NaN go.
    if v != 0.0 && !v.is_nan() {
        put(values, key, v);
    }
}

fn text(context: &mut Vec<(String, String)>, key: &str, v: &str) {
    if !v.is_empty() {
        push_pair(context, key, v);
    }
}

/// The measurement for one report, stamped `timestamp` (epoch ms at report time).
pub fn measurement(
    r: &Report,
    a: &Attribution,
    navigation_entry_id: &str,
    timestamp: f64,
) -> Measurement {
    let (mut values, mut context) = (Vec::new(), Vec::new());
    put(&mut values, r.name.key(), r.value);
    put(&mut values, "delta", r.delta);
    push_pair(&mut context, "id", &r.id);
    push_pair(&mut context, "rating", r.rating.as_str());
    push_pair(&mut context, "navigation_type", r.navigation_type);
    push_pair(&mut context, "navigation_entry_id", navigation_entry_id);
    text(&mut context, "navigation_url", &r.navigation_url);
    match a {
        Attribution::Fcp {
            time_to_first_byte,
            first_byte_to_fcp,
            load_state,
        } => {
            num(&mut values, "first_byte_to_fcp", *first_byte_to_fcp);
            num(&mut values, "time_to_first_byte", *time_to_first_byte);
            text(&mut context, "load_state", load_state);
        }
        Attribution::Lcp { element, subparts } => {
            for (k, v) in subparts {
                num(&mut values, k, *v);
            }
            text(&mut context, "element", element);
        }
        Attribution::Cls {
            target,
            value,
            time,
            load_state,
        } => {
            num(&mut values, "largest_shift_value", *value);
            num(&mut values, "largest_shift_time", *time);
            text(&mut context, "load_state", load_state);
            text(&mut context, "largest_shift_target", target);
        }
        Attribution::Inp { parts, load_state } => {
            inp_attribution(&mut values, &mut context, parts, load_state)
        }
        Attribution::Ttfb { breakdown } => {
            for (k, v) in breakdown {
                num(&mut values, k, *v);
            }
        }
    }
    Measurement {
        kind: "web-vitals".into(),
        values,
        timestamp,
        context,
        trace: None,
    }
}

/// INP's attribution: the interaction's parts and, with Long Animation Frames, the script summary.
fn inp_attribution(
    values: &mut Vec<(String, f64)>,
    context: &mut Vec<(String, String)>,
    parts: &InpAttribution,
    load_state: &str,
) {
    num(values, "interaction_time", parts.interaction_time);
    num(values, "presentation_delay", parts.presentation_delay);
    num(values, "input_delay", parts.input_delay);
    num(values, "processing_duration", parts.processing_duration);
    num(values, "next_paint_time", parts.next_paint_time);
    text(context, "load_state", load_state);
    text(context, "interaction_target", &parts.target);
    if parts.interaction_time != 0.0 {
        let kind = if parts.keyboard {
            "keyboard"
        } else {
            "pointer"
        };
        text(context, "interaction_type", kind);
    }
    if let Some(s) = &parts.loaf {
        // Sent when defined, zeros included (Faro checks these against undefined).
        put(values, "total_script_duration", s.total_script_duration);
        put(
            values,
            "total_style_and_layout_duration",
            s.total_style_and_layout_duration,
        );
        put(values, "total_paint_duration", s.total_paint_duration);
        put(
            values,
            "total_unattributed_duration",
            s.total_unattributed_duration,
        );
        if let Some(l) = &s.longest_script {
            put(
                values,
                "longest_script_intersecting_duration",
                l.intersecting_duration,
            );
            text(context, "longest_script_subpart", l.subpart);
            text(context, "longest_script_invoker_type", &l.invoker_type);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::vitals::inp::{LoafSummary, LongestScript};
    use crate::core::vitals::{Name, Rating};

    fn report(name: Name, value: f64) -> Report {
        Report {
            name,
            value,
            delta: value,
            id: "v6-1-1000000000000".into(),
            rating: Rating::Good,
            navigation_type: "navigate",
            navigation_url: "https://shop.test/cart".into(),
        }
    }

    fn keys(m: &Measurement) -> Vec<&str> {
        m.values.iter().map(|(k, _)| k.as_str()).collect()
    }

    fn context<'a>(m: &'a Measurement, key: &str) -> Option<&'a str> {
        m.context
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn base_keys_are_always_there_and_zero_attribution_is_left_out() {
        let m = measurement(
            &report(Name::Lcp, 400.0),
            &Attribution::Lcp {
                element: "html>body>h1".into(),
                subparts: [
                    ("time_to_first_byte", 100.0),
                    ("resource_load_delay", 0.0),
                    ("resource_load_duration", 0.0),
                    ("element_render_delay", 300.0),
                ],
            },
            "unknown",
            1.0,
        );
        assert_eq!(
            keys(&m),
            ["lcp", "delta", "time_to_first_byte", "element_render_delay"],
            "a text LCP has no resource_load_* keys"
        );
        assert_eq!(context(&m, "element"), Some("html>body>h1"));
        assert_eq!(context(&m, "navigation_entry_id"), Some("unknown"));
        assert_eq!(
            context(&m, "navigation_url"),
            Some("https://shop.test/cart")
        );
        assert_eq!(context(&m, "load_state"), None, "LCP has no load_state");
        assert_eq!(m.kind, "web-vitals");
    }

    #[test]
    fn cls_zero_has_no_largest_keys_but_keeps_its_value_and_delta() {
        let m = measurement(
            &report(Name::Cls, 0.0),
            &Attribution::Cls {
                target: String::new(),
                value: 0.0,
                time: 0.0,
                load_state: "",
            },
            "n",
            1.0,
        );
        assert_eq!(keys(&m), ["cls", "delta"]);
        assert_eq!(
            m.context.len(),
            5,
            "id, rating, navigation_type, navigation_entry_id, navigation_url"
        );
    }

    #[test]
    fn ttfb_without_cache_time_omits_cache_duration() {
        let m = measurement(
            &report(Name::Ttfb, 180.0),
            &Attribution::Ttfb {
                breakdown: [
                    ("waiting_duration", 5.0),
                    ("cache_duration", 0.0),
                    ("dns_duration", 10.0),
                    ("connection_duration", 30.0),
                    ("request_duration", 135.0),
                ],
            },
            "n",
            1.0,
        );
        assert!(!keys(&m).contains(&"cache_duration"));
        assert!(keys(&m).contains(&"request_duration"));
    }

    #[test]
    fn inp_loaf_totals_of_zero_are_kept() {
        let parts = InpAttribution {
            interaction_time: 1000.0,
            next_paint_time: 1200.0,
            input_delay: 0.0,
            processing_duration: 150.0,
            presentation_delay: 50.0,
            keyboard: false,
            target: "#b".into(),
            loaf: Some(LoafSummary {
                total_script_duration: 150.0,
                total_style_and_layout_duration: 0.0,
                total_paint_duration: 0.0,
                total_unattributed_duration: 50.0,
                longest_script: Some(LongestScript {
                    intersecting_duration: 150.0,
                    subpart: "processing-duration",
                    invoker_type: "event-listener".into(),
                }),
            }),
        };
        let m = measurement(
            &report(Name::Inp, 200.0),
            &Attribution::Inp {
                parts,
                load_state: "complete",
            },
            "n",
            1.0,
        );
        let k = keys(&m);
        assert!(
            !k.contains(&"input_delay"),
            "a zero input delay is left out"
        );
        assert!(
            k.contains(&"total_paint_duration") && k.contains(&"total_style_and_layout_duration")
        );
        assert_eq!(context(&m, "interaction_type"), Some("pointer"));
        assert_eq!(
            context(&m, "longest_script_subpart"),
            Some("processing-duration")
        );
        assert_eq!(
            context(&m, "longest_script_invoker_type"),
            Some("event-listener")
        );
        assert_eq!(context(&m, "interaction_target"), Some("#b"));
    }
}
