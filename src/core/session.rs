//! The session: an id that survives reloads, expires on inactivity and age, and carries the
//! sampling decision made once when it starts.

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
    /// A new session started at `now`, sampled with probability `rate`.
    pub fn new(now: f64, rate: f64) -> Session {
        Session {
            id: rand::alnum_id(ID_LEN),
            started: now,
            last_activity: now,
            sampled: rate >= 1.0 || rand::unit() < rate,
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
        super::json::push_f64(&mut s, self.started.trunc());
        s.push('|');
        super::json::push_f64(&mut s, self.last_activity.trunc());
        s.push('|');
        s.push(if self.sampled { '1' } else { '0' });
        s
    }

    /// Reads the stored form back; `None` for anything malformed.
    pub fn decode(s: &str) -> Option<Session> {
        let mut it = s.split('|');
        let id = it.next()?;
        let started = it.next()?.parse::<u64>().ok()? as f64;
        let last_activity = it.next()?.parse::<u64>().ok()? as f64;
        let sampled = match it.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        if it.next().is_some()
            || id.is_empty()
            || id.len() > 128
            || !id.bytes().all(|b| b.is_ascii_alphanumeric())
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
