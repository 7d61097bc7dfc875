//! The department tree: listing it, a department's path from its 局, and the administration's
//! changes: adding a department one level down, renaming and reordering, moving one under
//! another parent, and abolishing (廃止) one, its current staff moved elsewhere in the same
//! transaction. Moves and abolitions are recorded in `org_changes`.

use sqlx::{Any, AnyConnection, AnyPool, Executor};
use time::OffsetDateTime;

use super::MAX_DEPTH;
use crate::org::model::{
    Department, DepartmentId, DepartmentKind, DepartmentTree, PlacementProblem, check_placement,
    tree_order,
};

const DEPARTMENT_COLUMNS: &str = "id, code, parent_id, name, kind, display_order, abolished_at";

/// Names of the departments from the 局 down to `department`, root first
/// (`["総務局", "総務部", "総務課"]`); empty if there is no such department.
pub async fn department_path<'e, E>(
    db: E,
    department: DepartmentId,
) -> Result<Vec<String>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    // `WITH RECURSIVE` reads the same on SQLite and PostgreSQL; walking up from the
    // department and sorting by distance puts the root first.
    sqlx::query_scalar(
        "WITH RECURSIVE path (id, parent_id, name, depth) AS ( \
             SELECT id, parent_id, name, 0 FROM departments WHERE id = $1 \
             UNION ALL \
             SELECT d.id, d.parent_id, d.name, path.depth + 1 \
             FROM departments d JOIN path ON d.id = path.parent_id \
             WHERE path.depth < $2 \
         ) \
         SELECT name FROM path ORDER BY depth DESC",
    )
    .bind(department)
    .bind(MAX_DEPTH)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
struct DepartmentRow {
    id: i64,
    code: String,
    parent_id: Option<i64>,
    name: String,
    kind: String,
    display_order: i32,
    abolished_at: Option<i64>,
}

impl From<DepartmentRow> for Department {
    fn from(row: DepartmentRow) -> Department {
        Department {
            id: DepartmentId(row.id),
            code: row.code,
            parent_id: row.parent_id.map(DepartmentId),
            name: row.name,
            // The CHECK constraint allows only the four kinds; a 係 is the safe reading of
            // anything else, as it grants nothing.
            kind: DepartmentKind::parse(&row.kind).unwrap_or(DepartmentKind::Kakari),
            display_order: row.display_order,
            // Out of range only if written around the store; such a department still reads
            // as abolished.
            abolished_at: row.abolished_at.map(|at| {
                OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
            }),
        }
    }
}

/// Every current department in tree order: each parent before its children, siblings by
/// display order. Abolished departments are left out: this is what pickers offer.
pub async fn departments(pool: &AnyPool) -> Result<Vec<Department>, sqlx::Error> {
    let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE abolished_at IS NULL");
    let rows: Vec<Department> = sqlx::query_as::<_, DepartmentRow>(&sql)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Department::from)
        .collect();
    Ok(tree_order(rows))
}

/// The abolished departments, most recently abolished first.
pub async fn abolished_departments(pool: &AnyPool) -> Result<Vec<Department>, sqlx::Error> {
    let sql = format!(
        "SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE abolished_at IS NOT NULL \
         ORDER BY abolished_at DESC, id"
    );
    let rows = sqlx::query_as::<_, DepartmentRow>(&sql)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(Department::from).collect())
}

/// The department with id `id`, current or abolished, if there is one.
pub async fn find_department<'e, E>(
    db: E,
    id: DepartmentId,
) -> Result<Option<Department>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE id = $1");
    let row = sqlx::query_as::<_, DepartmentRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Department::from))
}

