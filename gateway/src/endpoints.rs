//! Requests the gateway answers itself: login, logout, its stylesheet and health checks.
//!
//! Framework-free: `proxy.rs` reads the Pingora session into an [`Incoming`] and writes the
//! [`Reply`] back.

use std::time::Duration;

use askama::Template as _;
use bytes::Bytes;
use rand::RngCore as _;
use sso::SessionId;
use sso::session::secrets_equal;
use sso::{SafeReturnPath, SessionKey};

use crate::access::LOGIN_PATH;
use crate::audit::{Decision, Kind, Record};
use crate::cookies::{self, CookieValue};
use crate::lang::Lang;
use crate::pages::{self, LoginPage};
use crate::sessions::Lookup;
use crate::state::GatewayState;

/// The administrator's session list.
const ADMIN_SESSIONS: &str = "/.yakuba/admin/sessions";
/// Where the administrator's "end session" form posts.
const ADMIN_END_SESSION: &str = "/.yakuba/admin/sessions/end";
/// Most rows the session list shows without a user filter.
const ADMIN_LIST_LIMIT: i64 = 500;

/// Largest form body accepted by the login and logout endpoints.
pub const MAX_FORM: usize = 16 * 1024;
/// Lifetime of the login form's CSRF cookie.
const LOGIN_FORM_LIFETIME: u64 = 30 * 60;

/// What the gateway needs to know about a request to one of its own endpoints.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: Option<String>,
    /// The session cookie.
    pub session_cookie: CookieValue,
    /// The login form cookie.
    pub login_cookie: CookieValue,
    /// The language cookie.
    pub lang_cookie: Option<String>,
    /// Whether a cross-site origin sent a state-changing request.
    pub cross_site: bool,
    /// Client address, for throttling and audit records.
    pub client: Option<std::net::IpAddr>,
}

/// A response from the gateway itself, with what the audit record should say.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Bytes,
    /// Decision for the request record.
    pub decision: Decision,
    /// Reason code.
    pub reason: &'static str,
    /// User, when known.
    pub user: Option<String>,
    /// Session key, when one is involved.
    pub session: Option<SessionKey>,
}

