//! The sample legacy systems of each single sign-on style (`yakuba-legacy-sso`), started on
//! their own before the appliance so that its configuration can name them.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::binaries;
use crate::process::{ChildGuard, free_port, wait_for_tcp};

/// A running sample legacy system.
pub struct LegacySso {
    /// Its address.
    pub addr: SocketAddr,
    _process: ChildGuard,
    _logs: tempfile::TempDir,
}

impl LegacySso {
    /// Start `yakuba-legacy-sso --style STYLE --name NAME ARGS…` on a free loopback port.
    pub fn start(style: &str, name: &str, args: &[&str]) -> anyhow::Result<LegacySso> {
        LegacySso::start_on(free_port()?, style, name, args)
    }

    /// The same on a port chosen beforehand (for a system the gateway's configuration must
    /// name before the system can start).
    pub fn start_on(
        port: u16,
        style: &str,
        name: &str,
        args: &[&str],
    ) -> anyhow::Result<LegacySso> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let logs = tempfile::Builder::new()
            .prefix("yakuba-legacy-sso-")
            .tempdir()?;
        let mut cmd = Command::new(binaries::path("yakuba-legacy-sso")?);
        cmd.args(["--style", style, "--name", name, "--listen"])
            .arg(addr.to_string())
            .args(args);
        let process = ChildGuard::spawn(cmd, style, logs.path())?;
        wait_for_tcp(addr, Duration::from_secs(30))?;
        Ok(LegacySso {
            addr,
            _process: process,
            _logs: logs,
        })
    }

    /// `http://ADDR` + `path`, for talking to the system directly (test controls).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}
