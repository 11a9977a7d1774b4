//! Substring search without `core::str::pattern::StrSearcher` (its two-way searcher costs about
//! 2 KB of wasm, ~900 B gzip): the agent's needles are short and its haystacks (URLs, user
//! agents, error messages) are small, so a plain byte scan is as fast. Matching whole UTF-8
//! sequences byte for byte finds exactly what `str::find` finds.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
