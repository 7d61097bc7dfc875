//! `--style basic`: a system behind HTTP Basic authentication (RFC 7617, credentials read as
//! UTF-8), as many appliances and old intranet servers are.
//!
//! - `GET /_stats` (no authentication): `{"ok": N, "refused": M, "refused_missing": A,
//!   "refused_wrong": B}`; `refused` = `refused_missing` + `refused_wrong`.
//! - `…/_whoami`: `{"system": NAME, "user": LOGIN}`.
//! - any other path: an HTML page naming the user.
//! - without valid credentials: 401 with `WWW-Authenticate: Basic realm="NAME", charset="UTF-8"`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use base64::Engine as _;

use crate::accounts::{Account, Accounts};
use crate::markup::{document, escape};

struct Basic {
    name: String,
    accounts: Accounts,
    ok: AtomicU64,
    refused_missing: AtomicU64,
    refused_wrong: AtomicU64,
}

/// The basic-style system.
pub fn router(name: String, accounts: Vec<Account>) -> Router {
    let state = Arc::new(Basic {
        name,
        accounts: Accounts::new(accounts),
        ok: AtomicU64::new(0),
        refused_missing: AtomicU64::new(0),
        refused_wrong: AtomicU64::new(0),
    });
    Router::new().fallback(handle).with_state(state)
}

/// What the `Authorization` header holds.
#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    /// No Basic credentials at all.
    Missing,
    /// Present but not decodable (bad Base64, not UTF-8, no colon).
    Garbled,
    /// Login and password.
    Given(String, String),
}

fn credentials(headers: &HeaderMap) -> Credentials {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::Missing;
    };
    let value = value.as_bytes();
    let Some((scheme, rest)) = value.split_at_checked(6) else {
        return Credentials::Missing;
    };
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return Credentials::Missing;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((login, password)) => Credentials::Given(login.to_owned(), password.to_owned()),
        None => Credentials::Garbled,
    }
}

async fn handle(State(state): State<Arc<Basic>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.ends_with("/_stats") {
        let missing = state.refused_missing.load(Ordering::Relaxed);
        let wrong = state.refused_wrong.load(Ordering::Relaxed);
        return Json(serde_json::json!({
            "ok": state.ok.load(Ordering::Relaxed),
            "refused": missing + wrong,
            "refused_missing": missing,
            "refused_wrong": wrong,
        }))
        .into_response();
    }
    let user = match credentials(request.headers()) {
        Credentials::Given(login, password) if state.accounts.check(&login, &password) => login,
        Credentials::Missing => {
            state.refused_missing.fetch_add(1, Ordering::Relaxed);
            return challenge(&state.name, "認証情報がありません。");
        }
        Credentials::Garbled | Credentials::Given(..) => {
            state.refused_wrong.fetch_add(1, Ordering::Relaxed);
            eprintln!("basic: refused credentials for {path}");
            return challenge(&state.name, "ユーザIDまたはパスワードが違います。");
        }
    };
    state.ok.fetch_add(1, Ordering::Relaxed);
    if path.ends_with("/_whoami") {
        return Json(serde_json::json!({ "system": state.name, "user": user })).into_response();
    }
    Html(document(
        "UTF-8",
        &state.name,
        &format!(
            "<h1>{name}</h1><p>ようこそ {user} さん（Basic 認証）</p>\
             <p>要求パス: <code>{path}</code></p>",
            name = escape(&state.name),
            user = escape(&user),
            path = escape(&path),
        ),
    ))
    .into_response()
}

/// 401 asking for Basic credentials, with a small Japanese page.
fn challenge(name: &str, why: &str) -> Response {
    // The realm is sent as raw UTF-8, as Apache and most appliances do.
    let realm = format!(
        "Basic realm=\"{}\", charset=\"UTF-8\"",
        name.replace('"', "'")
    );
    let body = document(
        "UTF-8",
        "401 認証が必要です",
        &format!(
            "<h1>認証が必要です</h1><p class=\"error\">{}</p><p>{}</p>",
            escape(why),
            escape(name)
        ),
    );
    let mut response = (StatusCode::UNAUTHORIZED, Html(body)).into_response();
    if let Ok(value) = HeaderValue::from_bytes(realm.as_bytes()) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_decoded_as_utf8() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("yamada:パス:ワード1");
        assert_eq!(
            credentials(&with(&format!("basic {b64}"))),
            Credentials::Given("yamada".into(), "パス:ワード1".into())
        );
        assert_eq!(credentials(&HeaderMap::new()), Credentials::Missing);
        assert_eq!(credentials(&with("Bearer abc")), Credentials::Missing);
        assert_eq!(credentials(&with("Basic !!!")), Credentials::Garbled);
        let sjis = base64::engine::general_purpose::STANDARD.encode(b"yamada:\x83p");
        assert_eq!(
            credentials(&with(&format!("Basic {sjis}"))),
            Credentials::Garbled
        );
    }
}
