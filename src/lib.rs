//! wasm-rum: a Real User Monitoring agent for web pages.
//!
//! This file is the wasm-bindgen API only. The package's entry module (`pkg-template/index.js`)
//! validates the config, loads this module, and calls [`start`]; the handle it returns to the
//! page queues calls until then and forwards them to [`Rum`].
#![deny(missing_docs)]
// `no_std` so the shipped wasm (feature `tiny`) links neither std's panic machinery nor the
// core::fmt code it reaches (several KB); every other build links std as usual.
#![no_std]

extern crate alloc;
#[cfg(not(all(target_arch = "wasm32", feature = "tiny")))]
extern crate std;

/// A panic in the shipped wasm traps, as `panic = "abort"` did, without formatting its message.
#[cfg(all(target_arch = "wasm32", feature = "tiny"))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}

/// What std's prelude would give every module.
#[allow(unused_imports)]
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

pub mod config;
pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod agent;
#[cfg(target_arch = "wasm32")]
pub mod browser;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: this wasm build is single-threaded: no other thread can touch the allocator.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(target_arch = "wasm32")]
mod api {
    use crate::agent;
    use crate::browser::bindings::{date_now, Host};
    use crate::config;
    use crate::core::errors::RawError;
    use crate::core::wire::{Event, Item, Log, Measurement, User};
    use crate::prelude::*;
    use wasm_bindgen::prelude::*;

    // The running agent, as the entry module sees it: free functions rather than methods of an
    // exported struct, which would cost a JS class, a FinalizationRegistry and a borrow check
    // per call for a handle that holds nothing. Every function swallows its own failures.

    /// Starts the agent with a config the entry module has already validated; throws a
    /// readable error if it is still not acceptable.
    #[wasm_bindgen]
    pub fn start(config: JsValue, host: Host) -> Result<(), JsValue> {
        let config = crate::browser::config_js::from_js(&config);
        config::validate(&config).map_err(|e| JsValue::from(js_sys::Error::new(&e)))?;
        agent::start(config, host).map_err(|e| JsValue::from(js_sys::Error::new(&e)))
    }

    mod handle {
        use super::*;
        use wasm_bindgen::JsCast;
        /// A custom event; `attributes` is an object of strings.
        #[wasm_bindgen(js_name = pushEvent)]
        pub fn push_event(name: String, attributes: JsValue, domain: Option<String>) {
            agent::push(Item::Event(Event {
                name,
                domain: domain.unwrap_or_default(),
                attributes: agent::str_map(&attributes),
                timestamp: date_now(),
                trace: None,
            }));
        }

        /// A log line.
        #[wasm_bindgen(js_name = pushLog)]
        pub fn push_log(message: String, level: Option<String>, context: JsValue) {
            agent::push(Item::Log(Log {
                message,
                level: level.unwrap_or_else(|| "info".into()),
                context: agent::str_map(&context),
                timestamp: date_now(),
                trace: None,
            }));
        }

        /// A measurement: `values` is an object of numbers.
        #[wasm_bindgen(js_name = pushMeasurement)]
        pub fn push_measurement(kind: String, values: JsValue, context: JsValue) {
            let mut nums = Vec::new();
            if values.is_object() {
                for e in js_sys::Object::entries(values.unchecked_ref()).iter() {
                    let pair: js_sys::Array = e.unchecked_into();
                    if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_f64()) {
                        if v.is_finite() {
                            nums.push((k, v));
                        }
                    }
                }
            }
            agent::push(Item::Measurement(Measurement {
                kind,
                values: nums,
                timestamp: date_now(),
                context: agent::str_map(&context),
                trace: None,
            }));
        }

        /// An error the page caught itself (or one the entry module kept from before the wasm
        /// loaded): its stack is parsed here, and `ignoreErrors`, folding and the rate limit apply.
        #[wasm_bindgen(js_name = pushError)]
        pub fn push_error(kind: String, message: String, stack: Option<String>, context: JsValue) {
            crate::browser::errors::report(RawError {
                kind,
                value: message,
                stack: stack.unwrap_or_default(),
                fallback: None,
                context: agent::str_map(&context),
                timestamp: date_now(),
            });
        }

        /// Sets the user (`null` clears it).
        #[wasm_bindgen(js_name = setUser)]
        pub fn set_user(
            id: Option<String>,
            username: Option<String>,
            email: Option<String>,
            attributes: JsValue,
        ) {
            let user = if id.is_none() && username.is_none() && email.is_none() {
                None
            } else {
                Some(User {
                    id: id.unwrap_or_default(),
                    username: username.unwrap_or_default(),
                    email: email.unwrap_or_default(),
                    attributes: agent::str_map(&attributes),
                })
            };
            agent::with(|a| a.set_user(user));
        }

        /// The page moved to `url` without a new document (`replace`: by `replaceState`, the
        /// same view); called by the entry module's history wrappers.
        #[wasm_bindgen]
        pub fn route(url: String, replace: bool) {
            if agent::with(|a| a.navigate(&url, replace)) == Some(true) {
                agent::flush();
            }
        }

        /// Sets the view name.
        #[wasm_bindgen(js_name = setView)]
        pub fn set_view(name: String) {
            agent::with(|a| a.set_view(name));
        }

        /// The session id, or `undefined` when not running.
        #[wasm_bindgen(js_name = sessionId)]
        pub fn session_id() -> Option<String> {
            agent::with(|a| a.session().0.to_string())
        }

        /// Whether the session's items are sent.
        #[wasm_bindgen(js_name = sessionSampled)]
        pub fn session_sampled() -> bool {
            agent::with(|a| a.session().1).unwrap_or(false)
        }

        /// Stops collecting until `resume()`.
        #[wasm_bindgen]
        pub fn pause() {
            agent::with(|a| a.pause());
        }

        /// Collects again after `pause()`.
        #[wasm_bindgen]
        pub fn resume() {
            if agent::with(|a| a.resume()) == Some(true) {
                agent::resend_kept();
            }
        }

        /// Hands every queued item to the browser now.
        #[wasm_bindgen]
        pub fn flush() {
            crate::browser::errors::report_dropped();
            agent::flush();
        }

        /// Sends what is left and removes every listener and wrapper the agent installed.
        #[wasm_bindgen]
        pub fn shutdown() {
            agent::shutdown();
        }
    }
}
