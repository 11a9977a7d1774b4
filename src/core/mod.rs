//! Pure Rust: no web-sys, no js-sys. Everything here is tested natively with `cargo test`.

pub mod batch;
pub mod debug;
pub mod errors;
pub mod outbox;
pub mod rand;
pub mod session;
pub mod text;
pub mod trace;
pub mod ua;
pub mod url;
pub mod vitals;
pub mod wire;

/// Pushes `x` when there is one: `v.extend(x)` with an `Option` is its own copy of std's
/// `extend` code for every element type (issue 14).
pub fn push_some<T>(v: &mut alloc::vec::Vec<T>, x: Option<T>) {
    if let Some(x) = x {
        v.push(x);
    }
}

/// Removes and drops the element at `i`, shifting the rest down; nothing when `i` is out of
/// range. `Vec::remove` is its own copy of `try_remove` and a formatted bounds panic for every
/// element type (issue 14); this is a drop and one copy.
pub fn remove_at<T>(v: &mut alloc::vec::Vec<T>, i: usize) {
    let len = v.len();
    if i >= len {
        return;
    }
    // SAFETY: `i < len`, so `p` points at an initialised element. The length is cut to `i`
    // before that element is dropped (once), the `len - i - 1` elements after it move down by
    // one inside the allocation, and the length is set to what is initialised again.
    unsafe {
        let p = v.as_mut_ptr().add(i);
        v.set_len(i);
        core::ptr::drop_in_place(p);
        core::ptr::copy(p.add(1), p, len - i - 1);
        v.set_len(len - 1);
    }
}

/// What a feature is handed when it is installed: where its items go, and a read-only view of
/// the session. The agent implements it; a feature never reaches the agent itself, so data
/// flows one way (feature → sink → session, batch, outbox).
pub trait Sink {
    /// Queues an item; the session decides whether it is kept, the batch when it leaves.
    fn push(&self, item: wire::Item);
    /// Asks for what is queued to be sent now.
    fn flush(&self);
    /// Counts items a feature left out itself (`debug::IGNORE_URLS`...) for the `debug` lines.
    fn note_drop(&self, reason: usize, count: u64);
    /// Whether the session is sampled; `None` while the agent is paused or not running.
    fn sampled(&self) -> Option<bool>;
    /// The session id (empty when the agent is not running).
    fn session_id(&self) -> alloc::string::String;
}

/// A list of strings from the config, shared by every feature that reads it: cloning it is a
/// reference count, not a copy of each string (issue 14).
pub type List = alloc::rc::Rc<alloc::vec::Vec<alloc::string::String>>;

/// How features hold the sink: the agent's lives as long as the page.
pub type SinkRef = &'static dyn Sink;

/// An installed feature as the agent holds it: dropping it uninstalls the feature.
pub trait Feature {
    /// Runs before each flush takes the batch: what the feature holds back goes to its sink now.
    fn before_flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::remove_at;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test]
    fn remove_at_keeps_the_order_of_the_rest_and_ignores_an_index_out_of_range() {
        let mut v: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| (*s).into()).collect();
        remove_at(&mut v, 0);
        assert_eq!(v, ["b", "c", "d"]);
        remove_at(&mut v, 1);
        assert_eq!(v, ["b", "d"]);
        remove_at(&mut v, 1);
        assert_eq!(v, ["b"]);
        remove_at(&mut v, 1);
        assert_eq!(v, ["b"], "an index past the end removes nothing");
        remove_at(&mut v, 0);
        assert!(v.is_empty());
        remove_at(&mut v, 0);
        assert!(v.is_empty());
    }

    #[test]
    fn remove_at_drops_the_removed_element_once() {
        use alloc::rc::Rc;
        let one = Rc::new(());
        let mut v = alloc::vec![one.clone(), Rc::new(()), one.clone()];
        assert_eq!(Rc::strong_count(&one), 3);
        remove_at(&mut v, 0);
        assert_eq!(Rc::strong_count(&one), 2);
        drop(v);
        assert_eq!(Rc::strong_count(&one), 1);
    }
}
