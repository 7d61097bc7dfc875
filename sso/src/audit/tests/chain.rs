//! The hash chain and the seals: an untouched log verifies across rotated segments, and
//! records or segments modified, deleted, inserted, reordered, truncated or forged are found
//! at their segment and line.

use super::{check, edit, name, only_problem, segments, write};
use crate::audit::verify::ProblemKind;

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
