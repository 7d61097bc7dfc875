//! Test harness for whole-system tests and the demo: starts real processes (the Yakuba
//! binaries, OpenLDAP `slapd`, PostgreSQL, an OpenID provider, sample legacy systems) on
//! loopback and stops them when dropped.

pub mod audit;
pub mod binaries;
pub mod notify;
pub mod oidc;
pub mod postgres;
pub mod process;
pub mod samba;
pub mod samples;
pub mod slapd;
pub mod system;
