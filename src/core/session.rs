//! The session: an id that survives reloads, expires on inactivity and age, and carries the
//! sampling decision made once when it starts.

use crate::prelude::*;

use super::rand;

/// A session as stored between page views.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// `[A-Za-z0-9]{20}`
    pub id: String,
    /// Epoch ms when it started.
    pub started: f64,
    /// Epoch ms of the last activity.
    pub last_activity: f64,
    /// Whether this session's items are sent.
    pub sampled: bool,
}

/// Length of a session id.
pub const ID_LEN: usize = 20;

impl Session {
    /// A new session started at `now`, sampled with probability `rate` (decided from its id).
    pub fn new(now: f64, rate: f64) -> Session {
        let id = rand::alnum_id(ID_LEN);
        let sampled = sampled(&id, rate);
        Session {
            id,
            started: now,
            last_activity: now,
            sampled,
        }
    }

    /// Whether the session has ended at `now`.
    pub fn expired(&self, now: f64, inactivity_timeout: f64, max_duration: f64) -> bool {
        now - self.last_activity > inactivity_timeout || now - self.started > max_duration
    }

    /// The stored form: `id|started|last_activity|s` (`s` is 1 for sampled).
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(48);
        s.push_str(&self.id);
        s.push('|');
        super::wire::json::push_i64(&mut s, self.started as i64);
        s.push('|');
        super::wire::json::push_i64(&mut s, self.last_activity as i64);
        s.push('|');
        s.push(if self.sampled { '1' } else { '0' });
        s
    }

    /// Reads the stored form back; `None` for anything malformed.
    pub fn decode(s: &str) -> Option<Session> {
        let mut it = super::text::split(s, b'|');
        let id = it.next()?;
        let started = super::wire::json::parse_u64(it.next()?)? as f64;
        let last_activity = super::wire::json::parse_u64(it.next()?)? as f64;
        let sampled = match it.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        if it.next().is_some()
            || id.is_empty()
            || id.len() > 128
            || !super::text::all_bytes(id, |b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        Some(Session {
            id: id.to_string(),
            started,
            last_activity,
            sampled,
        })
    }
}

/// The event counted as one page view (`rum_page_views_total`): at start for the page's own
/// navigation, then at each route change of a single-page app.
pub const PAGE_VIEW: &str = "page_view";
/// The event counted as one session (`rum_sessions_total`), Faro's name.
pub const SESSION_START: &str = "session_start";

/// The attributes of a [`PAGE_VIEW`] (with its `navigation_type`) or [`SESSION_START`] (without):
/// the session's head-sampling decision (as made from its id, whatever an exception promoted
/// since) and the rate, which the collector weights each view by (1/rate) to estimate all views.
pub fn count_attributes(navigation_type: Option<&str>, id: &str, rate: f64) -> super::wire::StrMap {
    let mut r = String::new();
    super::wire::json::push_f64(&mut r, rate);
    let head = if sampled(id, rate) { "true" } else { "false" };
    let mut out = Vec::new();
    if let Some(t) = navigation_type {
        super::wire::push_pair(&mut out, "navigation_type", t);
    }
    super::wire::push_pair(&mut out, "session_sampled", head);
    super::wire::push_pair(&mut out, "sampling_rate", &r);
    out
}

