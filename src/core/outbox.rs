//! What happens to a body once it is made: whether it goes now (and with `keepalive`) or waits,
//! the answers of the transport (`Accepted`, `RetryAfter`, `SessionInvalid`, `Failed`), back-off
//! and retry, the offline queue that carries bodies to the next page view, and the count of
//! everything dropped on the way, by reason. Pure: the browser edge sends and reports answers.
use crate::prelude::*;

/// How a request ended, as the transport tells it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    /// The collector took it (any status but 429; a 4xx is not retried either).
    Accepted,
    /// 429: wait this many milliseconds before sending again.
    RetryAfter(f64),
    /// Taken, and the collector said the session is invalid (`X-Faro-Session-Status: invalid`).
    SessionInvalid,
    /// It never got an answer (network failure, collector down, refused by the browser).
    Failed,
}

/// Why items were dropped before they could be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The offline queue was full and let its oldest bodies go.
    QueueOverflow,
    /// Over the per-minute error limit.
    RateLimit,
    /// An item too large even after its attributes were cut.
    Oversize,
    /// Pushed out of an unsampled session's buffer before the error that promoted it.
    SamplingBuffer,
}

impl DropReason {
    /// Every reason, in storage order.
    pub const ALL: [DropReason; 4] = [
        DropReason::QueueOverflow,
        DropReason::RateLimit,
        DropReason::Oversize,
        DropReason::SamplingBuffer,
    ];

    /// The `reason` attribute of the `wasm-rum.items_dropped` event.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::QueueOverflow => "queue_overflow",
            DropReason::RateLimit => "rate_limit",
            DropReason::Oversize => "oversize",
            DropReason::SamplingBuffer => "sampling_buffer",
        }
    }
}

/// The event that reports drops, one per reason with its `count`.
pub const DROPPED_EVENT: &str = "wasm-rum.items_dropped";

impl DropReason {
    /// The [`DROPPED_EVENT`] that reports `n` items dropped for this reason, stamped `now`.
    pub fn event(self, n: u64, now: f64) -> super::wire::Event {
        let mut count = String::new();
        super::wire::json::push_u64(&mut count, n);
        let mut attributes = Vec::new();
        super::wire::push_pair(&mut attributes, "reason", self.name());
        super::wire::push_pair(&mut attributes, "count", &count);
        super::wire::Event {
            name: DROPPED_EVENT.into(),
            domain: String::new(),
            attributes,
            timestamp: now,
            trace: None,
        }
    }
}

/// Items dropped, by reason, not yet reported. Stored beside the offline queue, so a count made
/// as the page is left is reported by the next page view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DropCounts([u64; 4]);

impl DropCounts {
    /// Counts `n` more for `reason`.
    pub fn add(&mut self, reason: DropReason, n: u64) {
        let i = reason as usize;
        self.0[i] = self.0[i].saturating_add(n);
    }

    /// Adds another count (say, the stored one of an earlier page view).
    pub fn merge(&mut self, other: &DropCounts) {
        for (r, n) in DropReason::ALL.iter().zip(other.0) {
            self.add(*r, n);
        }
    }

    /// True when nothing is waiting to be reported.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }

    /// The non-zero counts, now reported: the counts start again at zero.
    pub fn take(&mut self) -> Vec<(DropReason, u64)> {
        let mut out = Vec::new();
        for (r, n) in DropReason::ALL.into_iter().zip(self.0) {
            if n > 0 {
                out.push((r, n));
            }
        }
        self.0 = [0; 4];
        out
    }

    /// The stored form: the four counts separated by commas.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            super::wire::json::push_u64(&mut s, *n);
        }
        s
    }

    /// Reads the stored form; anything unreadable counts as zero.
    pub fn decode(stored: &str) -> DropCounts {
        let mut c = DropCounts::default();
        for (slot, part) in c.0.iter_mut().zip(super::text::split(stored, b',')) {
            *slot = super::wire::json::parse_u64(part).unwrap_or(0);
        }
        c
    }
}

