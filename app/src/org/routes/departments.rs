//! Changing the department tree from the administration page: adding a department one level
//! below its parent (a new 課 for April), and renaming or reordering one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tracing::info;

use super::import::admin_page;
use crate::error::AppError;
use crate::org;
use crate::org::model::DepartmentId;
use crate::org::store::DepartmentError;
use crate::org::texts::AdminTexts;
use crate::routes::{CurrentUser, PageLang, render};
use crate::state::AppState;

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

/// What the user is told when a change is refused; `None` for failures that are ours.
fn refusal(error: &DepartmentError, at: &AdminTexts) -> Option<String> {
    match error {
        DepartmentError::UnknownParent | DepartmentError::NotFound => {
            Some(at.department_unknown.to_owned())
        }
        DepartmentError::TooDeep => Some(at.department_too_deep.to_owned()),
        DepartmentError::CodeTaken(code) => Some(at.department_code_taken.replace("{code}", code)),
        DepartmentError::Database(_) => None,
    }
}

/// The overview again with `problem`, answered 422.
async fn refused(
    state: &AppState,
    lang: PageLang,
    me: &crate::routes::CurrentStaff,
    problem: String,
) -> Result<Response, AppError> {
    let mut page = admin_page(state, me, lang.lang).await?;
    page.errors = vec![problem];
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

pub(super) async fn add(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = super::admins::posted(&state, user, &body).await?;
    let at = AdminTexts::of(lang.lang);
    let code = field(&pairs, "code");
    let name = field(&pairs, "name");
    let order = field(&pairs, "display_order").parse::<i32>().ok();
    let parent = match field(&pairs, "parent") {
        "" => None,
        id => match id.parse() {
            Ok(id) => Some(DepartmentId(id)),
            Err(_) => return refused(&state, lang, &me, at.department_unknown.to_owned()).await,
        },
    };
    let (false, false, Some(order)) = (
        code.is_empty() || code.chars().count() > 20,
        name.is_empty() || name.chars().count() > 50,
        order,
    ) else {
        return refused(&state, lang, &me, at.department_fields.to_owned()).await;
    };
    match org::store::add_department(&state.pool, code, name, parent, order).await {
        Ok(id) => {
            info!(user.id = %me.staff.id, department.id = %id, "department {code} added");
            Ok(Redirect::to("/admin/org").into_response())
        }
        Err(DepartmentError::Database(e)) => Err(AppError::Database(e)),
        Err(e) => refused(&state, lang, &me, refusal(&e, at).unwrap_or_default()).await,
    }
}

pub(super) async fn update(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = super::admins::posted(&state, user, &body).await?;
    let at = AdminTexts::of(lang.lang);
    let name = field(&pairs, "name");
    let (false, Some(order)) = (
        name.is_empty() || name.chars().count() > 50,
        field(&pairs, "display_order").parse::<i32>().ok(),
    ) else {
        return refused(&state, lang, &me, at.department_fields.to_owned()).await;
    };
    match org::store::update_department(&state.pool, DepartmentId(id), name, order).await {
        Ok(()) => {
            info!(user.id = %me.staff.id, department.id = id, "department {id} renamed or reordered");
            Ok(Redirect::to("/admin/org").into_response())
        }
        Err(DepartmentError::Database(e)) => Err(AppError::Database(e)),
        Err(e) => refused(&state, lang, &me, refusal(&e, at).unwrap_or_default()).await,
    }
}
