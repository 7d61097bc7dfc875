//! Where the portal's data comes from. Today that is only the user's organisation profile,
//! read through the organisation store; the portlets' queries will join it here.

use sqlx::AnyPool;

use super::model::StaffProfile;
use crate::org;

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
