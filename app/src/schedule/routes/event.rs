//! The event page (with where each of the occurrence's facilities stands), and deleting an
//! event (for a series: one occurrence, it and the following ones, or all), with its facility
//! reservations cancelled in the same transaction.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use tracing::info;

use super::{Chrome, Fields, PersonLine, page, viewer};
use crate::error::AppError;
use crate::facility::texts::FacilityTexts;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, Staff};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::calendar::long_date;
use crate::schedule::form::{date_text, time_text};
use crate::schedule::model::{
    Access, Certainty, Event, EventId, JST, SeriesScope, TimeRange, Visibility, local,
};
use crate::schedule::recurrence::{Frequency, MonthlyBy, RecurrenceEnd};
use crate::schedule::rooms::{self, RoomState};
use crate::schedule::saving;
use crate::schedule::store::{self, SaveError};
use crate::schedule::texts::ScheduleTexts;
use crate::state::AppState;

#[derive(Deserialize)]
pub(super) struct AtQuery {
    pub(super) at: Option<i64>,
}

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
    reservations: Vec<(String, String)>,
    series: bool,
    at: i64,
    back: String,
}

/// The event, what `me` may do with it, and its participants as staff.
pub(super) async fn load(
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
pub(super) fn occurrence(event: &Event, at: Option<i64>) -> TimeRange {
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
        // Who meets whom is part of what a private event keeps to itself.
        participants: if hidden {
            Vec::new()
        } else {
            people.iter().map(|p| PersonLine::of(p, true)).collect()
        },
        creator,
        can_edit: access.edit,
        reservations: rooms::occurrence_rooms(
            &state.pool,
            &event,
            &span,
            OffsetDateTime::now_utc(),
        )
        .await?
        .into_iter()
        .map(|room| {
            let state = match room.state {
                RoomState::Booked(status) => status.label(FacilityTexts::of(lang.lang)).to_owned(),
                RoomState::Later(from) => st.room_later.replace("{date}", &date_text(from)),
                RoomState::NotBooked => st.room_not_booked.to_owned(),
            };
            (room.name, state)
        })
        .collect(),
        series: event.rule.is_some(),
        at: span.start_unix(),
        back: format!("/schedule?date={}", date_text(local(span.start()).date())),
    };
    Ok(page(lang, render(&page_data)?))
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
    let now = OffsetDateTime::now_utc();
    let deleted = saving::delete(&state.pool, &event, &span, scope, me.staff.id, now).await;
    match deleted {
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
        Err(SaveError::UnknownParticipant(_) | SaveError::Rooms(_)) => Err(AppError::Forbidden),
    }
}
