//! The event pages: the form for a new event or a change (with the participant picker, which
//! works without JavaScript by posting the form back to itself), saving, the event page, and
//! deleting. Changes and deletions of a series apply to one occurrence, to it and the
//! following ones, or to all, as the user chooses.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::{Duration, OffsetDateTime, Time};
use tracing::info;

use super::{
    Chrome, DepartmentOption, Fields, PersonLine, department_options, page, today, viewer,
};
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, Staff, StaffId};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::calendar::long_date;
use crate::schedule::form::{EventDraft, EventForm, Problem, date_text, parse_date, time_text};
use crate::schedule::model::{
    Access, Certainty, Event, EventId, JST, SeriesScope, TimeRange, Visibility, local,
};
use crate::schedule::recurrence::{Frequency, MonthlyBy, RecurrenceEnd};
use crate::schedule::store::{self, SaveError};
use crate::schedule::texts::{ScheduleTexts, problem_message};
use crate::state::AppState;

#[derive(Deserialize)]
pub(super) struct AtQuery {
    at: Option<i64>,
}

/// The event form, new or changing.
#[derive(Template)]
#[template(path = "schedule/event_form.html")]
struct FormPage {
    t: &'static Texts,
    c: Chrome,
    heading: &'static str,
    action: String,
    form: EventForm,
    problems: Vec<&'static str>,
    chosen: Vec<PersonLine>,
    offered: Vec<PersonLine>,
    departments: Vec<DepartmentOption>,
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
    form_page_picking(state, me, lang, form, problems, series, action, None).await
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
    problems: Vec<Problem>,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
    picked: Option<DepartmentId>,
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
    let picked = picked.unwrap_or(me.staff.department_id);
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
        problems: problems
            .into_iter()
            .map(|p| problem_message(p, lang))
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

pub(super) async fn create(
    State(state): State<AppState>,
    lang: PageLang,
    fields: Fields,
) -> Result<Response, AppError> {
    let form = EventForm::from_pairs(&fields.pairs);
    let me = &fields.me;
    if fields.get("action") == "pick" {
        let picked = fields.get("department").parse().ok().map(DepartmentId);
        let page_data = form_page_picking(
            &state,
            me,
            lang.lang,
            form,
            Vec::new(),
            None,
            "/schedule/events".into(),
            picked,
        )
        .await?;
        return Ok(page(lang, render(&page_data)?));
    }
    let draft = match form.parse() {
        Ok(draft) => draft,
        Err(problems) => {
            let page_data = form_page(
                &state,
                me,
                lang.lang,
                form,
                problems,
                None,
                "/schedule/events".into(),
            )
            .await?;
            return unprocessable(lang, &page_data);
        }
    };
    let now = OffsetDateTime::now_utc();
    match store::create_event(&state.pool, &draft, me.staff.id, now).await {
        Ok(id) => {
            info!(user.id = %me.staff.id, event.id = %id, "created event {id}");
            Ok(Redirect::to(&format!(
                "/schedule/events/{id}?at={}",
                draft.span.start_unix()
            ))
            .into_response())
        }
        Err(SaveError::UnknownParticipant(_)) => {
            let page_data = form_page(
                &state,
                me,
                lang.lang,
                form,
                vec![Problem::BadParticipant],
                None,
                "/schedule/events".into(),
            )
            .await?;
            unprocessable(lang, &page_data)
        }
        Err(SaveError::Database(e)) => Err(AppError::Database(e)),
        Err(e) => Err(AppError::Database(sqlx::Error::Protocol(e.to_string()))),
    }
}

/// The event page.
#[derive(Template)]
#[template(path = "schedule/event.html")]
struct EventPage {
    t: &'static Texts,
    c: Chrome,
    id: i64,
    title: String,
    when: String,
    place: String,
    memo: String,
    tentative: bool,
    private: bool,
    hidden: bool,
    repeats: Option<String>,
    participants: Vec<PersonLine>,
    creator: String,
    can_edit: bool,
    series: bool,
    at: i64,
    back: String,
}

/// The event, what `me` may do with it, and its participants as staff.
async fn load(
    state: &AppState,
    me: &Staff,
    id: EventId,
) -> Result<(Event, Access, Vec<Staff>), AppError> {
    let event = store::event(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let people = org::store::find_staff_many(&state.pool, &event.participants).await?;
    let departments: Vec<DepartmentId> = people.iter().map(|p| p.department_id).collect();
    let viewer = viewer(state, me).await?;
    let tree = if viewer.admin_scope.is_admin() {
        org::store::department_tree(&state.pool).await?
    } else {
        Default::default()
    };
    let access = viewer.access(&event, &departments, &tree);
    Ok((event, access, people))
}

/// The occurrence `at` of `event`, or its first.
fn occurrence(event: &Event, at: Option<i64>) -> TimeRange {
    at.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
        .filter(|at| event.has_occurrence_at(*at))
        .and_then(|at| TimeRange::new(at, at + event.span.duration()))
        .unwrap_or(event.span)
}

fn when_text(span: &TimeRange, all_day: bool, st: &ScheduleTexts, lang: Lang) -> String {
    let japanese = lang == Lang::Ja;
    let start = local(span.start());
    let end = local(span.end());
    if all_day {
        let last = (span.end() - Duration::seconds(1)).to_offset(JST).date();
        if last == start.date() {
            format!("{} {}", long_date(start.date(), st, japanese), st.all_day)
        } else {
            format!(
                "{} 〜 {} {}",
                long_date(start.date(), st, japanese),
                long_date(last, st, japanese),
                st.all_day
            )
        }
    } else if start.date() == end.date() {
        format!(
            "{} {}〜{}",
            long_date(start.date(), st, japanese),
            time_text(start.time()),
            time_text(end.time())
        )
    } else {
        format!(
            "{} {} 〜 {} {}",
            long_date(start.date(), st, japanese),
            time_text(start.time()),
            long_date(end.date(), st, japanese),
            time_text(end.time())
        )
    }
}

fn repeat_text(event: &Event, st: &ScheduleTexts) -> Option<String> {
    let rule = event.rule.as_ref()?;
    let every = match rule.frequency {
        Frequency::Daily => st.repeat_daily,
        Frequency::Weekly => st.repeat_weekly,
        Frequency::Monthly => st.repeat_monthly,
        Frequency::Yearly => st.repeat_yearly,
    };
    let mut text = every.to_owned();
    if rule.interval > 1 {
        text.push_str(&format!(" ({} {})", st.field_interval, rule.interval));
    }
    if rule.frequency == Frequency::Monthly && rule.monthly_by == MonthlyBy::Weekday {
        text.push_str(&format!(" / {}", st.monthly_weekday));
    }
    match rule.end {
        RecurrenceEnd::Never => {}
        RecurrenceEnd::Until(date) => {
            text.push_str(&format!(" / {} {}", st.ends_until, date_text(date)))
        }
        RecurrenceEnd::Count(n) => text.push_str(&format!(" / {} {n}", st.ends_count)),
    }
    Some(text)
}

pub(super) async fn show(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<i64>,
    Query(query): Query<AtQuery>,
) -> Result<Response, AppError> {
    let (event, access, people) = load(&state, &me.staff, EventId(id)).await?;
    let st = ScheduleTexts::of(lang.lang);
    let span = occurrence(&event, query.at);
    let creator = org::store::find_staff(&state.pool, event.created_by)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let hidden = !access.see_details;
    let page_data = EventPage {
        t: lang.lang.texts(),
        c: Chrome::new(&state, &me, lang.lang, "mine").await?,
        id,
        title: if hidden {
            st.busy.to_owned()
        } else {
            event.title.clone()
        },
        when: when_text(&span, event.all_day, st, lang.lang),
        place: if hidden {
            String::new()
        } else {
            event.place.clone()
        },
        memo: if hidden {
            String::new()
        } else {
            event.memo.clone()
        },
        tentative: event.certainty == Certainty::Tentative,
        private: event.visibility == Visibility::Private,
        hidden,
        repeats: repeat_text(&event, st),
        participants: people.iter().map(|p| PersonLine::of(p, true)).collect(),
        creator,
        can_edit: access.edit,
        series: event.rule.is_some(),
        at: span.start_unix(),
        back: format!("/schedule?date={}", date_text(local(span.start()).date())),
    };
    Ok(page(lang, render(&page_data)?))
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
    let (event, access, _) = load(&state, &me.staff, EventId(id)).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let span = occurrence(&event, query.at);
    let series = event
        .rule
        .is_some()
        .then_some((span.start(), SeriesScope::This));
    let page_data = form_page(
        &state,
        &me,
        lang.lang,
        form_of(&event, &span),
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
    let (event, access, _) = load(&state, &me.staff, EventId(id)).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let form = EventForm::from_pairs(&fields.pairs);
    let at = fields.get("at").parse::<i64>().ok();
    let scope = SeriesScope::parse(fields.get("scope")).unwrap_or(SeriesScope::All);
    let span = occurrence(&event, at);
    let series = event.rule.is_some().then_some((span.start(), scope));
    let action = format!("/schedule/events/{id}/edit");
    if fields.get("action") == "pick" {
        let picked = fields.get("department").parse().ok().map(DepartmentId);
        let page_data = form_page_picking(
            &state,
            me,
            lang.lang,
            form,
            Vec::new(),
            series,
            action,
            picked,
        )
        .await?;
        return Ok(page(lang, render(&page_data)?));
    }
    let draft = match form.parse() {
        Ok(draft) => draft,
        Err(problems) => {
            let page_data =
                form_page(&state, me, lang.lang, form, problems, series, action).await?;
            return unprocessable(lang, &page_data);
        }
    };
    let now = OffsetDateTime::now_utc();
    let result = save_change(&state, &event, &span, scope, &draft, me.staff.id, now).await;
    match result {
        Ok(target) => {
            info!(user.id = %me.staff.id, event.id = %target, "changed event {id}");
            Ok(Redirect::to(&format!(
                "/schedule/events/{target}?at={}",
                draft.span.start_unix()
            ))
            .into_response())
        }
        Err(SaveError::UnknownParticipant(_)) => {
            let page_data = form_page(
                &state,
                me,
                lang.lang,
                form,
                vec![Problem::BadParticipant],
                series,
                action,
            )
            .await?;
            unprocessable(lang, &page_data)
        }
        Err(SaveError::NoSuchEvent(_) | SaveError::NoSuchOccurrence(_)) => Err(AppError::NotFound),
        Err(SaveError::Database(e)) => Err(AppError::Database(e)),
        Err(e) => Err(AppError::Database(sqlx::Error::Protocol(e.to_string()))),
    }
}

/// Applies a change to `event` (occurrence `span`) as `scope` says, in one transaction;
/// returns the event that now holds the change.
async fn save_change(
    state: &AppState,
    event: &Event,
    span: &TimeRange,
    scope: SeriesScope,
    draft: &EventDraft,
    by: StaffId,
    now: OffsetDateTime,
) -> Result<EventId, SaveError> {
    let mut tx = state.pool.begin().await?;
    let target = match (event.rule.is_some(), scope) {
        (false, _) => {
            store::update_event_in(&mut tx, event.id, draft, by, now).await?;
            event.id
        }
        (true, SeriesScope::This) => {
            store::detach_occurrence_in(&mut tx, event.id, span.start(), draft, by, now).await?
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

pub(super) async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    fields: Fields,
) -> Result<Response, AppError> {
    let me = &fields.me;
    let (event, access, _) = load(&state, &me.staff, EventId(id)).await?;
    if !access.edit {
        return Err(AppError::Forbidden);
    }
    let span = occurrence(&event, fields.get("at").parse().ok());
    let scope = SeriesScope::parse(fields.get("scope")).unwrap_or(SeriesScope::This);
    let result = match (event.rule.is_some(), scope) {
        (true, SeriesScope::This) => {
            store::delete_occurrence(&state.pool, event.id, span.start()).await
        }
        (true, SeriesScope::Following) => {
            let now = OffsetDateTime::now_utc();
            let mut tx = state.pool.begin().await?;
            let kept =
                store::end_series_before_in(&mut tx, event.id, span.start(), me.staff.id, now)
                    .await;
            match kept {
                Ok(_) => tx.commit().await.map_err(SaveError::from),
                Err(e) => Err(e),
            }
        }
        _ => store::delete_event(&state.pool, event.id)
            .await
            .map_err(SaveError::from),
    };
    match result {
        Ok(()) => {
            info!(user.id = %me.staff.id, event.id = %event.id, scope = scope.as_str(), "deleted event {}", event.id);
            Ok(Redirect::to(&format!(
                "/schedule?date={}",
                date_text(local(span.start()).date())
            ))
            .into_response())
        }
        Err(SaveError::NoSuchEvent(_) | SaveError::NoSuchOccurrence(_)) => Err(AppError::NotFound),
        Err(SaveError::Database(e)) => Err(AppError::Database(e)),
        Err(e) => Err(AppError::Database(sqlx::Error::Protocol(e.to_string()))),
    }
}
