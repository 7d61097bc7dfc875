//! Supervision by systemd (`Type=notify`): `READY=1` once the proxy has answered a health
//! request end to end, `WATCHDOG=1` each time it answers again, and `MAINPID=` when a
//! graceful upgrade (`handover.rs`) takes the service over. Outside systemd (no
//! `NOTIFY_SOCKET`) nothing is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

/// How often the health of the proxy is proven when systemd did not say (a successor started
/// by hand with `run --upgrade` has no `WATCHDOG_USEC`); `WatchdogSec=` must be longer.
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
