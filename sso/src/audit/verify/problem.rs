//! What verification finds wrong, and where: the kinds of [`Problem`] and the sentence each
//! is reported with.

use std::fmt;

use crate::audit::record::format_ms;

/// What is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Segment file name.
    pub segment: String,
    /// 1-based line, when the problem is at one.
    pub line: Option<u64>,
    /// What.
    pub kind: ProblemKind,
}

/// The kinds of problem verification finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Segments with these numbers are missing.
    MissingSegments {
        /// First missing number.
        from: u64,
        /// Last missing number.
        through: u64,
    },
    /// The line is not a chained record (inserted, or damaged).
    NotARecord,
    /// The line before (given) no longer matches the hash this line recorded for it.
    Modified {
        /// The changed line.
        changed_line: u64,
    },
    /// Records are missing before this line.
    Deleted {
        /// How many.
        count: u64,
    },
    /// A record with this line's sequence number also appears elsewhere: one was inserted.
    Inserted,
    /// The line is out of order.
    Reordered,
    /// A closed segment has no seal.
    Unsealed,
    /// The seal's signature does not verify, or no given key made it.
    BadSeal(String),
    /// The seal does not describe the segment's records.
    SealMismatch(&'static str),
    /// Lines follow the seal.
    AfterSeal,
    /// The first segment does not start the chain.
    BadStart,
    /// The segment does not continue the one before (that one's end was changed).
    BrokenLink,
    /// The index beside the segment does not match it.
    IndexMismatch,
    /// The segment file cannot be read back (a compressed file that does not decompress).
    Unreadable(String),
    /// Records after this line are gone: a checkpoint pinned a later one.
    TruncatedAfterCheckpoint {
        /// The last record left (`None`: none is).
        last: Option<(u64, u64)>,
        /// The sequence number checkpointed.
        seq: u64,
        /// When.
        time_ms: i64,
        /// Where the checkpoint was read.
        source: String,
    },
    /// A segment a checkpoint names is gone, and no later segment exists to show it.
    CheckpointedSegmentMissing {
        /// The stream.
        stream: String,
        /// Its number.
        number: u64,
        /// The newest sequence number checkpointed in it.
        seq: u64,
        /// When.
        time_ms: i64,
    },
    /// The record a checkpoint pinned is not the one in the segment.
    CheckpointMismatch {
        /// When the checkpoint was made.
        time_ms: i64,
        /// Where it was read.
        source: String,
    },
    /// A checkpoint whose signature does not verify.
    BadCheckpoint(String),
    /// The segment says checkpoints were made of it, yet none is among those given.
    NoCheckpoint,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.segment)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            ProblemKind::MissingSegments { from, through } if from == through => {
                write!(f, "segment {from} is missing before this one")
            }
            ProblemKind::MissingSegments { from, through } => {
                write!(
                    f,
                    "segments {from} to {through} are missing before this one"
                )
            }
            ProblemKind::NotARecord => {
                f.write_str("not a chained audit record (inserted or damaged)")
            }
            ProblemKind::Modified { changed_line } => write!(
                f,
                "line {changed_line} was modified after it was written (its hash no longer matches the link in this line)"
            ),
            ProblemKind::Deleted { count } => {
                write!(f, "{count} record(s) deleted before this line")
            }
            ProblemKind::Inserted => {
                f.write_str("repeats the sequence number of another record (inserted)")
            }
            ProblemKind::Reordered => f.write_str("out of order (records were moved)"),
            ProblemKind::Unsealed => {
                f.write_str("not sealed, though later segments exist (truncated or seal removed)")
            }
            ProblemKind::BadSeal(why) => write!(f, "seal does not verify: {why}"),
            ProblemKind::SealMismatch(field) => {
                write!(f, "seal does not match the segment's records ({field})")
            }
            ProblemKind::AfterSeal => f.write_str("written after the segment was sealed"),
            ProblemKind::BadStart => f.write_str("the first segment does not start the chain"),
            ProblemKind::BrokenLink => f.write_str(
                "does not continue the previous segment (its last lines were changed or removed)",
            ),
            ProblemKind::IndexMismatch => {
                f.write_str("search index does not match the segment (searches may miss records)")
            }
            ProblemKind::Unreadable(why) => write!(f, "cannot be read: {why}"),
            ProblemKind::TruncatedAfterCheckpoint {
                last,
                seq,
                time_ms,
                source,
            } => {
                match last {
                    Some((last_seq, line)) => write!(
                        f,
                        "records after seq {last_seq} (line {line}) are missing: "
                    )?,
                    None => f.write_str("every record is missing: ")?,
                }
                write!(
                    f,
                    "seq {seq} was checkpointed at {} ({source}); the end of the segment was cut off",
                    format_ms(*time_ms)
                )
            }
            ProblemKind::CheckpointedSegmentMissing {
                stream,
                number,
                seq,
                time_ms,
            } => write!(
                f,
                "segment {number} of stream {stream} is missing: it was checkpointed at {} through seq {seq} (the newest segments were deleted)",
                format_ms(*time_ms)
            ),
            ProblemKind::CheckpointMismatch { time_ms, source } => write!(
                f,
                "is not the record checkpointed at {} ({source}): it was replaced",
                format_ms(*time_ms)
            ),
            ProblemKind::BadCheckpoint(why) => write!(f, "checkpoint does not verify: {why}"),
            ProblemKind::NoCheckpoint => f.write_str(
                "says checkpoints were made of it, but none is among the checkpoints given (checkpoint files deleted or rewound?)",
            ),
        }
    }
}