impl Reply {
    /// An HTML reply.
    pub fn html(status: u16, body: String, decision: Decision, reason: &'static str) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type", "text/html; charset=utf-8".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::from(body),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    /// A plain-text reply.
    pub fn text(
        status: u16,
        body: &'static str,
        decision: Decision,
        reason: &'static str,
    ) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type", "text/plain; charset=utf-8".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::from_static(body.as_bytes()),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    /// A redirect (302 or 303).
    pub fn redirect(
        status: u16,
        location: String,
        decision: Decision,
        reason: &'static str,
    ) -> Reply {
        Reply {
            status,
            headers: vec![
                ("location", location),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::new(),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// Whether the gateway answers `path` itself.
pub fn is_endpoint(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path.starts_with("/.yakuba/")
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn lang_of(req: &Incoming) -> Lang {
    Lang::parse(query_param(req.query.as_deref(), "lang").as_deref())
        .or_else(|| Lang::parse(req.lang_cookie.as_deref()))
        .unwrap_or(Lang::Ja)
}

/// Answer a request for one of the gateway's own paths. `body` is the form body of a POST
/// (already limited to [`MAX_FORM`]).
pub async fn serve(state: &GatewayState, req: &Incoming, body: Option<Bytes>) -> Reply {
    let lang = lang_of(req);
    match (req.method.as_str(), req.path.as_str()) {
        ("GET" | "HEAD", "/healthz") => Reply::text(200, "ok\n", Decision::Served, "health"),
        ("GET" | "HEAD", "/readyz") => readiness(state).await,
        ("GET" | "HEAD", "/.yakuba/static/gateway.css") => Reply {
            headers: vec![
                ("content-type", "text/css; charset=utf-8".to_owned()),
                ("cache-control", "public, max-age=3600".to_owned()),
            ],
            ..Reply::text(200, pages::CSS, Decision::Served, "static")
        },
        ("GET" | "HEAD", LOGIN_PATH) => {
            let notice = if query_param(req.query.as_deref(), "logged_out").is_some() {
                Some(lang.texts().logged_out)
            } else if query_param(req.query.as_deref(), "expired").is_some() {
                Some(lang.texts().session_ended)
            } else {
                None
            };
            let return_to = SafeReturnPath::parse_or_root(
                query_param(req.query.as_deref(), "return_to").as_deref(),
            );
            // Someone already logged in (a bookmarked login page, a second tab) goes on.
            if notice.is_none()
                && let Some(session) = current_session(state, req).await
            {
                let mut reply = Reply::redirect(
                    303,
                    return_to.as_str().to_owned(),
                    Decision::Served,
                    "already_logged_in",
                );
                reply.user = Some(session.identity.user.clone());
                reply.session = Some(session.key.clone());
                return reply;
            }
            let mut reply = login_form(
                state,
                lang,
                return_to.as_str(),
                "",
                None,
                notice,
                200,
                "login_page",
            );
            if query_param(req.query.as_deref(), "lang").is_some() {
                reply = reply.with_header("set-cookie", lang_cookie(lang));
            }
            reply
        }
        ("POST", LOGIN_PATH) => login(state, req, lang, body).await,
        ("GET" | "HEAD", "/.yakuba/logout") => logout_page(state, req, lang).await,
        ("GET" | "HEAD", ADMIN_SESSIONS) => {
            let ended = query_param(req.query.as_deref(), "ended").is_some();
            let notice = ended.then_some(lang.texts().admin_ended);
            admin_sessions(state, req, lang, notice).await
        }
        ("POST", ADMIN_END_SESSION) => admin_end_session(state, req, lang, body).await,
        ("POST", "/.yakuba/logout") => logout(state, req, lang, body).await,
        (_, "/healthz" | "/readyz" | LOGIN_PATH | "/.yakuba/logout") => Reply::text(
            405,
            "method not allowed\n",
            Decision::Deny,
            "method_not_allowed",
        )
        .with_header("allow", "GET, HEAD, POST".to_owned()),
        _ => Reply::html(
            404,
            pages::message(
                lang,
                lang.texts().not_found_title,
                lang.texts().not_found_body,
                None,
            ),
            Decision::Deny,
            "no_endpoint",
        ),
    }
}

fn lang_cookie(lang: Lang) -> String {
    format!(
        "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
        cookies::LANG,
        lang.code()
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per login outcome; a struct would only rename them"
)]
fn login_form(
    state: &GatewayState,
    lang: Lang,
    return_to: &str,
    user: &str,
    error: Option<&str>,
    notice: Option<&str>,
    status: u16,
    reason: &'static str,
) -> Reply {
    let mut nonce_bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut nonce_bytes);
    let nonce: String = nonce_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let csrf = state.sessions.keyer().csrf_token_for_nonce(&nonce);
    let page = LoginPage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &csrf,
        return_to,
        user,
        error,
        notice,
    };
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render login page");
        String::from("login page unavailable")
    });
    let decision = if status == 200 {
        Decision::Served
    } else {
        Decision::Failure
    };
    Reply::html(status, html, decision, reason).with_header(
        "set-cookie",
        cookies::set(
            cookies::LOGIN_NONCE,
            &nonce,
            "Strict",
            Some(LOGIN_FORM_LIFETIME),
        ),
    )
}

/// The fields of the login form.
#[derive(Debug, Default)]
struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    return_to: Option<String>,
}

fn parse_login_form(body: &[u8]) -> Option<LoginForm> {
    // Refuse rather than guess on bodies that are not UTF-8 form data.
    std::str::from_utf8(body).ok()?;
    let mut form = LoginForm::default();
    let mut seen_user = false;
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "user" => {
                form.user = v.into_owned();
                seen_user = true;
            }
            "password" => form.password = v.into_owned(),
            "csrf" => form.csrf = v.into_owned(),
            "return_to" => form.return_to = Some(v.into_owned()),
            _ => {}
        }
    }
    seen_user.then_some(form)
}

