//! One reservation (`/facilities/reservations/{id}`) with its cancel and approve/reject
//! actions, the booker's own list (`/facilities/mine`, where decisions on their 仮予約 are
//! shown and then marked seen) and the administrators' approvals list
//! (`/facilities/approvals`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;
use tracing::{info, warn};

use super::{Chrome, Frame, parse_id, rights_of, see_other};
use crate::error::{AppError, busy_notice, is_busy};
use crate::facility::form::{ButtonForm, DecideForm, ReserveForm};
use crate::facility::model::{
    BookerRights, Decision, JST, Reservation, ReservationId, Status, Visibility, conflict_message,
    hhmm, iso_date,
};
use crate::facility::store::{self, DecideError, ReserveError};
use crate::facility::texts::FacilityTexts;
use crate::i18n::Texts;
use crate::portal::model::Account;
use crate::routes::{CsrfForm, CurrentStaff, PageLang, busy, render};
use crate::state::AppState;

/// Most upcoming reservations the booker's list shows.
const MINE_LIMIT: i64 = 200;

/// Notices a page shows after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Notice {
    created: String,
    cancelled: String,
    changed: String,
    decided: String,
    late: String,
}

/// A reservation as lists and the detail page show it.
struct ReservationView {
    id: i64,
    facility: String,
    when: String,
    title: String,
    booker: String,
    status: &'static str,
    pending: bool,
    note: String,
    linked: bool,
    /// The decision in a sentence, for the booker's list.
    line: String,
}

impl ReservationView {
    fn of(
        r: &Reservation,
        viewer: &BookerRights,
        ft: &FacilityTexts,
        privileged: bool,
    ) -> ReservationView {
        ReservationView {
            id: r.id.0,
            facility: r.facility_name.clone(),
            when: r.slot.label(ft),
            title: r.title_for(viewer.staff, privileged, ft),
            booker: r.booker_name.clone(),
            status: r.status.label(ft),
            pending: r.status == Status::Pending,
            note: r.decision_note.clone(),
            linked: r.event_id.is_some(),
            line: ft
                .decision_line
                .replace("{facility}", &r.facility_name)
                .replace("{when}", &r.slot.label(ft))
                .replace("{status}", r.status.label(ft)),
        }
    }
}

#[derive(Template)]
#[template(path = "facility/reservation.html")]
struct ReservationPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    r: ReservationView,
    notice: Option<String>,
    may_cancel: bool,
    may_change: bool,
    may_decide: bool,
    form: ReserveForm,
    problems: Vec<String>,
    back: String,
}

/// One reservation.
pub(super) async fn show(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let reservation = load(&state, &id).await?;
    let ft = FacilityTexts::of(lang.lang);
    let notice = if notice.created == "1" {
        Some(match reservation.status {
            Status::Pending => ft.created_pending,
            _ => ft.created_confirmed,
        })
    } else if notice.cancelled == "1" {
        Some(ft.cancelled_notice)
    } else if notice.changed == "1" {
        Some(ft.changed_notice)
    } else {
        None
    };
    show_page(
        &state,
        &me,
        lang,
        reservation,
        notice,
        None,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, shown from two handlers"
)]
async fn show_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: PageLang,
    reservation: Reservation,
    notice: Option<&'static str>,
    form: Option<ReserveForm>,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let rights = rights_of(state, me).await?;
    let facility = store::facility(&state.pool, reservation.facility_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let administers = rights.administers(facility.department_id);
    let Frame { t, acct, c } =
        Frame::new(state, me, rights.scope.is_admin(), lang.lang, "grid").await?;
    let ft = c.ft;
    let start = reservation.slot.start().to_offset(JST);
    let end = reservation.slot.end().to_offset(JST);
    let mut form = form.unwrap_or_else(|| ReserveForm {
        date: iso_date(start.date()),
        start: hhmm(start.time()),
        end: if end.date() == start.date() {
            hhmm(end.time())
        } else {
            "24:00".to_owned()
        },
        title: reservation.title.clone(),
        private: if reservation.visibility == Visibility::Private {
            "1"
        } else {
            ""
        }
        .to_owned(),
        ..ReserveForm::default()
    });
    form.csrf = c.csrf.clone();
    let may_cancel =
        reservation.status.is_live() && (reservation.booker == me.staff.id || administers);
    let page = ReservationPage {
        r: ReservationView::of(&reservation, &rights, ft, administers),
        notice: notice.map(str::to_owned),
        may_cancel,
        // A booking made with a schedule event moves with its event.
        may_change: may_cancel && reservation.event_id.is_none(),
        may_decide: reservation.status == Status::Pending && administers,
        form,
        problems,
        back: format!(
            "/facilities?category={}&date={}",
            facility.category_id,
            iso_date(start.date())
        ),
        t,
        acct,
        c,
    };
    let mut response = lang.page(render(&page)?);
    *response.status_mut() = status;
    Ok(response)
}

