//! SQL for the organisation: loading a whole city in one transaction, counting rows, and
//! looking up staff and department paths. Portable SQL that runs unchanged on SQLite and
//! PostgreSQL through `sqlx::Any`.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use super::model::{
    City, Department, DepartmentId, DepartmentKind, DepartmentTree, Employment, GrantKind,
    LoadCounts, Module, NewDepartment, NewStaff, Post, Role, Scope, Staff, StaffId,
};

/// Rows per multi-row `INSERT`. A staff batch binds 7 × 500 = 3,500 values, well under
/// SQLite's limit of 32,766 and PostgreSQL's of 65,535, and large enough that a city of 21,036
/// staff takes 43 statements instead of 21,036.
const BATCH_ROWS: usize = 500;

/// The deepest department tree [`department_path`] follows; it stops a corrupted parent cycle
/// from recursing forever. Real trees have four levels.
const MAX_DEPTH: i64 = 32;

/// Why a city was not loaded. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The organisation tables already hold data; loading is only for an empty database.
    #[error(
        "the organisation tables already hold {departments} departments and {staff} staff; \
         a city is only loaded into an empty database"
    )]
    NotEmpty {
        /// Departments already stored.
        departments: i64,
        /// Staff already stored.
        staff: i64,
    },
    /// Two departments share a code.
    #[error("department code {code} appears more than once")]
    DuplicateDepartment {
        /// The repeated code.
        code: String,
    },
    /// A department names a parent that does not come before it.
    #[error("department {code} names parent {parent}, which does not come before it")]
    UnknownParent {
        /// The department.
        code: String,
        /// The parent code it names.
        parent: String,
    },
    /// A member of staff sits in a department the city does not have.
    #[error("staff {login} sits in unknown department {department}")]
    UnknownDepartment {
        /// The login.
        login: String,
        /// The department code it names.
        department: String,
    },
    /// The database refused a statement (a repeated login, a lost connection, ...).
    #[error("database error while loading the city: {0}")]
    Database(#[from] sqlx::Error),
}

/// Loads `city` into empty organisation tables in one transaction: all of it, or nothing.
///
/// A second load is refused with [`LoadError::NotEmpty`] rather than merged, because codes and
/// logins from two cities would collide halfway through and a half-merged organisation is worse
/// than none. Departments go in one tree level at a time so every parent id is known when its
/// children are written.
pub async fn insert_city(pool: &AnyPool, city: &City) -> Result<LoadCounts, LoadError> {
    let levels = departments_by_level(&city.departments)?;
    let mut tx = pool.begin().await?;
    match load_into(&mut tx, city, &levels).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(LoadCounts {
                departments: city.departments.len(),
                staff: city.staff.len(),
            })
        }
        Err(e) => {
            // Roll back now rather than when the pool next hands this connection out: until
            // then SQLite would keep the write lock and block every other connection.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a failed organisation load failed");
            }
            Err(e)
        }
    }
}

async fn load_into(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    city: &City,
    levels: &[Vec<&NewDepartment>],
) -> Result<(), LoadError> {
    let departments = count_departments(&mut **tx).await?;
    let staff = count_staff(&mut **tx).await?;
    if departments > 0 || staff > 0 {
        return Err(LoadError::NotEmpty { departments, staff });
    }
    let mut ids = HashMap::with_capacity(city.departments.len());
    for level in levels {
        insert_department_level(tx, level, &mut ids).await?;
    }
    insert_staff(tx, &city.staff, &ids).await?;
    Ok(())
}

