//! The send queue: encoded items wait here until a flush turns them into bodies that each
//! stay under the byte limit a beacon or keepalive request may carry.

use crate::prelude::*;

use super::wire::{self, Encoded};

/// The largest body we hand to `sendBeacon`/keepalive `fetch` (the browser's in-flight quota
/// is 64 KiB, shared by every beacon and keepalive request of the page).
pub const MAX_BODY_BYTES: usize = 60_000;

/// Why the batch wants to be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flush {
    /// Not yet: keep buffering (the idle timer will send it).
    Later,
    /// The item limit or the byte limit is reached.
    Now,
}

/// Items waiting to be sent.
#[derive(Debug, Default)]
pub struct Batch {
    items: Vec<Encoded>,
    bytes: usize,
    item_limit: usize,
}

impl Batch {
    /// A batch that asks to be flushed at `item_limit` items.
    pub fn new(item_limit: usize) -> Self {
        Batch {
            items: Vec::new(),
            bytes: 0,
            item_limit: item_limit.max(1),
        }
    }

    /// Queues an item and says whether it is time to send.
    pub fn push(&mut self, item: Encoded) -> Flush {
        self.bytes += item.json.len() + wire::envelope_overhead(item.kind);
        self.items.push(item);
        if self.items.len() >= self.item_limit || self.bytes >= MAX_BODY_BYTES {
            Flush::Now
        } else {
            Flush::Later
        }
    }

    /// Number of queued items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes every queued item.
    pub fn take(&mut self) -> Vec<Encoded> {
        self.bytes = 0;
        core::mem::take(&mut self.items)
    }
}

/// Joins items into bodies under `meta`, each at most `max_bytes` long where possible
/// (an item that alone exceeds it goes in a body of its own).
pub fn bodies(
    meta_json: &str,
    resource_json: &str,
    sdk_version: &str,
    items: &[Encoded],
    max_bytes: usize,
) -> Vec<String> {
    let base = meta_json.len() + resource_json.len() + 200;
    let mut out = Vec::new();
    let mut group: Vec<&Encoded> = Vec::new();
    let mut size = base;
    for it in items {
        let add = it.json.len() + wire::envelope_overhead(it.kind);
        if !group.is_empty() && size + add > max_bytes {
            out.push(wire::body(meta_json, resource_json, sdk_version, &group));
            group.clear();
            size = base;
        }
        group.push(it);
        size += add;
    }
    if !group.is_empty() {
        out.push(wire::body(meta_json, resource_json, sdk_version, &group));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::wire::{encode, Item, Log};

    fn log(n: usize) -> Encoded {
        encode(Item::Log(Log {
            message: "x".repeat(n),
            level: "info".into(),
            context: vec![],
            timestamp: 0.0,
            trace: None,
        }))
    }

    #[test]
    fn asks_for_a_flush_at_the_item_limit() {
        let mut b = Batch::new(3);
        assert_eq!(b.push(log(1)), Flush::Later);
        assert_eq!(b.push(log(1)), Flush::Later);
        assert_eq!(b.push(log(1)), Flush::Now);
        assert_eq!(b.take().len(), 3);
        assert!(b.is_empty());
    }

    #[test]
    fn splits_a_large_batch_into_bodies_under_the_limit() {
        let items: Vec<_> = (0..100).map(|_| log(2_000)).collect();
        let bodies = bodies("{}", "{}", "0.1.0", &items, MAX_BODY_BYTES);
        assert!(bodies.len() >= 4);
        assert!(bodies.iter().all(|b| b.len() <= MAX_BODY_BYTES));
        let total: usize = bodies.iter().map(|b| b.matches("\"level\"").count()).sum();
        assert_eq!(total, 100);
    }
}
