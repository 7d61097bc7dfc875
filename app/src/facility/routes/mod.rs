//! The facility pages: the day grid (`grid.rs`), the booking form (`reserve.rs`), a
//! reservation with its cancel and approval actions, the booker's list and the approvals list
//! (`reservation.rs`), and facility administration (`admin.rs`). This module holds what they
//! share: the routes, the page chrome and the form types' CSRF fields.

mod admin;
mod grid;
mod reservation;
mod reserve;

use axum::Router;
use axum::response::{IntoResponse as _, Redirect, Response};
use axum::routing::{get, post};
use time::{Date, OffsetDateTime};

use super::form::{ButtonForm, CategoryForm, DecideForm, FacilityForm, ReserveForm};
use super::model::{BookerRights, JST};
use super::store;
use super::texts::FacilityTexts;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::portal::model::Account;
use crate::routes::{CsrfToken, CurrentStaff};
use crate::state::AppState;

/// The facility module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/facilities", get(grid::page))
        .route(
            "/facilities/{id}/reserve",
            get(reserve::form).post(reserve::submit),
        )
        .route("/facilities/reservations/{id}", get(reservation::show))
        .route(
            "/facilities/reservations/{id}/cancel",
            post(reservation::cancel),
        )
        .route(
            "/facilities/reservations/{id}/change",
            post(reservation::change),
        )
        .route(
            "/facilities/reservations/{id}/decide",
            post(reservation::decide),
        )
        .route("/facilities/mine", get(reservation::mine))
        .route("/facilities/approvals", get(reservation::approvals))
        .route("/facilities/admin", get(admin::list))
        .route("/facilities/admin/categories", post(admin::add_category))
        .route(
            "/facilities/admin/new",
            get(admin::new_form).post(admin::create),
        )
        .route(
            "/facilities/admin/{id}",
            get(admin::edit_form).post(admin::update),
        )
}

/// What every facility page shows around its content. Pages hold `t` and `acct` as fields of
/// their own, where `base.html` and `_account.html` look for them, and the rest as `c`.
pub(super) struct Frame {
    /// App-wide texts (layout, account corner).
    pub t: &'static Texts,
    /// The account corner.
    pub acct: Account,
    /// The module's own chrome.
    pub c: Chrome,
}

/// The facility module's navigation and texts.
pub(super) struct Chrome {
    /// The facility texts.
    pub ft: &'static FacilityTexts,
    /// Which navigation entry is current: `grid`, `mine`, `approvals` or `admin`.
    pub nav: &'static str,
    /// Whether the user administers any facilities (shows approvals and administration).
    pub admin: bool,
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
}

impl Frame {
    pub(super) async fn new(
        state: &AppState,
        me: &CurrentStaff,
        admin: bool,
        lang: Lang,
        nav: &'static str,
    ) -> Result<Frame, AppError> {
        Ok(Frame {
            t: lang.texts(),
            acct: crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?,
            c: Chrome {
                ft: FacilityTexts::of(lang),
                nav,
                admin,
                csrf: me.claims.csrf.clone(),
            },
        })
    }
}

/// The booker rights of the signed-in member of staff.
pub(super) async fn rights_of(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<BookerRights, AppError> {
    Ok(store::booker_rights(&state.pool, me.staff.id).await?)
}

/// Today in Japan.
pub(super) fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// A `303 See Other` to `path`, the answer to every successful form post.
pub(super) fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// A database id from a path segment; anything else is a page that does not exist.
pub(super) fn parse_id(segment: &str) -> Result<i64, AppError> {
    segment
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

macro_rules! csrf_forms {
    ($($form:ty),*) => {$(
        impl CsrfToken for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf
            }
        }
    )*};
}
csrf_forms!(
    ReserveForm,
    DecideForm,
    ButtonForm,
    FacilityForm,
    CategoryForm
);
