//! The audit view (`/audit`): the security team searches the gateway's and the app's audit
//! segments by user, JST time, system, decision, status and kind, newest first. Opening it
//! is itself recorded.

use askama::Template;
use axum::Router;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use sso::audit::{Decision, Record};

use super::model::{Filter, FilterProblem, Row, is_security};
use super::texts::AuditTexts;
use crate::error::AppError;
use crate::i18n::Texts;
use crate::portal::model::{Account, UserHeader};
use crate::routes::{CurrentUser, PageLang, render};
use crate::state::AppState;

/// The audit routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

/// Middleware: the gateway's request id (`X-Request-Id`, which the gateway sets and never
/// takes from a client) for the audit records the request makes. Anything that is not the
/// gateway's form of id is ignored.
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=40).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        })
        .map(str::to_owned);
    super::with_request_id(id, next.run(request)).await
}

/// Decisions offered in the form.
const DECISIONS: [&str; 6] = [
    "allow",
    "deny",
    "redirect_login",
    "served",
    "success",
    "failure",
];
/// Kinds offered in the form.
const ACTIONS: [&str; 8] = [
    "request", "login", "logout", "lockout", "vault", "config", "admin", "audit",
];

#[derive(Template)]
#[template(path = "audit/index.html")]
struct AuditPage {
    t: &'static Texts,
    acct: Account,
    at: &'static AuditTexts,
    filter: Filter,
    decisions: &'static [&'static str],
    actions: &'static [&'static str],
    problems: Vec<&'static str>,
    rows: Vec<Row>,
    truncated: bool,
    searched: bool,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: PageLang,
    Query(filter): Query<Filter>,
) -> Result<Response, AppError> {
    let settings = state.audit.settings();
    if !is_security(&user.claims, &settings.security_groups) {
        tracing::warn!(user.id = %user.claims.sub, "audit view refused: not in a security group");
        return Err(AppError::Forbidden);
    }
    let at = AuditTexts::of(lang.lang);
    let t = lang.lang.texts();
    let mut page = AuditPage {
        t,
        acct: Account {
            user: UserHeader::new(&user.claims, None, t),
            other: lang.lang.other().texts(),
            csrf: user.claims.csrf.clone(),
        },
        at,
        filter: filter.clone(),
        decisions: &DECISIONS,
        actions: &ACTIONS,
        problems: Vec::new(),
        rows: Vec::new(),
        truncated: false,
        searched: false,
    };
    if settings.view_dirs.is_empty() {
        page.problems.push(at.not_configured);
        return Ok(lang.page(render(&page)?));
    }
    match filter.query() {
        Err(problems) => {
            page.problems = problems
                .into_iter()
                .map(|p| match p {
                    FilterProblem::Time => at.bad_time,
                    FilterProblem::Status => at.bad_status,
                    FilterProblem::Decision => at.bad_decision,
                })
                .collect();
        }
        Ok(query) => {
            state.audit.record(Record {
                detail: Some(serde_json::json!({
                    "user": filter.user, "from": filter.from, "to": filter.to,
                    "route": filter.route, "decision": filter.decision,
                    "status": filter.status, "action": filter.action,
                })),
                ..super::trail::by(&user.claims, Decision::Success, "audit_log_viewed")
            });
            let dirs = settings.view_dirs.clone();
            // Reading segment files is blocking IO.
            let found =
                tokio::task::spawn_blocking(move || sso::audit::search::search(&dirs, &query))
                    .await;
            match found {
                Ok(Ok(found)) => {
                    page.rows = found
                        .hits
                        .iter()
                        .map(|h| Row::from_record(&h.text))
                        .collect();
                    page.truncated = found.truncated;
                    page.searched = true;
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "cannot read the audit log for the view");
                    page.problems.push(at.unreadable);
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit search task failed");
                    page.problems.push(at.unreadable);
                }
            }
        }
    }
    Ok(lang.page(render(&page)?))
}
