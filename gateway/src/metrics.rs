//! Prometheus metrics on a local port (`[metrics] listen`, loopback by default): requests by
//! decision and status class, logins by result, upstream health per route, the audit queue.
//! The request path pays two relaxed atomic increments; everything else is read when scraped.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::audit::Decision;
use crate::state::GatewayState;

const DECISIONS: [(Decision, &str); 6] = [
    (Decision::Allow, "allow"),
    (Decision::Deny, "deny"),
    (Decision::RedirectLogin, "redirect_login"),
    (Decision::Served, "served"),
    (Decision::Success, "success"),
    (Decision::Failure, "failure"),
];

const CLASSES: [&str; 6] = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];

fn decision_index(decision: Decision) -> usize {
    match decision {
        Decision::Allow => 0,
        Decision::Deny => 1,
        Decision::RedirectLogin => 2,
        Decision::Served => 3,
        Decision::Success => 4,
        Decision::Failure => 5,
    }
}

/// Counters the proxy bumps; the rest of the metrics are read from the state when scraped.
pub struct Metrics {
    started: Instant,
    by_decision: [AtomicU64; 6],
    by_class: [AtomicU64; 6],
    logins: [AtomicU64; 2],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            by_decision: Default::default(),
            by_class: Default::default(),
            logins: Default::default(),
        }
    }
}

