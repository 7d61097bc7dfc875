//! Signed checkpoints: records cut from the end of the open segment, newest segments deleted
//! whole, checkpoint files rewound or forged, and a checkpointed record replaced are found.

use std::path::Path;

use super::{
    check, check_with_checkpoints, edit, key, name, only_problem, request, segments,
    with_checkpoints,
};
use crate::audit::stream::Stream;
use crate::audit::verify::ProblemKind;

/// Write `n` requests through a checkpointed stream (a checkpoint after each) and leave its
/// segment open, as a running gateway does.
fn write_open(dir: &Path, n: u64, max: u64) -> Stream {
    let mut s = Stream::open(with_checkpoints(dir, max), key(dir)).unwrap();
    for i in 0..n {
        s.push(request(i));
        s.flush(false, None).unwrap();
        s.rotate_if_due(crate::audit::record::now_ms(), None)
            .unwrap();
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
            crate::audit::checkpoint::Checkpoint::find_in(l).is_some_and(|c| c.facts.segment < keep)
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
