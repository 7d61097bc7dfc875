//! What a crash leaves and the next start repairs: a segment left open is sealed, and an
//! interrupted compression gives way to the plain segment, which is compressed again.

use super::{check, key, request, segments, settings, write};
use crate::audit::segment;
use crate::audit::stream::{Stream, StreamSettings};

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
