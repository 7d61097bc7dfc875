//! Single sign-on into legacy systems that keep their own login: HTTP Basic with the user's
//! credentials from the vault, and the gateway filling in the system's own login form
//! (`sso::form_login`).
//!
//! The proxy asks this module what to do with a request or a response on such a route; the
//! pages that enrol credentials and perform the form login are in `endpoints/vault.rs`.
//!
//! A form-login system's login page is recognised three ways, and every one leads the browser
//! to the gateway's replay endpoint, which logs in server-side and sends the browser back
//! with the system's session cookies:
//! - a request for the login path itself;
//! - a redirect from the system to its login path;
//! - a page carrying the configured marker (the body is held back, decompressed and searched;
//!   the upstream is asked for an identity encoding first, but old systems answer gzip anyway).
//!
//! The system's own logout is let through, and then the user lands on a gateway page that says
//! they left that system (not on its login page, which the gateway would fill in again).

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use crate::routing::{FormLogin, Route};
use crate::vault::Credential;

/// The enrolment page of a route's credentials: `/.yakuba/vault/{route}`.
pub const VAULT_PREFIX: &str = "/.yakuba/vault";
/// The gateway's pages for a form-login route: `/.yakuba/sso/{route}/login|logged-out`.
pub const SSO_PREFIX: &str = "/.yakuba/sso/";

/// Replays allowed for one session and route within [`REPLAY_WINDOW`] before the gateway
/// stops and says so (a system that never accepts its cookies would loop forever).
const REPLAY_LIMIT: u32 = 3;
const REPLAY_WINDOW: Duration = Duration::from_secs(60);

/// Largest compressed body held back to look for the login marker.
const SNIFF_LIMIT: usize = 2 * 1024 * 1024;

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Where a user enrols (or, `failed`, updates) their credentials for `route`, then goes on to
/// `return_to` (a same-origin path).
pub fn enrol_location(route: &str, return_to: &str, failed: bool) -> String {
    let mut location = format!("{VAULT_PREFIX}/{route}?return={}", encode(return_to));
    if failed {
        location.push_str("&failed=1");
    }
    location
}

/// The replay endpoint that logs the user into `route` and then opens `return_to`.
pub fn replay_location(route: &str, return_to: &str) -> String {
    format!("{SSO_PREFIX}{route}/login?return={}", encode(return_to))
}

/// The page shown after the user logged out of `route` itself.
pub fn logged_out_location(route: &str) -> String {
    format!("{SSO_PREFIX}{route}/logged-out")
}

/// The client the gateway logs into legacy systems with: no redirects followed (each answer
/// is judged), no proxy from the environment, bounded times.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("yakuba-gateway/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// The `Authorization` value for HTTP Basic (RFC 7617, UTF-8), marked sensitive so that it is
/// never shown in debug output.
pub fn basic_authorization(credential: &Credential) -> Option<http::HeaderValue> {
    let token = BASE64.encode(format!("{}:{}", credential.login, credential.password));
    let mut value = http::HeaderValue::from_str(&format!("Basic {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Counts successful form-login replays per session and route: a system that asks for its
/// login again right after each successful one would otherwise send the browser round for
/// ever. (A refused replay ends at the enrolment page, so it needs no counting.)
#[derive(Default)]
pub struct ReplayGuard(Mutex<HashMap<(String, String), (Instant, u32)>>);

impl ReplayGuard {
    fn with<T>(&self, session: &str, route: &str, f: impl FnOnce(&mut (Instant, u32)) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| start.elapsed() < REPLAY_WINDOW);
        }
        let entry = map
            .entry((session.to_owned(), route.to_owned()))
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= REPLAY_WINDOW {
            *entry = (Instant::now(), 0);
        }
        f(entry)
    }

    /// Whether another replay may run for `session` (its key) on `route`.
    pub fn allow(&self, session: &str, route: &str) -> bool {
        self.with(session, route, |entry| entry.1 < REPLAY_LIMIT)
    }

    /// Count a replay that logged in.
    pub fn succeeded(&self, session: &str, route: &str) {
        self.with(session, route, |entry| entry.1 += 1);
    }
}

/// The path part of a `Location` as the browser will resolve it (root-relative or absolute
/// URL), without its query.
fn location_path(location: &str) -> Option<&str> {
    let rest = if location.starts_with('/') && !location.starts_with("//") {
        location
    } else {
        let after_scheme = location
            .strip_prefix("http://")
            .or_else(|| location.strip_prefix("https://"))?;
        &after_scheme[after_scheme.find('/')?..]
    };
    Some(rest.split(['?', '#']).next().unwrap_or(rest))
}

/// What the proxy does with a request on a form-login route before forwarding it.
pub fn on_request(form: &FormLogin, method: &str, path: &str) -> bool {
    // The browser asks for the login page itself: log in for it instead.
    matches!(method, "GET" | "HEAD") && path == form.login_path
}

/// What the proxy does with an upstream response on a route with vault credentials.
#[derive(Debug, PartialEq, Eq)]
pub enum Intercept {
    /// Pass it on.
    Pass,
    /// The system's own logout went through: send the user to the gateway's page about it
    /// (keeping the response's cookies, which end the system's session).
    LoggedOut,
    /// The system sends the browser to its login page: send it to the replay instead.
    ToLogin,
    /// Hold the body back to look for the login marker.
    Sniff,
    /// Basic credentials were refused: audit, and send a browser to update them.
    BasicRefused,
}

/// Facts about a response the decision needs.
pub struct ResponseFacts<'a> {
    /// Status code.
    pub status: u16,
    /// `Location`, after mount rewriting.
    pub location: Option<&'a str>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Content-Encoding`.
    pub content_encoding: Option<&'a str>,
    /// Canonical request path at the gateway.
    pub path: &'a str,
    /// Whether the request was a browser navigation (GET of a page).
    pub navigation: bool,
}

