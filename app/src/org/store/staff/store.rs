//! Looking up staff: by id, login or personnel number, the members of a department (with
//! the departments under it, for the grids), teams for generating schedules, and concurrent
//! posts (兼務).

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use super::{BATCH_ROWS, MAX_DEPTH, placeholders};
use crate::org::model::{DepartmentId, Employment, Post, Staff, StaffId, position_rank};

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
        position_rank(&a.position)
            .cmp(&position_rank(&b.position))
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
            .then_with(|| position_rank(&a.3.position).cmp(&position_rank(&b.3.position)))
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
        let member = (position_rank(&position), kana, StaffId(id));
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
