//! The offline queue: bodies that could not leave the page (the beacon refused, the keepalive
//! budget spent) wait in `localStorage` for the next page view. Bounded; the oldest go first.

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
        OfflineQueue {
            bodies: stored
                .lines()
                .filter(|l| l.starts_with('{') && l.ends_with('}'))
                .map(str::to_string)
                .collect(),
            dropped: 0,
        }
    }

    /// The stored form.
    pub fn encode(&self) -> String {
        self.bodies.join("\n")
    }

    /// Adds a body, dropping the oldest ones to stay within the bounds.
    pub fn push(&mut self, body: String) {
        if body.len() > MAX_BYTES || body.contains('\n') {
            self.dropped += 1;
            return;
        }
        self.bodies.push(body);
        while self.bodies.len() > MAX_BODIES || self.bytes() > MAX_BYTES {
            self.bodies.remove(0);
            self.dropped += 1;
        }
    }

    /// Takes every body, oldest first.
    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.bodies)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bodies.iter().map(|b| b.len() + 1).sum()
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
            crate::core::json::push_u64(&mut b, i as u64);
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
}
