//! Interaction to Next Paint: the longest interactions (at most 10) grouped by interaction id,
//! the high-percentile pick (one candidate down per 50 interactions), and the attribution
//! (frames of event entries painted together, Long Animation Frame scripts).
use crate::prelude::*;

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
    /// Selector of the target (or the entry's `targetSelector`), empty when none.
    pub target: String,
}

/// One script of a Long Animation Frame (`PerformanceScriptTiming`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// `startTime`.
    pub start_time: f64,
    /// `duration`.
    pub duration: f64,
    /// `forcedStyleAndLayoutDuration`.
    pub forced_style_and_layout_duration: f64,
    /// `invokerType` (`event-listener`, `user-callback`, …).
    pub invoker_type: String,
}

/// One `long-animation-frame` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loaf {
    /// `startTime`.
    pub start_time: f64,
    /// `duration`.
    pub duration: f64,
    /// `styleAndLayoutStart`.
    pub style_and_layout_start: f64,
    /// `scripts`.
    pub scripts: Vec<Script>,
}

/// Event entries painted in the same frame (render times within 8 ms of each other).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    serial: u32,
    start_time: f64,
    processing_start: f64,
    processing_end: f64,
    render_time: f64,
}

/// One interaction: its latency and the first entry that has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Interaction {
    /// Interaction id.
    pub id: u64,
    /// Largest duration of its entries.
    pub latency: f64,
    /// The first entry with that latency; its `target` is the first non-empty one among the
    /// entries with that latency and start (web-vitals keeps their list; nothing else of the
    /// others is read, so they are not copied).
    pub first: EventEntry,
    /// The frame of `first`.
    frame: u32,
    /// Selector saved when the interaction first became a candidate with a target.
    pub target: String,
}

/// How many interactions (and, besides theirs, frames and LoAFs) are kept.
pub const MAX_CANDIDATES: usize = 10;

/// INP's value source: the interaction picked, or the 8 ms stand-in after a restore.
#[derive(Clone, Debug, PartialEq)]
pub struct Pick {
    /// The latency (the INP value).
    pub latency: f64,
    /// `(interaction id, its first entry, the frame of that entry)`; `None` for the stand-in.
    pub first: Option<(u64, EventEntry, u32)>,
}

/// The longest interactions of one metric instance, plus what the attribution needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interactions {
    list: Vec<Interaction>,
    frames: Vec<Frame>,
    next_frame: u32,
    latest_processing_end: f64,
    loafs: Vec<Loaf>,
    baseline: u64,
}

impl Interactions {
    /// Processes one entry: every entry joins a frame; interactions become candidates.
    pub fn process(&mut self, e: &EventEntry) {
        let frame = self.join_frame(e);
        if e.interaction_id == 0 {
            return;
        }
        let known = self.list.iter().position(|i| i.id == e.interaction_id);
        let shortest = self.list.last().map_or(0.0, |i| i.latency);
        if known.is_none() && self.list.len() >= MAX_CANDIDATES && e.duration <= shortest {
            return;
        }
        let id = e.interaction_id;
        match known {
            // get_mut, not indexing: no bounds-check panic in the wasm (issue 14).
            Some(k) => {
                let Some(i) = self.list.get_mut(k) else {
                    return;
                };
                if e.duration > i.latency {
                    i.latency = e.duration;
                    i.first = e.clone();
                    i.frame = frame;
                } else if e.duration == i.latency
                    && i.first.start_time == e.start_time
                    && i.first.target.is_empty()
                {
                    i.first.target = e.target.clone();
                }
            }
            None => self.list.push(Interaction {
                id,
                latency: e.duration,
                first: e.clone(),
                frame,
                target: String::new(),
            }),
        }
        // A stable sort, longest first, as web-vitals does (an insertion sort: at most 11 items;
        // pairs taken by get_mut, so no bounds-check panic).
        for i in 1..self.list.len() {
            let mut j = i;
            while j > 0 {
                match self.list.get_mut(j - 1..j + 1) {
                    Some([a, b]) if a.latency < b.latency => core::mem::swap(a, b),
                    _ => break,
                }
                j -= 1;
            }
        }
        self.list.truncate(MAX_CANDIDATES);
        // The target is fixed the first time the (still listed) interaction has one.
        if let Some(i) = self.list.iter_mut().find(|i| i.id == id) {
            if i.target.is_empty() {
                i.target = i.first.target.clone();
            }
        }
    }

