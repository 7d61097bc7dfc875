//! Single sign-on into legacy systems of every style, through the gateway, against the sample
//! systems of `yakuba-legacy-sso`: a JWT verifier using the gateway's JWKS, HTTP Basic with
//! credentials from the vault, and old Shift_JIS / EUC-JP login forms answering gzip that the
//! gateway fills in itself. This file holds what the tests share (a browser's cookie jar and
//! navigation, enrolment in the vault, decoding pages, a sample system's counters); the tests
//! are grouped by style in the modules below.

use std::io::Read as _;

use harness::samples::LegacySso;
use harness::system::System;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};

use crate::client::hidden;

mod basic;
mod form_login;
mod jwt;

const PASSWORD: &str = "パスワード1";

/// A browser's cookies for the gateway's origin (paths ignored: every test path is under
/// the cookie's path).
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn with_session(session: &str) -> Jar {
        let (name, value) = session.split_once('=').unwrap();
        Jar(vec![(name.to_owned(), value.to_owned())])
    }

    fn take(&mut self, resp: &reqwest::Response) {
        for value in resp.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name.trim());
            let expired = text.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if !expired {
                self.0
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// A browser navigation (so the gateway redirects rather than answering 401).
async fn navigate(sys: &System, jar: &mut Jar, path: &str) -> reqwest::Response {
    let resp = sys
        .client()
        .unwrap()
        .get(sys.url(path))
        .header(COOKIE, jar.header())
        .header(ACCEPT, "text/html")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    jar.take(&resp);
    resp
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location on a {} response", resp.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The body, un-gzipped when it is, decoded from `charset`.
async fn page_text(resp: reqwest::Response, charset: &'static encoding_rs::Encoding) -> String {
    let gzip = resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = resp.bytes().await.unwrap();
    let plain = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes.to_vec()
    };
    charset.decode(&plain).0.into_owned()
}

/// Post the enrolment form at `enrol` (a gateway path) with `login` and `password`.
async fn enrol(
    sys: &System,
    jar: &mut Jar,
    enrol: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = navigate(sys, jar, enrol).await;
    assert_eq!(page.status(), 200, "enrolment page {enrol}");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("the enrolment form carries a CSRF token");
    let return_to = hidden(&html, "return").expect("and where to go next");
    let action = enrol.split('?').next().unwrap();
    let resp = sys
        .client()
        .unwrap()
        .post(sys.url(action))
        .header(COOKIE, jar.header())
        .form(&[
            ("csrf", csrf.as_str()),
            ("return", return_to.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    jar.take(&resp);
    resp
}

async fn stats(system: &LegacySso) -> serde_json::Value {
    reqwest::get(system.url("/_stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