/// Where a body goes now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Route {
    /// Send it; `keepalive` when the page is being left, so the request outlives the page.
    Send {
        /// Whether the request needs `keepalive`.
        keepalive: bool,
    },
    /// Not now: into the offline queue (the collector asked us to wait, or the page is being
    /// left and the keepalive budget is spent).
    Keep,
}

/// What the edge does after an answer.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// A body to put in the offline queue.
    pub keep: Option<String>,
    /// A body of the offline queue that arrived: remove it from there.
    pub delivered_from_queue: Option<String>,
    /// Schedule a resend of the offline queue after this many milliseconds.
    pub retry_in: Option<f64>,
    /// Start a new session.
    pub renew_session: bool,
}

/// The first delay before resending after a network failure; it doubles up to [`MAX_RETRY_MS`].
pub const FIRST_RETRY_MS: f64 = 2_000.0;
/// The longest delay between resends.
pub const MAX_RETRY_MS: f64 = 60_000.0;
/// A 429 without a usable `Retry-After` waits this long.
pub const DEFAULT_RETRY_AFTER_MS: f64 = 5_000.0;

/// A request waiting for its answer.
#[derive(Debug)]
struct InFlight {
    id: u32,
    body: String,
    keepalive: bool,
    from_queue: bool,
}

/// Bodies in flight and the transport's state.
#[derive(Debug)]
pub struct Outbox {
    /// No request before this time (epoch ms): the collector said 429.
    backoff_until: f64,
    retry_delay: f64,
    retry_pending: bool,
    /// Bytes of `keepalive` requests in flight (they share the browser's 64 KiB budget).
    keepalive_bytes: usize,
    /// Bodies sent and not yet answered, by request id: kept so that a failure can put them
    /// in the offline queue; freed by their answer.
    in_flight: Vec<InFlight>,
    next_id: u32,
    /// Items dropped and not reported yet.
    pub drops: DropCounts,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            backoff_until: 0.0,
            retry_delay: FIRST_RETRY_MS,
            retry_pending: false,
            keepalive_bytes: 0,
            in_flight: Vec::new(),
            next_id: 0,
            drops: DropCounts::default(),
        }
    }
}

impl Outbox {
    /// Whether the collector asked us to wait (429) and the wait is not over at `now`.
    pub fn backing_off(&self, now: f64) -> bool {
        now < self.backoff_until
    }

    /// Decides for a body of `len` bytes. `leaving`: the flush was started by the page being
    /// left or hidden (`pagehide`, `visibilitychange`, `freeze`), when only a `keepalive`
    /// request outlives the page; what does not fit the budget waits for the next page view.
    pub fn route(&mut self, now: f64, len: usize, leaving: bool) -> Route {
        if self.backing_off(now) {
            return Route::Keep;
        }
        if !leaving {
            return Route::Send { keepalive: false };
        }
        if self.keepalive_bytes + len > KEEPALIVE_BUDGET {
            return Route::Keep;
        }
        self.keepalive_bytes += len;
        Route::Send { keepalive: true }
    }

