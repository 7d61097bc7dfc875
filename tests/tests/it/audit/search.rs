//! `audit search`: records found by user, time (JST when no zone is given), route, decision
//! and status, as JSON lines or a table.

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};

use crate::client::{get, session_cookie};

use super::audit_cli;

/// `2026-04-01T08:30:00.120Z` as JST without a zone, to the second: `2026-04-01T17:30:00`.
fn jst_text(utc: &str, plus_secs: i64) -> String {
    let ms = sso::audit::chain::parse_timestamp(utc).unwrap();
    let jst = sso::audit::record::format_ms(ms + (9 * 3600 + plus_secs) * 1000);
    jst[..19].to_owned()
}

#[tokio::test]
async fn audit_search_finds_records_by_user_jst_time_route_decision_and_status() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/denkessai/a", Some(&cookie)).await.status(), 200);
    // 財務会計 is only for its group: yamada is refused.
    assert_eq!(get(&sys, "/zaimu/b", Some(&cookie)).await.status(), 403);
    let admin = session_cookie(&sys, "admin", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/denkessai/c", Some(&admin)).await.status(), 200);
    assert!(sys.audit_has(|r| r["path"] == "/denkessai/c"));

    let lines = |args: &[&str]| -> Vec<serde_json::Value> {
        let (ok, out, err) = audit_cli(&sys, args);
        assert!(ok, "{err}");
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let mine = lines(&["search", "--user", "yamada", "--action", "request"]);
    assert!(mine.len() >= 2);
    assert!(mine.iter().all(|r| r["user"]["name"] == "yamada"));

    let denied = lines(&[
        "search",
        "--decision",
        "deny",
        "--status",
        "403",
        "--route",
        "zaimu",
    ]);
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0]["url"]["path"], "/zaimu/b");
    assert_eq!(
        lines(&["search", "--status", "4xx", "--user", "admin"]).len(),
        0
    );

    // Times without a zone are JST: the same digits as UTC are nine hours away.
    let at = denied[0]["@timestamp"].as_str().unwrap();
    let (from, to) = (jst_text(at, 0), jst_text(at, 1));
    let found = lines(&["search", "--route", "zaimu", "--from", &from, "--to", &to]);
    assert_eq!(found.len(), 1, "{from}..{to}");
    let as_utc = lines(&[
        "search",
        "--route",
        "zaimu",
        "--from",
        &format!("{from}Z"),
        "--to",
        &format!("{to}Z"),
    ]);
    assert!(as_utc.is_empty());
    // A bare JST date covers the whole day.
    let day = &from[..10];
    assert_eq!(
        lines(&["search", "--route", "zaimu", "--from", day, "--to", day]).len(),
        1
    );

    let (ok, table, _) = audit_cli(
        &sys,
        &[
            "search", "--user", "yamada", "--route", "zaimu", "--format", "table",
        ],
    );
    assert!(ok);
    assert!(
        table.contains(" JST  yamada  request  deny  403  zaimu  GET /zaimu/b"),
        "{table}"
    );
    let (ok, _, err) = audit_cli(&sys, &["search", "--from", "yesterday"]);
    assert!(!ok && err.contains("is not a time"), "{err}");
}
