//! The status board (`/whereabouts`): a department's members (or the colleagues a search by
//! name, reading, login or personnel number finds) with their status, comment and return
//! time, the user's own status form on top, and a page to set a colleague's status
//! (`/whereabouts/{staff}`). It also holds the module chrome the memo pages share.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use time::OffsetDateTime;
use tracing::{info, warn};

use super::model::{HandStatus, Presence, Source, parse_status, return_label, shown};
use super::store;
use super::texts::WhereaboutsTexts;
use crate::error::{AppError, busy_notice, is_busy};
use crate::i18n::{Lang, Texts};
use crate::memo;
use crate::org;
use crate::org::model::{DepartmentId, Module, Staff, StaffId, indented_names};
use crate::org::store::StaffQuery;
use crate::portal::model::Account;
use crate::routes::{CsrfForm, CsrfToken, CurrentStaff, PageLang, busy, render};
use crate::state::AppState;

/// Most colleagues a search on the board lists.
const SEARCH_LIMIT: usize = 50;

/// The board's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/whereabouts", get(board))
        .route("/whereabouts/{staff}", get(edit).post(set))
}

/// The module navigation and texts, shared with the memo pages.
pub struct Chrome {
    /// The board's texts (module name and navigation).
    pub wt: &'static WhereaboutsTexts,
    /// Which entry is current: `board` or `memos`.
    pub nav: &'static str,
    /// The user's unread memos.
    pub unread: i64,
    /// The session's CSRF token, for forms.
    pub csrf: String,
}

/// What every page of the module holds besides its own content.
pub struct Frame {
    /// App-wide texts.
    pub t: &'static Texts,
    /// The account corner.
    pub acct: Account,
    /// The module chrome.
    pub c: Chrome,
}

