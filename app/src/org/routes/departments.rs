//! Changing the department tree from the administration pages: adding a department one level
//! below its parent (a new 課 for April), renaming or reordering one, and on a department's own
//! page moving it under another parent or abolishing (廃止) it with its staff moved elsewhere.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;
use tracing::info;

use super::import::admin_page;
use super::require_admin;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{
    Department, DepartmentId, PlacementProblem, check_placement, indented_names, join_path,
};
use crate::org::store::DepartmentError;
use crate::org::texts::AdminTexts;
use crate::portal::model::Account;
use crate::routes::{CurrentStaff, CurrentUser, PageLang, render};
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
        DepartmentError::Abolished => Some(at.department_is_abolished.to_owned()),
        DepartmentError::Placement(PlacementProblem::WrongLevel { .. }) => {
            Some(at.department_wrong_level.to_owned())
        }
        DepartmentError::Placement(PlacementProblem::UnderItself) => {
            Some(at.department_under_itself.to_owned())
        }
        DepartmentError::Placement(PlacementProblem::ParentAbolished) => {
            Some(at.department_parent_abolished.to_owned())
        }
        DepartmentError::HasSubDepartments => Some(at.department_has_children.to_owned()),
        DepartmentError::HasStaff(n) => {
            Some(at.department_has_staff.replace("{n}", &n.to_string()))
        }
        DepartmentError::BadTarget => Some(at.department_bad_target.to_owned()),
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

/// A department's own page: where it sits, its members, and the forms to move or abolish it.
#[derive(Template)]
#[template(path = "org/department.html")]
struct DepartmentPage {
    t: &'static Texts,
    acct: Account,
    at: &'static AdminTexts,
    id: i64,
    name: String,
    code: String,
    path: String,
    abolished: Option<String>,
    members: String,
    children: Vec<String>,
    /// Whether the top level is a place it may move to (a 局).
    top: bool,
    /// Parents it may move under: id, indented name, whether it is the current one.
    parents: Vec<(i64, String, bool)>,
    /// Departments its staff may move to when it is abolished.
    targets: Vec<(i64, String)>,
    errors: Vec<String>,
}

async fn department_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    department: &Department,
    errors: Vec<String>,
) -> Result<DepartmentPage, AppError> {
    let at = AdminTexts::of(lang);
    let current = org::store::departments(&state.pool).await?;
    let tree = org::store::department_tree(&state.pool).await?;
    let labels = indented_names(&current);
    let path = join_path(&org::store::department_path(&state.pool, department.id).await?);
    let members = org::store::department_members(&state.pool, department.id).await?;
    let parents = current
        .iter()
        .zip(&labels)
        .filter(|(d, _)| check_placement(department, Some(d), &tree).is_ok())
        .map(|(d, label)| (d.id.0, label.clone(), Some(d.id) == department.parent_id))
        .collect();
    let targets = current
        .iter()
        .zip(&labels)
        .filter(|(d, _)| !tree.is_within(d.id, department.id))
        .map(|(d, label)| (d.id.0, label.clone()))
        .collect();
    Ok(DepartmentPage {
        t: lang.texts(),
        acct: crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?,
        at,
        id: department.id.0,
        name: department.name.clone(),
        code: department.code.clone(),
        path,
        abolished: department.abolished_at.map(|at_time| {
            let day = at_time.to_offset(crate::schedule::model::JST).date();
            at.department_abolished_on
                .replace("{date}", &crate::schedule::form::date_text(day))
        }),
        members: at
            .department_members
            .replace("{n}", &members.len().to_string()),
        children: current
            .iter()
            .filter(|d| d.parent_id == Some(department.id))
            .map(|d| d.name.clone())
            .collect(),
        top: check_placement(department, None, &tree).is_ok(),
        parents,
        targets,
        errors,
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&state, &me).await?;
    let department = org::store::find_department(&state.pool, DepartmentId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let page = department_page(&state, &me, lang.lang, &department, Vec::new()).await?;
    Ok(lang.page(render(&page)?))
}

/// The department's page again with the reason a change was refused, answered 422; nothing
/// was changed.
async fn refused_on_page(
    state: &AppState,
    lang: PageLang,
    me: &CurrentStaff,
    id: DepartmentId,
    error: DepartmentError,
) -> Result<Response, AppError> {
    let at = AdminTexts::of(lang.lang);
    let problem = match error {
        DepartmentError::Database(e) => return Err(AppError::Database(e)),
        DepartmentError::NotFound => return Err(AppError::NotFound),
        other => refusal(&other, at).unwrap_or_default(),
    };
    let department = org::store::find_department(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = department_page(state, me, lang.lang, &department, vec![problem]).await?;
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// A posted department id (`""` for none), or the refusal for one that is not a number.
fn posted_department(text: &str) -> Result<Option<DepartmentId>, DepartmentError> {
    match text {
        "" => Ok(None),
        id => id
            .parse()
            .map(|id| Some(DepartmentId(id)))
            .map_err(|_| DepartmentError::UnknownParent),
    }
}

pub(super) async fn relocate(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = super::admins::posted(&state, user, &body).await?;
    let id = DepartmentId(id);
    let moved = match posted_department(field(&pairs, "parent")) {
        Ok(parent) => org::store::move_department(
            &state.pool,
            id,
            parent,
            &me.staff.login,
            OffsetDateTime::now_utc(),
        )
        .await
        .map(|()| parent),
        Err(e) => Err(e),
    };
    match moved {
        Ok(parent) => {
            info!(user.id = %me.staff.id, department.id = %id, parent = ?parent.map(|p| p.0), "department {id} moved");
            audit(
                &state,
                &me,
                "department_moved",
                serde_json::json!({ "department": id.0, "parent": parent.map(|p| p.0) }),
            )
            .await?;
            Ok(Redirect::to(&format!("/admin/org/departments/{id}")).into_response())
        }
        Err(e) => refused_on_page(&state, lang, &me, id, e).await,
    }
}

pub(super) async fn abolish(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let (me, pairs) = super::admins::posted(&state, user, &body).await?;
    let id = DepartmentId(id);
    let abolished = match posted_department(field(&pairs, "move_to")) {
        Ok(move_to) => org::store::abolish_department(
            &state.pool,
            id,
            move_to,
            &me.staff.login,
            OffsetDateTime::now_utc(),
        )
        .await
        .map(|done| (move_to, done)),
        Err(_) => Err(DepartmentError::BadTarget),
    };
    match abolished {
        Ok((move_to, done)) => {
            info!(user.id = %me.staff.id, department.id = %id, moved_staff = done.moved_staff, moved_posts = done.moved_posts, "department {id} abolished");
            audit(
                &state,
                &me,
                "department_abolished",
                serde_json::json!({
                    "department": id.0,
                    "staff_moved_to": move_to.map(|d| d.0),
                    "moved_staff": done.moved_staff,
                    "moved_posts": done.moved_posts,
                }),
            )
            .await?;
            Ok(Redirect::to("/admin/org").into_response())
        }
        Err(e) => refused_on_page(&state, lang, &me, id, e).await,
    }
}

/// An audit record of a change to the tree: moves and abolitions change what function
/// administrators' scopes cover.
async fn audit(
    state: &AppState,
    me: &CurrentStaff,
    what: &'static str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    crate::audit::record(
        state,
        &me.claims,
        crate::audit::AdminAction {
            what,
            target: &me.staff.login,
            detail,
        },
    )
    .await
}
