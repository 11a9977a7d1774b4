//! A small JSON writer: the agent builds its wire format with it instead of serde_json,
//! and without `core::fmt`: integers by hand, fractional numbers by the writer the edge sets (the
//! browser's own `String(n)`), which keeps the wasm small.
//! Every string it writes is capped at [`MAX_STRING_BYTES`].
use crate::prelude::*;

/// The longest string the agent sends, in UTF-8 bytes, [`TRUNCATED`] included: a message,
/// a stack frame, an attribute or context value, a URL, a key.
pub const MAX_STRING_BYTES: usize = 8_192;

/// What ends a string cut to [`MAX_STRING_BYTES`].
pub const TRUNCATED: &str = "…[truncated]";

/// The part of `s` that is sent: all of it when it fits in [`MAX_STRING_BYTES`], else the
/// longest prefix that ends on a character boundary and leaves room for [`TRUNCATED`]
/// (`true`: it was cut).
pub fn capped(s: &str) -> (&str, bool) {
    if s.len() <= MAX_STRING_BYTES {
        return (s, false);
    }
    let mut end = MAX_STRING_BYTES - TRUNCATED.len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s.get(..end).unwrap_or(""), true)
}

/// Appends `s` (capped, see [`capped`]) to `out` as a JSON string literal, quotes included.
pub fn push_str(out: &mut String, s: &str) {
    let (s, cut) = capped(s);
    out.push('"');
    // Runs of bytes that need no escape are copied whole: only ASCII bytes are ever escaped, so
    // every cut is at a character boundary, and no character is decoded or re-encoded.
    let b = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let c = b[i];
        if c < 0x20 || c == b'"' || c == b'\\' {
            out.push_str(crate::core::text::mid(s, start, i));
            match c {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.push_str("\\u00");
                    out.push(HEX[usize::from(c >> 4)] as char);
                    out.push(HEX[usize::from(c & 15)] as char);
                }
            }
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(crate::core::text::tail(s, start));
    if cut {
        out.push_str(TRUNCATED);
    }
    out.push('"');
}

/// Appends a finite number in its shortest round-trip form; NaN and infinities become 0
/// (JSON has no spelling for them and the collector would reject the payload).
pub fn push_f64(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push('0');
        return;
    }
    if v.abs() < 9.0e15 && v == (v as i64) as f64 {
        push_i64(out, v as i64);
        return;
    }
    match FLOAT_WRITER.0.get() {
        Some(write) => write(out, v),
        None => write_fixed(out, v),
    }
}

/// Writes a fractional number; see [`set_float_writer`].
pub type FloatWriter = fn(&mut String, f64);

/// The writer of fractional numbers, set once by the edge.
struct FloatWriterCell(core::cell::Cell<Option<FloatWriter>>);

// SAFETY: set only by the wasm edge, which runs on one thread (wasm32 without atomics); native
// tests never set it, so their threads only read a value nobody writes.
unsafe impl Sync for FloatWriterCell {}

static FLOAT_WRITER: FloatWriterCell = FloatWriterCell(core::cell::Cell::new(None));

/// Sets how fractional numbers are written. The agent sets the browser's own `String(n)` at start
/// (the shortest digits that read back as the same double, as `JSON.stringify` writes them), which
/// costs one crossing per number instead of a float formatter in the wasm (ryu: ~1.7 KB gzip).
pub fn set_float_writer(write: FloatWriter) {
    FLOAT_WRITER.0.set(Some(write));
}

/// Without a writer: natively, Rust's shortest round-trip digits (what tests compare against);
/// in the wasm (only before `start` sets the browser's), six decimals.
#[cfg(not(target_arch = "wasm32"))]
fn write_fixed(out: &mut String, v: f64) {
    use core::fmt::Write;
    let _ = write!(out, "{v}");
}

#[cfg(target_arch = "wasm32")]
fn write_fixed(out: &mut String, v: f64) {
    let micros = (v.abs() * 1e6 + 0.5) as u64;
    if v < 0.0 {
        out.push('-');
    }
    push_u64(out, micros / 1_000_000);
    out.push('.');
    let frac = micros % 1_000_000;
    let mut div = 100_000;
    while div > 0 {
        out.push(char::from(b'0' + (frac / div % 10) as u8));
        div /= 10;
    }
}

