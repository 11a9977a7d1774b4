//! URL pieces without the `url` crate: origin, host, port, path, and the one redaction
//! function that the page URL (`meta.page.url`) and span `url.full` both go through.

/// The parts of an absolute `http(s)` URL the agent needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// `https`
    pub scheme: &'a str,
    /// `api.example.com` (lowercased by the browser already; compared case-insensitively)
    pub host: &'a str,
    /// Explicit or default port.
    pub port: u16,
    /// Path, starting with `/` (or empty when the URL has none).
    pub path: &'a str,
    /// Query without `?`, empty when none.
    pub query: &'a str,
}

/// Splits an absolute URL; `None` for anything that is not `scheme://host…`.
pub fn parse(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    // Drop userinfo: `user:pass@host`.
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(end) = hostport.strip_prefix('[').and_then(|h| h.find(']')) {
        // [v6]:port
        let host = &hostport[..end + 2];
        let port = hostport[end + 2..]
            .strip_prefix(':')
            .and_then(|p| p.parse().ok());
        (host, port)
    } else if let Some((h, p)) = hostport.rsplit_once(':') {
        (h, p.parse().ok())
    } else {
        (hostport, None)
    };
    if host.is_empty() {
        return None;
    }
    let default_port = match scheme {
        "https" | "wss" => 443,
        _ => 80,
    };
    let tail = &rest[authority_end..];
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, q),
        None => (tail, ""),
    };
    Some(Parts {
        scheme,
        host,
        port: port.unwrap_or(default_port),
        path,
        query,
    })
}

/// True when both URLs have the same scheme, host and port.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => {
            a.scheme.eq_ignore_ascii_case(b.scheme)
                && a.host.eq_ignore_ascii_case(b.host)
                && a.port == b.port
        }
        _ => false,
    }
}

/// Query parameter names (case-insensitive substrings) whose values never leave the page.
pub const SENSITIVE: [&str; 8] = [
    "token",
    "password",
    "secret",
    "key",
    "auth",
    "code",
    "session",
    "signature",
];

fn is_sensitive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| lower.contains(s))
}

/// Replaces the value of every sensitive query parameter with `REDACTED`; the rest of the URL
/// (fragment included) is kept as it was.
pub fn redact(url: &str) -> String {
    let Some(q_start) = url.find('?') else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(q_start + 1);
    let (query, fragment) = match rest.find('#') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(head);
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_sensitive(name) => {
                out.push_str(name);
                out.push_str("=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scheme_host_port_path_query() {
        let p = parse("https://api.example.com:8443/v1/cart?x=1#top").unwrap();
        assert_eq!(
            (p.scheme, p.host, p.port, p.path, p.query),
            ("https", "api.example.com", 8443, "/v1/cart", "x=1")
        );
        let p = parse("http://127.0.0.1/").unwrap();
        assert_eq!(p.port, 80);
        let p = parse("https://u:p@h.example").unwrap();
        assert_eq!((p.host, p.port, p.path), ("h.example", 443, ""));
        let p = parse("http://[::1]:9000/x").unwrap();
        assert_eq!((p.host, p.port), ("[::1]", 9000));
        assert!(parse("/relative").is_none());
        assert!(parse("mailto:x@y").is_none());
    }

    #[test]
    fn same_origin_needs_scheme_host_and_port() {
        assert!(same_origin("http://a.test:80/x", "http://a.test/y"));
        assert!(!same_origin("http://a.test/", "https://a.test/"));
        assert!(!same_origin("http://a.test/", "http://a.test.evil.net/"));
        assert!(!same_origin("http://a.test:81/", "http://a.test/"));
    }

    #[test]
    fn redacts_sensitive_query_values_only() {
        assert_eq!(
            redact("https://x.test/cb?code=abc&state=1&API_Key=zz&accessToken=t#frag"),
            "https://x.test/cb?code=REDACTED&state=1&API_Key=REDACTED&accessToken=REDACTED#frag"
        );
        assert_eq!(
            redact("https://x.test/p?q=shoes"),
            "https://x.test/p?q=shoes"
        );
        assert_eq!(redact("https://x.test/p"), "https://x.test/p");
        assert_eq!(
            redact("https://x.test/?sessionid=1&flag"),
            "https://x.test/?sessionid=REDACTED&flag"
        );
    }
}
