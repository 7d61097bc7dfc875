//! The user's side of the credential vault and of form-login single sign-on:
//! - `/.yakuba/vault`: the systems the user has stored credentials for (change, remove);
//! - `/.yakuba/vault/{route}`: enrol or update credentials (asked on first use, and again
//!   when the system refuses them);
//! - `/.yakuba/sso/{route}/login`: log into a form-login system server-side and send the
//!   browser on with the system's session cookies;
//! - `/.yakuba/sso/{route}/logged-out`: where the system's own logout leads.
//!
//! Every change and every use of stored credentials is audited (never the secret).

use bytes::Bytes;
use sso::SafeReturnPath;
use sso::session::secrets_equal;

use super::{Incoming, Reply, current_session, query_param};
use crate::audit::{Action, Decision, Record, with_session};
use crate::lang::Lang;
use crate::legacy::{self, SSO_PREFIX, VAULT_PREFIX};
use crate::pages;
use crate::routing::Route;
use crate::sessions::LiveSession;
use crate::state::GatewayState;
use crate::vault::{Credential, MAX_LOGIN, MAX_PASSWORD};

/// Whether `path` is one of this module's.
pub(super) fn handles(path: &str) -> bool {
    path == VAULT_PREFIX
        || path.starts_with(&format!("{VAULT_PREFIX}/"))
        || path.starts_with(SSO_PREFIX)
}

/// Answer a request for one of this module's paths.
pub(super) async fn serve(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    body: Option<Bytes>,
) -> Reply {
    let here = match &req.query {
        Some(q) => format!("{}?{q}", req.path),
        None => req.path.clone(),
    };
    let Some(session) = current_session(state, req).await else {
        return Reply::redirect(
            302,
            crate::access::login_location(&SafeReturnPath::parse_or_root(Some(&here))),
            Decision::RedirectLogin,
            "no_session",
        );
    };
    let parts: Vec<&str> = req.path.split('/').skip(3).collect();
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    let sso = req.path.starts_with(SSO_PREFIX);
    let mut reply = match (sso, method, parts.as_slice()) {
        (false, "GET", []) => list(state, req, lang, &session).await,
        (false, _, []) => method_not_allowed(),
        (_, _, [id, ..]) => match vault_route(state, id, &session, lang) {
            Err(reply) => *reply,
            Ok(route) => match (sso, method, &parts[1..]) {
                (true, "GET", ["login"]) => {
                    super::replay::replay(state, req, lang, &session, route).await
                }
                (true, "GET", ["logged-out"]) => logged_out(lang, &session, route),
                (false, "GET", []) => enrol_page(state, req, lang, &session, route).await,
                (false, "POST", []) => enrol(state, req, lang, &session, route, body).await,
                (false, "POST", ["remove"]) => {
                    remove(state, req, lang, &session, route, body).await
                }
                _ => not_found(lang),
            },
        },
        _ => not_found(lang),
    };
    reply.user = Some(session.identity.user.clone());
    reply.session = Some(session.key.clone());
    reply
}

pub(super) fn not_found(lang: Lang) -> Reply {
    let t = lang.texts();
    Reply::html(
        404,
        pages::message(lang, t.not_found_title, t.not_found_body, None),
        Decision::Deny,
        "no_endpoint",
    )
}

fn method_not_allowed() -> Reply {
    Reply::text(
        405,
        "method not allowed\n",
        Decision::Deny,
        "method_not_allowed",
    )
    .with_header("allow", "GET, HEAD".to_owned())
}

/// The route `id` if it takes vault credentials and the user may open it.
fn vault_route<'s>(
    state: &'s GatewayState,
    id: &str,
    session: &LiveSession,
    lang: Lang,
) -> Result<&'s Route, Box<Reply>> {
    let Some(route) = state
        .routes
        .routes()
        .iter()
        .find(|r| r.id == id && r.uses_vault())
    else {
        return Err(Box::new(not_found(lang)));
    };
    if !route.allows(&session.identity) {
        let t = lang.texts();
        return Err(Box::new(Reply::html(
            403,
            pages::message(lang, t.forbidden_title, t.forbidden_body, None),
            Decision::Deny,
            "policy_denied",
        )));
    }
    Ok(route)
}

