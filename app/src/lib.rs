//! Yakuba's groupware (`yakuba-app`): the portal, the organisation and the modules that follow,
//! served behind the gateway. It trusts only the identity the gateway asserts on each request
//! and keeps its data in SQLite or PostgreSQL.

#![warn(missing_docs)]

pub mod audit;
pub mod backup;
pub mod config;
pub mod error;
pub mod facility;
pub mod i18n;
pub mod logging;
pub mod memo;
pub mod metrics;
pub mod org;
pub mod portal;
pub mod routes;
pub mod schedule;
pub mod state;
pub mod store;
pub mod supervision;
pub mod whereabouts;
