//! The day grid (`/facilities`): every facility of a category on one day, a column per half
//! hour, free cells linking to the booking form.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{Chrome, Frame, today};
use crate::error::AppError;
use crate::facility::grid::{self, Cell, Window};
use crate::facility::model::{
    Approval, CategoryId, Facility, Slot, date_label, iso_date, parse_date,
};
use crate::facility::store;
use crate::i18n::Texts;
use crate::org;
use crate::org::model::Module;
use crate::portal::model::Account;
use crate::routes::{CurrentStaff, PageLang, render};
use crate::state::AppState;

/// Facilities per grid page; the benchmark measures a full page.
pub const PAGE_SIZE: i64 = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct GridQuery {
    category: String,
    date: String,
    page: String,
}

/// A category tab.
struct Tab {
    href: String,
    name: String,
    current: bool,
}

/// A facility's row as the template draws it.
struct RowView {
    name: String,
    meta: String,
    restricted: bool,
    cells: Vec<CellView>,
}

/// One cell as the template draws it.
struct CellView {
    /// `free`, `closed` or `booked`.
    class: &'static str,
    span: u16,
    href: String,
    title: String,
    entries: Vec<EntryView>,
}

struct EntryView {
    href: String,
    time: String,
    title: String,
    booker: String,
    pending: bool,
    own: bool,
}

#[derive(Template)]
#[template(path = "facility/grid.html")]
struct GridPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    tabs: Vec<Tab>,
    day: String,
    date_iso: String,
    previous_href: String,
    today_href: String,
    next_href: String,
    category: i64,
    hours: Vec<String>,
    rows: Vec<RowView>,
    previous_page: Option<String>,
    next_page: Option<String>,
    no_categories: bool,
}

/// The grid page.
pub(super) async fn page(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(query): Query<GridQuery>,
) -> Result<Response, AppError> {
    // The grid needs only whether to offer the administrators' pages, not the whole rights
    // (which read the department tree).
    let admin = org::store::admin_scope(&state.pool, me.staff.id, Module::Facility)
        .await?
        .is_admin();
    let Frame { t, acct, c } = Frame::new(&state, &me, admin, lang.lang, "grid").await?;
    let categories = store::categories(&state.pool).await?;
    let listed = |id: &CategoryId| categories.iter().any(|s| s.category.id == *id);
    let asked = query
        .category
        .parse::<i64>()
        .ok()
        .map(CategoryId)
        .filter(listed);
    // Without a choice, the grid opens on the category of the user's own department.
    let chosen = match asked {
        Some(id) => Some(id),
        None => store::home_category(
            &state.pool,
            me.staff.department_id,
            OffsetDateTime::now_utc(),
        )
        .await?
        .filter(listed)
        .or_else(|| categories.first().map(|s| s.category.id)),
    };
    let date = parse_date(&query.date).unwrap_or_else(today);
    let page_no = query.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000);
    let mut facilities = match chosen {
        Some(category) => {
            store::facilities_in(&state.pool, category, page_no * PAGE_SIZE, PAGE_SIZE + 1).await?
        }
        None => Vec::new(),
    };
    let more = facilities.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    facilities.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let ids: Vec<_> = facilities.iter().map(|f| f.id).collect();
    let reservations = store::reservations_on(&state.pool, &ids, Slot::day(date)).await?;
    let window = Window::for_day(&facilities, &reservations, date);
    let rows = grid::rows(facilities, &reservations, date, window, me.staff.id, c.ft);

    let category = chosen.map_or(0, |id| id.0);
    let href = |date: time::Date, page: i64| {
        let mut href = format!("/facilities?category={category}&date={}", iso_date(date));
        if page > 0 {
            href.push_str(&format!("&page={page}"));
        }
        href
    };
    let page = GridPage {
        tabs: categories
            .iter()
            .map(|s| Tab {
                href: format!(
                    "/facilities?category={}&date={}",
                    s.category.id,
                    iso_date(date)
                ),
                name: s.category.name.clone(),
                current: Some(s.category.id) == chosen,
            })
            .collect(),
        day: date_label(date, c.ft),
        date_iso: iso_date(date),
        previous_href: href(date - Duration::DAY, 0),
        today_href: href(today(), 0),
        next_href: href(date + Duration::DAY, 0),
        category,
        hours: window.hours(),
        rows: rows
            .into_iter()
            .map(|row| row_view(row, date, c.ft))
            .collect(),
        previous_page: (page_no > 0).then(|| href(date, page_no - 1)),
        next_page: more.then(|| href(date, page_no + 1)),
        no_categories: categories.is_empty(),
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

fn row_view(
    row: grid::Row,
    date: time::Date,
    ft: &crate::facility::texts::FacilityTexts,
) -> RowView {
    let facility: &Facility = &row.facility;
    let mut meta = facility.place.clone();
    if let Some(capacity) = facility.capacity {
        if !meta.is_empty() {
            meta.push_str(" · ");
        }
        meta.push_str(&ft.capacity.replace("{n}", &capacity.to_string()));
    }
    let cells = row
        .cells
        .iter()
        .map(|cell| match cell {
            Cell::Free { start } => CellView {
                class: "free",
                span: 1,
                href: grid::reserve_href(facility, date, start),
                title: ft.book_at.replace("{time}", start),
                entries: Vec::new(),
            },
            Cell::Closed => CellView {
                class: "closed",
                span: 1,
                href: String::new(),
                title: ft.closed.to_owned(),
                entries: Vec::new(),
            },
            Cell::Booked { span, entries } => CellView {
                class: "booked",
                span: *span,
                href: String::new(),
                title: String::new(),
                entries: entries
                    .iter()
                    .map(|e| EntryView {
                        href: format!("/facilities/reservations/{}", e.id),
                        time: e.time.clone(),
                        title: e.title.clone(),
                        booker: e.booker.clone(),
                        pending: e.pending,
                        own: e.own,
                    })
                    .collect(),
            },
        })
        .collect();
    RowView {
        name: facility.name.clone(),
        meta,
        restricted: facility.rules.approval == Approval::Required,
        cells,
    }
}
