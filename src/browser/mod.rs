//! The browser edge: everything that touches the page. Converts JS into plain structs and
//! calls into `core`; it holds no logic worth a unit test.

pub mod bindings;
pub mod callback;
pub mod console;
pub mod entries;
pub mod errors;
pub mod http;
pub mod lifecycle;
pub mod meta;
pub mod storage;
pub mod timing;
pub mod transport;
pub mod vitals;

/// What `thread_local!` gives, without std: a wasm page runs the agent on one thread, so a
/// plain static is enough. Reached only through [`Local::with`], as a `LocalKey` is.
pub struct Local<T>(pub T);

// SAFETY: the agent is built for wasm32 without the `atomics` feature: there is one thread.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    /// Runs `f` on the value.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.0)
    }
}

/// A feature's sink and the config's `redact.queryParams`, kept in a static for the feature's
/// plain-`fn` callbacks (observers); set at install, cleared when the feature is dropped.
#[derive(Default)]
pub struct Target(core::cell::RefCell<Option<(crate::core::SinkRef, Redact)>>);

/// The config's `redact.queryParams`, shared.
pub type Redact = crate::core::List;

impl Target {
    /// An empty target (nothing is pushed until [`Target::set`]).
    pub const fn new() -> Target {
        Target(core::cell::RefCell::new(None))
    }

    /// Sets (or with `None`, clears) where the feature's items go.
    pub fn set(&self, to: Option<(crate::core::SinkRef, Redact)>) {
        if let Ok(mut t) = self.0.try_borrow_mut() {
            *t = to;
        }
    }

    /// The redaction list (empty before install and after the feature is dropped).
    pub fn redact(&self) -> Redact {
        let t = self.0.try_borrow();
        t.ok()
            .and_then(|t| Some(t.as_ref()?.1.clone()))
            .unwrap_or_default()
    }

    /// Pushes `items` to the sink (none before install and after the feature is dropped).
    #[inline(never)]
    pub fn push_all(&self, items: alloc::vec::Vec<crate::core::wire::Item>) {
        let sink = self.0.try_borrow().ok().and_then(|t| Some(t.as_ref()?.0));
        if let Some(sink) = sink {
            for item in items {
                sink.push(item);
            }
        }
    }
}
