//! Searching a log of many segments by user, time, route, decision and status, in both
//! orders, with the index skipping blocks that cannot match.

use super::{segments, write};
use crate::audit::search::{Query, StatusFilter, search};

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
