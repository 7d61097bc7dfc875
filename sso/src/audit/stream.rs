//! The file side of an audit stream, as its one writer sees it: chaining records into lines,
//! appending them to the open segment, syncing them to disk as configured, rotating and
//! sealing segments, recovering a segment a crash left open, signing checkpoints
//! ([`super::checkpoint`]), handing sealed segments to compression ([`super::compress`]) and
//! pruning segments past retention by the time in their seals. One process writes a stream at
//! a time (an exclusive lock on `{stream}.lock`), so a graceful upgrade's new process waits
//! for the old one to seal.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::AuditError;
use super::chain::{GENESIS, Probe, line_hash};
use super::checkpoint::{Checkpoint, CheckpointFacts, CheckpointLog};
use super::compress::{self, Compressor};
use super::forward::Line;
use super::index::{IndexBuilder, Term};
use super::record::{Action, Decision, EventKind, Link, Outcome, Record, now_ms};
use super::seal::{Seal, SealFacts, SealKey};
use super::segment::{self, SegmentFile, jst_date, lines};

/// When written records are forced to disk (`fdatasync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Never by the writer (the kernel writes back within about 30 s); seals are synced.
    Never,
    /// After every batch the writer appends (every drain interval with records).
    Batch,
    /// At most this often, and at once for a batch with a record a caller waits for.
    Interval(Duration),
}

/// How a stream keeps its files.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Stream name (`gateway`, `app`): the segment files' prefix and `service.name`.
    pub stream: String,
    /// Directory of the segment files.
    pub dir: PathBuf,
    /// A segment is sealed once it reaches this size.
    pub segment_max_bytes: u64,
    /// Also seal at midnight JST, so that each day starts a segment.
    pub rotate_daily: bool,
    /// Sealed segments whose seal is older than this are deleted (a record in the chain says
    /// which), at every rotation and start and once a day.
    pub retention: Duration,
    /// When records reach the disk.
    pub fsync: Fsync,
    /// Hash of the configuration in force, put in every record.
    pub config_version: Option<String>,
    /// Directory of the stream's signed checkpoints; `None` writes none.
    pub checkpoint_dir: Option<PathBuf>,
    /// How often a checkpoint is made while records come in (also at every segment's opening
    /// and seal).
    pub checkpoint_interval: Duration,
    /// Compress sealed segments (zstd, per index block) on a thread of their own.
    pub compress: bool,
}

/// The segment being written.
struct Open {
    number: u64,
    path: PathBuf,
    file: File,
    first_seq: u64,
    first_prev: String,
    /// Lines in the segment (written or pending).
    lines: u64,
    /// Bytes on disk.
    committed: u64,
    /// Bytes on disk plus pending.
    tentative: u64,
    opened_day: time::Date,
    index: IndexBuilder,
}

/// A stream open for writing.
pub struct Stream {
    settings: StreamSettings,
    key: SealKey,
    _lock: File,
    open: Open,
    next_seq: u64,
    prev: String,
    pending: Vec<u8>,
    /// For each waiting line: where it ends in `pending` and what copies to collectors need.
    pending_lines: Vec<(usize, Meta)>,
    startup_copies: Vec<Line>,
    last_sync: Instant,
    unsynced: bool,
    checkpoints: Option<CheckpointLog>,
    /// When the last checkpoint was made, and the sequence number it pinned.
    checkpointed: (Instant, u64),
    checkpoint_failing: bool,
    compressor: Option<Compressor>,
    /// The JST day retention last ran.
    pruned_day: time::Date,
}