    /// Records a request put in flight with `body`; returns the id its answer comes back with.
    /// `from_queue`: the body is one of the offline queue's, which keeps it until it arrives
    /// (a page left while it is in flight loses nothing).
    pub fn sent(&mut self, body: String, keepalive: bool, from_queue: bool) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.in_flight.push(InFlight {
            id: self.next_id,
            body,
            keepalive,
            from_queue,
        });
        self.next_id
    }

    /// Bodies in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether bodies of the offline queue are in flight (then it is not sent again).
    pub fn resending(&self) -> bool {
        self.in_flight.iter().any(|f| f.from_queue)
    }

    /// Takes the answer to request `id`. Unknown ids (answered twice, or after a restart) do nothing.
    pub fn answer(&mut self, id: u32, answer: Answer, now: f64) -> Outcome {
        let Some(i) = self.in_flight.iter().position(|f| f.id == id) else {
            return Outcome::default();
        };
        let f = self.in_flight.swap_remove(i);
        if f.keepalive {
            self.keepalive_bytes = self.keepalive_bytes.saturating_sub(f.body.len());
        }
        let mut out = Outcome::default();
        let retry_after = match answer {
            Answer::Accepted | Answer::SessionInvalid => {
                self.retry_delay = FIRST_RETRY_MS;
                out.renew_session = answer == Answer::SessionInvalid;
                // A body of the offline queue leaves it once it has arrived.
                out.delivered_from_queue = f.from_queue.then_some(f.body);
                return out;
            }
            Answer::RetryAfter(ms) => {
                let ms = if ms.is_finite() && ms >= 0.0 {
                    ms
                } else {
                    DEFAULT_RETRY_AFTER_MS
                };
                self.backoff_until = now + ms;
                ms
            }
            Answer::Failed => {
                let delay = self.retry_delay;
                self.retry_delay = (delay * 2.0).min(MAX_RETRY_MS);
                delay
            }
        };
        // Not taken: it waits in the offline queue (where a queued body still is).
        out.keep = (!f.from_queue).then_some(f.body);
        out.retry_in = self.want_retry(retry_after);
        out
    }

    /// How long the collector's wait still lasts at `now` (0 when over).
    pub fn backoff_left(&self, now: f64) -> f64 {
        (self.backoff_until - now).max(0.0)
    }

    /// One resend scheduled at a time, however many failures asked for it: the delay to
    /// schedule, or `None` when one is already scheduled.
    pub fn want_retry(&mut self, ms: f64) -> Option<f64> {
        if self.retry_pending {
            return None;
        }
        self.retry_pending = true;
        Some(ms)
    }

    /// The scheduled resend ran (or was cancelled): the next failure may schedule another.
    pub fn retry_ran(&mut self) {
        self.retry_pending = false;
    }
}

/// The offline queue's stored form without `body` (delivered), or `None` when it held it not.
pub fn remove(stored: &str, body: &str) -> Option<String> {
    let mut q = OfflineQueue::decode(stored);
    let i = q.bodies.iter().position(|b| b == body)?;
    super::remove_at(&mut q.bodies, i);
    Some(q.encode())
}

/// The offline queue's stored form with `body` added, and how many bodies it dropped to stay
/// within its bounds.
pub fn keep(stored: &str, body: String) -> (String, u64) {
    let mut q = OfflineQueue::decode(stored);
    q.push(body);
    (q.encode(), q.dropped)
}

/// At most this many bodies are kept.
pub const MAX_BODIES: usize = 20;
/// At most this many bytes (UTF-8) are kept in all.
pub const MAX_BYTES: usize = 1_000_000;

/// The stored queue: one body per line (bodies are JSON, so they hold no raw newline).
#[derive(Debug, Default, PartialEq)]
pub struct OfflineQueue {
    bodies: Vec<String>,
    /// Bodies dropped to stay within the bounds, oldest first.
    pub dropped: u64,
}

impl OfflineQueue {
    /// Reads the stored form; anything that is not a JSON object is skipped.
    pub fn decode(stored: &str) -> OfflineQueue {
        let mut bodies = Vec::new();
        for l in super::text::split(stored, b'\n') {
            if l.starts_with("{") && l.ends_with("}") {
                bodies.push(l.into());
            }
        }
        OfflineQueue { bodies, dropped: 0 }
    }

