//! Replays against a small legacy system served on loopback: a gzip-compressed Shift_JIS
//! login page in a table layout, with a CSRF token bound to a cookie.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use reqwest::header::LOCATION;

use super::*;

const LOGIN: &str = "yamada";
const PASSWORD: &str = "パスワード1";

/// A page whose login form posts to another host.
const FOREIGN_PAGE: &str = r#"<form method="post" action="http://other.invalid/collect">
    <input name="userid"><input type="password" name="passwd"></form>"#;

/// What the system saw of each POST to its login form.
#[derive(Debug, Clone)]
struct Posted {
    fields: Vec<(String, String)>,
    cookie: String,
    referer: String,
    content_type: String,
    forwarded_host: String,
}

#[derive(Default)]
struct System {
    /// CSRF token by session cookie.
    tokens: Mutex<HashMap<String, String>>,
    posted: Mutex<Vec<Posted>>,
}

type Shared = Arc<System>;
type Reply = hyper::Response<Full<Bytes>>;

fn reply(status: StatusCode, headers: &[(HeaderName, &str)], body: impl Into<Bytes>) -> Reply {
    let mut builder = hyper::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    builder.body(Full::new(body.into())).unwrap()
}

fn login_page(token: &str, error: &str) -> Vec<u8> {
    let html = format!(
        r#"<HTML><HEAD>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">
<TITLE>業務システム ログイン</TITLE></HEAD><BODY>
<FORM METHOD="GET" ACTION="/search"><INPUT NAME="q"></FORM>
<P>{error}</P>
<TABLE><FORM NAME="f" METHOD="POST" ACTION="auth">
<TR><TD>利用者ID</TD><TD><INPUT TYPE="text" NAME="userid"></TD></TR>
<TR><TD>パスワード</TD><TD><INPUT TYPE="password" NAME="passwd"></TD></TR>
<TR><TD><INPUT TYPE="hidden" NAME="csrf" VALUE="{token}">
<INPUT TYPE="hidden" NAME="mode" VALUE="ログイン"></TD>
<TD><INPUT TYPE="checkbox" NAME="remember" VALUE="1">
<INPUT TYPE="submit" NAME="btnLogin" VALUE="ログイン"></TD></TR>
</FORM></TABLE></BODY></HTML>"#
    );
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&html);
    assert!(!had_errors);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap()
}

/// The login page, with a new CSRF session: `Content-Type` names no charset, so the page's
/// `<meta>` must be read.
fn serve_login_page(system: &System, error: &str) -> Reply {
    let mut tokens = system.tokens.lock().unwrap();
    let session = format!("sid{}", tokens.len() + 1);
    let token = format!("token-for-{session}");
    tokens.insert(session.clone(), token.clone());
    let set_cookie = format!("CSRFSID={session}; Path=/; HttpOnly");
    reply(
        StatusCode::OK,
        &[
            (CONTENT_TYPE, "text/html"),
            (CONTENT_ENCODING, "gzip"),
            (SET_COOKIE, &set_cookie),
        ],
        login_page(&token, error),
    )
}

/// Read a Shift_JIS form body back into text fields.
fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    let text = |part: &[u8]| {
        let plus_as_space: Vec<u8> = part
            .iter()
            .map(|byte| if *byte == b'+' { b' ' } else { *byte })
            .collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
        let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
        assert!(!had_errors, "the form body is not Shift_JIS");
        text.into_owned()
    };
    body.split(|byte| *byte == b'&')
        .map(|pair| {
            let mut parts = pair.splitn(2, |byte| *byte == b'=');
            (
                text(parts.next().unwrap()),
                text(parts.next().unwrap_or_default()),
            )
        })
        .collect()
}

