//! Calendar links: the settings page for one's private iCalendar feed URL and delegates
//! (`/schedule/feed`), and the feed itself (`/schedule/feed/{token}.ics`).
//!
//! The feed is the one page served without the gateway's identity assertion: calendar clients
//! cannot log in, so the URL itself is the credential (a capability, like a shared-calendar
//! link in any groupware). It is read-only, shows one person's schedule, holds 256 random
//! bits, is stored only as its SHA-256, stops working when replaced, revoked or when its owner
//! retires, and the gateway forwards only `/schedule/feed/` on this public route.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};
use tracing::{debug, info};

use super::{Chrome, Fields, PersonLine, page, today};
use crate::error::AppError;
use crate::i18n::Texts;
use crate::org;
use crate::org::model::StaffId;
use crate::routes::{CurrentStaff, PageLang, render};
use crate::schedule::ical;
use crate::schedule::model::{JST, TimeRange};
use crate::schedule::store;
use crate::schedule::texts::ScheduleTexts;
use crate::state::AppState;

/// How far back the feed reaches.
const FEED_PAST: Duration = Duration::days(92);
/// How far ahead the feed reaches.
const FEED_FUTURE: Duration = Duration::days(400);

/// The settings page.
#[derive(Template)]
#[template(path = "schedule/feed.html")]
struct FeedPage {
    t: &'static Texts,
    c: Chrome,
    url: Option<String>,
    created: Option<String>,
    delegates: Vec<PersonLine>,
}

async fn settings_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: PageLang,
    url: Option<String>,
) -> Result<Response, AppError> {
    let st = ScheduleTexts::of(lang.lang);
    let created = store::feed_token_created(&state.pool, me.staff.id)
        .await?
        .map(|at| {
            let local = at.to_offset(JST);
            st.feed_created.replace(
                "{at}",
                &format!(
                    "{} {:02}:{:02}",
                    crate::schedule::form::date_text(local.date()),
                    local.hour(),
                    local.minute()
                ),
            )
        });
    let current: HashSet<StaffId> = store::delegates_of(&state.pool, me.staff.id)
        .await?
        .into_iter()
        .collect();
    let mut people = org::store::department_members(&state.pool, me.staff.department_id).await?;
    let known: HashSet<StaffId> = people.iter().map(|p| p.id).collect();
    let elsewhere: Vec<StaffId> = current
        .iter()
        .filter(|id| !known.contains(id))
        .copied()
        .collect();
    people.extend(org::store::find_staff_many(&state.pool, &elsewhere).await?);
    let delegates = people
        .iter()
        .filter(|p| p.id != me.staff.id)
        .map(|p| PersonLine::of(p, current.contains(&p.id)))
        .collect();
    let page_data = FeedPage {
        t: lang.lang.texts(),
        c: Chrome::new(state, me, lang.lang, "feed").await?,
        url,
        created,
        delegates,
    };
    Ok(page(lang, render(&page_data)?))
}

pub(super) async fn settings(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
) -> Result<Response, AppError> {
    settings_page(&state, &me, lang, None).await
}

/// The SHA-256 of a feed token, as stored.
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) async fn change(
    State(state): State<AppState>,
    lang: PageLang,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, AppError> {
    let me = &fields.me;
    match fields.get("action") {
        "create" => {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            store::set_feed_token(
                &state.pool,
                me.staff.id,
                &token_hash(&token),
                OffsetDateTime::now_utc(),
            )
            .await?;
            info!(user.id = %me.staff.id, "calendar feed URL made");
            // The host the user reached us by; the gateway passes it on.
            let host = headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let url = format!("https://{host}/schedule/feed/{token}.ics");
            settings_page(&state, me, lang, Some(url)).await
        }
        "revoke" => {
            store::delete_feed_token(&state.pool, me.staff.id).await?;
            info!(user.id = %me.staff.id, "calendar feed URL revoked");
            Ok(Redirect::to("/schedule/feed").into_response())
        }
        _ => Err(AppError::NotFound),
    }
}

pub(super) async fn delegates(
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, AppError> {
    let me = &fields.me;
    let mut ids: Vec<String> = fields
        .pairs
        .iter()
        .filter(|(n, _)| n == "delegates")
        .map(|(_, v)| v.clone())
        .collect();
    // Delegates from other departments are named by login or personnel number; names that
    // match nobody are dropped (the page lists who the delegates are afterwards).
    super::add_named(&state, fields.get("add_people"), &mut ids).await?;
    let chosen: Vec<StaffId> = ids
        .iter()
        .filter_map(|v| v.parse().ok())
        .map(StaffId)
        .collect();
    match store::set_delegates(&state.pool, me.staff.id, &chosen).await {
        Ok(()) => {
            info!(user.id = %me.staff.id, delegates = chosen.len(), "delegates changed");
            Ok(Redirect::to("/schedule/feed").into_response())
        }
        Err(store::SaveError::Database(e)) => Err(AppError::Database(e)),
        Err(_) => Err(AppError::Forbidden),
    }
}

/// The feed. Answers 404 for any token it does not know, so tokens cannot be probed.
pub(super) async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        debug!("calendar feed asked with a malformed token");
        return Err(AppError::NotFound);
    }
    let Some(staff_id) = store::staff_by_feed_token(&state.pool, &token_hash(token)).await? else {
        debug!("calendar feed asked with an unknown token");
        return Err(AppError::NotFound);
    };
    let Some(staff) = org::store::find_staff(&state.pool, staff_id).await? else {
        return Err(AppError::NotFound);
    };
    let now = today();
    let window =
        TimeRange::local_days(now - FEED_PAST, now + FEED_FUTURE).ok_or(AppError::NotFound)?;
    let agenda = store::agenda(&state.pool, &[staff_id], &window).await?;
    let mut events: Vec<_> = agenda
        .events
        .into_values()
        .map(|event| {
            let exdates = agenda.exdates.get(&event.id).cloned().unwrap_or_default();
            (event, exdates)
        })
        .collect();
    events.sort_by_key(|(e, _)| (e.span.start(), e.id));
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h))
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
        .unwrap_or("yakuba");
    let body = ical::feed(&staff.name, host, &events);
    debug!(user.id = %staff_id, events = events.len(), "calendar feed served");
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}
