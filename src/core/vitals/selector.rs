//! The short CSS selector web-vitals' attribution build gives an element (`getSelector`).

use crate::core::text;
use crate::prelude::*;

/// Builds `html>body>main>img.hero` (or `#id>…`) from js/entries.js `chain()`: one part per
/// node from the element up, joined by `\x02`, each `name\x01id\x01classes` (classes split by
/// spaces; name lower-case for elements, the node name without `#` otherwise). Stops at the first
/// id and keeps the result under 100 characters unless one part alone is longer. Read straight
/// from the string, with no list of parts built first (each `Vec` of a new type costs wasm).
pub fn selector(chain: &str) -> String {
    let mut sel = String::new();
    for node in text::split(chain, 2) {
        let mut f = text::split(node, 1);
        let name = f.next().unwrap_or_default();
        let id = f.next().unwrap_or_default();
        let part = if !id.is_empty() {
            let mut p = String::from("#");
            p.push_str(id);
            p
        } else {
            let mut classes: Vec<&str> = Vec::new();
            for c in text::split(f.next().unwrap_or_default(), b' ') {
                if !c.is_empty() {
                    classes.push(c);
                }
            }
            // Insertion sort by code unit: few classes, and no sort code in the wasm (pairs
            // taken by get_mut: no bounds-check panic either).
            for i in 1..classes.len() {
                let mut j = i;
                while j > 0 {
                    match classes.get_mut(j - 1..j + 1) {
                        Some([a, b]) if *a > *b => core::mem::swap(a, b),
                        _ => break,
                    }
                    j -= 1;
                }
            }
            let mut p = String::from(name);
            for c in &classes {
                p.push('.');
                p.push_str(c);
            }
            p
        };
        if sel.len() + part.len() > 99 {
            return if sel.is_empty() { part } else { sel };
        }
        sel = if sel.is_empty() {
            part
        } else {
            let mut s = part;
            s.push('>');
            s.push_str(&sel);
            s
        };
        if !id.is_empty() {
            break;
        }
    }
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One node as `chain()` writes it.
    fn el(name: &str, id: &str, classes: &[&str]) -> String {
        format!("{name}\x01{id}\x01{}", classes.join(" "))
    }

    fn selector(chain: &[String]) -> String {
        super::selector(&chain.join("\x02"))
    }

    #[test]
    fn walks_up_to_html_with_sorted_classes() {
        let chain = [
            el("img", "", &["hero", "big"]),
            el("main", "", &[]),
            el("body", "", &[]),
            el("html", "", &[]),
        ];
        assert_eq!(selector(&chain), "html>body>main>img.big.hero");
    }

    #[test]
    fn stops_at_an_id() {
        let chain = [el("p", "", &[]), el("div", "app", &[]), el("body", "", &[])];
        assert_eq!(selector(&chain), "#app>p");
        assert_eq!(selector(&[el("h1", "title", &[])]), "#title");
    }

    #[test]
    fn empty_and_doubled_class_separators_are_skipped() {
        assert_eq!(selector(&[el("p", "", &["b", "", "a"])]), "p.a.b");
        assert_eq!(super::selector(""), "");
        assert_eq!(super::selector("TEXT\x01\x01"), "TEXT");
    }

    #[test]
    fn stays_under_100_characters() {
        let long = "x".repeat(60);
        let chain = [
            el("span", "", &[&long]),
            el("div", "", &[&long]),
            el("body", "", &[]),
        ];
        let s = selector(&chain);
        assert_eq!(s, format!("span.{long}"));
        let huge = "y".repeat(150);
        assert_eq!(
            selector(&[el("p", "", &[&huge])]),
            format!("p.{huge}"),
            "one part alone may be longer"
        );
    }
}
