//! `yakuba-app check-config` as systemd and administrators run it: the app's file and, with
//! `--directory`, the directory synchronisation's settings, every problem with its key path and
//! a non-zero exit, no secret printed.

use std::path::Path;
use std::process::Command;

use crate::support::Keys;

fn app_toml(dir: &Path, keys: &Keys) -> std::path::PathBuf {
    let path = dir.join("app.toml");
    std::fs::write(
        &path,
        format!(
            "database = \"sqlite://{}\"\n[assertion]\nverify_key = \"{}\"\n[schedule]\nwork_start = \"08:30\"\nwork_end = \"17:15\"\n",
            dir.join("app.db").display(),
            keys.public_key().display()
        ),
    )
    .unwrap();
    path
}

fn sync_toml(dir: &Path, filter: &str) -> std::path::PathBuf {
    let password = dir.join("sync.password");
    std::fs::write(&password, "s3cret-sync-password\n").unwrap();
    let path = dir.join("directory-sync.toml");
    std::fs::write(
        &path,
        format!(
            "[ldap]\nurls = [\"ldaps://dc1.city.example.lg.jp\"]\nbind_dn = \"CN=svc,DC=city\"\n\
             bind_password_file = \"{}\"\nuser_base = \"OU=Staff,DC=city\"\n\
             user_filter = \"(sAMAccountName={{login}})\"\n[sync]\nfilter = \"{filter}\"\n",
            password.display()
        ),
    )
    .unwrap();
    path
}

fn check(args: &[&Path]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yakuba-app"));
    command.arg("check-config").arg("--config").arg(args[0]);
    if let Some(directory) = args.get(1) {
        command.arg("--directory").arg(directory);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_config_covers_the_directory_synchronisation() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::generate();
    let app = app_toml(dir.path(), &keys);
    let good = sync_toml(dir.path(), "(objectClass=person)");
    let (ok, stdout, stderr) = check(&[&app, &good]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stdout.matches(": ok").count(), 2, "{stdout}");

    let bad = sync_toml(dir.path(), "objectClass=person");
    let (ok, stdout, stderr) = check(&[&app, &bad]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(stderr.contains("sync.filter"), "{stderr}");
    assert!(stdout.contains("app.toml: ok"), "{stdout}");
    assert!(!format!("{stdout}{stderr}").contains("s3cret"));

    // Without --directory only the app's file is checked.
    let (ok, stdout, _) = check(&[&app]);
    assert!(ok && stdout.matches(": ok").count() == 1, "{stdout}");
}

#[test]
fn check_config_reports_bad_working_hours_at_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::generate();
    let app = app_toml(dir.path(), &keys);
    let text = std::fs::read_to_string(&app)
        .unwrap()
        .replace("\"17:15\"", "\"07:15\"");
    std::fs::write(&app, text).unwrap();
    let (ok, _, stderr) = check(&[&app]);
    assert!(!ok);
    assert!(stderr.contains("schedule.work_end"), "{stderr}");
}
