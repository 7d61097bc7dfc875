//! Writing the app's audit records: the [`AuditTrail`] every request can reach through the
//! state, and [`record`], which features call after a security-relevant action.

use std::sync::{Arc, Mutex};

use sso::Claims;
use sso::audit::seal::SealKey;
use sso::audit::stream::StreamSettings;
use sso::audit::{Action, AuditError, AuditWriter, Decision, Record, WriterSettings};

use crate::config::AuditSettings;
use crate::error::AppError;
use crate::state::AppState;

/// Where the app's audit records go.
#[derive(Debug, Clone)]
pub struct AuditTrail {
    sink: Sink,
    settings: Arc<AuditSettings>,
}

#[derive(Debug, Clone)]
enum Sink {
    /// Chained, sealed segment files (the configured `[audit] dir`).
    Segments(AuditWriter<Record>),
    /// The app's log only: no `[audit] dir` is configured.
    Log,
    /// Kept in memory, for tests.
    Memory(Arc<Mutex<Vec<Record>>>),
}

impl AuditTrail {
    /// Open the configured trail: segments in `[audit] dir` (creating the sealing key when
    /// missing), or the log when no directory is configured.
    pub fn open(settings: &AuditSettings) -> Result<AuditTrail, AuditError> {
        let sink = match &settings.dir {
            None => {
                tracing::warn!(
                    "no [audit] dir configured: the app's audit records go to its log only, unchained"
                );
                Sink::Log
            }
            Some(dir) => {
                let key = SealKey::load_or_create(&settings.signing_key, true)?;
                let writer = AuditWriter::start(
                    WriterSettings {
                        stream: StreamSettings {
                            stream: "app".into(),
                            dir: dir.clone(),
                            segment_max_bytes: 64 * 1024 * 1024,
                            rotate_daily: true,
                            retention: settings.retention,
                            fsync: settings.fsync,
                            config_version: None,
                            checkpoint_dir: Some(settings.checkpoint_dir.clone()),
                            checkpoint_interval: std::time::Duration::from_secs(10),
                            compress: true,
                        },
                        queue: 4096,
                        drain_interval: std::time::Duration::from_millis(50),
                        on_failure: settings.on_failure,
                        forward: Vec::new(),
                    },
                    key,
                    (),
                )?;
                Sink::Segments(writer)
            }
        };
        Ok(AuditTrail {
            sink,
            settings: Arc::new(settings.clone()),
        })
    }

    /// A trail kept in memory (what [`AppState::new`] starts with), with these settings for
    /// the view.
    pub fn in_memory(settings: AuditSettings) -> AuditTrail {
        AuditTrail {
            sink: Sink::Memory(Arc::default()),
            settings: Arc::new(settings),
        }
    }

    /// The settings: the view's directories and the security groups.
    pub fn settings(&self) -> &AuditSettings {
        &self.settings
    }