async fn login(state: &GatewayState, req: &Incoming, lang: Lang, body: Option<Bytes>) -> Reply {
    let t = lang.texts();
    let audit = |decision, reason: &str, user: Option<&str>, session: Option<&SessionKey>| {
        state.audit.record(&Record {
            client: req.client.map(|ip| ip.to_string()),
            user: user.map(str::to_owned),
            session: session.map(|k| k.as_str().to_owned()),
            method: Some("POST".into()),
            path: Some(LOGIN_PATH.into()),
            ..Record::new(Kind::Login, decision, reason)
        });
    };
    let Some(form) = body.as_deref().and_then(parse_login_form) else {
        audit(Decision::Failure, "malformed_form", None, None);
        return login_form(
            state,
            lang,
            "/",
            "",
            Some(t.form_invalid),
            None,
            400,
            "malformed_form",
        );
    };
    let return_to = SafeReturnPath::parse_or_root(form.return_to.as_deref());
    let csrf_ok = match &req.login_cookie {
        CookieValue::One(nonce) => {
            !req.cross_site
                && secrets_equal(
                    &state.sessions.keyer().csrf_token_for_nonce(nonce),
                    &form.csrf,
                )
        }
        _ => false,
    };
    if !csrf_ok {
        audit(Decision::Failure, "csrf_mismatch", Some(&form.user), None);
        return login_form(
            state,
            lang,
            return_to.as_str(),
            &form.user,
            Some(t.form_expired),
            None,
            403,
            "csrf_mismatch",
        );
    }
    let now = std::time::Instant::now();
    if let Err(banned) = state.throttle.check(&form.user, req.client, now) {
        audit(Decision::Failure, banned.reason(), Some(&form.user), None);
        return login_form(
            state,
            lang,
            return_to.as_str(),
            &form.user,
            Some(t.throttled),
            None,
            429,
            banned.reason(),
        );
    }
    match state.authenticate(&form.user, &form.password).await {
        Ok(identity) => {
            state.throttle.succeeded(&form.user);
            // A login always gets a fresh id; an earlier session in this browser ends.
            if let CookieValue::One(old) = &req.session_cookie
                && let Some(old) = SessionId::parse(old)
                && let Ok(Lookup::Live(previous)) = state.sessions.lookup(&old).await
                && let Err(e) = state.sessions.end(&previous.key).await
            {
                tracing::warn!(error = %e, "cannot end the previous session");
            }
            let user = identity.user.clone();
            if state.max_sessions_per_user > 0 {
                let held = state
                    .sessions
                    .of_user(&user)
                    .await
                    .map(|s| s.len())
                    .unwrap_or(0);
                if held >= state.max_sessions_per_user as usize {
                    audit(Decision::Failure, "session_limit", Some(&user), None);
                    return login_form(
                        state,
                        lang,
                        return_to.as_str(),
                        &user,
                        Some(t.session_limit),
                        None,
                        409,
                        "session_limit",
                    );
                }
            }
            match state.sessions.create(identity).await {
                Ok((id, live)) => {
                    audit(
                        Decision::Success,
                        "authenticated",
                        Some(&user),
                        Some(&live.key),
                    );
                    tracing::info!(user.id = %user, "login");
                    let mut reply = Reply::redirect(
                        303,
                        return_to.as_str().to_owned(),
                        Decision::Success,
                        "authenticated",
                    );
                    reply.user = Some(user);
                    reply.session = Some(live.key.clone());
                    reply
                        .with_header(
                            "set-cookie",
                            cookies::set(cookies::SESSION, id.expose_for_cookie(), "Lax", None),
                        )
                        .with_header("set-cookie", cookies::clear(cookies::LOGIN_NONCE))
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot store a new session");
                    audit(Decision::Failure, "session_store_error", Some(&user), None);
                    login_form(
                        state,
                        lang,
                        return_to.as_str(),
                        &user,
                        Some(t.unavailable_body),
                        None,
                        503,
                        "session_store_error",
                    )
                }
            }
        }
        Err(failure) => {
            // Pad every failure to the same floor before answering.
            tokio::time::sleep_until(tokio::time::Instant::from_std(now + state.failure_delay))
                .await;
            audit(Decision::Failure, failure.reason, Some(&form.user), None);
            // Only the user's own mistakes count; an unreachable directory is not an attack.
            if !failure.unreachable {
                for banned in state.throttle.failed(&form.user, req.client, now) {
                    tracing::warn!(
                        user.id = %form.user,
                        client = ?req.client,
                        reason = banned.reason(),
                        "too many failed logins; further attempts refused for a while"
                    );
                    audit(Decision::Failure, banned.reason(), Some(&form.user), None);
                }
            }
            let message = if failure.unreachable {
                t.directory_unreachable
            } else {
                t.bad_credentials
            };
            let status = if failure.unreachable { 503 } else { 401 };
            login_form(
                state,
                lang,
                return_to.as_str(),
                &form.user,
                Some(message),
                None,
                status,
                failure.reason,
            )
        }
    }
}

async fn current_session(
    state: &GatewayState,
    req: &Incoming,
) -> Option<std::sync::Arc<crate::sessions::LiveSession>> {
    let CookieValue::One(raw) = &req.session_cookie else {
        return None;
    };
    let id = SessionId::parse(raw)?;
    match state.sessions.lookup(&id).await {
        Ok(Lookup::Live(s)) => Some(s),
        _ => None,
    }
}

