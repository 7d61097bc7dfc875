//! Whole-system tests: the real gateway, app and sample legacy systems on loopback, with a
//! real OpenLDAP `slapd` where a directory is needed. Build the binaries first
//! (`cargo build --workspace --bins`); `scripts/test.sh` does.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions should fail loudly too"
)]

mod active_directory;
mod attacks;
mod audit;
mod audit_secrets;
mod bad_input;
mod browser_groupware;
mod client;
mod directory;
mod facility_race;
mod identity;
mod legacy_sso;
mod mount;
mod oidc_login;
mod open_redirect;
mod policy;
mod reload;
mod sessions;
mod shared_store;
mod websocket;
