//! Retention: segments deleted by it are attested in the chain (and any other missing
//! segment is found), and it goes by the time in the seals, once a day.

use std::time::Duration;

use super::{
    check, check_with_checkpoints, key, only_problem, segments, settings, with_checkpoints, write,
};
use crate::audit::stream::{Stream, StreamSettings};
use crate::audit::verify::ProblemKind;

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
    let now = crate::audit::record::now_ms();
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
    s.housekeep(crate::audit::record::now_ms() + 2 * 86_400_000, None)
        .unwrap();
    s.close(None).unwrap();
    assert_eq!(segments(dir.path()).len(), 1);
}
