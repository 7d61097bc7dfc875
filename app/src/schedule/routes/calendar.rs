//! The calendars: one person's day, week or month (`/schedule`), and a department's day or
//! week grid with every member on one screen (`/schedule/group`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, DepartmentOption, department_options, page, today, viewer};
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::model::{DepartmentId, DepartmentTree, Staff, StaffId};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::calendar::{DayHead, Entry, View, day_heads, entries_on, long_date};
use crate::schedule::form::{date_text, parse_date};
use crate::schedule::model::{Occurrence, TimeRange, Viewer};
use crate::schedule::store::{self, Agenda};
use crate::state::AppState;

#[derive(Deserialize)]
pub(super) struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    staff: Option<i64>,
    department: Option<i64>,
}

/// A day with its entries.
struct DayCell {
    head: DayHead,
    entries: Vec<Entry>,
    new_href: String,
}

/// One person's calendar.
#[derive(Template)]
#[template(path = "schedule/personal.html")]
struct PersonalPage {
    t: &'static Texts,
    c: Chrome,
    view: &'static str,
    heading: String,
    range: String,
    staff_param: String,
    date: String,
    prev: String,
    next: String,
    today: String,
    days: Vec<DayCell>,
    weeks: Vec<Vec<DayCell>>,
    new_href: String,
}

/// The occurrences of everyone in `agenda`, per person, as `viewer` may see them.
fn visible(agenda: &Agenda, window: &TimeRange, viewer: &Viewer) -> Vec<(StaffId, Occurrence)> {
    let tree = DepartmentTree::default();
    let mut out = Vec::new();
    for (staff, id) in &agenda.attendance {
        let Some(event) = agenda.events.get(id) else {
            continue;
        };
        let access = viewer.access(event, &[], &tree);
        let exdates = agenda
            .exdates
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for occurrence in Occurrence::of(event, window, exdates, access.see_details) {
            out.push((*staff, occurrence));
        }
    }
    out
}

fn href(path: &str, view: View, date: time::Date, extra: &str) -> String {
    format!(
        "{path}?view={}&date={}{extra}",
        view.as_str(),
        date_text(date)
    )
}

pub(super) async fn personal(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, AppError> {
    let view = View::parse(query.view.as_deref());
    let now = today();
    let date = query.date.as_deref().and_then(parse_date).unwrap_or(now);
    let who: Staff = match query.staff {
        Some(id) if id != me.staff.id.0 => org::store::find_staff(&state.pool, StaffId(id))
            .await?
            .ok_or(AppError::NotFound)?,
        _ => me.staff.clone(),
    };
    let days = view.days(date);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Err(AppError::NotFound);
    };
    let window = TimeRange::local_days(first, last).ok_or(AppError::NotFound)?;
    let agenda = store::agenda(&state.pool, &[who.id], &window).await?;
    let viewer = viewer(&state, &me.staff).await?;
    let occurrences: Vec<Occurrence> = visible(&agenda, &window, &viewer)
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    let st = crate::schedule::texts::ScheduleTexts::of(lang.lang);
    let month = (view == View::Month).then(|| date.month());
    let heads = day_heads(&days, now, month, st);
    let staff_param = if who.id == me.staff.id {
        String::new()
    } else {
        format!("&staff={}", who.id)
    };
    let cells: Vec<DayCell> = heads
        .into_iter()
        .map(|head| DayCell {
            entries: entries_on(&occurrences, head.date, st),
            new_href: format!("/schedule/events/new?date={}{staff_param}", head.iso),
            head,
        })
        .collect();
    let (days, weeks) = if view == View::Month {
        let mut weeks = Vec::new();
        let mut week = Vec::with_capacity(7);
        for cell in cells {
            week.push(cell);
            if week.len() == 7 {
                weeks.push(std::mem::take(&mut week));
            }
        }
        (Vec::new(), weeks)
    } else {
        (cells, Vec::new())
    };
    let japanese = lang.lang == Lang::Ja;
    let range = match view {
        View::Day => long_date(date, st, japanese),
        View::Week => format!(
            "{} 〜 {}",
            long_date(first, st, japanese),
            long_date(last, st, japanese)
        ),
        View::Month if japanese => format!("{}年{}月", date.year(), u8::from(date.month())),
        View::Month => format!("{} {}", date.month(), date.year()),
    };
    let page_data = PersonalPage {
        t: lang.lang.texts(),
        c: Chrome::new(&state, &me, lang.lang, "mine").await?,
        view: view.as_str(),
        heading: st.calendar_of.replace("{name}", &who.name),
        range,
        date: date_text(date),
        prev: href("/schedule", view, view.step(date, false), &staff_param),
        next: href("/schedule", view, view.step(date, true), &staff_param),
        today: href("/schedule", view, now, &staff_param),
        new_href: format!("/schedule/events/new?date={}{staff_param}", date_text(date)),
        staff_param,
        days,
        weeks,
    };
    Ok(page(lang, render(&page_data)?))
}