/// Appends an integer.
pub fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// A whole number of ASCII digits (no sign, no spaces) that fits `u64`; `None` otherwise. One
/// parser for every number the agent reads back (`str::parse` adds one copy per integer type).
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// Appends an unsigned integer: most significant digit first, by recursion (at most 20 deep).
/// Not itoa: its lookup tables and its `expect` (which linked `core::fmt`) cost more than this.
pub fn push_u64(out: &mut String, v: u64) {
    if v >= 10 {
        push_u64(out, v / 10);
    }
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// Builds one JSON object; keys are written in call order, commas handled.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Opens `{`.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    /// Writes `"key":` and returns the buffer for the value.
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        let out = self.key(key);
        push_str(out, v);
        self
    }

    /// A string member, left out when `v` is `None` or empty.
    pub fn opt_str(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            self.str(key, v);
        }
        self
    }

    /// A number member.
    pub fn f64(&mut self, key: &str, v: f64) -> &mut Self {
        let out = self.key(key);
        push_f64(out, v);
        self
    }

    /// An integer member.
    pub fn i64(&mut self, key: &str, v: i64) -> &mut Self {
        let out = self.key(key);
        push_i64(out, v);
        self
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        let out = self.key(key);
        out.push_str(if v { "true" } else { "false" });
        self
    }

    /// A member whose value is already JSON.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        let out = self.key(key);
        out.push_str(json);
        self
    }

    /// An object of string values (Faro's `context` and `attributes`); left out when empty.
    pub fn str_map(&mut self, key: &str, map: &[(String, String)]) -> &mut Self {
        if map.is_empty() {
            return self;
        }
        let out = self.key(key);
        let mut o = Obj::new(out);
        for (k, v) in map {
            o.str(k, v);
        }
        o.end();
        self
    }

    /// Closes `}`.
    pub fn end(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_in_full_with_their_sign() {
        let write = |f: fn(&mut String)| {
            let mut s = String::new();
            f(&mut s);
            s
        };
        assert_eq!(write(|s| push_u64(s, 0)), "0");
        assert_eq!(write(|s| push_u64(s, 10)), "10");
        assert_eq!(write(|s| push_u64(s, u64::MAX)), "18446744073709551615");
        assert_eq!(write(|s| push_i64(s, -1)), "-1");
        assert_eq!(write(|s| push_i64(s, i64::MIN)), "-9223372036854775808");
        assert_eq!(write(|s| push_f64(s, -1234.0)), "-1234");
    }

    #[test]
    fn parse_u64_reads_plain_digits_only() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        for bad in ["", "-1", "+1", " 1", "1.5", "x"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn escapes_every_control_character_and_nothing_else() {
        // What JSON.stringify writes too, for the characters it escapes (all below 0x20, `"`, `\\`).
        let all: String = (0u8..0x80)
            .map(char::from)
            .chain("é😀\u{2028}".chars())
            .collect();
        let mut s = String::new();
        push_str(&mut s, &all);
        let mut expected = String::from("\"");
        for c in all.chars() {
            match c {
                '"' => expected.push_str("\\\""),
                '\\' => expected.push_str("\\\\"),
                '\n' => expected.push_str("\\n"),
                '\r' => expected.push_str("\\r"),
                '\t' => expected.push_str("\\t"),
                c if (c as u32) < 0x20 => expected.push_str(&format!("\\u{:04x}", c as u32)),
                c => expected.push(c),
            }
        }
        expected.push('"');
        assert_eq!(s, expected);
    }

    #[test]
    fn escapes_quotes_controls_and_keeps_unicode() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, r#""a\"b\\c\n\u0001é""#);
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary_with_the_suffix() {
        let short = "é".repeat(MAX_STRING_BYTES / 2);
        let mut s = String::new();
        push_str(&mut s, &short);
        assert_eq!(
            s.len(),
            MAX_STRING_BYTES + 2,
            "exactly the cap is kept whole"
        );
        for long in [
            "x".repeat(1 << 20),
            "é".repeat(MAX_STRING_BYTES),
            "€".repeat(MAX_STRING_BYTES),
            "😀".repeat(MAX_STRING_BYTES),
            "a".to_string() + &"😀".repeat(3_000),
        ] {
            let mut s = String::new();
            push_str(&mut s, &long);
            let inner = s
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap();
            assert!(inner.len() <= MAX_STRING_BYTES && inner.len() > MAX_STRING_BYTES - 20);
            assert!(inner.ends_with(TRUNCATED));
            let kept = inner.strip_suffix(TRUNCATED).unwrap();
            assert!(long.starts_with(kept));
        }
        let mut s = String::new();
        push_str(&mut s, &"\"".repeat(MAX_STRING_BYTES + 1));
        assert_eq!(
            s.len(),
            2 + 2 * (MAX_STRING_BYTES - TRUNCATED.len()) + TRUNCATED.len()
        );
    }

    #[test]
    fn numbers_are_valid_json() {
        let mut s = String::new();
        push_f64(&mut s, 1234.0);
        s.push(' ');
        push_f64(&mut s, 0.1);
        s.push(' ');
        push_f64(&mut s, f64::NAN);
        s.push(' ');
        push_f64(&mut s, -2.5);
        assert_eq!(s, "1234 0.1 0 -2.5");
    }

    #[test]
    fn object_builder_writes_members_in_order() {
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.str("a", "x")
            .f64("b", 1.5)
            .bool("c", false)
            .opt_str("d", None);
        o.str_map("e", &[("k".into(), "v".into())]);
        o.str_map("f", &[]);
        o.end();
        assert_eq!(s, r#"{"a":"x","b":1.5,"c":false,"e":{"k":"v"}}"#);
    }
}
