//! SQL for bulk personnel changes: reading the organisation as the HR file's comparison
//! needs it, and applying a [`Plan`] in one transaction with a record in `org_changes`.

use std::collections::HashMap;

use sqlx::AnyPool;
use time::OffsetDateTime;

use super::model::{HrRecord, Plan, Stored};
use crate::org::model::{DepartmentId, Employment, Post, StaffId};
use crate::org::store::set_posts;

/// The stored organisation, as the HR file is compared with it.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Every member of staff, retired ones included.
    pub staff: Vec<Stored>,
    /// Current department ids by code: abolished departments take no one new.
    pub departments: HashMap<String, DepartmentId>,
    /// Employee numbers by login.
    pub logins: HashMap<String, String>,
}

/// Reads the organisation for a comparison.
pub async fn current(pool: &AnyPool) -> Result<Current, sqlx::Error> {
    let departments: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, code, abolished_at FROM departments")
            .fetch_all(pool)
            .await?;
    let codes: HashMap<i64, String> = departments
        .iter()
        .map(|(id, code, _)| (*id, code.clone()))
        .collect();
    // id, employee_no, login, name, kana, department_id, position, mail, retired
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, employee_no, login, name, kana, department_id, position, mail, retired \
         FROM staff ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let posts: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT staff_id, department_id, position FROM staff_posts")
            .fetch_all(pool)
            .await?;
    let mut posts_of: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (staff, department, position) in posts {
        let code = codes.get(&department).cloned().unwrap_or_default();
        posts_of.entry(staff).or_default().push((code, position));
    }
    let mut staff = Vec::with_capacity(rows.len());
    let mut logins = HashMap::with_capacity(rows.len());
    for (id, employee_no, login, name, kana, department, position, mail, retired) in rows {
        logins.insert(login.clone(), employee_no.clone());
        let mut posts = posts_of.remove(&id).unwrap_or_default();
        posts.sort();
        staff.push(Stored {
            id: StaffId(id),
            employee_no,
            login,
            name,
            kana,
            department_code: codes.get(&department).cloned().unwrap_or_default(),
            position,
            mail,
            posts,
            employment: Employment::from_flag(retired),
        });
    }
    Ok(Current {
        staff,
        departments: departments
            .into_iter()
            .filter(|(_, _, abolished)| abolished.is_none())
            .map(|(id, code, _)| (code, DepartmentId(id)))
            .collect(),
        logins,
    })
}

/// Why a plan was not applied. Nothing is written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A department code vanished between the check and the apply.
    #[error("department {0} no longer exists")]
    UnknownDepartment(String),
    /// The database refused (a login taken meanwhile, a lost connection, ...).
    #[error("database error while applying the HR file: {0}")]
    Database(#[from] sqlx::Error),
}

/// What an apply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Staff added.
    pub added: usize,
    /// Staff changed (retirements included).
    pub changed: usize,
    /// Of those, retirements.
    pub retired: usize,
}

fn department(
    departments: &HashMap<String, DepartmentId>,
    code: &str,
) -> Result<DepartmentId, ApplyError> {
    departments
        .get(code)
        .copied()
        .ok_or_else(|| ApplyError::UnknownDepartment(code.to_owned()))
}

fn posts(
    departments: &HashMap<String, DepartmentId>,
    record: &HrRecord,
) -> Result<Vec<Post>, ApplyError> {
    record
        .posts
        .iter()
        .map(|(code, position)| {
            Ok(Post {
                department_id: department(departments, code)?,
                position: position.clone(),
            })
        })
        .collect()
}

/// Applies `plan` in one transaction: all of it or nothing. `source` and `actor` go into
/// `org_changes` with the counts.
pub async fn apply(
    pool: &AnyPool,
    plan: &Plan,
    departments: &HashMap<String, DepartmentId>,
    source: &str,
    actor: &str,
    now: OffsetDateTime,
) -> Result<Applied, ApplyError> {
    let mut tx = pool.begin().await?;
    for record in &plan.added {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO staff (login, employee_no, name, kana, department_id, position, mail, retired) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(record.login.as_str())
        .bind(record.employee_no.as_str())
        .bind(record.name.as_str())
        .bind(record.kana.as_str())
        .bind(department(departments, &record.department_code)?)
        .bind(record.position.as_str())
        .bind(record.mail.as_str())
        .bind(record.employment.as_flag())
        .fetch_one(&mut *tx)
        .await?;
        set_posts(&mut tx, StaffId(id), &posts(departments, record)?).await?;
    }
    for change in &plan.changed {
        let record = &change.record;
        sqlx::query(
            "UPDATE staff SET login = $1, name = $2, kana = $3, department_id = $4, position = $5, \
                 mail = $6, retired = $7 \
             WHERE id = $8",
        )
        .bind(record.login.as_str())
        .bind(record.name.as_str())
        .bind(record.kana.as_str())
        .bind(department(departments, &record.department_code)?)
        .bind(record.position.as_str())
        .bind(record.mail.as_str())
        .bind(record.employment.as_flag())
        .bind(change.stored.id)
        .execute(&mut *tx)
        .await?;
        set_posts(&mut tx, change.stored.id, &posts(departments, record)?).await?;
    }
    let applied = Applied {
        added: plan.added.len(),
        changed: plan.changed.len(),
        retired: plan.retirements(),
    };
    let summary = format!(
        "{} added, {} changed ({} transfers, {} retirements)",
        applied.added,
        applied.changed,
        plan.transfers(),
        applied.retired
    );
    sqlx::query(
        "INSERT INTO org_changes (applied_at, actor, source, added, changed, retired, summary) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now.unix_timestamp())
    .bind(actor)
    .bind(source)
    .bind(i64::try_from(applied.added).unwrap_or(i64::MAX))
    .bind(i64::try_from(applied.changed).unwrap_or(i64::MAX))
    .bind(i64::try_from(applied.retired).unwrap_or(i64::MAX))
    .bind(summary)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(applied)
}

/// The latest bulk changes, newest first: when, who, from where, and what.
pub async fn recent_changes(
    pool: &AnyPool,
    limit: i64,
) -> Result<Vec<(OffsetDateTime, String, String, String)>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT applied_at, actor, source, summary FROM org_changes ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(at, actor, source, summary)| {
            Some((
                OffsetDateTime::from_unix_timestamp(at).ok()?,
                actor,
                source,
                summary,
            ))
        })
        .collect())
}