impl Frame {
    /// The frame for `me` on a page in `lang`, with `nav` current.
    pub async fn new(
        state: &AppState,
        me: &CurrentStaff,
        lang: Lang,
        nav: &'static str,
    ) -> Result<Frame, AppError> {
        Ok(Frame {
            t: lang.texts(),
            acct: crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?,
            c: Chrome {
                wt: WhereaboutsTexts::of(lang),
                nav,
                unread: memo::store::unread_count(&state.pool, me.staff.id).await?,
                csrf: me.claims.csrf.clone(),
            },
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BoardQuery {
    department: String,
    saved: String,
    q: String,
}

/// One person's line on the board.
struct Line {
    id: i64,
    name: String,
    position: String,
    presence: &'static str,
    status: String,
    comment: String,
    returns: String,
    from_schedule: bool,
    set_by: String,
    may_change: bool,
    me: bool,
}

struct DepartmentOption {
    id: i64,
    label: String,
    selected: bool,
}

struct StatusOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "whereabouts/board.html")]
struct BoardPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    my_id: i64,
    departments: Vec<DepartmentOption>,
    lines: Vec<Line>,
    mine: Vec<StatusOption>,
    my_comment: String,
    my_returns: String,
    saved: bool,
    /// The staff search as typed, and what it found in words (empty without a search).
    q: String,
    found: String,
}

async fn board(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } = Frame::new(&state, &me, lang.lang, "board").await?;
    let wt = c.wt;
    let all = org::store::departments(&state.pool).await?;
    let department = query
        .department
        .parse::<i64>()
        .ok()
        .map(DepartmentId)
        .filter(|id| all.iter().any(|d| d.id == *id))
        .unwrap_or(me.staff.department_id);
    // A search lists the colleagues it finds, wherever they sit, with their department;
    // otherwise the board lists the department's members.
    let typed = query.q.trim().to_owned();
    let mut found = String::new();
    let members = if typed.is_empty() {
        org::store::department_members(&state.pool, department).await?
    } else {
        let (hits, more) = match StaffQuery::parse(&typed) {
            Some(search) => org::store::search_staff(&state.pool, &search, SEARCH_LIMIT).await?,
            None => (Vec::new(), false),
        };
        let words = match (StaffQuery::parse(&typed).is_some(), hits.is_empty(), more) {
            (false, _, _) => wt.error_query,
            (true, true, _) => wt.found_none,
            (true, false, true) => wt.found_more,
            (true, false, false) => wt.found,
        };
        let n = if more { SEARCH_LIMIT } else { hits.len() };
        found = words.replace("{q}", &typed).replace("{n}", &n.to_string());
        hits.into_iter()
            .map(|hit| Staff {
                position: format!("{}・{}", hit.department, hit.staff.position),
                ..hit.staff
            })
            .collect()
    };
    let now = OffsetDateTime::now_utc();
    let ids: Vec<StaffId> = members.iter().map(|s| s.id).collect();
    let hands = store::hand_statuses(&state.pool, &ids).await?;
    let events = store::current_events(&state.pool, &ids, now).await?;
    let admin = org::store::admin_scope(&state.pool, me.staff.id, Module::Whereabouts).await?;
    let tree = if admin.is_admin() {
        Some(org::store::department_tree(&state.pool).await?)
    } else {
        None
    };
    let names: std::collections::HashMap<StaffId, String> =
        members.iter().map(|s| (s.id, s.name.clone())).collect();
    let mut lines = Vec::with_capacity(members.len());
    for person in &members {
        let hand = hands.get(&person.id);
        let seen = shown(hand, events.get(&person.id), now, wt);
        let may_change = person.id == me.staff.id
            || person.department_id == me.staff.department_id
            || tree
                .as_ref()
                .is_some_and(|tree| admin.covers(person.department_id, tree));
        let set_by = match (hand, &seen) {
            (Some(h), Some(s)) if s.source == Source::Hand && h.set_by != person.id => names
                .get(&h.set_by)
                .map(|name| wt.set_by.replace("{name}", name))
                .unwrap_or_default(),
            _ => String::new(),
        };
        lines.push(Line {
            id: person.id.0,
            name: person.name.clone(),
            position: person.position.clone(),
            presence: seen.as_ref().map_or("none", |s| s.presence.as_str()),
            status: seen
                .as_ref()
                .map_or(wt.unknown, |s| s.presence.label(wt))
                .to_owned(),
            comment: seen.as_ref().map(|s| s.comment.clone()).unwrap_or_default(),
            returns: seen
                .as_ref()
                .and_then(|s| s.returns_at)
                .map(|at| return_label(at, now))
                .unwrap_or_default(),
            from_schedule: seen.as_ref().is_some_and(|s| s.source == Source::Schedule),
            set_by,
            may_change,
            me: person.id == me.staff.id,
        });
    }
    let my_hand = store::hand_statuses(&state.pool, &[me.staff.id])
        .await?
        .remove(&me.staff.id)
        .filter(|h| shown(Some(h), None, now, wt).is_some());
    let page = BoardPage {
        my_id: me.staff.id.0,
        departments: all
            .iter()
            .zip(indented_names(&all))
            .map(|(d, label)| DepartmentOption {
                id: d.id.0,
                label,
                selected: d.id == department,
            })
            .collect(),
        lines,
        mine: status_options(my_hand.as_ref().map(|h| h.presence), wt),
        my_comment: my_hand
            .as_ref()
            .map(|h| h.comment.clone())
            .unwrap_or_default(),
        my_returns: my_hand
            .as_ref()
            .and_then(|h| h.returns_at)
            .map(|at| return_label(at, now))
            .filter(|label| label.len() == 5)
            .unwrap_or_default(),
        saved: query.saved == "1",
        q: typed,
        found,
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

fn status_options(current: Option<Presence>, wt: &WhereaboutsTexts) -> Vec<StatusOption> {
    Presence::ALL
        .into_iter()
        .map(|p| StatusOption {
            value: p.as_str(),
            label: p.label(wt),
            checked: Some(p) == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "whereabouts/edit.html")]
struct EditPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    title: String,
    staff: i64,
    department: i64,
    options: Vec<StatusOption>,
    comment: String,
    returns: String,
    problems: Vec<String>,
}

/// The form to set a colleague's (or one's own) status.
async fn edit(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(staff): Path<String>,
) -> Result<Response, AppError> {
    let target = permitted_target(&state, &me.staff, &staff).await?;
    let now = OffsetDateTime::now_utc();
    let wt = WhereaboutsTexts::of(lang.lang);
    let hand = store::hand_statuses(&state.pool, &[target.id])
        .await?
        .remove(&target.id)
        .filter(|h| shown(Some(h), None, now, wt).is_some());
    let form = StatusForm {
        status: hand
            .as_ref()
            .map(|h| h.presence.as_str().to_owned())
            .unwrap_or_default(),
        comment: hand.as_ref().map(|h| h.comment.clone()).unwrap_or_default(),
        returns: hand
            .as_ref()
            .and_then(|h| h.returns_at)
            .map(|at| return_label(at, now))
            .filter(|label| label.len() == 5)
            .unwrap_or_default(),
        ..StatusForm::default()
    };
    show_edit(
        &state,
        &me,
        lang,
        &target,
        &form,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

async fn show_edit(
    state: &AppState,
    me: &CurrentStaff,
    lang: PageLang,
    target: &Staff,
    form: &StatusForm,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } = Frame::new(state, me, lang.lang, "board").await?;
    let page = EditPage {
        title: c.wt.edit_title.replace("{name}", &target.name),
        staff: target.id.0,
        department: target.department_id.0,
        options: status_options(Presence::parse(&form.status), c.wt),
        comment: form.comment.clone(),
        returns: form.returns.clone(),
        problems,
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response.into_response())
}

/// The status form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    csrf: String,
    /// `set` or `clear`.
    action: String,
    status: String,
    comment: String,
    returns: String,
}

impl CsrfToken for StatusForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// Sets or clears a status: one's own, a colleague's in the same department, or anyone's in a
/// whereabouts administrator's scope.
async fn set(
    State(state): State<AppState>,
    lang: PageLang,
    Path(staff): Path<String>,
    posted: CsrfForm<StatusForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let form = posted.form;
    let target = permitted_target(&state, &me.staff, &staff).await?;
    let back = format!("/whereabouts?department={}&saved=1", target.department_id);
    if form.action == "clear" {
        store::clear_status(&state.pool, target.id).await?;
        info!(user.id = %me.staff.id, staff.id = %target.id, "whereabouts cleared");
        return Ok(Redirect::to(&back).into_response());
    }
    let now = OffsetDateTime::now_utc();
    let wt = WhereaboutsTexts::of(lang.lang);
    match parse_status(&form.status, &form.comment, &form.returns, now, wt) {
        Ok((presence, comment, returns_at)) => {
            let status = HandStatus {
                presence,
                comment,
                returns_at,
                set_at: now,
                set_by: me.staff.id,
            };
            match store::set_status(&state.pool, target.id, &status).await {
                Ok(()) => {}
                Err(error) if is_busy(&error) => {
                    warn!(user.id = %me.staff.id, staff.id = %target.id, %error, "database busy: status form shown again");
                    let problems = vec![busy_notice(lang.lang).to_owned()];
                    let page = show_edit(
                        &state,
                        &me,
                        lang,
                        &target,
                        &form,
                        problems,
                        StatusCode::SERVICE_UNAVAILABLE,
                    )
                    .await?;
                    return Ok(busy(page));
                }
                Err(error) => return Err(error.into()),
            }
            info!(
                user.id = %me.staff.id,
                staff.id = %target.id,
                status = presence.as_str(),
                "whereabouts set"
            );
            Ok(Redirect::to(&back).into_response())
        }
        Err(problems) => {
            show_edit(
                &state,
                &me,
                lang,
                &target,
                &form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The member of staff named by the path segment, if `me` may set their status: themselves,
/// someone who sits (or holds a concurrent post) in their department, or anyone a
/// whereabouts administrator's scope covers.
async fn permitted_target(state: &AppState, me: &Staff, segment: &str) -> Result<Staff, AppError> {
    let id = segment
        .parse::<i64>()
        .map(StaffId)
        .map_err(|_| AppError::NotFound)?;
    let target = org::store::find_staff(&state.pool, id)
        .await?
        .filter(|s| s.employment == org::model::Employment::Active)
        .ok_or(AppError::NotFound)?;
    let permitted = target.id == me.id
        || target.department_id == me.department_id
        || org::store::posts_of(&state.pool, target.id)
            .await?
            .iter()
            .any(|post| post.department_id == me.department_id)
        || org::store::admin_covers(
            &state.pool,
            me.id,
            Module::Whereabouts,
            target.department_id,
        )
        .await?;
    if permitted {
        Ok(target)
    } else {
        Err(AppError::Forbidden)
    }
}
