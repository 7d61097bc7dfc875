//! Checking a directory of audit segments: every line's link to the one before, sequence
//! numbers without gaps or repeats, every closed segment sealed by a known key over exactly
//! its records, no segment missing (unless a record in the chain says retention removed
//! it), each index matching its segment, and, given the stream's signed checkpoints, nothing
//! cut from the end of the newest segment and no newest segment deleted whole. Problems name
//! the segment file (or checkpoint) and line.
//!
//! This file holds the entry points and the [`Report`]; the kinds of problem and their wording
//! are in `problem`, the checks of one stream's segments in `stream`.

use std::path::Path;

use super::AuditError;
use super::checkpoint::Found;
use super::seal::SealVerifier;
use super::segment::{self, SegmentFile};

mod problem;
mod stream;

pub use problem::{Problem, ProblemKind};
use stream::verify_stream;

/// The outcome of verifying a directory.
#[derive(Debug, Default)]
pub struct Report {
    /// Segments read.
    pub segments: u64,
    /// Records read.
    pub records: u64,
    /// Sealed segments whose seal verified.
    pub sealed: u64,
    /// What is wrong.
    pub problems: Vec<Problem>,
    /// Facts worth knowing that are not problems (an open segment, pruned segments).
    pub notes: Vec<String>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verify every stream in `dir` against `keys`, without checkpoints (see
/// [`verify_dir_with`]).
pub fn verify_dir(dir: &Path, keys: &SealVerifier) -> Result<Report, AuditError> {
    verify_dir_with(dir, keys, None)
}

/// Verify every stream in `dir` against `keys` and, when given, the streams' checkpoints:
/// then records cut from the end of the newest segment, and newest segments deleted whole,
/// are found too, back to the newest checkpoint among those given.
pub fn verify_dir_with(
    dir: &Path,
    keys: &SealVerifier,
    checkpoints: Option<&[Found]>,
) -> Result<Report, AuditError> {
    let mut report = Report::default();
    let all = segment::list(dir)?;
    let mut streams: Vec<&str> = all.iter().map(|s| s.stream.as_str()).collect();
    for found in checkpoints.unwrap_or_default() {
        streams.push(&found.checkpoint.facts.stream);
    }
    streams.sort_unstable();
    streams.dedup();
    if all.is_empty() {
        report
            .notes
            .push(format!("no audit segments in {}", dir.display()));
    }
    if checkpoints.is_none() {
        report.notes.push(
            "no checkpoints given: records cut from the end of the newest segment, or newest segments deleted whole, cannot be found".into(),
        );
    }
    for stream in streams {
        let segments: Vec<&SegmentFile> = all.iter().filter(|s| s.stream == stream).collect();
        let cps = checkpoints.map(|all| {
            all.iter()
                .filter(|f| f.checkpoint.facts.stream == stream)
                .collect::<Vec<_>>()
        });
        verify_stream(stream, &segments, keys, cps.as_deref(), &mut report)?;
    }
    Ok(report)
}
