//! Logins through OpenID providers: `/.yakuba/oidc/{id}/start` sends the browser to the
//! provider with PKCE, state and nonce; `/.yakuba/oidc/{id}/callback` finishes the login and
//! starts a session; `/.yakuba/oidc/{id}/backchannel-logout` takes the provider's logout
//! tokens and ends the sessions they name.
//!
//! The pending login is kept in the session store under its state (so the callback may reach
//! another gateway), and the state is also put in a `__Host-` cookie: a callback whose state
//! this browser was not given is refused (no login CSRF).

use bytes::Bytes;
use sso::SafeReturnPath;
use sso::session::secrets_equal;

use super::login::{login_form, start_session};
use super::{Incoming, Reply, query_param};
use crate::audit::{Action, Decision, Record};
use crate::cookies;
use crate::idp::Provider;
use crate::lang::Lang;
use crate::sessions::now;
use crate::state::GatewayState;
use crate::store::{IdpLink, PendingRow};

/// Where the provider endpoints live.
pub const PREFIX: &str = "/.yakuba/oidc/";

/// How long a browser may take at the provider.
const PENDING_LIFETIME: i64 = 10 * 60;

/// Answer a request under [`PREFIX`] (`rest` is what follows it).
pub(super) async fn serve(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    body: Option<Bytes>,
    rest: &str,
) -> Reply {
    let provider = rest
        .split_once('/')
        .and_then(|(id, action)| state.idp(id).map(|p| (p, action)));
    match (req.method.as_str(), provider) {
        ("GET" | "HEAD", Some((p, "start"))) => start(state, req, lang, p).await,
        ("GET", Some((p, "callback"))) => callback(state, req, lang, p).await,
        ("POST", Some((p, "backchannel-logout"))) => backchannel(state, req, p, body).await,
        (_, Some((_, "start" | "callback" | "backchannel-logout"))) => Reply::text(
            405,
            "method not allowed\n",
            Decision::Deny,
            "method_not_allowed",
        ),
        _ => Reply::text(404, "not found\n", Decision::Deny, "no_endpoint"),
    }
}

fn audit(
    state: &GatewayState,
    req: &Incoming,
    action: Action,
    decision: Decision,
    reason: &'static str,
    user: Option<String>,
) {
    state.audit.record(Record {
        user,
        ..req.record(action, decision, reason)
    });
}

/// The login page again, with `message`.
fn failed(
    state: &GatewayState,
    lang: Lang,
    message: &str,
    status: u16,
    reason: &'static str,
) -> Reply {
    login_form(state, lang, "/", "", Some(message), None, status, reason)
}

async fn start(state: &GatewayState, req: &Incoming, lang: Lang, provider: &Provider) -> Reply {
    let return_to =
        SafeReturnPath::parse_or_root(query_param(req.query.as_deref(), "return_to").as_deref());
    let client = match provider.client().await {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(idp = provider.id(), error = %e, "OpenID provider unavailable");
            audit(
                state,
                req,
                Action::Login,
                Decision::Failure,
                e.reason(),
                None,
            );
            return failed(
                state,
                lang,
                lang.texts().idp_unreachable,
                503,
                "idp_unreachable",
            );
        }
    };
    let login = client.begin_login();
    let row = PendingRow {
        provider: provider.id().to_owned(),
        pending: match serde_json::to_string(&login.pending) {
            Ok(json) => json,
            Err(_) => return Reply::store_unavailable(lang),
        },
        return_to: return_to.as_str().to_owned(),
        created_at: now(),
    };
    if let Err(e) = state
        .sessions
        .put_pending(login.pending.state(), &row)
        .await
    {
        tracing::error!(error = %e, "cannot keep a pending OpenID login");
        return Reply::store_unavailable(lang);
    }
    let max_age = u64::try_from(PENDING_LIFETIME).unwrap_or(600);
    Reply::redirect(303, login.url.to_string(), Decision::Served, "idp_redirect").with_header(
        "set-cookie",
        // Lax: the provider's redirect back is a cross-site top-level navigation.
        cookies::set(
            cookies::OIDC_STATE,
            login.pending.state(),
            "Lax",
            Some(max_age),
        ),
    )
}

