//! The free-slot search (`/schedule/free`): chosen people (and, with the facility module,
//! rooms), a duration and a period; the answer is every stretch within working hours on
//! working days when all of them are free.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use time::Duration;

use super::{Chrome, DepartmentOption, PersonLine, department_options, page, today};
use crate::error::AppError;
use crate::facility;
use crate::facility::model::{CategoryId, FacilityId};
use crate::i18n::Texts;
use crate::org;
use crate::org::model::{DepartmentId, StaffId};
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::calendar::long_date;
use crate::schedule::form::{date_text, parse_date, time_text};
use crate::schedule::free_slots::{MAX_SEARCH_DAYS, free_slots};
use crate::schedule::model::{TimeRange, local};
use crate::schedule::store;
use crate::schedule::texts::ScheduleTexts;
use crate::state::AppState;

/// Most rooms searched at once.
const MAX_FACILITIES: usize = 10;

/// Durations offered, in minutes.
const DURATIONS: [i64; 6] = [30, 60, 90, 120, 180, 240];

/// One free stretch.
struct FreeLine {
    date: String,
    time: String,
    book: String,
}

/// The search page.
#[derive(Template)]
#[template(path = "schedule/free.html")]
struct FreePage {
    t: &'static Texts,
    c: Chrome,
    chosen: Vec<PersonLine>,
    rooms: Vec<(i64, String)>,
    offered_rooms: Vec<(i64, String)>,
    categories: Vec<(i64, String, bool)>,
    offered: Vec<PersonLine>,
    departments: Vec<DepartmentOption>,
    durations: Vec<(i64, String, bool)>,
    from: String,
    to: String,
    hours: String,
    problem: Option<&'static str>,
    searched: bool,
    results: Vec<FreeLine>,
}

/// What the search asks: repeated `people`, and the rest once.
struct Ask {
    people: Vec<StaffId>,
    facilities: Vec<FacilityId>,
    department: Option<DepartmentId>,
    category: Option<CategoryId>,
    minutes: i64,
    from: Option<time::Date>,
    to: Option<time::Date>,
    search: bool,
}

fn ask(query: Option<&str>) -> Ask {
    let mut ask = Ask {
        people: Vec::new(),
        facilities: Vec::new(),
        department: None,
        category: None,
        minutes: 60,
        from: None,
        to: None,
        search: false,
    };
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "people" => {
                if let Ok(id) = value.parse()
                    && !ask.people.contains(&StaffId(id))
                {
                    ask.people.push(StaffId(id));
                }
            }
            "facilities" => {
                if let Ok(id) = value.parse()
                    && !ask.facilities.contains(&FacilityId(id))
                    && ask.facilities.len() < MAX_FACILITIES
                {
                    ask.facilities.push(FacilityId(id));
                }
            }
            "department" => ask.department = value.parse().ok().map(DepartmentId),
            "category" => ask.category = value.parse().ok().map(CategoryId),
            "duration" => {
                ask.minutes = value
                    .parse()
                    .ok()
                    .filter(|m| DURATIONS.contains(m))
                    .unwrap_or(60)
            }
            "from" => ask.from = parse_date(&value),
            "to" => ask.to = parse_date(&value),
            "search" => ask.search = true,
            _ => {}
        }
    }
    ask
}

