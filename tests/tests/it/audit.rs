//! The audit log through the real gateway: ECS records for requests, logins, logouts and
//! configuration; `audit verify` finding tampering where it is; `audit search` with JST
//! times; `kill -9` under each fsync setting; a failing disk under each failure policy; and
//! copies to syslog (UDP and TCP) and the journal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use reqwest::header::COOKIE;

use crate::client::{get, hidden, post_form, session_cookie};

/// Run `yakuba-gateway audit ARGS --config <the system's>`; returns (success, stdout, stderr).
fn audit_cli(sys: &System, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(harness::binaries::path("yakuba-gateway").unwrap())
        .arg("audit")
        .args(args)
        .arg("--config")
        .arg(sys.gateway_config())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

fn with_audit(toml: &str) -> SystemOptions {
    SystemOptions {
        extra_gateway_toml: format!("[audit]\n{toml}\n"),
        ..SystemOptions::default()
    }
}

#[tokio::test]
async fn requests_logins_and_logouts_are_ecs_records_in_a_chain_that_verifies() {
    // Uncompressed, so that the insider below can edit a segment with a text editor.
    let mut sys = System::start(with_audit("compress = false")).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let resp = sys
        .client()
        .unwrap()
        .get(sys.url("/denkessai/list?page=2&access_token=tok-123&code=c0de"))
        .header(COOKIE, &cookie)
        .header("user-agent", "Mozilla/5.0 (Windows NT 10.0) 庁内端末")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(sys.audit_has(|r| r["route"] == "denkessai"));
    let records = harness::audit::ecs_records(&sys.audit_dir());
    let request = records
        .iter()
        .find(|r| r["yakuba"]["route"] == "denkessai")
        .unwrap();
    let ts = request["@timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with('Z') && ts.len() == 24 && &ts[19..20] == ".",
        "{ts}"
    );
    assert_eq!(request["ecs"]["version"], "8.11.0");
    assert_eq!(request["event"]["kind"], "event");
    assert_eq!(request["event"]["action"], "request");
    assert_eq!(request["event"]["category"][0], "web");
    assert_eq!(request["event"]["outcome"], "success");
    assert_eq!(request["event"]["reason"], "session_valid");
    assert!(request["event"]["duration"].as_u64().unwrap() > 0);
    assert!(
        request["http"]["request"]["id"]
            .as_str()
            .unwrap()
            .contains('-')
    );
    assert_eq!(request["http"]["request"]["method"], "GET");
    assert_eq!(request["http"]["response"]["status_code"], 200);
    assert!(
        request["http"]["response"]["body"]["bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    // reqwest speaks HTTP/2 to the gateway when ALPN offers it.
    assert!(["1.1", "2"].contains(&request["http"]["version"].as_str().unwrap()));
    assert_eq!(request["client"]["ip"], "127.0.0.1");
    assert_eq!(request["source"]["ip"], "127.0.0.1");
    assert!(request["source"]["port"].as_u64().unwrap() > 0);
    assert_eq!(request["user"]["name"], "yamada", "{request}");
    assert_eq!(request["user"]["id"], "yamada");
    assert_eq!(request["user"]["full_name"], "山田 太郎");
    assert_eq!(request["yakuba"]["department"], "総務課");
    assert_eq!(request["yakuba"]["auth_method"], "local");
    assert_eq!(request["yakuba"]["session"].as_str().unwrap().len(), 64);
    assert_eq!(request["url"]["domain"], "localhost");
    assert_eq!(request["url"]["path"], "/denkessai/list");
    assert_eq!(
        request["url"]["query"],
        "page=2&access_token=REDACTED&code=REDACTED"
    );
    assert_eq!(request["destination"]["address"], sys.legacy[0].to_string());
    assert_eq!(
        request["user_agent"]["original"],
        "Mozilla/5.0 (Windows NT 10.0) 庁内端末"
    );
    assert_eq!(request["tls"]["version"], "1.3");
    assert_eq!(request["service"]["name"], "gateway");

    let config = std::fs::read(sys.gateway_config()).unwrap();
    let sha = sso::audit::chain::line_hash(&config);
    let loaded = records
        .iter()
        .find(|r| r["event"]["action"] == "config")
        .unwrap();
    assert_eq!(loaded["event"]["reason"], "config_loaded");
    assert_eq!(loaded["yakuba"]["detail"]["sha256"], sha);
    assert_eq!(request["yakuba"]["config_version"], sha[..16]);

    let login = records
        .iter()
        .find(|r| r["event"]["action"] == "login" && r["yakuba"]["decision"] == "success")
        .unwrap();
    assert_eq!(login["event"]["category"][0], "authentication");
    assert_eq!(login["event"]["type"][0], "start");
    assert_eq!(login["user"]["roles"][0], "staff");
    assert_eq!(login["yakuba"]["session"], request["yakuba"]["session"]);

    let portal = get(&sys, "/", Some(&cookie)).await.text().await.unwrap();
    let csrf = hidden(&portal, "csrf").unwrap();
    post_form(&sys, "/.yakuba/logout", &cookie, &[("csrf", csrf.as_str())]).await;
    assert!(sys.audit_has(|r| r["kind"] == "logout" && r["reason"] == "user"));

    // A graceful upgrade hands the stream over: the old process seals its segment, the new
    // one continues the chain.
    sys.upgrade_gateway().unwrap();
    assert_eq!(get(&sys, "/denkessai/", None).await.status(), 302);
    sys.restart_gateway().unwrap();
    let (ok, out, err) = audit_cli(&sys, &["verify"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("0 problem(s)"), "{out}");
    let segs = segments(&sys.audit_dir());
    assert!(segs.len() >= 3, "{segs:?}");
    assert!(sys.audit().iter().any(|r| r["reason"] == "config_reloaded"));

    // An insider edits a record: verify names the segment and the line.
    let first = &segs[0];
    let text = std::fs::read_to_string(first).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("\"action\":\"login\""))
        .unwrap();
    let forged = lines[at].replace("\"yamada\"", "\"sato\"");
    lines[at] = &forged;
    std::fs::write(first, lines.join("\n") + "\n").unwrap();
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok);
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(
        out.contains(&format!(
            "{name} line {}: line {} was modified",
            at + 2,
            at + 1
        )),
        "{out}"
    );
    std::fs::write(first, &text).unwrap();

    // A whole segment goes missing.
    let middle = &segs[1];
    let saved = std::fs::read(middle).unwrap();
    std::fs::remove_file(middle).unwrap();
    let (ok, out, _) = audit_cli(&sys, &["verify"]);
    assert!(!ok);
    assert!(out.contains("segment 2 is missing"), "{out}");
    std::fs::write(middle, saved).unwrap();
    assert!(audit_cli(&sys, &["verify"]).0);
}

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

/// Whether a copy is a checkpoint rather than a chained record.
fn is_checkpoint(text: &str) -> bool {
    sso::audit::checkpoint::Checkpoint::find_in(text).is_some()
}

/// Read RFC 6587 octet-counted frames from a TCP stream until `n` records (and any
/// checkpoints among them) have come or 10 s pass.
fn read_frames(listener: &std::net::TcpListener, n: usize) -> Vec<String> {
    use std::io::Read as _;
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut buf = Vec::new();
    let mut frames: Vec<String> = Vec::new();
    while frames.iter().filter(|f| !is_checkpoint(f)).count() < n
        && std::time::Instant::now() < deadline
    {
        let mut chunk = [0u8; 65536];
        if let Ok(k) = stream.read(&mut chunk) {
            buf.extend_from_slice(&chunk[..k]);
        }
        while let Some(sp) = buf.iter().position(|b| *b == b' ') {
            let len: usize = std::str::from_utf8(&buf[..sp]).unwrap().parse().unwrap();
            if buf.len() < sp + 1 + len {
                break;
            }
            frames.push(String::from_utf8(buf[sp + 1..sp + 1 + len].to_vec()).unwrap());
            buf.drain(..sp + 1 + len);
        }
    }
    frames
}

/// The JSON record inside an RFC 5424 message, after checking its header.
fn syslog_record(msg: &str) -> serde_json::Value {
    let (header, json) = msg.split_once("\u{feff}").unwrap();
    let fields: Vec<&str> = header.split(' ').collect();
    // authpriv (10): info, notice or warning.
    assert!(["<86>1", "<85>1", "<84>1"].contains(&fields[0]), "{header}");
    assert!(fields[1].ends_with('Z'), "{header}");
    assert_eq!(fields[3], "yakuba-gateway");
    assert_eq!(fields[6], "[meta", "{header}");
    assert!(fields[7].starts_with("sequenceId=\""), "{header}");
    let record: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(fields[5], record["event"]["action"]);
    record
}

#[tokio::test]
async fn syslog_over_udp_and_tcp_and_the_journal_get_every_record() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let journal_dir = tempfile::tempdir().unwrap();
    let journal_path = journal_dir.path().join("journal.sock");
    let journal = std::os::unix::net::UnixDatagram::bind(&journal_path).unwrap();
    journal
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let sys = System::start(with_audit(&format!(
        "journald = true\njournald_socket = \"{}\"\n\
         [[audit.syslog]]\naddress = \"{}\"\ntransport = \"udp\"\n\
         [[audit.syslog]]\naddress = \"{}\"\ntransport = \"tcp\"\nhostname = \"gw-test\"\n",
        journal_path.display(),
        udp.local_addr().unwrap(),
        tcp.local_addr().unwrap()
    )))
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(
        get(&sys, "/denkessai/copied", Some(&cookie)).await.status(),
        200
    );
    assert!(sys.audit_has(|r| r["path"] == "/denkessai/copied"));
    let written = sys.audit();
    let n = written.len();

    // Signed checkpoints travel with the records (not chained, so without a sequenceId).
    let (checkpoints, frames): (Vec<String>, Vec<String>) = read_frames(&tcp, n)
        .into_iter()
        .partition(|f| is_checkpoint(f));
    assert_eq!(frames.len(), n, "every record reaches the TCP collector");
    assert!(frames[0].contains(" gw-test yakuba-gateway "));
    assert!(
        !checkpoints.is_empty(),
        "the start's checkpoint reaches the collector"
    );
    assert!(
        checkpoints[0].contains(" audit - \u{feff}{"),
        "{}",
        checkpoints[0]
    );
    let mut udp_records = Vec::new();
    let mut buf = [0u8; 65536];
    while udp_records.len() < n {
        let k = udp.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..k]).unwrap();
        if !is_checkpoint(text) {
            udp_records.push(syslog_record(text));
        }
    }
    let mut journal_entries = Vec::new();
    let mut journal_checkpoints = 0;
    while journal_entries.len() < n {
        let k = journal.recv(&mut buf).unwrap();
        let entry = String::from_utf8(buf[..k].to_vec()).unwrap();
        if is_checkpoint(&entry) {
            journal_checkpoints += 1;
        } else {
            journal_entries.push(entry);
        }
    }
    assert!(journal_checkpoints > 0);
    for (i, record) in written.iter().enumerate() {
        let seq = &record["yakuba"]["chain"]["seq"];
        let from_tcp = syslog_record(&frames[i]);
        assert_eq!(&from_tcp["yakuba"]["chain"]["seq"], seq);
        assert_eq!(from_tcp["@timestamp"], record["@timestamp"]);
        assert_eq!(&udp_records[i]["yakuba"]["chain"]["seq"], seq);
        assert!(journal_entries[i].contains(&format!("YAKUBA_AUDIT_SEQ={seq}\n")));
        assert!(journal_entries[i].contains("SYSLOG_IDENTIFIER=yakuba-gateway-audit\n"));
    }
    assert!(frames.iter().any(|f| f.contains("/denkessai/copied")));
}

