//! `--style form`: an old system with its own login form and session cookie. Its pages are in
//! Shift_JIS (or `--charset`), always gzip-compressed whatever the client asked for, and its
//! form posts come back percent-encoded in that charset, as such systems really behave. It
//! believes it owns `/`: mount it with `strip_prefix`.
//!
//! - `GET /login[?next=/path]`: the login page (marker `ログインしてください`), with a
//!   `csrf_token` bound to a fresh `PRELOGIN` cookie.
//! - `POST /login`: 403 on a CSRF mismatch; 302 to `/menu` (or `next`) with the session
//!   cookie on success; the login page again with `ユーザIDまたはパスワードが違います` otherwise.
//! - `GET /logout`: ends the session, 302 to `/login?logged_out=1`.
//! - `GET /embedded-login`: the login page itself (status 200) when there is no session.
//! - any other path: 302 to `/login?next=…` without a session; a page with `ようこそ LOGIN さん`
//!   with one; `…/_whoami` answers `{"system", "user"}` in JSON.
//! - test controls, no session needed: `GET /_stats`, `POST /_reset` (forget every
//!   session), `POST /_password` with `login=…&password=…` in UTF-8.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, bail};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::Charset;
use crate::accounts::{Account, Accounts};
use crate::markup::{document, escape};

/// The cookie that binds a login page's CSRF token to the browser that fetched it.
const PRELOGIN: &str = "PRELOGIN";
/// The marker text of the login page, in its `<h1>`.
const LOGIN_MARKER: &str = "ログインしてください";
/// The error line shown after wrong credentials.
const WRONG_CREDENTIALS: &str = "ユーザIDまたはパスワードが違います";
/// Largest form body read.
const MAX_BODY: usize = 64 * 1024;
/// Outstanding login pages remembered; beyond this the oldest are forgotten wholesale, which
/// only matters under a login storm far larger than the tests make.
const MAX_PRELOGINS: usize = 100_000;
/// Characters escaped in the `next` query parameter (the path is already percent-encoded).
const QUERY_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'<')
    .add(b'>');

/// What the form-style system is told on the command line.
#[derive(Debug)]
pub struct Settings {
    /// Japanese system name.
    pub name: String,
    /// Its accounts.
    pub accounts: Vec<Account>,
    /// Charset of pages and posted forms.
    pub charset: Charset,
    /// Name of the session cookie.
    pub session_cookie: String,
}

struct Form {
    name: String,
    charset: Charset,
    content_type: HeaderValue,
    session_cookie: String,
    accounts: Accounts,
    /// PRELOGIN cookie value → the CSRF token issued with it.
    prelogins: Mutex<HashMap<String, String>>,
    /// Session id → login.
    sessions: Mutex<HashMap<String, String>>,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    csrf_failed: AtomicU64,
    missing_button: AtomicU64,
}

/// The form-style system.
pub fn router(settings: Settings) -> anyhow::Result<Router> {
    let cookie = &settings.session_cookie;
    if cookie.is_empty()
        || !cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        bail!("--session-cookie must be letters, digits, '_' or '-', not {cookie:?}");
    }
    let content_type =
        HeaderValue::from_str(&format!("text/html; charset={}", settings.charset.label()))
            .context("content type")?;
    let state = Arc::new(Form {
        name: settings.name,
        charset: settings.charset,
        content_type,
        session_cookie: settings.session_cookie,
        accounts: Accounts::new(settings.accounts),
        prelogins: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
        logins_ok: AtomicU64::new(0),
        logins_failed: AtomicU64::new(0),
        csrf_failed: AtomicU64::new(0),
        missing_button: AtomicU64::new(0),
    });
    Ok(Router::new().fallback(handle).with_state(state))
}

async fn handle(State(state): State<Arc<Form>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let readable = method == Method::GET || method == Method::HEAD;
    let posted = method == Method::POST;

    if readable && path.ends_with("/_stats") {
        return state.stats();
    }
    if posted && path.ends_with("/_reset") {
        let dropped = lock(&state.sessions).drain().count();
        return Json(serde_json::json!({ "ok": true, "sessions_dropped": dropped }))
            .into_response();
    }
    if posted && path.ends_with("/_password") {
        let Ok(body) = read_body(request).await else {
            return plain(StatusCode::BAD_REQUEST, "unreadable body");
        };
        return state.change_password(&body);
    }
    match path.as_str() {
        "/login" if readable => {
            let next = query_value(&query, "next");
            let notice = query_value(&query, "logged_out").map(|_| "ログアウトしました。");
            return state.login_page(StatusCode::OK, next.as_deref(), None, notice);
        }
        "/login" if posted => {
            let headers = request.headers().clone();
            let Ok(body) = read_body(request).await else {
                return plain(StatusCode::BAD_REQUEST, "unreadable body");
            };
            return state.log_in(&headers, &body);
        }
        "/logout" => return state.log_out(request.headers()),
        _ => {}
    }

    let Some(user) = state.session_user(request.headers()) else {
        if readable && path == "/embedded-login" {
            // Some systems draw the login form at whatever URL was asked for, with a 200.
            return state.login_page(StatusCode::OK, Some(&path), None, None);
        }
        let location = if readable {
            let wanted = if query.is_empty() {
                path
            } else {
                format!("{path}?{query}")
            };
            format!("/login?next={}", utf8_percent_encode(&wanted, QUERY_VALUE))
        } else {
            "/login".to_owned()
        };
        return redirect(&location, &[]);
    };
    if path.ends_with("/_whoami") {
        return Json(serde_json::json!({ "system": state.name, "user": user })).into_response();
    }
    state.page(&method, &path, &user)
}

