//! Substring search without `core::str::pattern::StrSearcher` (its two-way searcher costs about
//! 2 KB of wasm, ~900 B gzip): the agent's needles are short and its haystacks (URLs, user
//! agents, error messages) are small, so a plain byte scan is as fast. Matching whole UTF-8
//! sequences byte for byte finds exactly what `str::find` finds.
//!
//! Likewise the one-byte searches below stand in for `str`'s `char` patterns (`find(',')`,
//! `split('&')`, `rsplit_once(':')`, `trim_matches`, `lines`): each of those is a monomorph of
//! core's pattern machinery (`CharSearcher`, `memchr`, `MultiCharEqSearcher`, `SplitInternal`),
//! about 5 KB of wasm in all. Every separator the agent splits on is ASCII, so a byte scan finds
//! the same places, and a cut next to an ASCII byte is always a character boundary.

/// The byte index of the first `needle` in `hay` (`str::find` with a `&str`).
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h.get(i..).is_some_and(|t| t.starts_with(n)))
}

/// Whether `needle` is in `hay` (`str::contains` with a `&str`).
pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `&s[..i]` with no panic path (slicing a `str` at an index links core::fmt's panic messages,
/// issue 14): all of `s` when `i` is past its end or inside a character.
pub fn head(s: &str, i: usize) -> &str {
    s.get(..i).unwrap_or(s)
}

/// `&s[i..]` with no panic path: empty when `i` is past the end or inside a character.
pub fn tail(s: &str, i: usize) -> &str {
    s.get(i..).unwrap_or("")
}

/// `&s[a..b]` with no panic path: empty when the range is not within `s` at character boundaries.
pub fn mid(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// `str::split_once` with a `&str`.
pub fn split_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let i = find(hay, needle)?;
    Some((hay.get(..i)?, hay.get(i + needle.len()..)?))
}

/// Whether `set` holds `byte` (not `<[u8]>::contains`, which links core's `memchr`).
#[allow(clippy::manual_contains)]
fn has(set: &[u8], byte: u8) -> bool {
    set.iter().any(|&c| c == byte)
}

/// The index of the first byte of `s` that is in `set` (ASCII bytes): `str::find` with a
/// `char` or an array of them.
pub fn find_any(s: &str, set: &[u8]) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if has(set, b[i]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The index of the last `byte` (ASCII) in `s`: `str::rfind` with a `char`.
pub fn rfind(s: &str, byte: u8) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if b[i] == byte {
            return Some(i);
        }
    }
    None
}

/// How many bytes at the start of `s` pass `ok`. A plain `fn`, not a closure: one copy of the
/// loop for every test (each `bytes().all(|b| …)` closure is its own copy of std's `try_fold`).
pub fn leading(s: &str, ok: fn(u8) -> bool) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && ok(b[i]) {
        i += 1;
    }
    i
}

/// Whether every byte of `s` passes `ok` (true for `""`): `s.bytes().all(ok)`.
pub fn all_bytes(s: &str, ok: fn(u8) -> bool) -> bool {
    leading(s, ok) == s.len()
}

/// `s` cut around the byte at `i`, which is ASCII.
fn around(s: &str, i: usize) -> (&str, &str) {
    (head(s, i), tail(s, i + 1))
}

/// `str::split_once` with an ASCII `char`.
pub fn split_once_at(s: &str, byte: u8) -> Option<(&str, &str)> {
    find_any(s, &[byte]).map(|i| around(s, i))
}

/// `str::rsplit_once` with an ASCII `char`.
pub fn rsplit_once_at(s: &str, byte: u8) -> Option<(&str, &str)> {
    rfind(s, byte).map(|i| around(s, i))
}

/// What is after the last `byte` in `s`, or all of it: `s.rsplit(c).next()`.
pub fn after_last(s: &str, byte: u8) -> &str {
    rsplit_once_at(s, byte).map_or(s, |(_, t)| t)
}

/// What is before the first `byte` in `s`, or all of it: `s.split(c).next()`.
pub fn before_first(s: &str, byte: u8) -> &str {
    split_once_at(s, byte).map_or(s, |(h, _)| h)
}

/// `str::split` with an ASCII `char`.
pub fn split(s: &str, byte: u8) -> Split<'_> {
    Split {
        rest: Some(s),
        byte,
    }
}

/// The pieces of a string between one ASCII byte (see [`split`]).
pub struct Split<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once_at(rest, self.byte) {
            Some((piece, more)) => {
                self.rest = Some(more);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `s` without the ASCII bytes of `set` at either end: `str::trim_matches` with ASCII `char`s.
pub fn trim_set<'a>(s: &'a str, set: &[u8]) -> &'a str {
    let b = s.as_bytes();
    let (mut a, mut z) = (0, b.len());
    // get, not indexing: no bounds-check panic in the wasm (issue 14).
    let at = |i: usize| b.get(i).is_some_and(|c| has(set, *c));
    while a < z && at(a) {
        a += 1;
    }
    while z > a && at(z - 1) {
        z -= 1;
    }
    mid(s, a, z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn finds_what_str_finds() {
        for (h, n) in [
            ("https://a.b/c", "://"),
            ("abc", ""),
            ("", "a"),
            ("aaab", "aab"),
            ("Mozilla/5.0 (Macintosh)", "Macintosh"),
            ("héllo wörld", "wö"),
            ("short", "longer needle"),
            ("x line 3 > eval", " line "),
        ] {
            assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
            assert_eq!(contains(h, n), h.contains(n));
            assert_eq!(split_once(h, n), h.split_once(n));
        }
    }

    #[test]
    fn leading_and_all_bytes_match_the_iterator_forms() {
        let digit = |b: u8| b.is_ascii_digit();
        for s in ["", "123", "12a3", "a12", "٣3", "007:"] {
            assert_eq!(
                leading(s, digit),
                s.bytes().take_while(u8::is_ascii_digit).count()
            );
            assert_eq!(
                all_bytes(s, digit),
                s.bytes().all(|b| b.is_ascii_digit()),
                "{s:?}"
            );
        }
    }

    #[test]
    fn byte_searches_find_what_char_patterns_find() {
        for s in [
            "",
            ":",
            "a:b:c",
            "https://u:p@h:8080/x?y#z",
            "héllo:wörld:3",
            "::",
            "x@",
            "[::1]:443",
        ] {
            for c in [':', '@', '/', '?', '#', 'x', '[', ']'] {
                let b = c as u8;
                assert_eq!(find_any(s, &[b]), s.find(c), "{s:?} {c:?}");
                assert_eq!(rfind(s, b), s.rfind(c));
                assert_eq!(split_once_at(s, b), s.split_once(c));
                assert_eq!(rsplit_once_at(s, b), s.rsplit_once(c));
                assert_eq!(after_last(s, b), s.rsplit(c).next().unwrap());
                assert_eq!(before_first(s, b), s.split(c).next().unwrap());
                assert_eq!(
                    split(s, b).collect::<Vec<_>>(),
                    s.split(c).collect::<Vec<_>>()
                );
                assert_eq!(trim_set(s, &[b, b':']), s.trim_matches([c, ':']));
            }
            assert_eq!(find_any(s, b"/?#"), s.find(['/', '?', '#']));
        }
    }
}
