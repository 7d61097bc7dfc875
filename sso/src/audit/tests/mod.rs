//! Writing real segment files in a temporary directory, then tampering with them the ways
//! an insider would, and checking that verification says what and where. This file holds
//! what the tests share (settings, keys, writing and checking a log); the tests are grouped
//! by subject in the modules below.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::record::{Action, Decision, Record};
use super::seal::{SealKey, SealVerifier};
use super::segment;
use super::stream::{Fsync, Stream, StreamSettings};
use super::verify::{ProblemKind, Report, verify_dir};

mod chain;
mod checkpoints;
mod compression;
mod recovery;
mod retention;
mod search;
mod writer;

fn settings(dir: &Path, max: u64) -> StreamSettings {
    StreamSettings {
        stream: "gateway".into(),
        dir: dir.to_path_buf(),
        segment_max_bytes: max,
        rotate_daily: false,
        retention: Duration::from_secs(400 * 86_400),
        fsync: Fsync::Never,
        config_version: Some("cfg1".into()),
        checkpoint_dir: None,
        checkpoint_interval: Duration::from_secs(10),
        compress: false,
    }
}

fn key(dir: &Path) -> SealKey {
    SealKey::load_or_create(&dir.join("keys/audit.key"), true).unwrap()
}

fn verifier(dir: &Path) -> SealVerifier {
    let mut v = SealVerifier::default();
    v.add_file(&dir.join("keys/audit.pub")).unwrap();
    v
}

fn request(i: u64) -> Record {
    Record {
        time_ms: 1_775_000_000_000 + i as i64 * 1000,
        user: Some(format!("user{}", i % 7)),
        route: Some(
            if i.is_multiple_of(2) {
                "zaimu"
            } else {
                "denkessai"
            }
            .into(),
        ),
        status: Some(if i.is_multiple_of(5) { 403 } else { 200 }),
        path: Some(format!("/x/{i}")),
        ..Record::new(
            Action::Request,
            if i.is_multiple_of(5) {
                Decision::Deny
            } else {
                Decision::Allow
            },
            "session_valid",
        )
    }
}

/// Write `n` request records through a stream whose segments hold about `max` bytes, and
/// close it cleanly.
fn write(dir: &Path, n: u64, max: u64) {
    let mut s = Stream::open(settings(&dir.join("audit"), max), key(dir)).unwrap();
    for i in 0..n {
        s.push(request(i));
        s.flush(false, None).unwrap();
        s.rotate_if_due(super::record::now_ms(), None).unwrap();
    }
    s.close(None).unwrap();
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    segment::list(&dir.join("audit"))
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

fn check(dir: &Path) -> Report {
    verify_dir(&dir.join("audit"), &verifier(dir)).unwrap()
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    f(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn only_problem(report: &Report) -> (&str, Option<u64>, &ProblemKind) {
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    (p.segment.as_str(), p.line, &p.kind)
}

fn name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

fn with_checkpoints(dir: &Path, max: u64) -> StreamSettings {
    StreamSettings {
        checkpoint_dir: Some(dir.join("checkpoints")),
        checkpoint_interval: Duration::ZERO,
        ..settings(&dir.join("audit"), max)
    }
}

fn checkpoints(dir: &Path) -> Vec<super::checkpoint::Found> {
    super::checkpoint::read_sources(&[dir.join("checkpoints")]).unwrap()
}

fn check_with_checkpoints(dir: &Path) -> Report {
    super::verify::verify_dir_with(&dir.join("audit"), &verifier(dir), Some(&checkpoints(dir)))
        .unwrap()
}