async fn logout_page(state: &GatewayState, req: &Incoming, lang: Lang) -> Reply {
    let t = lang.texts();
    match current_session(state, req).await {
        Some(s) => {
            let html = pages::message(lang, t.logout_title, t.logout_question, Some(&s.csrf));
            Reply::html(200, html, Decision::Served, "logout_page")
        }
        None => Reply::redirect(303, LOGIN_PATH.to_owned(), Decision::Served, "no_session"),
    }
}

async fn logout(state: &GatewayState, req: &Incoming, lang: Lang, body: Option<Bytes>) -> Reply {
    let csrf = body
        .as_deref()
        .and_then(|b| {
            form_urlencoded::parse(b)
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let Some(session) = current_session(state, req).await else {
        return Reply::redirect(303, LOGIN_PATH.to_owned(), Decision::Served, "no_session")
            .with_header("set-cookie", cookies::clear(cookies::SESSION));
    };
    if req.cross_site || !secrets_equal(&session.csrf, &csrf) {
        state.audit.record(&Record {
            client: req.client.map(|ip| ip.to_string()),
            user: Some(session.identity.user.clone()),
            session: Some(session.key.as_str().to_owned()),
            ..Record::new(Kind::Logout, Decision::Failure, "csrf_mismatch")
        });
        let t = lang.texts();
        let html = pages::message(lang, t.logout_title, t.form_expired, Some(&session.csrf));
        return Reply::html(403, html, Decision::Deny, "csrf_mismatch");
    }
    if let Err(e) = state.sessions.end(&session.key).await {
        tracing::error!(error = %e, "cannot end session at logout");
        let t = lang.texts();
        return Reply::html(
            503,
            pages::message(lang, t.unavailable_title, t.unavailable_body, None),
            Decision::Failure,
            "session_store_error",
        );
    }
    state.audit.record(&Record {
        client: req.client.map(|ip| ip.to_string()),
        user: Some(session.identity.user.clone()),
        session: Some(session.key.as_str().to_owned()),
        ..Record::new(Kind::Logout, Decision::Success, "user")
    });
    let mut reply = Reply::redirect(
        303,
        format!("{LOGIN_PATH}?logged_out=1"),
        Decision::Success,
        "user",
    )
    .with_header("set-cookie", cookies::clear(cookies::SESSION));
    reply.user = Some(session.identity.user.clone());
    reply.session = Some(session.key.clone());
    reply
}

/// The administrator behind this request, or the reply that refuses it.
async fn administrator(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
) -> Result<std::sync::Arc<crate::sessions::LiveSession>, Reply> {
    let t = lang.texts();
    match current_session(state, req).await {
        Some(s) if state.is_admin(&s.identity) => Ok(s),
        Some(_) => Err(Reply::html(
            403,
            pages::message(lang, t.forbidden_title, t.forbidden_body, None),
            Decision::Deny,
            "not_admin",
        )),
        None => Err(Reply::redirect(
            302,
            crate::access::login_location(&SafeReturnPath::parse_or_root(Some(ADMIN_SESSIONS))),
            Decision::RedirectLogin,
            "no_session",
        )),
    }
}

async fn admin_sessions(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    notice: Option<&str>,
) -> Reply {
    let admin = match administrator(state, req, lang).await {
        Ok(admin) => admin,
        Err(reply) => return reply,
    };
    let filter = query_param(req.query.as_deref(), "user").unwrap_or_default();
    let filter = filter.trim();
    let listed = if filter.is_empty() {
        state.sessions.recent(ADMIN_LIST_LIMIT).await
    } else {
        state
            .sessions
            .of_user(&sso::local::normalise_login(filter))
            .await
    };
    let summaries = match listed {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot list sessions");
            let t = lang.texts();
            return Reply::html(
                503,
                pages::message(lang, t.unavailable_title, t.unavailable_body, None),
                Decision::Deny,
                "session_store_error",
            );
        }
    };
    let rows = summaries
        .into_iter()
        .map(|s| pages::SessionRowView {
            user: s.identity.user.clone(),
            name: s.identity.name.clone(),
            department: s.identity.department.clone().unwrap_or_default(),
            method: s.identity.method.as_str(),
            created: pages::jst(s.created_at),
            last_seen: pages::jst(s.last_seen),
            key_short: s.key.as_str().chars().take(12).collect(),
            key: s.key.as_str().to_owned(),
        })
        .collect();
    let page = pages::AdminSessionsPage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &admin.csrf,
        filter,
        rows,
        notice,
    };
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the session list");
        String::from("error")
    });
    let mut reply = Reply::html(200, html, Decision::Served, "admin_sessions");
    reply.user = Some(admin.identity.user.clone());
    reply.session = Some(admin.key.clone());
    reply
}

