//! Records through crashes and failing disks: after `kill -9` under each fsync setting the
//! records are on disk and the next start seals the segment; a failing disk under each
//! failure policy (refusing requests, or serving on and counting what is lost); and writing
//! resumes with the chain unbroken and the gap recorded.

use std::time::Duration;

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::{get, session_cookie};

use super::{audit_cli, with_audit};

#[tokio::test]
async fn after_kill_9_every_record_older_than_the_drain_interval_is_on_disk_under_each_fsync_setting()
 {
    for fsync in ["never", "batch", "1s"] {
        let mut sys = System::start(with_audit(&format!("fsync = \"{fsync}\""))).unwrap();
        let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
        for i in 0..40 {
            let path = format!("/denkessai/kill-{fsync}-{i}");
            assert_eq!(get(&sys, &path, Some(&cookie)).await.status(), 200);
        }
        // The login was written before its answer; the requests within one drain interval
        // (20 ms) after theirs. Wait a little longer than that, then crash.
        tokio::time::sleep(Duration::from_millis(200)).await;
        sys.kill_gateway();
        let records = sys.audit();
        let kept = records
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("/denkessai/kill-{fsync}-")))
            })
            .count();
        assert_eq!(kept, 40, "fsync = {fsync}");
        assert!(
            records
                .iter()
                .any(|r| r["kind"] == "login" && r["decision"] == "success")
        );

        // The next start seals the segment the crash left open and carries on.
        sys.restart_gateway().unwrap();
        assert_eq!(
            get(&sys, "/denkessai/after", Some(&cookie)).await.status(),
            200
        );
        sys.restart_gateway().unwrap();
        let (ok, out, err) = audit_cli(&sys, &["verify"]);
        assert!(ok, "fsync = {fsync}: {out}{err}");
        assert!(
            out.contains("sealed at the next start after a crash"),
            "{out}"
        );
    }
}

