//! The portal page at `/`.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use time::OffsetDateTime;

use super::model::{JST, ListPortlet, Portlet, Tile, UserHeader, date_label, placeholder_portlets};
use super::store;
use crate::error::AppError;
use crate::i18n::Texts;
use crate::routes::{CurrentUser, PageLang, render};
use crate::state::AppState;

/// The portal's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index))
}

/// The portal page.
#[derive(Template)]
#[template(path = "portal/index.html")]
struct PortalPage {
    /// Texts in the page's language.
    t: &'static Texts,
    /// The language the switch offers.
    other: &'static Texts,
    /// The user line.
    user: UserHeader,
    /// The session's CSRF token, for the logout form.
    csrf: String,
    /// Today in Japan.
    today: String,
    /// Business systems.
    tiles: Vec<Tile>,
    /// Module cards.
    portlets: Vec<Portlet>,
    /// Today's events, for current staff.
    schedule: Option<Vec<crate::schedule::calendar::Entry>>,
    /// The schedule's texts.
    st: &'static crate::schedule::texts::ScheduleTexts,
    /// Facility approvals and decisions, and unread memos, for current staff.
    lists: Vec<ListPortlet>,
}

async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: PageLang,
) -> Result<Response, AppError> {
    let claims = user.claims;
    let profile = store::staff_profile(&state.pool, &claims.sub).await?;
    let t = lang.lang.texts();
    let today = OffsetDateTime::now_utc().to_offset(JST).date();
    let schedule = store::today_schedule(&state.pool, &claims.sub, today, lang.lang).await?;
    let lists = match crate::org::store::find_staff_by_login(&state.pool, &claims.sub).await? {
        Some(staff) if staff.employment == crate::org::model::Employment::Active => {
            store::module_portlets(&state.pool, &staff, OffsetDateTime::now_utc(), lang.lang)
                .await?
        }
        _ => Vec::new(),
    };
    let page = PortalPage {
        t,
        other: lang.lang.other().texts(),
        user: UserHeader::new(&claims, profile, t),
        tiles: Tile::all(&claims.apps, lang.lang),
        portlets: placeholder_portlets(t),
        schedule,
        st: crate::schedule::texts::ScheduleTexts::of(lang.lang),
        lists,
        today: date_label(today, lang.lang),
        csrf: claims.csrf,
    };
    Ok(lang.page(render(&page)?))
}