async fn admin_end_session(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    body: Option<Bytes>,
) -> Reply {
    let admin = match administrator(state, req, lang).await {
        Ok(admin) => admin,
        Err(reply) => return reply,
    };
    let field = |name: &str| {
        body.as_deref().and_then(|b| {
            form_urlencoded::parse(b)
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
    };
    let csrf = field("csrf").unwrap_or_default();
    if req.cross_site || !secrets_equal(&admin.csrf, &csrf) {
        let t = lang.texts();
        return Reply::html(
            403,
            pages::message(lang, t.admin_sessions_title, t.form_expired, None),
            Decision::Deny,
            "csrf_mismatch",
        );
    }
    let key = field("key").unwrap_or_default();
    let well_formed = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Reply::text(
            400,
            "bad session key\n",
            Decision::Deny,
            "malformed_session_key",
        );
    }
    let key = SessionKey::from_stored(key);
    let target = state
        .sessions
        .by_key(&key)
        .await
        .ok()
        .flatten()
        .map(|s| s.identity.user);
    match state.sessions.end(&key).await {
        Ok(existed) => {
            state.audit.record(&Record {
                client: req.client.map(|ip| ip.to_string()),
                user: target.clone(),
                actor: Some(admin.identity.user.clone()),
                session: Some(key.as_str().to_owned()),
                ..Record::new(
                    Kind::Logout,
                    if existed {
                        Decision::Success
                    } else {
                        Decision::Failure
                    },
                    if existed {
                        "admin"
                    } else {
                        "admin_unknown_session"
                    },
                )
            });
            tracing::info!(admin = %admin.identity.user, user.id = ?target, "session ended by an administrator");
            let filter = field("user").unwrap_or_default();
            let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
            let mut reply = Reply::redirect(
                303,
                format!("{ADMIN_SESSIONS}?ended=1&user={encoded}"),
                Decision::Success,
                "admin_end_session",
            );
            reply.user = Some(admin.identity.user.clone());
            reply
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot end a session");
            let t = lang.texts();
            Reply::html(
                503,
                pages::message(lang, t.unavailable_title, t.unavailable_body, None),
                Decision::Deny,
                "session_store_error",
            )
        }
    }
}

async fn readiness(state: &GatewayState) -> Reply {
    let store_ok = crate::store::ping(state.sessions.pool()).await.is_ok();
    let mut lines = vec![format!(
        "session_store {}",
        if store_ok { "ok" } else { "FAIL" }
    )];
    let mut all_ok = store_ok;
    for route in state.routes.routes() {
        let mut reachable = false;
        for addr in &route.upstreams {
            let connect = tokio::net::TcpStream::connect(addr.as_str());
            if matches!(
                tokio::time::timeout(Duration::from_secs(1), connect).await,
                Ok(Ok(_))
            ) {
                reachable = true;
                break;
            }
        }
        all_ok &= reachable;
        lines.push(format!(
            "route {} {}",
            route.id,
            if reachable { "ok" } else { "FAIL" }
        ));
    }
    lines.push(format!("audit_dropped {}", state.audit.dropped()));
    let body = lines.join("\n") + "\n";
    Reply {
        status: if all_ok { 200 } else { 503 },
        body: Bytes::from(body),
        ..Reply::text(
            200,
            "",
            Decision::Served,
            if all_ok { "ready" } else { "not_ready" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_forms_parse_and_junk_is_refused() {
        let f = parse_login_form(b"user=yamada&password=p%26w&csrf=t&return_to=%2Fx").unwrap();
        assert_eq!(
            (f.user.as_str(), f.password.as_str(), f.return_to.as_deref()),
            ("yamada", "p&w", Some("/x"))
        );
        assert!(parse_login_form(b"password=x").is_none());
        assert!(parse_login_form(b"\xff\xfe\x00").is_none());
        let f = parse_login_form("user=%E5%B1%B1%E7%94%B0&password=".as_bytes()).unwrap();
        assert_eq!(f.user, "山田");
    }

    #[test]
    fn gateway_paths_are_recognised() {
        assert!(is_endpoint("/healthz"));
        assert!(is_endpoint("/.yakuba/login"));
        assert!(!is_endpoint("/healthz2"));
        assert!(!is_endpoint("/"));
    }
}