    fn join_frame(&mut self, e: &EventEntry) -> u32 {
        let render_time = e.start_time + e.duration;
        self.latest_processing_end = self.latest_processing_end.max(e.processing_end);
        if let Some(f) = self
            .frames
            .iter_mut()
            .rev()
            .find(|f| (render_time - f.render_time).abs() <= 8.0)
        {
            f.start_time = f.start_time.min(e.start_time);
            f.processing_start = f.processing_start.min(e.processing_start);
            f.processing_end = f.processing_end.max(e.processing_end);
            return f.serial;
        }
        self.next_frame += 1;
        self.frames.push(Frame {
            serial: self.next_frame,
            start_time: e.start_time,
            processing_start: e.processing_start,
            processing_end: e.processing_end,
            render_time,
        });
        self.next_frame
    }

    /// Adds Long Animation Frames (in the order the browser gave them).
    pub fn add_loafs(&mut self, mut loafs: Vec<Loaf>) {
        self.loafs.append(&mut loafs);
    }

    /// Forgets what the attribution can no longer need: frames beyond the last 10 that hold no
    /// candidate's first entry, and LoAFs that touch none of the kept frames unless they are
    /// among the last 10 and came after every processed event.
    pub fn cleanup(&mut self) {
        // Rebuilt by push, not `retain` (a copy of std's retain code per element type, issue 14).
        let keep_from = self.frames.len().saturating_sub(MAX_CANDIDATES);
        let mut frames = Vec::new();
        for (i, f) in self.frames.iter().enumerate() {
            if i >= keep_from || self.list.iter().any(|c| c.frame == f.serial) {
                frames.push(*f);
            }
        }
        self.frames = frames;
        let keep_loafs_from = self.loafs.len().saturating_sub(MAX_CANDIDATES);
        let latest = self.latest_processing_end;
        let mut i = 0;
        for l in core::mem::take(&mut self.loafs) {
            i += 1;
            let touches = self
                .frames
                .iter()
                .any(|f| intersects(&l, f.start_time, f.processing_end));
            if touches || (i > keep_loafs_from && l.start_time > latest) {
                self.loafs.push(l);
            }
        }
    }

    /// The interaction INP reports after `interaction_count` interactions on the page: the
    /// longest for fewer than 50 (counted since the last restore), then one further down per 50.
    /// After a restore with interactions but no candidate, an 8 ms stand-in.
    pub fn pick(&self, interaction_count: u64, after_restore: bool) -> Option<Pick> {
        let n = interaction_count.saturating_sub(self.baseline);
        if self.list.is_empty() {
            return (n > 0 && after_restore).then_some(Pick {
                latency: 8.0,
                first: None,
            });
        }
        let c = &self.list[((n / 50) as usize).min(self.list.len() - 1)];
        Some(Pick {
            latency: c.latency,
            first: Some((c.id, c.first.clone(), c.frame)),
        })
    }

    /// Starts over after a back/forward-cache restore: no candidates, interactions counted
    /// from `interaction_count`.
    pub fn reset(&mut self, interaction_count: u64) {
        self.list.clear();
        self.baseline = interaction_count;
    }

    /// The attribution of a pick (`value` is the INP value, for the stand-in).
    pub fn attribution(&self, pick: &Pick) -> InpAttribution {
        let Some((id, first, frame)) = &pick.first else {
            return InpAttribution {
                presentation_delay: pick.latency,
                ..Default::default()
            };
        };
        let (ps, pe) = self
            .frames
            .iter()
            .find(|f| f.serial == *frame)
            .map_or((first.processing_start, first.processing_end), |f| {
                (f.processing_start, f.processing_end)
            });
        let ps = ps.max(first.start_time);
        let next_paint = (first.start_time + first.duration).max(ps);
        let pe = pe.min(next_paint);
        let mut a = InpAttribution {
            interaction_time: first.start_time,
            next_paint_time: next_paint,
            input_delay: ps - first.start_time,
            processing_duration: pe - ps,
            presentation_delay: next_paint - pe,
            keyboard: first.name.starts_with("key"),
            target: self
                .list
                .iter()
                .find(|i| i.id == *id)
                .map(|i| i.target.clone())
                .unwrap_or_default(),
            loaf: None,
        };
        let mut loafs: Vec<&Loaf> = Vec::new();
        for l in self.loafs.iter().take_while(|l| l.start_time <= pe) {
            if intersects(l, first.start_time, pe) {
                loafs.push(l);
            }
        }
        a.loaf = loaf_summary(&loafs, &a);
        a
    }
}

