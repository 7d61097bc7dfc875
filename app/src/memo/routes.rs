//! The memo pages: the inbox and sent list (`/memos`), the form to leave a memo
//! (`/memos/new`, with the recipient found by name, reading, login or personnel number,
//! picked from a department's members or passed from the status board), a memo
//! (`/memos/{id}`, read when its recipient opens it) and marking it done.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;
use tracing::{info, warn};

use super::model::{Memo, MemoForm, MemoId, Request};
use super::store;
use super::texts::MemoTexts;
use crate::error::{AppError, busy_notice, is_busy};
use crate::i18n::Texts;
use crate::org;
use crate::org::model::{DepartmentId, Employment, StaffId, indented_names};
use crate::org::store::StaffQuery;
use crate::portal::model::{Account, JST};
use crate::routes::{CsrfForm, CsrfToken, CurrentStaff, PageLang, busy, render};
use crate::state::AppState;
use crate::whereabouts::routes::{Chrome, Frame};

/// Most memos a list shows.
const LIST_LIMIT: i64 = 200;

/// Most staff a recipient search lists.
const SEARCH_LIMIT: usize = 30;

/// The memo routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/memos", get(list).post(create))
        .route("/memos/new", get(new_form))
        .route("/memos/{id}", get(show))
        .route("/memos/{id}/done", post(done))
}

impl CsrfToken for MemoForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// A form with nothing but the CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Button {
    csrf: String,
}

