//! Roles and function administrators (機能管理者): granting and revoking, and the one answer
//! every module asks before an administrative action, [`admin_scope`].

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use super::{department_tree, find_staff};
use crate::org::model::{DepartmentId, Employment, GrantKind, Module, Role, Scope, StaffId};

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
