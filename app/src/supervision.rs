//! Supervision by systemd (`Type=notify`): `READY=1` once the app answers its own health
//! request (database reachable), then `WATCHDOG=1` each time it answers again, so a hung app
//! is restarted. Outside systemd (no `NOTIFY_SOCKET`) nothing is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tracing::{info, warn};

/// How often health is proven when systemd gives no watchdog interval.
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
        warn!(%error, "cannot notify systemd");
    }
}

fn ping_interval() -> Duration {
    std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|usec| usec.parse::<u64>().ok())
        .filter(|usec| *usec > 0)
        .map_or(DEFAULT_PING, |usec| Duration::from_micros(usec / 3))
}

/// Where a health request reaches the listener: loopback when it listens on every address.
fn probe_address(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `GET /healthz` over a fresh connection, as the gateway would send it; true on 200.
async fn probe(addr: SocketAddr) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nhost: localhost\r\n\r\n")
            .await?;
        let mut head = [0u8; 16];
        let mut read = 0;
        while read < 12 {
            let n = stream.read(&mut head[read..]).await?;
            if n == 0 {
                break;
            }
            read += n;
        }
        std::io::Result::Ok(
            head[..read].starts_with(b"HTTP/1.0 200") || head[..read].starts_with(b"HTTP/1.1 200"),
        )
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, attempt).await,
        Ok(Ok(true))
    )
}

/// Prove the app healthy through its own listener, then keep proving it: `READY=1` after the
/// first answer, `WATCHDOG=1` after each later one. Runs until the process ends.
pub async fn prove_health(listen: SocketAddr) {
    if !supervised() {
        return;
    }
    let addr = probe_address(listen);
    while !probe(addr).await {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = format!("serving on {listen}");
    notify(&[("READY", "1"), ("STATUS", status.as_str())]);
    info!("{status}; systemd notified");
    let interval = ping_interval();
    let mut healthy = true;
    loop {
        tokio::time::sleep(interval).await;
        if probe(addr).await {
            if !healthy {
                info!("the app answers health requests again");
                notify(&[("STATUS", status.as_str())]);
            }
            healthy = true;
            notify(&[("WATCHDOG", "1")]);
        } else if healthy {
            healthy = false;
            warn!("the app does not answer its health request");
            notify(&[("STATUS", "the app does not answer /healthz")]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_that_answers_200_is_healthy_and_a_closed_port_is_not() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 256];
            let _ = stream.read(&mut buf).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n")
                .await
                .unwrap();
        });
        assert!(probe(addr).await);
        assert!(!probe(addr).await, "nobody listens any more");
        assert_eq!(
            probe_address("0.0.0.0:8701".parse().unwrap()),
            "127.0.0.1:8701".parse().unwrap()
        );
    }
}
