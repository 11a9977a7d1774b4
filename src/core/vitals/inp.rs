//! Interaction to Next Paint: the longest interactions (at most 10) grouped by interaction id,
//! and the high-percentile pick (one candidate down per 50 interactions).

/// One `event` or `first-input` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventEntry {
    /// `interactionId` (0: not an interaction).
    pub interaction_id: u64,
    /// `duration` (rounded to 8 ms by the browser).
    pub duration: f64,
    /// `startTime`.
    pub start_time: f64,
    /// `processingStart`.
    pub processing_start: f64,
    /// `processingEnd`.
    pub processing_end: f64,
    /// Event type (`pointerdown`, `keydown`, `click`, …).
    pub name: String,
    /// Selector of the target, empty when none.
    pub target: String,
}

/// One interaction: its latency and the entries that have it.
#[derive(Clone, Debug, PartialEq)]
pub struct Interaction {
    /// Interaction id.
    pub id: u64,
    /// Largest duration of its entries.
    pub latency: f64,
    /// Entries with that latency.
    pub entries: Vec<EventEntry>,
}

/// The longest interactions seen, longest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interactions {
    list: Vec<Interaction>,
}

/// How many interactions are kept.
pub const MAX_CANDIDATES: usize = 10;

impl Interactions {
    /// Processes one entry.
    pub fn process(&mut self, e: &EventEntry) {
        if e.interaction_id == 0 {
            return;
        }
        let known = self.list.iter().position(|i| i.id == e.interaction_id);
        let shortest = self.list.last().map_or(0.0, |i| i.latency);
        if known.is_none() && self.list.len() >= MAX_CANDIDATES && e.duration <= shortest {
            return;
        }
        match known {
            Some(k) => {
                let i = &mut self.list[k];
                if e.duration > i.latency {
                    i.latency = e.duration;
                    i.entries = vec![e.clone()];
                } else if e.duration == i.latency
                    && i.entries
                        .first()
                        .is_some_and(|f| f.start_time == e.start_time)
                {
                    i.entries.push(e.clone());
                }
            }
            None => self.list.push(Interaction {
                id: e.interaction_id,
                latency: e.duration,
                entries: vec![e.clone()],
            }),
        }
        // A stable sort, longest first, as web-vitals does (an insertion sort: at most 11 items,
        // and it keeps the wasm free of the standard library's sort code).
        for i in 1..self.list.len() {
            let mut j = i;
            while j > 0 && self.list[j - 1].latency < self.list[j].latency {
                self.list.swap(j - 1, j);
                j -= 1;
            }
        }
        self.list.truncate(MAX_CANDIDATES);
    }

    /// The candidate for `interaction_count` interactions: the longest for fewer than 50, then one
    /// further down per 50 (the 98th percentile).
    pub fn candidate(&self, interaction_count: u64) -> Option<&Interaction> {
        if self.list.is_empty() {
            return None;
        }
        let idx = ((interaction_count / 50) as usize).min(self.list.len() - 1);
        self.list.get(idx)
    }

    /// Forgets every candidate (after a back/forward-cache restore).
    pub fn clear(&mut self) {
        self.list.clear();
    }
}

/// Interactions counted from the ids seen when `performance.interactionCount` is missing:
/// Chromium hands out ids 7 apart.
pub fn estimate_count(min_id: u64, max_id: u64) -> u64 {
    if max_id == 0 {
        0
    } else {
        (max_id - min_id) / 7 + 1
    }
}

/// INP attribution (Faro's key names) from the interaction's first entry and its frame group.
pub struct InpParts {
    /// `interaction_time`
    pub interaction_time: f64,
    /// `input_delay`
    pub input_delay: f64,
    /// `processing_duration`
    pub processing_duration: f64,
    /// `presentation_delay`
    pub presentation_delay: f64,
    /// `next_paint_time`
    pub next_paint_time: f64,
}

/// Splits an interaction into input delay, processing and presentation delay.
/// `group_processing` is the (min processingStart, max processingEnd) of the entries painted in
/// the same frame (within 8 ms of the first entry's end).
pub fn parts(first: &EventEntry, group_processing: (f64, f64)) -> InpParts {
    let ps = group_processing.0.max(first.start_time);
    let next_paint = (first.start_time + first.duration).max(ps);
    let pe = group_processing.1.min(next_paint);
    InpParts {
        interaction_time: first.start_time,
        input_delay: ps - first.start_time,
        processing_duration: pe - ps,
        presentation_delay: next_paint - pe,
        next_paint_time: next_paint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u64, duration: f64, start: f64) -> EventEntry {
        EventEntry {
            interaction_id: id,
            duration,
            start_time: start,
            processing_start: start + 1.0,
            processing_end: start + 2.0,
            name: "pointerdown".into(),
            target: String::new(),
        }
    }

    #[test]
    fn entries_of_one_interaction_merge_to_the_largest_duration() {
        let mut m = Interactions::default();
        m.process(&ev(7, 40.0, 10.0));
        m.process(&ev(7, 96.0, 12.0));
        m.process(&ev(7, 56.0, 14.0));
        m.process(&ev(0, 500.0, 20.0));
        assert_eq!(m.candidate(1).unwrap().latency, 96.0);
        assert_eq!(m.list.len(), 1, "id 0 (hover, scroll) is ignored");
    }

    #[test]
    fn the_pick_moves_down_one_candidate_per_50_interactions() {
        let mut m = Interactions::default();
        for i in 1..=12u64 {
            m.process(&ev(i * 7, i as f64 * 10.0, i as f64));
        }
        assert_eq!(m.list.len(), 10);
        assert_eq!(m.candidate(49).unwrap().latency, 120.0);
        assert_eq!(m.candidate(58).unwrap().latency, 110.0);
        assert_eq!(m.candidate(600).unwrap().latency, 30.0, "at most the 10th");
        assert!(Interactions::default().candidate(3).is_none());
    }

    #[test]
    fn a_short_new_interaction_does_not_displace_a_full_list() {
        let mut m = Interactions::default();
        for i in 1..=10u64 {
            m.process(&ev(i, 100.0 + i as f64, 0.0));
        }
        m.process(&ev(99, 50.0, 0.0));
        assert!(m.list.iter().all(|i| i.id != 99));
    }

    #[test]
    fn the_count_estimate_uses_chromiums_id_stride() {
        assert_eq!(estimate_count(0, 0), 0);
        assert_eq!(estimate_count(7, 7), 1);
        assert_eq!(estimate_count(7, 70), 10);
    }

    #[test]
    fn parts_add_up_to_the_latency() {
        let e = EventEntry {
            interaction_id: 1,
            duration: 104.0,
            start_time: 1000.0,
            processing_start: 1010.0,
            processing_end: 1070.0,
            ..Default::default()
        };
        let p = parts(&e, (1010.0, 1070.0));
        assert_eq!(
            (p.input_delay, p.processing_duration, p.presentation_delay),
            (10.0, 60.0, 34.0)
        );
        assert_eq!(
            p.input_delay + p.processing_duration + p.presentation_delay,
            104.0
        );
    }
}
