//! Logging in the way a browser does: fetch the form, keep its cookie, post it back.

use harness::system::System;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

/// The value of `name` in the response's `Set-Cookie` headers.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let text = v.to_str().ok()?;
        let (k, rest) = text.split_once('=')?;
        (k == name).then(|| rest.split(';').next().unwrap_or_default().to_owned())
    })
}

/// The full `Set-Cookie` header for `name`.
pub fn set_cookie_header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the hidden input `name` in an HTML page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The outcome of a login attempt.
pub struct Attempt {
    pub status: u16,
    pub location: Option<String>,
    pub session: Option<String>,
    pub body: String,
}

/// Log in as `user` and return the attempt.
pub async fn login(sys: &System, user: &str, password: &str) -> Attempt {
    login_returning(sys, user, password, "/").await
}

/// Log in with a return path.
pub async fn login_returning(sys: &System, user: &str, password: &str, return_to: &str) -> Attempt {
    let client = sys.client().unwrap();
    let page = client.get(sys.url("/.yakuba/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let nonce = set_cookie(&page, "__Host-yakuba_login").expect("login form sets its cookie");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("login form carries a CSRF token");
    let resp = client
        .post(sys.url("/.yakuba/login"))
        .header(COOKIE, format!("__Host-yakuba_login={nonce}"))
        .form(&[
            ("user", user),
            ("password", password),
            ("csrf", &csrf),
            ("return_to", return_to),
        ])
        .send()
        .await
        .unwrap();
    Attempt {
        status: resp.status().as_u16(),
        location: resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        session: set_cookie(&resp, "__Host-yakuba_session"),
        body: resp.text().await.unwrap(),
    }
}

/// Log in and return the session cookie header value, panicking on failure.
pub async fn session_cookie(sys: &System, user: &str, password: &str) -> String {
    let attempt = login(sys, user, password).await;
    assert_eq!(
        attempt.status, 303,
        "login of {user} failed: {}",
        attempt.body
    );
    format!(
        "__Host-yakuba_session={}",
        attempt.session.expect("session cookie")
    )
}

/// GET `path` with the cookie header, as a browser navigation.
pub async fn get(sys: &System, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = sys
        .client()
        .unwrap()
        .get(sys.url(path))
        .header("accept", "text/html")
        .header("sec-fetch-mode", "navigate");
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.unwrap()
}

/// POST a form to `path` with the cookie header, as a browser form submission.
pub async fn post_form(
    sys: &System,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    sys.client()
        .unwrap()
        .post(sys.url(path))
        .header(COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// GET `path` with `cookie` until the answer is no longer 200 (a background task such as
/// re-validation or another gateway's revocation takes effect), at most for 10 s; returns
/// that status, or 200 if nothing changed.
pub async fn wait_until_redirected(sys: &System, path: &str, cookie: &str) -> reqwest::StatusCode {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = get(sys, path, Some(cookie)).await.status();
        if status != 200 || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