pub(super) async fn search(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let st = ScheduleTexts::of(lang.lang);
    let mut ask = ask(query.as_deref());
    if ask.people.is_empty() && !ask.search {
        ask.people.push(me.staff.id);
    }
    let from = ask.from.unwrap_or_else(today);
    let to = ask.to.unwrap_or(from + Duration::days(13));
    let mut people = org::store::find_staff_many(&state.pool, &ask.people).await?;
    people.retain(|p| p.employment == org::model::Employment::Active);
    people.sort_by_key(|p| ask.people.iter().position(|id| *id == p.id));
    let hours = state.working_hours;
    let mut rooms = Vec::with_capacity(ask.facilities.len());
    for id in &ask.facilities {
        if let Some(found) = facility::store::facility(&state.pool, *id).await? {
            rooms.push(found);
        }
    }
    let mut problem = None;
    let mut results = Vec::new();
    if ask.search {
        if people.is_empty() {
            problem = Some(st.free_no_people);
        } else if to < from || (to - from).whole_days() >= MAX_SEARCH_DAYS {
            problem = Some(st.free_bad_range);
        } else if let Some(window) = TimeRange::local_days(from, to) {
            let ids: Vec<StaffId> = people.iter().map(|p| p.id).collect();
            let agenda = store::agenda(&state.pool, &ids, &window).await?;
            let mut busy = Vec::new();
            for event in agenda.events.values() {
                let exdates = agenda
                    .exdates
                    .get(&event.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                busy.extend(event.occurrences(&window, exdates));
            }
            if !rooms.is_empty() {
                let ids: Vec<FacilityId> = rooms.iter().map(|f| f.id).collect();
                let taken =
                    facility::store::busy(&state.pool, &ids, window.start()..window.end()).await?;
                busy.extend(
                    taken
                        .iter()
                        .filter_map(|b| TimeRange::new(b.slot.start(), b.slot.end())),
                );
            }
            let japanese = lang.lang == crate::i18n::Lang::Ja;
            let mut participants: String = ids.iter().map(|id| format!("&staff={id}")).collect();
            participants.extend(rooms.iter().map(|f| format!("&facilities={}", f.id)));
            results = free_slots(&busy, from, to, hours, Duration::minutes(ask.minutes))
                .into_iter()
                .map(|slot| {
                    let start = local(slot.start());
                    let end = local(slot.end());
                    FreeLine {
                        date: long_date(start.date(), st, japanese),
                        time: format!("{}〜{}", time_text(start.time()), time_text(end.time())),
                        book: format!(
                            "/schedule/events/new?date={}&time={}&minutes={}{participants}",
                            date_text(start.date()),
                            time_text(start.time()),
                            ask.minutes
                        ),
                    }
                })
                .collect();
        }
    }
    let chosen_ids: HashSet<StaffId> = people.iter().map(|p| p.id).collect();
    let picked = ask.department.unwrap_or(me.staff.department_id);
    let offered = org::store::department_members(&state.pool, picked)
        .await?
        .iter()
        .filter(|m| !chosen_ids.contains(&m.id))
        .map(|m| PersonLine::of(m, false))
        .collect();
    let departments = org::store::departments(&state.pool).await?;
    let categories = facility::store::categories(&state.pool).await?;
    let category = ask
        .category
        .or_else(|| categories.first().map(|c| c.category.id));
    let offered_rooms = match category {
        Some(category) => facility::store::facilities_in(&state.pool, category, 0, 200)
            .await?
            .into_iter()
            .filter(|f| !ask.facilities.contains(&f.id))
            .map(|f| (f.id.0, f.name))
            .collect(),
        None => Vec::new(),
    };
    let page_data = FreePage {
        t: lang.lang.texts(),
        c: Chrome::new(&state, &me, lang.lang, "free").await?,
        chosen: people.iter().map(|p| PersonLine::of(p, true)).collect(),
        rooms: rooms.iter().map(|f| (f.id.0, f.name.clone())).collect(),
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
        offered,
        departments: department_options(&departments, picked.0),
        durations: DURATIONS
            .iter()
            .map(|m| {
                (
                    *m,
                    st.minutes.replace("{n}", &m.to_string()),
                    *m == ask.minutes,
                )
            })
            .collect(),
        from: date_text(from),
        to: date_text(to),
        hours: match hours.pause() {
            None => st.free_hours.to_owned(),
            Some((from, to)) => st
                .free_hours_break
                .replace("{break_from}", &time_text(from))
                .replace("{break_to}", &time_text(to)),
        }
        .replace("{from}", &time_text(hours.start()))
        .replace("{to}", &time_text(hours.end())),
        problem,
        searched: ask.search,
        results,
    };
    Ok(page(lang, render(&page_data)?))
}
