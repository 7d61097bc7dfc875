//! The administrators' page: list live sessions (never their ids, only keyed hashes) and end
//! one, with an audit record naming the administrator.

use sso::SafeReturnPath;

use askama::Template as _;
use bytes::Bytes;
use sso::SessionKey;
use sso::session::secrets_equal;

use super::{Incoming, Reply, current_session, query_param};
use crate::audit::{Action, Decision, Record};
use crate::lang::Lang;
use crate::pages;
use crate::state::GatewayState;

/// The administrator's session list.
pub(super) const SESSIONS: &str = "/.yakuba/admin/sessions";
/// Where the administrator's "end session" form posts.
pub(super) const END_SESSION: &str = "/.yakuba/admin/sessions/end";
/// Most rows the session list shows without a user filter.
const LIST_LIMIT: i64 = 500;

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
            crate::access::login_location(&SafeReturnPath::parse_or_root(Some(SESSIONS))),
            Decision::RedirectLogin,
            "no_session",
        )),
    }
}

/// The list of live sessions, filtered by user.
pub(super) async fn sessions_page(state: &GatewayState, req: &Incoming, lang: Lang) -> Reply {
    let ended = query_param(req.query.as_deref(), "ended").is_some();
    let notice = ended.then_some(lang.texts().admin_ended);
    let admin = match administrator(state, req, lang).await {
        Ok(admin) => admin,
        Err(reply) => return reply,
    };
    let filter = query_param(req.query.as_deref(), "user").unwrap_or_default();
    let filter = filter.trim();
    let listed = if filter.is_empty() {
        state.sessions.recent(LIST_LIMIT).await
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
            return Reply::store_unavailable(lang);
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

/// End the session an administrator picked.
pub(super) async fn end_session(
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
            let (decision, reason) = if existed {
                (Decision::Success, "admin")
            } else {
                (Decision::Failure, "admin_unknown_session")
            };
            // The actor is the administrator; the user whose session ended is the target.
            let record = Record {
                user: target.clone(),
                actor: Some(admin.identity.user.clone()),
                department: admin.identity.department.clone(),
                auth_method: Some(admin.identity.method.as_str()),
                session: Some(key.as_str().to_owned()),
                ..req.record(Action::Logout, decision, reason)
            };
            // The session has ended either way; the wait puts the record on disk first.
            let _ = state.audit.record_durable(record).await;
            tracing::info!(admin = %admin.identity.user, user.id = ?target, "session ended by an administrator");
            let filter = field("user").unwrap_or_default();
            let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
            let mut reply = Reply::redirect(
                303,
                format!("{SESSIONS}?ended=1&user={encoded}"),
                Decision::Success,
                "admin_end_session",
            );
            reply.user = Some(admin.identity.user.clone());
            reply
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot end a session");
            Reply::store_unavailable(lang)
        }
    }
}
