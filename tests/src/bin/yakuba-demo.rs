//! `yakuba-demo`: starts the whole appliance on the demo configuration (`config/demo/`),
//! prints the URL and demo logins, and stops everything on Ctrl-C. Run from the repository
//! root (scripts/demo.sh does).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use harness::binaries;
use harness::process::{ChildGuard, wait_for_tcp};

const GATEWAY_CONFIG: &str = "config/demo/gateway.toml";
const APP_CONFIG: &str = "config/demo/app.toml";
const LOGS: &str = "var/demo/logs";

fn addr(text: &str) -> anyhow::Result<SocketAddr> {
    text.parse().with_context(|| format!("bad address {text}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new(GATEWAY_CONFIG).exists(),
        "run this from the repository root ({GATEWAY_CONFIG} not found)"
    );
    for port in [8443, 8080, 18701, 18711, 18712, 18713, 18714, 18715] {
        anyhow::ensure!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is already in use: is another Yakuba demo running? Stop it first."
        );
    }
    std::fs::create_dir_all(LOGS)?;
    let gateway = binaries::path("yakuba-gateway")?;
    let keygen = Command::new(&gateway)
        .args(["keygen", "--config", GATEWAY_CONFIG])
        .output()?;
    anyhow::ensure!(
        keygen.status.success(),
        "keygen failed: {}",
        String::from_utf8_lossy(&keygen.stderr)
    );

    let mut children = Vec::new();
    let legacy = binaries::path("yakuba-legacy-sample")?;
    for (listen, name, log) in [
        ("127.0.0.1:18711", "電子決裁", "denkessai"),
        ("127.0.0.1:18712", "財務会計", "zaimu"),
    ] {
        let mut cmd = Command::new(&legacy);
        cmd.args(["--listen", listen, "--name", name]);
        children.push(ChildGuard::spawn(cmd, log, Path::new(LOGS))?);
        wait_for_tcp(addr(listen)?, Duration::from_secs(20))?;
    }
    // Legacy systems with their own login (the gateway logs in with vaulted credentials).
    let sso_sample = binaries::path("yakuba-legacy-sso")?;
    for (listen, name, log, args) in [
        (
            "127.0.0.1:18713",
            "庶務事務",
            "shomu",
            vec![
                "--style",
                "form",
                "--account",
                "yamada:shomu-demo",
                "--account",
                "sato:shomu-demo",
            ],
        ),
        (
            "127.0.0.1:18714",
            "文書管理",
            "bunsho",
            vec![
                "--style",
                "basic",
                "--account",
                "yamada:bunsho-demo",
                "--account",
                "sato:bunsho-demo",
            ],
        ),
        (
            "127.0.0.1:18715",
            "契約管理",
            "keiyaku",
            vec![
                "--style",
                "jwt",
                "--audience",
                "keiyaku",
                "--jwks-url",
                "https://127.0.0.1:8443/.yakuba/jwks.json",
                "--ca",
                "var/demo/gateway/tls/cert.pem",
            ],
        ),
    ] {
        let mut cmd = Command::new(&sso_sample);
        cmd.args(["--listen", listen, "--name", name]).args(args);
        children.push(ChildGuard::spawn(cmd, log, Path::new(LOGS))?);
        wait_for_tcp(addr(listen)?, Duration::from_secs(20))?;
    }
    let mut app = Command::new(binaries::path("yakuba-app")?);
    app.args(["run", "--config", APP_CONFIG]);
    children.push(ChildGuard::spawn(app, "app", Path::new(LOGS))?);
    wait_for_tcp(addr("127.0.0.1:18701")?, Duration::from_secs(60))
        .context("the app did not start; see var/demo/logs/app.log")?;
    let mut gw = Command::new(&gateway);
    gw.args(["run", "--config", GATEWAY_CONFIG]);
    children.push(ChildGuard::spawn(gw, "gateway", Path::new(LOGS))?);
    wait_for_tcp(addr("127.0.0.1:8443")?, Duration::from_secs(30))
        .context("the gateway did not start; see var/demo/logs/gateway.log")?;

    println!();
    println!("  Yakuba demo is running.");
    println!();
    println!(
        "  URL:        https://localhost:8443/   (self-signed certificate: var/demo/gateway/tls/cert.pem)"
    );
    println!("  Logins:     yamada / yakuba-demo   山田 太郎 (総務局 総務部 総務課)");
    println!(
        "              sato   / yakuba-demo   佐藤 花子 (財政局 財務部 財務課, may open 財務会計)"
    );
    println!("              admin  / yakuba-demo   システム管理者 (break-glass)");
    println!("  Legacy:     https://localhost:8443/denkessai/  https://localhost:8443/zaimu/");
    println!("              https://localhost:8443/keiyaku/   (verifies the gateway's JWT itself)");
    println!(
        "              https://localhost:8443/shomu/     (own login form: enrol shomu-demo once)"
    );
    println!(
        "              https://localhost:8443/bunsho/    (HTTP Basic: enrol bunsho-demo once)"
    );
    println!("  Audit log:  var/demo/gateway/audit/        Logs: {LOGS}/");
    println!();
    println!("  Press Ctrl-C to stop.");

    // Listen for every way a terminal or a supervisor asks us to stop, so that no child is
    // left behind.
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            _ = poll.tick() => {
                if let Some(dead) = children.iter_mut().position(|c| !c.is_running()) {
                    let dead = &children[dead];
                    eprintln!("{} stopped unexpectedly; see {}", dead.name(), dead.log_path().display());
                    break;
                }
            }
        }
    }
    println!("stopping...");
    for child in children.iter_mut().rev() {
        child.terminate();
    }
    Ok(())
}
