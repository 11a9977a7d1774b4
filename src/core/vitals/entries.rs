//! Performance entries as js/entries.js hands them over: one batch is a list of numbers and one
//! string of fields joined by `\x03`, each entry type with its fixed layout (the same order as
//! `read()` in js/entries.js). Decoding is plain Rust, so the layout is tested here.

use crate::prelude::*;

use super::cls::LayoutShift;
use super::inp::{EventEntry, Loaf, Script};
use super::lcp::LcpEntry;
use super::lcp::LcpResource;
use super::page::{ContentfulPaint, Resource, SoftNavigation};
use super::selector::selector;
use super::NavTiming;

/// A batch of flat entries, read front to back; reading past the end gives 0 and "".
pub struct Flat<'a> {
    nums: &'a [f64],
    strs: crate::core::text::Split<'a>,
}

impl<'a> Flat<'a> {
    /// The batch `nums` and `strings` (fields joined by `\x03`).
    pub fn new(nums: &'a [f64], strings: &'a str) -> Flat<'a> {
        Flat {
            nums,
            strs: crate::core::text::split(strings, 3),
        }
    }

    /// Whether every number has been read.
    pub fn is_empty(&self) -> bool {
        self.nums.is_empty()
    }

    fn num(&mut self) -> f64 {
        match self.nums.split_first() {
            Some((v, rest)) => {
                self.nums = rest;
                *v
            }
            None => 0.0,
        }
    }

    fn text(&mut self) -> String {
        self.strs.next().unwrap_or_default().into()
    }

    /// A node's selector from its `chain()` (empty when there was no node).
    fn target(&mut self) -> String {
        selector(self.strs.next().unwrap_or_default())
    }

    /// `[startTime]` of the `first-contentful-paint` entry (other paints give nothing).
    pub fn paint(&mut self) -> f64 {
        self.num()
    }

    /// js/entries.js' `full()`: every field of a navigation or traced resource entry, its
    /// Server-Timing count, then `[name, initiatorType, nextHopProtocol, renderBlockingStatus,
    /// type]` and each Server-Timing's name and description.
    pub fn full(&mut self) -> crate::core::wire::timing::NavigationTiming {
        // Numbers and strings are read from two cursors: each list in its own order (fields of a
        // struct literal are evaluated as written).
        let mut n = crate::core::wire::timing::NavigationTiming {
            resource: crate::core::wire::timing::ResourceTiming {
                start_time: self.num(),
                duration: self.num(),
                redirect_start: self.num(),
                redirect_end: self.num(),
                worker_start: self.num(),
                fetch_start: self.num(),
                domain_lookup_start: self.num(),
                domain_lookup_end: self.num(),
                connect_start: self.num(),
                secure_connection_start: self.num(),
                connect_end: self.num(),
                request_start: self.num(),
                response_start: self.num(),
                response_end: self.num(),
                transfer_size: self.num(),
                encoded_body_size: self.num(),
                decoded_body_size: self.num(),
                response_status: self.num(),
                name: self.text(),
                initiator_type: self.text(),
                next_hop_protocol: self.text(),
                render_blocking_status: self.text(),
                server_timing: Vec::new(),
            },
            activation_start: self.num(),
            dom_interactive: self.num(),
            dom_content_loaded_event_start: self.num(),
            dom_content_loaded_event_end: self.num(),
            dom_complete: self.num(),
            load_event_start: self.num(),
            load_event_end: self.num(),
            kind: self.text(),
        };
        for _ in 0..self.num() as usize {
            let pair = (self.text(), self.text());
            n.resource.server_timing.push(pair);
        }
        n
    }

    /// `[interactionId, startTime, presentationTime || paintTime] [name]`, then its largest
    /// contentful paint as [`Flat::contentful_paint`] (interaction 0 when there is none).
    pub fn soft_navigation(&mut self) -> SoftNavigation {
        let interaction_id = self.num() as u64;
        let start_time = self.num();
        let paint_time = self.num();
        let url = self.text();
        let largest = Some(self.contentful_paint()).filter(|p| p.interaction_id > 0);
        SoftNavigation {
            interaction_id,
            url,
            start_time,
            paint_time,
            largest,
        }
    }

    /// `[interactionId, largestContentfulPaint.renderTime] [element chain, id, url]`.
    pub fn contentful_paint(&mut self) -> ContentfulPaint {
        let interaction_id = self.num() as u64;
        ContentfulPaint {
            interaction_id,
            paint: self.lcp(),
        }
    }

    /// `[startTime] [element chain, id, url]`.
    pub fn lcp(&mut self) -> LcpEntry {
        let start_time = self.num();
        let element = self.target();
        let id = self.text();
        let target = if !element.is_empty() || id.is_empty() {
            element
        } else {
            String::from("#") + &id
        };
        LcpEntry {
            start_time,
            target,
            url: self.text(),
        }
    }

    /// `[startTime, requestStart, responseEnd] [name]`: a resource entry, as the LCP may have
    /// loaded it (the only fields web-vitals' LCP attribution reads).
    pub fn resource(&mut self) -> Resource {
        let start_time = self.num();
        let request_start = self.num();
        let response_end = self.num();
        let start = if request_start > 0.0 {
            request_start
        } else {
            start_time
        };
        Resource {
            url: self.text(),
            timing: LcpResource {
                request_start: start,
                response_end,
            },
            start_time: start,
        }
    }

    /// `[activationStart, responseStart, workerStart, fetchStart, domainLookupStart, connectStart,
    /// connectEnd, domInteractive, domContentLoadedEventStart, domComplete, startTime, requestStart,
    /// responseEnd] [type, name]`: the navigation entry, with its type.
    pub fn navigation(&mut self) -> (Resource, NavTiming, String) {
        let nav = NavTiming {
            activation_start: self.num(),
            response_start: self.num(),
            worker_start: self.num(),
            fetch_start: self.num(),
            domain_lookup_start: self.num(),
            connect_start: self.num(),
            connect_end: self.num(),
            dom_interactive: self.num(),
            dom_content_loaded_start: self.num(),
            dom_complete: self.num(),
        };
        let kind = self.text();
        (self.resource(), nav, kind)
    }

    /// `[value, startTime, hadRecentInput] [node chain]`.
    pub fn shift(&mut self) -> LayoutShift {
        LayoutShift {
            value: self.num(),
            start_time: self.num(),
            had_recent_input: self.num() != 0.0,
            target: self.target(),
        }
    }

    /// `[interactionId, duration, startTime, processingStart, processingEnd]
    /// [name, target chain, targetSelector]`.
    pub fn event(&mut self) -> EventEntry {
        let mut e = EventEntry {
            interaction_id: self.num() as u64,
            duration: self.num(),
            start_time: self.num(),
            processing_start: self.num(),
            processing_end: self.num(),
            name: self.text(),
            target: self.target(),
        };
        let selector = self.text();
        if e.target.is_empty() {
            e.target = selector;
        }
        e
    }

    /// `[startTime, duration, styleAndLayoutStart, n, n × (startTime, duration,
    /// forcedStyleAndLayoutDuration)] [n × invokerType]`.
    pub fn loaf(&mut self) -> Loaf {
        let start_time = self.num();
        let duration = self.num();
        let style_and_layout_start = self.num();
        let n = self.num() as usize;
        let mut scripts = Vec::new();
        for _ in 0..n.min(self.nums.len() / 3) {
            scripts.push(Script {
                start_time: self.num(),
                duration: self.num(),
                forced_style_and_layout_duration: self.num(),
                invoker_type: self.text(),
            });
        }
        Loaf {
            start_time,
            duration,
            style_and_layout_start,
            scripts,
        }
    }

    /// `[startTime] [name]` of a `visibility-state` entry.
    pub fn visibility(&mut self) -> (f64, String) {
        (self.num(), self.text())
    }

    /// Every entry of the batch, read by `one`.
    pub fn all<T>(mut self, one: fn(&mut Flat<'a>) -> T) -> Vec<T> {
        let mut out = Vec::new();
        while !self.is_empty() {
            out.push(one(&mut self));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_entries_take_the_node_selector_else_the_target_selector() {
        let nums = [
            7.0, 48.0, 100.0, 104.0, 130.0, 0.0, 16.0, 200.0, 200.0, 201.0,
        ];
        let strs = "pointerdown\x03button\x01\x01b a\x02body\x01\x01\x03\x03keydown\x03\x03#gone";
        let got = Flat::new(&nums, strs).all(Flat::event);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].interaction_id, 7);
        assert_eq!(got[0].processing_end, 130.0);
        assert_eq!(got[0].target, "body>button.a.b");
        assert_eq!(got[1].name, "keydown");
        assert_eq!(got[1].target, "#gone");
    }

    #[test]
    fn full_timing_entries_keep_every_field_in_order_and_their_server_timings() {
        let mut nums: Vec<f64> = (1..=25).map(f64::from).collect();
        nums.push(2.0);
        nums.extend((1..=25).map(|v| f64::from(v) * 10.0));
        nums.push(0.0);
        let strs = "https://a/x\x03fetch\x03h2\x03\x03\x03traceparent\x0300-ab-cd-01\x03cache\x03hit\x03https://a/\x03navigation\x03http/1.1\x03non-blocking\x03reload";
        let got = Flat::new(&nums, strs).all(Flat::full);
        assert_eq!(got.len(), 2);
        let (a, b) = (&got[0], &got[1]);
        assert_eq!(a.resource.name, "https://a/x");
        assert_eq!(a.resource.initiator_type, "fetch");
        assert_eq!(a.resource.start_time, 1.0);
        assert_eq!(a.resource.response_status, 18.0);
        assert_eq!(a.load_event_end, 25.0);
        assert_eq!(
            a.resource.server_timing,
            [
                ("traceparent".into(), "00-ab-cd-01".into()),
                ("cache".into(), "hit".into())
            ]
        );
        assert_eq!(b.kind, "reload");
        assert_eq!(b.resource.render_blocking_status, "non-blocking");
        assert_eq!(b.activation_start, 190.0);
        assert_eq!(b.dom_complete, 230.0);
        assert!(b.resource.server_timing.is_empty());
    }

    #[test]
    fn soft_navigations_carry_their_largest_paint_when_they_have_one() {
        let nums = [7.0, 2000.0, 2120.0, 7.0, 2300.0, 9.0, 3000.0, 0.0, 0.0, 0.0];
        let strs = "https://a/cart\x03h2\x01\x01\x03\x03\x03https://a/b\x03\x03\x03";
        let got = Flat::new(&nums, strs).all(Flat::soft_navigation);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].url, "https://a/cart");
        assert_eq!(got[0].paint_time, 2120.0);
        let p = got[0].largest.as_ref().unwrap();
        assert_eq!((p.interaction_id, p.paint.start_time), (7, 2300.0));
        assert_eq!(p.paint.target, "h2");
        assert_eq!(got[1].interaction_id, 9);
        assert_eq!(got[1].url, "https://a/b");
        assert_eq!(got[1].largest, None, "no paint yet");
    }

    #[test]
    fn an_lcp_entry_whose_element_is_gone_is_named_by_its_id() {
        let nums = [1200.0, 1500.0];
        let strs = "img\x01hero\x01\x03\x03/a.jpg\x03\x03title\x03";
        let got = Flat::new(&nums, strs).all(Flat::lcp);
        assert_eq!(got[0].target, "#hero");
        assert_eq!(got[0].url, "/a.jpg");
        assert_eq!(got[1].target, "#title");
        assert_eq!(got[1].url, "");
    }

    #[test]
    fn loafs_carry_their_scripts_and_a_short_batch_reads_as_zeros() {
        let nums = [10.0, 80.0, 70.0, 2.0, 12.0, 30.0, 1.0, 45.0, 20.0, 0.0];
        let got = Flat::new(&nums, "event-listener\x03user-callback").all(Flat::loaf);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].scripts.len(), 2);
        assert_eq!(got[0].scripts[1].invoker_type, "user-callback");
        assert_eq!(got[0].scripts[1].duration, 20.0);
        // A count larger than what follows never reads past the batch.
        let got = Flat::new(&[1.0, 2.0, 3.0, 1000.0, 5.0], "").all(Flat::loaf);
        assert_eq!(got[0].scripts.len(), 0);
    }

    #[test]
    fn resource_entries_start_at_request_start_when_there_is_one() {
        let nums = [5.0, 9.0, 40.0, 5.0, 0.0, 40.0];
        let got = Flat::new(&nums, "/a.png\x03/b.png").all(Flat::resource);
        assert_eq!(got[0].start_time, 9.0);
        assert_eq!(got[1].start_time, 5.0);
        assert_eq!(got[1].url, "/b.png");
        assert_eq!(got[1].timing.response_end, 40.0);
    }

    #[test]
    fn the_navigation_entry_reads_its_timing_then_its_type_and_url() {
        let mut nums = vec![0.0; 10];
        nums[1] = 120.0; // responseStart
        nums.extend([0.0, 80.0, 300.0]);
        let (r, nav, kind) = Flat::new(&nums, "reload\x03https://a/").navigation();
        assert_eq!((nav.response_start, kind.as_str()), (120.0, "reload"));
        assert_eq!(
            (r.url.as_str(), r.start_time, r.timing.response_end),
            ("https://a/", 80.0, 300.0)
        );
    }

    #[test]
    fn layout_shifts_read_their_flags() {
        let got = Flat::new(&[0.25, 300.0, 1.0], "div\x01main\x01").all(Flat::shift);
        assert!(got[0].had_recent_input);
        assert_eq!(got[0].target, "#main");
    }
}
