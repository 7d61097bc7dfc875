//! Running a directory synchronisation: list the directory's people with the service
//! account, plan against the stored staff ([`super::directory::sync_plan`]) and, when asked,
//! apply the plan through the same transaction as the HR import.

use time::OffsetDateTime;

use super::directory::{Listed, SyncOptions, SyncPlan, SyncRefusal, names_to_codes, sync_plan};
use super::store::{self as import, Applied, ApplyError};
use crate::org;

/// Why a synchronisation did not run or did not apply. Nothing is written when this is
/// returned.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The directory could not be read.
    #[error("cannot read the directory: {0}")]
    Directory(#[from] sso::ldap::LdapError),
    /// The listing looks wrong; see the refusal.
    #[error("{0}")]
    Refused(#[from] SyncRefusal),
    /// The plan could not be applied.
    #[error("{0}")]
    Apply(#[from] ApplyError),
    /// The database failed while reading.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Lists the directory, plans, and applies when `apply` is set; returns the plan and what
/// was applied.
pub async fn synchronise(
    pool: &sqlx::AnyPool,
    directory: &sso::ldap::LdapDirectory,
    options: &SyncOptions,
    apply: bool,
    now: OffsetDateTime,
) -> Result<(SyncPlan, Option<Applied>), SyncError> {
    let listed: Vec<Listed> = directory
        .list_users(&options.filter)
        .await?
        .into_iter()
        .map(Listed::from)
        .collect();
    let current = import::current(pool).await?;
    let departments = org::store::departments(pool).await?;
    let names = names_to_codes(
        departments
            .iter()
            .map(|d| (d.name.as_str(), d.code.as_str())),
    );
    let plan = sync_plan(&listed, &current.staff, &names, options)?;
    let applied = if apply && !plan.plan.is_empty() {
        Some(
            import::apply(
                pool,
                &plan.plan,
                &current.departments,
                "directory",
                "directory-sync",
                now,
            )
            .await?,
        )
    } else {
        None
    };
    Ok((plan, applied))
}
