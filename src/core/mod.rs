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