pub(super) fn system_name(route: &Route, lang: Lang) -> &str {
    match lang {
        Lang::Ja => &route.name,
        Lang::En => &route.name_en,
    }
}

pub(super) fn audit(
    state: &GatewayState,
    req: &Incoming,
    session: &LiveSession,
    route: &Route,
    decision: Decision,
    reason: &'static str,
) {
    state.audit.record(with_session(
        Record {
            route: Some(route.id.clone()),
            ..req.record(Action::Vault, decision, reason)
        },
        session,
    ));
}

fn render(page: impl askama::Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render a vault page");
        String::from("error")
    })
}

/// Where to go once credentials for `route` are saved: a form-login system is logged into at
/// once; a Basic one is simply opened.
fn after_enrolment(route: &Route, return_to: &str) -> String {
    if route.form_login.is_some() {
        legacy::replay_location(&route.id, return_to)
    } else {
        return_to.to_owned()
    }
}

pub(super) fn return_of(value: Option<&str>, route: &Route) -> String {
    SafeReturnPath::parse(value.unwrap_or_default())
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| route.href_path())
}

#[allow(clippy::too_many_arguments)]
fn enrol_form(
    lang: Lang,
    session: &LiveSession,
    route: &Route,
    return_to: &str,
    login: &str,
    error: Option<&str>,
    status: u16,
    reason: &'static str,
) -> Reply {
    let action = format!("{VAULT_PREFIX}/{}", route.id);
    let html = render(pages::VaultPage {
        t: lang.texts(),
        lang: lang.code(),
        system: system_name(route, lang),
        action: &action,
        csrf: &session.csrf,
        return_to,
        login,
        error,
    });
    Reply::html(status, html, Decision::Served, reason)
}

async fn enrol_page(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    session: &LiveSession,
    route: &Route,
) -> Reply {
    let query = req.query.as_deref();
    let return_to = return_of(query_param(query, "return").as_deref(), route);
    let failed = query_param(query, "failed").is_some();
    // Prefill the login id already stored (a failed login usually means a changed password),
    // else the user's own id, which most systems share with the directory.
    let login = match state.vault.get(&session.identity.user, &route.id).await {
        Ok(Some(credential)) => credential.login,
        Ok(None) => session.identity.user.clone(),
        Err(e) => {
            tracing::error!(error = %e, route = %route.id, "credential vault failed");
            return Reply::store_unavailable(lang);
        }
    };
    let error = failed.then_some(lang.texts().vault_failed);
    enrol_form(
        lang,
        session,
        route,
        &return_to,
        &login,
        error,
        200,
        "vault_form",
    )
}

