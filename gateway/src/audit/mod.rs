//! The audit log: one JSON object per line for every request, login and logout.
//!
//! Records are queued to a writer thread so the request path never waits on the disk. The
//! queue is bounded; when it is full the record is counted and a warning logged, never
//! silently lost. (Tamper evidence, sinks and retention come with the audit issue.)

use std::fs::OpenOptions;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use serde::Serialize;

/// Records waiting for the writer before new ones are counted as dropped.
const QUEUE: usize = 65_536;

/// What kind of event a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A request through the gateway.
    Request,
    /// A login attempt.
    Login,
    /// A session ending.
    Logout,
    /// Use or change of a user's credentials in the vault (never the secret itself).
    Vault,
}

/// What the gateway decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Forwarded to an upstream.
    Allow,
    /// Refused.
    Deny,
    /// Sent to the login page.
    RedirectLogin,
    /// Answered by the gateway itself (login page, health).
    Served,
    /// A login or logout that succeeded.
    Success,
    /// A login that failed.
    Failure,
}

/// One audit record. Never carries a password, token, cookie or raw session id.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// Event kind.
    pub kind: Kind,
    /// Client address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Login id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Who acted on `user`'s behalf or against them (an administrator ending a session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Keyed hash of the session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// HTTP method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Host the client asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Path, without the query string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Route id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The policy rule that decided (`routes.zaimu.rules[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Upstream address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Where credentials passed upstream came from (`vault`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<&'static str>,
    /// Response status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response body bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Time to serve, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// The decision.
    pub decision: Decision,
    /// Reason code.
    pub reason: String,
}

impl Record {
    /// A record of `kind` at the current time; fill in the rest with struct update syntax.
    pub fn new(kind: Kind, decision: Decision, reason: impl Into<String>) -> Record {
        Record {
            time: timestamp(),
            kind,
            client: None,
            user: None,
            actor: None,
            session: None,
            method: None,
            host: None,
            path: None,
            route: None,
            rule: None,
            upstream: None,
            credential: None,
            status: None,
            bytes: None,
            duration_ms: None,
            decision,
            reason: reason.into(),
        }
    }
}

/// The current UTC time as RFC 3339 with milliseconds.
pub fn timestamp() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

/// `t` (UTC) as RFC 3339 with exactly three fraction digits: general RFC 3339 formatters drop
/// trailing zeros, which would give some records `.1Z` and others `.123Z`.
fn format_time(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// Handle for writing audit records.
#[derive(Clone)]
pub struct AuditLog {
    tx: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl AuditLog {
    /// Open (appending) `path` and start the writer thread.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_loop(rx, BufWriter::new(file)))?;
        Ok(AuditLog {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Queue a record without waiting.
    pub fn record(&self, record: &Record) {
        let line = match serde_json::to_string(record) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise audit record");
                return;
            }
        };
        match self.tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(audit.dropped = n, "audit queue full; records dropped");
                }
            }
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// How often the writer drains the queue. Senders never wake it: waking a thread per record
/// costs more than the record itself at tens of thousands of requests a second.
const DRAIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

fn write_loop(rx: Receiver<String>, mut out: BufWriter<std::fs::File>) {
    loop {
        std::thread::sleep(DRAIN_INTERVAL);
        let mut wrote = false;
        let mut ok = true;
        loop {
            match rx.try_recv() {
                Ok(line) => {
                    ok &= writeln!(out, "{line}").is_ok();
                    wrote = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    let _ = out.flush();
                    return;
                }
            }
        }
        if wrote {
            ok &= out.flush().is_ok();
        }
        if !ok {
            tracing::error!("cannot write the audit log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_always_carry_three_fraction_digits() {
        let t = time::macros::datetime!(2026-04-01 08:30:00.100 UTC);
        assert_eq!(format_time(t), "2026-04-01T08:30:00.100Z");
        let t = time::macros::datetime!(2026-04-01 08:30:00 UTC);
        assert_eq!(format_time(t), "2026-04-01T08:30:00.000Z");
    }

    #[test]
    fn records_are_json_lines_with_millisecond_utc_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/audit.log");
        let log = AuditLog::open(&path).unwrap();
        log.record(&Record {
            user: Some("山田".into()),
            status: Some(200),
            ..Record::new(Kind::Request, Decision::Allow, "session_valid")
        });
        log.record(&Record::new(
            Kind::Login,
            Decision::Failure,
            "bad_credentials",
        ));
        let mut lines = Vec::new();
        for _ in 0..100 {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            lines = text.lines().map(str::to_owned).collect();
            if lines.len() == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["user"], "山田");
        assert_eq!(first["decision"], "allow");
        let time = first["time"].as_str().unwrap();
        assert!(
            time.ends_with('Z') && time.len() == "2026-01-01T00:00:00.000Z".len(),
            "{time}"
        );
        assert!(first.get("session").is_none());
        assert_eq!(log.dropped(), 0);
    }
}
