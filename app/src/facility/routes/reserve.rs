//! The booking form (`/facilities/{id}/reserve`): shown from a free grid cell with its date
//! and time filled in, checked and written on post, and shown again with every problem (or
//! the booking in the way) when it cannot be booked.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;
use tracing::{info, warn};

use super::{Chrome, Frame, parse_id, rights_of, see_other, today};
use crate::error::{AppError, busy_notice, is_busy};
use crate::facility::form::ReserveForm;
use crate::facility::model::{
    Approval, Bookers, Facility, FacilityId, MINUTES_PER_DAY, NewReservation, clock_label,
    conflict_message, duration_label, iso_date, parse_clock,
};
use crate::facility::store::{self, ReserveError};
use crate::facility::texts::FacilityTexts;
use crate::i18n::Texts;
use crate::org;
use crate::portal::model::Account;
use crate::routes::{CsrfForm, CurrentStaff, PageLang, busy, render};
use crate::state::AppState;

/// What a free grid cell passes to the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Prefill {
    date: String,
    start: String,
}

/// The facility as the form describes it.
struct FacilityView {
    id: i64,
    name: String,
    place: String,
    capacity: String,
    department: String,
    note: String,
    rules: Vec<String>,
}

#[derive(Template)]
#[template(path = "facility/reserve.html")]
struct ReservePage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    facility: FacilityView,
    form: ReserveForm,
    problems: Vec<String>,
    back: String,
}

/// The empty or prefilled form.
pub(super) async fn form(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<String>,
    Query(prefill): Query<Prefill>,
) -> Result<Response, AppError> {
    let facility = load(&state, &id).await?;
    let start = parse_clock(&prefill.start)
        .filter(|m| *m < MINUTES_PER_DAY)
        .unwrap_or(facility.rules.hours.open());
    let end = (start + 60).min(facility.rules.hours.close().max(start + 15));
    let date = crate::facility::model::parse_date(&prefill.date).unwrap_or_else(today);
    let form = ReserveForm {
        date: iso_date(date),
        start: clock_label(start),
        end: clock_label(end.min(MINUTES_PER_DAY)),
        ..ReserveForm::default()
    };
    show(
        &state,
        &me,
        lang,
        facility,
        form,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Books, or shows the form again with what stands in the way.
pub(super) async fn submit(
    State(state): State<AppState>,
    lang: PageLang,
    Path(id): Path<String>,
    posted: CsrfForm<ReserveForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let form = posted.form;
    let facility = load(&state, &id).await?;
    let ft = FacilityTexts::of(lang.lang);
    let draft = match form.parse(ft) {
        Ok(draft) => draft,
        Err(problems) => {
            return show(
                &state,
                &me,
                lang,
                facility,
                form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let rights = rights_of(&state, &me).await?;
    let new = NewReservation {
        facility_id: facility.id,
        slot: draft.slot,
        title: draft.title,
        visibility: draft.visibility,
        event_id: None,
    };
    let problems = match store::book(&state.pool, &new, &rights).await {
        Ok(reservation) => {
            info!(
                user.id = %me.staff.id,
                facility.id = %facility.id,
                reservation.id = %reservation,
                "booked facility {}",
                facility.id
            );
            return Ok(see_other(&format!(
                "/facilities/reservations/{reservation}?created=1"
            )));
        }
        Err(ReserveError::Conflict(existing)) => {
            vec![conflict_message(&existing, me.staff.id, ft)]
        }
        Err(ReserveError::Rules(broken)) => broken.iter().map(|rule| rule.message(ft)).collect(),
        Err(ReserveError::UnknownFacility | ReserveError::NotLive) => {
            return Err(AppError::NotFound);
        }
        Err(ReserveError::Database(error)) if is_busy(&error) => {
            warn!(
                user.id = %me.staff.id,
                facility.id = %facility.id,
                %error,
                "database busy: booking form shown again"
            );
            let problems = vec![busy_notice(lang.lang).to_owned()];
            let page = show(
                &state,
                &me,
                lang,
                facility,
                form,
                problems,
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await?;
            return Ok(busy(page));
        }
        Err(ReserveError::Database(error)) => return Err(error.into()),
    };
    show(
        &state,
        &me,
        lang,
        facility,
        form,
        problems,
        StatusCode::CONFLICT,
    )
    .await
}

async fn load(state: &AppState, id: &str) -> Result<Facility, AppError> {
    store::facility(&state.pool, FacilityId(parse_id(id)?))
        .await?
        .ok_or(AppError::NotFound)
}

async fn show(
    state: &AppState,
    me: &CurrentStaff,
    lang: PageLang,
    facility: Facility,
    mut form: ReserveForm,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rights = rights_of(state, me).await?;
    let Frame { t, acct, c } =
        Frame::new(state, me, rights.scope.is_admin(), lang.lang, "grid").await?;
    let department = org::store::department_path(&state.pool, facility.department_id).await?;
    form.csrf = c.csrf.clone();
    let back = format!(
        "/facilities?category={}&date={}",
        facility.category_id,
        if form.date.is_empty() {
            iso_date(today())
        } else {
            form.date.clone()
        }
    );
    let page = ReservePage {
        facility: describe(
            &facility,
            department.last().cloned().unwrap_or_default(),
            c.ft,
        ),
        form,
        problems,
        back,
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response.into_response())
}

/// The facility and its rules in words.
fn describe(facility: &Facility, department: String, ft: &FacilityTexts) -> FacilityView {
    let rules = facility.rules;
    let mut lines = Vec::new();
    if rules.approval == Approval::Required {
        lines.push(ft.rule_line_approval.to_owned());
    }
    let bookers = match rules.bookers {
        Bookers::Everyone => ft.bookers_everyone,
        Bookers::Department => ft.bookers_department,
        Bookers::Administrators => ft.bookers_administrators,
    };
    lines.push(ft.rule_line_bookers.replace("{bookers}", bookers));
    lines.push(
        ft.rule_line_advance
            .replace("{days}", &rules.advance_days.to_string()),
    );
    lines.push(
        ft.rule_line_max
            .replace("{duration}", &duration_label(rules.max_minutes, ft)),
    );
    lines.push(ft.rule_line_hours.replace("{hours}", &rules.hours.label()));
    FacilityView {
        id: facility.id.0,
        name: facility.name.clone(),
        place: facility.place.clone(),
        capacity: facility
            .capacity
            .map(|n| ft.capacity.replace("{n}", &n.to_string()))
            .unwrap_or_default(),
        department,
        note: facility.note.clone(),
        rules: lines,
    }
}