/// The fields of a posted form.
fn form_fields(body: Option<&Bytes>) -> Vec<(String, String)> {
    body.map(|b| {
        form_urlencoded::parse(b)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The fields of a form posted from one of the user's own pages, or the refusal (audited) of
/// one that carries no valid CSRF token or came from another site.
fn posted_form(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    session: &LiveSession,
    route: &Route,
    body: Option<&Bytes>,
) -> Result<Vec<(String, String)>, Box<Reply>> {
    let fields = form_fields(body);
    if !req.cross_site && secrets_equal(&session.csrf, field(&fields, "csrf").unwrap_or_default()) {
        return Ok(fields);
    }
    audit(
        state,
        req,
        session,
        route,
        Decision::Failure,
        "csrf_mismatch",
    );
    let t = lang.texts();
    Err(Box::new(Reply::html(
        403,
        pages::message(lang, t.form_expired, t.form_invalid, None),
        Decision::Deny,
        "csrf_mismatch",
    )))
}

/// Why entered credentials cannot be used for `route`, if they cannot.
fn credential_problem(route: &Route, login: &str, password: &str) -> Option<&'static str> {
    let has_control = |s: &str| s.chars().any(char::is_control);
    if login.trim().is_empty()
        || password.is_empty()
        || login.len() > MAX_LOGIN
        || password.len() > MAX_PASSWORD
        || has_control(login)
        || has_control(password)
        || (route.form_login.is_none() && login.contains(':'))
    {
        return Some("vault_bad_input");
    }
    if let Some(charset) = route.form_login.as_ref().and_then(|f| f.settings.charset) {
        let encoding = charset.encoding();
        if encoding.encode(login).2 || encoding.encode(password).2 {
            return Some("vault_unencodable");
        }
    }
    None
}

async fn enrol(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    session: &LiveSession,
    route: &Route,
    body: Option<Bytes>,
) -> Reply {
    let fields = match posted_form(state, req, lang, session, route, body.as_ref()) {
        Ok(fields) => fields,
        Err(reply) => return *reply,
    };
    let return_to = return_of(field(&fields, "return"), route);
    let login = field(&fields, "login")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let password = field(&fields, "password").unwrap_or_default().to_owned();
    if let Some(problem) = credential_problem(route, &login, &password) {
        let t = lang.texts();
        let message = if problem == "vault_unencodable" {
            t.vault_unencodable
        } else {
            t.vault_bad_input
        };
        return enrol_form(
            lang,
            session,
            route,
            &return_to,
            &login,
            Some(message),
            400,
            problem,
        );
    }
    let user = &session.identity.user;
    let existed = matches!(state.vault.get(user, &route.id).await, Ok(Some(_)));
    let credential = Credential { login, password };
    if let Err(e) = state.vault.put(user, &route.id, &credential).await {
        tracing::error!(error = %e, route = %route.id, "cannot store credentials");
        return Reply::store_unavailable(lang);
    }
    let reason = if existed {
        "vault_updated"
    } else {
        "vault_enrolled"
    };
    audit(state, req, session, route, Decision::Success, reason);
    Reply::redirect(
        303,
        after_enrolment(route, &return_to),
        Decision::Served,
        reason,
    )
}

async fn remove(
    state: &GatewayState,
    req: &Incoming,
    lang: Lang,
    session: &LiveSession,
    route: &Route,
    body: Option<Bytes>,
) -> Reply {
    if let Err(reply) = posted_form(state, req, lang, session, route, body.as_ref()) {
        return *reply;
    }
    if let Err(e) = state.vault.remove(&session.identity.user, &route.id).await {
        tracing::error!(error = %e, route = %route.id, "cannot remove credentials");
        return Reply::store_unavailable(lang);
    }
    audit(
        state,
        req,
        session,
        route,
        Decision::Success,
        "vault_removed",
    );
    Reply::redirect(
        303,
        format!("{VAULT_PREFIX}?removed=1"),
        Decision::Served,
        "vault_removed",
    )
}

async fn list(state: &GatewayState, req: &Incoming, lang: Lang, session: &LiveSession) -> Reply {
    let stored = match state.vault.systems_of(&session.identity.user).await {
        Ok(stored) => stored,
        Err(e) => {
            tracing::error!(error = %e, "cannot list stored credentials");
            return Reply::store_unavailable(lang);
        }
    };
    let rows = state
        .routes
        .routes()
        .iter()
        .filter(|r| r.uses_vault() && r.allows(&session.identity))
        .map(|r| pages::VaultRowView {
            id: r.id.clone(),
            name: system_name(r, lang).to_owned(),
            updated: stored
                .iter()
                .find(|(system, _)| *system == r.id)
                .map(|(_, at)| pages::jst(*at)),
        })
        .collect();
    let removed = query_param(req.query.as_deref(), "removed").is_some();
    let html = render(pages::VaultListPage {
        t: lang.texts(),
        lang: lang.code(),
        csrf: &session.csrf,
        rows,
        notice: removed.then_some(lang.texts().vault_removed),
    });
    Reply::html(200, html, Decision::Served, "vault_list")
}

fn logged_out(lang: Lang, session: &LiveSession, route: &Route) -> Reply {
    let html = render(pages::LegacyOutPage {
        t: lang.texts(),
        lang: lang.code(),
        system: system_name(route, lang),
        again: &route.href_path(),
        csrf: &session.csrf,
    });
    Reply::html(200, html, Decision::Served, "legacy_logged_out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_are_recognised() {
        assert!(handles("/.yakuba/vault"));
        assert!(handles("/.yakuba/vault/shomu"));
        assert!(handles("/.yakuba/sso/shomu/login"));
        assert!(!handles("/.yakuba/vaults"));
        assert!(!handles("/.yakuba/login"));
    }
}