#[tokio::test]
async fn when_the_disk_fails_fail_closed_refuses_requests_with_a_japanese_page() {
    let sys = System::start(SystemOptions {
        gateway_file_size_limit: Some(192 * 1024),
        extra_gateway_toml: "[audit]\non_failure = \"fail_closed\"\n".into(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let mut refused = None;
    for i in 0..2000 {
        let resp = get(&sys, &format!("/denkessai/fill-{i}"), Some(&cookie)).await;
        if resp.status() == 503 {
            refused = Some(resp.text().await.unwrap());
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    let page = refused.expect("requests are refused once the audit log cannot be written");
    assert!(page.contains("監査ログを記録できない"), "{page}");
    // Logins are refused too; health checks say why.
    let login = sys
        .client()
        .unwrap()
        .get(sys.url("/.yakuba/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 503);
    let ready = sys
        .client()
        .unwrap()
        .get(sys.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let body = ready.text().await.unwrap();
    assert!(body.contains("audit FAIL"), "{body}");
    assert!(sys.all_logs().contains("cannot write the audit log"));
}

#[tokio::test]
async fn when_the_disk_fails_keep_serving_serves_on_and_counts_and_logs_what_is_lost() {
    let sys = System::start(SystemOptions {
        gateway_file_size_limit: Some(192 * 1024),
        extra_gateway_toml: "[audit]\non_failure = \"keep_serving\"\nqueue = 1024\n".into(),
        ..SystemOptions::default()
    })
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let client = sys.client().unwrap();
    let mut lost = 0;
    for i in 0..6000 {
        let resp = client
            .get(sys.url(&format!("/denkessai/keep-{i}")))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "request {i} was not served");
        if i % 200 == 199 {
            let ready = client.get(sys.url("/readyz")).send().await.unwrap();
            assert_eq!(ready.status(), 200);
            let body = ready.text().await.unwrap();
            lost = body
                .lines()
                .find_map(|l| l.strip_prefix("audit_dropped "))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if lost > 0 {
                assert!(body.contains("audit DEGRADED"), "{body}");
                break;
            }
        }
    }
    assert!(lost > 0, "the queue never overflowed");
    let logs = sys.all_logs();
    assert!(logs.contains("cannot write the audit log"));
    assert!(logs.contains("records lost"));
}

#[tokio::test]
async fn after_a_disk_failure_writing_resumes_the_chain_continues_and_the_gap_is_recorded() {
    for policy in ["fail_closed", "keep_serving"] {
        let sys = System::start(SystemOptions {
            gateway_file_size_limit: Some(192 * 1024),
            extra_gateway_toml: format!("[audit]\non_failure = \"{policy}\"\nqueue = 1024\n"),
            ..SystemOptions::default()
        })
        .unwrap();
        let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
        let client = sys.client().unwrap();
        // Fill the disk until the policy shows: refusals, or records lost.
        let mut refused = 0u64;
        let mut lost = 0u64;
        for i in 0..6000 {
            let resp = client
                .get(sys.url(&format!("/denkessai/{policy}-{i}")))
                .header(COOKIE, &cookie)
                .send()
                .await
                .unwrap();
            match resp.status().as_u16() {
                503 => refused += 1,
                200 => {}
                other => panic!("{policy}: request {i} answered {other}"),
            }
            if policy == "keep_serving" && i % 100 == 99 {
                let ready = client.get(sys.url("/readyz")).send().await.unwrap();
                lost = ready
                    .text()
                    .await
                    .unwrap()
                    .lines()
                    .find_map(|l| l.strip_prefix("audit_dropped "))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
            }
            if refused >= 5 || lost > 0 {
                break;
            }
        }
        assert!(refused >= 5 || lost > 0, "{policy}: the disk never failed");

        // The disk is given room: writing resumes within the retry interval, requests are
        // served again and their records written (under keep_serving requests were served
        // all along; a record shows that writing resumed).
        sys.set_gateway_file_size_limit(None).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let mut n = 0;
        loop {
            n += 1;
            let status = get(
                &sys,
                &format!("/denkessai/after-recovery-{n}"),
                Some(&cookie),
            )
            .await
            .status();
            match status.as_u16() {
                200 => {}
                // Refused while the gateway waits to retry: counted in the record too.
                503 => refused += 1,
                other => panic!("{policy}: after recovery answered {other}"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let written = sys.audit().iter().any(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/denkessai/after-recovery-"))
            });
            if status == 200 && written {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{policy}: never recovered"
            );
        }
        let records = sys.audit();
        let resumed = records
            .iter()
            .find(|r| r["reason"] == "writing_resumed")
            .unwrap_or_else(|| panic!("{policy}: no writing_resumed record"));
        assert!(
            resumed["yakuba"]["detail"]["failed_attempts"]
                .as_u64()
                .unwrap()
                >= 1,
            "{resumed}"
        );
        assert!(
            resumed["yakuba"]["detail"]["failing_since"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{resumed}"
        );
        // What was refused or lost is itself a record, in the same chain.
        let (reason, field, count) = if policy == "fail_closed" {
            ("requests_refused", "refused", refused)
        } else {
            ("records_lost", "lost", lost)
        };
        let gap = records
            .iter()
            .find(|r| r["reason"] == reason)
            .unwrap_or_else(|| panic!("{policy}: no {reason} record"));
        assert_eq!(gap["event"]["kind"], "alert");
        let recorded = gap["yakuba"]["detail"][field].as_u64().unwrap();
        if policy == "fail_closed" {
            assert_eq!(recorded, count, "{gap}");
        } else {
            assert!(recorded >= count, "{gap}: {count} lost when last asked");
        }
        // One chain across the failure: sequence numbers run on without a gap, and verify
        // (which checks every link) finds nothing wrong.
        let seqs: Vec<u64> = records
            .iter()
            .filter_map(|r| r["yakuba"]["chain"]["seq"].as_u64())
            .collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{policy}");
        let (ok, out, err) = audit_cli(&sys, &["verify"]);
        assert!(ok, "{policy}: {out}{err}");
        assert!(out.contains("0 problem(s)"), "{out}");
    }
}
