//! The department tree: listing it, a department's path from its 局, and the administration's
//! changes (adding a department one level down, renaming and reordering).

use sqlx::{Any, AnyPool, Executor};

use super::MAX_DEPTH;
use crate::org::model::{Department, DepartmentId, DepartmentKind, DepartmentTree, tree_order};

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
        }
    }
}

/// Every department in tree order: each parent before its children, siblings by display
/// order.
pub async fn departments(pool: &AnyPool) -> Result<Vec<Department>, sqlx::Error> {
    let rows: Vec<Department> = sqlx::query_as::<_, DepartmentRow>(
        "SELECT id, code, parent_id, name, kind, display_order FROM departments",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Department::from)
    .collect();
    Ok(tree_order(rows))
}

/// The department with id `id`, if there is one.
pub async fn find_department<'e, E>(
    db: E,
    id: DepartmentId,
) -> Result<Option<Department>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query_as::<_, DepartmentRow>(
        "SELECT id, code, parent_id, name, kind, display_order FROM departments WHERE id = $1",
    )
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

/// Renames department `id` and moves it to `display_order` among its siblings.
pub async fn update_department(
    pool: &AnyPool,
    id: DepartmentId,
    name: &str,
    display_order: i32,
) -> Result<(), DepartmentError> {
    let done = sqlx::query("UPDATE departments SET name = $1, display_order = $2 WHERE id = $3")
        .bind(name)
        .bind(display_order)
        .bind(id)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DepartmentError::NotFound);
    }
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