/// Check the CSRF token against its cookie, then the credentials.
fn post_auth(system: &System, headers: &HeaderMap, body: &[u8]) -> Reply {
    let header = |name: HeaderName| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let fields = decode_form(body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    };
    let posted = Posted {
        fields: fields.clone(),
        cookie: header(COOKIE),
        referer: header(REFERER),
        content_type: header(CONTENT_TYPE),
        forwarded_host: header(HeaderName::from_static("x-forwarded-host")),
    };
    system.posted.lock().unwrap().push(posted.clone());

    let session = posted
        .cookie
        .split("; ")
        .find_map(|cookie| cookie.strip_prefix("CSRFSID="))
        .unwrap_or_default();
    let expected_token = system.tokens.lock().unwrap().get(session).cloned();
    if expected_token.is_none() || field("csrf") != expected_token.as_deref() {
        return reply(StatusCode::FORBIDDEN, &[], "CSRF");
    }
    match (field("userid"), field("passwd")) {
        (Some(LOGIN), Some(PASSWORD)) => reply(
            StatusCode::FOUND,
            &[
                (LOCATION, "/top"),
                (SET_COOKIE, "SESSION=s3ss10n; Path=/; HttpOnly"),
            ],
            "",
        ),
        (Some("locked"), _) => reply(StatusCode::FOUND, &[(LOCATION, "/login?error=locked")], ""),
        _ => serve_login_page(system, "IDまたはパスワードが違います"),
    }
}

async fn route(system: &System, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/login") => serve_login_page(system, ""),
        (&Method::POST, "/auth") => {
            let body = body.collect().await.unwrap().to_bytes();
            post_auth(system, &parts.headers, &body)
        }
        // An entry point that sends the browser on to the login page with a cookie.
        (&Method::GET, "/portal") => reply(
            StatusCode::FOUND,
            &[(LOCATION, "login"), (SET_COOKIE, "LANG=ja; Path=/")],
            "",
        ),
        (&Method::GET, "/away") => reply(
            StatusCode::FOUND,
            &[(LOCATION, "http://other.invalid/")],
            "",
        ),
        (&Method::GET, "/foreign") => reply(StatusCode::OK, &[], FOREIGN_PAGE),
        _ => reply(StatusCode::NOT_FOUND, &[], "not found"),
    }
}

/// Serve the system on a free loopback port; the server ends with the test's runtime.
async fn start_system() -> (Url, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let system = Shared::default();
    let served = system.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let system = served.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let system = system.clone();
                    async move { Ok::<_, Infallible>(route(&system, request).await) }
                });
                // A connection the client drops early is of no interest here.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (origin, system)
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

fn settings(login_path: &str) -> FormLoginSettings {
    FormLoginSettings {
        login_path: login_path.to_owned(),
        marker: None,
        username_field: "userid".to_owned(),
        password_field: "passwd".to_owned(),
        charset: None,
        logout_path: None,
    }
}

fn forwarded() -> Vec<(String, String)> {
    vec![
        (
            "X-Forwarded-Host".to_owned(),
            "portal.example.lg.jp".to_owned(),
        ),
        ("X-Forwarded-Proto".to_owned(), "https".to_owned()),
    ]
}

