//! SQL for the organisation, portable between SQLite and PostgreSQL through `sqlx::Any`, in
//! one module per role: loading a city (`city`), staff and their posts (`staff`), the
//! department tree (`departments`), roles and function administrators (`admins`), and staff
//! search (`search`). Callers use the functions from here, whichever module holds them.
//!
//! Each role's SQL sits in a file named `store.rs` (`store/<role>/store.rs`), the one file name
//! the tidy tests let run SQL.

#[path = "store/admins/store.rs"]
mod admins;
#[path = "store/city/store.rs"]
mod city;
#[path = "store/departments/store.rs"]
mod departments;
#[path = "store/search/store.rs"]
mod search;
#[path = "store/staff/store.rs"]
mod staff;

pub use admins::{
    FunctionAdmin, Grant, admin_covers, admin_scope, function_admin_grant, function_admins,
    grant_function_admin, grant_role, has_role, revoke_function_admin,
};
pub use city::{LoadError, count_departments, count_staff, insert_city};
pub use departments::{
    Abolished, DepartmentError, abolish_department, abolished_departments, add_department,
    department_path, department_tree, departments, find_department, move_department,
    update_department,
};
pub use search::{
    MAX_QUERY_CHARS, StaffHit, StaffQuery, keep_search_current, refresh_search_terms, search_staff,
};
pub use staff::{
    department_members, find_staff, find_staff_by_employee_no, find_staff_by_login,
    find_staff_many, members_under, posts_of, set_posts, teams,
};

/// Rows per multi-row `INSERT`. A staff batch binds 7 × 500 = 3,500 values, well under
/// SQLite's limit of 32,766 and PostgreSQL's of 65,535, and large enough that a city of 21,036
/// staff takes 43 statements instead of 21,036.
const BATCH_ROWS: usize = 500;

/// The deepest department tree a recursive query follows; it stops a corrupted parent cycle
/// from recursing forever. Real trees have four levels.
const MAX_DEPTH: i64 = 32;

/// `$first, $first+1, ...` for `count` placeholders.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
