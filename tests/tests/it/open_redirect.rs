//! Open redirects through the real gateway: whatever return path a link, a protected URL or
//! a forged login form carries, the redirect after login stays on the gateway's origin.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::Url;
use reqwest::header::{COOKIE, LOCATION};

use crate::client::{get, hidden, session_cookie, set_cookie};

/// The nastiest tricks from `sso/tests/open_redirect.rs`, as the value of `return_to`.
const PAYLOADS: &[&str] = &[
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2f%2fevil.example",
    "/%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%5c%5cevil.example",
    "/%252f%252fevil.example",
    "%252f%252fevil.example",
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "/%00/evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/\u{0}/evil.example",
    " //evil.example",
    "\t//evil.example",
    "%E3%80%80//evil.example",
    "\u{3000}//evil.example",
    "/\u{3000}/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
    "https:/\\evil.example",
    "http://evil.example",
    "https://evil.example",
    "//evil.example@localhost",
    "//localhost@evil.example",
    "/@evil.example",
    "@evil.example",
    "//evil。example",
    "／／evil.example",
    "/／evil.example",
    "⁄⁄evil.example",
    "/\u{2215}evil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/../\\evil.example",
    "/%2e%2e//evil.example",
    "/%2e%2e%2f%2fevil.example",
    "/a/..//evil.example",
    "/https://evil.example",
    "/a\r\nLocation: https://evil.example",
    "/a%0d%0aLocation:%20https://evil.example",
    "/\"><script>alert(1)</script>",
    "/\u{202e}/evil.example",
];

/// Ordinary return paths, which must survive the whole round trip unchanged.
const ORDINARY: &[&str] = &[
    "/denkessai/list?page=2&q=%E6%B1%BA",
    "/portal#top",
    "/ja/%E6%8E%B2%E7%A4%BA%E6%9D%BF",
];

/// Protected URLs a link could send a browser to before it has a session.
const PROTECTED: &[&str] = &[
    "//evil.example",
    "/.//evil.example",
    "/denkessai//evil.example",
    "/%2f%2fevil.example",
    "/%09/evil.example",
    "/denkessai/%2e%2e//evil.example",
    "/denkessai/?next=//evil.example",
    "/denkessai/list?page=2",
];

/// Why a browser given `location` as a redirect by the gateway would leave its origin (or
/// land on a path that normalises to `//host`), or `None` if it stays.
fn leaves(sys: &System, location: &str) -> Option<String> {
    if !location.starts_with('/') || matches!(location.chars().nth(1), Some('/' | '\\')) {
        return Some("not a single-slash path".into());
    }
    if location.chars().any(char::is_control) {
        return Some("contains a control character".into());
    }
    let url = Url::parse(&sys.url("/.yakuba/login"))
        .ok()?
        .join(location)
        .map_err(|e| e.to_string());
    match url {
        Ok(url)
            if url.scheme() == "https"
                && url.host_str() == Some("localhost")
                && url.port() == Some(sys.https.port())
                && !url.path().starts_with("//") =>
        {
            None
        }
        Ok(url) => Some(format!("resolves to {url}")),
        Err(e) => Some(format!("does not resolve: {e}")),
    }
}

/// The `Location` of a response; raw UTF-8 is read as such, since browsers do.
fn location(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// `value` with the HTML escapes askama writes undone.
fn html_unescape(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match rest
            .find(';')
            .and_then(|end| Some((entity(&rest[1..end])?, end)))
        {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an HTML entity (without `&` and `;`) stands for.
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// `/.yakuba/login?return_to=…` for `return_to`.
fn login_page_for(return_to: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    format!("/.yakuba/login?return_to={encoded}")
}

/// Fetch the login page at `path` and post the form back as yamada, with `return_to` if
/// given (a forged form) or else the return path the page carries. Returns what the page
/// carried and the `Location` of the answer.
async fn log_in(sys: &System, path: &str, return_to: Option<&str>) -> (String, Option<String>) {
    let client = sys.client().unwrap();
    let page = client.get(sys.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200, "login page {path:?}");
    let nonce = set_cookie(&page, "__Host-yakuba_login").expect("login form sets its cookie");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("login form carries a CSRF token");
    let carried = html_unescape(&hidden(&html, "return_to").expect("login form has return_to"));
    let resp = client
        .post(sys.url("/.yakuba/login"))
        .header(COOKIE, format!("__Host-yakuba_login={nonce}"))
        .form(&[
            ("user", "yamada"),
            ("password", LOCAL_PASSWORD),
            ("csrf", &csrf),
            ("return_to", return_to.unwrap_or(&carried)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "login returning to {path:?}");
    (carried, location(&resp))
}

#[tokio::test]
async fn no_return_path_leads_off_the_gateway_after_login() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let mut escapes = Vec::new();
    let mut check = |how: &str, payload: &str, location: Option<&str>| match location {
        None => escapes.push(format!("{how} {payload:?}: no Location")),
        Some(loc) => {
            if let Some(why) = leaves(&sys, loc) {
                escapes.push(format!("{how} {payload:?} -> {loc:?}: {why}"));
            }
        }
    };

    for payload in PAYLOADS {
        // A link to the login page with the payload as its return path.
        let (carried, after) = log_in(&sys, &login_page_for(payload), None).await;
        check("login page carries", payload, Some(&carried));
        check("login via link", payload, after.as_deref());
        // A forged form that posts the payload directly.
        let (_, after) = log_in(&sys, "/.yakuba/login", Some(payload)).await;
        check("forged login form", payload, after.as_deref());
        // The same link opened by someone already logged in.
        let resp = get(&sys, &login_page_for(payload), Some(&cookie)).await;
        assert_eq!(resp.status(), 303, "logged in, {payload:?}");
        check("logged-in link", payload, location(&resp).as_deref());
    }

    for target in PROTECTED {
        let resp = get(&sys, target, None).await;
        let status = resp.status().as_u16();
        if status != 302 {
            // Ambiguous paths are refused outright, which is just as good.
            assert!((400..500).contains(&status), "{target:?} -> {status}");
            continue;
        }
        let to_login = location(&resp).unwrap_or_default();
        check("protected URL redirects", target, Some(&to_login));
        let (carried, after) = log_in(&sys, &to_login, None).await;
        check("protected URL carries", target, Some(&carried));
        check("protected URL login", target, after.as_deref());
    }

    assert!(
        escapes.is_empty(),
        "{} redirects leave the gateway:\n{}",
        escapes.len(),
        escapes.join("\n")
    );

    // The filter is not simply "always the root".
    for path in ORDINARY {
        let (carried, after) = log_in(&sys, &login_page_for(path), None).await;
        assert_eq!(carried, *path);
        assert_eq!(after.as_deref(), Some(*path));
    }
    let resp = get(&sys, "/denkessai/list?page=2", None).await;
    let (carried, after) = log_in(&sys, &location(&resp).unwrap(), None).await;
    assert_eq!(carried, "/denkessai/list?page=2");
    assert_eq!(after.as_deref(), Some("/denkessai/list?page=2"));
}
