//! Sealed segments compressed per index block: smaller, readable by other zstd tools, and
//! verified and searched like plain ones; a tampered or damaged compressed segment is found.

use std::path::Path;

use super::{check, check_with_checkpoints, key, request, segments, with_checkpoints};
use crate::audit::search::{Query, StatusFilter, search};
use crate::audit::segment;
use crate::audit::stream::{Stream, StreamSettings};
use crate::audit::verify::ProblemKind;

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
            s.rotate_if_due(crate::audit::record::now_ms(), None)
                .unwrap();
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
    let index = crate::audit::index::Index::read_for(&segs[0], contents.stored_len).unwrap();
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
    let texts = |found: crate::audit::search::Found| -> Vec<String> {
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
