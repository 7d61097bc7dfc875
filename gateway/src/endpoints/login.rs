//! Logging in and out: the login form with its CSRF nonce, checking credentials (with
//! throttling, a timing floor and the concurrent-session limit), and ending a session.

use rand::RngCore as _;
use sso::{SafeReturnPath, SessionId};

use askama::Template as _;
use bytes::Bytes;
use sso::SessionKey;
use sso::session::secrets_equal;

use super::{Incoming, Reply, current_session, query_param};
use crate::access::LOGIN_PATH;
use crate::audit::{Action, Decision, Record, with_session};
use crate::cookies::{self, CookieValue};
use crate::lang::Lang;
use crate::pages;
use crate::pages::LoginPage;
use crate::sessions::Lookup;
use crate::state::GatewayState;
use crate::store::IdpLink;

/// Lifetime of the login form's CSRF cookie.
const LOGIN_FORM_LIFETIME: u64 = 30 * 60;

/// The login form, or straight on for someone already logged in.
pub(super) async fn page(state: &GatewayState, req: &Incoming, lang: Lang) -> Reply {
    let notice = if query_param(req.query.as_deref(), "logged_out").is_some() {
        Some(lang.texts().logged_out)
    } else if query_param(req.query.as_deref(), "expired").is_some() {
        Some(lang.texts().session_ended)
    } else {
        None
    };
    let return_to =
        SafeReturnPath::parse_or_root(query_param(req.query.as_deref(), "return_to").as_deref());
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
pub(super) fn login_form(
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
    let idps = state
        .idps
        .iter()
        .map(|p| {
            let label = match lang {
                Lang::Ja => p.settings.display_name.ja.as_str(),
                Lang::En => p.settings.display_name.en.as_str(),
            };
            let href = format!(
                "/.yakuba/oidc/{}/start?return_to={}",
                p.id(),
                percent_encoding::utf8_percent_encode(
                    return_to,
                    percent_encoding::NON_ALPHANUMERIC
                )
            );
            (href, label)
        })
        .collect();
    let page = LoginPage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &csrf,
        return_to,
        user,
        error,
        notice,
        idps,
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

/// Check a posted login form and start a session.
pub(super) async fn submit(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    body: Option<Bytes>,
) -> Reply {
    let t = lang.texts();
    let audit = |decision, reason: &'static str, user: Option<&str>| {
        state.audit.record(Record {
            user: user.map(str::to_owned),
            ..req.record(Action::Login, decision, reason)
        });
    };
    let Some(form) = body.as_deref().and_then(parse_login_form) else {
        audit(Decision::Failure, "malformed_form", None);
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
        audit(Decision::Failure, "csrf_mismatch", Some(&form.user));
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
        audit(Decision::Failure, banned.reason(), Some(&form.user));
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
            start_session(state, req, lang, identity, None, &return_to, LOGIN_PATH).await
        }
        Err(failure) => {
            // Pad every failure to the same floor before answering.
            tokio::time::sleep_until(tokio::time::Instant::from_std(now + state.failure_delay))
                .await;
            audit(Decision::Failure, failure.reason, Some(&form.user));
            // Only the user's own mistakes count; an unreachable directory is not an attack.
            if !failure.unreachable {
                for banned in state.throttle.failed(&form.user, req.client, now) {
                    tracing::warn!(
                        user.id = %form.user,
                        client = ?req.client,
                        reason = banned.reason(),
                        "too many failed logins; further attempts refused for a while"
                    );
                    state.audit.record(Record {
                        user: Some(form.user.clone()),
                        ..req.record(Action::Lockout, Decision::Failure, banned.reason())
                    });
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

/// Start a session for someone who has just proved who they are (by password or at an
/// OpenID provider): a fresh id always, the browser's earlier session ended, the
/// concurrent-session limit applied, then the session cookie and a redirect to `return_to`.
pub(super) async fn start_session(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    identity: sso::Identity,
    link: Option<IdpLink>,
    return_to: &SafeReturnPath,
    path: &str,
) -> Reply {
    let t = lang.texts();
    let audit = |decision, reason: &'static str, user: &str| {
        state.audit.record(Record {
            user: Some(user.to_owned()),
            path: Some(path.to_owned()),
            ..req.record(Action::Login, decision, reason)
        });
    };
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
            audit(Decision::Failure, "session_limit", &user);
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
    match state.sessions.create(identity.clone(), link.as_ref()).await {
        Ok((id, live)) => {
            // The login is on disk before the browser gets its session (under `fail_closed`,
            // a login the audit log cannot record does not happen).
            let record = Record {
                path: Some(path.to_owned()),
                groups: identity.groups.clone(),
                ..with_session(
                    req.record(Action::Login, Decision::Success, "authenticated"),
                    &live,
                )
            };
            if state.audit.record_durable(record).await.is_err() {
                if let Err(e) = state.sessions.end(&live.key).await {
                    tracing::error!(error = %e, "cannot end a session whose login was not recorded");
                }
                state.audit.record(with_session(
                    req.record(Action::Logout, Decision::Success, "audit_unavailable"),
                    &live,
                ));
                return login_form(
                    state,
                    lang,
                    return_to.as_str(),
                    &user,
                    Some(t.audit_unavailable_body),
                    None,
                    503,
                    "audit_unavailable",
                );
            }
            tracing::info!(user.id = %user, method = identity.method.as_str(), "login");
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
            audit(Decision::Failure, "session_store_error", &user);
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

/// The logout confirmation page (for links; the portal posts directly).
pub(super) async fn logout_page(state: &GatewayState, req: &Incoming, lang: Lang) -> Reply {
    let t = lang.texts();
    match current_session(state, req).await {
        Some(s) => {
            let html = pages::message(lang, t.logout_title, t.logout_question, Some(&s.csrf));
            Reply::html(200, html, Decision::Served, "logout_page")
        }
        None => Reply::redirect(303, LOGIN_PATH.to_owned(), Decision::Served, "no_session"),
    }
}

/// End the current session.
pub(super) async fn logout(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    body: Option<Bytes>,
) -> Reply {
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
        state.audit.record(with_session(
            req.record(Action::Logout, Decision::Failure, "csrf_mismatch"),
            &session,
        ));
        let t = lang.texts();
        let html = pages::message(lang, t.logout_title, t.form_expired, Some(&session.csrf));
        return Reply::html(403, html, Decision::Deny, "csrf_mismatch");
    }
    // A session from an OpenID provider also ends there (RP-initiated logout), if it can.
    let idp_logout = idp_logout_url(state, &session.key).await;
    if let Err(e) = state.sessions.end(&session.key).await {
        tracing::error!(error = %e, "cannot end session at logout");
        return Reply {
            decision: Decision::Failure,
            ..Reply::store_unavailable(lang)
        };
    }
    // The session has ended whatever happens here; waiting only orders the record before the
    // answer, so that a crash cannot leave a logout the user saw but the log lacks.
    let _ = state
        .audit
        .record_durable(with_session(
            req.record(Action::Logout, Decision::Success, "user"),
            &session,
        ))
        .await;
    let mut reply = Reply::redirect(
        303,
        idp_logout.unwrap_or_else(|| format!("{LOGIN_PATH}?logged_out=1")),
        Decision::Success,
        "user",
    )
    .with_header("set-cookie", cookies::clear(cookies::SESSION));
    reply.user = Some(session.identity.user.clone());
    reply.session = Some(session.key.clone());
    reply
}

/// The provider's end-session URL for the session `key`, if it came from a provider that
/// has one.
async fn idp_logout_url(state: &GatewayState, key: &SessionKey) -> Option<String> {
    let link = state.sessions.idp_link(key).await.ok().flatten()?;
    let provider = state.idp(&link.idp)?;
    let client = provider.client().await.ok()?;
    let hint = sso::oidc::IdTokenHint::from_stored(link.id_token);
    let after = provider.settings.post_logout_redirect_url.as_deref();
    client
        .logout_url(Some(&hint), after, None)
        .map(|url| url.to_string())
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
}
