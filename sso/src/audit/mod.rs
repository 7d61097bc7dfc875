//! The tamper-evident audit log shared by the gateway and the app: records in Elastic Common
//! Schema ([`record`]), chained by hash ([`chain`]) into segment files ([`segment`]) that are
//! sealed with an Ed25519 signature ([`seal`]), pinned by signed checkpoints kept outside the
//! segments ([`checkpoint`]), written by one thread per process behind a bounded queue
//! ([`writer`], [`stream`]), compressed once sealed ([`compress`]) and copied to syslog and
//! the journal ([`forward`]); then checked ([`verify`]) and searched through a per-segment
//! index ([`index`], [`search`], [`when`]).
//!
//! Framework-free like the rest of `sso`: the binaries adapt it (the gateway builds request
//! records in its logging phase; the app records administrative actions).

pub mod chain;
pub mod checkpoint;
pub mod compress;
pub mod forward;
pub mod index;
pub mod record;
pub mod seal;
pub mod search;
pub mod segment;
pub mod stream;
pub mod verify;
pub mod when;
pub mod writer;

#[cfg(test)]
mod tests;

pub use record::{Action, Decision, EventKind, Record};
pub use writer::{AuditWriter, FailurePolicy, ToRecord, Unrecorded, WriterSettings};

use std::path::Path;

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A key file is missing or not an Ed25519 key.
    #[error("audit key {0}: {1}")]
    Key(String, String),
    /// The log is in a state the writer will not guess about.
    #[error("{0}")]
    Unrecoverable(String),
}

impl AuditError {
    /// An IO error at `path`.
    pub fn io(path: &Path, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
