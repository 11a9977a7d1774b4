//! wasm-rum: a Real User Monitoring agent for web pages.
//!
//! This file is the wasm-bindgen API only. The package's entry module (`pkg-template/index.js`)
//! validates the config, loads this module, and calls [`start`]; the handle it returns to the
//! page queues calls until then and forwards them to `call`.
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

    /// Starts the agent with a config the entry module has already validated; throws the
    /// readable reason (a string) if it is still not acceptable.
    #[wasm_bindgen]
    pub fn start(config: JsValue, host: Host) -> Result<(), JsValue> {
        let config = crate::config::from_js(&config);
        // The reason as a string (the entry module prints it): no `new Error` import for it.
        config::validate(&config).map_err(|e| JsValue::from_str(&e))?;
        agent::start(config, host).map_err(|e| JsValue::from_str(&e))
    }

    /// Every call of the page's handle once the agent runs, through one export (one glue wrapper
    /// instead of thirteen, issue 14): `op` is the index of the call's name in the entry module's
    /// `OPS`, `args` its arguments, already plain strings, numbers and objects of strings. Returns
    /// the session id (`sessionId`, `undefined` when not running), whether the session is sampled
    /// (`sessionSampled`), else `undefined`. Swallows its own failures.
    #[wasm_bindgen]
    pub fn call(op: u32, args: JsValue) -> JsValue {
        use wasm_bindgen::JsCast;
        let args: js_sys::Array = args.unchecked_into();
        let text = |i| crate::browser::bindings::string(&args.get(i));
        match op {
            0..=4 => pushed(op, &args),
            // The page moved to `url` without a new document (`replace`: by `replaceState`, the
            // same view); from the entry module's history wrappers.
            5 => {
                let url = text(0).unwrap_or_default();
                if agent::with(|a| a.navigate(&url, args.get(1).as_bool() == Some(true)))
                    == Some(true)
                {
                    agent::flush();
                }
            }
            6 => {
                agent::with(|a| a.set_view(text(0).unwrap_or_default()));
            }
            7 => {
                return agent::with(|a| a.session().0.to_string())
                    .map_or(JsValue::UNDEFINED, JsValue::from)
            }
            8 => return JsValue::from_bool(agent::with(|a| a.session().1).unwrap_or(false)),
            9 => {
                agent::with(|a| a.pause());
            }
            // Collects again; what was kept while paused is sent.
            10 => {
                let resumed = agent::with(|a| a.resume()) == Some(true);
                if resumed {
                    agent::resend_kept();
                }
            }
            // Hands every queued item to the browser now.
            11 => {
                crate::browser::errors::report_dropped();
                agent::flush();
            }
            // Sends what is left and removes every listener and wrapper the agent installed.
            12 => agent::shutdown(),
            _ => {}
        }
        JsValue::UNDEFINED
    }

    /// `call`'s ops that hand the agent something: an event, a log, a measurement, an error, the user.
    #[inline(always)]
    fn pushed(op: u32, args: &js_sys::Array) {
        let text = |i| crate::browser::bindings::string(&args.get(i));
        let map = |i| agent::str_map(&args.get(i));
        match op {
            0 => agent::push(Item::Event(Event {
                name: text(0).unwrap_or_default(),
                domain: text(2).unwrap_or_default(),
                attributes: map(1),
                timestamp: date_now(),
                trace: None,
            })),
            1 => agent::push(Item::Log(Log {
                message: text(0).unwrap_or_default(),
                level: text(1).unwrap_or_else(|| "info".into()),
                context: map(2),
                timestamp: date_now(),
                trace: None,
            })),
            2 => agent::push(Item::Measurement(Measurement {
                kind: text(0).unwrap_or_default(),
                values: numbers(&args.get(1)),
                timestamp: date_now(),
                context: map(2),
                trace: None,
            })),
            // An error the page caught itself (or one the entry module kept from before the wasm
            // loaded): its stack is parsed here, and `ignoreErrors`, folding and the rate limit apply.
            3 => crate::browser::errors::report(RawError {
                kind: text(0).unwrap_or_default(),
                value: text(1).unwrap_or_default(),
                stack: text(2).unwrap_or_default(),
                fallback: None,
                context: map(3),
                timestamp: date_now(),
            }),
            _ => {
                let (id, username, email) = (text(0), text(1), text(2));
                // No id, username or email: the user is cleared.
                let user = (id.is_some() || username.is_some() || email.is_some()).then(|| User {
                    id: id.unwrap_or_default(),
                    username: username.unwrap_or_default(),
                    email: email.unwrap_or_default(),
                    attributes: map(3),
                });
                agent::with(|a| a.set_user(user));
            }
        }
    }

    /// The finite numbers of an object of numbers (a measurement's `values`).
    fn numbers(values: &JsValue) -> Vec<(String, f64)> {
        use wasm_bindgen::JsCast;
        let mut nums = Vec::new();
        if values.is_object() {
            let entries = js_sys::Object::entries(values.unchecked_ref());
            for i in 0..entries.length() {
                let pair: js_sys::Array = entries.get(i).unchecked_into();
                if let (Some(k), Some(v)) = (
                    crate::browser::bindings::string(&pair.get(0)),
                    pair.get(1).as_f64(),
                ) {
                    if v.is_finite() {
                        nums.push((k, v));
                    }
                }
            }
        }
        nums
    }
}