/// The most people one grid shows; a 課 with its 係 is well under it, a whole 局 is not.
const MAX_GRID_ROWS: usize = 200;

/// A member's row of the department grid.
struct GroupRow {
    name: String,
    position: String,
    href: String,
    cells: Vec<GroupCell>,
}

struct GroupCell {
    entries: Vec<Entry>,
    new_href: String,
    class: &'static str,
}

/// A department's grid.
#[derive(Template)]
#[template(path = "schedule/group.html")]
struct GroupPage {
    t: &'static Texts,
    c: Chrome,
    view: &'static str,
    department: i64,
    department_name: String,
    departments: Vec<DepartmentOption>,
    range: String,
    date: String,
    prev: String,
    next: String,
    today: String,
    heads: Vec<DayHead>,
    rows: Vec<GroupRow>,
    truncated: bool,
}

pub(super) async fn group(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, AppError> {
    // The grid shows a day or a week; a month of 50 people is no longer one screen.
    let view = match View::parse(query.view.as_deref()) {
        View::Day => View::Day,
        _ => View::Week,
    };
    let now = today();
    let date = query.date.as_deref().and_then(parse_date).unwrap_or(now);
    let department_id = DepartmentId(query.department.unwrap_or(me.staff.department_id.0));
    let department = org::store::find_department(&state.pool, department_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (members, truncated) =
        org::store::members_under(&state.pool, department.id, MAX_GRID_ROWS).await?;
    let days = view.days(date);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Err(AppError::NotFound);
    };
    let window = TimeRange::local_days(first, last).ok_or(AppError::NotFound)?;
    let ids: Vec<StaffId> = members.iter().map(|m| m.id).collect();
    let agenda = store::agenda(&state.pool, &ids, &window).await?;
    let viewer = viewer(&state, &me.staff).await?;
    let mut by_staff: std::collections::HashMap<StaffId, Vec<Occurrence>> =
        std::collections::HashMap::new();
    for (staff, occurrence) in visible(&agenda, &window, &viewer) {
        by_staff.entry(staff).or_default().push(occurrence);
    }
    let st = crate::schedule::texts::ScheduleTexts::of(lang.lang);
    let heads = day_heads(&days, now, None, st);
    let rows = members
        .iter()
        .map(|m| {
            let mine = by_staff.remove(&m.id).unwrap_or_default();
            GroupRow {
                name: m.name.clone(),
                position: m.position.clone(),
                href: format!(
                    "/schedule?view=week&date={}&staff={}",
                    date_text(date),
                    m.id
                ),
                cells: heads
                    .iter()
                    .map(|h| GroupCell {
                        entries: entries_on(&mine, h.date, st),
                        new_href: format!("/schedule/events/new?date={}&staff={}", h.iso, m.id),
                        class: h.class,
                    })
                    .collect(),
            }
        })
        .collect();
    let departments = org::store::departments(&state.pool).await?;
    let japanese = lang.lang == Lang::Ja;
    let range = match view {
        View::Day => long_date(date, st, japanese),
        _ => format!(
            "{} 〜 {}",
            long_date(first, st, japanese),
            long_date(last, st, japanese)
        ),
    };
    let extra = format!("&department={}", department.id);
    let page_data = GroupPage {
        t: lang.lang.texts(),
        c: Chrome::new(&state, &me, lang.lang, "group").await?,
        view: view.as_str(),
        department: department.id.0,
        department_name: department.name.clone(),
        departments: department_options(&departments, department.id.0),
        range,
        date: date_text(date),
        prev: href("/schedule/group", view, view.step(date, false), &extra),
        next: href("/schedule/group", view, view.step(date, true), &extra),
        today: href("/schedule/group", view, now, &extra),
        heads,
        rows,
        truncated,
    };
    Ok(page(lang, render(&page_data)?))
}
