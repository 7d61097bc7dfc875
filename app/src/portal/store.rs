//! Where the portal's data comes from. Today that is only the user's organisation profile,
//! read through the organisation store; the portlets' queries will join it here.

use sqlx::AnyPool;

use sso::Claims;

use super::model::{Account, StaffProfile, UserHeader};
use crate::i18n::Lang;
use crate::org;
use crate::org::model::Staff;

/// The signed-in member of staff's events today, as the portal's schedule portlet lists
/// them; `None` for someone the organisation does not know as current staff.
pub async fn today_schedule(
    pool: &AnyPool,
    login: &str,
    today: time::Date,
    lang: Lang,
) -> Result<Option<Vec<crate::schedule::calendar::Entry>>, sqlx::Error> {
    use crate::schedule::model::{Occurrence, TimeRange, Viewer};
    let Some(staff) = org::store::find_staff_by_login(pool, login).await? else {
        return Ok(None);
    };
    if staff.employment == org::model::Employment::Retired {
        return Ok(None);
    }
    let Some(day) = TimeRange::local_days(today, today) else {
        return Ok(Some(Vec::new()));
    };
    let agenda = crate::schedule::store::agenda(pool, &[staff.id], &day).await?;
    // Everything on the list is the user's own, so every detail is theirs to see.
    let viewer = Viewer {
        staff: staff.id,
        delegating: Vec::new(),
        admin_scope: org::model::Scope::Nothing,
    };
    let tree = org::model::DepartmentTree::default();
    let occurrences: Vec<Occurrence> = agenda
        .events
        .values()
        .flat_map(|event| {
            let exdates = agenda
                .exdates
                .get(&event.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let see = viewer.access(event, &[], &tree).see_details;
            Occurrence::of(event, &day, exdates, see)
        })
        .collect();
    let texts = crate::schedule::texts::ScheduleTexts::of(lang);
    Ok(Some(crate::schedule::calendar::entries_on(
        &occurrences,
        today,
        texts,
    )))
}

/// What the organisation tables know about `login`, with their department path.
pub async fn staff_profile(
    pool: &AnyPool,
    login: &str,
) -> Result<Option<StaffProfile>, sqlx::Error> {
    let Some(staff) = org::store::find_staff_by_login(pool, login).await? else {
        return Ok(None);
    };
    let department_path = org::store::department_path(pool, staff.department_id).await?;
    Ok(Some(StaffProfile {
        name: staff.name,
        position: staff.position,
        department_path,
        employment: staff.employment,
    }))
}

/// The account corner for `staff`, signed in with `claims`, on a page in `lang`.
pub async fn account(
    pool: &AnyPool,
    claims: &Claims,
    staff: &Staff,
    lang: Lang,
) -> Result<Account, sqlx::Error> {
    let department_path = org::store::department_path(pool, staff.department_id).await?;
    let profile = StaffProfile {
        name: staff.name.clone(),
        position: staff.position.clone(),
        department_path,
        employment: staff.employment,
    };
    Ok(Account {
        user: UserHeader::new(claims, Some(profile), lang.texts()),
        other: lang.other().texts(),
        csrf: claims.csrf.clone(),
    })
}

/// The facility and memo portlets for `staff` at `now`: 仮予約 waiting for them as a facility
/// administrator, decisions on their bookings they have not seen, and their unread memos.
pub async fn module_portlets(
    pool: &AnyPool,
    staff: &Staff,
    now: time::OffsetDateTime,
    lang: Lang,
) -> Result<Vec<super::model::ListPortlet>, sqlx::Error> {
    use super::model::{PORTLET_LINES, facility_portlets, memo_portlet};
    let rights = crate::facility::store::booker_rights(pool, staff.id).await?;
    let waiting = if rights.scope.is_admin() {
        Some(crate::facility::store::pending_for(pool, &rights, now).await?)
    } else {
        None
    };
    let decisions = crate::facility::store::unseen_decisions(pool, staff.id).await?;
    let mut portlets = facility_portlets(
        waiting.as_deref(),
        &decisions,
        staff.id,
        crate::facility::texts::FacilityTexts::of(lang),
    );
    let count = crate::memo::store::unread_count(pool, staff.id).await?;
    let limit = i64::try_from(PORTLET_LINES).unwrap_or(5);
    let unread = crate::memo::store::unread(pool, staff.id, limit).await?;
    portlets.push(memo_portlet(
        &unread,
        count,
        crate::memo::texts::MemoTexts::of(lang),
    ));
    Ok(portlets)
}