/// What a copy of a line to a collector needs besides its text.
#[derive(Debug, Clone, Copy)]
struct Meta {
    severity: u8,
    action: &'static str,
    seq: u64,
    time_ms: i64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("stream", &self.settings.stream)
            .field("segment", &self.open.number)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

/// What recovery found in the newest segment.
struct Tail {
    first: Option<(u64, String)>,
    last: Option<(u64, String, bool)>,
    lines: u64,
    torn: Vec<u64>,
}

fn read_tail(bytes: &[u8]) -> Tail {
    let mut tail = Tail {
        first: None,
        last: None,
        lines: 0,
        torn: Vec::new(),
    };
    for (no, _, line, terminated) in lines(bytes) {
        tail.lines = no;
        if !terminated {
            tail.torn.push(no);
            break;
        }
        let Some(probe) = std::str::from_utf8(line).ok().and_then(Probe::parse) else {
            continue;
        };
        let Some(link) = &probe.yakuba.chain else {
            continue;
        };
        if tail.first.is_none() {
            tail.first = Some((link.seq, link.prev.to_string()));
        }
        tail.last = Some((link.seq, line_hash(line), probe.yakuba.seal.is_some()));
    }
    tail
}

fn sync_dir(dir: &Path) {
    // Make a new file's directory entry durable too; a failure here is not worth refusing
    // records for, as the file's data itself is synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Stream {
    /// Lock the stream, seal a segment a crash left open, prune past retention and open a
    /// new segment. Blocks while another process holds the stream (a graceful upgrade).
    pub fn open(settings: StreamSettings, key: SealKey) -> Result<Stream, AuditError> {
        Stream::open_notifying(settings, key, || {})
    }

    /// [`Stream::open`], calling `on_wait` before it waits for another process to let go.
    pub fn open_notifying(
        settings: StreamSettings,
        key: SealKey,
        on_wait: impl FnOnce(),
    ) -> Result<Stream, AuditError> {
        let dir = settings.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| AuditError::io(&dir, e))?;
        let lock_path = dir.join(format!("{}.lock", settings.stream));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| AuditError::io(&lock_path, e))?;
        if rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            tracing::info!(
                path = %lock_path.display(),
                "another process is writing the audit stream (graceful upgrade?); waiting for it to seal"
            );
            on_wait();
            rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
                .map_err(|e| AuditError::io(&lock_path, e.into()))?;
        }

        let existing = segment::list_stream(&dir, &settings.stream)?;
        let mut existing = existing.as_slice();
        // Our own empty file, created just before a crash: remove it and reuse its number.
        if let Some((last, before)) = existing.split_last()
            && std::fs::metadata(&last.path).is_ok_and(|m| m.len() == 0)
        {
            std::fs::remove_file(&last.path).map_err(|e| AuditError::io(&last.path, e))?;
            existing = before;
        }
        let (mut next_seq, mut prev) = (1, GENESIS.to_owned());
        let mut recovering = None;
        if let Some(last) = existing.last() {
            let mut bytes = segment::read(&last.path)?.bytes;
            let tail = read_tail(&bytes);
            let (Some((first_seq, first_prev)), Some((seq, hash, sealed))) =
                (tail.first, tail.last)
            else {
                return Err(AuditError::Unrecoverable(format!(
                    "{} has no chained record; move it aside to start a new chain",
                    last.path.display()
                )));
            };
            (next_seq, prev) = (seq + 1, hash);
            if !sealed {
                let mut file = File::options()
                    .append(true)
                    .open(&last.path)
                    .map_err(|e| AuditError::io(&last.path, e))?;
                if !tail.torn.is_empty() {
                    // End the torn line so that the seal starts a line of its own.
                    file.write_all(b"\n")
                        .map_err(|e| AuditError::io(&last.path, e))?;
                    bytes.push(b'\n');
                }
                recovering = Some((
                    Open {
                        number: last.number,
                        path: last.path.clone(),
                        file,
                        first_seq,
                        first_prev,
                        lines: tail.lines,
                        committed: bytes.len() as u64,
                        tentative: bytes.len() as u64,
                        opened_day: jst_date(now_ms()),
                        index: IndexBuilder::resume(&bytes),
                    },
                    tail.torn,
                ));
            }
        }
        let previous = existing.last().map(|s| s.number);
        let number = previous.map_or(1, |n| n + 1);
        let (open, torn) = match recovering {
            Some((open, torn)) => (open, Some(torn)),
            None => (
                Open::create(&dir, &settings.stream, number, next_seq, &prev)?,
                None,
            ),
        };
        let mut stream = Stream {
            settings,
            key,
            _lock: lock,
            open,
            next_seq,
            prev,
            pending: Vec::new(),
            pending_lines: Vec::new(),
            startup_copies: Vec::new(),
            last_sync: Instant::now(),
            unsynced: false,
            checkpoints: None,
            checkpointed: (Instant::now(), 0),
            checkpoint_failing: false,
            compressor: None,
            pruned_day: jst_date(now_ms()),
        };
        if let Some(cp_dir) = &stream.settings.checkpoint_dir {
            stream.checkpoints = Some(CheckpointLog::open(cp_dir, &stream.settings.stream)?);
        }
        if stream.settings.compress {
            compress::remove_leftovers(&dir);
            stream.compressor = Some(Compressor::start()?);
        }
        let mut copies = Vec::new();
        let cause = match torn {
            Some(torn) => {
                tracing::warn!(
                    segment = %stream.open.path.display(),
                    torn = torn.len(),
                    "sealing an audit segment left open by a crash"
                );
                stream.seal(false, torn, Some(&mut copies))?;
                stream.open = Open::create(
                    &dir,
                    &stream.settings.stream,
                    number,
                    stream.next_seq,
                    &stream.prev,
                )?;
                "recovery"
            }
            None => "start",
        };
        stream.start_segment(cause, previous, Some(&mut copies))?;
        stream.prune(now_ms(), Some(&mut copies))?;
        if let Some(compressor) = &stream.compressor {
            // Sealed segments not yet compressed: the one just sealed after a crash, and any
            // whose compression an exit or a crash interrupted.
            for s in segment::list_stream(&dir, &stream.settings.stream)? {
                if s.number < stream.open.number
                    && !segment::is_compressed(&s.path)
                    && seal_of(&s.path).is_some()
                {
                    compressor.send(s.path);
                }
            }
        }
        stream.startup_copies = copies;
        Ok(stream)
    }

    /// Wait until every sealed segment handed to compression is compressed (tools, tests).
    pub fn finish_compression(&mut self) {
        if let Some(compressor) = self.compressor.take() {
            compressor.finish();
        }
    }

    /// The lines written while opening (recovery seal, segment opener), for collectors.
    pub fn take_startup_copies(&mut self) -> Vec<Line> {
        std::mem::take(&mut self.startup_copies)
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The segment being written.
    pub fn segment_path(&self) -> &Path {
        &self.open.path
    }

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

    fn sync(&mut self) -> Result<(), AuditError> {
        self.open
            .file
            .sync_data()
            .map_err(|e| AuditError::io(&self.open.path, e))?;
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Make a checkpoint if records were written since the last one and the checkpoint
    /// interval has passed.
    pub fn checkpoint_if_due(&mut self, copies: Option<&mut Vec<Line>>) {
        let (at, seq) = self.checkpointed;
        if self.next_seq > seq + 1 && at.elapsed() >= self.settings.checkpoint_interval {
            self.checkpoint(false, copies);
        }
    }

    /// Sign where the stream has got to and append it to the checkpoint file (after syncing
    /// the records it pins, so that a checkpoint never names records a power cut can take),
    /// with a copy for collectors. A failure is logged, not fatal: the records are written.
    fn checkpoint(&mut self, sealed: bool, copies: Option<&mut Vec<Line>>) {
        if self.checkpoints.is_none() || !self.pending.is_empty() || self.next_seq <= 1 {
            return;
        }
        if self.unsynced
            && let Err(e) = self.sync()
        {
            tracing::error!(error = %e, "cannot sync the audit log for a checkpoint");
            return;
        }
        let time_ms = now_ms();
        let checkpoint = Checkpoint::sign(
            &self.key,
            CheckpointFacts {
                stream: self.settings.stream.clone(),
                segment: self.open.number,
                seq: self.next_seq - 1,
                hash: self.prev.clone(),
                line: self.open.lines,
                time_ms,
                sealed,
            },
        );
        let text = checkpoint.to_line();
        let Some(log) = self.checkpoints.as_mut() else {
            return;
        };
        match log.append(&text, time_ms) {
            Ok(()) => {
                self.checkpointed = (Instant::now(), self.next_seq - 1);
                if std::mem::take(&mut self.checkpoint_failing) {
                    tracing::info!("audit checkpoints are written again");
                }
                if let Some(copies) = copies {
                    copies.push(Line {
                        text: Arc::from(text),
                        severity: 6,
                        action: Action::Audit.as_str(),
                        seq: None,
                        time_ms,
                    });
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut self.checkpoint_failing, true) {
                    tracing::error!(
                        error = %e,
                        "cannot write an audit checkpoint: truncation of the newest records may go unnoticed"
                    );
                }
            }
        }
    }

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

    fn start_segment(
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
    fn seal(
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
    fn prune(&mut self, now_ms: i64, copies: Option<&mut Vec<Line>>) -> Result<(), AuditError> {
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
            let _ = std::fs::remove_file(super::index::index_path(&s.path));
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

impl Open {
    fn create(
        dir: &Path,
        stream: &str,
        number: u64,
        first_seq: u64,
        first_prev: &str,
    ) -> Result<Open, AuditError> {
        let time = now_ms();
        let path = dir.join(segment::file_name(stream, number, time));
        let file = File::options()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| AuditError::io(&path, e))?;
        Ok(Open {
            number,
            path,
            file,
            first_seq,
            first_prev: first_prev.to_owned(),
            lines: 0,
            committed: 0,
            tentative: 0,
            opened_day: jst_date(time),
            index: IndexBuilder::default(),
        })
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

/// The seal on a segment file's last line, with that line's hash; `None` if it has none.
fn seal_of(path: &Path) -> Option<(Seal, String)> {
    let line = segment::last_line(path).ok()?;
    let probe = Probe::parse(std::str::from_utf8(&line).ok()?)?;
    let seal: Seal = serde_json::from_value(probe.yakuba.seal?).ok()?;
    Some((seal, line_hash(&line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_partial_and_the_same_lines_are_written_on_retry() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealKey::load_or_create(&dir.path().join("audit.key"), true).unwrap();
        let settings = StreamSettings {
            stream: "gateway".into(),
            dir: dir.path().join("audit"),
            segment_max_bytes: 1 << 20,
            rotate_daily: false,
            retention: Duration::from_secs(86_400),
            fsync: Fsync::Batch,
            config_version: None,
            checkpoint_dir: None,
            checkpoint_interval: Duration::from_secs(10),
            compress: false,
        };
        let mut stream = Stream::open(settings, key).unwrap();
        let path = stream.segment_path().to_path_buf();
        let before = std::fs::read(&path).unwrap();
        // A disk that refuses writes: the same file opened read-only.
        let writable = std::mem::replace(&mut stream.open.file, File::open(&path).unwrap());
        stream.push(Record::new(
            Action::Login,
            Decision::Success,
            "authenticated",
        ));
        assert!(stream.flush(true, None).is_err());
        assert!(stream.has_pending());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // The disk is back: the waiting line is written as it was chained.
        stream.open.file = writable;
        stream.flush(true, None).unwrap();
        stream.close(None).unwrap();
        let mut keys = crate::audit::seal::SealVerifier::default();
        keys.add_file(&dir.path().join("audit.pub")).unwrap();
        let report = crate::audit::verify::verify_dir(&dir.path().join("audit"), &keys).unwrap();
        assert!(report.is_intact(), "{:#?}", report.problems);
        assert_eq!(report.records, 3);
    }
}