/// Returns the session to use at `now`: the stored one while it is live, else a new one.
/// The bool says whether it is new.
pub fn resume_or_start(
    stored: Option<&str>,
    now: f64,
    rate: f64,
    inactivity_timeout: f64,
    max_duration: f64,
) -> (Session, bool) {
    match stored.and_then(Session::decode) {
        Some(s) if !s.expired(now, inactivity_timeout, max_duration) => (s, false),
        _ => (Session::new(now, rate), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_attributes_carry_the_head_decision_from_the_id_not_a_promotion() {
        let promoted = Session {
            id: (0..1000)
                .map(|i| alloc::format!("s{i}"))
                .find(|id| !sampled(id, 0.5))
                .unwrap(),
            started: 0.0,
            last_activity: 0.0,
            sampled: true,
        };
        let a = count_attributes(Some("route-change"), &promoted.id, 0.5);
        assert_eq!(
            a,
            [
                ("navigation_type".into(), "route-change".into()),
                ("session_sampled".into(), "false".into()),
                ("sampling_rate".into(), "0.5".into())
            ]
        );
        let b = count_attributes(None, "any", 1.0);
        assert_eq!(
            b,
            [
                ("session_sampled".into(), "true".into()),
                ("sampling_rate".into(), "1".into())
            ]
        );
    }

    #[test]
    fn round_trips_through_storage() {
        let s = Session {
            id: "abcDEF123".into(),
            started: 1000.0,
            last_activity: 2000.0,
            sampled: false,
        };
        assert_eq!(Session::decode(&s.encode()), Some(s));
        assert_eq!(Session::decode("bad"), None);
        assert_eq!(Session::decode("a b|1|2|1"), None);
    }

    #[test]
    fn a_live_session_is_kept_and_an_idle_or_old_one_renewed() {
        let s = Session {
            id: "keep".into(),
            started: 0.0,
            last_activity: 1000.0,
            sampled: false,
        };
        let (got, new) = resume_or_start(Some(&s.encode()), 2000.0, 1.0, 900_000.0, 14_400_000.0);
        assert!(!new);
        assert_eq!(got.id, "keep");
        assert!(!got.sampled, "the stored decision is never re-rolled");
        let (got, new) = resume_or_start(
            Some(&s.encode()),
            1000.0 + 900_001.0,
            1.0,
            900_000.0,
            14_400_000.0,
        );
        assert!(new);
        assert_ne!(got.id, "keep");
        let (_, new) = resume_or_start(Some(&s.encode()), 14_400_001.0, 1.0, 1e12, 14_400_000.0);
        assert!(new);
    }
}

/// What an unsampled session keeps until its first exception: the last `cap` items, in order.
/// At the first exception the session is promoted, and those items go out before it.
#[derive(Debug, Default)]
pub struct ErrorBuffer {
    // A Vec, not a VecDeque: at most `cap` (50 by default) items, and VecDeque's ring code costs
    // about 700 B of gzip in the agent.
    items: Vec<super::wire::Encoded>,
    cap: usize,
    /// Items pushed out of the full buffer (oldest first), counted.
    pub dropped: u64,
}

/// What to do with an item given the sampling decision.
#[derive(Debug, PartialEq)]
pub enum Admit {
    /// Send these (the item, or the buffered items then the exception that promoted the session).
    Send(Vec<super::wire::Encoded>),
    /// Kept in memory: the session is not sampled (yet).
    Held,
}

impl ErrorBuffer {
    /// A buffer for `cap` items.
    pub fn new(cap: usize) -> Self {
        ErrorBuffer {
            items: Vec::new(),
            cap,
            dropped: 0,
        }
    }

    /// Decides for one item. `sampled` is the session's decision and becomes true when an
    /// exception promotes the session.
    pub fn admit(&mut self, sampled: &mut bool, item: super::wire::Encoded) -> Admit {
        if *sampled {
            return Admit::Send(vec![item]);
        }
        if item.is_exception {
            *sampled = true;
            let mut out = core::mem::take(&mut self.items);
            out.push(item);
            return Admit::Send(out);
        }
        if self.cap == 0 {
            self.dropped += 1;
            return Admit::Held;
        }
        if self.items.len() >= self.cap {
            super::remove_at(&mut self.items, 0);
            self.dropped += 1;
        }
        self.items.push(item);
        Admit::Held
    }

    /// Items held now.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The sampling decision for a new session: deterministic in its id (so every tab and reload
/// agrees), a session is kept when the hash of its id, mapped to [0, 1), is below `rate`.
pub fn sampled(id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    // FNV-1a, then a murmur finaliser to spread the bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    ((h >> 11) as f64 / (1u64 << 53) as f64) < rate
}

#[cfg(test)]
mod sampling_tests {
    use super::*;
    use crate::core::wire::{encode, Exception, Item, Log};

    fn log(n: u32) -> crate::core::wire::Encoded {
        let mut s = String::new();
        crate::core::wire::json::push_u64(&mut s, n as u64);
        encode(Item::Log(Log {
            message: s,
            level: "info".into(),
            context: vec![],
            timestamp: 0.0,
            trace: None,
        }))
    }

    fn exception() -> crate::core::wire::Encoded {
        encode(Item::Exception(Exception {
            kind: "Error".into(),
            value: "boom".into(),
            timestamp: 0.0,
            frames: vec![],
            context: vec![],
            trace: None,
        }))
    }

    #[test]
    fn an_unsampled_session_holds_its_last_items_until_an_exception_promotes_it() {
        let mut buf = ErrorBuffer::new(3);
        let mut sampled = false;
        for i in 0..5 {
            assert_eq!(buf.admit(&mut sampled, log(i)), Admit::Held);
        }
        assert_eq!(buf.len(), 3);
        assert_eq!(buf.dropped, 2);
        let Admit::Send(out) = buf.admit(&mut sampled, exception()) else {
            panic!("an exception is sent")
        };
        assert!(sampled, "the session is promoted");
        let messages: Vec<&str> = out.iter().map(|e| e.json.as_str()).collect();
        assert!(
            messages[0].contains("\"2\"") && messages[2].contains("\"4\""),
            "the last three, oldest first: {messages:?}"
        );
        assert!(out[3].is_exception);
        assert!(buf.is_empty());
        assert_eq!(
            buf.admit(&mut sampled, log(9)),
            Admit::Send(vec![log(9)]),
            "after promotion everything is sent"
        );
    }

    #[test]
    fn the_sampling_decision_follows_the_rate_within_one_percent() {
        for rate in [0.1, 0.25, 0.5, 0.9] {
            let n = 100_000;
            let kept = (0..n)
                .filter(|_| sampled(&crate::core::rand::alnum_id(ID_LEN), rate))
                .count();
            let share = kept as f64 / n as f64;
            assert!((share - rate).abs() < 0.01, "rate {rate}: kept {share}");
        }
        assert!(sampled("anything", 1.0));
        assert!(!sampled("anything", 0.0));
        let id = crate::core::rand::alnum_id(ID_LEN);
        assert_eq!(
            sampled(&id, 0.5),
            sampled(&id, 0.5),
            "the same id always gets the same decision"
        );
    }
}
