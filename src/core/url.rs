//! URL pieces without the `url` crate: origin, host, port, path, and the one redaction
//! function that the page URL (`meta.page.url`) and span `url.full` both go through.

use crate::prelude::*;

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

/// A byte a URL scheme may hold.
fn scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
}

/// A port number.
fn port(p: &str) -> Option<u16> {
    super::wire::json::parse_u64(p).and_then(|n| u16::try_from(n).ok())
}

/// Splits an absolute URL; `None` for anything that is not `scheme://host…`.
pub fn parse(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = super::text::split_once(url, "://")?;
    if scheme.is_empty() || !super::text::all_bytes(scheme, scheme_byte) {
        return None;
    }
    let authority_end = super::text::find_any(rest, b"/?#").unwrap_or(rest.len());
    let authority = super::text::head(rest, authority_end);
    // Drop userinfo: `user:pass@host`.
    let hostport = super::text::after_last(authority, b'@');
    let (host, port) = if let Some(end) = hostport
        .strip_prefix("[")
        .and_then(|h| super::text::find_any(h, b"]"))
    {
        // [v6]:port
        let host = super::text::head(hostport, end + 2);
        let port = super::text::tail(hostport, end + 2)
            .strip_prefix(":")
            .and_then(port);
        (host, port)
    } else if let Some((h, p)) = super::text::rsplit_once_at(hostport, b':') {
        (h, port(p))
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
    let tail = super::text::tail(rest, authority_end);
    let tail = super::text::before_first(tail, b'#');
    let (path, query) = super::text::split_once_at(tail, b'?').unwrap_or((tail, ""));
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

/// Query parameter names whose values never leave the page, each between spaces as
/// [`tokens`] writes it. A name matches when one of its tokens is one of these:
/// `access_token`, `accessToken`, `X-Amz-Signature` and `p%61ssword` match, `keyword` and
/// `author` do not. The usual spellings written as one word (`apikey`, `sessionid`) are listed
/// on their own.
pub const SENSITIVE: [&str; 21] = [
    " token ",
    " password ",
    " secret ",
    " key ",
    " auth ",
    " code ",
    " session ",
    " signature ",
    " sig ",
    " jwt ",
    " pwd ",
    " pass ",
    " passwd ",
    " apikey ",
    " sessionid ",
    " accesstoken ",
    " idtoken ",
    " authtoken ",
    " refreshtoken ",
    " clientsecret ",
    " authorization ",
];

/// What replaces a sensitive value.
pub const REDACTED: &str = "REDACTED";

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%XX` decoded (a malformed escape stays as written) and `+` as a space, as a server reads
/// a query name.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let escaped = (c == b'%')
            .then(|| Some(hex_digit(*b.get(i + 1)?)? << 4 | hex_digit(*b.get(i + 2)?)?))
            .flatten();
        match escaped {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(if c == b'+' { b' ' } else { c });
                i += 1;
            }
        }
    }
    out
}

/// The tokens of a parameter name, percent-decoded and ASCII lowercased, each followed by a
/// space and the first preceded by one (`accessToken` gives `" access token "`): split on
/// every ASCII character that is not a letter or digit (`_`, `-`, `.`, `[`, …), between letters
/// and digits, and at camelCase humps (`APIKey` gives `" api key "`). Other bytes belong to the
/// token they are in (written as the `char` of the same number, so no two names collide).
pub fn tokens(name: &str) -> String {
    let bytes = percent_decode(name);
    let mut out = String::from(" ");
    let mut prev = b' ';
    for (i, &c) in bytes.iter().enumerate() {
        let c = if c.is_ascii() && !c.is_ascii_alphanumeric() {
            b' '
        } else {
            c
        };
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let hump = prev != b' '
            && c != b' '
            && (prev.is_ascii_digit() != c.is_ascii_digit()
                || (prev.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase()));
        if hump || (c == b' ' && prev != b' ') {
            out.push(' ');
        }
        if c != b' ' {
            out.push(c.to_ascii_lowercase() as char);
        }
        prev = c;
    }
    if prev != b' ' {
        out.push(' ');
    }
    out
}

/// Whether a parameter's value is redacted: one of its tokens is a [`SENSITIVE`] name, or the
/// tokens of one of the `extra` names (the config's `redact.queryParams`) appear in it in a row
/// (`customer_id` matches `customerId` and `x-customer-id`).
pub fn is_sensitive(name: &str, extra: &[String]) -> bool {
    let t = tokens(name);
    SENSITIVE.iter().any(|s| super::text::contains(&t, s))
        || extra.iter().any(|e| {
            let e = tokens(e);
            e.len() > 1 && super::text::contains(&t, &e)
        })
}

/// Appends `query` (without `?`) with every sensitive value replaced by `REDACTED`.
fn push_query(out: &mut String, query: &str, extra: &[String]) {
    for (i, pair) in super::text::split(query, b'&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match super::text::split_once_at(pair, b'=') {
            Some((name, _)) if is_sensitive(name, extra) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
}

/// Appends `path?query` with its query redacted.
fn push_path_and_query(out: &mut String, s: &str, extra: &[String]) {
    match super::text::split_once_at(s, b'?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            push_query(out, query, extra);
        }
        None => out.push_str(s),
    }
}

/// Appends everything before the query or fragment, without `user:password@`.
fn push_without_userinfo(out: &mut String, head: &str) {
    let scheme_ok = |s: &str| !s.is_empty() && super::text::all_bytes(s, scheme_byte);
    let (prefix, rest) = match super::text::split_once(head, "//") {
        Some((scheme, rest))
            if scheme.is_empty() || scheme.strip_suffix(":").is_some_and(scheme_ok) =>
        {
            (scheme, rest)
        }
        _ => {
            out.push_str(head);
            return;
        }
    };
    let (authority, path) = match super::text::split_once_at(rest, b'/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    out.push_str(prefix);
    out.push_str("//");
    out.push_str(super::text::after_last(authority, b'@'));
    if let Some(p) = path {
        out.push('/');
        out.push_str(p);
    }
}

/// The URL as it may leave the page: `user:password@` removed, the value of every sensitive
/// query parameter (see [`is_sensitive`]) replaced by `REDACTED`, and the fragment dropped,
/// unless it is a hash route (`#/…`, `#!/…`): then its path is kept and its query redacted
/// as the URL's is. `extra` holds the config's `redact.queryParams`.
pub fn redact(url: &str, extra: &[String]) -> String {
    let mut out = String::with_capacity(url.len());
    let (before_fragment, fragment) = match super::text::split_once_at(url, b'#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    match super::text::split_once_at(before_fragment, b'?') {
        Some((head, query)) => {
            push_without_userinfo(&mut out, head);
            out.push('?');
            push_query(&mut out, query, extra);
        }
        None => push_without_userinfo(&mut out, before_fragment),
    }
    if let Some(f) = fragment {
        if let Some(route) = f.strip_prefix("/").or_else(|| f.strip_prefix("!/")) {
            out.push_str(if f.starts_with("!") { "#!/" } else { "#/" });
            push_path_and_query(&mut out, route, extra);
        }
    }
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

    fn r(url: &str) -> String {
        redact(url, &[])
    }

    #[test]
    fn redacts_sensitive_query_values_only() {
        assert_eq!(
            r("https://x.test/cb?code=abc&state=1&API_Key=zz&accessToken=t"),
            "https://x.test/cb?code=REDACTED&state=1&API_Key=REDACTED&accessToken=REDACTED"
        );
        assert_eq!(r("https://x.test/p?q=shoes"), "https://x.test/p?q=shoes");
        assert_eq!(r("https://x.test/p"), "https://x.test/p");
        assert_eq!(
            r("https://x.test/?sessionid=1&flag"),
            "https://x.test/?sessionid=REDACTED&flag"
        );
    }

    #[test]
    fn names_match_by_whole_tokens_not_substrings() {
        assert_eq!(
            r("https://x.test/s?keyword=shoes&author=ann&passage=3&codec=h264"),
            "https://x.test/s?keyword=shoes&author=ann&passage=3&codec=h264"
        );
        for name in [
            "sig",
            "jwt",
            "pwd",
            "pass",
            "passwd",
            "X-Amz-Signature",
            "client.secret",
            "refresh-token",
            "APIKey",
            "user[password]",
            "oauth2Token",
            "apikey",
            "SESSION",
        ] {
            assert!(is_sensitive(name, &[]), "{name}");
        }
        for name in ["keyword", "author", "passage", "q", "monkey", "tokens", ""] {
            assert!(!is_sensitive(name, &[]), "{name}");
        }
    }

    #[test]
    fn names_are_percent_decoded_and_case_folded_first() {
        assert_eq!(
            r("https://x.test/?p%61ssword=hunter2&%54OKEN=t&access%5Ftoken=a&q=%70wd"),
            "https://x.test/?p%61ssword=REDACTED&%54OKEN=REDACTED&access%5Ftoken=REDACTED&q=%70wd"
        );
        // A malformed escape is kept as written and cannot panic.
        assert_eq!(
            r("https://x.test/?%=1&%4=2&a%=3"),
            "https://x.test/?%=1&%4=2&a%=3"
        );
        assert_eq!(tokens("%E2%82%ACtoken"), " \u{e2}\u{82}\u{ac}token ");
        assert_eq!(tokens("__APIKey2go.x-Y"), " api key 2 go x y ");
        assert_eq!(tokens(""), " ");
        assert!(!is_sensitive("%E2%82%ACtoken", &[]));
    }

    #[test]
    fn the_fragment_is_dropped_unless_it_is_a_hash_route() {
        assert_eq!(
            r("https://x.test/cb#access_token=abc&id_token=def&state=1"),
            "https://x.test/cb"
        );
        assert_eq!(
            r("https://x.test/cb?x=1#top?token=1"),
            "https://x.test/cb?x=1"
        );
        assert_eq!(
            r("https://x.test/#/orders/7?token=abc&tab=2"),
            "https://x.test/#/orders/7?token=REDACTED&tab=2"
        );
        assert_eq!(
            r("https://x.test/app?a=1#!/login?password=x"),
            "https://x.test/app?a=1#!/login?password=REDACTED"
        );
        assert_eq!(r("https://x.test/#"), "https://x.test/");
        assert_eq!(r("https://x.test/#!"), "https://x.test/");
    }

    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(
            r("https://admin:s3cret@api.x.test:8443/v1?x=1"),
            "https://api.x.test:8443/v1?x=1"
        );
        assert_eq!(r("http://u@h.test"), "http://h.test");
        assert_eq!(r("//u:p@h.test/a@b"), "//h.test/a@b");
        assert_eq!(r("https://h.test/users/@me"), "https://h.test/users/@me");
        assert_eq!(r("/relative/@x?pwd=1"), "/relative/@x?pwd=REDACTED");
        assert_eq!(r("https://a:b@h.test#frag"), "https://h.test");
    }

    #[test]
    fn extra_names_match_the_same_way() {
        let extra = ["customer_id".to_string(), "Email".to_string()];
        assert_eq!(
            redact(
                "https://x.test/?customerId=7&x-customer-id=8&customer=9&%45mail=a@b&id=1",
                &extra
            ),
            "https://x.test/?customerId=REDACTED&x-customer-id=REDACTED&customer=9&%45mail=REDACTED&id=1"
        );
        assert!(!is_sensitive(
            "anything",
            &["".to_string(), "-".to_string()]
        ));
    }
}
