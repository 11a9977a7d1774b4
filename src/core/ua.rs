//! Browser name, version and operating system from the user agent string, for `meta.browser`.

use crate::prelude::*;

use super::text::contains;

/// What the user agent says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agent {
    /// `Chrome`, `Edge`, `Firefox`, `Safari`, `Opera`, `Samsung Internet`, or empty.
    pub name: String,
    /// Its version (as written).
    pub version: String,
    /// `Windows`, `Mac OS`, `iOS`, `Android`, `Linux`, `Chrome OS`, or empty.
    pub os: String,
    /// A phone or tablet.
    pub mobile: bool,
}

/// The version after `token/` (up to a space, `;` or `)`).
fn version_after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = super::text::find(ua, token)? + token.len();
    let rest = super::text::tail(ua, start);
    let end = super::text::find_any(rest, b" ;)").unwrap_or(rest.len());
    Some(super::text::head(rest, end))
}

/// Parses a user agent.
pub fn parse(ua: &str) -> Agent {
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari too.
    let browsers: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ];
    let (name, version) = browsers
        .iter()
        .find_map(|(token, name)| {
            let v = version_after(ua, token)?;
            (*name != "Safari" || contains(ua, "Safari/"))
                .then(|| (name.to_string(), v.to_string()))
        })
        .unwrap_or_default();
    let os = if contains(ua, "Windows") {
        "Windows"
    } else if contains(ua, "iPhone") || contains(ua, "iPad") || contains(ua, "iPod") {
        "iOS"
    } else if contains(ua, "Android") {
        "Android"
    } else if contains(ua, "CrOS") {
        "Chrome OS"
    } else if contains(ua, "Mac OS X") || contains(ua, "Macintosh") {
        "Mac OS"
    } else if contains(ua, "Linux") {
        "Linux"
    } else {
        ""
    };
    Agent {
        name,
        version,
        os: os.to_string(),
        mobile: contains(ua, "Mobi")
            || contains(ua, "iPhone")
            || contains(ua, "Android") && !contains(ua, "Tablet"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_common_browsers() {
        let chrome = parse("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36");
        assert_eq!(
            (
                chrome.name.as_str(),
                chrome.version.as_str(),
                chrome.os.as_str(),
                chrome.mobile
            ),
            ("Chrome", "156.0.0.0", "Linux", false)
        );
        let edge = parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0");
        assert_eq!((edge.name.as_str(), edge.os.as_str()), ("Edge", "Windows"));
        let firefox = parse(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0",
        );
        assert_eq!(
            (
                firefox.name.as_str(),
                firefox.version.as_str(),
                firefox.os.as_str()
            ),
            ("Firefox", "128.0", "Mac OS")
        );
        let safari = parse("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1");
        assert_eq!(
            (
                safari.name.as_str(),
                safari.version.as_str(),
                safari.os.as_str(),
                safari.mobile
            ),
            ("Safari", "17.5", "iOS", true)
        );
        let android = parse("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36");
        assert_eq!(
            (android.name.as_str(), android.os.as_str(), android.mobile),
            ("Chrome", "Android", true)
        );
        assert_eq!(parse("curl/8.0"), Agent::default());
    }
}
