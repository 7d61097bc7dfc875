//! Open-redirect payloads against [`SafeReturnPath`]: whatever an attacker puts in
//! `return_to`, the redirect after login stays on the site.
//!
//! Each result is judged the way a browser would read it in a `Location` header (the WHATWG
//! URL parser, as the `url` crate implements it) and the way a server that decodes the path
//! once would read it. The payloads are a hand-written list of known tricks plus every
//! combination of a prefix, a separator, a way of encoding it and a host.

use std::collections::BTreeSet;

use percent_encoding::percent_decode_str;
use sso::SafeReturnPath;
use url::Url;

/// The page the redirect is answered from.
const LOGIN_PAGE: &str = "https://yakuba.example/.yakuba/login";
const SITE: &str = "yakuba.example";

/// Why a browser given `location` as a redirect could end up off the site, or `None` if it
/// cannot.
fn escape(location: &str) -> Option<String> {
    // What the header itself must look like: a path-absolute reference, so that no browser
    // quirk about schemes, authorities or backslashes applies to it.
    if !location.starts_with('/') {
        return Some("does not start with /".into());
    }
    if matches!(location.chars().nth(1), Some('/' | '\\')) {
        return Some("starts with // or /\\".into());
    }
    if location.chars().any(char::is_control) {
        return Some("contains a control character".into());
    }
    if let Some(why) = leaves_site(location) {
        return Some(format!("as sent: {why}"));
    }
    // A server that routes the path decodes it once; what it then sees must stay on the site
    // too, or echoing it in a relative redirect (a trailing-slash fix, a login of its own)
    // would send the browser away.
    let end = location.find(['?', '#']).unwrap_or(location.len());
    let decoded = percent_decode_str(&location[..end]).decode_utf8_lossy();
    leaves_site(&format!("{decoded}{}", &location[end..])).map(|why| format!("decoded once: {why}"))
}

/// Why `reference`, resolved against the login page, is not a plain path on the site.
fn leaves_site(reference: &str) -> Option<String> {
    let base = Url::parse(LOGIN_PAGE).ok()?;
    let url = match base.join(reference) {
        Ok(url) => url,
        Err(e) => return Some(format!("does not resolve: {e}")),
    };
    if url.scheme() != "https" || url.host_str() != Some(SITE) || url.port().is_some() {
        return Some(format!("resolves to {url}"));
    }
    // A path that normalises to `//host` is one relative redirect away from leaving.
    if url.path().starts_with("//") {
        return Some(format!("resolves to the path {}", url.path()));
    }
    None
}

/// Known tricks, written out.
const KNOWN: &[&str] = &[
    "",
    "evil.example",
    "//evil.example",
    "//evil.example/",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2f%2fevil.example",
    "/%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%5cevil.example",
    "/%5c%5cevil.example",
    "/%252f%252fevil.example",
    "%252f%252fevil.example",
    "/%25252f%25252fevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%00/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\u{0}/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\u{0}//evil.example",
    "\u{feff}//evil.example",
    "\u{3000}//evil.example",
    "%E3%80%80//evil.example",
    "/\u{3000}/evil.example",
    "/\u{a0}/evil.example",
    "/\u{2028}/evil.example",
    "/\u{85}/evil.example",
    "/\u{7f}/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "\u{0}javascript:alert(1)",
    " javascript:alert(1)",
    "javascript://%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://evil.example/",
    "https:evil.example",
    "https:/evil.example",
    "https:\\\\evil.example",
    "https:/\\evil.example",
    "http://evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "https://yakuba.example@evil.example/",
    "https://evil.example#@yakuba.example",
    "https://evil.example\\@yakuba.example",
    "//evil.example@yakuba.example",
    "//yakuba.example@evil.example",
    "//yakuba.example%40evil.example",
    "/@evil.example",
    "@evil.example",
    "//evil.example%2f@yakuba.example",
    "//evil.example:443",
    "//evil.example:443@yakuba.example",
    "//[::1]/",
    "//0x7f.1/",
    "//2130706433/",
    "//evil。example",
    "//ｅｖｉｌ.example",
    "／／evil.example",
    "/／evil.example",
    "＼＼evil.example",
    "/＼evil.example",
    "⁄⁄evil.example",
    "/⁄evil.example",
    "\u{2215}\u{2215}evil.example",
    "/\u{2215}evil.example",
    "/%EF%BC%8F/evil.example",
    "/%E2%88%95/evil.example",
    "/%c0%af/evil.example",
    "/%c0%ae%c0%ae/%2fevil.example",
    "/.//evil.example",
    "/./\\evil.example",
    "/..//evil.example",
    "/../\\evil.example",
    "/../\\\\evil.example",
    "/%2e//evil.example",
    "/%2e%2e//evil.example",
    "/%2e%2e%2f%2fevil.example",
    "/.%2f%2fevil.example",
    "/..%2f%2fevil.example",
    "/a/../..//evil.example",
    "/a/%2e%2e/%2e%2e//evil.example",
    "/a/..%2f..%2f%2fevil.example",
    "/%2e%2e%5c%5cevil.example",
    "/https://evil.example",
    "/a//evil.example",
    "/a\r\nLocation: https://evil.example",
    "/a\r\nSet-Cookie: x=1",
    "/a%0d%0aLocation:%20https://evil.example",
    "/\u{200b}/evil.example",
    "/\u{202e}/evil.example",
];

