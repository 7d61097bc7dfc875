//! Replaying a login over HTTP: fetch the login page, fill in its form, post it in the
//! system's charset, and judge the answer.

use std::fmt;

use encoding_rs::Encoding;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue,
    LOCATION, REFERER, SET_COOKIE,
};
use reqwest::{Client, RequestBuilder, Response};
use url::Url;

use super::body::too_large;
use super::cookie::{CookieJar, set_cookie_pair};
use super::{
    Charset, FormLoginError, FormLoginSettings, MAX_BODY, decompress, encode_form, find_login_form,
    is_login_page, page_encoding,
};

/// The codings [`decompress`] undoes, offered on every request.
const ACCEPTED_CODINGS: &str = "gzip, deflate, br";

/// Redirects followed, on the system only, to reach the login page (`/` → `/login.jsp`).
const MAX_PAGE_REDIRECTS: usize = 5;

/// What a replay did.
#[derive(Clone, PartialEq, Eq)]
pub enum ReplayOutcome {
    /// Logged in: every Set-Cookie header value the system sent during the replay (login page
    /// and POST, in order), and where it sent the browser after the POST (the Location of a
    /// 3xx, if any; as sent, not resolved).
    LoggedIn {
        /// The Set-Cookie header values, to pass on to the browser as they are.
        set_cookies: Vec<String>,
        /// The POST response's Location, if it was a redirect.
        location: Option<String>,
    },
    /// The system refused the credentials: the login page came back (200 with
    /// [`is_login_page`] true, or a 3xx whose Location path is the login page's).
    Rejected,
}

/// Cookie names only, and the Location without its query or path parameters: the values are
/// sessions.
impl fmt::Debug for ReplayOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayOutcome::LoggedIn {
                set_cookies,
                location,
            } => {
                let names: Vec<&str> = set_cookies
                    .iter()
                    .map(|set_cookie| set_cookie_pair(set_cookie).map_or("?", |(name, _)| name))
                    .collect();
                let location = location.as_deref().map(|location| {
                    &location[..location.find([';', '?', '#']).unwrap_or(location.len())]
                });
                f.debug_struct("LoggedIn")
                    .field("set_cookies", &names)
                    .field("location", &location)
                    .finish()
            }
            ReplayOutcome::Rejected => f.write_str("Rejected"),
        }
    }
}

/// Log into a legacy system with `login` and `password`.
///
/// GETs `origin` + `settings.login_path` (following up to 5 redirects within `origin`, with
/// the cookies they set, as a browser would), undoes its content coding, reads it in
/// `settings.charset` or the charset it declares, and fills in its login form
/// ([`find_login_form`]). The form is posted, in that charset, to its action, which must be on
/// `origin` (else [`FormLoginError::ForeignAction`]), with the cookies the login page set, a
/// `Referer` of the login page and a plain `application/x-www-form-urlencoded` content type,
/// as browsers send it. Then:
///
/// - a 3xx whose Location (resolved against the action) has the login page's path is
///   [`ReplayOutcome::Rejected`]; any other 3xx is [`ReplayOutcome::LoggedIn`] with that
///   Location;
/// - a 2xx page that [`is_login_page`] is `Rejected`, any other is `LoggedIn` without a
///   Location;
/// - any other status is [`FormLoginError::Status`].
///
/// `extra_headers` go on every request (the gateway's `X-Forwarded-For`, `-Host`, `-Proto`).
/// `Accept-Encoding: gzip, deflate, br` is always sent and bodies are decompressed here, so
/// `client` must not decompress (reqwest's `gzip`/`brotli` features stay off). `client` must
/// be built with `reqwest::redirect::Policy::none()`, so the cookies set along redirects are
/// seen (else [`FormLoginError::ClientFollowsRedirects`]), and with the timeouts the gateway
/// wants: this function sets none.
pub async fn replay(
    client: &Client,
    origin: &Url,
    settings: &FormLoginSettings,
    login: &str,
    password: &str,
    extra_headers: &[(String, String)],
) -> Result<ReplayOutcome, FormLoginError> {
    let login_url = settings.login_url(origin)?;
    let extra_headers = header_map(extra_headers)?;
    let mut set_cookies = Vec::new();
    let mut jar = CookieJar::default();

    let (page_url, response) = fetch_login_page(
        client,
        login_url.clone(),
        &extra_headers,
        &mut jar,
        &mut set_cookies,
    )
    .await?;
    let (html, encoding) = read_page(response, settings.charset).await?;
    let form = find_login_form(&html, &page_url, settings, login, password)
        .ok_or(FormLoginError::NoForm)?;
    if form.action.origin() != origin.origin() {
        return Err(FormLoginError::ForeignAction);
    }
    let body = encode_form(&form.fields, encoding)?;

    let mut headers = request_headers(&extra_headers, &jar)?;
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if let Ok(referer) = HeaderValue::from_str(page_url.as_str()) {
        headers.insert(REFERER, referer);
    }
    let request = client.post(form.action.clone()).headers(headers).body(body);
    let response = send(request, &form.action).await?;
    collect_set_cookies(&response, &mut set_cookies, None);

    let status = response.status();
    if status.is_redirection() {
        let location = location(&response);
        let back_to_login = location
            .as_deref()
            .and_then(|location| form.action.join(location).ok())
            .is_some_and(|target| {
                target.path() == login_url.path() || target.path() == page_url.path()
            });
        return Ok(if back_to_login {
            ReplayOutcome::Rejected
        } else {
            ReplayOutcome::LoggedIn {
                set_cookies,
                location,
            }
        });
    }
    if status.is_success() {
        let (html, _) = read_page(response, settings.charset).await?;
        return Ok(if is_login_page(settings, &html) {
            ReplayOutcome::Rejected
        } else {
            ReplayOutcome::LoggedIn {
                set_cookies,
                location: None,
            }
        });
    }
    Err(FormLoginError::Status(status.as_u16()))
}

