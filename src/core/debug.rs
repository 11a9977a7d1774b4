//! The lines `debug: true` prints (`console.debug`, each prefixed `wasm-rum:`): the sampling
//! decision, each flush (items by kind, bodies, bytes, transport, URL), failures and what was
//! kept, one summary of the items dropped since the last flush, and the first send's delay.
//! Pure text: the agent calls these only when `debug` is on, so with it off they cost nothing.
//! Every byte here ships to every visitor, so the lines are terse and built by one joiner.
use crate::prelude::*;

use super::wire::json::push_u64;
use super::wire::Encoded;

/// What a flush line counts: the kinds sent (`wire::Kind` order), then why items did not go
/// out: the agent's filters, then `outbox::DropReason`'s reasons (in its order, from [`OUTBOX`]).
pub const NAMES: [&str; 14] = [
    "log",
    "exception",
    "measurement",
    "event",
    "trace",
    "beforeSend",
    "ignoreErrors",
    "ignoreUrls",
    "errors.maxPerMinute",
    "held (not sampled)",
    "queue_overflow",
    "rate_limit",
    "oversize",
    "sampling_buffer",
];

/// Index in [`NAMES`] of the first reason an item was dropped.
pub const DROPS: usize = 5;
/// `beforeSend` returned `null`.
pub const BEFORE_SEND: usize = 5;
/// Matched `ignoreErrors`.
pub const IGNORE_ERRORS: usize = 6;
/// A request matched `ignoreUrls` (no span).
pub const IGNORE_URLS: usize = 7;
/// Over `errors.maxPerMinute`.
pub const ERROR_LIMIT: usize = 8;
/// Held by a session that is not sampled.
pub const HELD: usize = 9;
/// Index in [`NAMES`] of the first `outbox::DropReason`.
pub const OUTBOX: usize = 10;

/// A number as text.
pub fn num(n: f64) -> String {
    let mut s = String::new();
    push_u64(&mut s, n.max(0.0) as u64);
    s
}

/// `wasm-rum: ` and the parts, joined.
pub fn join(parts: &[&str]) -> String {
    let mut s = String::from("wasm-rum: ");
    for p in parts {
        s.push_str(p);
    }
    s
}

/// What the next flush line will tell: items sent by kind, items dropped by reason.
#[derive(Debug, Default)]
pub struct Tally {
    counts: [u32; 14],
    /// Whether a flush was told already (the first one also tells its delay).
    pub sent: bool,
}

impl Tally {
    /// Items turned into bodies, counted by kind.
    pub fn sealed(&mut self, items: &[Encoded]) {
        for it in items {
            self.counts[it.kind as usize] += 1;
        }
    }

    /// `n` more for `NAMES[i]` (a reason an item was dropped or held).
    pub fn add(&mut self, i: usize, n: u64) {
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(n as u32);
        }
    }

    /// One line per flush, `None` when there is nothing to tell:
    /// `flush: log 2 event 1; dropped: beforeSend 2; bodies 1, 812 B by beacon to URL`; the
    /// counts start again at zero.
    pub fn flush_line(&mut self, bodies: &[String], transport: &str, url: &str) -> Option<String> {
        let counts = core::mem::take(&mut self.counts);
        let mut dropped = false;
        for n in &counts[DROPS..] {
            dropped |= *n > 0;
        }
        if bodies.is_empty() && !dropped {
            return None;
        }
        let mut s = String::from("wasm-rum: flush:");
        for (i, (name, n)) in NAMES.iter().zip(counts).enumerate() {
            if i == DROPS && dropped {
                s.push_str("; dropped:");
            }
            if n > 0 {
                s.push(' ');
                s.push_str(name);
                s.push(' ');
                push_u64(&mut s, n.into());
            }
        }
        s.push_str("; bodies ");
        push_u64(&mut s, bodies.len() as u64);
        s.push_str(", ");
        let mut bytes = 0;
        for b in bodies {
            bytes += b.len() as u64;
        }
        push_u64(&mut s, bytes);
        s.push_str(" B by ");
        s.push_str(transport);
        s.push_str(" to ");
        s.push_str(url);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::wire::Kind;
    use crate::core::wire::{encode, Event, Item, Log};

    fn log() -> Encoded {
        encode(Item::Log(Log {
            message: "m".into(),
            level: "info".into(),
            context: vec![],
            timestamp: 0.0,
            trace: None,
        }))
    }

    fn event() -> Encoded {
        encode(Item::Event(Event {
            name: "e".into(),
            domain: String::new(),
            attributes: vec![],
            timestamp: 0.0,
            trace: None,
        }))
    }

    #[test]
    fn a_flush_line_counts_items_by_kind_drops_by_reason_bodies_and_bytes_then_starts_again() {
        let mut t = Tally::default();
        assert_eq!(t.flush_line(&[], "beacon", "/c"), None, "nothing to tell");
        t.sealed(&[log(), log(), event()]);
        t.add(IGNORE_ERRORS, 1);
        t.add(BEFORE_SEND, 1);
        t.add(IGNORE_ERRORS, 2);
        t.add(99, 1);
        let bodies = ["x".repeat(800), "y".repeat(12)];
        assert_eq!(
            t.flush_line(&bodies, "beacon", "http://c/collect").as_deref(),
            Some("wasm-rum: flush: log 2 event 1; dropped: beforeSend 1 ignoreErrors 3; bodies 2, 812 B by beacon to http://c/collect")
        );
        t.sealed(&[event()]);
        assert_eq!(
            t.flush_line(&bodies[1..], "fetch", "/collect").as_deref(),
            Some("wasm-rum: flush: event 1; bodies 1, 12 B by fetch to /collect")
        );
        t.add(HELD, 3);
        assert_eq!(
            t.flush_line(&[], "fetch", "/collect").as_deref(),
            Some("wasm-rum: flush:; dropped: held (not sampled) 3; bodies 0, 0 B by fetch to /collect"),
            "drops are told when nothing is sent"
        );
    }

    #[test]
    fn the_names_follow_the_kinds_and_the_outbox_reasons() {
        use crate::core::outbox::DropReason;
        for k in Kind::ALL {
            assert_eq!(NAMES[k as usize], k.name());
        }
        assert_eq!(NAMES[BEFORE_SEND], "beforeSend");
        assert_eq!(NAMES[IGNORE_ERRORS], "ignoreErrors");
        assert_eq!(NAMES[IGNORE_URLS], "ignoreUrls");
        assert_eq!(NAMES[ERROR_LIMIT], "errors.maxPerMinute");
        assert_eq!(NAMES[HELD], "held (not sampled)");
        for r in DropReason::ALL {
            assert_eq!(NAMES[OUTBOX + r as usize], r.name());
        }
    }
}