/// Why a department was not added or changed. Nothing is written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum DepartmentError {
    /// The parent does not exist.
    #[error("no such parent department")]
    UnknownParent,
    /// The parent is a 係, which has no level below it.
    #[error("a 係 cannot have departments under it")]
    TooDeep,
    /// Another department has the code.
    #[error("department code {0} is taken")]
    CodeTaken(String),
    /// The department does not exist.
    #[error("no such department")]
    NotFound,
    /// The department is abolished: it stays as history and is not changed.
    #[error("the department is abolished")]
    Abolished,
    /// The department cannot go under that parent.
    #[error("{0}")]
    Placement(#[from] PlacementProblem),
    /// The department still has current departments under it.
    #[error("the department has current departments under it")]
    HasSubDepartments,
    /// The department still has current staff (or concurrent posts) and no department to move
    /// them to was given.
    #[error("the department still has {0} current staff")]
    HasStaff(i64),
    /// The department to move the staff to is unknown, abolished, or the department itself.
    #[error("the staff cannot move to that department")]
    BadTarget,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Adds a department with `code` and `name` under `parent` (a 局 when `None`), one level
/// below it, at `display_order` among its siblings.
pub async fn add_department(
    pool: &AnyPool,
    code: &str,
    name: &str,
    parent: Option<DepartmentId>,
    display_order: i32,
) -> Result<DepartmentId, DepartmentError> {
    let mut tx = pool.begin().await?;
    let kind = match parent {
        None => DepartmentKind::Kyoku,
        Some(parent) => {
            let found = find_department(&mut *tx, parent)
                .await?
                .filter(Department::is_current)
                .ok_or(DepartmentError::UnknownParent)?;
            found.kind.child().ok_or(DepartmentError::TooDeep)?
        }
    };
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(DepartmentError::CodeTaken(code.to_owned()));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO departments (code, parent_id, name, kind, display_order) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(code)
    .bind(parent)
    .bind(name)
    .bind(kind.as_str())
    .bind(display_order)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(DepartmentId(id))
}

/// Renames the current department `id` and moves it to `display_order` among its siblings.
pub async fn update_department(
    pool: &AnyPool,
    id: DepartmentId,
    name: &str,
    display_order: i32,
) -> Result<(), DepartmentError> {
    let done = sqlx::query(
        "UPDATE departments SET name = $1, display_order = $2 \
         WHERE id = $3 AND abolished_at IS NULL",
    )
    .bind(name)
    .bind(display_order)
    .bind(id)
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(match find_department(pool, id).await? {
            Some(_) => DepartmentError::Abolished,
            None => DepartmentError::NotFound,
        });
    }
    Ok(())
}

/// The current department `id`, read inside the caller's transaction.
async fn current_department(
    conn: &mut AnyConnection,
    id: DepartmentId,
) -> Result<Department, DepartmentError> {
    match find_department(&mut *conn, id).await? {
        None => Err(DepartmentError::NotFound),
        Some(found) if !found.is_current() => Err(DepartmentError::Abolished),
        Some(found) => Ok(found),
    }
}

