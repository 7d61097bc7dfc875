//! Writing real segment files in a temporary directory, then tampering with them the ways
//! an insider would, and checking that verification says what and where.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::record::{Action, Decision, Record};
use super::seal::{SealKey, SealVerifier};
use super::search::{Query, StatusFilter, search};
use super::segment;
use super::stream::{Fsync, Stream, StreamSettings};
use super::verify::{ProblemKind, Report, verify_dir};
use super::writer::{AuditWriter, FailurePolicy, WriterSettings};

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

#[test]
fn an_untouched_log_verifies_across_rotated_segments() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 200, 8 * 1024);
    let segs = segments(dir.path());
    assert!(segs.len() >= 4, "{segs:?}");
    let report = check(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.sealed, segs.len() as u64);
    // Every request plus an opener and a seal per segment.
    assert_eq!(report.records, 200 + 2 * segs.len() as u64);
    // A second run continues the same chain.
    write(dir.path(), 10, 1 << 20);
    assert!(check(dir.path()).is_intact());
    assert_eq!(segments(dir.path()).len(), segs.len() + 1);
}

#[test]
fn a_modified_record_is_found_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let seg = segments(dir.path())[1].clone();
    edit(&seg, |lines| {
        lines[4] = lines[4].replace("\"user", "\"userX")
    });
    let report = check(dir.path());
    let (segment, line, kind) = only_problem(&report);
    assert_eq!((segment, line), (name(&seg), Some(6)));
    assert_eq!(kind, &ProblemKind::Modified { changed_line: 5 });
    assert!(
        report.problems[0]
            .to_string()
            .contains("line 5 was modified")
    );
}

#[test]
fn deleted_inserted_and_reordered_records_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 1 << 20);
    let seg = segments(dir.path())[0].clone();
    let original = std::fs::read(&seg).unwrap();

    // The seal also no longer matches the number of records.
    let count_mismatch = ProblemKind::SealMismatch("record count");
    edit(&seg, |lines| {
        lines.remove(10);
    });
    let report = check(dir.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert_eq!(report.problems[0].line, Some(11));
    assert_eq!(report.problems[0].kind, ProblemKind::Deleted { count: 1 });
    assert_eq!(report.problems[1].kind, count_mismatch);

    std::fs::write(&seg, &original).unwrap();
    edit(&seg, |lines| {
        let copy = lines[20].clone();
        lines.insert(30, copy);
    });
    let report = check(dir.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert_eq!(report.problems[0].line, Some(31));
    assert_eq!(report.problems[0].kind, ProblemKind::Inserted);
    assert_eq!(report.problems[1].kind, count_mismatch);

    std::fs::write(&seg, &original).unwrap();
    edit(&seg, |lines| lines.swap(40, 41));
    let report = check(dir.path());
    assert!(!report.problems.is_empty());
    assert!(
        report
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::Reordered),
        "{:#?}",
        report.problems
    );
    assert_eq!(report.problems[0].line, Some(41));

    std::fs::write(&seg, &original).unwrap();
    edit(&seg, |lines| {
        lines.insert(50, r#"{"event":{"action":"login"}}"#.into())
    });
    let report = check(dir.path());
    assert_eq!(report.problems[0].line, Some(51));
    assert_eq!(report.problems[0].kind, ProblemKind::NotARecord);

    std::fs::write(&seg, &original).unwrap();
    assert!(check(dir.path()).is_intact());
}

#[test]
fn missing_truncated_and_forged_segments_are_found() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 200, 8 * 1024);
    let segs = segments(dir.path());

    let saved = std::fs::read(&segs[2]).unwrap();
    std::fs::remove_file(&segs[2]).unwrap();
    let report = check(dir.path());
    let (segment, _, kind) = only_problem(&report);
    assert_eq!(segment, name(&segs[3]));
    assert_eq!(
        kind,
        &ProblemKind::MissingSegments {
            from: 3,
            through: 3
        }
    );
    std::fs::write(&segs[2], &saved).unwrap();

    // Cutting the seal and the last records off a closed segment.
    let saved = std::fs::read(&segs[1]).unwrap();
    edit(&segs[1], |lines| {
        lines.truncate(lines.len() - 3);
    });
    let report = check(dir.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert_eq!(report.problems[0].segment, name(&segs[1]));
    assert_eq!(report.problems[0].kind, ProblemKind::Unsealed);
    assert_eq!(report.problems[1].segment, name(&segs[2]));
    assert_eq!(report.problems[1].line, Some(1));
    assert_eq!(report.problems[1].kind, ProblemKind::Deleted { count: 3 });

    // Replacing the last record before the seal: the seal no longer matches.
    std::fs::write(&segs[1], &saved).unwrap();
    edit(&segs[1], |lines| {
        let at = lines.len() - 2;
        lines[at] = lines[at].replace("/x/", "/y/");
    });
    let report = check(dir.path());
    assert_eq!(report.problems[0].segment, name(&segs[1]));
    assert!(matches!(
        report.problems[0].kind,
        ProblemKind::Modified { .. }
    ));

    // Rewriting a whole segment's records and their links does not forge its seal.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 30, 1 << 20);
    let seg = segments(dir.path())[0].clone();
    edit(&seg, |lines| {
        let last = lines.len() - 1;
        lines[last] = lines[last].replace("\"records\":", "\"records\":1");
    });
    let report = check(dir.path());
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::BadSeal(_))),
        "{:#?}",
        report.problems
    );
}