impl CsrfToken for Button {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// A memo as lists and its page show it.
struct MemoView {
    id: i64,
    received: String,
    caller: String,
    caller_org: String,
    callback: String,
    request: &'static str,
    urgent: bool,
    message: String,
    recipient: String,
    author: String,
    state: &'static str,
    unread: bool,
    done: bool,
}

impl MemoView {
    fn of(memo: &Memo, mt: &MemoTexts) -> MemoView {
        let at = memo.received_at.to_offset(JST);
        MemoView {
            id: memo.id.0,
            received: format!(
                "{}/{} {:02}:{:02}",
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute()
            ),
            caller: memo.caller_name.clone(),
            caller_org: memo.caller_org.clone(),
            callback: memo.callback.clone(),
            request: memo.request.label(mt),
            urgent: memo.request == Request::Urgent,
            message: memo.message.clone(),
            recipient: memo.recipient_name.clone(),
            author: memo.author_name.clone(),
            state: if memo.done_at.is_some() {
                mt.done
            } else if memo.read_at.is_some() {
                mt.read
            } else {
                mt.unread
            },
            unread: memo.read_at.is_none(),
            done: memo.done_at.is_some(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    #[serde(rename = "box")]
    which: String,
    all: String,
    sent: String,
    handled: String,
}

#[derive(Template)]
#[template(path = "memo/list.html")]
struct ListPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    mt: &'static MemoTexts,
    sent_box: bool,
    all: bool,
    notice: Option<&'static str>,
    memos: Vec<MemoView>,
}

async fn list(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } = Frame::new(&state, &me, lang.lang, "memos").await?;
    let mt = MemoTexts::of(lang.lang);
    let sent_box = query.which == "sent";
    let all = query.all == "1";
    let memos = if sent_box {
        store::sent(&state.pool, me.staff.id, LIST_LIMIT).await?
    } else {
        store::inbox(&state.pool, me.staff.id, all, LIST_LIMIT).await?
    };
    let notice = if query.sent == "1" {
        Some(mt.sent_notice)
    } else if query.handled == "1" {
        Some(mt.done_notice)
    } else {
        None
    };
    let page = ListPage {
        mt,
        sent_box,
        all,
        notice,
        memos: memos.iter().map(|m| MemoView::of(m, mt)).collect(),
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewQuery {
    to: String,
    department: String,
    q: String,
}

struct Choice {
    value: i64,
    label: String,
    selected: bool,
}

struct RequestOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "memo/new.html")]
struct NewPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    mt: &'static MemoTexts,
    departments: Vec<Choice>,
    recipients: Vec<Choice>,
    requests: Vec<RequestOption>,
    form: MemoForm,
    problems: Vec<String>,
    /// What the recipient search found, in words; empty without a search.
    found: String,
}

async fn new_form(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let to = query.to.parse::<i64>().ok().map(StaffId);
    let recipient = match to {
        Some(id) => org::store::find_staff(&state.pool, id)
            .await?
            .filter(|s| s.employment == Employment::Active),
        None => None,
    };
    let department = query
        .department
        .parse::<i64>()
        .ok()
        .map(DepartmentId)
        .or(recipient.as_ref().map(|s| s.department_id))
        .unwrap_or(me.staff.department_id);
    let form = MemoForm {
        to: recipient.map(|s| s.id.0.to_string()).unwrap_or_default(),
        request: Request::CallBack.as_str().to_owned(),
        q: query.q,
        ..MemoForm::default()
    };
    show_new(
        &state,
        &me,
        lang,
        department,
        form,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

async fn show_new(
    state: &AppState,
    me: &CurrentStaff,
    lang: PageLang,
    department: DepartmentId,
    mut form: MemoForm,
    mut problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Frame { t, acct, c } = Frame::new(state, me, lang.lang, "memos").await?;
    let mt = MemoTexts::of(lang.lang);
    form.csrf = c.csrf.clone();
    let all = org::store::departments(&state.pool).await?;
    // A search offers its hits; otherwise the department's members are offered.
    let typed = form.q.trim().to_owned();
    let mut found = String::new();
    let mut recipients: Vec<Choice> = Vec::new();
    if typed.is_empty() {
        for s in org::store::department_members(&state.pool, department).await? {
            recipients.push(Choice {
                value: s.id.0,
                label: format!("{}（{}）", s.name, s.position),
                selected: false,
            });
        }
    } else if let Some(query) = StaffQuery::parse(&typed) {
        let (hits, more) = org::store::search_staff(&state.pool, &query, SEARCH_LIMIT).await?;
        let n = if more { SEARCH_LIMIT } else { hits.len() };
        let words = match (hits.is_empty(), more) {
            (true, _) => mt.found_none,
            (false, true) => mt.found_more,
            (false, false) => mt.found,
        };
        found = words.replace("{q}", &typed).replace("{n}", &n.to_string());
        if let [only] = hits.as_slice()
            && form.to.trim().is_empty()
        {
            form.to = only.staff.id.0.to_string();
        }
        recipients.extend(hits.iter().map(|hit| Choice {
            value: hit.staff.id.0,
            label: format!(
                "{}（{}）{}・{}",
                hit.staff.name, hit.staff.kana, hit.department, hit.staff.position
            ),
            selected: false,
        }));
    } else {
        problems.push(mt.error_query.to_owned());
    }
    // The chosen recipient stays choosable even when they sit elsewhere.
    if let Ok(id) = form.to.trim().parse::<i64>()
        && !recipients.iter().any(|r| r.value == id)
        && let Some(person) = org::store::find_staff(&state.pool, StaffId(id)).await?
        && person.employment == Employment::Active
    {
        recipients.insert(
            0,
            Choice {
                value: person.id.0,
                label: format!("{}（{}）", person.name, person.position),
                selected: false,
            },
        );
    }
    for choice in &mut recipients {
        choice.selected = choice.value.to_string() == form.to.trim();
    }
    let page = NewPage {
        mt,
        departments: all
            .iter()
            .zip(indented_names(&all))
            .map(|(d, label)| Choice {
                value: d.id.0,
                label,
                selected: d.id == department,
            })
            .collect(),
        recipients,
        requests: Request::ALL
            .into_iter()
            .map(|r| RequestOption {
                value: r.as_str(),
                label: r.label(mt),
                selected: r.as_str() == form.request,
            })
            .collect(),
        form,
        problems,
        found,
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response.into_response())
}

/// Leaves a memo for current staff.
async fn create(
    State(state): State<AppState>,
    lang: PageLang,
    posted: CsrfForm<MemoForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let form = posted.form;
    let recipient = match form.to.trim().parse::<i64>() {
        Ok(id) => org::store::find_staff(&state.pool, StaffId(id))
            .await?
            .filter(|s| s.employment == Employment::Active),
        Err(_) => None,
    };
    let mt = MemoTexts::of(lang.lang);
    let department = recipient
        .as_ref()
        .map_or(me.staff.department_id, |r| r.department_id);
    if form.is_search() {
        // Finding the recipient writes nothing: the form comes back with the hits and
        // everything typed so far.
        let (problems, status) = if form.q.trim().is_empty() {
            (
                vec![mt.error_query.to_owned()],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        } else {
            (Vec::new(), StatusCode::OK)
        };
        return show_new(&state, &me, lang, department, form, problems, status).await;
    }
    match form.parse(mt, |id| recipient.as_ref().is_some_and(|r| r.id == id)) {
        Ok(memo) => {
            match store::insert(&state.pool, &memo, me.staff.id, OffsetDateTime::now_utc()).await {
                Ok(id) => {
                    info!(user.id = %me.staff.id, memo.id = %id, recipient.id = %memo.recipient, "left memo {id}");
                    Ok(Redirect::to("/memos?box=sent&sent=1").into_response())
                }
                Err(error) if is_busy(&error) => {
                    warn!(user.id = %me.staff.id, %error, "database busy: memo form shown again");
                    let page = show_new(
                        &state,
                        &me,
                        lang,
                        department,
                        form,
                        vec![busy_notice(lang.lang).to_owned()],
                        StatusCode::SERVICE_UNAVAILABLE,
                    )
                    .await?;
                    Ok(busy(page))
                }
                Err(error) => Err(error.into()),
            }
        }
        Err(problems) => {
            show_new(
                &state,
                &me,
                lang,
                department,
                form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "memo/show.html")]
struct ShowPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    mt: &'static MemoTexts,
    m: MemoView,
    mine: bool,
}

/// A memo, for its recipient (who thereby reads it) or its author.
async fn show(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let memo = load(&state, &id, me.staff.id).await?;
    let mine = memo.recipient == me.staff.id;
    if mine && memo.read_at.is_none() {
        store::mark_read(&state.pool, memo.id, me.staff.id, OffsetDateTime::now_utc()).await?;
    }
    // The frame counts unread memos, so it comes after marking this one read.
    let Frame { t, acct, c } = Frame::new(&state, &me, lang.lang, "memos").await?;
    let mt = MemoTexts::of(lang.lang);
    let page = ShowPage {
        mt,
        m: MemoView::of(&memo, mt),
        mine,
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

/// Marks a memo handled; only its recipient may.
async fn done(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<Button>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let memo = load(&state, &id, me.staff.id).await?;
    if memo.recipient != me.staff.id {
        return Err(AppError::Forbidden);
    }
    store::mark_done(&state.pool, memo.id, me.staff.id, OffsetDateTime::now_utc()).await?;
    info!(user.id = %me.staff.id, memo.id = %memo.id, "memo handled");
    Ok(Redirect::to("/memos?handled=1").into_response())
}

/// The memo named by the path segment, if `viewer` may see it; others get 404, so that
/// memos of other people cannot even be found.
async fn load(state: &AppState, segment: &str, viewer: StaffId) -> Result<Memo, AppError> {
    let id = segment
        .parse::<i64>()
        .map(MemoId)
        .map_err(|_| AppError::NotFound)?;
    store::memo(&state.pool, id)
        .await?
        .filter(|m| m.visible_to(viewer))
        .ok_or(AppError::NotFound)
}
