//! Supervision by systemd (`Type=notify`): `READY=1` once the proxy has answered a health
//! request end to end, `WATCHDOG=1` each time it answers again, `MAINPID=` when a graceful
//! upgrade takes the service over, and the `reload` command that `ExecReload=` runs. Outside
//! systemd (no `NOTIFY_SOCKET`) nothing is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// How often the health of the proxy is proven when systemd did not say (a process that took
/// over by graceful upgrade inherits no `WATCHDOG_USEC`); `WatchdogSec=` must be longer.
const DEFAULT_PING: Duration = Duration::from_secs(10);
/// One health request may take this long before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether systemd supervises this process.
pub fn supervised() -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some()
}

/// Send `fields` to systemd; a failure is logged, never fatal.
pub fn notify(fields: &[(&str, &str)]) {
    if !supervised() {
        return;
    }
    if let Err(error) = systemd::daemon::notify(fields.iter()) {
        tracing::warn!(%error, "cannot notify systemd");
    }
}

/// Tell systemd that this process is now the service's main process (after a graceful
/// upgrade; needs `NotifyAccess=all`).
pub fn announce_main_pid() {
    let pid = std::process::id().to_string();
    notify(&[("MAINPID", pid.as_str())]);
}

/// How often to ping the watchdog: a third of `WATCHDOG_USEC`, so that one slow probe does
/// not get the service killed.
fn ping_interval() -> Duration {
    std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|usec| usec.parse::<u64>().ok())
        .filter(|usec| *usec > 0)
        .map_or(DEFAULT_PING, |usec| Duration::from_micros(usec / 3))
}

/// The address a health request reaches the HTTPS listener at: loopback when it listens on
/// every address.
fn probe_address(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Prove the gateway healthy through its own front door, then keep proving it: a TLS
/// handshake with the proxy and `GET /healthz` answered by a proxy worker. Sends `READY=1`
/// after the first success and `WATCHDOG=1` after each later one; a proxy that stops
/// answering stops the pings, and systemd restarts the service after `WatchdogSec=`.
pub async fn prove_health(https: SocketAddr, upgraded: bool) {
    if !supervised() {
        return;
    }
    let client = match reqwest::Client::builder()
        // The probe checks liveness, not identity: the certificate may be self-signed or name
        // another host, and the connection never leaves this machine.
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .timeout(PROBE_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the health probe; systemd will time out");
            return;
        }
    };
    let url = format!("https://{}/healthz", probe_address(https));
    let started = Instant::now();
    while !probe(&client, &url).await {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = format!(
        "serving on {https}; ready after {} ms",
        started.elapsed().as_millis()
    );
    let pid = std::process::id().to_string();
    if upgraded {
        notify(&[
            ("MAINPID", pid.as_str()),
            ("READY", "1"),
            ("STATUS", status.as_str()),
        ]);
    } else {
        notify(&[("READY", "1"), ("STATUS", status.as_str())]);
    }
    tracing::info!("{status}");

    let interval = ping_interval();
    let mut healthy = true;
    loop {
        tokio::time::sleep(interval).await;
        if probe(&client, &url).await {
            if !healthy {
                tracing::info!("the proxy answers health requests again");
                notify(&[("STATUS", status.as_str())]);
            }
            healthy = true;
            notify(&[("WATCHDOG", "1")]);
        } else if healthy {
            healthy = false;
            tracing::warn!(url, "the proxy does not answer its health request");
            notify(&[("STATUS", "the proxy does not answer /healthz")]);
        }
    }
}

async fn probe(client: &reqwest::Client, url: &str) -> bool {
    matches!(client.get(url).send().await, Ok(response) if response.status().is_success())
}

/// `ExecReload=`: start a gateway that takes the listening sockets over from `main_pid`,
/// send the old one `SIGQUIT`, and return once the old one has handed over and exited. The
/// new process reports itself as the main process (`MAINPID=`) as soon as it holds the
/// sockets, and `READY=1` once it answers.
pub fn reload(config: &Path, main_pid: u32, upgrade_socket: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    // A socket left by an earlier upgrade would make the wait below return at once.
    let _ = std::fs::remove_file(upgrade_socket);
    let mut command = Command::new(exe);
    // systemd gives the control process that runs `reload` neither the credentials nor the
    // watchdog interval; the successor takes them from the process it replaces.
    let environ = std::fs::read(format!("/proc/{main_pid}/environ")).unwrap_or_default();
    for entry in environ.split(|byte| *byte == 0) {
        let text = String::from_utf8_lossy(entry);
        for name in ["CREDENTIALS_DIRECTORY", "WATCHDOG_USEC"] {
            if let Some(value) = text
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
            {
                command.env(name, value);
            }
        }
    }
    // The environment of a process holding a capability is closed to this one; the
    // credentials are also found by the unit's name, from this process's cgroup.
    if std::env::var_os("CREDENTIALS_DIRECTORY").is_none()
        && let Some(dir) = unit_credentials()
    {
        command.env("CREDENTIALS_DIRECTORY", dir);
    }
    let mut child = command
        .arg("run")
        .arg("--upgrade")
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .spawn()
        .context("cannot start the new gateway")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !upgrade_socket.exists() {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the new gateway exited before taking over ({status})");
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the new gateway did not open {} within 30 s",
            upgrade_socket.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-QUIT", &main_pid.to_string()])
        .status()
        .context("cannot run kill")?;
    anyhow::ensure!(
        status.success(),
        "cannot send SIGQUIT to the old gateway {main_pid}"
    );
    let old = Path::new("/proc").join(main_pid.to_string());
    let deadline = Instant::now() + Duration::from_secs(60);
    while old.exists() {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the new gateway exited during the takeover ({status})");
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the old gateway {main_pid} did not exit within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("gateway {} took over from {main_pid}", child.id());
    Ok(())
}

/// `/run/credentials/UNIT`, where systemd keeps the credentials of the unit whose cgroup
/// this process is in, when it exists.
fn unit_credentials() -> Option<std::path::PathBuf> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroups
        .lines()
        .flat_map(|line| line.split('/'))
        .filter(|part| part.ends_with(".service"))
        .map(|unit| Path::new("/run/credentials").join(unit))
        .find(|dir| dir.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_reach_a_wildcard_listener_on_loopback() {
        assert_eq!(
            probe_address("0.0.0.0:443".parse().unwrap()),
            "127.0.0.1:443".parse().unwrap()
        );
        assert_eq!(
            probe_address("[::]:8443".parse().unwrap()),
            "[::1]:8443".parse().unwrap()
        );
        assert_eq!(
            probe_address("192.0.2.7:443".parse().unwrap()),
            "192.0.2.7:443".parse().unwrap()
        );
    }
}
