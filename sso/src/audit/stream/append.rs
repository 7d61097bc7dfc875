//! Chaining records into lines and appending them to a stream's open segment: each record gets
//! its sequence number, its link to the line before and its index terms, waits in memory, and
//! is written, then synced to disk as the stream's [`Fsync`] setting says.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use super::{Fsync, Meta, Stream};
use crate::audit::AuditError;
use crate::audit::chain::line_hash;
use crate::audit::forward::Line;
use crate::audit::index::Term;
use crate::audit::record::{Action, Decision, EventKind, Link, Outcome, Record};

impl Stream {
    /// Chain `record` into a line waiting to be written by [`Stream::flush`].
    pub fn push(&mut self, mut record: Record) {
        if record.service.is_none() {
            record.service = Some(self.settings.stream.clone());
        }
        if record.config_version.is_none() {
            record
                .config_version
                .clone_from(&self.settings.config_version);
        }
        record.chain = Some(Link {
            seq: self.next_seq,
            prev: std::mem::take(&mut self.prev),
        });
        let start = self.pending.len();
        if let Err(e) = serde_json::to_writer(&mut self.pending, &record) {
            // Serialising our own types into memory cannot fail; keep the chain whole if it
            // ever does by writing a record that says so.
            tracing::error!(error = %e, "cannot serialise an audit record");
            self.pending.truncate(start);
            let fallback = Record {
                time_ms: record.time_ms,
                chain: record.chain.take(),
                ..Record::new(Action::Audit, Decision::Failure, "record_unserialisable")
            };
            let _ = serde_json::to_writer(&mut self.pending, &fallback);
        }
        self.prev = line_hash(&self.pending[start..]);
        self.pending.push(b'\n');
        let severity = if record.kind == EventKind::Alert {
            4
        } else if record.decision.map(Decision::outcome) == Some(Outcome::Failure) {
            5
        } else {
            6
        };
        self.pending_lines.push((
            self.pending.len(),
            Meta {
                severity,
                action: record.action.unwrap_or(Action::Audit).as_str(),
                seq: self.next_seq,
                time_ms: record.time_ms,
            },
        ));
        let len = (self.pending.len() - start) as u64;
        let mut terms = [Term::Action(""); 8];
        let n = record_terms(&record, &mut terms);
        self.open
            .index
            .add(self.open.tentative, len, Some(record.time_ms), &terms[..n]);
        self.open.tentative += len;
        self.open.lines += 1;
        self.next_seq += 1;
    }

    /// Whether records are waiting to be written.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Append waiting lines to the segment and sync as configured (`durable`: a caller waits
    /// for one of them). On failure nothing partial stays in the file and the lines keep
    /// waiting, to be written again by the next call. With `copies`, the lines written are
    /// added to it for collectors.
    pub fn flush(
        &mut self,
        durable: bool,
        copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        if !self.pending.is_empty() {
            let path = &self.open.path;
            if let Err(e) = self.open.file.write_all(&self.pending) {
                // A partial write (disk full) would glue the next attempt to half a line.
                let _ = self.open.file.set_len(self.open.committed);
                return Err(AuditError::io(path, e));
            }
            self.open.committed += self.pending.len() as u64;
            if let Some(copies) = copies {
                let mut start = 0;
                for (end, meta) in &self.pending_lines {
                    let text = String::from_utf8_lossy(&self.pending[start..end - 1]);
                    copies.push(Line {
                        text: Arc::from(text.as_ref()),
                        severity: meta.severity,
                        action: meta.action,
                        seq: Some(meta.seq),
                        time_ms: meta.time_ms,
                    });
                    start = *end;
                }
            }
            self.pending.clear();
            self.pending_lines.clear();
            self.unsynced = true;
        }
        let due = match self.settings.fsync {
            Fsync::Never => false,
            Fsync::Batch => true,
            Fsync::Interval(every) => durable || self.last_sync.elapsed() >= every,
        };
        if self.unsynced && due {
            self.sync()?;
        }
        Ok(())
    }

    pub(super) fn sync(&mut self) -> Result<(), AuditError> {
        self.open
            .file
            .sync_data()
            .map_err(|e| AuditError::io(&self.open.path, e))?;
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }
}

/// The index terms of a record, into `out`; returns how many.
fn record_terms<'a>(r: &'a Record, out: &mut [Term<'a>; 8]) -> usize {
    let mut n = 0;
    let mut put = |t: Term<'a>| {
        out[n] = t;
        n += 1;
    };
    if let Some(u) = &r.user {
        put(Term::User(u));
    }
    if let Some(a) = &r.actor {
        put(Term::User(a));
    }
    if let Some(route) = &r.route {
        put(Term::Route(route));
    }
    if let Some(d) = r.decision {
        put(Term::Decision(d.as_str()));
    }
    if let Some(s) = r.status {
        put(Term::Status(s));
        put(Term::StatusClass(s / 100));
    }
    if let Some(a) = r.action {
        put(Term::Action(a.as_str()));
    }
    n
}
