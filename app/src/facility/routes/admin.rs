//! Facility administration (`/facilities/admin`): a function administrator lists the
//! facilities of the departments in their scope, adds and edits them (rules included), and a
//! city-wide one adds categories. Every action checks the scope on the server.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tracing::{info, warn};

use super::{Chrome, Frame, parse_id, rights_of, see_other};
use crate::error::{AppError, busy_notice, is_busy};
use crate::facility::form::{CategoryForm, FacilityForm};
use crate::facility::model::{Approval, BookerRights, Bookers, FacilityId, FacilityInput, Rules};
use crate::facility::store;
use crate::facility::texts::FacilityTexts;
use crate::i18n::Texts;
use crate::org;
use crate::org::model::{Scope, indented_names};
use crate::portal::model::Account;
use crate::routes::{CsrfForm, CurrentStaff, PageLang, busy, render};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Notice {
    saved: String,
}

struct FacilityLine {
    id: i64,
    category: String,
    name: String,
    place: String,
    department: String,
    restricted: bool,
    in_service: bool,
}

#[derive(Template)]
#[template(path = "facility/admin.html")]
struct AdminPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    facilities: Vec<FacilityLine>,
    categories: Vec<String>,
    manage_categories: bool,
    category_problem: Option<String>,
    category_name: String,
    notice: bool,
}

/// The administrator's facilities and the categories.
pub(super) async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let rights = administrator(&state, &me).await?;
    show_list(
        &state,
        &me,
        &rights,
        lang,
        None,
        String::new(),
        notice.saved == "1",
        StatusCode::OK,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, shown from two handlers"
)]
async fn show_list(
    state: &AppState,
    me: &CurrentStaff,
    rights: &BookerRights,
    lang: PageLang,
    category_problem: Option<String>,
    category_name: String,
    notice: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } =
        Frame::new(state, me, rights.scope.is_admin(), lang.lang, "admin").await?;
    let categories = store::categories(&state.pool).await?;
    let departments = org::store::departments(&state.pool).await?;
    let department_name = |id| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let category_name_of = |id| {
        categories
            .iter()
            .find(|s| s.category.id == id)
            .map(|s| s.category.name.clone())
            .unwrap_or_default()
    };
    let facilities = store::all_facilities(&state.pool)
        .await?
        .into_iter()
        .filter(|f| rights.administers(f.department_id))
        .map(|f| FacilityLine {
            id: f.id.0,
            category: category_name_of(f.category_id),
            name: f.name,
            place: f.place,
            department: department_name(f.department_id),
            restricted: f.rules.approval == Approval::Required,
            in_service: f.in_service,
        })
        .collect();
    let page = AdminPage {
        facilities,
        categories: categories.iter().map(|s| s.category.name.clone()).collect(),
        manage_categories: rights.scope == Scope::All,
        category_problem,
        category_name,
        notice,
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response)
}

/// Adds a category; only a city-wide facility administrator may.
pub(super) async fn add_category(
    State(state): State<AppState>,
    lang: PageLang,
    posted: CsrfForm<CategoryForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let rights = administrator(&state, &me).await?;
    if rights.scope != Scope::All {
        return Err(AppError::Forbidden);
    }
    let ft = FacilityTexts::of(lang.lang);
    let problem = match posted.form.parse(ft) {
        Err(problem) => problem,
        Ok(name) => {
            if store::category_by_name(&state.pool, &name).await?.is_some() {
                ft.error_category_exists.to_owned()
            } else {
                let id = match store::insert_category(&state.pool, &name).await {
                    Ok(id) => id,
                    Err(error) if is_busy(&error) => {
                        warn!(user.id = %me.staff.id, %error, "database busy: category form shown again");
                        let page = show_list(
                            &state,
                            &me,
                            &rights,
                            lang,
                            Some(busy_notice(lang.lang).to_owned()),
                            posted.form.name,
                            false,
                            StatusCode::SERVICE_UNAVAILABLE,
                        )
                        .await?;
                        return Ok(busy(page));
                    }
                    Err(error) => return Err(error.into()),
                };
                info!(user.id = %me.staff.id, category.id = %id, "added facility category {id}");
                audit(
                    &state,
                    &me,
                    "facility_category_added",
                    serde_json::json!({
                        "category": id.0,
                        "name": name,
                    }),
                )
                .await?;
                return Ok(see_other("/facilities/admin?saved=1"));
            }
        }
    };
    show_list(
        &state,
        &me,
        &rights,
        lang,
        Some(problem),
        posted.form.name,
        false,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "facility/facility_form.html")]