async fn callback(state: &GatewayState, req: &Incoming, lang: Lang, provider: &Provider) -> Reply {
    let t = lang.texts();
    let query = req.query.as_deref();
    let returned_state = query_param(query, "state").unwrap_or_default();
    if let Some(error) = query_param(query, "error") {
        tracing::info!(idp = provider.id(), error = %error, "the OpenID provider refused the login");
        audit(
            state,
            req,
            Action::Login,
            Decision::Failure,
            "idp_error",
            None,
        );
        return failed(state, lang, t.idp_failed, 401, "idp_error");
    }
    let ours = req.oidc_cookie.one().unwrap_or_default();
    if returned_state.is_empty() || !secrets_equal(ours, &returned_state) {
        audit(
            state,
            req,
            Action::Login,
            Decision::Failure,
            "oidc_state_mismatch",
            None,
        );
        return failed(state, lang, t.form_expired, 403, "oidc_state_mismatch");
    }
    let pending = match state.sessions.take_pending(&returned_state).await {
        Ok(Some(row))
            if row.provider == provider.id() && now() - row.created_at <= PENDING_LIFETIME =>
        {
            row
        }
        Ok(_) => {
            audit(
                state,
                req,
                Action::Login,
                Decision::Failure,
                "oidc_unknown_state",
                None,
            );
            return failed(state, lang, t.form_expired, 403, "oidc_unknown_state");
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read a pending OpenID login");
            return Reply::store_unavailable(lang);
        }
    };
    let Ok(login) = serde_json::from_str::<sso::oidc::PendingLogin>(&pending.pending) else {
        return Reply::store_unavailable(lang);
    };
    let code = query_param(query, "code").unwrap_or_default();
    let issuer = query_param(query, "iss");
    let finished = match provider.client().await {
        Ok(client) => {
            client
                .finish_login(&login, &code, &returned_state, issuer.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    let mut done = match finished {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(idp = provider.id(), error = %e, "OpenID login failed");
            audit(
                state,
                req,
                Action::Login,
                Decision::Failure,
                e.reason(),
                None,
            );
            return failed(state, lang, t.idp_failed, 401, e.reason());
        }
    };
    provider.adopt(&mut done.identity);
    if state.local.has(&done.identity.user) {
        let user = Some(done.identity.user.clone());
        audit(
            state,
            req,
            Action::Login,
            Decision::Failure,
            "name_taken_by_local_account",
            user,
        );
        return failed(
            state,
            lang,
            t.idp_failed,
            401,
            "name_taken_by_local_account",
        );
    }
    let link = IdpLink {
        idp: provider.id().to_owned(),
        idp_sub: done.sub.clone(),
        idp_sid: done.sid.clone(),
        id_token: done.id_token.as_str().to_owned(),
        refresh_token: done.refresh_token.as_ref().map(|t| t.as_str().to_owned()),
    };
    let return_to = SafeReturnPath::parse_or_root(Some(&pending.return_to));
    start_session(
        state,
        req,
        lang,
        done.identity,
        Some(link),
        &return_to,
        &req.path,
    )
    .await
    .with_header("set-cookie", cookies::clear(cookies::OIDC_STATE))
}

/// OpenID Connect Back-Channel Logout 1.0: 200 when the token is valid (whether or not a
/// session matched), 400 otherwise.
async fn backchannel(
    state: &GatewayState,
    req: &Incoming,
    provider: &Provider,
    body: Option<Bytes>,
) -> Reply {
    let token = body.as_deref().and_then(|b| {
        form_urlencoded::parse(b)
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.into_owned())
    });
    let refused = |reason: &'static str| {
        audit(state, req, Action::Logout, Decision::Failure, reason, None);
        Reply {
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            ..Reply::text(
                400,
                "{\"error\":\"invalid_request\"}",
                Decision::Deny,
                reason,
            )
        }
    };
    let Some(token) = token else {
        return refused("logout_token_missing");
    };
    let client = match provider.client().await {
        Ok(client) => client,
        Err(e) => return refused(e.reason()),
    };
    let named = match client.validate_logout_token(&token).await {
        Ok(named) => named,
        Err(e) => {
            tracing::warn!(idp = provider.id(), error = %e, "logout token refused");
            return refused(e.reason());
        }
    };
    match state
        .sessions
        .end_idp_login(provider.id(), named.sub.as_deref(), named.sid.as_deref())
        .await
    {
        Ok(ended) => {
            for (key, user) in ended {
                state.audit.record(Record {
                    user: Some(user),
                    session: Some(key.as_str().to_owned()),
                    ..req.record(Action::Logout, Decision::Success, "backchannel")
                });
            }
            Reply::text(200, "", Decision::Success, "backchannel")
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot end sessions for a back-channel logout");
            Reply {
                decision: Decision::Failure,
                ..Reply::text(503, "", Decision::Failure, "session_store_error")
            }
        }
    }
}
