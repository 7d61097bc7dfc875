//! Where the portal's data comes from. Today that is only the user's organisation profile,
//! read through the organisation store; the portlets' queries will join it here.

use sqlx::AnyPool;

use sso::Claims;

use super::model::{Account, StaffProfile, UserHeader};
use crate::i18n::Lang;
use crate::org;
use crate::org::model::Staff;

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
