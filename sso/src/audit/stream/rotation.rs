//! A stream's segments over time: opening a segment with a record that says why, sealing it
//! (signed, synced, indexed and handed to compression), rotating when it is full or a JST day
//! has passed, a clean close, and deleting sealed segments past retention by the time in
//! their seals.

use std::fs::File;
use std::path::Path;

use super::{Open, Stream};
use crate::audit::AuditError;
use crate::audit::chain::{Probe, line_hash};
use crate::audit::forward::Line;
use crate::audit::record::{Action, Decision, Record, now_ms};
use crate::audit::seal::{Seal, SealFacts};
use crate::audit::segment::{self, SegmentFile, jst_date};

fn sync_dir(dir: &Path) {
    // Make a new file's directory entry durable too; a failure here is not worth refusing
    // records for, as the file's data itself is synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Stream {
    /// Once a JST day, delete sealed segments past retention (also done at every rotation
    /// and start), so that a stream that rotates rarely still keeps to its retention.
    pub fn housekeep(
        &mut self,
        now_ms: i64,
        copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        if jst_date(now_ms) != self.pruned_day && self.pending.is_empty() {
            self.prune(now_ms, copies)?;
        }
        Ok(())
    }

    /// Seal and start a new segment if the open one is full or a JST day has passed.
    pub fn rotate_if_due(
        &mut self,
        now_ms: i64,
        mut copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        let full = self.open.committed >= self.settings.segment_max_bytes;
        let new_day = self.settings.rotate_daily && jst_date(now_ms) != self.open.opened_day;
        if self.pending.is_empty() && (full || new_day) {
            let sealed = self.open.number;
            self.seal(true, Vec::new(), copies.as_deref_mut())?;
            self.open = Open::create(
                &self.settings.dir,
                &self.settings.stream,
                sealed + 1,
                self.next_seq,
                &self.prev,
            )?;
            self.start_segment("rotation", Some(sealed), copies.as_deref_mut())?;
            self.prune(now_ms, copies)?;
        }
        Ok(())
    }

    /// Write what waits and seal the open segment (a clean shutdown).
    pub fn close(&mut self, copies: Option<&mut Vec<Line>>) -> Result<(), AuditError> {
        self.flush(false, None)?;
        self.seal(true, Vec::new(), copies)
    }

    pub(super) fn start_segment(
        &mut self,
        cause: &'static str,
        previous: Option<u64>,
        mut copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        sync_dir(&self.settings.dir);
        self.push(Record {
            detail: Some(serde_json::json!({
                "segment": self.open.number,
                "cause": cause,
                "previous_segment": previous,
                // `audit verify` expects a checkpoint of every segment that says so.
                "checkpoints": self.checkpoints.is_some(),
            })),
            ..Record::new(Action::Audit, Decision::Success, "segment_opened")
        });
        self.flush(true, copies.as_deref_mut())?;
        self.checkpoint(false, copies);
        Ok(())
    }

    /// Append the seal to the open segment, sync it, checkpoint it, write its index and hand
    /// it to compression.
    pub(super) fn seal(
        &mut self,
        clean: bool,
        torn_lines: Vec<u64>,
        mut copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        let records = self.open.lines - torn_lines.len() as u64;
        let facts = SealFacts {
            stream: self.settings.stream.clone(),
            segment: self.open.number,
            first_seq: self.open.first_seq,
            last_seq: self.next_seq - 1,
            records,
            first_prev: self.open.first_prev.clone(),
            last_hash: self.prev.clone(),
            sealed_at: now_ms(),
            clean,
            torn_lines,
        };
        let seal = self.key.seal(facts);
        let seal =
            serde_json::to_value(&seal).map_err(|e| AuditError::Unrecoverable(e.to_string()))?;
        self.push(Record {
            seal: Some(seal),
            ..Record::new(Action::Audit, Decision::Success, "segment_sealed")
        });
        self.flush(true, copies.as_deref_mut())?;
        self.sync()?;
        self.checkpoint(true, copies);
        let index = std::mem::take(&mut self.open.index).finish();
        if let Err(e) = index.write_for(&self.open.path) {
            // The index only speeds up search, which rebuilds a missing one.
            tracing::warn!(error = %e, "cannot write an audit segment index");
        }
        if let Some(compressor) = &self.compressor {
            compressor.send(self.open.path.clone());
        }
        Ok(())
    }

    /// Delete the oldest sealed segments whose seal is older than retention at `now_ms`,
    /// and record which in the chain. The seal's time (signed, and the time of the segment's
    /// newest record) decides, not the file's modification time, which a copy or a restore
    /// from backup changes.
    pub(super) fn prune(
        &mut self,
        now_ms: i64,
        copies: Option<&mut Vec<Line>>,
    ) -> Result<(), AuditError> {
        self.pruned_day = jst_date(now_ms);
        let retention_ms = i64::try_from(self.settings.retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_ms.saturating_sub(retention_ms);
        let segments = segment::list_stream(&self.settings.dir, &self.settings.stream)?;
        let mut pruned: Vec<&SegmentFile> = Vec::new();
        let mut last_hash = String::new();
        for s in segments.iter().filter(|s| s.number < self.open.number) {
            // A segment without a readable seal is never deleted, nor anything after it.
            match seal_of(&s.path) {
                Some((seal, hash)) if seal.facts.sealed_at < cutoff => {
                    pruned.push(s);
                    last_hash = hash;
                }
                _ => break,
            }
        }
        let Some(newest) = pruned.last() else {
            return Ok(());
        };
        let through = newest.number;
        let from = pruned.first().map_or(through, |s| s.number);
        for s in &pruned {
            std::fs::remove_file(&s.path).map_err(|e| AuditError::io(&s.path, e))?;
            let _ = std::fs::remove_file(crate::audit::index::index_path(&s.path));
        }
        tracing::info!(from, through, "audit segments past retention deleted");
        if let Some(log) = self.checkpoints.as_mut() {
            match log.prune(through) {
                Ok(files) if !files.is_empty() => {
                    tracing::info!(
                        files = files.len(),
                        "audit checkpoint files of deleted segments deleted"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot delete old audit checkpoint files"),
            }
        }
        self.push(Record {
            detail: Some(serde_json::json!({
                "pruned_from": from,
                "pruned_through": through,
                "last_hash": last_hash,
            })),
            ..Record::new(Action::Audit, Decision::Success, "segments_pruned")
        });
        self.flush(true, copies)
    }
}

/// The seal on a segment file's last line, with that line's hash; `None` if it has none.
pub(super) fn seal_of(path: &Path) -> Option<(Seal, String)> {
    let line = segment::last_line(path).ok()?;
    let probe = Probe::parse(std::str::from_utf8(&line).ok()?)?;
    let seal: Seal = serde_json::from_value(probe.yakuba.seal?).ok()?;
    Some((seal, line_hash(&line)))
}
