//! `[audit]`: the app's own audit trail and the security team's view of the audit log, read
//! from the file and validated with every problem reported.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// `[audit]`: where the app's own audit records go (segments chained and sealed like the
/// gateway's, in a directory of the app's) and what the security team's view reads.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Directory of the app's segment files; without it the records go to the app's log only
    /// (unchained), and the start says so.
    pub dir: Option<PathBuf>,
    /// Ed25519 private key that seals the app's segments (created when missing, with its
    /// public half `.pub` beside it for `yakuba-gateway audit verify --dir`).
    pub signing_key: PathBuf,
    /// When records are forced to disk.
    pub fsync: sso::audit::stream::Fsync,
    /// Where signed checkpoints of the app's stream go (default: `audit-checkpoints` beside
    /// the signing key), apart from the segments.
    pub checkpoint_dir: PathBuf,
    /// Sealed segments whose seal is older than this are deleted.
    pub retention: Duration,
    /// What happens when records cannot be written.
    pub on_failure: sso::audit::FailurePolicy,
    /// Segment directories the audit view reads (the gateway's and the app's).
    pub view_dirs: Vec<PathBuf>,
    /// Members of these groups (the security team) may open the audit view.
    pub security_groups: Vec<String>,
}

impl Default for AuditSettings {
    fn default() -> AuditSettings {
        AuditSettings {
            dir: None,
            signing_key: "audit.key".into(),
            fsync: sso::audit::stream::Fsync::Batch,
            checkpoint_dir: "audit-checkpoints".into(),
            retention: Duration::from_secs(400 * 86_400),
            on_failure: sso::audit::FailurePolicy::FailClosed,
            view_dirs: Vec::new(),
            security_groups: vec!["yakuba-security".into()],
        }
    }
}

/// `[audit]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditFile {
    dir: Option<PathBuf>,
    signing_key: Option<PathBuf>,
    fsync: Option<String>,
    checkpoint_dir: Option<PathBuf>,
    retention: Option<String>,
    on_failure: Option<sso::audit::FailurePolicy>,
    #[serde(default)]
    view_dirs: Vec<PathBuf>,
    security_groups: Option<Vec<String>>,
}

/// The `[audit]` section validated, reporting problems through `problem`.
pub(super) fn audit_settings(
    file: AuditFile,
    problem: &mut impl FnMut(&str, String),
) -> AuditSettings {
    let defaults = AuditSettings::default();
    let fsync = match file.fsync.as_deref() {
        None => defaults.fsync,
        Some("never") => sso::audit::stream::Fsync::Never,
        Some("batch") => sso::audit::stream::Fsync::Batch,
        Some(other) => match sso::ldap::parse_duration(other) {
            Ok(d) if !d.is_zero() => sso::audit::stream::Fsync::Interval(d),
            _ => {
                problem(
                    "audit.fsync",
                    format!("`{other}`: write \"never\", \"batch\" or an interval like \"1s\""),
                );
                defaults.fsync
            }
        },
    };
    let retention = match file.retention.as_deref().map(sso::ldap::parse_duration) {
        None => defaults.retention,
        Some(Ok(d)) if d >= Duration::from_secs(86_400) => d,
        Some(Ok(_)) => {
            problem("audit.retention", "must be at least 1d".to_owned());
            defaults.retention
        }
        Some(Err(message)) => {
            problem("audit.retention", message);
            defaults.retention
        }
    };
    let mut security_groups = Vec::new();
    for (i, group) in file
        .security_groups
        .unwrap_or(defaults.security_groups)
        .iter()
        .enumerate()
    {
        match sso::dn::normalise_group(group) {
            Ok(g) => security_groups.push(g),
            Err(e) => problem(&format!("audit.security_groups[{i}]"), e.to_string()),
        }
    }
    let signing_key = file.signing_key.unwrap_or(defaults.signing_key);
    let checkpoint_dir = file.checkpoint_dir.unwrap_or_else(|| {
        signing_key
            .parent()
            .unwrap_or(Path::new(""))
            .join(&defaults.checkpoint_dir)
    });
    if file.dir.as_ref() == Some(&checkpoint_dir) {
        problem(
            "audit.checkpoint_dir",
            "must not be the segment directory (checkpoints must survive where segments do not)"
                .to_owned(),
        );
    }
    AuditSettings {
        dir: file.dir,
        signing_key,
        fsync,
        checkpoint_dir,
        retention,
        on_failure: file.on_failure.unwrap_or(defaults.on_failure),
        view_dirs: file.view_dirs,
        security_groups,
    }
}
