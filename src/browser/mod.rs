//! The browser edge: everything that touches the page. Converts JS into plain structs and
//! calls into `core`; it holds no logic worth a unit test.

pub mod bindings;
pub mod config_js;
pub mod console;
pub mod errors;
pub mod http;
pub mod js;
pub mod lifecycle;
pub mod listener;
pub mod meta;
pub mod observe;
pub mod storage;
pub mod timing;
pub mod tracing;
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