/// Groups departments by depth (局 = 0), keeping their order, and checks that codes are
/// unique and every parent comes before its children.
fn departments_by_level(
    departments: &[NewDepartment],
) -> Result<Vec<Vec<&NewDepartment>>, LoadError> {
    let mut depth_of: HashMap<&str, usize> = HashMap::with_capacity(departments.len());
    let mut levels: Vec<Vec<&NewDepartment>> = Vec::new();
    for department in departments {
        let depth = match &department.parent_code {
            None => 0,
            Some(parent) => match depth_of.get(parent.as_str()) {
                Some(parent_depth) => parent_depth + 1,
                None => {
                    return Err(LoadError::UnknownParent {
                        code: department.code.clone(),
                        parent: parent.clone(),
                    });
                }
            },
        };
        if depth_of.insert(&department.code, depth).is_some() {
            return Err(LoadError::DuplicateDepartment {
                code: department.code.clone(),
            });
        }
        if levels.len() <= depth {
            levels.resize_with(depth + 1, Vec::new);
        }
        if let Some(level) = levels.get_mut(depth) {
            level.push(department);
        }
    }
    Ok(levels)
}

async fn insert_department_level(
    conn: &mut AnyConnection,
    level: &[&NewDepartment],
    ids: &mut HashMap<String, DepartmentId>,
) -> Result<(), LoadError> {
    for chunk in level.chunks(BATCH_ROWS) {
        let sql = insert_sql(
            "INSERT INTO departments (code, parent_id, name, kind, display_order)",
            5,
            chunk.len(),
            " RETURNING id, code",
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
        for department in chunk {
            // Levels are written top-down, so a parent's id is always known by now.
            let parent_id = department
                .parent_code
                .as_ref()
                .and_then(|code| ids.get(code))
                .copied();
            query = query
                .bind(department.code.as_str())
                .bind(parent_id)
                .bind(department.name.as_str())
                .bind(department.kind.as_str())
                .bind(department.display_order);
        }
        for (id, code) in query.fetch_all(&mut *conn).await? {
            ids.insert(code, DepartmentId(id));
        }
    }
    Ok(())
}

async fn insert_staff(
    conn: &mut AnyConnection,
    staff: &[NewStaff],
    ids: &HashMap<String, DepartmentId>,
) -> Result<(), LoadError> {
    for chunk in staff.chunks(BATCH_ROWS) {
        let sql = insert_sql(
            "INSERT INTO staff (login, employee_no, name, kana, department_id, position, mail)",
            7,
            chunk.len(),
            "",
        );
        let mut query = sqlx::query(&sql);
        for person in chunk {
            let Some(department_id) = ids.get(&person.department_code).copied() else {
                return Err(LoadError::UnknownDepartment {
                    login: person.login.clone(),
                    department: person.department_code.clone(),
                });
            };
            query = query
                .bind(person.login.as_str())
                .bind(person.employee_no.as_str())
                .bind(person.name.as_str())
                .bind(person.kana.as_str())
                .bind(department_id)
                .bind(person.position.as_str())
                .bind(person.mail.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `{head} VALUES ($1, ..., $columns), (...), ...{tail}` for `rows` rows: numbered
/// placeholders, which both SQLite and PostgreSQL accept.
fn insert_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * columns * 7);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

/// How many members of staff are stored, retired ones included.
pub async fn count_staff<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM staff")
        .fetch_one(db)
        .await
}

/// How many departments are stored.
pub async fn count_departments<'e, E>(db: E) -> Result<i64, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query_scalar("SELECT COUNT(*) FROM departments")
        .fetch_one(db)
        .await
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    login: String,
    employee_no: String,
    name: String,
    kana: String,
    department_id: i64,
    position: String,
    mail: String,
    retired: i64,
}

impl From<StaffRow> for Staff {
    fn from(row: StaffRow) -> Staff {
        Staff {
            id: StaffId(row.id),
            login: row.login,
            employee_no: row.employee_no,
            name: row.name,
            kana: row.kana,
            department_id: DepartmentId(row.department_id),
            position: row.position,
            mail: row.mail,
            employment: Employment::from_flag(row.retired),
        }
    }
}

/// The member of staff with login `login`, retired or not, if there is one.
pub async fn find_staff_by_login<'e, E>(db: E, login: &str) -> Result<Option<Staff>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query_as::<_, StaffRow>(
        "SELECT id, login, employee_no, name, kana, department_id, position, mail, retired \
         FROM staff WHERE login = $1",
    )
    .bind(login)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Staff::from))
}

