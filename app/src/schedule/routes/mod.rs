//! The schedule's pages: the personal and department calendars (`calendar.rs`), the event
//! pages and form (`event.rs`), the free-slot search (`free.rs`) and the calendar feed
//! (`feed.rs`). This module holds what they share: the page chrome, the multi-valued form
//! reader and who the viewer is.

mod bookings;
mod calendar;
mod event;
mod event_form;
mod event_page_form;
mod feed;
mod free;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use time::{Date, OffsetDateTime};
use tracing::warn;

use super::model::{JST, Viewer};
use super::store;
use super::texts::ScheduleTexts;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::org;
use crate::org::model::{Department, Module, Staff, indented_names};
use crate::portal::model::Account;
use crate::routes::{CurrentStaff, CurrentUser, PageLang, same_token};
use crate::state::AppState;

/// The schedule's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schedule", get(calendar::personal))
        .route("/schedule/group", get(calendar::group))
        .route("/schedule/events", post(event_form::create))
        .route("/schedule/events/new", get(event_form::new))
        .route("/schedule/events/{id}", get(event::show))
        .route(
            "/schedule/events/{id}/edit",
            get(event_form::edit).post(event_form::update),
        )
        .route("/schedule/events/{id}/delete", post(event::delete))
        .route("/schedule/free", get(free::search))
        .route("/schedule/feed", get(feed::settings).post(feed::change))
        .route("/schedule/delegates", post(feed::delegates))
        .route("/schedule/feed/{token}", get(feed::calendar))
}

/// What every schedule page shows around its content: the account line, the language switch
/// and the module's navigation.
pub(super) struct Chrome {
    /// The account corner (`templates/_account.html`), with the session's CSRF token.
    pub acct: Account,
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
    /// The schedule's texts.
    pub st: &'static ScheduleTexts,
    /// Which navigation entry is current.
    pub nav: &'static str,
}

impl Chrome {
    pub(super) async fn new(
        state: &AppState,
        me: &CurrentStaff,
        lang: Lang,
        nav: &'static str,
    ) -> Result<Chrome, AppError> {
        let acct = crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?;
        Ok(Chrome {
            csrf: acct.csrf.clone(),
            acct,
            st: ScheduleTexts::of(lang),
            nav,
        })
    }
}

/// A posted form read as `name=value` pairs (repeated names kept, as checkbox lists need),
/// accepted only with the session's CSRF token in its `csrf` field, from current staff.
pub(super) struct Fields {
    /// Who posted it.
    pub me: CurrentStaff,
    /// The pairs, in order.
    pub pairs: Vec<(String, String)>,
}

impl Fields {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl FromRequest<AppState> for Fields {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let user = <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, state,
        )
        .await?;
        let path = parts.uri.path().to_owned();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| AppError::Csrf)?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let sent = pairs
            .iter()
            .find(|(n, _)| n == "csrf")
            .map_or("", |(_, v)| v.as_str());
        if !same_token(sent, &user.claims.csrf) {
            warn!(path, user = %user.claims.sub, "form refused: CSRF token does not match");
            return Err(AppError::Csrf);
        }
        let me = CurrentStaff::of(user, state).await?;
        Ok(Fields { me, pairs })
    }
}

/// Today in Japan.
pub(super) fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// The viewer: who they are, who delegated to them and their schedule administration scope.
pub(super) async fn viewer(state: &AppState, me: &Staff) -> Result<Viewer, AppError> {
    Ok(Viewer {
        staff: me.id,
        delegating: store::delegating_to(&state.pool, me.id).await?,
        admin_scope: org::store::admin_scope(&state.pool, me.id, Module::Schedule).await?,
    })
}

/// One option of a department picker.
pub(super) struct DepartmentOption {
    /// Its id.
    pub id: i64,
    /// Indented name.
    pub label: String,
    /// Chosen.
    pub selected: bool,
}

/// The department picker's options, `chosen` selected.
pub(super) fn department_options(departments: &[Department], chosen: i64) -> Vec<DepartmentOption> {
    departments
        .iter()
        .zip(indented_names(departments))
        .map(|(d, label)| DepartmentOption {
            id: d.id.0,
            label,
            selected: d.id.0 == chosen,
        })
        .collect()
}

/// A person as pickers and participant lists show them.
pub(super) struct PersonLine {
    /// Staff id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Title.
    pub position: String,
    /// Ticked.
    pub checked: bool,
}

impl PersonLine {
    pub(super) fn of(staff: &Staff, checked: bool) -> PersonLine {
        PersonLine {
            id: staff.id.0,
            name: staff.name.clone(),
            position: staff.position.clone(),
            checked,
        }
    }
}

/// Adds the current staff named in `text` (logins or personnel numbers, separated by spaces
/// or commas) to `ids` (staff ids as text), and returns the names that matched nobody.
pub(super) async fn add_named(
    state: &AppState,
    text: &str,
    ids: &mut Vec<String>,
) -> Result<Vec<String>, AppError> {
    let mut unknown = Vec::new();
    for who in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
        .filter(|w| !w.is_empty())
        .take(50)
    {
        let found = match org::store::find_staff_by_login(&state.pool, who).await? {
            Some(staff) => Some(staff),
            None => org::store::find_staff_by_employee_no(&state.pool, who).await?,
        };
        match found.filter(|s| s.employment == org::model::Employment::Active) {
            Some(staff) => {
                let id = staff.id.0.to_string();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            None => unknown.push(who.to_owned()),
        }
    }
    Ok(unknown)
}

/// Renders with the page's language handling.
pub(super) fn page(lang: PageLang, html: String) -> axum::response::Response {
    lang.page(html)
}