/// What comes before the separator.
const PREFIXES: &[&str] = &[
    "", "/", "/.", "/..", "/%2e", "/a/..", " ", "\t", "https:", "http:",
];

/// What a browser or server could read as the start of an authority, before encoding.
const SEPARATORS: &[&str] = &[
    "//", "/\\", "\\/", "\\\\", "/\t/", "/\r\n/", "/ /", "/\u{0}/",
];

/// Hosts an attacker would like to reach, in plain and disguised spellings.
const HOSTS: &[&str] = &[
    "evil.example",
    "evil.example@yakuba.example",
    "yakuba.example@evil.example",
    "ｅｖｉｌ。example",
];

/// Ways of writing a separator: raw, percent-encoded once, twice or three times, and with
/// Unicode look-alikes of `/` and `\`.
const ENCODINGS: &[fn(&str) -> String] = &[
    |s| s.to_owned(),
    |s| s.chars().map(|c| percent(c, false)).collect(),
    |s| s.chars().map(|c| percent(c, true)).collect(),
    |s| {
        let (first, rest) = s.split_at(1);
        format!(
            "{first}{}",
            rest.chars().map(|c| percent(c, false)).collect::<String>()
        )
    },
    |s| {
        s.chars()
            .map(|c| percent(c, false).replace('%', "%25"))
            .collect()
    },
    |s| {
        s.chars()
            .map(|c| percent(c, false).replace('%', "%2525"))
            .collect()
    },
    |s| s.replace('/', "\u{ff0f}").replace('\\', "\u{ff3c}"),
    |s| s.replace('/', "\u{2215}").replace('\\', "\u{29f5}"),
    |s| s.replace('/', "\u{2044}"),
    |s| s.replace('/', "%c0%af").replace('\\', "%c1%9c"),
];

/// `c` percent-encoded if it is ASCII punctuation or a control, in lower or upper case hex.
fn percent(c: char, upper: bool) -> String {
    if c.is_ascii() && !c.is_ascii_alphanumeric() {
        if upper {
            format!("%{:02X}", c as u32)
        } else {
            format!("%{:02x}", c as u32)
        }
    } else {
        c.to_string()
    }
}

fn payloads() -> BTreeSet<String> {
    let mut all: BTreeSet<String> = KNOWN.iter().map(|&p| p.to_owned()).collect();
    for prefix in PREFIXES {
        for separator in SEPARATORS {
            for encode in ENCODINGS {
                let separator = encode(separator);
                for host in HOSTS {
                    all.insert(format!("{prefix}{separator}{host}"));
                    all.insert(format!("{prefix}{separator}{host}/path?q=1#f"));
                }
            }
        }
    }
    all
}

#[test]
fn the_checker_recognises_a_redirect_off_the_site() {
    for bad in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/.//evil.example",
        "/%2e%2e//evil.example",
        "/%2f%2fevil.example",
        "/%09/evil.example",
        "/a\r\nSet-Cookie: x=1",
    ] {
        assert!(escape(bad).is_some(), "{bad:?} passed the checker");
    }
    assert_eq!(escape("/portal?next=//evil.example"), None);
}

#[test]
fn no_open_redirect_payload_leaves_the_site() {
    let payloads = payloads();
    println!("open-redirect payloads tested: {}", payloads.len());
    assert!(payloads.len() >= 300, "only {} payloads", payloads.len());
    let escaped: Vec<String> = payloads
        .iter()
        .filter_map(|p| {
            let result = SafeReturnPath::parse_or_root(Some(p));
            escape(result.as_str()).map(|why| format!("{p:?} -> {:?}: {why}", result.as_str()))
        })
        .collect();
    assert!(
        escaped.is_empty(),
        "{} of {} payloads leave the site:\n{}",
        escaped.len(),
        payloads.len(),
        escaped.join("\n")
    );
}

#[test]
fn ordinary_paths_survive_unchanged() {
    for ok in [
        "/",
        "/portal",
        "/portal#top",
        "/schedule?week=2026-W48",
        "/denkessai/",
        "/denkessai/list?page=2&q=%E6%B1%BA",
        "/zaimu/reports/2026.pdf",
        "/ja/%E6%8E%B2%E7%A4%BA%E6%9D%BF",
        "/search?q=a%2Fb&next=//elsewhere",
        "/files/v1.2/readme",
        "/~tanaka/",
        "/a;b=c",
        "/a@b",
        "/?",
        "/#",
        "/.well-known/security.txt",
    ] {
        assert_eq!(
            SafeReturnPath::parse(ok)
                .as_ref()
                .map(SafeReturnPath::as_str),
            Some(ok),
            "{ok:?}"
        );
        assert_eq!(escape(ok), None, "{ok:?}");
    }
    // Raw non-ASCII survives as its percent-encoding, which is what a browser requests.
    assert_eq!(
        SafeReturnPath::parse("/ja/掲示板?q=決裁#上").map(|p| p.as_str().to_owned()),
        Some("/ja/%E6%8E%B2%E7%A4%BA%E6%9D%BF?q=%E6%B1%BA%E8%A3%81#%E4%B8%8A".to_owned())
    );
}
