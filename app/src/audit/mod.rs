//! The audit feature of the app: its own audit trail for security-relevant administrative
//! actions (granting and revoking function-administrator rights, opening the audit view),
//! and the security team's read-only view of the audit log.
//!
//! The app writes its own stream of segments (`app-NNNNNNNN-YYYYMMDD.jsonl`), chained and
//! sealed exactly like the gateway's, into a directory of its own: it never opens the
//! gateway's database, and only reads the gateway's segment files for the view. Access to
//! systems is not decided or recorded here (the gateway does that), and records are verified
//! with `yakuba-gateway audit verify --dir`.

pub mod model;
pub mod routes;
mod texts;
mod trail;

pub use trail::{AdminAction, AuditTrail, record, with_request_id};
