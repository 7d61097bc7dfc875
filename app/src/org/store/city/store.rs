//! Loading a whole organisation (the demo city, or a synthetic one for benchmarks) into empty
//! tables in one transaction, and counting what is stored.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use super::BATCH_ROWS;
use crate::org::model::{City, DepartmentId, LoadCounts, NewDepartment, NewStaff};

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
