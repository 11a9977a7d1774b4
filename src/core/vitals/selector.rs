//! The short CSS selector web-vitals' attribution build gives an element (`getSelector`).

use crate::prelude::*;

/// One node on the way from the element up to the document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodePart {
    /// Element id, empty when none.
    pub id: String,
    /// Lower-case tag name for elements; upper-case node name without `#` otherwise (`TEXT`).
    pub name: String,
    /// Class names (elements only).
    pub classes: Vec<String>,
}

/// Builds `html>body>main>img.hero` (or `#id>…`): stops at the first id and keeps the result
/// under 100 characters unless one part alone is longer.
pub fn selector(chain: &[NodePart]) -> String {
    let mut sel = String::new();
    for node in chain {
        let part = if !node.id.is_empty() {
            let mut p = String::from("#");
            p.push_str(&node.id);
            p
        } else {
            let mut classes: Vec<&str> = node
                .classes
                .iter()
                .map(String::as_str)
                .filter(|c| !c.is_empty())
                .collect();
            // Insertion sort by code unit: few classes, and no sort code in the wasm.
            for i in 1..classes.len() {
                let mut j = i;
                while j > 0 && classes[j - 1] > classes[j] {
                    classes.swap(j - 1, j);
                    j -= 1;
                }
            }
            let mut p = node.name.clone();
            for c in classes {
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
        if !node.id.is_empty() {
            break;
        }
    }
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(name: &str, id: &str, classes: &[&str]) -> NodePart {
        NodePart {
            id: id.into(),
            name: name.into(),
            classes: classes.iter().map(|c| c.to_string()).collect(),
        }
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
