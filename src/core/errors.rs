//! Errors, the pure part: stack traces from the three engines' formats into frames,
//! a fingerprint, folding of consecutive duplicates, a per-minute rate limit with a dropped
//! counter, and `ignoreErrors` substring matching.
//!
//! The browser edge (`browser::errors`) turns an `ErrorEvent`, a rejection, a `pushError` or a
//! `console.error` into a [`RawError`] and offers it to [`Errors`]; what comes back is pushed.
use crate::prelude::*;

use super::text;
use super::wire::json;
use super::wire::{Event, Exception, Frame, StrMap};

/// What Faro writes for an unknown function name.
pub const UNKNOWN_FUNCTION: &str = "?";

/// At most this many frames are kept (the innermost ones).
pub const MAX_FRAMES: usize = 50;

/// Length of the rate-limit window.
pub const WINDOW_MS: f64 = 60_000.0;

/// The event that reports how many errors the rate limit dropped (with `reason: rate_limit`).
pub use super::outbox::DROPPED_EVENT;

/// Parses a `stack` string as V8 (Chrome, Edge, Node), SpiderMonkey (Firefox) or JavaScriptCore
/// (Safari) print it, innermost frame first. Lines that are not frames (the message, blank
/// lines) are skipped; a stack with no recognisable frame gives none.
pub fn parse_stack(stack: &str) -> Vec<Frame> {
    // V8 prefixes every frame with "at "; when a stack has such lines, only they are frames
    // (a message line could otherwise look like a Firefox frame).
    let v8 = text::split(stack, b'\n').any(|l| l.trim_ascii_start().starts_with("at "));
    let mut frames = Vec::new();
    for line in text::split(stack, b'\n') {
        if frames.len() == MAX_FRAMES {
            break;
        }
        let line = line.trim_ascii();
        let frame = if v8 {
            line.strip_prefix("at ").and_then(parse_v8)
        } else {
            parse_gecko_jsc(line)
        };
        if let Some(f) = frame {
            frames.push(f);
        }
    }
    frames
}

/// One V8 frame after `at `: `fn (loc)`, `loc`, `new Foo (loc)`, `async fn (loc)`,
/// `Obj.method [as alias] (loc)`, `eval (eval at outer (url:1:2), <anonymous>:3:4)`.
fn parse_v8(rest: &str) -> Option<Frame> {
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return None;
    }
    let (function, location) = match rest.strip_suffix(")").and_then(|r| {
        // The location is the last parenthesised group, which may itself hold parentheses (eval).
        let open = matching_open(r)?;
        Some((
            text::head(r, open).trim_ascii_end(),
            text::tail(r, open + 1),
        ))
    }) {
        Some((f, loc)) if !f.is_empty() => (f, loc),
        _ => ("", rest),
    };
    let function = function.strip_prefix("async ").unwrap_or(function);
    let mut frame = if let Some(eval) = location.strip_prefix("eval at ") {
        // The script that called eval is the useful location: the innermost `(url:line:col)`.
        eval_origin(eval).unwrap_or_else(|| location_frame(location))
    } else {
        location_frame(location)
    };
    frame.function = name_or_unknown(function);
    Some(frame)
}

