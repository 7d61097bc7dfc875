//! The event form: a new event, or a change to one (for a series: to one occurrence, to it
//! and the following ones, or to all). The participant and facility pickers work without
//! JavaScript by posting the form back to itself; saving books the linked facilities in the
//! same transaction, so a taken room refuses the whole event with the room's own message.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::{Duration, OffsetDateTime, Time};
use tracing::info;

use super::bookings;
use super::event::{AtQuery, load, occurrence};
use super::{Chrome, DepartmentOption, Fields, PersonLine, department_options, page, today};
use crate::error::AppError;
use crate::facility;
use crate::facility::model::{CategoryId, FacilityId};
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, StaffId};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::form::{EventDraft, EventForm, Problem, date_text, parse_date, time_text};
use crate::schedule::model::{Certainty, Event, JST, SeriesScope, TimeRange, Visibility, local};
use crate::schedule::recurrence::{Frequency, MonthlyBy, RecurrenceEnd};
use crate::schedule::store::{self, SaveError};
use crate::schedule::texts::{ScheduleTexts, problem_message};
use crate::state::AppState;

/// The event form, new or changing.
#[derive(Template)]
#[template(path = "schedule/event_form.html")]
struct FormPage {
    t: &'static Texts,
    c: Chrome,
    heading: &'static str,
    action: String,
    form: EventForm,
    problems: Vec<String>,
    chosen: Vec<PersonLine>,
    offered: Vec<PersonLine>,
    departments: Vec<DepartmentOption>,
    rooms: Vec<(i64, String)>,
    offered_rooms: Vec<(i64, String)>,
    categories: Vec<(i64, String, bool)>,
    series: bool,
    at: String,
    scope: &'static str,
    back: String,
}

impl FormPage {
    fn repeat_is(&self, value: &str) -> bool {
        self.form.repeat == value || (value == "none" && self.form.repeat.is_empty())
    }

    fn weekday_checked(&self, code: &str) -> bool {
        self.form.weekdays.iter().any(|w| w == code)
    }
}

pub(super) async fn new(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    // `?date=&time=&minutes=&staff=...`: links from the calendars (one person) and from the
    // free-slot search (several).
    let mut date = today();
    let mut start = time::macros::time!(10:00);
    let mut minutes = 60;
    let mut participants: Vec<String> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "date" => date = parse_date(&value).unwrap_or(date),
            "time" => start = crate::schedule::form::parse_time(&value).unwrap_or(start),
            "minutes" => {
                minutes = value
                    .parse::<i64>()
                    .ok()
                    .filter(|m| (15..=600).contains(m))
                    .unwrap_or(minutes)
            }
            "staff"
                if value.parse::<i64>().is_ok() && !participants.iter().any(|p| *p == value) =>
            {
                participants.push(value.into_owned());
            }
            _ => {}
        }
    }
    if participants.is_empty() {
        participants.push(me.staff.id.0.to_string());
    }
    let mut form = EventForm::blank(date, start, participants);
    let end = crate::schedule::model::instant(date, start) + Duration::minutes(minutes);
    let end = local(end);
    form.end_date = date_text(end.date());
    form.end_time = time_text(end.time());
    let page_data = form_page(
        &state,
        &me,
        lang.lang,
        form,
        Vec::new(),
        None,
        "/schedule/events".into(),
    )
    .await?;
    Ok(page(lang, render(&page_data)?))
}

/// Builds the form page: the ticked participants, and the members of the department picked
/// last (the user's own at first) to add from.
async fn form_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    form: EventForm,
    problems: Vec<Problem>,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
) -> Result<FormPage, AppError> {
    let problems = problems
        .into_iter()
        .map(|p| problem_message(p, lang).to_owned())
        .collect();
    form_page_picking(
        state,
        me,
        lang,
        form,
        problems,
        series,
        action,
        Picked::default(),
    )
    .await
}

/// What the pickers show: members of a department, facilities of a category.
#[derive(Default)]
struct Picked {
    department: Option<DepartmentId>,
    category: Option<CategoryId>,
}