#[test]
fn the_oldest_segment_going_missing_is_found_unless_retention_removed_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let segs = segments(dir.path());
    std::fs::remove_file(&segs[0]).unwrap();
    let report = check(dir.path());
    assert_eq!(
        only_problem(&report).2,
        &ProblemKind::MissingSegments {
            from: 1,
            through: 1
        }
    );

    // Retention: with a retention of zero, the next start prunes every closed segment and
    // says so in the chain.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let before = segments(dir.path()).len();
    let mut s = settings(&dir.path().join("audit"), 1 << 20);
    s.retention = Duration::ZERO;
    let mut stream = Stream::open(s, key(dir.path())).unwrap();
    stream.close(None).unwrap();
    let after = segments(dir.path());
    assert_eq!(after.len(), 1);
    let report = check(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains(&format!("up to {before}"))),
        "{:?}",
        report.notes
    );
}

#[test]
fn a_segment_left_open_by_a_crash_is_sealed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    {
        let mut s = Stream::open(settings(&audit, 1 << 20), key(dir.path())).unwrap();
        for i in 0..20 {
            s.push(request(i));
        }
        s.flush(false, None).unwrap();
        // Dropped without closing: the process died.
    }
    let open = segments(dir.path())[0].clone();
    let report = check(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert!(report.notes.iter().any(|n| n.contains("open")));
    // Half a line, as a write cut by the crash leaves.
    let mut bytes = std::fs::read(&open).unwrap();
    bytes.extend_from_slice(br#"{"@timestamp":"2026-"#);
    std::fs::write(&open, bytes).unwrap();

    write(dir.path(), 5, 1 << 20);
    let report = check(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert!(
        report.notes.iter().any(|n| n.contains("after a crash")),
        "{:?}",
        report.notes
    );
    assert_eq!(report.sealed, 2);
}

#[test]
fn search_finds_by_user_time_route_decision_and_status_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 3000, 256 * 1024);
    assert!(segments(dir.path()).len() > 3);
    let dirs = [dir.path().join("audit")];
    let q = |f: &dyn Fn(&mut Query)| {
        let mut q = Query {
            limit: 10_000,
            ..Query::default()
        };
        f(&mut q);
        search(&dirs, &q).unwrap()
    };
    let by_user = q(&|q| q.user = Some("user3".into()));
    assert_eq!(by_user.hits.len(), (0..3000).filter(|i| i % 7 == 3).count());
    assert!(
        by_user
            .hits
            .windows(2)
            .all(|w| w[0].time_ms <= w[1].time_ms)
    );
    assert!(
        by_user
            .hits
            .iter()
            .all(|h| h.text.contains("\"name\":\"user3\""))
    );

    let base = 1_775_000_000_000;
    let window = q(&|q| {
        q.from_ms = Some(base + 100_000);
        q.to_ms = Some(base + 200_000);
        q.action = Some("request".into());
    });
    assert_eq!(window.hits.len(), 100);

    let denied = q(&|q| {
        q.route = Some("zaimu".into());
        q.decision = Some("deny".into());
        q.status = Some(StatusFilter::Class(4));
    });
    assert_eq!(denied.hits.len(), (0..3000).filter(|i| i % 10 == 0).count());

    let newest = q(&|q| {
        q.user = Some("user1".into());
        q.limit = 5;
        q.newest_first = true;
    });
    assert_eq!(newest.hits.len(), 5);
    assert!(newest.truncated);
    assert!(newest.hits.windows(2).all(|w| w[0].time_ms > w[1].time_ms));
    assert_eq!(newest.hits[0].time_ms, base + 2997 * 1000);

    let nobody = q(&|q| q.user = Some("nobody".into()));
    assert!(nobody.hits.is_empty());
    assert!(
        nobody.blocks_read < 3,
        "the index should skip blocks: {}",
        nobody.blocks_read
    );
}

