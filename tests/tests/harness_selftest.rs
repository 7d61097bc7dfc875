//! Checks that the harness really starts slapd (plain and TLS) and PostgreSQL, and that its
//! process helpers stop what they start.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use harness::postgres::PgCluster;
use harness::process::{
    ChildGuard, free_port, process_exists, spawn_tied_to_process, wait_for_tcp,
};
use harness::slapd::{
    ALL_STAFF_GROUP_DN, BASE_DN, PEOPLE_DN, SOUMU_STAFF_GROUP_DN, SUZUKI, Slapd, TANAKA,
    sample_directory_ldif,
};

/// Runs an OpenLDAP client tool with `/etc/ldap/ldap.conf` and `~/.ldaprc` still read, as a
/// user's shell would, plus any extra environment.
fn ldap_tool(program: &str, args: &[&str], env: &[(&str, &Path)]) -> anyhow::Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().with_context(|| format!("running {program}"))
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Polls `condition` for up to `timeout`.
fn becomes_true(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        sleep(Duration::from_millis(50));
    }
    condition()
}

#[test]
fn slapd_serves_the_sample_clerks_and_groups_to_anonymous_search() -> anyhow::Result<()> {
    let slapd = Slapd::start(&sample_directory_ldif())?;
    ensure!(slapd.url == format!("ldap://127.0.0.1:{}", slapd.port));
    ensure!(slapd.base_dn == BASE_DN);

    let people = ldap_tool(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-o",
            "ldif-wrap=no",
            "-H",
            &slapd.url,
            "-b",
            PEOPLE_DN,
            "(objectClass=inetOrgPerson)",
            "uid",
            "mail",
            "userPassword",
        ],
        &[],
    )?;
    ensure!(people.status.success(), "ldapsearch failed: {people:?}");
    let people = stdout_of(&people);
    for user in [TANAKA, SUZUKI] {
        ensure!(
            people.contains(&format!("dn: {}", user.dn)),
            "{} missing:\n{people}",
            user.uid
        );
        ensure!(
            people.contains(&format!("mail: {}", user.mail)),
            "mail missing:\n{people}"
        );
    }
    ensure!(
        !people.contains("userPassword"),
        "anonymous search must not read passwords:\n{people}"
    );

    // Japanese values come back base64-encoded; a filter on the raw UTF-8 value finds Tanaka.
    let by_department = ldap_tool(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-H",
            &slapd.url,
            "-b",
            PEOPLE_DN,
            "(ou=総務課)",
            "uid",
        ],
        &[],
    )?;
    let by_department = stdout_of(&by_department);
    ensure!(by_department.contains("uid: tanaka"), "{by_department}");
    ensure!(!by_department.contains("uid: suzuki"), "{by_department}");

    let groups = ldap_tool(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-o",
            "ldif-wrap=no",
            "-H",
            &slapd.url,
            "-b",
            BASE_DN,
            &format!("(member={})", SUZUKI.dn),
            "dn",
        ],
        &[],
    )?;
    let groups = stdout_of(&groups);
    ensure!(
        groups.contains(&format!("dn: {ALL_STAFF_GROUP_DN}")),
        "{groups}"
    );
    ensure!(!groups.contains(SOUMU_STAFF_GROUP_DN), "{groups}");
    Ok(())
}

#[test]
fn sample_clerk_binds_with_their_password_and_a_wrong_password_is_refused() -> anyhow::Result<()> {
    let slapd = Slapd::start(&sample_directory_ldif())?;

    let right = ldap_tool(
        "ldapwhoami",
        &[
            "-x",
            "-H",
            &slapd.url,
            "-D",
            TANAKA.dn,
            "-w",
            TANAKA.password,
        ],
        &[],
    )?;
    ensure!(right.status.success(), "tanaka's bind failed: {right:?}");
    ensure!(
        stdout_of(&right).trim() == format!("dn:{}", TANAKA.dn),
        "{right:?}"
    );

    let wrong = ldap_tool(
        "ldapwhoami",
        &[
            "-x",
            "-H",
            &slapd.url,
            "-D",
            TANAKA.dn,
            "-w",
            SUZUKI.password,
        ],
        &[],
    )?;
    // 49 is LDAP resultCode invalidCredentials.
    ensure!(
        wrong.status.code() == Some(49),
        "wrong password was not refused: {wrong:?}"
    );

    let admin = ldap_tool(
        "ldapwhoami",
        &[
            "-x",
            "-H",
            &slapd.url,
            "-D",
            &slapd.admin_dn,
            "-w",
            &slapd.admin_password,
        ],
        &[],
    )?;
    ensure!(admin.status.success(), "admin bind failed: {admin:?}");

    // Dropping the handle stops slapd and removes its database directory.
    let dir = slapd.dir().to_owned();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, slapd.port));
    drop(slapd);
    ensure!(!dir.exists(), "{} survived the drop", dir.display());
    ensure!(
        wait_for_tcp(addr, Duration::from_millis(100)).is_err(),
        "slapd still listens on {addr} after the drop"
    );
    Ok(())
}