    /// The stored form.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, body) in self.bodies.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(body);
        }
        out
    }

    /// Adds a body, dropping the oldest ones to stay within the bounds.
    pub fn push(&mut self, body: String) {
        if body.len() > MAX_BYTES || super::text::find_any(&body, b"\n").is_some() {
            self.dropped += 1;
            return;
        }
        self.bodies.push(body);
        while self.bodies.len() > MAX_BODIES || self.bytes() > MAX_BYTES {
            super::remove_at(&mut self.bodies, 0);
            self.dropped += 1;
        }
    }

    /// Takes every body, oldest first.
    pub fn take(&mut self) -> Vec<String> {
        core::mem::take(&mut self.bodies)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        let mut n = 0;
        for b in &self.bodies {
            n += b.len() + 1;
        }
        n
    }

    /// Number of bodies held.
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }
}

/// What the page may still put in flight with `keepalive`: browsers allow 64 KiB in all.
pub const KEEPALIVE_BUDGET: usize = 65_536;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_event_names_its_reason_and_count() {
        let e = DropReason::QueueOverflow.event(12_345, 1_700_000_000_000.0);
        assert_eq!(e.name, "wasm-rum.items_dropped");
        assert_eq!(e.domain, "");
        assert_eq!(
            e.attributes,
            vec![
                ("reason".to_string(), "queue_overflow".to_string()),
                ("count".to_string(), "12345".to_string())
            ]
        );
        assert_eq!(e.timestamp, 1_700_000_000_000.0);
        assert_eq!(e.trace, None);
    }

    #[test]
    fn round_trips_and_skips_garbage() {
        let mut q = OfflineQueue::default();
        q.push("{\"a\":1}".into());
        q.push("{\"b\":2}".into());
        let stored = q.encode();
        let mut back = OfflineQueue::decode(&(stored + "\nnot json"));
        assert_eq!(back.take(), vec!["{\"a\":1}", "{\"b\":2}"]);
        assert!(back.is_empty());
    }

    #[test]
    fn keeps_the_newest_within_the_bounds_and_counts_the_rest() {
        let mut q = OfflineQueue::default();
        for i in 0..(MAX_BODIES + 5) {
            let mut b = String::from("{\"i\":");
            crate::core::wire::json::push_u64(&mut b, i as u64);
            b.push('}');
            q.push(b);
        }
        assert_eq!(q.len(), MAX_BODIES);
        assert_eq!(q.dropped, 5);
        assert_eq!(q.take()[0], "{\"i\":5}", "the oldest went first");
        let big = format!("{{\"x\":\"{}\"}}", "y".repeat(MAX_BYTES / 2));
        q.push(big.clone());
        q.push(big.clone());
        q.push(big);
        assert!(q.bytes() <= MAX_BYTES);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn a_body_is_held_only_until_its_answer() {
        let mut o = Outbox::default();
        for _ in 0..500 {
            let id = o.sent("{\"x\":1}".into(), false, false);
            assert_eq!(o.answer(id, Answer::Accepted, 0.0), Outcome::default());
        }
        assert_eq!(o.in_flight(), 0, "nothing stays behind an answered request");
        let id = o.sent("{}".into(), false, false);
        o.answer(id, Answer::Accepted, 0.0);
        assert_eq!(
            o.answer(id, Answer::Failed, 0.0),
            Outcome::default(),
            "a second answer is ignored"
        );
    }

    #[test]
    fn leaving_sends_keepalive_within_the_budget_and_keeps_the_rest() {
        let mut o = Outbox::default();
        assert_eq!(
            o.route(0.0, 60_000, false),
            Route::Send { keepalive: false }
        );
        assert_eq!(o.route(0.0, 60_000, true), Route::Send { keepalive: true });
        let first = o.sent("a".repeat(60_000), true, false);
        assert_eq!(
            o.route(0.0, 10_000, true),
            Route::Keep,
            "60 000 + 10 000 is over 64 KiB"
        );
        assert_eq!(o.route(0.0, 5_000, true), Route::Send { keepalive: true });
        o.sent("b".repeat(5_000), true, false);
        o.answer(first, Answer::Accepted, 0.0);
        assert_eq!(
            o.route(0.0, 50_000, true),
            Route::Send { keepalive: true },
            "an answered request frees its share"
        );
    }

    #[test]
    fn a_429_keeps_the_body_and_backs_off() {
        let mut o = Outbox::default();
        let id = o.sent("{\"a\":1}".into(), false, false);
        let out = o.answer(id, Answer::RetryAfter(3_000.0), 1_000.0);
        assert_eq!(out.keep.as_deref(), Some("{\"a\":1}"));
        assert_eq!(out.retry_in, Some(3_000.0));
        assert!(o.backing_off(3_999.0) && !o.backing_off(4_000.0));
        assert_eq!(o.route(2_000.0, 10, false), Route::Keep);
        assert_eq!(
            o.route(4_000.0, 10, false),
            Route::Send { keepalive: false }
        );
    }

    #[test]
    fn failures_retry_with_a_growing_delay_one_timer_at_a_time() {
        let mut o = Outbox::default();
        let a = o.sent("{}".into(), false, false);
        let b = o.sent("{}".into(), false, false);
        assert_eq!(
            o.answer(a, Answer::Failed, 0.0).retry_in,
            Some(FIRST_RETRY_MS)
        );
        let second = o.answer(b, Answer::Failed, 0.0);
        assert_eq!(second.retry_in, None, "a resend is already scheduled");
        assert!(second.keep.is_some(), "but the body is kept");
        o.retry_ran();
        let c = o.sent("{}".into(), false, false);
        assert_eq!(
            o.answer(c, Answer::Failed, 0.0).retry_in,
            Some(FIRST_RETRY_MS * 4.0)
        );
        let d = o.sent("{}".into(), false, false);
        assert!(o.answer(d, Answer::SessionInvalid, 0.0).renew_session);
        o.retry_ran();
        let e = o.sent("{}".into(), false, false);
        assert_eq!(
            o.answer(e, Answer::Failed, 0.0).retry_in,
            Some(FIRST_RETRY_MS),
            "an answer resets the delay"
        );
    }

    #[test]
    fn a_queued_body_stays_queued_until_it_arrives() {
        let mut o = Outbox::default();
        let a = o.sent("{\"q\":1}".into(), false, true);
        assert!(o.resending());
        let failed = o.answer(a, Answer::Failed, 0.0);
        assert_eq!(failed.keep, None, "still in the queue: not added twice");
        assert_eq!(failed.retry_in, Some(FIRST_RETRY_MS));
        assert!(!o.resending());
        let b = o.sent("{\"q\":1}".into(), false, true);
        let done = o.answer(b, Answer::Accepted, 0.0);
        assert_eq!(done.delivered_from_queue.as_deref(), Some("{\"q\":1}"));
    }

    #[test]
    fn drop_counts_round_trip_and_are_reported_once() {
        let mut c = DropCounts::default();
        c.add(DropReason::QueueOverflow, 10);
        c.add(DropReason::SamplingBuffer, 2);
        let mut back = DropCounts::decode(&c.encode());
        assert_eq!(back, c);
        back.merge(&DropCounts::decode("1,0,0"));
        assert_eq!(
            back.take(),
            vec![
                (DropReason::QueueOverflow, 11),
                (DropReason::SamplingBuffer, 2)
            ]
        );
        assert!(back.is_empty() && back.take().is_empty());
        assert_eq!(DropCounts::decode("garbage"), DropCounts::default());
    }

    #[test]
    fn keeping_a_body_counts_what_the_queue_let_go() {
        let mut stored = String::new();
        let mut dropped = 0;
        for _ in 0..(MAX_BODIES + 10) {
            let (s, d) = keep(&stored, "{\"k\":1}".into());
            stored = s;
            dropped += d;
        }
        assert_eq!(dropped, 10);
        assert_eq!(OfflineQueue::decode(&stored).len(), MAX_BODIES);
    }
}