/// The member of staff with personnel number `employee_no`, retired or not, if there is one.
pub async fn find_staff_by_employee_no<'e, E>(
    db: E,
    employee_no: &str,
) -> Result<Option<Staff>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE employee_no = $1");
    let row = sqlx::query_as::<_, StaffRow>(&sql)
        .bind(employee_no)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Staff::from))
}

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

const STAFF_COLUMNS: &str =
    "id, login, employee_no, name, kana, department_id, position, mail, retired";

/// The member of staff with id `id`, retired or not, if there is one.
pub async fn find_staff<'e, E>(db: E, id: StaffId) -> Result<Option<Staff>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
    let row = sqlx::query_as::<_, StaffRow>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Staff::from))
}

/// The members of staff with these ids, retired or not, in no particular order; unknown ids
/// are left out.
pub async fn find_staff_many(pool: &AnyPool, ids: &[StaffId]) -> Result<Vec<Staff>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let sql = format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, StaffRow>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        out.extend(query.fetch_all(pool).await?.into_iter().map(Staff::from));
    }
    Ok(out)
}

/// The current members of `department` itself (not of departments under it): those who sit
/// there and those with a concurrent post there, heads first, then by reading. A concurrent
/// post's title replaces the primary one.
pub async fn department_members(
    pool: &AnyPool,
    department: DepartmentId,
) -> Result<Vec<Staff>, sqlx::Error> {
    let sql = format!(
        "SELECT {STAFF_COLUMNS} FROM staff WHERE department_id = $1 AND retired = 0 \
         UNION ALL \
         SELECT s.id, s.login, s.employee_no, s.name, s.kana, p.department_id, p.position, \
                s.mail, s.retired \
         FROM staff_posts p JOIN staff s ON s.id = p.staff_id \
         WHERE p.department_id = $1 AND s.retired = 0"
    );
    let mut staff: Vec<Staff> = sqlx::query_as::<_, StaffRow>(&sql)
        .bind(department)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Staff::from)
        .collect();
    staff.sort_by(|a, b| {
        super::model::position_rank(&a.position)
            .cmp(&super::model::position_rank(&b.position))
            .then_with(|| a.kana.cmp(&b.kana))
            .then_with(|| a.id.0.cmp(&b.id.0))
    });
    staff.dedup_by_key(|s| s.id);
    Ok(staff)
}