fn writer(dir: &Path, policy: FailurePolicy, queue: usize, drain: Duration) -> AuditWriter<Record> {
    AuditWriter::start(
        WriterSettings {
            stream: settings(&dir.join("audit"), 1 << 20),
            queue,
            drain_interval: drain,
            on_failure: policy,
            forward: Vec::new(),
        },
        key(dir),
        (),
    )
    .unwrap()
}

fn all_records(dir: &Path) -> Vec<serde_json::Value> {
    segments(dir)
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn keep_serving_counts_and_reports_what_did_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::KeepServing,
        4,
        Duration::from_secs(3600),
    );
    for i in 0..10 {
        w.record(request(i));
    }
    assert!(w.accepting());
    assert_eq!(w.stats().lost, 6);
    w.shutdown();
    let records = all_records(dir.path());
    let lost = records
        .iter()
        .find(|r| r["event"]["reason"] == "records_lost")
        .expect("an alert saying records were lost");
    assert_eq!(lost["event"]["kind"], "alert");
    assert_eq!(lost["yakuba"]["detail"]["lost"], 6);
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"]["action"] == "request")
            .count(),
        4
    );
    assert!(check(dir.path()).is_intact());
}

#[test]
fn fail_closed_stops_accepting_but_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::FailClosed,
        4,
        Duration::from_secs(3600),
    );
    for i in 0..10 {
        w.record(request(i));
    }
    assert!(!w.accepting());
    w.note_refused();
    let stats = w.stats();
    assert_eq!((stats.lost, stats.refused), (0, 1));
    w.shutdown();
    let records = all_records(dir.path());
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"]["action"] == "request")
            .count(),
        10
    );
    assert!(
        records
            .iter()
            .any(|r| r["event"]["reason"] == "requests_refused")
    );
}

#[tokio::test]
async fn a_durable_record_is_on_disk_when_the_wait_ends() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::FailClosed,
        1024,
        Duration::from_secs(3600),
    );
    let started = std::time::Instant::now();
    w.record_durable(Record {
        user: Some("yamada".into()),
        ..Record::new(Action::Login, Decision::Success, "authenticated")
    })
    .await
    .unwrap();
    // The writer was woken, not waited for.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        all_records(dir.path())
            .iter()
            .any(|r| r["event"]["action"] == "login")
    );
    w.shutdown();
    assert!(check(dir.path()).is_intact());
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

/// Write `n` requests through a checkpointed stream (a checkpoint after each) and leave its
/// segment open, as a running gateway does.
fn write_open(dir: &Path, n: u64, max: u64) -> Stream {
    let mut s = Stream::open(with_checkpoints(dir, max), key(dir)).unwrap();
    for i in 0..n {
        s.push(request(i));
        s.flush(false, None).unwrap();
        s.rotate_if_due(super::record::now_ms(), None).unwrap();
        s.checkpoint_if_due(None);
    }
    s
}

#[test]
fn records_cut_from_the_end_of_the_open_segment_are_found_by_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let stream = write_open(dir.path(), 30, 1 << 20);
    let open = stream.segment_path().to_path_buf();
    assert!(check_with_checkpoints(dir.path()).is_intact());
    // The process still runs (or was killed); an insider cuts the last five records.
    edit(&open, |lines| lines.truncate(lines.len() - 5));
    // The chain alone cannot tell: nothing after them links to them.
    assert!(check(dir.path()).is_intact());
    let report = check_with_checkpoints(dir.path());
    let (segment, _, kind) = only_problem(&report);
    assert_eq!(segment, name(&open));
    // Line 1 opens the segment, lines 2..=31 are the requests (seq 1..=31 with the opener).
    assert!(
        matches!(
            kind,
            ProblemKind::TruncatedAfterCheckpoint {
                last: Some((26, 26)),
                seq: 31,
                ..
            }
        ),
        "{kind:?}"
    );
    let text = report.problems[0].to_string();
    assert!(
        text.contains("records after seq 26 (line 26) are missing: seq 31 was checkpointed at 20"),
        "{text}"
    );
    assert!(text.contains(".checkpoints:"), "{text}");
    drop(stream);
}

