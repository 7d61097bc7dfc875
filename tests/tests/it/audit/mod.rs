//! The audit log through the real gateway: ECS records for requests, logins, logouts and
//! configuration; `audit verify` finding tampering where it is; `audit search` with JST
//! times; `kill -9` under each fsync setting; a failing disk under each failure policy; and
//! copies to syslog (UDP and TCP) and the journal. This file holds what the tests share
//! (running the `audit` command, listing segments, a system with an `[audit]` section); the
//! tests are grouped by subject in the modules below.

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::system::{System, SystemOptions};

mod copies;
mod durability;
mod records;
mod search;
mod verify;

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