/// The current members of `department` and of every department under it (a 課 with its
/// 係), concurrent posts included, at most `limit`: the department's own people first, then
/// each sub-department's in display order, heads first within each. Returns whether people
/// were left out by the limit.
pub async fn members_under(
    pool: &AnyPool,
    department: DepartmentId,
    limit: usize,
) -> Result<(Vec<Staff>, bool), sqlx::Error> {
    let sql = format!(
        "WITH RECURSIVE sub (id, depth, sort) AS ( \
             SELECT id, 0, display_order FROM departments WHERE id = $1 \
             UNION ALL \
             SELECT d.id, sub.depth + 1, d.display_order \
             FROM departments d JOIN sub ON d.parent_id = sub.id WHERE sub.depth < $2 \
         ) \
         SELECT {STAFF_COLUMNS_S}, sub.depth, sub.sort FROM staff s JOIN sub ON s.department_id = sub.id \
         WHERE s.retired = 0 \
         UNION ALL \
         SELECT s.id, s.login, s.employee_no, s.name, s.kana, p.department_id, p.position, \
                s.mail, s.retired, sub.depth, sub.sort \
         FROM staff_posts p JOIN sub ON p.department_id = sub.id JOIN staff s ON s.id = p.staff_id \
         WHERE s.retired = 0"
    );
    let rows: Vec<(StaffRow, i64, i64)> = sqlx::query(&sql)
        .bind(department)
        .bind(MAX_DEPTH)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            use sqlx::Row as _;
            Ok((
                StaffRow {
                    id: row.try_get(0)?,
                    login: row.try_get(1)?,
                    employee_no: row.try_get(2)?,
                    name: row.try_get(3)?,
                    kana: row.try_get(4)?,
                    department_id: row.try_get(5)?,
                    position: row.try_get(6)?,
                    mail: row.try_get(7)?,
                    retired: row.try_get(8)?,
                },
                row.try_get::<i64, _>(9)?,
                row.try_get::<i64, _>(10)?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let mut people: Vec<(i64, i64, i64, Staff)> = rows
        .into_iter()
        .map(|(row, depth, sort)| {
            let staff = Staff::from(row);
            (depth, sort, staff.department_id.0, staff)
        })
        .collect();
    people.sort_by(|a, b| {
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then_with(|| {
                super::model::position_rank(&a.3.position)
                    .cmp(&super::model::position_rank(&b.3.position))
            })
            .then_with(|| a.3.kana.cmp(&b.3.kana))
            .then_with(|| a.3.id.cmp(&b.3.id))
    });
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Staff> = people
        .into_iter()
        .map(|(_, _, _, staff)| staff)
        .filter(|staff| seen.insert(staff.id))
        .collect();
    let truncated = out.len() > limit;
    out.truncate(limit);
    Ok((out, truncated))
}

/// Every department with current members and those members (primary department only),
/// heads first, departments by id; for generating schedules.
pub async fn teams(pool: &AnyPool) -> Result<Vec<(DepartmentId, Vec<StaffId>)>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT department_id, id, position, kana FROM staff WHERE retired = 0 \
         ORDER BY department_id, id",
    )
    .fetch_all(pool)
    .await?;
    // Members as (rank, reading, id), so sorting puts heads first.
    type Member = (u8, String, StaffId);
    let mut teams: Vec<(DepartmentId, Vec<Member>)> = Vec::new();
    for (department, id, position, kana) in rows {
        let member = (super::model::position_rank(&position), kana, StaffId(id));
        match teams.last_mut() {
            Some((last, members)) if last.0 == department => members.push(member),
            _ => teams.push((DepartmentId(department), vec![member])),
        }
    }
    Ok(teams
        .into_iter()
        .map(|(department, mut members)| {
            members.sort();
            (
                department,
                members.into_iter().map(|(_, _, id)| id).collect(),
            )
        })
        .collect())
}

/// [`STAFF_COLUMNS`] qualified with the table alias `s`.
const STAFF_COLUMNS_S: &str =
    "s.id, s.login, s.employee_no, s.name, s.kana, s.department_id, s.position, s.mail, s.retired";

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
    Ok(super::model::tree_order(rows))
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

/// The concurrent posts (兼務) of `staff`.
pub async fn posts_of<'e, E>(db: E, staff: StaffId) -> Result<Vec<Post>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT department_id, position FROM staff_posts WHERE staff_id = $1 \
         ORDER BY department_id",
    )
    .bind(staff)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(department_id, position)| Post {
            department_id: DepartmentId(department_id),
            position,
        })
        .collect())
}

