//! Integration tests of the app: HTTP through `router(state).oneshot(...)` without sockets,
//! the organisation store on SQLite and on a real PostgreSQL, and the tidy rules of the tree.

// clippy.toml allows unwrap inside `#[test]` functions only; the fixtures and the suites shared
// by both backends are plain functions, and a test should fail by panicking there too.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by panicking")]

mod audit_http;
mod busy_http;
mod check_config;
mod database;
mod directory_sync;
mod facility_http;
mod facility_store;
mod http;
mod org_admin_http;
mod org_departments;
mod org_import;
mod org_store;
mod schedule_http;
mod schedule_rooms;
mod schedule_store;
mod staff_search_store;
mod support;
mod tidy;
mod whereabouts_memo_http;
mod whereabouts_memo_store;