fn intersects(l: &Loaf, start: f64, end: f64) -> bool {
    l.start_time + l.duration >= start && l.start_time <= end
}

/// Totals over the LoAFs of an interaction; `None` without LoAFs (or without times).
fn loaf_summary(loafs: &[&Loaf], a: &InpAttribution) -> Option<LoafSummary> {
    let t = a.interaction_time;
    if loafs.is_empty() || t == 0.0 || a.next_paint_time == 0.0 {
        return None;
    }
    let processing_from = t + a.input_delay;
    let processing_to = processing_from + a.processing_duration;
    let mut s = LoafSummary::default();
    let mut longest = 0.0;
    for l in loafs {
        s.total_style_and_layout_duration += l.start_time + l.duration - l.style_and_layout_start;
        for script in &l.scripts {
            let end = script.start_time + script.duration;
            if end < t {
                continue;
            }
            let overlap = end - t.max(script.start_time);
            let forced = if script.duration != 0.0 {
                overlap / script.duration * script.forced_style_and_layout_duration
            } else {
                0.0
            };
            s.total_script_duration += overlap - forced;
            s.total_style_and_layout_duration += forced;
            if overlap > longest {
                longest = overlap;
                let subpart = if script.start_time < processing_from {
                    "input-delay"
                } else if script.start_time >= processing_to {
                    "presentation-delay"
                } else {
                    "processing-duration"
                };
                s.longest_script = Some(LongestScript {
                    intersecting_duration: overlap,
                    subpart,
                    invoker_type: script.invoker_type.clone(),
                });
            }
        }
    }
    let last_end = loafs.last().map_or(0.0, |l| l.start_time + l.duration);
    if last_end >= processing_to {
        s.total_paint_duration = a.next_paint_time - last_end;
    }
    s.total_unattributed_duration = a.next_paint_time
        - t
        - s.total_script_duration
        - s.total_style_and_layout_duration
        - s.total_paint_duration;
    Some(s)
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

/// The script that held the interaction's frames longest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LongestScript {
    /// Its overlap with the interaction.
    pub intersecting_duration: f64,
    /// `input-delay`, `processing-duration` or `presentation-delay`.
    pub subpart: &'static str,
    /// The script's `invokerType`.
    pub invoker_type: String,
}

/// Where the Long Animation Frames of an interaction spent its time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoafSummary {
    /// Script time (without forced style and layout).
    pub total_script_duration: f64,
    /// Style and layout, forced or not.
    pub total_style_and_layout_duration: f64,
    /// From the end of the last LoAF to the paint.
    pub total_paint_duration: f64,
    /// The rest.
    pub total_unattributed_duration: f64,
    /// The longest script, if any script overlapped.
    pub longest_script: Option<LongestScript>,
}