/// Replaces the concurrent posts of `staff` with `posts`.
pub async fn set_posts(
    conn: &mut AnyConnection,
    staff: StaffId,
    posts: &[Post],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM staff_posts WHERE staff_id = $1")
        .bind(staff)
        .execute(&mut *conn)
        .await?;
    for post in posts {
        sqlx::query(
            "INSERT INTO staff_posts (staff_id, department_id, position) VALUES ($1, $2, $3)",
        )
        .bind(staff)
        .bind(post.department_id)
        .bind(post.position.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Gives `staff` the role `role`; giving it twice changes nothing.
pub async fn grant_role<'e, E>(db: E, staff: StaffId, role: Role) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO staff_roles (staff_id, role) VALUES ($1, $2) \
         ON CONFLICT (staff_id, role) DO NOTHING",
    )
    .bind(staff)
    .bind(role.as_str())
    .execute(db)
    .await
    .map(|_| ())
}

/// Whether `staff` holds `role`.
pub async fn has_role<'e, E>(db: E, staff: StaffId, role: Role) -> Result<bool, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM staff_roles WHERE staff_id = $1 AND role = $2")
            .bind(staff)
            .bind(role.as_str())
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// A function administrator's grant as written: the kind and, for
/// [`GrantKind::Selected`], the departments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Own department, selected departments or all.
    pub kind: GrantKind,
    /// The departments of a [`GrantKind::Selected`] grant; empty otherwise.
    pub departments: Vec<DepartmentId>,
}

