//! A small JSON writer: the agent builds its wire format with it instead of serde_json,
//! and without `core::fmt` (floats through `ryu`, integers through `itoa`), which keeps the wasm small.
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
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as u32;
                out.push_str("\\u00");
                out.push(HEX[(n >> 4) as usize] as char);
                out.push(HEX[(n & 15) as usize] as char);
            }
            c => out.push(c),
        }
    }
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
    let mut buf = ryu::Buffer::new();
    out.push_str(buf.format_finite(v));
}

/// Appends an integer.
pub fn push_i64(out: &mut String, v: i64) {
    let mut buf = itoa::Buffer::new();
    out.push_str(buf.format(v));
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

/// Appends an unsigned integer.
pub fn push_u64(out: &mut String, v: u64) {
    let mut buf = itoa::Buffer::new();
    out.push_str(buf.format(v));
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
    fn parse_u64_reads_plain_digits_only() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        for bad in ["", "-1", "+1", " 1", "1.5", "x"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
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