    /// The records kept so far by an in-memory trail (empty otherwise).
    pub fn kept(&self) -> Vec<Record> {
        match &self.sink {
            Sink::Memory(kept) => kept.lock().map(|k| k.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Queue a record without waiting.
    pub fn record(&self, record: Record) {
        match &self.sink {
            Sink::Segments(writer) => writer.record(record),
            Sink::Log => log(&record),
            Sink::Memory(kept) => {
                if let Ok(mut kept) = kept.lock() {
                    kept.push(record);
                }
            }
        }
    }

    async fn record_durable(&self, record: Record) -> Result<(), sso::audit::Unrecorded> {
        match &self.sink {
            Sink::Segments(writer) => writer.record_durable(record).await,
            _ => {
                self.record(record);
                Ok(())
            }
        }
    }

    /// Write what is queued and seal the open segment (at shutdown).
    pub fn shutdown(&self) {
        if let Sink::Segments(writer) = &self.sink {
            writer.shutdown();
        }
    }
}

fn log(record: &Record) {
    match serde_json::to_string(record) {
        Ok(json) => tracing::info!(target: "yakuba_app::audit", audit = %json, "audit record"),
        Err(e) => tracing::error!(error = %e, "cannot serialise an audit record"),
    }
}

tokio::task_local! {
    /// The gateway's id of the request being handled (`X-Request-Id`), for its records.
    static REQUEST_ID: Option<String>;
}

/// Run `handler` with `id` as the request id its audit records carry (`http.request.id`, the
/// same as the gateway's record of the request).
pub async fn with_request_id<F: std::future::Future>(id: Option<String>, handler: F) -> F::Output {
    REQUEST_ID.scope(id, handler).await
}

/// The request id of the request being handled, if the gateway sent one.
fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

/// A security-relevant administrative action, for [`record`].
#[derive(Debug, Clone)]
pub struct AdminAction<'a> {
    /// What was done, as a reason code: `function_admin_granted`, `function_admin_revoked`.
    pub what: &'static str,
    /// The login id of the member of staff it was done to.
    pub target: &'a str,
    /// Facts particular to it (module, scope, departments), never a secret.
    pub detail: serde_json::Value,
}

/// The record of `actor` doing something, with who they are: login id, name, department,
/// session hash (to find the same session in the gateway's records) and how they logged in.
pub(super) fn by(actor: &Claims, decision: Decision, reason: &'static str) -> Record {
    Record {
        user: Some(actor.sub.clone()),
        user_id: Some(actor.sub.clone()),
        full_name: Some(actor.name.clone()),
        department: actor.dept.clone(),
        session: Some(actor.sid.clone()),
        auth_method: Some(actor.amr.as_str()),
        request_id: current_request_id(),
        ..Record::new(Action::Admin, decision, reason)
    }
}

/// Record that `actor` did `action`, and wait until the record is on disk. Call it once the
/// action is done. Under `on_failure = "fail_closed"` an error means the record could not be
/// written: the action stands, the error is logged with what was done, and the user is told
/// to have IT check.
pub async fn record(
    state: &AppState,
    actor: &Claims,
    action: AdminAction<'_>,
) -> Result<(), AppError> {
    // With an actor, the record puts the actor in ECS `user.*` and the staff member acted
    // on in `user.target.name`.
    let record = Record {
        actor: Some(actor.sub.clone()),
        user: Some(action.target.to_owned()),
        detail: Some(action.detail),
        ..by(actor, Decision::Success, action.what)
    };
    let text = serde_json::to_string(&record).unwrap_or_default();
    state.audit.record_durable(record).await.map_err(|_| {
        tracing::error!(audit = %text, "an administrative action could not be recorded in the audit log");
        AppError::AuditUnavailable
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_action_is_recorded_with_the_actor_and_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let settings = AuditSettings {
            dir: Some(dir.path().join("app-audit")),
            signing_key: dir.path().join("audit.key"),
            checkpoint_dir: dir.path().join("audit-checkpoints"),
            ..AuditSettings::default()
        };
        let trail = AuditTrail::open(&settings).unwrap();
        let claims = crate::audit::model::tests::claims("soumu", &["yakuba-admins"]);
        let record = Record {
            actor: Some(claims.sub.clone()),
            user: Some("sato".into()),
            ..by(&claims, Decision::Success, "function_admin_granted")
        };
        trail.record_durable(record).await.unwrap();
        trail.shutdown();
        let found = sso::audit::search::search(
            &[dir.path().join("app-audit")],
            &sso::audit::search::Query {
                user: Some("sato".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(found.hits.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&found.hits[0].text).unwrap();
        assert_eq!(v["user"]["name"], "soumu");
        assert_eq!(v["user"]["target"]["name"], "sato");
        assert_eq!(v["event"]["action"], "admin");
        assert_eq!(v["service"]["name"], "app");
        let mut keys = sso::audit::seal::SealVerifier::default();
        keys.add_file(&dir.path().join("audit.pub")).unwrap();
        let checkpoints =
            sso::audit::checkpoint::read_sources(&[dir.path().join("audit-checkpoints")]).unwrap();
        assert!(checkpoints.iter().any(|c| c.checkpoint.facts.sealed));
        let report = sso::audit::verify::verify_dir_with(
            &dir.path().join("app-audit"),
            &keys,
            Some(&checkpoints),
        )
        .unwrap();
        assert!(report.is_intact() && report.sealed == 1, "{report:?}");
    }
}
