//! Cumulative Layout Shift: the largest session window of shifts (gaps under 1 s, windows under
//! 5 s), ignoring shifts right after input, updated per observer batch as web-vitals does.

use crate::prelude::*;

/// One `layout-shift` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayoutShift {
    /// Shift score.
    pub value: f64,
    /// `startTime`.
    pub start_time: f64,
    /// Within 500 ms of an input: ignored.
    pub had_recent_input: bool,
    /// Selector of the first shifted element source (saved when processed), empty when none.
    pub target: String,
}

/// The CLS state of one metric instance. Only what the report needs is kept of each window (its
/// value, first and last times, largest shift), not its entries: a list of shifts copied at each
/// new maximum cost wasm and time for nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cls {
    /// The metric value: the largest window so far.
    pub value: f64,
    /// The largest shift of that window.
    largest: Option<LayoutShift>,
    window_value: f64,
    window_first: f64,
    window_last: f64,
    window_largest: Option<LayoutShift>,
}

impl Cls {
    /// Processes one observer batch; returns whether the value grew (then the caller reports).
    pub fn on_batch(&mut self, batch: &[LayoutShift]) -> bool {
        for e in batch {
            if e.had_recent_input {
                continue;
            }
            // web-vitals: a shift joins the window while the window has a value, the gap is under
            // 1 s and the window under 5 s.
            let joins = self.window_value != 0.0
                && e.start_time - self.window_last < 1000.0
                && e.start_time - self.window_first < 5000.0;
            if joins {
                self.window_value += e.value;
            } else {
                self.window_value = e.value;
                self.window_first = e.start_time;
                self.window_largest = None;
            }
            self.window_last = e.start_time;
            // Ties go to the later shift.
            if self
                .window_largest
                .as_ref()
                .is_none_or(|b| e.value >= b.value)
            {
                self.window_largest = Some(e.clone());
            }
        }
        if self.window_value > self.value {
            self.value = self.window_value;
            self.largest = self.window_largest.clone();
            true
        } else {
            false
        }
    }

    /// The largest shift of the reported window (ties go to the later one).
    pub fn largest_shift(&self) -> Option<&LayoutShift> {
        self.largest.as_ref()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A shift with no recent input and no target (also for core::vitals::page's tests).
    pub fn shift(value: f64, start_time: f64) -> LayoutShift {
        LayoutShift {
            value,
            start_time,
            had_recent_input: false,
            target: String::new(),
        }
    }

    #[test]
    fn shifts_900ms_apart_form_one_window_until_5s() {
        let mut c = Cls::default();
        let batch: Vec<_> = (0..6)
            .map(|i| shift(0.01, 100.0 + 900.0 * i as f64))
            .collect();
        c.on_batch(&batch);
        assert!((c.value - 0.06).abs() < 1e-12);
        // 5100 - 100 is not < 5000: a new, smaller window; the value keeps the larger one.
        c.on_batch(&[shift(0.02, 5100.0)]);
        assert!((c.value - 0.06).abs() < 1e-12);
        // The largest shift is the reported window's (its last, on a tie), not the new window's.
        assert_eq!(c.largest_shift().unwrap().start_time, 4600.0);
    }

    #[test]
    fn a_gap_of_exactly_one_second_opens_a_new_window() {
        let mut c = Cls::default();
        c.on_batch(&[shift(0.1, 0.0)]);
        c.on_batch(&[shift(0.05, 1000.0)]);
        assert_eq!(c.value, 0.1);
        c.on_batch(&[shift(0.04, 1999.0)]);
        assert!(
            (c.value - 0.1).abs() < 1e-12,
            "0.05 + 0.04 is still below 0.1"
        );
        c.on_batch(&[shift(0.03, 2998.0)]);
        assert!(
            (c.value - 0.12).abs() < 1e-12,
            "the second window (0.05 + 0.04 + 0.03) is now the largest"
        );
    }

    #[test]
    fn one_batch_ending_a_large_window_and_starting_a_small_one_loses_the_large_one_as_web_vitals_does(
    ) {
        let mut c = Cls::default();
        c.on_batch(&[shift(0.1, 0.0), shift(0.05, 1000.0)]);
        assert_eq!(c.value, 0.05);
    }

    #[test]
    fn shifts_after_input_neither_count_nor_split_a_window() {
        let mut c = Cls::default();
        let mut input = shift(0.5, 500.0);
        input.had_recent_input = true;
        c.on_batch(&[shift(0.1, 0.0), input, shift(0.1, 900.0)]);
        assert!((c.value - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_batch_ending_a_large_window_and_starting_a_small_one_keeps_the_value_of_the_small_one_only_if_larger(
    ) {
        let mut c = Cls::default();
        assert!(c.on_batch(&[shift(0.3, 0.0)]));
        assert!(!c.on_batch(&[shift(0.1, 3000.0)]));
        assert_eq!(c.value, 0.3);
        assert_eq!(c.largest_shift().unwrap().value, 0.3);
    }

    #[test]
    fn ties_for_the_largest_shift_go_to_the_later_entry() {
        let mut c = Cls::default();
        let mut a = shift(0.1, 0.0);
        a.target = "#a".into();
        let mut b = shift(0.1, 100.0);
        b.target = "#b".into();
        c.on_batch(&[a, b]);
        assert_eq!(c.largest_shift().unwrap().target, "#b");
    }
}
