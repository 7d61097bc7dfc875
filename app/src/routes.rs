//! The app's HTTP surface: the router that joins every feature's routes, the extractors every
//! page uses ([`CurrentUser`] from the gateway's assertion, [`PageLang`]), the mapping of
//! [`AppError`] to responses, and the few routes that need no identity (health, stylesheet).

use std::future::Future;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, REFERRER_POLICY, RETRY_AFTER,
    SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sso::Claims;
use tokio::net::TcpListener;
use tracing::{debug, error, warn};

use crate::error::{AppError, Severity};
use crate::i18n::Lang;
use crate::org::model::{Employment, Staff};
use crate::state::AppState;
use crate::{facility, memo, org, portal, schedule, store, whereabouts};

/// The stylesheet, compiled in so the app needs no asset directory and nothing from outside.
/// It is kept in parts by page area and served as one file, in this order (later rules
/// depend on earlier ones).
const STYLESHEET: &str = concat!(
    include_str!("../static/css/base.css"),
    include_str!("../static/css/portal.css"),
    include_str!("../static/css/groupware.css"),
    include_str!("../static/css/facility.css"),
    include_str!("../static/css/status.css"),
    include_str!("../static/css/schedule.css"),
    include_str!("../static/css/shared.css"),
);

/// What every response forbids: framing, sniffing, and anything not served by the app itself.
const CONTENT_SECURITY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                                form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole app as one router over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(portal::routes::routes())
        .merge(schedule::routes::routes())
        .merge(org::routes::routes())
        .merge(facility::routes::routes())
        .merge(whereabouts::routes::routes())
        .merge(memo::routes::routes())
        .merge(crate::audit::routes::routes())
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(stylesheet))
        .fallback(not_found)
        .layer(middleware::from_fn(crate::audit::routes::request_id))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then lets requests in flight
/// finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let counted = router(state.clone()).layer(middleware::from_fn_with_state(
        state.metrics.clone(),
        crate::metrics::routes::count,
    ));
    axum::serve(listener, counted)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The signed-in user, proven by the gateway's identity assertion on this request.
///
/// Extracting it is the app's only access check (invariant 2): a request without exactly one
/// assertion that verifies is answered 401 before any handler runs.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// What the gateway asserts about the user and the session.
    pub claims: Claims,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let path = parts.uri.path();
        let mut values = parts.headers.get_all(sso::assertion::HEADER).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            debug!(path, "request without exactly one identity assertion");
            return Err(AppError::Unauthenticated);
        };
        let Ok(token) = value.to_str() else {
            debug!(path, "identity assertion is not ASCII");
            return Err(AppError::Unauthenticated);
        };
        match state.verifier.verify(token) {
            Ok(claims) => Ok(CurrentUser { claims }),
            Err(error) => {
                // The error names the failed check, never the token.
                debug!(path, %error, "identity assertion rejected");
                Err(AppError::Unauthenticated)
            }
        }
    }
}

/// A form that carries the session's CSRF token in its `csrf` field.
pub trait CsrfToken {
    /// The token the form came back with.
    fn csrf_token(&self) -> &str;
}

/// A form posted by the signed-in user, accepted only when it carries the session's CSRF
/// token (from the assertion's `csrf` claim, which every page puts in a hidden `csrf` field).
///
/// Taking the form through this extractor is how every `POST` handler checks CSRF: there is
/// no other way to read the body, so a handler cannot forget the check. A body that is not a
/// form of `T` at all is refused the same way, since our own pages never send one.
#[derive(Debug)]
pub struct CsrfForm<T> {
    /// Who posted it.
    pub user: CurrentUser,
    /// The form's fields.
    pub form: T,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + CsrfToken + Send,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let path = parts.uri.path().to_owned();
        let request = Request::from_parts(parts, body);
        let Form(form) = Form::<T>::from_request(request, state)
            .await
            .map_err(|rejection| {
                debug!(path, %rejection, "unreadable form");
                AppError::Csrf
            })?;
        if !same_token(form.csrf_token(), &user.claims.csrf) {
            warn!(path, user = %user.claims.sub, "form refused: CSRF token does not match");
            return Err(AppError::Csrf);
        }
        Ok(CsrfForm { user, form })
    }
}

/// Compares two tokens in time that depends only on their length; an empty token never
/// matches.
pub(crate) fn same_token(sent: &str, expected: &str) -> bool {
    !expected.is_empty()
        && sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The signed-in user as a current member of staff: the assertion verified, and the
/// organisation tables knowing the login as someone who has not retired.
///
/// Every groupware page extracts this rather than [`CurrentUser`]: retired staff stay in the
/// tables for history but are refused here (403), even while the directory still lets them
/// log in.
#[derive(Debug, Clone)]
pub struct CurrentStaff {
    /// What the gateway asserts about the user and the session.
    pub claims: Claims,
    /// The member of staff.
    pub staff: Staff,
}

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        CurrentStaff::of(user, state).await
    }
}

impl CurrentStaff {
    /// `user` as current staff, or [`AppError::NotStaff`]; for handlers that took the user
    /// from a [`CsrfForm`].
    pub async fn of(user: CurrentUser, state: &AppState) -> Result<CurrentStaff, AppError> {
        let CurrentUser { claims } = user;
        match org::store::find_staff_by_login(&state.pool, &claims.sub).await? {
            Some(staff) if staff.employment == Employment::Active => {
                Ok(CurrentStaff { claims, staff })
            }
            Some(_) => {
                debug!(user = %claims.sub, "retired staff refused");
                Err(AppError::NotStaff)
            }
            None => {
                debug!(user = %claims.sub, "login unknown to the organisation tables");
                Err(AppError::NotStaff)
            }
        }
    }
}