#[tokio::test]
async fn the_right_password_logs_in_with_both_cookies() {
    let (origin, system) = start_system().await;
    let outcome = replay(
        &client(),
        &origin,
        &settings("/login"),
        LOGIN,
        PASSWORD,
        &forwarded(),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        ReplayOutcome::LoggedIn {
            set_cookies: vec![
                "CSRFSID=sid1; Path=/; HttpOnly".to_owned(),
                "SESSION=s3ss10n; Path=/; HttpOnly".to_owned(),
            ],
            location: Some("/top".to_owned()),
        }
    );
    let posted = system.posted.lock().unwrap();
    let [posted] = posted.as_slice() else {
        panic!("one POST expected, got {posted:?}")
    };
    let expected: Vec<(String, String)> = [
        ("userid", LOGIN),
        ("passwd", PASSWORD),
        ("csrf", "token-for-sid1"),
        ("mode", "ログイン"),
        ("btnLogin", "ログイン"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    assert_eq!(posted.fields, expected);
    assert_eq!(posted.cookie, "CSRFSID=sid1");
    assert_eq!(posted.referer, format!("{origin}login"));
    assert_eq!(posted.content_type, "application/x-www-form-urlencoded");
    assert_eq!(posted.forwarded_host, "portal.example.lg.jp");
}

#[tokio::test]
async fn a_wrong_password_is_rejected_when_the_login_page_comes_back() {
    let (origin, system) = start_system().await;
    let outcome = replay(
        &client(),
        &origin,
        &settings("/login"),
        LOGIN,
        "パスワード2",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(outcome, ReplayOutcome::Rejected);
    assert_eq!(system.posted.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_redirect_back_to_the_login_page_is_rejected() {
    let (origin, _system) = start_system().await;
    let outcome = replay(
        &client(),
        &origin,
        &settings("/login"),
        "locked",
        PASSWORD,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(outcome, ReplayOutcome::Rejected);
}

#[tokio::test]
async fn a_marker_decides_on_the_decoded_page() {
    let (origin, _system) = start_system().await;
    let settings = FormLoginSettings {
        marker: Some("パスワードが違います".to_owned()),
        ..settings("/login")
    };
    let outcome = replay(&client(), &origin, &settings, LOGIN, "違う", &[])
        .await
        .unwrap();
    assert_eq!(outcome, ReplayOutcome::Rejected);
}

#[tokio::test]
async fn redirects_to_the_login_page_are_followed_with_their_cookies() {
    let (origin, system) = start_system().await;
    let outcome = replay(
        &client(),
        &origin,
        &settings("/portal"),
        LOGIN,
        PASSWORD,
        &[],
    )
    .await
    .unwrap();
    let ReplayOutcome::LoggedIn { set_cookies, .. } = outcome else {
        panic!("expected a login, got {outcome:?}");
    };
    assert_eq!(set_cookies.len(), 3, "{set_cookies:?}");
    assert_eq!(set_cookies[0], "LANG=ja; Path=/");
    let posted = system.posted.lock().unwrap();
    assert_eq!(posted[0].cookie, "LANG=ja; CSRFSID=sid1");
    assert_eq!(posted[0].referer, format!("{origin}login"));
}

#[tokio::test]
async fn a_password_the_charset_cannot_write_is_never_posted() {
    let (origin, system) = start_system().await;
    let error = replay(
        &client(),
        &origin,
        &settings("/login"),
        LOGIN,
        "pass🙂",
        &[],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, FormLoginError::Unencodable { field, charset: "Shift_JIS" } if field == "passwd"),
        "{error:?}"
    );
    assert!(system.posted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn credentials_never_leave_the_origin() {
    let (origin, _system) = start_system().await;
    let error = replay(
        &client(),
        &origin,
        &settings("/foreign"),
        LOGIN,
        PASSWORD,
        &[],
    )
    .await
    .unwrap_err();
    assert!(matches!(error, FormLoginError::ForeignAction), "{error:?}");
    let error = replay(&client(), &origin, &settings("/away"), LOGIN, PASSWORD, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, FormLoginError::ForeignRedirect),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_login_page_is_a_status_error() {
    let (origin, _system) = start_system().await;
    let error = replay(
        &client(),
        &origin,
        &settings("/nowhere"),
        LOGIN,
        PASSWORD,
        &[],
    )
    .await
    .unwrap_err();
    assert!(matches!(error, FormLoginError::Status(404)), "{error:?}");
}

#[tokio::test]
async fn a_client_that_follows_redirects_is_refused() {
    let (origin, _system) = start_system().await;
    let client = Client::builder().no_proxy().build().unwrap();
    let error = replay(&client, &origin, &settings("/portal"), LOGIN, PASSWORD, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, FormLoginError::ClientFollowsRedirects),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_system_is_an_http_error_without_its_url() {
    // Bind a port, then free it, so nothing listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let error = replay(
        &client(),
        &origin,
        &settings("/login;jsessionid=SECRET"),
        LOGIN,
        PASSWORD,
        &[],
    )
    .await
    .unwrap_err();
    assert!(matches!(error, FormLoginError::Http(_)), "{error:?}");
    let chain = format!("{:?}", anyhow::Error::from(error));
    assert!(!chain.contains("SECRET"), "{chain}");
}

#[test]
fn debug_output_names_cookies_without_their_values() {
    let outcome = ReplayOutcome::LoggedIn {
        set_cookies: vec!["SESSION=s3ss10n; Path=/".to_owned()],
        location: Some("/top;jsessionid=ABC?x=1".to_owned()),
    };
    let debug = format!("{outcome:?}");
    assert_eq!(
        debug,
        r#"LoggedIn { set_cookies: ["SESSION"], location: Some("/top") }"#
    );
}
