//! Saving the event form: a new event, or a change to one (for a series: to one occurrence, to it
//! and the following ones, or to all). The participant and facility pickers work without
//! JavaScript by posting the form back to itself; saving books the linked facilities in the
//! same transaction, so a taken room refuses the whole event with the room's own message.

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Duration, OffsetDateTime};
use tracing::info;

use super::event::{AtQuery, load, occurrence};
use super::event_page_form::{form_of, form_page, refused, repicked, unprocessable};
use super::{Fields, page, today};
use crate::error::AppError;
use crate::facility;
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::form::{EventForm, date_text, parse_date, time_text};
use crate::schedule::model::{SeriesScope, local};
use crate::schedule::{rooms, saving};
use crate::state::AppState;

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

pub(super) async fn create(
    State(state): State<AppState>,
    lang: PageLang,
    fields: Fields,
) -> Result<Response, AppError> {
    let form = EventForm::from_pairs(&fields.pairs);
    let me = &fields.me;
    let action = "/schedule/events".to_owned();
    // Names typed into the "add by login" box are shown for a check before anything is saved.
    if fields.get("action").starts_with("pick") || !fields.get("add_people").trim().is_empty() {
        return repicked(&state, lang, &fields, form, None, action).await;
    }
    let mut draft = match form.parse() {
        Ok(draft) => draft,
        Err(problems) => {
            let page_data = form_page(&state, me, lang.lang, form, problems, None, action).await?;
            return unprocessable(lang, &page_data);
        }
    };
    draft.facilities.sort_unstable();
    let now = OffsetDateTime::now_utc();
    let rights = facility::store::booker_rights(&state.pool, me.staff.id).await?;
    match saving::create(&state.pool, &draft, &rights, now).await {
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
    let mut conn = state.pool.acquire().await?;
    form.facilities = rooms::facilities_of(&mut conn, &event)
        .await?
        .into_iter()
        .map(|f| f.to_string())
        .collect();
    drop(conn);
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
    if fields.get("action").starts_with("pick") || !fields.get("add_people").trim().is_empty() {
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
    draft.facilities.sort_unstable();
    let now = OffsetDateTime::now_utc();
    let rights = facility::store::booker_rights(&state.pool, me.staff.id).await?;
    match saving::change(&state.pool, &event, &span, scope, &draft, &rights, now).await {
        Ok(target) => {
            info!(user.id = %me.staff.id, event.id = %target, scope = scope.as_str(), "changed event {id}");
            Ok(Redirect::to(&format!(
                "/schedule/events/{target}?at={}",
                draft.span.start_unix()
            ))
            .into_response())
        }
        Err(error) => refused(&state, lang, me, form, series, action, error).await,
    }
}
