//! `audit verify` against the signed checkpoints: records cut from the end of the open
//! segment, and the newest segments deleted whole, are named.

use std::time::Duration;

use harness::system::{LOCAL_PASSWORD, System};

use crate::client::{get, session_cookie};

use super::{audit_cli, segments, with_audit};

/// The newest checkpoint's sequence number in the gateway's checkpoint files.
fn newest_checkpoint(sys: &System) -> u64 {
    sso::audit::checkpoint::read_sources(&[sys.data_dir().join("audit-checkpoints")])
        .unwrap()
        .iter()
        .map(|f| f.checkpoint.facts.seq)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn verify_names_records_cut_from_the_open_segment_and_the_newest_segment_deleted() {
    let mut sys =
        System::start(with_audit("compress = false\ncheckpoint_interval = \"1s\"")).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    for i in 0..10 {
        let path = format!("/denkessai/cut-{i}");
        assert_eq!(get(&sys, &path, Some(&cookie)).await.status(), 200);
    }
    assert!(sys.audit_has(|r| r["path"] == "/denkessai/cut-9"));
    // A checkpoint comes within the interval once records were written since the last.
    let last_seq = |sys: &System| {
        sys.audit()
            .iter()
            .filter_map(|r| r["yakuba"]["chain"]["seq"].as_u64())
            .max()
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while newest_checkpoint(&sys) < last_seq(&sys) {
        assert!(std::time::Instant::now() < deadline, "no checkpoint came");
        // Records written after the interval make the writer checkpoint.
        get(&sys, "/denkessai/tick", Some(&cookie)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let pinned = newest_checkpoint(&sys);
    sys.kill_gateway();
    let (ok, out, err) = audit_cli(&sys, &["verify"]);
    assert!(ok, "{out}{err}");

    // An insider cuts the last three records of the open segment.
    let segs = segments(&sys.audit_dir());
    let open = segs.last().unwrap().clone();
    let text = std::fs::read_to_string(&open).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines.len() - 3;
    std::fs::write(&open, lines[..kept].join("\n") + "\n").unwrap();
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok, "{out}");
    let name = open.file_name().unwrap().to_str().unwrap();
    let last_left: serde_json::Value = serde_json::from_str(lines[kept - 1]).unwrap();
    let expected = format!(
        "PROBLEM: {name}: records after seq {} (line {kept}) are missing: seq {pinned} was checkpointed at",
        last_left["yakuba"]["chain"]["seq"]
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert!(
        out.contains("audit-checkpoints") || out.contains(".checkpoints:"),
        "{out}"
    );
    std::fs::write(&open, &text).unwrap();
    assert!(audit_cli(&sys, &["verify"]).0);

    // The next start seals it; a clean stop seals the next. Then the newest is deleted whole.
    sys.restart_gateway().unwrap();
    assert_eq!(
        get(&sys, "/denkessai/later", Some(&cookie)).await.status(),
        200
    );
    sys.restart_gateway().unwrap();
    sys.kill_gateway();
    let segs = segments(&sys.audit_dir());
    let (ok, out, err) = audit_cli(&sys, &["verify"]);
    assert!(ok, "{out}{err}");
    // The open one the kill left, and the sealed one before it.
    for newest in &segs[segs.len() - 2..] {
        std::fs::remove_file(newest).unwrap();
    }
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok, "{out}");
    for number in [segs.len() - 1, segs.len()] {
        assert!(
            out.contains(&format!(
                "segment {number} of stream gateway is missing: it was checkpointed at"
            )),
            "segment {number}: {out}"
        );
    }
}