/// Moves the current department `id`, with everything under it, under `parent` (to the top
/// when `None`), keeping its level and display order; records the move in `org_changes` as
/// `actor`'s. Function administrators' scopes follow: they are read from the tree on every
/// check, so a 部's administrator covers a 課 moved in from now on and no longer one moved
/// out.
pub async fn move_department(
    pool: &AnyPool,
    id: DepartmentId,
    parent: Option<DepartmentId>,
    actor: &str,
    now: OffsetDateTime,
) -> Result<(), DepartmentError> {
    let mut tx = pool.begin().await?;
    let department = current_department(&mut tx, id).await?;
    let new_parent = match parent {
        None => None,
        Some(parent) => Some(
            find_department(&mut *tx, parent)
                .await?
                .ok_or(DepartmentError::UnknownParent)?,
        ),
    };
    let tree = department_tree(&mut *tx).await?;
    check_placement(&department, new_parent.as_ref(), &tree)?;
    if department.parent_id == parent {
        return Ok(());
    }
    sqlx::query("UPDATE departments SET parent_id = $1 WHERE id = $2")
        .bind(parent)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let old_path = department_path(&mut *tx, department.parent_id.unwrap_or(id)).await?;
    let new_path = match parent {
        Some(parent) => department_path(&mut *tx, parent).await?,
        None => Vec::new(),
    };
    let from = if department.parent_id.is_some() {
        old_path.join(" › ")
    } else {
        "（最上位）".to_owned()
    };
    let to = if new_path.is_empty() {
        "（最上位）".to_owned()
    } else {
        new_path.join(" › ")
    };
    record_change(
        &mut tx,
        actor,
        now,
        0,
        &format!(
            "組織移動 {}（{}）: {from} → {to}",
            department.name, department.code
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an abolition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abolished {
    /// Current staff whose primary department moved.
    pub moved_staff: i64,
    /// Concurrent posts (兼務) that moved (or ended, where the person already held the
    /// target department).
    pub moved_posts: i64,
}

/// Abolishes (廃止) the current department `id`, which must have no current department under
/// it. Its current staff and concurrent posts move to `move_to` in the same transaction; without
/// `move_to` it must have none. The department stays, marked abolished at `now`, so that
/// history still names it; it is no longer listed by [`departments`]. Recorded in
/// `org_changes` as `actor`'s.
pub async fn abolish_department(
    pool: &AnyPool,
    id: DepartmentId,
    move_to: Option<DepartmentId>,
    actor: &str,
    now: OffsetDateTime,
) -> Result<Abolished, DepartmentError> {
    let mut tx = pool.begin().await?;
    let department = current_department(&mut tx, id).await?;
    let children: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM departments WHERE parent_id = $1 AND abolished_at IS NULL",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if children > 0 {
        return Err(DepartmentError::HasSubDepartments);
    }
    let staff: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE department_id = $1 AND retired = 0")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let posts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff_posts p JOIN staff s ON s.id = p.staff_id \
         WHERE p.department_id = $1 AND s.retired = 0",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let target = match move_to {
        None if staff + posts > 0 => return Err(DepartmentError::HasStaff(staff + posts)),
        None => None,
        Some(target) if target == id => return Err(DepartmentError::BadTarget),
        Some(target) => match find_department(&mut *tx, target).await? {
            Some(found) if found.is_current() => Some(found),
            _ => return Err(DepartmentError::BadTarget),
        },
    };
    if let Some(target) = &target {
        move_members(&mut tx, id, target.id).await?;
    }
    sqlx::query("UPDATE departments SET abolished_at = $1 WHERE id = $2")
        .bind(now.unix_timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let summary = match &target {
        Some(target) => format!(
            "組織廃止 {}（{}）: 職員 {staff} 人・兼務 {posts} 件を {}（{}）へ",
            department.name, department.code, target.name, target.code
        ),
        None => format!("組織廃止 {}（{}）", department.name, department.code),
    };
    record_change(&mut tx, actor, now, staff, &summary).await?;
    tx.commit().await?;
    Ok(Abolished {
        moved_staff: staff,
        moved_posts: posts,
    })
}

/// Moves the current staff of `from` to `to`, and their concurrent posts there too; a post
/// that would repeat the person's primary department or another post of theirs in `to` ends.
async fn move_members(
    conn: &mut AnyConnection,
    from: DepartmentId,
    to: DepartmentId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE staff SET department_id = $1 WHERE department_id = $2 AND retired = 0")
        .bind(to)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    // Posts in `to` of people who now sit there are their primary department already.
    sqlx::query(
        "DELETE FROM staff_posts WHERE department_id = $1 \
         AND staff_id IN (SELECT id FROM staff WHERE department_id = $1)",
    )
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM staff_posts WHERE department_id = $1 \
         AND staff_id IN (SELECT id FROM staff WHERE retired = 0 AND department_id = $2 \
                          UNION SELECT staff_id FROM staff_posts WHERE department_id = $2)",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE staff_posts SET department_id = $1 WHERE department_id = $2 \
         AND staff_id IN (SELECT id FROM staff WHERE retired = 0)",
    )
    .bind(to)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a change made from the administration pages in `org_changes`.
async fn record_change(
    conn: &mut AnyConnection,
    actor: &str,
    now: OffsetDateTime,
    changed: i64,
    summary: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO org_changes (applied_at, actor, source, added, changed, retired, summary) \
         VALUES ($1, $2, 'admin', 0, $3, 0, $4)",
    )
    .bind(now.unix_timestamp())
    .bind(actor)
    .bind(changed)
    .bind(summary)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The whole department tree as parent links.
pub async fn department_tree<'e, E>(db: E) -> Result<DepartmentTree, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let links: Vec<(i64, Option<i64>)> = sqlx::query_as("SELECT id, parent_id FROM departments")
        .fetch_all(db)
        .await?;
    Ok(DepartmentTree::new(links.into_iter().map(
        |(id, parent)| (DepartmentId(id), parent.map(DepartmentId)),
    )))
}
