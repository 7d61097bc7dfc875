//! Function administrators (機能管理者): the list per module, granting (own department,
//! chosen departments with everything under them, or all) and revoking.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tracing::info;

use super::require_admin;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, GrantKind, Module, StaffId, indented_names};
use crate::org::store::Grant;
use crate::org::texts::AdminTexts;
use crate::portal::model::Account;
use crate::routes::{CurrentStaff, CurrentUser, PageLang, render, same_token};
use crate::state::AppState;

struct AdminLine {
    staff: i64,
    name: String,
    module: &'static str,
    module_label: &'static str,
    scope: String,
}

#[derive(Template)]
#[template(path = "org/function_admins.html")]
struct AdminsPage {
    t: &'static Texts,
    acct: Account,
    at: &'static AdminTexts,
    lines: Vec<AdminLine>,
    modules: Vec<(&'static str, &'static str)>,
    departments: Vec<(i64, String)>,
    problem: Option<&'static str>,
}

async fn page_data(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    problem: Option<&'static str>,
) -> Result<AdminsPage, AppError> {
    let at = AdminTexts::of(lang);
    let departments = org::store::departments(&state.pool).await?;
    // Grants may still name departments abolished since; they are shown as such.
    let names: std::collections::HashMap<DepartmentId, String> = departments
        .iter()
        .map(|d| (d.id, d.name.clone()))
        .chain(
            org::store::abolished_departments(&state.pool)
                .await?
                .into_iter()
                .map(|d| (d.id, format!("{}{}", d.name, at.department_abolished_mark))),
        )
        .collect();
    let label = |m: Module| match lang {
        Lang::Ja => m.label_ja(),
        Lang::En => m.label_en(),
    };
    let lines = org::store::function_admins(&state.pool)
        .await?
        .into_iter()
        .map(|a| AdminLine {
            staff: a.staff.0,
            name: a.name,
            module: a.module.as_str(),
            module_label: label(a.module),
            scope: match a.grant.kind {
                GrantKind::Own => at.scope_own.to_owned(),
                GrantKind::All => at.scope_all.to_owned(),
                GrantKind::Selected => a
                    .grant
                    .departments
                    .iter()
                    .filter_map(|d| names.get(d).cloned())
                    .collect::<Vec<_>>()
                    .join("、"),
            },
        })
        .collect();
    Ok(AdminsPage {
        t: lang.texts(),
        acct: crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?,
        at,
        lines,
        modules: Module::ALL
            .iter()
            .map(|m| (m.as_str(), label(*m)))
            .collect(),
        departments: departments
            .iter()
            .zip(indented_names(&departments))
            .map(|(d, name)| (d.id.0, name))
            .collect(),
        problem,
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
) -> Result<Response, AppError> {
    require_admin(&state, &me).await?;
    Ok(lang.page(render(&page_data(&state, &me, lang.lang, None).await?)?))
}

/// A posted form's pairs, once its CSRF token matched, and the system administrator who
/// posted it.
pub(super) async fn posted(
    state: &AppState,
    user: CurrentUser,
    body: &[u8],
) -> Result<(CurrentStaff, Vec<(String, String)>), AppError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let sent = pairs
        .iter()
        .find(|(n, _)| n == "csrf")
        .map_or("", |(_, v)| v.as_str());
    if !same_token(sent, &user.claims.csrf) {
        return Err(AppError::Csrf);
    }
    let me = CurrentStaff::of(user, state).await?;
    require_admin(state, &me).await?;
    Ok((me, pairs))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

pub(super) async fn grant(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = posted(&state, user, &body).await?;
    let at = AdminTexts::of(lang.lang);
    let who = field(&pairs, "staff");
    let found = match org::store::find_staff_by_login(&state.pool, who).await? {
        Some(staff) => Some(staff),
        None => org::store::find_staff_by_employee_no(&state.pool, who).await?,
    }
    .filter(|s| s.employment == org::model::Employment::Active);
    let (Some(staff), Some(module), Some(kind)) = (
        found,
        Module::parse(field(&pairs, "module")),
        GrantKind::parse(field(&pairs, "scope")),
    ) else {
        let page = page_data(&state, &me, lang.lang, Some(at.unknown_staff)).await?;
        let mut response = lang.page(render(&page)?);
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let departments: Vec<DepartmentId> = pairs
        .iter()
        .filter(|(n, _)| n == "departments")
        .filter_map(|(_, v)| v.parse().ok())
        .map(DepartmentId)
        .collect();
    if kind == GrantKind::Selected && departments.is_empty() {
        let page = page_data(&state, &me, lang.lang, Some(at.no_departments)).await?;
        let mut response = lang.page(render(&page)?);
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let department_ids: Vec<i64> = departments.iter().map(|d| d.0).collect();
    org::store::grant_function_admin(&state.pool, staff.id, module, &Grant { kind, departments })
        .await?;
    info!(user.id = %me.staff.id, admin.id = %staff.id, module = module.as_str(), scope = kind.as_str(), "function administrator granted");
    crate::audit::record(
        &state,
        &me.claims,
        crate::audit::AdminAction {
            what: "function_admin_granted",
            target: &staff.login,
            detail: serde_json::json!({
                "module": module.as_str(),
                "scope": kind.as_str(),
                "departments": department_ids,
            }),
        },
    )
    .await?;
    Ok(Redirect::to("/admin/function-admins").into_response())
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = posted(&state, user, &body).await?;
    let staff = field(&pairs, "staff")
        .parse()
        .map(StaffId)
        .map_err(|_| AppError::NotFound)?;
    let module = Module::parse(field(&pairs, "module")).ok_or(AppError::NotFound)?;
    let target = org::store::find_staff(&state.pool, staff)
        .await?
        .map(|s| s.login)
        .unwrap_or_else(|| format!("staff:{staff}"));
    org::store::revoke_function_admin(&state.pool, staff, module).await?;
    info!(user.id = %me.staff.id, admin.id = %staff, module = module.as_str(), "function administrator revoked");
    crate::audit::record(
        &state,
        &me.claims,
        crate::audit::AdminAction {
            what: "function_admin_revoked",
            target: &target,
            detail: serde_json::json!({ "module": module.as_str() }),
        },
    )
    .await?;
    Ok(Redirect::to("/admin/function-admins").into_response())
}