/// Makes `staff` a function administrator of `module` with `grant`, replacing any earlier
/// grant for that module, in one transaction.
pub async fn grant_function_admin(
    pool: &AnyPool,
    staff: StaffId,
    module: Module,
    grant: &Grant,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    revoke_on(&mut tx, staff, module).await?;
    sqlx::query("INSERT INTO function_admins (staff_id, module, scope) VALUES ($1, $2, $3)")
        .bind(staff)
        .bind(module.as_str())
        .bind(grant.kind.as_str())
        .execute(&mut *tx)
        .await?;
    if grant.kind == GrantKind::Selected {
        for department in &grant.departments {
            sqlx::query(
                "INSERT INTO function_admin_departments (staff_id, module, department_id) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(staff)
            .bind(module.as_str())
            .bind(*department)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await
}

/// Ends the function administration of `staff` for `module`; ending none changes nothing.
pub async fn revoke_function_admin(
    pool: &AnyPool,
    staff: StaffId,
    module: Module,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    revoke_on(&mut tx, staff, module).await?;
    tx.commit().await
}

async fn revoke_on(
    conn: &mut AnyConnection,
    staff: StaffId,
    module: Module,
) -> Result<(), sqlx::Error> {
    // Departments first: SQLite enforces the cascade only with foreign keys on, and being
    // explicit keeps both backends identical.
    sqlx::query("DELETE FROM function_admin_departments WHERE staff_id = $1 AND module = $2")
        .bind(staff)
        .bind(module.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM function_admins WHERE staff_id = $1 AND module = $2")
        .bind(staff)
        .bind(module.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The grant `staff` holds for `module`, as written, if any.
pub async fn function_admin_grant<'e, E>(
    db: E,
    staff: StaffId,
    module: Module,
) -> Result<Option<Grant>, sqlx::Error>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let kind: Option<String> =
        sqlx::query_scalar("SELECT scope FROM function_admins WHERE staff_id = $1 AND module = $2")
            .bind(staff)
            .bind(module.as_str())
            .fetch_optional(db)
            .await?;
    let Some(kind) = kind else {
        return Ok(None);
    };
    // An unknown stored kind grants nothing rather than everything.
    let Some(kind) = GrantKind::parse(&kind) else {
        return Ok(None);
    };
    let departments: Vec<i64> = if kind == GrantKind::Selected {
        sqlx::query_scalar(
            "SELECT department_id FROM function_admin_departments \
             WHERE staff_id = $1 AND module = $2 ORDER BY department_id",
        )
        .bind(staff)
        .bind(module.as_str())
        .fetch_all(db)
        .await?
    } else {
        Vec::new()
    };
    Ok(Some(Grant {
        kind,
        departments: departments.into_iter().map(DepartmentId).collect(),
    }))
}

/// Where `staff` may act as function administrator of `module`: everywhere for a system
/// administrator, their grant's departments (with everything under them) otherwise, nothing
/// for retired or unknown staff.
///
/// This is the one answer every module checks server-side before an administrative action;
/// pair it with [`department_tree`] and [`Scope::covers`], or ask [`admin_covers`].
pub async fn admin_scope(
    pool: &AnyPool,
    staff: StaffId,
    module: Module,
) -> Result<Scope, sqlx::Error> {
    let Some(person) = find_staff(pool, staff).await? else {
        return Ok(Scope::Nothing);
    };
    if person.employment == Employment::Retired {
        return Ok(Scope::Nothing);
    }
    if has_role(pool, staff, Role::SystemAdmin).await? {
        return Ok(Scope::All);
    }
    Ok(match function_admin_grant(pool, staff, module).await? {
        None => Scope::Nothing,
        Some(Grant {
            kind: GrantKind::All,
            ..
        }) => Scope::All,
        Some(Grant {
            kind: GrantKind::Own,
            ..
        }) => Scope::Departments(vec![person.department_id]),
        Some(Grant { departments, .. }) => Scope::Departments(departments),
    })
}

/// Whether `staff` is a function administrator of `module` over `department`.
pub async fn admin_covers(
    pool: &AnyPool,
    staff: StaffId,
    module: Module,
    department: DepartmentId,
) -> Result<bool, sqlx::Error> {
    Ok(match admin_scope(pool, staff, module).await? {
        Scope::Nothing => false,
        Scope::All => true,
        scope => scope.covers(department, &department_tree(pool).await?),
    })
}

/// One function administrator as the administration page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionAdmin {
    /// Who.
    pub staff: StaffId,
    /// Their name.
    pub name: String,
    /// Which module.
    pub module: Module,
    /// Their grant.
    pub grant: Grant,
}

/// Every function administrator of every module, by module then name.
pub async fn function_admins(pool: &AnyPool) -> Result<Vec<FunctionAdmin>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT f.staff_id, s.name, f.module FROM function_admins f \
         JOIN staff s ON s.id = f.staff_id ORDER BY f.module, s.kana, s.id",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (staff, name, module) in rows {
        let Some(module) = Module::parse(&module) else {
            continue;
        };
        if let Some(grant) = function_admin_grant(pool, StaffId(staff), module).await? {
            out.push(FunctionAdmin {
                staff: StaffId(staff),
                name,
                module,
                grant,
            });
        }
    }
    Ok(out)
}

/// `$first, $first+1, ...` for `count` placeholders.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::model::DepartmentKind;

    fn department(code: &str, parent: Option<&str>) -> NewDepartment {
        NewDepartment {
            code: code.into(),
            parent_code: parent.map(Into::into),
            name: format!("{code}課"),
            kind: DepartmentKind::Ka,
            display_order: 1,
        }
    }

    #[test]
    fn insert_sql_numbers_placeholders_row_by_row() {
        assert_eq!(
            insert_sql("INSERT INTO t (a, b)", 2, 2, " RETURNING id"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) RETURNING id"
        );
    }

    #[test]
    fn departments_are_grouped_by_depth_in_order() {
        let departments = [
            department("a", None),
            department("a1", Some("a")),
            department("b", None),
            department("a1x", Some("a1")),
            department("b1", Some("b")),
        ];
        let levels = departments_by_level(&departments).unwrap();
        let codes: Vec<Vec<&str>> = levels
            .iter()
            .map(|level| level.iter().map(|d| d.code.as_str()).collect())
            .collect();
        assert_eq!(codes, [vec!["a", "b"], vec!["a1", "b1"], vec!["a1x"]]);
    }

    #[test]
    fn a_child_before_its_parent_is_refused() {
        let departments = [department("a1", Some("a")), department("a", None)];
        assert!(matches!(
            departments_by_level(&departments),
            Err(LoadError::UnknownParent { code, parent }) if code == "a1" && parent == "a"
        ));
    }

    #[test]
    fn a_repeated_department_code_is_refused() {
        let departments = [department("a", None), department("a", None)];
        assert!(matches!(
            departments_by_level(&departments),
            Err(LoadError::DuplicateDepartment { code }) if code == "a"
        ));
    }
}