/// Decide what to do with a response on `route` (which uses the vault).
pub fn on_response(route: &Route, facts: &ResponseFacts<'_>) -> Intercept {
    let Some(form) = &route.form_login else {
        return if facts.status == 401 {
            Intercept::BasicRefused
        } else {
            Intercept::Pass
        };
    };
    if form.logout_path.as_deref() == Some(facts.path) {
        return Intercept::LoggedOut;
    }
    if (300..400).contains(&facts.status)
        && facts.location.and_then(location_path) == Some(form.login_path.as_str())
    {
        return Intercept::ToLogin;
    }
    let html = facts
        .content_type
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if facts.status == 200
        && facts.navigation
        && html
        && form.settings.marker.is_some()
        && can_reencode(facts.content_encoding)
    {
        return Intercept::Sniff;
    }
    Intercept::Pass
}

fn can_reencode(coding: Option<&str>) -> bool {
    matches!(
        coding.map(|c| c.trim().to_ascii_lowercase()).as_deref(),
        None | Some("" | "identity" | "gzip" | "x-gzip" | "deflate" | "br")
    )
}

/// A response body held back to look for the login marker.
pub struct Sniff {
    coding: Option<String>,
    buffer: Vec<u8>,
    /// Set once the body proved too large: what was held is released and the rest passes.
    released: bool,
}

/// What a held-back body turned out to be.
pub enum Sniffed {
    /// Not finished yet: send nothing.
    Holding,
    /// Send these bytes on (the body as it came, or the part held so far).
    Pass(Bytes),
    /// The login page: replace it.
    LoginPage,
}

impl Sniff {
    /// Start holding a body with `Content-Encoding` `coding`.
    pub fn new(coding: Option<&str>) -> Sniff {
        Sniff {
            coding: coding.map(str::to_owned),
            buffer: Vec::new(),
            released: false,
        }
    }

    /// Take one chunk (`None` at the end).
    pub fn push(&mut self, chunk: Option<&Bytes>, end: bool, form: &FormLogin) -> Sniffed {
        if self.released {
            return Sniffed::Pass(chunk.cloned().unwrap_or_default());
        }
        if let Some(chunk) = chunk {
            self.buffer.extend_from_slice(chunk);
        }
        if self.buffer.len() > SNIFF_LIMIT {
            self.released = true;
            return Sniffed::Pass(Bytes::from(std::mem::take(&mut self.buffer)));
        }
        if !end {
            return Sniffed::Holding;
        }
        let body = std::mem::take(&mut self.buffer);
        if self.is_login_page(&body, form) {
            Sniffed::LoginPage
        } else {
            Sniffed::Pass(Bytes::from(body))
        }
    }

    fn is_login_page(&self, body: &[u8], form: &FormLogin) -> bool {
        let Ok(plain) =
            sso::form_login::decompress(self.coding.as_deref(), body, sso::form_login::MAX_BODY)
        else {
            return false;
        };
        let encoding = match form.settings.charset {
            Some(charset) => charset.encoding(),
            None => sso::form_login::page_encoding(None, &plain),
        };
        let (html, _, _) = encoding.decode(&plain);
        sso::form_login::is_login_page(&form.settings, &html)
    }

    /// The body that replaces a login page: a page that sends the browser to `location`,
    /// encoded with the coding the response header already announced.
    pub fn replacement(&self, location: &str) -> Bytes {
        let escaped = location
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;");
        let page = format!(
            "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0;url={escaped}\">\
             <title>ログイン中…</title></head><body>\
             <p><a href=\"{escaped}\">ログインしています。自動で移動しない場合はこちら。</a></p>\
             </body></html>"
        );
        Bytes::from(encode_like(self.coding.as_deref(), page.as_bytes()))
    }
}

