//! The organisation administration pages (`/admin/org`): the department tree, the HR CSV
//! import (`import.rs`) and function administrators (`admins.rs`). Only system
//! administrators (the `system_admin` role) reach them; everyone else gets 403.

mod admins;
mod departments;
mod import;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::AppError;
use crate::org;
use crate::org::model::Role;
use crate::routes::CurrentStaff;
use crate::state::AppState;

/// Largest HR file accepted: 21,036 staff take about 2 MB.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// The administration routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/org", get(import::overview))
        .route(
            "/admin/org/import",
            post(import::check).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/admin/org/import/apply",
            post(import::apply).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/admin/function-admins",
            get(admins::list).post(admins::grant),
        )
        .route("/admin/function-admins/revoke", post(admins::revoke))
        .route("/admin/org/departments", post(departments::add))
        .route(
            "/admin/org/departments/{id}",
            get(departments::show).post(departments::update),
        )
        .route(
            "/admin/org/departments/{id}/move",
            post(departments::relocate),
        )
        .route(
            "/admin/org/departments/{id}/abolish",
            post(departments::abolish),
        )
}

/// Refuses anyone but a system administrator.
async fn require_admin(state: &AppState, me: &CurrentStaff) -> Result<(), AppError> {
    if org::store::has_role(&state.pool, me.staff.id, Role::SystemAdmin).await? {
        Ok(())
    } else {
        tracing::warn!(user.id = %me.staff.id, "organisation administration refused: not a system administrator");
        Err(AppError::Forbidden)
    }
}