/// Changes a reservation's time, title or visibility: its booker or an administrator of its
/// facility may, unless it belongs to a schedule event. A new time is checked like a new
/// booking; a restricted facility's booking then waits for approval again.
pub(super) async fn change(
    State(state): State<AppState>,
    lang: PageLang,
    Path(id): Path<String>,
    posted: CsrfForm<ReserveForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let form = posted.form;
    let reservation = load(&state, &id).await?;
    let rights = rights_of(&state, &me).await?;
    let facility = store::facility(&state.pool, reservation.facility_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let permitted = reservation.status.is_live()
        && reservation.event_id.is_none()
        && (reservation.booker == me.staff.id || rights.administers(facility.department_id));
    if !permitted {
        return Err(AppError::Forbidden);
    }
    let ft = FacilityTexts::of(lang.lang);
    let draft = match form.parse(ft) {
        Ok(draft) => draft,
        Err(problems) => {
            return show_page(
                &state,
                &me,
                lang,
                reservation,
                None,
                Some(form),
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let slot = (draft.slot != reservation.slot).then_some(draft.slot);
    let changed = store::change(
        &state.pool,
        reservation.id,
        slot,
        &draft.title,
        draft.visibility,
        &rights,
    )
    .await;
    let (problems, status) = match changed {
        Ok(()) => {
            info!(
                user.id = %me.staff.id,
                reservation.id = %reservation.id,
                "changed reservation {}",
                reservation.id
            );
            return Ok(see_other(&format!(
                "/facilities/reservations/{}?changed=1",
                reservation.id
            )));
        }
        Err(ReserveError::Conflict(existing)) => (
            vec![conflict_message(&existing, me.staff.id, ft)],
            StatusCode::CONFLICT,
        ),
        Err(ReserveError::Rules(broken)) => (
            broken.iter().map(|rule| rule.message(ft)).collect(),
            StatusCode::CONFLICT,
        ),
        Err(ReserveError::UnknownFacility | ReserveError::NotLive) => {
            return Err(AppError::NotFound);
        }
        Err(ReserveError::Database(error)) if is_busy(&error) => {
            warn!(
                user.id = %me.staff.id,
                reservation.id = %reservation.id,
                %error,
                "database busy: change form shown again"
            );
            (
                vec![busy_notice(lang.lang).to_owned()],
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(ReserveError::Database(error)) => return Err(error.into()),
    };
    let page = show_page(
        &state,
        &me,
        lang,
        reservation,
        None,
        Some(form),
        problems,
        status,
    )
    .await?;
    Ok(if status == StatusCode::SERVICE_UNAVAILABLE {
        busy(page)
    } else {
        page
    })
}

/// Cancels a reservation: its booker or an administrator of its facility may.
pub(super) async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<ButtonForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let reservation = load(&state, &id).await?;
    if reservation.booker != me.staff.id {
        let rights = rights_of(&state, &me).await?;
        let facility = store::facility(&state.pool, reservation.facility_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !rights.administers(facility.department_id) {
            return Err(AppError::Forbidden);
        }
    }
    let mut conn = state.pool.acquire().await?;
    if store::cancel(&mut conn, reservation.id).await? {
        info!(
            user.id = %me.staff.id,
            reservation.id = %reservation.id,
            "cancelled reservation {}",
            reservation.id
        );
    }
    Ok(see_other(&format!(
        "/facilities/reservations/{}?cancelled=1",
        reservation.id
    )))
}

/// Approves or rejects a 仮予約: only an administrator whose scope covers the facility's
/// managing department may.
pub(super) async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<DecideForm>,
) -> Result<Response, AppError> {
    let me = CurrentStaff::of(posted.user, &state).await?;
    let form = posted.form;
    let reservation = load(&state, &id).await?;
    let rights = rights_of(&state, &me).await?;
    let facility = store::facility(&state.pool, reservation.facility_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !rights.administers(facility.department_id) {
        return Err(AppError::Forbidden);
    }
    let Some(decision) = Decision::parse(&form.decision) else {
        return Err(AppError::Csrf);
    };
    let note: String = form
        .note
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let mut conn = state.pool.acquire().await?;
    match store::decide(&mut conn, reservation.id, decision, me.staff.id, &note).await {
        Ok(()) => {
            info!(
                user.id = %me.staff.id,
                reservation.id = %reservation.id,
                decision = ?decision,
                "decided on reservation {}",
                reservation.id
            );
            let booker = crate::org::store::find_staff(&state.pool, reservation.booker)
                .await?
                .map_or_else(|| format!("staff:{}", reservation.booker), |s| s.login);
            crate::audit::record(
                &state,
                &me.claims,
                crate::audit::AdminAction {
                    what: match decision {
                        Decision::Approve => "facility_booking_approved",
                        Decision::Reject => "facility_booking_rejected",
                    },
                    target: &booker,
                    detail: serde_json::json!({
                        "reservation": reservation.id.0,
                        "facility": facility.id.0,
                        "starts_at": reservation.slot.start_epoch(),
                        "ends_at": reservation.slot.end_epoch(),
                    }),
                },
            )
            .await?;
            Ok(see_other("/facilities/approvals?decided=1"))
        }
        Err(DecideError::NotPending) => Ok(see_other("/facilities/approvals?late=1")),
        Err(DecideError::Database(error)) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "facility/mine.html")]
struct MinePage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    decisions: Vec<ReservationView>,
    upcoming: Vec<ReservationView>,
}

/// The booker's upcoming reservations and the decisions on their 仮予約, which count as seen
/// once shown.
pub(super) async fn mine(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
) -> Result<Response, AppError> {
    let rights = rights_of(&state, &me).await?;
    let Frame { t, acct, c } =
        Frame::new(&state, &me, rights.scope.is_admin(), lang.lang, "mine").await?;
    let decisions = store::unseen_decisions(&state.pool, me.staff.id).await?;
    let upcoming = store::upcoming_of(
        &state.pool,
        me.staff.id,
        OffsetDateTime::now_utc(),
        MINE_LIMIT,
    )
    .await?;
    if !decisions.is_empty() {
        store::mark_decisions_seen(&state.pool, me.staff.id).await?;
    }
    let page = MinePage {
        decisions: decisions
            .iter()
            .map(|r| ReservationView::of(r, &rights, c.ft, true))
            .collect(),
        upcoming: upcoming
            .iter()
            .filter(|r| r.status.is_live())
            .map(|r| ReservationView::of(r, &rights, c.ft, true))
            .collect(),
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

#[derive(Template)]
#[template(path = "facility/approvals.html")]
struct ApprovalsPage {
    t: &'static Texts,
    acct: Account,
    c: Chrome,
    notice: Option<&'static str>,
    waiting: Vec<ReservationView>,
}

/// The 仮予約 waiting for the user's decision, within their scope.
pub(super) async fn approvals(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    let rights = rights_of(&state, &me).await?;
    if !rights.scope.is_admin() {
        return Err(AppError::Forbidden);
    }
    let Frame { t, acct, c } =
        Frame::new(&state, &me, rights.scope.is_admin(), lang.lang, "approvals").await?;
    let waiting = store::pending_for(&state.pool, &rights, OffsetDateTime::now_utc()).await?;
    let notice = if notice.decided == "1" {
        Some(c.ft.decided_notice)
    } else if notice.late == "1" {
        Some(c.ft.not_pending)
    } else {
        None
    };
    let page = ApprovalsPage {
        notice,
        waiting: waiting
            .iter()
            .map(|r| ReservationView::of(r, &rights, c.ft, true))
            .collect(),
        t,
        acct,
        c,
    };
    Ok(lang.page(render(&page)?))
}

async fn load(state: &AppState, id: &str) -> Result<Reservation, AppError> {
    store::reservation(&state.pool, ReservationId(parse_id(id)?))
        .await?
        .ok_or(AppError::NotFound)
}