impl Form {
    /// The login page, encoded in the system's charset and gzip-compressed, with a new
    /// PRELOGIN cookie and the CSRF token bound to it.
    fn login_page(
        &self,
        status: StatusCode,
        next: Option<&str>,
        error: Option<&str>,
        notice: Option<&str>,
    ) -> Response {
        let prelogin = random_token();
        let csrf = random_token();
        {
            let mut prelogins = lock(&self.prelogins);
            if prelogins.len() >= MAX_PRELOGINS {
                prelogins.clear();
            }
            prelogins.insert(prelogin.clone(), csrf.clone());
        }
        let next_field = next.map_or_else(String::new, |next| {
            format!(
                "<input type=\"hidden\" name=\"next\" value=\"{}\">\n",
                escape(next)
            )
        });
        let message = match (error, notice) {
            (Some(error), _) => format!("<p class=\"error\">{}</p>\n", escape(error)),
            (None, Some(notice)) => format!("<p>{}</p>\n", escape(notice)),
            (None, None) => String::new(),
        };
        let body = format!(
            "<h1>{LOGIN_MARKER}</h1>\n<p>{name}</p>\n{message}\
             <form method=\"post\" action=\"login\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
             <input type=\"hidden\" name=\"lang\" value=\"ja\">\n{next_field}\
             <table>\n\
             <tr><th>ユーザID</th><td><input type=\"text\" name=\"user_id\" size=\"20\"></td></tr>\n\
             <tr><th>パスワード</th><td><input type=\"password\" name=\"passwd\" size=\"20\"></td></tr>\n\
             </table>\n\
             <input type=\"submit\" name=\"btnLogin\" value=\"ログイン\">\n\
             </form>",
            name = escape(&self.name),
        );
        let html = document(
            self.charset.label(),
            &format!("{} ログイン", self.name),
            &body,
        );
        let cookie = format!("{PRELOGIN}={prelogin}; Path=/; HttpOnly");
        self.html(status, &html, &[cookie])
    }

    /// `POST /login`.
    fn log_in(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let fields = parse_form(body, self.charset.encoding());
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let issued = cookie(headers, PRELOGIN).and_then(|p| lock(&self.prelogins).remove(&p));
        let csrf_ok = matches!((issued, field("csrf_token")), (Some(a), Some(b)) if a == b);
        if !csrf_ok {
            self.csrf_failed.fetch_add(1, Ordering::Relaxed);
            eprintln!("form: CSRF token missing or not the one issued with PRELOGIN");
            let html = document(
                self.charset.label(),
                "403",
                "<h1>403 Forbidden</h1><p class=\"error\">不正な画面遷移です。\
                 ログイン画面からやり直してください。</p><p><a href=\"login\">ログイン画面へ</a></p>",
            );
            return self.html(StatusCode::FORBIDDEN, &html, &[]);
        }
        let next = field("next").filter(|n| is_local_path(n));
        if field("btnLogin").is_none() {
            // Such systems take a post without the button's name for a reload of the page.
            self.logins_failed.fetch_add(1, Ordering::Relaxed);
            self.missing_button.fetch_add(1, Ordering::Relaxed);
            eprintln!("form: login post without btnLogin");
            return self.login_page(StatusCode::OK, next, Some(WRONG_CREDENTIALS), None);
        }
        let user = field("user_id").unwrap_or("");
        let password = field("passwd").unwrap_or("");
        if user.is_empty() || !self.accounts.check(user, password) {
            self.logins_failed.fetch_add(1, Ordering::Relaxed);
            eprintln!("form: wrong credentials for {user:?}");
            return self.login_page(StatusCode::OK, next, Some(WRONG_CREDENTIALS), None);
        }
        self.logins_ok.fetch_add(1, Ordering::Relaxed);
        let session = random_token();
        lock(&self.sessions).insert(session.clone(), user.to_owned());
        redirect(
            next.unwrap_or("/menu"),
            &[
                format!("{}={session}; Path=/; HttpOnly", self.session_cookie),
                format!("{PRELOGIN}=; Path=/; Max-Age=0"),
            ],
        )
    }

    /// `GET /logout`: forget the session and clear its cookie.
    fn log_out(&self, headers: &HeaderMap) -> Response {
        if let Some(session) = cookie(headers, &self.session_cookie) {
            lock(&self.sessions).remove(&session);
        }
        redirect(
            "/login?logged_out=1",
            &[format!(
                "{}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly",
                self.session_cookie
            )],
        )
    }

    fn session_user(&self, headers: &HeaderMap) -> Option<String> {
        let session = cookie(headers, &self.session_cookie)?;
        lock(&self.sessions).get(&session).cloned()
    }

