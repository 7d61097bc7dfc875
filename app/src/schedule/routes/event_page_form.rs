//! The event form page: the page struct, the participant and facility pickers, the form
//! filled from a stored event, and the form shown again with its problems.

use std::collections::HashSet;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use time::{Duration, OffsetDateTime, Time};

use super::{Chrome, DepartmentOption, Fields, PersonLine, department_options, page};
use crate::error::AppError;
use crate::facility;
use crate::facility::model::{CategoryId, FacilityId};
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, StaffId};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::form::{EventForm, Problem, date_text, time_text};
use crate::schedule::model::{Certainty, Event, JST, SeriesScope, TimeRange, Visibility, local};
use crate::schedule::recurrence::{Frequency, MonthlyBy, RecurrenceEnd};
use crate::schedule::store::SaveError;
use crate::schedule::texts::{ScheduleTexts, problem_message};
use crate::state::AppState;

/// The event form, new or changing.
#[derive(Template)]
#[template(path = "schedule/event_form.html")]
pub(super) struct FormPage {
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

/// Builds the form page: the ticked participants, and the members of the department picked
/// last (the user's own at first) to add from.
pub(super) async fn form_page(
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
pub(super) struct Picked {
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
pub(super) async fn form_page_picking(
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
pub(super) fn unprocessable(lang: PageLang, page_data: &FormPage) -> Result<Response, AppError> {
    let mut response = page(lang, render(page_data)?);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// The form again after a picker button: same fields, the picked department's members and
/// category's facilities offered.
pub(super) async fn repicked(
    state: &AppState,
    lang: PageLang,
    fields: &Fields,
    mut form: EventForm,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
) -> Result<Response, AppError> {
    let named = fields.get("add_people");
    let unknown = super::add_named(state, named, &mut form.participants).await?;
    let st = ScheduleTexts::of(lang.lang);
    let problems = unknown
        .iter()
        .map(|who| st.unknown_person.replace("{who}", who))
        .collect();
    let page_data = form_page_picking(
        state,
        &fields.me,
        lang.lang,
        form,
        problems,
        series,
        action,
        Picked::from(fields),
    )
    .await?;
    Ok(page(lang, render(&page_data)?))
}

/// A save that failed on the user's input (a participant who left, a taken room, a clashing
/// occurrence of a series): the form again with the reasons, nothing saved. Other failures are
/// errors.
pub(super) async fn refused(
    state: &AppState,
    lang: PageLang,
    me: &CurrentStaff,
    form: EventForm,
    series: Option<(OffsetDateTime, SeriesScope)>,
    action: String,
    error: SaveError,
) -> Result<Response, AppError> {
    let problems = match error {
        SaveError::UnknownParticipant(_) => {
            vec![problem_message(Problem::BadParticipant, lang.lang).to_owned()]
        }
        SaveError::Rooms(refusal) => super::bookings::messages(&refusal, me.staff.id, lang.lang),
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
        problems,
        series,
        action,
        Picked::default(),
    )
    .await?;
    unprocessable(lang, &page_data)
}

/// The form for an existing event, filled from the chosen occurrence.
pub(super) fn form_of(event: &Event, span: &TimeRange) -> EventForm {
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