#[test]
fn slapd_with_tls_answers_ldaps_and_starttls_only_for_clients_trusting_the_certificate()
-> anyhow::Result<()> {
    let pki = tempfile::tempdir()?;
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    let cert_path = pki.path().join("slapd.crt");
    let key_path = pki.path().join("slapd.key");
    fs::write(&cert_path, certified.cert.pem())?;
    fs::write(&key_path, certified.key_pair.serialize_pem())?;

    let slapd = Slapd::start_with_tls(&sample_directory_ldif(), &cert_path, &key_path)?;
    let Some(ldaps_url) = slapd.ldaps_url.as_deref() else {
        bail!("start_with_tls gave no ldaps URL");
    };
    let search = |url: &str, start_tls: bool, env: &[(&str, &Path)]| {
        let mut args = vec![
            "-x",
            "-LLL",
            "-H",
            url,
            "-b",
            PEOPLE_DN,
            "(uid=suzuki)",
            "uid",
        ];
        if start_tls {
            args.push("-ZZ");
        }
        ldap_tool("ldapsearch", &args, env)
    };
    let trusting = [("LDAPTLS_CACERT", cert_path.as_path())];

    let over_ldaps = search(ldaps_url, false, &trusting)?;
    ensure!(
        over_ldaps.status.success(),
        "ldaps search failed: {over_ldaps:?}"
    );
    ensure!(
        stdout_of(&over_ldaps).contains("uid: suzuki"),
        "{over_ldaps:?}"
    );

    let over_starttls = search(&slapd.url, true, &trusting)?;
    ensure!(
        over_starttls.status.success(),
        "StartTLS search failed: {over_starttls:?}"
    );
    ensure!(
        stdout_of(&over_starttls).contains("uid: suzuki"),
        "{over_starttls:?}"
    );

    let untrusting = search(ldaps_url, false, &[])?;
    ensure!(
        !untrusting.status.success(),
        "a client without the CA must reject the self-signed certificate: {untrusting:?}"
    );
    Ok(())
}

#[test]
fn shared_postgres_cluster_creates_fresh_databases_that_answer_queries() -> anyhow::Result<()> {
    let cluster = PgCluster::shared()?;
    let url = cluster.create_database("harness_selftest")?;
    ensure!(
        url == format!(
            "postgres://postgres@127.0.0.1:{}/harness_selftest",
            cluster.port
        )
    );

    let select = Command::new("psql")
        .args(["-X", "-A", "-t", "-c", "select 1"])
        .arg(&url)
        .stdin(Stdio::null())
        .output()?;
    ensure!(select.status.success(), "psql select 1 failed: {select:?}");
    ensure!(stdout_of(&select).trim() == "1", "{select:?}");

    cluster.psql("harness_selftest", "CREATE TABLE leftover (id int)")?;
    ensure!(
        cluster
            .psql(
                "harness_selftest",
                "SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'"
            )?
            .trim()
            == "1"
    );
    cluster.create_database("harness_selftest")?;
    let tables = cluster.psql(
        "harness_selftest",
        "SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'",
    )?;
    ensure!(
        tables.trim() == "0",
        "re-creating must give an empty database, found {tables}"
    );

    let encoding = cluster.psql("harness_selftest", "SHOW server_encoding")?;
    ensure!(encoding.trim() == "UTF8", "{encoding}");
    ensure!(
        std::ptr::eq(cluster, PgCluster::shared()?),
        "the cluster must be started once"
    );
    ensure!(cluster.create_database("Robert'); DROP").is_err());
    Ok(())
}

#[test]
fn child_guard_stops_its_child_on_drop_and_wait_for_tcp_names_a_silent_address()
-> anyhow::Result<()> {
    let logs = tempfile::tempdir()?;
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));

    let silent = wait_for_tcp(addr, Duration::from_millis(200))
        .err()
        .context("nothing listens, so waiting must fail")?;
    ensure!(silent.to_string().contains(&addr.to_string()), "{silent}");

    // Dropping the guard must stop and reap the child.
    let mut sleeper = Command::new("sh");
    sleeper.args(["-c", "echo started; exec sleep 300"]);
    let mut guard = ChildGuard::spawn(sleeper, "sleeper", logs.path())?;
    let pid = guard.pid();
    ensure!(guard.is_running());
    ensure!(guard.log_path() == logs.path().join("sleeper.log"));
    // Let the child write its line first (under load it may not have run yet).
    let log = logs.path().join("sleeper.log");
    for _ in 0..100 {
        if fs::read_to_string(&log)?.contains("started") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(guard);
    ensure!(!process_exists(pid), "the child survived its guard");
    ensure!(fs::read_to_string(logs.path().join("sleeper.log"))?.contains("started"));

    // kill_hard does not ask: even a child that ignores SIGTERM is gone afterwards.
    let mut stubborn = Command::new("sh");
    stubborn.args(["-c", "trap '' TERM; while :; do sleep 0.1; done"]);
    let mut guard = ChildGuard::spawn(stubborn, "stubborn", logs.path())?;
    guard.kill_hard();
    ensure!(!guard.is_running());
    Ok(())
}

#[test]
fn tied_server_stops_when_the_watched_process_exits() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let scratch = dir.path().join("scratch");
    fs::create_dir(&scratch)?;
    let pid_file = dir.path().join("server.pid");
    let log = dir.path().join("tied.log");

    // Stands in for the test process, which cannot exit inside a test.
    let mut watched = Command::new("sleep").arg("300").spawn()?;
    let server_cmd = format!("echo $$ > '{}'; exec sleep 300", pid_file.display());
    spawn_tied_to_process(watched.id(), &server_cmd, &log, Some(&scratch))?;

    ensure!(
        becomes_true(Duration::from_secs(5), || fs::read_to_string(&pid_file)
            .is_ok_and(|pid| !pid.trim().is_empty())),
        "the server never started"
    );
    let server_pid: u32 = fs::read_to_string(&pid_file)?.trim().parse()?;
    ensure!(process_exists(server_pid));

    watched.kill()?;
    watched.wait()?;
    ensure!(
        becomes_true(Duration::from_secs(5), || !process_exists(server_pid)),
        "the server outlived the watched process"
    );
    ensure!(
        becomes_true(Duration::from_secs(5), || !scratch.exists()),
        "the supervisor did not remove the scratch directory"
    );
    Ok(())
}