/// Index of the `(` that matches a `)` just past the end of `s`.
fn matching_open(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        match b[i] {
            b')' => depth += 1,
            b'(' if depth == 0 => return Some(i),
            b'(' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `outer (https://a/vendor.js:3:10), <anonymous>:1:5` → the frame at `https://a/vendor.js:3:10`.
/// Nested evals (`eval at a (eval at b (url:1:2))`) give the outermost script.
fn eval_origin(s: &str) -> Option<Frame> {
    let mut best = None;
    let mut rest = s;
    while let Some(open) = text::find_any(rest, b"(") {
        let inner = text::tail(rest, open + 1);
        let end = text::find_any(inner, b"),").unwrap_or(inner.len());
        let f = location_frame(text::head(inner, end));
        if f.lineno > 0 {
            best = Some(f);
        }
        rest = inner;
    }
    best
}

/// One SpiderMonkey or JavaScriptCore frame: `fn@url:line:col`, `@url:line:col`,
/// `fn/<@url:line:col`, `async*fn@…`, `fn@url line 3 > eval:1:5`, `map@[native code]`,
/// `global code@url:line:col`, or a bare `url:line:col` (old Safari).
fn parse_gecko_jsc(line: &str) -> Option<Frame> {
    if line.is_empty() {
        return None;
    }
    let at = text::split_once_at(line, b'@');
    let (function, location) = at.unwrap_or(("", line));
    // Firefox prefixes async frames with their cause: `async*fn`, `promise callback*fn`.
    let function = text::after_last(function, b'*');
    let frame = if let Some(eval_at) = text::find(location, " line ") {
        // `url line 3 > eval:1:5` or `… > Function:1:10`: the line of the calling script.
        let (file, tail) = (
            text::head(location, eval_at),
            text::tail(location, eval_at + 6),
        );
        let digits = text::leading(tail, |b| b.is_ascii_digit());
        Frame {
            function: String::new(),
            filename: file.into(),
            lineno: super::wire::json::parse_u64(text::head(tail, digits))
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            colno: 0,
        }
    } else {
        location_frame(location)
    };
    let is_native = frame.filename == "[native code]";
    if frame.filename.is_empty() || (frame.lineno == 0 && !is_native && function.is_empty()) {
        // `eval code@`, or a line of text that is no frame at all.
        return None;
    }
    if at.is_none() && frame.lineno == 0 && !is_native {
        return None;
    }
    Some(Frame {
        function: name_or_unknown(function),
        ..frame
    })
}

/// `url:line:col`, `url:line`, or a location without position (`<anonymous>`, `native`,
/// `index 0`, `[native code]`, `…/x.wasm:wasm-function[12]:0x1a`).
fn location_frame(loc: &str) -> Frame {
    let loc = loc.trim_ascii();
    let (rest, last) = split_number(loc);
    let (filename, lineno, colno) = match last {
        Some(n) => match split_number(rest) {
            (file, Some(line)) => (file, line, n),
            (file, None) => (file, n, 0),
        },
        None => (loc, 0, 0),
    };
    Frame {
        function: String::new(),
        filename: filename.into(),
        lineno,
        colno,
    }
}

/// Splits a trailing `:123` off `s`.
fn split_number(s: &str) -> (&str, Option<u32>) {
    // rsplit_once, not slicing at an index: no panic path (issue 14).
    if let Some((head, digits)) = text::rsplit_once_at(s, b':') {
        if !digits.is_empty() && text::all_bytes(digits, |b| b.is_ascii_digit()) {
            if let Some(n) =
                super::wire::json::parse_u64(digits).and_then(|n| u32::try_from(n).ok())
            {
                return (head, Some(n));
            }
        }
    }
    (s, None)
}

fn name_or_unknown(name: &str) -> String {
    let name = name.trim_ascii();
    if name.is_empty() {
        UNKNOWN_FUNCTION.into()
    } else {
        name.into()
    }
}

/// An error as the browser edge saw it, before it is parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct RawError {
    /// The error's name (`TypeError`), or what kind of thing was thrown.
    pub kind: String,
    /// Its message, or a readable form of a thrown non-Error.
    pub value: String,
    /// The raw `stack` string, `""` when there is none.
    pub stack: String,
    /// Where the browser says it happened, used when the stack has no frame
    /// (a cross-origin "Script error." or a thrown string).
    pub fallback: Option<Frame>,
    /// String context.
    pub context: StrMap,
    /// Epoch milliseconds.
    pub timestamp: f64,
}

/// 64-bit FNV-1a of an error's type, message and stack: equal for the same error thrown
/// from the same place.
pub fn fingerprint(e: &RawError) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [e.kind.as_str(), e.value.as_str(), e.stack.as_str()] {
        for b in part.bytes().chain(core::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    if e.stack.is_empty() {
        if let Some(f) = &e.fallback {
            for b in f.filename.bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h ^= ((f.lineno as u64) << 32) | f.colno as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Whether `message` contains any of the `ignoreErrors` strings.
pub fn is_ignored(message: &str, patterns: &[String]) -> bool {
    patterns
        .iter()
        .any(|p| !p.is_empty() && super::text::contains(message, p))
}

/// The wire exception for a raw error seen `count` times in a row.
pub fn to_exception(e: RawError, count: u32) -> Exception {
    let mut frames = parse_stack(&e.stack);
    if frames.is_empty() {
        if let Some(mut f) = e.fallback {
            if !f.filename.is_empty() {
                if f.function.is_empty() {
                    f.function = UNKNOWN_FUNCTION.into();
                }
                frames.push(f);
            }
        }
    }
    let mut context = e.context;
    if count > 1 {
        let mut n = String::new();
        json::push_u64(&mut n, count as u64);
        // The fold's count replaces a `count` the page gave (in place: no `retain` copy).
        match context.iter_mut().find(|(k, _)| k == "count") {
            Some(kv) => kv.1 = n,
            None => context.push(("count".into(), n)),
        }
    }
    Exception {
        kind: e.kind,
        value: e.value,
        timestamp: e.timestamp,
        frames,
        context,
        trace: None,
    }
}

/// What [`Errors::offer`] did with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Same as the held error: counted into it.
    Folded,
    /// Held, to be sent on release; it took one slot of this minute.
    Held,
    /// Over this minute's limit: counted as dropped.
    Dropped,
}

/// A fixed one-minute window allowing `max` errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Limiter {
    max: u32,
    window_start: f64,
    used: u32,
    dropped: u32,
}

impl Limiter {
    /// `max` errors per minute.
    pub fn new(max: u32) -> Self {
        Limiter {
            max,
            window_start: f64::NEG_INFINITY,
            used: 0,
            dropped: 0,
        }
    }

    /// Takes a slot at `now`, or counts a drop.
    pub fn allow(&mut self, now: f64) -> bool {
        if now - self.window_start >= WINDOW_MS || now < self.window_start {
            self.window_start = now;
            self.used = 0;
        }
        if self.used < self.max {
            self.used += 1;
            true
        } else {
            self.dropped = self.dropped.saturating_add(1);
            false
        }
    }

    /// When the current window ends (epoch ms).
    pub fn window_end(&self) -> f64 {
        self.window_start + WINDOW_MS
    }

    /// Drops counted since the last call.
    pub fn take_dropped(&mut self) -> u32 {
        core::mem::take(&mut self.dropped)
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Held {
    fingerprint: u64,
    error: RawError,
    count: u32,
}

/// Folding and rate limiting: an accepted error is held until a different one arrives or the
/// batch is flushed, and every identical error in a row only raises its count.
#[derive(Clone, Debug, PartialEq)]
pub struct Errors {
    limiter: Limiter,
    held: Option<Held>,
}

impl Errors {
    /// At most `max_per_minute` exception items per minute.
    pub fn new(max_per_minute: u32) -> Self {
        Errors {
            limiter: Limiter::new(max_per_minute),
            held: None,
        }
    }

    /// Takes an error in; returns what happened and the previously held error when this
    /// one replaces it (send that one now).
    pub fn offer(&mut self, e: RawError, now: f64) -> (Offer, Option<Exception>) {
        let fp = fingerprint(&e);
        if let Some(h) = &mut self.held {
            if h.fingerprint == fp {
                h.count = h.count.saturating_add(1);
                return (Offer::Folded, None);
            }
        }
        if !self.limiter.allow(now) {
            return (Offer::Dropped, None);
        }
        let previous = self.held.replace(Held {
            fingerprint: fp,
            error: e,
            count: 1,
        });
        (
            Offer::Held,
            previous.map(|h| to_exception(h.error, h.count)),
        )
    }

    /// Whether an error is held.
    pub fn has_held(&self) -> bool {
        self.held.is_some()
    }

    /// The held error, to send now.
    pub fn release(&mut self) -> Option<Exception> {
        self.held.take().map(|h| to_exception(h.error, h.count))
    }

    /// When this minute's window ends (to schedule the dropped report).
    pub fn window_end(&self) -> f64 {
        self.limiter.window_end()
    }

    /// The `wasm-rum.items_dropped` event (`reason: rate_limit`) with the number dropped since the last report,
    /// if any were.
    pub fn dropped_report(&mut self, now: f64) -> Option<Event> {
        let n = self.limiter.take_dropped();
        if n == 0 {
            return None;
        }
        Some(super::outbox::DropReason::RateLimit.event(n as u64, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(function: &str, filename: &str, lineno: u32, colno: u32) -> Frame {
        Frame {
            function: function.into(),
            filename: filename.into(),
            lineno,
            colno,
        }
    }

    // Real stacks, as Chrome 131 prints them (a click handler, a constructor, async functions,
    // an eval, webpack's eval-source-map, a blob worker, native frames, a wasm frame).
    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'total')
    at renderSummary (https://shop.example.com/assets/app.3f9c1.js:1:48211)
    at new Cart (https://shop.example.com/assets/cart.js:10:5)
    at HTMLButtonElement.<anonymous> (https://shop.example.com/assets/app.3f9c1.js:1:51022)
    at Object.eval [as handler] (webpack-internal:///./src/app.js:12:9)
    at Array.map (<anonymous>)
    at async Promise.all (index 0)
    at async loadCart (https://shop.example.com/assets/cart.js:20:3)
    at https://shop.example.com/assets/app.3f9c1.js:5:7
    at eval (eval at compile (https://shop.example.com/vendor.js:3:10), <anonymous>:1:5)
    at blob:https://shop.example.com/1c7d4a2e-44f1-4c1b-9c1e-0f3b0e2a9d11:3:17
    at wasm_rum.wasm.__rust_start_panic (http://127.0.0.1:8080/pkg/wasm_rum_bg.wasm:wasm-function[412]:0x1f2a3)
    at Generator.next (<anonymous>)
    at http://localhost:3000/static/js/bundle.js:1234:56";

    #[test]
    fn chrome_frames_innermost_first_with_every_shape() {
        let frames = parse_stack(CHROME);
        assert_eq!(
            frames,
            vec![
                f(
                    "renderSummary",
                    "https://shop.example.com/assets/app.3f9c1.js",
                    1,
                    48211
                ),
                f("new Cart", "https://shop.example.com/assets/cart.js", 10, 5),
                f(
                    "HTMLButtonElement.<anonymous>",
                    "https://shop.example.com/assets/app.3f9c1.js",
                    1,
                    51022
                ),
                f(
                    "Object.eval [as handler]",
                    "webpack-internal:///./src/app.js",
                    12,
                    9
                ),
                f("Array.map", "<anonymous>", 0, 0),
                f("Promise.all", "index 0", 0, 0),
                f("loadCart", "https://shop.example.com/assets/cart.js", 20, 3),
                f("?", "https://shop.example.com/assets/app.3f9c1.js", 5, 7),
                f("eval", "https://shop.example.com/vendor.js", 3, 10),
                f(
                    "?",
                    "blob:https://shop.example.com/1c7d4a2e-44f1-4c1b-9c1e-0f3b0e2a9d11",
                    3,
                    17
                ),
                f(
                    "wasm_rum.wasm.__rust_start_panic",
                    "http://127.0.0.1:8080/pkg/wasm_rum_bg.wasm:wasm-function[412]:0x1f2a3",
                    0,
                    0
                ),
                f("Generator.next", "<anonymous>", 0, 0),
                f("?", "http://localhost:3000/static/js/bundle.js", 1234, 56),
            ]
        );
    }

    #[test]
    fn chrome_message_lines_are_not_frames_even_when_they_look_like_one() {
        let stack = "Error: failed at https://a.example/x.js:1:2\nsecond line@https://b/y.js:3:4\n    at go (https://a.example/app.js:7:8)";
        assert_eq!(
            parse_stack(stack),
            vec![f("go", "https://a.example/app.js", 7, 8)]
        );
    }

    #[test]
    fn chrome_nested_eval_points_at_the_outer_script() {
        let stack = "Error: x\n    at eval (eval at a (eval at b (https://a.example/app.js:5:6)), <anonymous>:1:1)\n    at Function (native)";
        let frames = parse_stack(stack);
        assert_eq!(frames[0], f("eval", "https://a.example/app.js", 5, 6));
        assert_eq!(frames[1], f("Function", "native", 0, 0));
    }

    // Firefox 133: async causes, nested closures, eval and new Function, anonymous frames.
    const FIREFOX: &str = "renderSummary@https://shop.example.com/assets/app.3f9c1.js:1:48211
Cart@https://shop.example.com/assets/cart.js:10:5
loadCart/<@https://shop.example.com/assets/cart.js:20:3
async*loadCart@https://shop.example.com/assets/cart.js:25:9
promise callback*start@https://shop.example.com/assets/main.js:2:1
@https://shop.example.com/assets/app.3f9c1.js:5:7
compile@https://shop.example.com/vendor.js line 3 > eval:1:5
handler@https://shop.example.com/vendor.js line 40 > Function:1:10
@webpack-internal:///./src/app.js:12:9
@blob:https://shop.example.com/1c7d4a2e-44f1:3:17
EventListener.handleEvent*@http://localhost:3000/index.js:1:1
";

    #[test]
    fn firefox_frames_with_async_causes_and_eval() {
        assert_eq!(
            parse_stack(FIREFOX),
            vec![
                f(
                    "renderSummary",
                    "https://shop.example.com/assets/app.3f9c1.js",
                    1,
                    48211
                ),
                f("Cart", "https://shop.example.com/assets/cart.js", 10, 5),
                f(
                    "loadCart/<",
                    "https://shop.example.com/assets/cart.js",
                    20,
                    3
                ),
                f("loadCart", "https://shop.example.com/assets/cart.js", 25, 9),
                f("start", "https://shop.example.com/assets/main.js", 2, 1),
                f("?", "https://shop.example.com/assets/app.3f9c1.js", 5, 7),
                f("compile", "https://shop.example.com/vendor.js", 3, 0),
                f("handler", "https://shop.example.com/vendor.js", 40, 0),
                f("?", "webpack-internal:///./src/app.js", 12, 9),
                f("?", "blob:https://shop.example.com/1c7d4a2e-44f1", 3, 17),
                f("?", "http://localhost:3000/index.js", 1, 1),
            ]
        );
    }

    // Safari 18: native code, global and module code, anonymous without a name, eval code.
    const SAFARI: &str = "renderSummary@https://shop.example.com/assets/app.3f9c1.js:1:48211
Cart@https://shop.example.com/assets/cart.js:10:5
map@[native code]
@https://shop.example.com/assets/app.3f9c1.js:5:7
eval code@
eval@[native code]
global code@https://shop.example.com/index.html:12:3
module code@https://cdn.example.com/npm/lib@1.2.3/dist/lib.js:1:9
https://shop.example.com/old-safari.js:7:2
[native code]";

    #[test]
    fn safari_frames_with_native_and_global_code() {
        assert_eq!(
            parse_stack(SAFARI),
            vec![
                f(
                    "renderSummary",
                    "https://shop.example.com/assets/app.3f9c1.js",
                    1,
                    48211
                ),
                f("Cart", "https://shop.example.com/assets/cart.js", 10, 5),
                f("map", "[native code]", 0, 0),
                f("?", "https://shop.example.com/assets/app.3f9c1.js", 5, 7),
                f("eval", "[native code]", 0, 0),
                f("global code", "https://shop.example.com/index.html", 12, 3),
                f(
                    "module code",
                    "https://cdn.example.com/npm/lib@1.2.3/dist/lib.js",
                    1,
                    9
                ),
                f("?", "https://shop.example.com/old-safari.js", 7, 2),
                f("?", "[native code]", 0, 0),
            ]
        );
    }

    #[test]
    fn no_stack_no_frames_and_deep_stacks_are_capped() {
        assert!(parse_stack("").is_empty());
        assert!(parse_stack("just a message").is_empty());
        assert!(parse_stack("TypeError: x is not a function").is_empty());
        let deep: String = (0..200)
            .map(|i| {
                let mut s = String::from("    at f (https://a/x.js:");
                json::push_u64(&mut s, i + 1);
                s.push_str(":1)\n");
                s
            })
            .collect();
        let frames = parse_stack(&deep);
        assert_eq!(frames.len(), MAX_FRAMES);
        assert_eq!(frames[0].lineno, 1, "the innermost frames are kept");
    }

    fn raw(value: &str, stack: &str) -> RawError {
        RawError {
            kind: "Error".into(),
            value: value.into(),
            stack: stack.into(),
            fallback: None,
            context: vec![],
            timestamp: 1000.0,
        }
    }

    #[test]
    fn fingerprint_tells_errors_apart_by_type_message_and_place() {
        let a = raw("boom", "Error: boom\n    at f (https://a/x.js:1:2)");
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&raw("boom!", &a.stack)));
        assert_ne!(
            fingerprint(&a),
            fingerprint(&raw("boom", "Error: boom\n    at f (https://a/x.js:1:3)"))
        );
        let mut t = a.clone();
        t.kind = "TypeError".into();
        assert_ne!(fingerprint(&a), fingerprint(&t));
        let mut x = raw("Script error.", "");
        let mut y = x.clone();
        x.fallback = Some(f("", "https://cdn/a.js", 1, 1));
        y.fallback = Some(f("", "https://cdn/b.js", 1, 1));
        assert_ne!(fingerprint(&x), fingerprint(&y));
    }

    #[test]
    fn ignore_errors_matches_substrings_and_ignores_empty_patterns() {
        let patterns = vec!["ResizeObserver loop".to_string(), String::new()];
        assert!(is_ignored(
            "ResizeObserver loop completed with undelivered notifications.",
            &patterns
        ));
        assert!(!is_ignored("TypeError: x", &patterns));
        assert!(!is_ignored("anything", &[]));
    }

    #[test]
    fn consecutive_duplicates_fold_into_one_item_with_a_count() {
        let mut e = Errors::new(30);
        let a = raw("boom", "Error: boom\n    at f (https://a/x.js:1:2)");
        assert_eq!(e.offer(a.clone(), 0.0), (Offer::Held, None));
        assert_eq!(e.offer(a.clone(), 1.0).0, Offer::Folded);
        assert_eq!(e.offer(a.clone(), 2.0).0, Offer::Folded);
        let (outcome, sent) = e.offer(raw("other", ""), 3.0);
        assert_eq!(outcome, Offer::Held);
        let sent = sent.expect("the folded error goes out when another arrives");
        assert_eq!(sent.value, "boom");
        assert_eq!(sent.context, vec![("count".to_string(), "3".to_string())]);
        assert_eq!(sent.frames, vec![f("f", "https://a/x.js", 1, 2)]);
        let last = e.release().expect("held until released");
        assert_eq!(last.value, "other");
        assert!(last.context.is_empty(), "a single error has no count");
        assert!(e.release().is_none());
    }

    #[test]
    fn the_folds_count_replaces_a_count_the_page_gave() {
        let mut e = raw("boom", "");
        e.context = vec![("count".into(), "page".into()), ("a".into(), "1".into())];
        let one = to_exception(e.clone(), 1);
        assert_eq!(one.context[0], ("count".to_string(), "page".to_string()));
        let folded = to_exception(e, 4);
        let want = vec![
            ("count".to_string(), "4".to_string()),
            ("a".to_string(), "1".to_string()),
        ];
        assert_eq!(folded.context, want);
    }

    #[test]
    fn a_non_consecutive_duplicate_is_a_new_item() {
        let mut e = Errors::new(30);
        let a = raw("a", "");
        let b = raw("b", "");
        e.offer(a.clone(), 0.0);
        e.offer(b, 0.0);
        assert_eq!(e.offer(a, 0.0).0, Offer::Held);
    }

    #[test]
    fn the_rate_limit_drops_over_max_per_minute_and_reports_the_count_once() {
        let mut e = Errors::new(30);
        let mut sent = 0;
        for i in 0..10_000u32 {
            let mut v = String::from("storm ");
            json::push_u64(&mut v, i as u64);
            let (outcome, out) = e.offer(raw(&v, ""), 1_000.0 + i as f64);
            sent += out.is_some() as u32;
            assert_eq!(outcome == Offer::Dropped, i >= 30);
        }
        sent += e.release().is_some() as u32;
        assert_eq!(sent, 30);
        let report = e.dropped_report(20_000.0).expect("drops are reported");
        assert_eq!(report.name, "wasm-rum.items_dropped");
        assert_eq!(
            report.attributes,
            vec![
                ("reason".to_string(), "rate_limit".to_string()),
                ("count".to_string(), "9970".to_string())
            ]
        );
        assert!(e.dropped_report(20_001.0).is_none(), "reported once");
        // The next minute has fresh slots.
        assert_eq!(e.offer(raw("later", ""), 61_000.0).0, Offer::Held);
    }

    #[test]
    fn folded_duplicates_do_not_use_slots() {
        let mut e = Errors::new(1);
        let a = raw("a", "");
        e.offer(a.clone(), 0.0);
        for _ in 0..100 {
            assert_eq!(e.offer(a.clone(), 1.0).0, Offer::Folded);
        }
        assert_eq!(e.offer(raw("b", ""), 2.0).0, Offer::Dropped);
        assert!(e.dropped_report(3.0).is_some());
        assert_eq!(e.release().unwrap().context[0].1, "101");
    }

    #[test]
    fn zero_per_minute_drops_everything() {
        let mut e = Errors::new(0);
        assert_eq!(e.offer(raw("a", ""), 0.0).0, Offer::Dropped);
        assert!(!e.has_held());
    }

    #[test]
    fn the_fallback_location_is_used_when_the_stack_has_no_frame() {
        let mut r = raw("Script error.", "");
        r.fallback = Some(f("", "https://cdn.example.com/widget.js", 3, 14));
        let ex = to_exception(r, 1);
        assert_eq!(
            ex.frames,
            vec![f("?", "https://cdn.example.com/widget.js", 3, 14)]
        );
        let mut r = raw("Script error.", "");
        r.fallback = Some(f("", "", 0, 0));
        assert!(to_exception(r, 1).frames.is_empty());
    }
}