/// INP attribution, as web-vitals' attribution build gives it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InpAttribution {
    /// The first entry's `startTime` (0 for the stand-in).
    pub interaction_time: f64,
    /// When the next frame was painted (0 for the stand-in).
    pub next_paint_time: f64,
    /// From the input to the first handler.
    pub input_delay: f64,
    /// The handlers of the frame.
    pub processing_duration: f64,
    /// From the handlers to the paint.
    pub presentation_delay: f64,
    /// A keyboard interaction (else pointer).
    pub keyboard: bool,
    /// The target's selector, empty when unknown.
    pub target: String,
    /// Long Animation Frame totals, where the browser has them.
    pub loaf: Option<LoafSummary>,
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

    fn latency(m: &Interactions, count: u64) -> Option<f64> {
        m.pick(count, false).map(|p| p.latency)
    }

    #[test]
    fn entries_of_one_interaction_merge_to_the_largest_duration() {
        let mut m = Interactions::default();
        m.process(&ev(7, 40.0, 10.0));
        m.process(&ev(7, 96.0, 12.0));
        m.process(&ev(7, 56.0, 14.0));
        m.process(&ev(0, 500.0, 20.0));
        assert_eq!(latency(&m, 1), Some(96.0));
        assert_eq!(m.list.len(), 1, "id 0 (hover, scroll) is ignored");
    }

    #[test]
    fn equal_durations_with_the_same_start_are_kept_together() {
        // The target comes from the first entry of the group that has one; an entry with the
        // same duration but another start is not of the group.
        let with = |start: f64, target: &str| EventEntry {
            target: target.into(),
            ..ev(7, 96.0, start)
        };
        let mut m = Interactions::default();
        m.process(&with(10.0, ""));
        assert_eq!(m.list[0].target, "");
        m.process(&with(11.0, "a.other"));
        assert_eq!(m.list[0].target, "", "another start is not of the group");
        m.process(&with(10.0, "button#buy"));
        m.process(&with(10.0, "span"));
        assert_eq!(m.list[0].target, "button#buy");
        assert_eq!(m.list[0].first.start_time, 10.0);
    }

    #[test]
    fn the_pick_moves_down_one_candidate_per_50_interactions() {
        let mut m = Interactions::default();
        for i in 1..=12u64 {
            m.process(&ev(i * 7, i as f64 * 10.0, i as f64));
        }
        assert_eq!(m.list.len(), 10);
        assert_eq!(latency(&m, 49), Some(120.0));
        assert_eq!(latency(&m, 58), Some(110.0));
        assert_eq!(latency(&m, 600), Some(30.0), "at most the 10th");
        assert!(
            Interactions::default().pick(3, false).is_none(),
            "no candidate, no INP"
        );
    }

    #[test]
    fn more_interactions_can_lower_the_pick() {
        let mut m = Interactions::default();
        m.process(&ev(7, 300.0, 0.0));
        m.process(&ev(14, 250.0, 0.0));
        assert_eq!(latency(&m, 2), Some(300.0));
        assert_eq!(latency(&m, 50), Some(250.0));
    }

    #[test]
    fn a_short_new_interaction_does_not_displace_a_full_list() {
        let mut m = Interactions::default();
        for i in 1..=10u64 {
            m.process(&ev(i, 100.0 + i as f64, 0.0));
        }
        m.process(&ev(99, 50.0, 0.0));
        assert!(m.list.iter().all(|i| i.id != 99));
        m.process(&ev(100, 150.0, 0.0));
        assert_eq!(
            m.list[0].id, 100,
            "a longer one does, and the shortest leaves"
        );
        assert!(m.list.iter().all(|i| i.id != 1));
    }

    #[test]
    fn a_restore_counts_interactions_from_then_and_stands_in_8ms_without_candidates() {
        let mut m = Interactions::default();
        m.process(&ev(7, 300.0, 0.0));
        m.reset(60);
        assert_eq!(m.pick(60, true), None, "no interaction since the restore");
        let stand_in = m.pick(61, true).unwrap();
        assert_eq!((stand_in.latency, stand_in.first), (8.0, None));
        assert_eq!(m.pick(61, false), None, "only after a restore");
        m.process(&ev(14, 48.0, 900.0));
        assert_eq!(
            latency(&m, 61 + 49),
            Some(48.0),
            "the count restarts at the restore"
        );
        let a = m.attribution(&Pick {
            latency: 8.0,
            first: None,
        });
        assert_eq!((a.presentation_delay, a.interaction_time), (8.0, 0.0));
    }

    #[test]
    fn the_count_estimate_uses_chromiums_id_stride() {
        assert_eq!(estimate_count(0, 0), 0);
        assert_eq!(estimate_count(7, 7), 1);
        assert_eq!(estimate_count(7, 70), 10);
    }

    #[test]
    fn parts_come_from_the_whole_frame_and_add_up_to_the_latency() {
        let mut m = Interactions::default();
        let mut down = ev(7, 104.0, 1000.0);
        down.processing_start = 1010.0;
        down.processing_end = 1020.0;
        down.name = "keydown".into();
        // Another event painted in the same frame (render time 1100 vs 1104) whose handler ran longer.
        let mut other = ev(0, 40.0, 1060.0);
        other.processing_start = 1062.0;
        other.processing_end = 1070.0;
        m.process(&down);
        m.process(&other);
        let a = m.attribution(&m.pick(1, false).unwrap());
        assert_eq!(
            (a.input_delay, a.processing_duration, a.presentation_delay),
            (10.0, 60.0, 34.0)
        );
        assert_eq!(a.next_paint_time, 1104.0);
        assert!(a.keyboard);
        assert_eq!(
            a.input_delay + a.processing_duration + a.presentation_delay,
            104.0
        );
    }

    #[test]
    fn an_entry_keeps_the_frame_it_joined_even_if_a_later_frame_is_closer() {
        let mut m = Interactions::default();
        let a = ev(7, 100.0, 0.0); // renders at 100
        let mut b = ev(0, 105.0, 0.0); // 105: joins the frame of 100
        b.processing_end = 50.0;
        let c = ev(0, 109.0, 0.0); // 109: 9 from 100, a new frame
        m.process(&a);
        m.process(&b);
        m.process(&c);
        let at = m.attribution(&m.pick(1, false).unwrap());
        assert_eq!(
            at.processing_duration, 49.0,
            "processing end 50 from its own frame"
        );
    }

    #[test]
    fn the_target_is_fixed_when_the_interaction_first_has_one() {
        let mut m = Interactions::default();
        let mut down = ev(7, 48.0, 0.0);
        down.target = "#first".into();
        m.process(&down);
        let mut click = ev(7, 56.0, 0.0);
        click.target = "#second".into();
        m.process(&click);
        let a = m.attribution(&m.pick(1, false).unwrap());
        assert_eq!(a.target, "#first");
    }

    #[test]
    fn old_frames_and_loafs_go_but_those_of_candidates_stay() {
        let mut m = Interactions::default();
        let mut slow = ev(7, 400.0, 10.0);
        slow.processing_end = 300.0;
        m.process(&slow);
        m.add_loafs(vec![Loaf {
            start_time: 0.0,
            duration: 390.0,
            ..Default::default()
        }]);
        for i in 1..=20u64 {
            m.process(&ev(0, 16.0, 1000.0 * i as f64));
            m.add_loafs(vec![Loaf {
                start_time: 1000.0 * i as f64 + 500.0,
                duration: 60.0,
                ..Default::default()
            }]);
        }
        m.cleanup();
        assert_eq!(m.frames.len(), 11, "the last 10 and the candidate's");
        assert_eq!(m.loafs[0].start_time, 0.0, "the candidate's LoAF stays");
        assert!(m.loafs.len() <= 11);
        assert!(m.attribution(&m.pick(1, false).unwrap()).loaf.is_some());
    }

    #[test]
    fn loaf_totals_split_the_interaction_like_web_vitals() {
        let mut m = Interactions::default();
        let mut click = ev(7, 200.0, 1000.0);
        click.processing_start = 1020.0;
        click.processing_end = 1150.0;
        m.process(&click);
        m.add_loafs(vec![Loaf {
            start_time: 990.0,
            duration: 190.0, // ends 1180
            style_and_layout_start: 1160.0,
            scripts: vec![
                Script {
                    start_time: 995.0,
                    duration: 15.0, // 1010: overlaps 10 in the input delay
                    forced_style_and_layout_duration: 0.0,
                    invoker_type: "user-callback".into(),
                },
                Script {
                    start_time: 1020.0,
                    duration: 130.0,
                    forced_style_and_layout_duration: 13.0,
                    invoker_type: "event-listener".into(),
                },
            ],
        }]);
        let a = m.attribution(&m.pick(1, false).unwrap());
        assert_eq!(
            (a.input_delay, a.processing_duration, a.presentation_delay),
            (20.0, 130.0, 50.0)
        );
        let s = a.loaf.unwrap();
        assert_eq!(s.total_script_duration, 10.0 + 130.0 - 13.0);
        assert_eq!(s.total_style_and_layout_duration, 20.0 + 13.0);
        assert_eq!(s.total_paint_duration, 1200.0 - 1180.0);
        assert_eq!(s.total_unattributed_duration, 200.0 - 127.0 - 33.0 - 20.0);
        let longest = s.longest_script.unwrap();
        assert_eq!(longest.intersecting_duration, 130.0);
        assert_eq!(longest.subpart, "processing-duration");
        assert_eq!(longest.invoker_type, "event-listener");
    }

    #[test]
    fn no_loafs_no_totals() {
        let mut m = Interactions::default();
        m.process(&ev(7, 200.0, 1000.0));
        assert_eq!(m.attribution(&m.pick(1, false).unwrap()).loaf, None);
    }
}