/// `bytes` compressed with `coding` (one of those [`can_reencode`] accepts).
fn encode_like(coding: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let coding = coding.map(|c| c.trim().to_ascii_lowercase());
    let compressed = match coding.as_deref() {
        Some("gzip" | "x-gzip") => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).and_then(|()| e.finish())
        }
        Some("deflate") => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).and_then(|()| e.finish())
        }
        Some("br") => {
            let mut out = Vec::new();
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            let written = writer.write_all(bytes).and_then(|()| writer.flush());
            drop(writer);
            written.map(|()| out)
        }
        _ => Ok(bytes.to_vec()),
    };
    compressed.unwrap_or_else(|_| bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sso::form_login::FormLoginSettings;

    fn form() -> FormLogin {
        FormLogin {
            settings: FormLoginSettings {
                login_path: "/login".into(),
                marker: Some("ログインしてください".into()),
                username_field: "user_id".into(),
                password_field: "passwd".into(),
                charset: Some(sso::form_login::Charset::ShiftJis),
                logout_path: Some("/logout".into()),
            },
            login_path: "/shomu/login".into(),
            logout_path: Some("/shomu/logout".into()),
        }
    }

    #[test]
    fn locations_carry_an_encoded_return_path() {
        assert_eq!(
            enrol_location("shomu", "/shomu/a?b=1&c", true),
            "/.yakuba/vault/shomu?return=%2Fshomu%2Fa%3Fb%3D1%26c&failed=1"
        );
        assert_eq!(
            replay_location("shomu", "/shomu/"),
            "/.yakuba/sso/shomu/login?return=%2Fshomu%2F"
        );
    }

    #[test]
    fn redirect_paths_are_read_from_relative_and_absolute_locations() {
        assert_eq!(location_path("/shomu/login?next=/x"), Some("/shomu/login"));
        assert_eq!(
            location_path("https://city.example/shomu/login#top"),
            Some("/shomu/login")
        );
        assert_eq!(location_path("//evil/shomu/login"), None);
        assert_eq!(location_path("login"), None);
    }

    #[test]
    fn replays_are_limited_per_session_and_route() {
        let guard = ReplayGuard::default();
        for _ in 0..REPLAY_LIMIT {
            assert!(guard.allow("s1", "shomu"));
            guard.succeeded("s1", "shomu");
        }
        assert!(!guard.allow("s1", "shomu"));
        assert!(guard.allow("s2", "shomu"));
        assert!(guard.allow("s1", "zaimu"));
    }

    #[test]
    fn login_pages_are_found_in_compressed_shift_jis_bodies() {
        let form = form();
        let (page, _, _) = encoding_rs::SHIFT_JIS.encode("<h1>ログインしてください</h1>");
        let gz = encode_like(Some("gzip"), &page);
        let mut sniff = Sniff::new(Some("gzip"));
        let half = gz.len() / 2;
        assert!(matches!(
            sniff.push(Some(&Bytes::copy_from_slice(&gz[..half])), false, &form),
            Sniffed::Holding
        ));
        assert!(matches!(
            sniff.push(Some(&Bytes::copy_from_slice(&gz[half..])), true, &form),
            Sniffed::LoginPage
        ));
        let replacement = sniff.replacement("/.yakuba/sso/shomu/login?return=%2F");
        let plain = sso::form_login::decompress(Some("gzip"), &replacement, 1 << 20).unwrap();
        assert!(
            String::from_utf8(plain)
                .unwrap()
                .contains("url=/.yakuba/sso/")
        );

        let (other, _, _) = encoding_rs::SHIFT_JIS.encode("<h1>メニュー</h1>");
        let mut sniff = Sniff::new(None);
        match sniff.push(Some(&Bytes::copy_from_slice(&other)), true, &form) {
            Sniffed::Pass(body) => assert_eq!(&body[..], &other[..]),
            _ => panic!("an ordinary page must pass unchanged"),
        }
    }

    #[test]
    fn large_bodies_are_released_unchanged() {
        let form = form();
        let mut sniff = Sniff::new(None);
        let chunk = Bytes::from(vec![b'a'; SNIFF_LIMIT]);
        assert!(matches!(
            sniff.push(Some(&chunk), false, &form),
            Sniffed::Holding
        ));
        match sniff.push(Some(&Bytes::from_static(b"bc")), false, &form) {
            Sniffed::Pass(body) => assert_eq!(body.len(), SNIFF_LIMIT + 2),
            _ => panic!("expected release"),
        }
        match sniff.push(Some(&Bytes::from_static(b"d")), true, &form) {
            Sniffed::Pass(body) => assert_eq!(&body[..], b"d"),
            _ => panic!("expected pass"),
        }
    }

    #[test]
    fn every_reencodable_coding_round_trips() {
        for coding in [None, Some("gzip"), Some("deflate"), Some("br")] {
            let out = encode_like(coding, "ページ".as_bytes());
            let back = sso::form_login::decompress(coding, &out, 1 << 20).unwrap();
            assert_eq!(back, "ページ".as_bytes(), "{coding:?}");
        }
        assert!(!can_reencode(Some("gzip, br")));
        assert!(!can_reencode(Some("zstd")));
    }
}