/// The language a page is shown in, and whether the user just chose it.
#[derive(Debug, Clone, Copy)]
pub struct PageLang {
    /// The language.
    pub lang: Lang,
    /// Chosen with `?lang=` on this request, so the response remembers it in a cookie.
    chosen: bool,
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

impl FromRequestParts<AppState> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A malformed query string only means no language was asked for.
        let query = Query::<LangQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|Query(q)| q.lang)
            .and_then(|code| Lang::from_code(&code));
        let cookie = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(Lang::from_cookie_header);
        Ok(PageLang {
            lang: Lang::choose(query, cookie, state.default_lang),
            chosen: query.is_some(),
        })
    }
}

impl PageLang {
    /// A personal HTML page: never cached (shared PCs are common in city halls), and
    /// remembering the language when the user just chose it.
    pub fn page(self, html: String) -> Response {
        let mut response = Html(html).into_response();
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.chosen {
            headers.insert(SET_COOKIE, lang_cookie(self.lang));
        }
        response
    }
}

fn lang_cookie(lang: Lang) -> HeaderValue {
    // Static strings rather than formatting: a header value that cannot be invalid. The test
    // below keeps the name in step with `LANG_COOKIE`.
    HeaderValue::from_static(match lang {
        Lang::Ja => "yakuba_lang=ja; Path=/; Max-Age=31536000; SameSite=Lax; Secure; HttpOnly",
        Lang::En => "yakuba_lang=en; Path=/; Max-Age=31536000; SameSite=Lax; Secure; HttpOnly",
    })
}

/// Seconds a client is asked to wait after a busy database (`Retry-After`).
const RETRY_AFTER_SECONDS: &str = "5";

/// Marks `response`, a page shown because the database was busy (a form shown again with
/// its input and the busy message), as `503 Service Unavailable` with `Retry-After`.
pub fn busy(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
    response
}

/// Renders a page template, turning a failure into an [`AppError`].
pub fn render(page: &impl Template) -> Result<String, AppError> {
    page.render().map_err(|e| AppError::Render(Box::new(e)))
}

/// The page every [`AppError`] is shown as: the site's layout, what happened in Japanese
/// and English, and a way back to the portal.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    /// Layout texts (Japanese: the message itself carries both languages).
    t: &'static crate::i18n::Texts,
    /// The page title.
    title: &'static str,
    /// The message, one paragraph per line.
    lines: Vec<&'static str>,
}

fn error_page(status: StatusCode, error: &AppError) -> Response {
    let title = match status {
        StatusCode::UNAUTHORIZED => "認証が必要です / Authentication required",
        StatusCode::NOT_FOUND => "ページが見つかりません / Not found",
        StatusCode::FORBIDDEN => "利用できません / Not allowed",
        StatusCode::SERVICE_UNAVAILABLE => "混み合っています / Busy",
        _ => "エラー / Error",
    };
    let message = error.public_message();
    let page = ErrorPage {
        t: Lang::Ja.texts(),
        title,
        lines: message.lines().filter(|l| !l.is_empty()).collect(),
    };
    // The template has no data that can fail to render; fall back to the text if it does.
    let (content_type, body) = match page.render() {
        Ok(html) => ("text/html; charset=utf-8", html),
        Err(_) => ("text/plain; charset=utf-8", message.to_owned()),
    };
    (
        status,
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match self.severity() {
            Severity::Unauthenticated => StatusCode::UNAUTHORIZED,
            Severity::NotFound => StatusCode::NOT_FOUND,
            Severity::Forbidden => StatusCode::FORBIDDEN,
            Severity::Busy => {
                // Logged once, here, without the user's input; a handler that shows its form
                // again instead logs it itself.
                warn!(error = %self, "database busy: answered 503");
                return busy(error_page(StatusCode::SERVICE_UNAVAILABLE, &self));
            }
            Severity::Internal => {
                // The one place internal errors are logged; the user sees only the message.
                error!(error = %self, "request failed: {self}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        error_page(status, &self)
    }
}

/// Readiness for the gateway and for systemd: the app runs and its database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match store::ping(&state.pool).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(error) => {
            warn!(%error, "health check failed: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Unknown paths: 404 for signed-in users, 401 for everyone else so that the route map is
/// not revealed to anonymous callers.
async fn not_found(_user: CurrentUser) -> AppError {
    AppError::NotFound
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LANG_COOKIE;

    #[test]
    fn csrf_tokens_match_only_exactly_and_never_when_empty() {
        assert!(same_token("abc123", "abc123"));
        assert!(!same_token("abc124", "abc123"));
        assert!(!same_token("abc12", "abc123"));
        assert!(!same_token("", ""));
        assert!(!same_token("abc123 ", "abc123"));
    }

    #[test]
    fn the_language_cookie_is_site_wide_lax_and_secure() {
        for lang in [Lang::Ja, Lang::En] {
            let cookie = lang_cookie(lang);
            let cookie = cookie.to_str().unwrap();
            let prefix = format!("{LANG_COOKIE}={};", lang.code());
            assert!(cookie.starts_with(&prefix), "{cookie}");
            for attribute in ["Path=/", "SameSite=Lax", "Secure"] {
                assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
            }
        }
    }
}