    /// A page of the logged-in system.
    fn page(&self, method: &Method, path: &str, user: &str) -> Response {
        // Relative links, so the page works wherever the gateway mounts the system.
        let depth = path.matches('/').count().saturating_sub(1);
        let up = if depth == 0 {
            "./".to_owned()
        } else {
            "../".repeat(depth)
        };
        let body = format!(
            "<h1>{name}</h1>\n<p>ようこそ {user} さん</p>\n\
             <p>要求: {method} <code>{path}</code></p>\n\
             <ul><li><a href=\"{up}menu\">メニュー</a></li>\
             <li><a href=\"{up}logout\">ログアウト</a></li></ul>",
            name = escape(&self.name),
            user = escape(user),
            path = escape(path),
        );
        let html = document(self.charset.label(), &self.name, &body);
        self.html(StatusCode::OK, &html, &[])
    }

    fn stats(&self) -> Response {
        Json(serde_json::json!({
            "logins_ok": self.logins_ok.load(Ordering::Relaxed),
            "logins_failed": self.logins_failed.load(Ordering::Relaxed),
            "csrf_failed": self.csrf_failed.load(Ordering::Relaxed),
            "missing_button": self.missing_button.load(Ordering::Relaxed),
            "sessions": lock(&self.sessions).len(),
        }))
        .into_response()
    }

    /// `POST /_password` with `login=…&password=…` (UTF-8).
    fn change_password(&self, body: &[u8]) -> Response {
        let mut login = None;
        let mut password = None;
        for (k, v) in form_urlencoded::parse(body) {
            match &*k {
                "login" => login = Some(v.into_owned()),
                "password" => password = Some(v.into_owned()),
                _ => {}
            }
        }
        let (Some(login), Some(password)) = (login, password) else {
            return plain(StatusCode::BAD_REQUEST, "need login and password");
        };
        if self.accounts.set_password(&login, &password) {
            Json(serde_json::json!({ "ok": true })).into_response()
        } else {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "error": "no such account" })),
            )
                .into_response()
        }
    }

    /// An HTML response in the system's charset, gzip-compressed whether asked for or not.
    fn html(&self, status: StatusCode, html: &str, cookies: &[String]) -> Response {
        let (bytes, _, _) = self.charset.encoding().encode(html);
        let Ok(compressed) = gzip(&bytes) else {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "compression failed");
        };
        let mut response = Response::new(Body::from(compressed));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        append_cookies(headers, cookies);
        response
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 128 random bits in hex.
fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

async fn read_body(request: Request) -> Result<bytes::Bytes, axum::Error> {
    axum::body::to_bytes(request.into_body(), MAX_BODY).await
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

fn redirect(location: &str, cookies: &[String]) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/menu"));
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    append_cookies(headers, cookies);
    response
}

fn append_cookies(headers: &mut HeaderMap, cookies: &[String]) {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// A cookie's value from every `Cookie` header of the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A same-site path to return to after login: `/…` but not `//…` or `/\…`, which browsers
/// take for another host.
fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control)
}

/// One query parameter, decoded as UTF-8.
fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `application/x-www-form-urlencoded` fields whose percent-escapes are bytes in `encoding`
/// (a Shift_JIS page posts `%83%86%81%5B%83U`, not UTF-8).
fn parse_form(body: &[u8], encoding: &'static encoding_rs::Encoding) -> Vec<(String, String)> {
    let decode = |raw: &[u8]| {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        encoding.decode_without_bom_handling(&bytes).0.into_owned()
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&pair[..i]), decode(&pair[i + 1..])),
            None => (decode(pair), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_form_posts_are_decoded_in_the_page_charset() {
        // user_id=ユーザ (Shift_JIS %83%86%81%5B%83U), passwd="パス ワード+1".
        let body = b"user_id=%83%86%81%5B%83U&passwd=%83p%83X+%83%8F%81%5B%83h%2B1&btnLogin";
        let fields = parse_form(body, encoding_rs::SHIFT_JIS);
        assert_eq!(
            fields,
            vec![
                ("user_id".to_owned(), "ユーザ".to_owned()),
                ("passwd".to_owned(), "パス ワード+1".to_owned()),
                ("btnLogin".to_owned(), String::new()),
            ]
        );
        // The same bytes read as UTF-8 would not give the password back.
        let utf8 = parse_form(body, encoding_rs::UTF_8);
        assert_ne!(utf8[1].1, "パス ワード+1");
    }

    #[test]
    fn only_same_site_paths_are_followed_after_login() {
        assert!(is_local_path("/menu?x=1"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/a\r\nSet-Cookie: x=1"));
    }

    #[test]
    fn cookies_are_found_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; PRELOGIN=p"));
        headers.append(header::COOKIE, HeaderValue::from_static("LEGACYSESSID=s"));
        assert_eq!(cookie(&headers, PRELOGIN).as_deref(), Some("p"));
        assert_eq!(cookie(&headers, "LEGACYSESSID").as_deref(), Some("s"));
        assert_eq!(cookie(&headers, "b"), None);
    }
}
