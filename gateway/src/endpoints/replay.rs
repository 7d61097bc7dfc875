//! The server-side login into a form-login system (`/.yakuba/sso/{route}/login`): log in
//! with the user's stored credentials through `sso::form_login`, then send the browser on
//! with the system's cookies, or to the enrolment page when nothing is stored or the system
//! refuses what is.

use std::sync::Arc;

use sso::SafeReturnPath;

use super::vault::{audit, not_found, return_of, system_name};
use super::{Incoming, Reply, query_param};
use crate::audit::Decision;
use crate::lang::Lang;
use crate::legacy;
use crate::pages;
use crate::routing::Route;
use crate::sessions::LiveSession;
use crate::state::GatewayState;

fn replay_error(lang: Lang, route: &Route, body: &str, status: u16, reason: &'static str) -> Reply {
    let title = format!(
        "{} {}",
        system_name(route, lang),
        lang.texts().unavailable_title
    );
    Reply::html(
        status,
        pages::message(lang, &title, body, None),
        Decision::Deny,
        reason,
    )
}

/// Log into `route`'s form with the user's stored credentials and send the browser on with
/// the system's cookies; send the user to enrol when nothing is stored or the system
/// refuses what is.
pub(super) async fn replay(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    session: &Arc<LiveSession>,
    route: &Route,
) -> Reply {
    let t = lang.texts();
    let Some(form) = &route.form_login else {
        return not_found(lang);
    };
    let return_to = return_of(
        query_param(req.query.as_deref(), "return").as_deref(),
        route,
    );
    let user = &session.identity.user;
    let credential = match state.vault.get(user, &route.id).await {
        Ok(Some(credential)) => credential,
        Ok(None) => {
            return Reply::redirect(
                302,
                legacy::enrol_location(&route.id, &return_to, false),
                Decision::Allow,
                "vault_enrolment_needed",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, route = %route.id, "credential vault failed");
            return Reply::store_unavailable(lang);
        }
    };
    if !state.replays.allow(session.key.as_str(), &route.id) {
        audit(
            state,
            req,
            session,
            route,
            Decision::Failure,
            "form_login_loop",
        );
        return replay_error(lang, route, t.replay_loop, 508, "form_login_loop");
    }
    let upstream = state
        .routes
        .index_of(&route.id)
        .and_then(|idx| state.balancers[idx.0].select(b"", 256))
        .and_then(|backend| backend.addr.as_inet().copied());
    let Some(upstream) = upstream else {
        audit(
            state,
            req,
            session,
            route,
            Decision::Failure,
            "upstream_failed",
        );
        return replay_error(lang, route, t.unavailable_body, 502, "upstream_failed");
    };
    let Ok(origin) = url::Url::parse(&format!("http://{upstream}/")) else {
        return replay_error(lang, route, t.unavailable_body, 502, "upstream_failed");
    };
    let mut extra = vec![("x-forwarded-proto".to_owned(), "https".to_owned())];
    if let Some(host) = &route.upstream_host {
        extra.push(("host".to_owned(), host.clone()));
    }
    if let Some(client) = req.client {
        extra.push(("x-forwarded-for".to_owned(), client.to_string()));
    }
    let outcome = sso::form_login::replay(
        &state.legacy_client,
        &origin,
        &form.settings,
        &credential.login,
        &credential.password,
        &extra,
    )
    .await;
    drop(credential);
    match outcome {
        Ok(sso::form_login::ReplayOutcome::LoggedIn {
            set_cookies,
            location,
        }) => {
            audit(
                state,
                req,
                session,
                route,
                Decision::Success,
                "form_login_replayed",
            );
            state.replays.succeeded(session.key.as_str(), &route.id);
            let mount = |value: &str| {
                if route.strip_prefix {
                    crate::mount::location(&route.prefix, value, &[&upstream.to_string()])
                } else {
                    value.to_owned()
                }
            };
            // Go where the user was going; failing that, where the system sends a new login.
            let asked = query_param(req.query.as_deref(), "return").is_some();
            let target = match location {
                Some(location) if !asked => SafeReturnPath::parse(&mount(&location))
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or(return_to),
                _ => return_to,
            };
            let mut reply = Reply::redirect(302, target, Decision::Allow, "form_login_replayed");
            for cookie in set_cookies {
                if let Some(cookie) = crate::response::upstream_cookie(route, &cookie) {
                    reply.headers.push(("set-cookie", cookie));
                }
            }
            reply
        }
        Ok(sso::form_login::ReplayOutcome::Rejected) => {
            audit(
                state,
                req,
                session,
                route,
                Decision::Failure,
                "form_login_refused",
            );
            state.vault.forget_cached(user, &route.id);
            Reply::redirect(
                302,
                legacy::enrol_location(&route.id, &return_to, true),
                Decision::Allow,
                "form_login_refused",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, route = %route.id, "form login failed");
            audit(
                state,
                req,
                session,
                route,
                Decision::Failure,
                "form_login_error",
            );
            replay_error(lang, route, t.replay_failed, 502, "form_login_error")
        }
    }
}
