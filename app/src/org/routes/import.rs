//! The overview page (tree, import form, recent bulk changes) and the HR CSV import: upload
//! and check (the differences or every bad line), then apply in one transaction.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use time::OffsetDateTime;
use tracing::info;

use super::require_admin;
use crate::error::AppError;
use crate::i18n::{Lang, Texts};
use crate::org;
use crate::org::import::model::{self as hr, Encoding, Plan};
use crate::org::import::store as import;
use crate::org::model::indented_names;
use crate::org::texts::AdminTexts;
use crate::portal::model::Account;
use crate::routes::{CurrentStaff, CurrentUser, PageLang, render, same_token};
use crate::state::AppState;

/// Differences shown on the check page at most.
const SHOWN: usize = 300;

/// One line of the differences.
struct DiffLine {
    who: String,
    new: bool,
    changes: Vec<String>,
}

/// The overview, and the import's result pages.
#[derive(Template)]
#[template(path = "org/admin.html")]
pub(super) struct AdminPage {
    t: &'static Texts,
    acct: Account,
    at: &'static AdminTexts,
    tree: Vec<String>,
    departments: Vec<(i64, String, String, i32)>,
    abolished: Vec<(i64, String)>,
    recent: Vec<String>,
    notice: Option<String>,
    pub(super) errors: Vec<String>,
    summary: Option<String>,
    diff: Vec<DiffLine>,
    more: Option<String>,
    content: Option<String>,
}

pub(super) async fn admin_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
) -> Result<AdminPage, AppError> {
    let departments = org::store::departments(&state.pool).await?;
    let recent = import::recent_changes(&state.pool, 10)
        .await?
        .into_iter()
        .map(|(at, actor, source, summary)| {
            let local = at.to_offset(crate::schedule::model::JST);
            format!(
                "{} {:02}:{:02} {actor} ({source}) {summary}",
                crate::schedule::form::date_text(local.date()),
                local.hour(),
                local.minute()
            )
        })
        .collect();
    Ok(AdminPage {
        t: lang.texts(),
        acct: crate::portal::store::account(&state.pool, &me.claims, &me.staff, lang).await?,
        at: AdminTexts::of(lang),
        tree: indented_names(&departments)
            .into_iter()
            .zip(&departments)
            .map(|(name, d)| format!("{name}（{}）", d.code))
            .collect(),
        departments: departments
            .iter()
            .zip(indented_names(&departments))
            .map(|(d, label)| (d.id.0, label, d.name.clone(), d.display_order))
            .collect(),
        abolished: org::store::abolished_departments(&state.pool)
            .await?
            .into_iter()
            .map(|d| (d.id.0, format!("{}（{}）", d.name, d.code)))
            .collect(),
        recent,
        notice: None,
        errors: Vec::new(),
        summary: None,
        diff: Vec::new(),
        more: None,
        content: None,
    })
}

pub(super) async fn overview(
    State(state): State<AppState>,
    me: CurrentStaff,
    lang: PageLang,
) -> Result<Response, AppError> {
    require_admin(&state, &me).await?;
    let page = admin_page(&state, &me, lang.lang).await?;
    Ok(lang.page(render(&page)?))
}

/// The fields of an import form: the CSRF token and the file (or, when applying, the checked
/// text), read from multipart; the token is checked before anything else is used.
async fn read_upload(
    state: &AppState,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<(CurrentStaff, Vec<u8>), AppError> {
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| AppError::Csrf)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| AppError::Csrf)?,
            Some("file") | Some("content") => {
                bytes = field.bytes().await.map_err(|_| AppError::Csrf)?.to_vec();
            }
            _ => {}
        }
    }
    if !same_token(&csrf, &user.claims.csrf) {
        tracing::warn!(user = %user.claims.sub, "import refused: CSRF token does not match");
        return Err(AppError::Csrf);
    }
    let me = CurrentStaff::of(user, state).await?;
    require_admin(state, &me).await?;
    Ok((me, bytes))
}

fn summary(plan: &Plan, at: &AdminTexts) -> String {
    at.summary
        .replace("{added}", &plan.added.len().to_string())
        .replace("{changed}", &plan.changed.len().to_string())
        .replace("{transfers}", &plan.transfers().to_string())
        .replace("{retired}", &plan.retirements().to_string())
        .replace("{unchanged}", &plan.unchanged.to_string())
}

