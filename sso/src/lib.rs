//! Identity for Yakuba: who a user is, how they proved it, and how the gateway tells the app.
//!
//! This crate knows nothing of Pingora, axum, askama or sqlx. It exposes plain types and
//! functions (directory bind and search, local accounts, session rules, the signed identity
//! assertion) and the binaries adapt them to their frameworks.

pub mod assertion;
pub mod audit;
pub mod dn;
pub mod form_login;
pub mod identity;
pub mod ldap;
pub mod local;
pub mod oidc;
pub mod redirect;
pub mod session;
pub mod sqlite_file;

pub use assertion::{AppLink, AssertionError, AssertionSigner, AssertionVerifier, Claims};
pub use identity::{AuthMethod, Identity};
pub use redirect::SafeReturnPath;
pub use session::{SessionId, SessionKey, SessionKeyer, SessionRules, SessionState};