#[test]
fn the_newest_segments_deleted_whole_are_named_by_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let mut stream = write_open(dir.path(), 200, 8 * 1024);
    stream.close(None).unwrap();
    let segs = segments(dir.path());
    let n = segs.len() as u64;
    assert!(n >= 4, "{segs:?}");
    assert!(check_with_checkpoints(dir.path()).is_intact());
    for newest in &segs[segs.len() - 2..] {
        std::fs::remove_file(newest).unwrap();
    }
    assert!(check(dir.path()).is_intact(), "the chain alone cannot tell");
    let report = check_with_checkpoints(dir.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    for (p, number) in report.problems.iter().zip([n - 1, n]) {
        assert!(
            matches!(&p.kind, ProblemKind::CheckpointedSegmentMissing { number: got, stream, .. }
                if *got == number && stream == "gateway"),
            "{p}"
        );
        assert!(
            p.to_string()
                .contains(&format!("segment {number} of stream gateway is missing")),
            "{p}"
        );
    }

    // Rewinding the checkpoint file as well leaves segments that say they were checkpointed
    // without a checkpoint.
    let files = std::fs::read_dir(dir.path().join("checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect::<Vec<_>>();
    assert_eq!(files.len(), 1);
    let keep = n - 2;
    edit(&files[0], |lines| {
        lines.retain(|l| {
            super::checkpoint::Checkpoint::find_in(l).is_some_and(|c| c.facts.segment < keep)
        })
    });
    let report = check_with_checkpoints(dir.path());
    let (segment, line, kind) = only_problem(&report);
    assert_eq!((segment, line), (name(&segs[segs.len() - 3]), Some(1)));
    assert_eq!(kind, &ProblemKind::NoCheckpoint);

    // A forged checkpoint does not verify.
    edit(&files[0], |lines| {
        let last = lines.len() - 1;
        lines[last] = lines[last].replace("\"seq\":", "\"seq\":1");
    });
    let report = check_with_checkpoints(dir.path());
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::BadCheckpoint(_))),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_replaced_record_that_was_checkpointed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let stream = write_open(dir.path(), 10, 1 << 20);
    let open = stream.segment_path().to_path_buf();
    drop(stream);
    // The last record rewritten: nothing in the chain follows it, but its checkpoint does.
    edit(&open, |lines| {
        let last = lines.len() - 1;
        lines[last] = lines[last].replace("/x/9", "/x/8");
    });
    let report = check_with_checkpoints(dir.path());
    let (_, line, kind) = only_problem(&report);
    assert_eq!(line, Some(11));
    assert!(
        matches!(kind, ProblemKind::CheckpointMismatch { .. }),
        "{kind:?}"
    );
}

#[test]
fn sealed_segments_are_compressed_per_block_and_still_verify_and_search_alike() {
    let plain = tempfile::tempdir().unwrap();
    let packed = tempfile::tempdir().unwrap();
    for (dir, compress) in [(plain.path(), false), (packed.path(), true)] {
        let mut s = Stream::open(
            StreamSettings {
                compress,
                ..with_checkpoints(dir, 256 * 1024)
            },
            key(dir),
        )
        .unwrap();
        for i in 0..3000 {
            s.push(request(i));
            s.flush(false, None).unwrap();
            s.rotate_if_due(super::record::now_ms(), None).unwrap();
        }
        s.close(None).unwrap();
        s.finish_compression();
    }
    let segs = segments(packed.path());
    assert!(segs.len() > 3);
    assert!(segs.iter().all(|p| segment::is_compressed(p)), "{segs:?}");
    let plain_bytes: u64 = segments(plain.path())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let packed_bytes: u64 = segs
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(
        packed_bytes * 5 < plain_bytes,
        "{packed_bytes} compressed of {plain_bytes}"
    );
    // Every frame is one index block, and the file is one zstd stream for other tools.
    let contents = segment::read(&segs[0]).unwrap();
    let index = super::index::Index::read_for(&segs[0], contents.stored_len).unwrap();
    assert_eq!(contents.frames.len(), index.blocks.len());
    assert!(index.blocks.len() > 1);
    assert_eq!(
        zstd::stream::decode_all(&std::fs::read(&segs[0]).unwrap()[..]).unwrap(),
        contents.bytes
    );

    let report = check_with_checkpoints(packed.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.records, check(plain.path()).records);

    let query = |dir: &Path, f: &dyn Fn(&mut Query)| {
        let mut q = Query {
            limit: 10_000,
            ..Query::default()
        };
        f(&mut q);
        search(&[dir.join("audit")], &q).unwrap()
    };
    // The chains differ (each run's segment openers and seals carry their own times): compare
    // which requests were found.
    let texts = |found: super::search::Found| -> Vec<String> {
        found
            .hits
            .into_iter()
            .filter_map(|h| {
                let v: serde_json::Value = serde_json::from_str(&h.text).ok()?;
                Some(v["url"]["path"].as_str()?.to_owned())
            })
            .collect()
    };
    for f in [
        &(|q: &mut Query| q.user = Some("user3".into())) as &dyn Fn(&mut Query),
        &|q: &mut Query| {
            q.route = Some("zaimu".into());
            q.status = Some(StatusFilter::Class(4));
        },
    ] {
        let (a, b) = (query(plain.path(), f), query(packed.path(), f));
        assert!(!a.hits.is_empty());
        assert_eq!(texts(a), texts(b));
    }
    let nobody = query(packed.path(), &|q| q.user = Some("nobody".into()));
    assert!(nobody.blocks_read < 3, "{}", nobody.blocks_read);

    // A compressed record edited (the file decompressed, edited and compressed again whole)
    // is found at its line, like a plain one; the index no longer matches the frames.
    let victim = &segs[1];
    let mut lines: Vec<String> = String::from_utf8(segment::read(victim).unwrap().bytes)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines[4] = lines[4].replace("\"user", "\"userX");
    let text = lines.join("\n") + "\n";
    std::fs::write(victim, zstd::bulk::compress(text.as_bytes(), 3).unwrap()).unwrap();
    let report = check_with_checkpoints(packed.path());
    let kinds: Vec<&ProblemKind> = report.problems.iter().map(|p| &p.kind).collect();
    assert!(
        kinds.contains(&&ProblemKind::Modified { changed_line: 5 }),
        "{kinds:?}"
    );
    // Damaged bytes are reported, not a crash.
    std::fs::write(victim, b"not zstd at all").unwrap();
    let report = check_with_checkpoints(packed.path());
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::Unreadable(_))),
        "{:#?}",
        report.problems
    );
}

