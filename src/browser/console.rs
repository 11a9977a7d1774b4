//! `captureConsole`: console calls become log items with Faro's level strings, and
//! `console.error` with an `Error` becomes an exception. The console still prints; the
//! wrapping itself is the entry module's `host.wrapConsole` (a function taking any number of
//! arguments must be JS), which also keeps the agent's own `wasm-rum:` lines and re-entrant
//! calls out.
use crate::prelude::*;

use super::bindings::{date_now, Host};
use super::callback::{callback, Callback};
use super::errors;
use crate::config::Config;
use crate::core::wire::{Item, Log};
use crate::core::{Feature, SinkRef};
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Faro's console levels.
const LEVELS: [&str; 6] = ["trace", "debug", "info", "log", "warn", "error"];

/// Owns the callback and the functions that put the original console methods back.
struct Installed {
    restore: Vec<Function>,
    _callback: Callback,
}

impl Feature for Installed {}

impl Drop for Installed {
    fn drop(&mut self) {
        for f in &self.restore {
            let _ = f.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Wraps the console methods of every level not in `captureConsoleDisabledLevels`; logs go to
/// `sink`, `console.error` with an `Error` through [`errors::report`].
pub fn install(config: &Config, host: &Host, sink: SinkRef) -> Option<Box<dyn Feature>> {
    if !config.capture_console {
        return None;
    }
    // The entry module's wrapper hands each call as `[level, args]`.
    let callback = callback(move |call: JsValue| {
        let call: &Array = call.unchecked_ref();
        let args = call.get(1).unchecked_into::<Array>();
        on_console(
            sink,
            super::bindings::string(&call.get(0)).unwrap_or_default(),
            args,
        )
    });
    let mut restore = Vec::new();
    for level in LEVELS {
        if config
            .capture_console_disabled_levels
            .iter()
            .any(|l| l == level)
        {
            continue;
        }
        if let Ok(undo) = host.wrap_console(level, callback.as_ref().unchecked_ref()) {
            if let Ok(f) = undo.dyn_into::<Function>() {
                restore.push(f);
            }
        }
    }
    Some(Box::new(Installed {
        restore,
        _callback: callback,
    }))
}

fn on_console(sink: SinkRef, level: String, args: Array) {
    if level == "error" {
        // By index, not `Array::iter` (its iterator and a second element getter, issue 14).
        for i in 0..args.length() {
            if let Some(mut raw) = errors::error_of(&args.get(i)) {
                if args.length() > 1 {
                    raw.context.push(("console".into(), message(&args)));
                }
                errors::report(raw);
                return;
            }
        }
    }
    sink.push(Item::Log(Log {
        message: message(&args),
        level,
        context: Vec::new(),
        timestamp: date_now(),
        trace: None,
    }));
}

/// The arguments as one line, as the console would show them.
fn message(args: &Array) -> String {
    let mut out = String::new();
    for i in 0..args.length() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&errors::readable(&args.get(i)));
    }
    out
}