struct FacilityFormPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    title: &'static str,
    action: String,
    form: FacilityForm,
    problems: Vec<String>,
    categories: Vec<Choice>,
    departments: Vec<Choice>,
    approvals: Vec<Choice>,
    bookers: Vec<Choice>,
}

/// The form for a new facility, in the administrator's own department by default.
pub(super) async fn new_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
) -> Result<Response, AppError> {
    let rights = administrator(&state, &me).await?;
    let categories = store::categories(&state.pool).await?;
    let Some(first) = categories.first() else {
        return Err(AppError::NotFound);
    };
    let form = FacilityForm::from_input(&FacilityInput {
        category_id: first.category.id,
        name: String::new(),
        place: String::new(),
        capacity: None,
        department_id: me.staff.department_id,
        rules: Rules::DEFAULT,
        note: String::new(),
        in_service: true,
    });
    show_form(
        &state,
        &me,
        &rights,
        lang,
        None,
        form,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Creates a facility in a department the administrator's scope covers.
pub(super) async fn create(
    State(state): State<AppState>,
    lang: PageLang,
    posted: CsrfForm<FacilityForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let rights = administrator(&state, &me).await?;
    match parse(&state, &rights, &posted.form, lang).await? {
        Ok(input) => {
            let id = match store::insert_facility(&state.pool, &input).await {
                Ok(id) => id,
                Err(error) if is_busy(&error) => {
                    warn!(user.id = %me.staff.id, %error, "database busy: facility form shown again");
                    let problems = vec![busy_notice(lang.lang).to_owned()];
                    let page = show_form(
                        &state,
                        &me,
                        &rights,
                        lang,
                        None,
                        posted.form,
                        problems,
                        StatusCode::SERVICE_UNAVAILABLE,
                    )
                    .await?;
                    return Ok(busy(page));
                }
                Err(error) => return Err(error.into()),
            };
            info!(user.id = %me.staff.id, facility.id = %id, "added facility {id}");
            audit(&state, &me, "facility_added", describe(id, &input)).await?;
            Ok(see_other("/facilities/admin?saved=1"))
        }
        Err(problems) => {
            show_form(
                &state,
                &me,
                &rights,
                lang,
                None,
                posted.form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The form for an existing facility in the administrator's scope.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let rights = administrator(&state, &me).await?;
    let facility = store::facility(&state.pool, FacilityId(parse_id(&id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if !rights.administers(facility.department_id) {
        return Err(AppError::Forbidden);
    }
    let form = FacilityForm::from_input(&FacilityInput {
        category_id: facility.category_id,
        name: facility.name,
        place: facility.place,
        capacity: facility.capacity,
        department_id: facility.department_id,
        rules: facility.rules,
        note: facility.note,
        in_service: facility.in_service,
    });
    show_form(
        &state,
        &me,
        &rights,
        lang,
        Some(facility.id),
        form,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Saves a facility: the administrator must cover both its current and its new department.
pub(super) async fn update(
    State(state): State<AppState>,
    lang: PageLang,
    Path(id): Path<String>,
    posted: CsrfForm<FacilityForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let rights = administrator(&state, &me).await?;
    let facility = store::facility(&state.pool, FacilityId(parse_id(&id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if !rights.administers(facility.department_id) {
        return Err(AppError::Forbidden);
    }
    match parse(&state, &rights, &posted.form, lang).await? {
        Ok(input) => {
            match store::update_facility(&state.pool, facility.id, &input).await {
                Ok(_) => {}
                Err(error) if is_busy(&error) => {
                    warn!(user.id = %me.staff.id, facility.id = %facility.id, %error, "database busy: facility form shown again");
                    let problems = vec![busy_notice(lang.lang).to_owned()];
                    let page = show_form(
                        &state,
                        &me,
                        &rights,
                        lang,
                        Some(facility.id),
                        posted.form,
                        problems,
                        StatusCode::SERVICE_UNAVAILABLE,
                    )
                    .await?;
                    return Ok(busy(page));
                }
                Err(error) => return Err(error.into()),
            }
            info!(user.id = %me.staff.id, facility.id = %facility.id, "changed facility {}", facility.id);
            audit(
                &state,
                &me,
                "facility_changed",
                describe(facility.id, &input),
            )
            .await?;
            Ok(see_other("/facilities/admin?saved=1"))
        }
        Err(problems) => {
            show_form(
                &state,
                &me,
                &rights,
                lang,
                Some(facility.id),
                posted.form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

async fn parse(
    state: &AppState,
    rights: &BookerRights,
    form: &FacilityForm,
    lang: PageLang,
) -> Result<Result<FacilityInput, Vec<String>>, AppError> {
    let categories = store::categories(&state.pool).await?;
    Ok(form.parse(
        FacilityTexts::of(lang.lang),
        |id| categories.iter().any(|s| s.category.id == id),
        // A department exists when the tree holds it (it lies within itself).
        |department| {
            rights.tree.is_within(department, department) && rights.administers(department)
        },
    ))
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, shown from four handlers"
)]
async fn show_form(
    state: &AppState,
    me: &CurrentStaff,
    rights: &BookerRights,
    lang: PageLang,
    id: Option<FacilityId>,
    mut form: FacilityForm,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } =
        Frame::new(state, me, rights.scope.is_admin(), lang.lang, "admin").await?;
    let ft = c.ft;
    form.csrf = c.csrf.clone();
    let categories = store::categories(&state.pool)
        .await?
        .into_iter()
        .map(|s| Choice {
            selected: s.category.id.0.to_string() == form.category,
            value: s.category.id.0.to_string(),
            label: s.category.name,
        })
        .collect();
    let all = org::store::departments(&state.pool).await?;
    let departments = all
        .iter()
        .zip(indented_names(&all))
        .filter(|(d, _)| rights.administers(d.id))
        .map(|(d, label)| Choice {
            selected: d.id.0.to_string() == form.department,
            value: d.id.0.to_string(),
            label,
        })
        .collect();
    let approvals = [
        (Approval::Automatic, ft.approval_automatic),
        (Approval::Required, ft.approval_required),
    ]
    .into_iter()
    .map(|(a, label)| Choice {
        selected: a.as_str() == form.approval,
        value: a.as_str().to_owned(),
        label: label.to_owned(),
    })
    .collect();
    let bookers = Bookers::ALL
        .into_iter()
        .map(|b| Choice {
            selected: b.as_str() == form.bookers,
            value: b.as_str().to_owned(),
            label: match b {
                Bookers::Everyone => ft.bookers_everyone,
                Bookers::Department => ft.bookers_department,
                Bookers::Administrators => ft.bookers_administrators,
            }
            .to_owned(),
        })
        .collect();
    let page = FacilityFormPage {
        title: if id.is_some() {
            ft.facility_edit_title
        } else {
            ft.facility_new_title
        },
        action: id.map_or_else(
            || "/facilities/admin/new".to_owned(),
            |id| format!("/facilities/admin/{id}"),
        ),
        form,
        problems,
        categories,
        departments,
        approvals,
        bookers,
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response)
}

/// Records an administrative change to the facilities in the app's audit trail, the facility
/// administrator being both actor and target (no member of staff is acted on).
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

/// What an audit record says about a facility and its rules.
fn describe(id: FacilityId, input: &FacilityInput) -> serde_json::Value {
    let rules = input.rules;
    serde_json::json!({
        "facility": id.0,
        "name": input.name,
        "department": input.department_id.0,
        "approval": rules.approval.as_str(),
        "bookers": rules.bookers.as_str(),
        "advance_days": rules.advance_days,
        "max_minutes": rules.max_minutes,
        "hours": rules.hours.label(),
        "in_service": input.in_service,
    })
}

/// The user's booker rights, or 403 unless they administer facilities somewhere.
async fn administrator(state: &AppState, me: &CurrentStaff) -> Result<BookerRights, AppError> {
    let rights = rights_of(state, me).await?;
    if !rights.scope.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(rights)
}