/// GET the login page, following redirects within its origin. Returns the page's final URL
/// and the response, whose body is still to be read.
async fn fetch_login_page(
    client: &Client,
    mut url: Url,
    extra_headers: &HeaderMap,
    jar: &mut CookieJar,
    set_cookies: &mut Vec<String>,
) -> Result<(Url, Response), FormLoginError> {
    let mut redirects = 0;
    loop {
        let request = client
            .get(url.clone())
            .headers(request_headers(extra_headers, jar)?);
        let response = send(request, &url).await?;
        collect_set_cookies(&response, set_cookies, Some(jar));
        let status = response.status();
        if status.is_success() {
            return Ok((url, response));
        }
        let next = status
            .is_redirection()
            .then(|| location(&response))
            .flatten()
            .and_then(|location| url.join(&location).ok())
            .filter(|_| redirects < MAX_PAGE_REDIRECTS)
            .ok_or(FormLoginError::Status(status.as_u16()))?;
        if next.origin() != url.origin() {
            return Err(FormLoginError::ForeignRedirect);
        }
        url = next;
        redirects += 1;
    }
}

/// Send a request, checking that the client did not follow a redirect on its own.
async fn send(request: RequestBuilder, url: &Url) -> Result<Response, FormLoginError> {
    let response = request.send().await.map_err(http_error)?;
    let without_fragment = |url: &Url| {
        let mut url = url.clone();
        url.set_fragment(None);
        url
    };
    if without_fragment(response.url()) != without_fragment(url) {
        return Err(FormLoginError::ClientFollowsRedirects);
    }
    Ok(response)
}

/// The extra headers, then the ones every request carries (which win over extra ones).
fn request_headers(
    extra_headers: &HeaderMap,
    jar: &CookieJar,
) -> Result<HeaderMap, FormLoginError> {
    let mut headers = extra_headers.clone();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED_CODINGS));
    if let Some(cookies) = jar.header() {
        // The cookies came in as header values, so they go out as one.
        let value = HeaderValue::from_str(&cookies)
            .map_err(|_| FormLoginError::Header(COOKIE.as_str().to_owned()))?;
        headers.insert(COOKIE, value);
    }
    Ok(headers)
}

/// The caller's extra headers as a header map.
fn header_map(extra_headers: &[(String, String)]) -> Result<HeaderMap, FormLoginError> {
    let mut headers = HeaderMap::new();
    for (name, value) in extra_headers {
        let bad = || FormLoginError::Header(name.clone());
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let header_value = HeaderValue::from_str(value).map_err(|_| bad())?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

/// Add a response's Set-Cookie values to `set_cookies`, and to `jar` when given.
fn collect_set_cookies(
    response: &Response,
    set_cookies: &mut Vec<String>,
    mut jar: Option<&mut CookieJar>,
) {
    for value in response.headers().get_all(SET_COOKIE) {
        let Ok(value) = std::str::from_utf8(value.as_bytes()) else {
            tracing::warn!("skipped a Set-Cookie header from a legacy system that is not UTF-8");
            continue;
        };
        if let Some(jar) = jar.as_deref_mut() {
            jar.store(value);
        }
        set_cookies.push(value.to_owned());
    }
}

/// A response's Location header, as sent.
fn location(response: &Response) -> Option<String> {
    let value = response.headers().get(LOCATION)?;
    std::str::from_utf8(value.as_bytes())
        .ok()
        .map(str::to_owned)
}

/// Read a page's body (at most [`MAX_BODY`] bytes, before and after decompression) and decode
/// it in `charset`, else the charset the page declares. Returns the text and that charset.
async fn read_page(
    mut response: Response,
    charset: Option<Charset>,
) -> Result<(String, &'static Encoding), FormLoginError> {
    let headers = response.headers();
    let content_encoding = header_text(headers, &CONTENT_ENCODING);
    let content_type = header_text(headers, &CONTENT_TYPE);
    let mut raw = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_error)? {
        if raw.len() + chunk.len() > MAX_BODY {
            return Err(too_large(MAX_BODY));
        }
        raw.extend_from_slice(&chunk);
    }
    let body = decompress(content_encoding.as_deref(), &raw, MAX_BODY)?;
    let encoding = charset.map_or_else(
        || page_encoding(content_type.as_deref(), &body),
        Charset::encoding,
    );
    let (html, _, _) = encoding.decode(&body);
    Ok((html.into_owned(), encoding))
}

/// All values of a header as text, joined with `, ` as HTTP allows for list headers.
fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// A transport error without its URL, which may carry a session id (`;jsessionid=`).
fn http_error(error: reqwest::Error) -> FormLoginError {
    FormLoginError::Http(error.without_url())
}

#[cfg(test)]
mod tests;