impl Metrics {
    /// Count one finished request: its decision and the class of the status it got (none when
    /// the connection ended before a response).
    pub fn request(&self, decision: Decision, status: Option<u16>) {
        self.by_decision[decision_index(decision)].fetch_add(1, Ordering::Relaxed);
        let class = status.map_or(0, |s| usize::from(s / 100).min(5));
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Count one login attempt by its result.
    pub fn login(&self, success: bool) {
        self.logins[usize::from(!success)].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, state: &GatewayState) -> String {
        let mut out = String::with_capacity(2048);
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        out.push_str("# HELP yakuba_gateway_requests_total Requests by the gateway's decision.\n");
        out.push_str("# TYPE yakuba_gateway_requests_total counter\n");
        for (decision, name) in DECISIONS {
            let n = load(&self.by_decision[decision_index(decision)]);
            let _ = writeln!(
                out,
                "yakuba_gateway_requests_total{{decision=\"{name}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP yakuba_gateway_responses_total Responses by status class.\n\
             # TYPE yakuba_gateway_responses_total counter\n",
        );
        for (class, counter) in CLASSES.iter().zip(&self.by_class) {
            let _ = writeln!(
                out,
                "yakuba_gateway_responses_total{{class=\"{class}\"}} {}",
                load(counter)
            );
        }
        out.push_str(
            "# HELP yakuba_gateway_logins_total Password logins by result.\n\
             # TYPE yakuba_gateway_logins_total counter\n",
        );
        let _ = writeln!(
            out,
            "yakuba_gateway_logins_total{{result=\"success\"}} {}",
            load(&self.logins[0])
        );
        let _ = writeln!(
            out,
            "yakuba_gateway_logins_total{{result=\"failure\"}} {}",
            load(&self.logins[1])
        );
        out.push_str(
            "# HELP yakuba_gateway_upstreams_healthy Upstreams of a route that answered the last health check.\n\
             # TYPE yakuba_gateway_upstreams_healthy gauge\n\
             # HELP yakuba_gateway_upstreams Upstreams configured for a route.\n\
             # TYPE yakuba_gateway_upstreams gauge\n",
        );
        for (route, lb) in state.routes.routes().iter().zip(&state.balancers) {
            let backends = lb.backends().get_backend();
            let healthy = backends.iter().filter(|b| lb.backends().ready(b)).count();
            let _ = writeln!(
                out,
                "yakuba_gateway_upstreams_healthy{{route=\"{}\"}} {healthy}",
                route.id
            );
            let _ = writeln!(
                out,
                "yakuba_gateway_upstreams{{route=\"{}\"}} {}",
                route.id,
                backends.len()
            );
        }
        let audit = state.audit.stats();
        let _ = write!(
            out,
            "# HELP yakuba_gateway_audit_dropped_total Audit records lost because the writer fell behind (audit.on_failure = keep_serving).\n\
             # TYPE yakuba_gateway_audit_dropped_total counter\n\
             yakuba_gateway_audit_dropped_total {}\n\
             # HELP yakuba_gateway_audit_written_total Audit records written to the segment files.\n\
             # TYPE yakuba_gateway_audit_written_total counter\n\
             yakuba_gateway_audit_written_total {}\n\
             # HELP yakuba_gateway_audit_refused_total Requests refused because the audit log could not record them (fail_closed).\n\
             # TYPE yakuba_gateway_audit_refused_total counter\n\
             yakuba_gateway_audit_refused_total {}\n\
             # HELP yakuba_gateway_audit_write_failures_total Failed attempts to write the audit log.\n\
             # TYPE yakuba_gateway_audit_write_failures_total counter\n\
             yakuba_gateway_audit_write_failures_total {}\n\
             # HELP yakuba_gateway_audit_failing 1 while the audit log cannot be written.\n\
             # TYPE yakuba_gateway_audit_failing gauge\n\
             yakuba_gateway_audit_failing {}\n\
             # HELP yakuba_gateway_audit_forward_lost_total Audit records a collector (syslog, journald) did not get.\n\
             # TYPE yakuba_gateway_audit_forward_lost_total counter\n",
            audit.lost,
            audit.written,
            audit.refused,
            audit.write_failures,
            u8::from(audit.failing),
        );
        for (collector, lost) in &audit.forward_lost {
            let _ = writeln!(
                out,
                "yakuba_gateway_audit_forward_lost_total{{collector=\"{collector}\"}} {lost}"
            );
        }
        let _ = write!(
            out,
            "# HELP yakuba_gateway_uptime_seconds Seconds since this process started.\n\
             # TYPE yakuba_gateway_uptime_seconds gauge\n\
             yakuba_gateway_uptime_seconds {}\n",
            self.started.elapsed().as_secs()
        );
        out
    }
}

/// Serve `GET /metrics` on `listen` forever. A tiny HTTP/1.0 responder: Prometheus sends one
/// request per connection, and nothing but the scraper on this machine should reach it.
pub async fn serve(state: Arc<GatewayState>, listen: SocketAddr) {
    // After a graceful upgrade the old process holds the port until it has drained and
    // exited: wait for it rather than serve no metrics.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let listener = loop {
        match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => break listener,
            Err(error)
                if error.kind() == std::io::ErrorKind::AddrInUse
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(error) => {
                tracing::error!(%error, %listen, "cannot listen for metrics; none will be served");
                return;
            }
        }
    };
    tracing::info!(%listen, "metrics on http://{listen}/metrics");
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
                    .await;
            let Ok(Ok(n)) = read else { return };
            let head = String::from_utf8_lossy(&buf[..n]);
            let response = if head.starts_with("GET /metrics ") {
                let body = state.metrics.render(&state);
                format!(
                    "HTTP/1.0 200 OK\r\ncontent-type: text/plain; version=0.0.4; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.0 404 Not Found\r\ncontent-length: 10\r\n\r\nnot found\n".to_owned()
            };
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_by_decision_and_status_class() {
        let metrics = Metrics::default();
        metrics.request(Decision::Allow, Some(200));
        metrics.request(Decision::Allow, Some(502));
        metrics.request(Decision::Deny, None);
        metrics.login(false);
        assert_eq!(metrics.by_decision[0].load(Ordering::Relaxed), 2);
        assert_eq!(metrics.by_decision[1].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.by_class[2].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.by_class[5].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.by_class[0].load(Ordering::Relaxed), 1);
        assert_eq!(metrics.logins[1].load(Ordering::Relaxed), 1);
    }
}
