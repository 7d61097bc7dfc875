//! The file side of an audit stream, as its one writer sees it: chaining records into lines,
//! appending them to the open segment, syncing them to disk as configured, rotating and
//! sealing segments, recovering a segment a crash left open, signing checkpoints
//! ([`super::checkpoint`]), handing sealed segments to compression ([`super::compress`]) and
//! pruning segments past retention by the time in their seals. One process writes a stream at
//! a time (an exclusive lock on `{stream}.lock`), so a graceful upgrade's new process waits
//! for the old one to seal.
//!
//! This file holds the settings, the stream and its open segment, and opening a stream; the
//! rest of [`Stream`] is in modules of their own: `append` (records into lines, onto the disk),
//! `checkpointing`, `rotation` (sealing, rotation and retention) and `recovery` (reading what a
//! crash left).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::AuditError;
use super::chain::GENESIS;
use super::checkpoint::CheckpointLog;
use super::compress::{self, Compressor};
use super::forward::Line;
use super::index::IndexBuilder;
use super::record::now_ms;
use super::seal::SealKey;
use super::segment::{self, jst_date};

mod append;
mod checkpointing;
mod recovery;
mod rotation;

use recovery::read_tail;
use rotation::seal_of;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{Action, Decision, Record};

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