impl Picked {
    fn from(fields: &Fields) -> Picked {
        Picked {
            department: fields.get("department").parse().ok().map(DepartmentId),
            category: fields.get("category").parse().ok().map(CategoryId),
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per form state; a struct would only rename them"
)]
async fn form_page_picking(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    form: EventForm,
    problems: Vec<String>,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
    picked: Picked,
) -> Result<FormPage, AppError> {
    let st = ScheduleTexts::of(lang);
    let ids: Vec<StaffId> = form
        .participants
        .iter()
        .filter_map(|p| p.trim().parse().ok())
        .map(StaffId)
        .collect();
    let mut people = org::store::find_staff_many(&state.pool, &ids).await?;
    people.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    let chosen_ids: HashSet<StaffId> = people.iter().map(|p| p.id).collect();
    let room_ids: Vec<i64> = form
        .facilities
        .iter()
        .filter_map(|f| f.trim().parse().ok())
        .collect();
    let mut rooms = Vec::with_capacity(room_ids.len());
    for id in &room_ids {
        if let Some(found) = facility::store::facility(&state.pool, FacilityId(*id)).await? {
            rooms.push((found.id.0, found.name));
        }
    }
    let categories = facility::store::categories(&state.pool).await?;
    let category = picked
        .category
        .or_else(|| categories.first().map(|c| c.category.id));
    let offered_rooms = match category {
        Some(category) => facility::store::facilities_in(&state.pool, category, 0, 200)
            .await?
            .into_iter()
            .filter(|f| !room_ids.contains(&f.id.0))
            .map(|f| (f.id.0, f.name))
            .collect(),
        None => Vec::new(),
    };
    let picked = picked.department.unwrap_or(me.staff.department_id);
    let offered = org::store::department_members(&state.pool, picked)
        .await?
        .iter()
        .filter(|m| !chosen_ids.contains(&m.id))
        .map(|m| PersonLine::of(m, false))
        .collect();
    let departments = org::store::departments(&state.pool).await?;
    let (at, scope, is_series) = match series {
        Some((at, scope)) => (at.unix_timestamp().to_string(), scope.as_str(), true),
        None => (String::new(), SeriesScope::This.as_str(), false),
    };
    let back = if form.start_date.trim().is_empty() {
        "/schedule".to_owned()
    } else {
        format!("/schedule?date={}", form.start_date.trim())
    };
    Ok(FormPage {
        t: lang.texts(),
        c: Chrome::new(state, me, lang, "mine").await?,
        heading: if action == "/schedule/events" {
            st.form_new
        } else {
            st.form_edit
        },
        action,
        problems,
        rooms,
        offered_rooms,
        categories: categories
            .into_iter()
            .map(|c| {
                (
                    c.category.id.0,
                    c.category.name,
                    Some(c.category.id) == category,
                )
            })
            .collect(),
        chosen: people.iter().map(|p| PersonLine::of(p, true)).collect(),
        offered,
        departments: department_options(&departments, picked.0),
        series: is_series,
        at,
        scope,
        back,
        form,
    })
}

/// A refused form: shown again as typed, with its problems, and nothing saved.
fn unprocessable(lang: PageLang, page_data: &FormPage) -> Result<Response, AppError> {
    let mut response = page(lang, render(page_data)?);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// The form again after a picker button: same fields, the picked department's members and
/// category's facilities offered.
async fn repicked(
    state: &AppState,
    lang: PageLang,
    fields: &Fields,
    form: EventForm,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
) -> Result<Response, AppError> {
    let page_data = form_page_picking(
        state,
        &fields.me,
        lang.lang,
        form,
        Vec::new(),
        series,
        action,
        Picked::from(fields),
    )
    .await?;
    Ok(page(lang, render(&page_data)?))
}

/// A save that failed on the user's input (a participant who left, a taken room): the form
/// again with the reason, nothing saved. Other failures are errors.
async fn refused(
    state: &AppState,
    lang: PageLang,
    me: &CurrentStaff,
    form: EventForm,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
    error: SaveError,
) -> Result<Response, AppError> {
    let problem = match error {
        SaveError::UnknownParticipant(_) => {
            problem_message(Problem::BadParticipant, lang.lang).to_owned()
        }
        SaveError::Facility(message) => message,
        SaveError::NoSuchEvent(_) | SaveError::NoSuchOccurrence(_) => {
            return Err(AppError::NotFound);
        }
        SaveError::Database(e) => return Err(AppError::Database(e)),
    };
    let page_data = form_page_picking(
        state,
        me,
        lang.lang,
        form,
        vec![problem],
        series,
        action,
        Picked::default(),
    )
    .await?;
    unprocessable(lang, &page_data)
}

pub(super) async fn create(
    State(state): State<AppState>,
    lang: PageLang,
    fields: Fields,
) -> Result<Response, AppError> {
    let form = EventForm::from_pairs(&fields.pairs);
    let me = &fields.me;
    let action = "/schedule/events".to_owned();
    if fields.get("action").starts_with("pick") {
        return repicked(&state, lang, &fields, form, None, action).await;
    }
    let mut draft = match form.parse() {
        Ok(draft) => draft,
        Err(problems) => {
            let page_data = form_page(&state, me, lang.lang, form, problems, None, action).await?;
            return unprocessable(lang, &page_data);
        }
    };
    if draft.rule.is_some() && !draft.facilities.is_empty() {
        let page_data = form_page(
            &state,
            me,
            lang.lang,
            form,
            vec![Problem::FacilitiesOnSeries],
            None,
            action,
        )
        .await?;
        return unprocessable(lang, &page_data);
    }
    draft.facilities.sort_unstable();
    let now = OffsetDateTime::now_utc();
    let rights = facility::store::booker_rights(&state.pool, me.staff.id).await?;
    let saved = async {
        let mut tx = facility::store::begin_write(&state.pool).await?;
        let id = store::create_event_in(&mut tx, &draft, me.staff.id, now, None).await?;
        bookings::book(&mut tx, id, &draft, &rights, me.staff.id, lang.lang).await?;
        tx.commit().await?;
        Ok::<_, SaveError>(id)
    }
    .await;
    match saved {
        Ok(id) => {
            info!(user.id = %me.staff.id, event.id = %id, facilities = draft.facilities.len(), "created event {id}");
            Ok(Redirect::to(&format!(
                "/schedule/events/{id}?at={}",
                draft.span.start_unix()
            ))
            .into_response())
        }
        Err(error) => refused(&state, lang, me, form, None, action, error).await,
    }
}

/// The form for an existing event, filled from the chosen occurrence.
fn form_of(event: &Event, span: &TimeRange) -> EventForm {
    let start = local(span.start());
    let (end_date, end_time) = if event.all_day {
        (
            (span.end() - Duration::seconds(1)).to_offset(JST).date(),
            Time::MIDNIGHT,
        )
    } else {
        let end = local(span.end());
        (end.date(), end.time())
    };
    let mut form = EventForm {
        title: event.title.clone(),
        place: event.place.clone(),
        memo: event.memo.clone(),
        start_date: date_text(start.date()),
        start_time: time_text(start.time()),
        end_date: date_text(end_date),
        end_time: time_text(end_time),
        all_day: event.all_day,
        tentative: event.certainty == Certainty::Tentative,
        private: event.visibility == Visibility::Private,
        repeat: "none".into(),
        interval: "1".into(),
        monthly_by: "day".into(),
        ends: "never".into(),
        participants: event.participants.iter().map(|p| p.0.to_string()).collect(),
        ..EventForm::default()
    };
    if event.all_day {
        form.start_time = "09:00".into();
        form.end_time = "10:00".into();
    }
    if let Some(rule) = &event.rule {
        form.repeat = rule.frequency.as_str().to_ascii_lowercase();
        form.interval = rule.interval.to_string();
        form.weekdays = rule
            .to_rrule(start.date())
            .split(';')
            .find_map(|p| p.strip_prefix("BYDAY="))
            .filter(|_| rule.frequency == Frequency::Weekly)
            .map(|days| days.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        form.monthly_by = if rule.monthly_by == MonthlyBy::Weekday {
            "weekday"
        } else {
            "day"
        }
        .into();
        match rule.end {
            RecurrenceEnd::Never => {}
            RecurrenceEnd::Until(date) => {
                form.ends = "until".into();
                form.until = date_text(date);
            }
            RecurrenceEnd::Count(n) => {
                form.ends = "count".into();
                form.count = n.to_string();
            }
        }
    }
    form
}

pub(super) async fn edit(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<i64>,
    Query(query): Query<AtQuery>,
) -> Result<Response, AppError> {
    let (event, access, _) = load(&state, &me.staff, crate::schedule::model::EventId(id)).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let span = occurrence(&event, query.at);
    let series = event
        .rule
        .is_some()
        .then_some((span.start(), SeriesScope::This));
    let mut form = form_of(&event, &span);
    if event.rule.is_none() {
        let mut conn = state.pool.acquire().await?;
        form.facilities = bookings::facilities_of(&mut conn, event.id)
            .await?
            .into_iter()
            .map(|f| f.to_string())
            .collect();
    }
    let page_data = form_page(
        &state,
        &me,
        lang.lang,
        form,
        Vec::new(),
        series,
        format!("/schedule/events/{id}/edit"),
    )
    .await?;
    Ok(page(lang, render(&page_data)?))
}

pub(super) async fn update(
    State(state): State<AppState>,
    lang: PageLang,
    Path(id): Path<i64>,
    fields: Fields,
) -> Result<Response, AppError> {
    let me = &fields.me;
    let (event, access, _) = load(&state, &me.staff, crate::schedule::model::EventId(id)).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let form = EventForm::from_pairs(&fields.pairs);
    let at = fields.get("at").parse::<i64>().ok();
    let scope = SeriesScope::parse(fields.get("scope")).unwrap_or(SeriesScope::All);
    let span = occurrence(&event, at);
    let series = event.rule.is_some().then_some((span.start(), scope));
    let action = format!("/schedule/events/{id}/edit");
    if fields.get("action").starts_with("pick") {
        return repicked(&state, lang, &fields, form, series, action).await;
    }
    let mut draft = match form.parse() {
        Ok(draft) => draft,
        Err(problems) => {
            let page_data =
                form_page(&state, me, lang.lang, form, problems, series, action).await?;
            return unprocessable(lang, &page_data);
        }
    };
    // A series cannot hold rooms: one occurrence changed alone becomes a single event that can.
    let becomes_series = match (event.rule.is_some(), scope) {
        (true, SeriesScope::This) => false,
        (true, _) => true,
        (false, _) => draft.rule.is_some(),
    };
    if becomes_series && !draft.facilities.is_empty() {
        let page_data = form_page(
            &state,
            me,
            lang.lang,
            form,
            vec![Problem::FacilitiesOnSeries],
            series,
            action,
        )
        .await?;
        return unprocessable(lang, &page_data);
    }
    draft.facilities.sort_unstable();
    let now = OffsetDateTime::now_utc();
    match save_change(
        &state,
        &event,
        &span,
        scope,
        &draft,
        me.staff.id,
        now,
        lang.lang,
    )
    .await
    {
        Ok(target) => {
            info!(user.id = %me.staff.id, event.id = %target, "changed event {id}");
            Ok(Redirect::to(&format!(
                "/schedule/events/{target}?at={}",
                draft.span.start_unix()
            ))
            .into_response())
        }
        Err(error) => refused(&state, lang, me, form, series, action, error).await,
    }
}

/// Applies a change to `event` (occurrence `span`) as `scope` says, with its facility
/// reservations, in one transaction; returns the event that now holds the change.
#[expect(
    clippy::too_many_arguments,
    reason = "the one caller passes what the request held"
)]
async fn save_change(
    state: &AppState,
    event: &Event,
    span: &TimeRange,
    scope: SeriesScope,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
    lang: Lang,
) -> Result<crate::schedule::model::EventId, SaveError> {
    let rights = facility::store::booker_rights(&state.pool, by).await?;
    let mut tx = facility::store::begin_write(&state.pool).await?;
    let target = match (event.rule.is_some(), scope) {
        (false, _) => {
            store::update_event_in(&mut tx, event.id, draft, by, now).await?;
            bookings::sync(&mut tx, event.id, draft, &rights, by, lang).await?;
            event.id
        }
        (true, SeriesScope::This) => {
            let id = store::detach_occurrence_in(&mut tx, event.id, span.start(), draft, by, now)
                .await?;
            bookings::book(&mut tx, id, draft, &rights, by, lang).await?;
            id
        }
        (true, SeriesScope::Following) => {
            store::end_series_before_in(&mut tx, event.id, span.start(), by, now).await?;
            store::create_event_in(&mut tx, draft, by, now, None).await?
        }
        (true, SeriesScope::All) => {
            // The form showed one occurrence: move the whole series by as much as that
            // occurrence moved, keeping its first date.
            let moved = draft.span.start() - span.start();
            let first = event.span.start() + moved;
            let whole = EventDraft {
                span: TimeRange::new(first, first + draft.span.duration()).unwrap_or(draft.span),
                ..draft.clone()
            };
            store::update_event_in(&mut tx, event.id, &whole, by, now).await?;
            event.id
        }
    };
    tx.commit().await?;
    Ok(target)
}