#[tokio::test]
async fn a_function_admin_grant_in_the_app_is_recorded_and_the_security_team_sees_both_logs() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let admin = session_cookie(&sys, "admin", LOCAL_PASSWORD).await;
    let page = get(&sys, "/admin/function-admins", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf").expect("the grant form carries a CSRF token");
    let granted = post_form(
        &sys,
        "/admin/function-admins",
        &admin,
        &[
            ("csrf", csrf.as_str()),
            ("staff", "yamada"),
            ("module", "facility"),
            ("scope", "all"),
        ],
    )
    .await;
    assert_eq!(granted.status(), 303);

    // The app's own stream, in its own directory, chained and sealed like the gateway's.
    let app_dir = sys.data_dir().join("app-audit");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let grant = loop {
        let records = harness::audit::ecs_records(&app_dir);
        if let Some(r) = records
            .iter()
            .find(|r| r["event"]["reason"] == "function_admin_granted")
        {
            break r.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no grant record");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(grant["user"]["name"], "admin");
    assert_eq!(grant["user"]["target"]["name"], "yamada");
    assert_eq!(grant["service"]["name"], "app");
    // The session hash ties the app's record to the gateway's records of the same session.
    let session = grant["yakuba"]["session"].as_str().unwrap().to_owned();
    assert!(sys.audit_has(|r| r["session"] == session.as_str() && r["kind"] == "login"));
    // The request id ties it to the gateway's record of the very request that granted.
    let request_id = grant["http"]["request"]["id"]
        .as_str()
        .expect("the app's record carries the gateway's request id")
        .to_owned();
    assert!(sys.audit_has(|r| {
        r["http"]["request"]["id"] == request_id.as_str()
            && r["path"] == "/admin/function-admins"
            && r["http"]["request"]["method"] == "POST"
    }));
    let (ok, out, err) = audit_cli(
        &sys,
        &[
            "verify",
            "--dir",
            app_dir.to_str().unwrap(),
            "--public-key",
            sys.data_dir().join("app-audit.pub").to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}{err}");

    // The view: refused to staff, open to the security team, showing both processes.
    let yamada = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(get(&sys, "/audit", Some(&yamada)).await.status(), 403);
    let kansa = session_cookie(&sys, "kansa", LOCAL_PASSWORD).await;
    let view = get(&sys, "/audit?user=yamada", Some(&kansa)).await;
    assert_eq!(view.status(), 200);
    let html = view.text().await.unwrap();
    assert!(html.contains("function_admin_granted"), "{html}");
    assert!(html.contains("admin → yamada"), "{html}");
    assert!(
        html.contains("/audit"),
        "yamada's refused request is listed: {html}"
    );
    assert!(
        html.contains("<td>gateway</td>") && html.contains("<td>app</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn failed_logins_name_their_reason_and_a_lockout_is_a_record_of_its_own() {
    let sys = System::start(with_audit("")).unwrap();
    for _ in 0..5 {
        assert_eq!(
            crate::client::login(&sys, "yamada", "not-the-password")
                .await
                .status,
            401
        );
    }
    assert!(sys.audit_has(|r| r["kind"] == "lockout" && r["reason"] == "throttled_account"));
    let records = harness::audit::ecs_records(&sys.audit_dir());
    let failures: Vec<_> = records
        .iter()
        .filter(|r| r["event"]["action"] == "login" && r["event"]["reason"] == "bad_credentials")
        .collect();
    assert_eq!(failures.len(), 5);
    assert!(failures.iter().all(|r| r["event"]["outcome"] == "failure"
        && r["user"]["name"] == "yamada"
        && r["http"]["request"]["method"] == "POST"
        && r["client"]["ip"] == "127.0.0.1"));
    let lockout = records
        .iter()
        .find(|r| r["event"]["action"] == "lockout")
        .unwrap();
    assert_eq!(lockout["event"]["category"][0], "authentication");
    assert_eq!(lockout["user"]["name"], "yamada");
    // While locked out, even the right password is refused, and says why.
    assert_eq!(
        crate::client::login(&sys, "yamada", LOCAL_PASSWORD)
            .await
            .status,
        429
    );
    assert!(sys.audit_has(|r| r["kind"] == "login"
        && r["decision"] == "failure"
        && r["reason"] == "throttled_account"));
}

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