/// The decoded file checked against the stored organisation: its plan, or the lines' problems.
async fn checked(
    state: &AppState,
    bytes: &[u8],
    lang: Lang,
) -> Result<
    (
        Result<(String, Plan, import::Current), Vec<String>>,
        Option<Encoding>,
    ),
    AppError,
> {
    let at = AdminTexts::of(lang);
    let Some((text, encoding)) = hr::decode(bytes) else {
        return Ok((Err(vec![at.undecodable.to_owned()]), None));
    };
    let current = import::current(&state.pool).await?;
    match hr::parse(&text, &current.departments, &current.logins) {
        Ok(records) => {
            let plan = hr::plan(records, &current.staff);
            Ok((Ok((text, plan, current)), Some(encoding)))
        }
        Err(errors) => Ok((
            Err(errors
                .iter()
                .map(|e| match lang {
                    Lang::Ja => hr::message_ja(e),
                    Lang::En => hr::message_en(e),
                })
                .collect()),
            Some(encoding),
        )),
    }
}

pub(super) async fn check(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (me, bytes) = read_upload(&state, user, multipart).await?;
    let mut page = admin_page(&state, &me, lang.lang).await?;
    let at = page.at;
    let (result, encoding) = checked(&state, &bytes, lang.lang).await?;
    if let Some(encoding) = encoding {
        page.notice = Some(at.encoding.replace(
            "{encoding}",
            match encoding {
                Encoding::Utf8 => "UTF-8",
                Encoding::ShiftJis => "Shift_JIS",
            },
        ));
    }
    match result {
        Err(errors) => page.errors = errors,
        Ok((text, plan, _)) => {
            page.summary = Some(if plan.is_empty() {
                at.nothing.to_owned()
            } else {
                summary(&plan, at)
            });
            page.diff = plan
                .added
                .iter()
                .map(|r| DiffLine {
                    who: format!("{} {}（{}）", r.employee_no, r.name, r.login),
                    new: true,
                    changes: vec![format!("{} {} / {}", r.department_code, r.position, r.mail)],
                })
                .chain(plan.changed.iter().map(|c| {
                    DiffLine {
                        who: format!(
                            "{} {}（{}）",
                            c.stored.employee_no, c.stored.name, c.stored.login
                        ),
                        new: false,
                        changes: c
                            .fields
                            .iter()
                            .map(|f| format!("{}: {} → {}", f.field, f.before, f.after))
                            .collect(),
                    }
                }))
                .take(SHOWN)
                .collect();
            if plan.added.len() + plan.changed.len() > SHOWN {
                page.more = Some(at.first_n.replace("{n}", &SHOWN.to_string()));
            }
            if !plan.is_empty() {
                page.content = Some(text);
            }
        }
    }
    Ok(lang.page(render(&page)?))
}

pub(super) async fn apply(
    State(state): State<AppState>,
    lang: PageLang,
    user: CurrentUser,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (me, bytes) = read_upload(&state, user, multipart).await?;
    let mut page = admin_page(&state, &me, lang.lang).await?;
    let at = page.at;
    // Checked again against the organisation as it is now, in case it changed since.
    match checked(&state, &bytes, lang.lang).await?.0 {
        Err(errors) => page.errors = errors,
        Ok((_, plan, current)) => {
            let applied = match import::apply(
                &state.pool,
                &plan,
                &current.departments,
                "hr_csv",
                &me.staff.login,
                OffsetDateTime::now_utc(),
            )
            .await
            {
                Ok(applied) => applied,
                Err(import::ApplyError::Database(e)) => return Err(AppError::Database(e)),
                // A department removed between the check and now: say so; nothing was applied.
                Err(import::ApplyError::UnknownDepartment(code)) => {
                    page.errors = vec![format!("{code}: {}", at.department_unknown)];
                    return Ok(lang.page(render(&page)?));
                }
            };
            info!(
                user.id = %me.staff.id,
                added = applied.added,
                changed = applied.changed,
                retired = applied.retired,
                "HR file applied"
            );
            let fresh = admin_page(&state, &me, lang.lang).await?;
            page = AdminPage {
                notice: Some(at.applied.replace("{summary}", &summary(&plan, at))),
                ..fresh
            };
        }
    }
    Ok(lang.page(render(&page)?))
}