#[test]
fn an_interrupted_compression_leaves_the_plain_segment_which_wins_and_is_compressed_again() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let segs = segments(dir.path());
    // As if a crash came after the compressed file was in place but before the plain one went.
    let half = segment::compressed_path(&segs[0]);
    std::fs::write(&half, b"garbage").unwrap();
    std::fs::write(
        segment::compressed_path(&segs[1]).with_extension("zst.tmp.1"),
        b"x",
    )
    .unwrap();
    assert_eq!(segments(dir.path()), segs);
    assert!(check(dir.path()).is_intact());
    let mut s = Stream::open(
        StreamSettings {
            compress: true,
            ..settings(&dir.path().join("audit"), 1 << 20)
        },
        key(dir.path()),
    )
    .unwrap();
    s.finish_compression();
    s.close(None).unwrap();
    let after = segments(dir.path());
    assert_eq!(after.len(), segs.len() + 1);
    assert!(
        after[..segs.len()]
            .iter()
            .all(|p| segment::is_compressed(p))
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("audit"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let report = check(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
}

#[test]
fn retention_goes_by_the_time_in_the_seals_not_the_files_and_runs_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let sealed = segments(dir.path());
    // The files look ancient (copied, restored, touched): nothing is deleted for that.
    for p in &sealed {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH)
            .unwrap();
    }
    let one_day = Duration::from_secs(86_400);
    let mut s = Stream::open(
        StreamSettings {
            retention: one_day,
            ..with_checkpoints(dir.path(), 1 << 20)
        },
        key(dir.path()),
    )
    .unwrap();
    assert_eq!(segments(dir.path()).len(), sealed.len() + 1);
    let now = super::record::now_ms();
    // Later the same day: not due again.
    s.housekeep(now + 1000, None).unwrap();
    assert_eq!(segments(dir.path()).len(), sealed.len() + 1);
    // Two days on, with no rotation: the daily run deletes what the seals date past a day.
    s.housekeep(now + 2 * 86_400_000, None).unwrap();
    assert_eq!(segments(dir.path()).len(), 1);
    s.close(None).unwrap();
    let report = check_with_checkpoints(dir.path());
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains(&format!("up to {}", sealed.len()))),
        "{:?}",
        report.notes
    );

    // Files that look new are deleted all the same once their seals are old.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, 8 * 1024);
    let future = std::time::SystemTime::now() + Duration::from_secs(365 * 86_400);
    for p in segments(dir.path()) {
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(future)
            .unwrap();
    }
    let mut s = Stream::open(
        StreamSettings {
            retention: one_day,
            ..settings(&dir.path().join("audit"), 1 << 20)
        },
        key(dir.path()),
    )
    .unwrap();
    s.housekeep(super::record::now_ms() + 2 * 86_400_000, None)
        .unwrap();
    s.close(None).unwrap();
    assert_eq!(segments(dir.path()).len(), 1);
}
