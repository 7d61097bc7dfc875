//! Copies of every audit line for other collectors: syslog (RFC 5424, over UDP or over TCP
//! with octet counting, RFC 6587) and the systemd journal (its native datagram protocol).
//!
//! Each collector has its own thread and bounded queue, so a slow or unreachable collector
//! never holds up the segment files, which stay the record of truth. Lines a collector could
//! not take are counted per collector, logged, and shown on the health page.

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use super::record::format_ms;

/// How long a TCP collector may take to accept a connection or a write.
const TCP_TIMEOUT: Duration = Duration::from_secs(3);

/// A syslog transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// One datagram per record (RFC 5426).
    Udp,
    /// A stream with octet-counting framing (RFC 6587 §3.4.1).
    Tcp,
}

/// Syslog facilities a security team is likely to route on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    /// 4: security/authorization.
    Auth,
    /// 10: security/authorization, private.
    #[default]
    Authpriv,
    /// 13: log audit.
    Audit,
    /// 16.
    Local0,
    /// 17.
    Local1,
    /// 18.
    Local2,
    /// 19.
    Local3,
    /// 20.
    Local4,
    /// 21.
    Local5,
    /// 22.
    Local6,
    /// 23.
    Local7,
}

impl Facility {
    fn code(self) -> u8 {
        match self {
            Facility::Auth => 4,
            Facility::Authpriv => 10,
            Facility::Audit => 13,
            Facility::Local0 => 16,
            Facility::Local1 => 17,
            Facility::Local2 => 18,
            Facility::Local3 => 19,
            Facility::Local4 => 20,
            Facility::Local5 => 21,
            Facility::Local6 => 22,
            Facility::Local7 => 23,
        }
    }
}

/// Where copies go.
#[derive(Debug, Clone)]
pub enum Target {
    /// The systemd journal's native socket.
    Journald {
        /// Normally `/run/systemd/journal/socket`.
        socket: PathBuf,
        /// `SYSLOG_IDENTIFIER`.
        identifier: String,
    },
    /// A syslog collector.
    Syslog {
        /// Collector address.
        address: SocketAddr,
        /// UDP or TCP.
        transport: Transport,
        /// Facility.
        facility: Facility,
        /// HOSTNAME field.
        hostname: String,
        /// APP-NAME field.
        app_name: String,
    },
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::Journald { .. } => "journald".into(),
            Target::Syslog {
                address, transport, ..
            } => format!("syslog {transport:?} {address}").to_lowercase(),
        }
    }
}

/// One line to copy, with what the headers need.
#[derive(Debug, Clone)]
pub struct Line {
    /// The JSON record.
    pub text: Arc<str>,
    /// Syslog severity: 6 info, 5 notice (failures), 4 warning (alerts).
    pub severity: u8,
    /// `event.action`, as the syslog MSGID.
    pub action: &'static str,
    /// Chain sequence number (`None` for a checkpoint, which is not a chained record).
    pub seq: Option<u64>,
    /// `@timestamp`, Unix milliseconds.
    pub time_ms: i64,
}

/// Format one RFC 5424 message: the JSON record is the MSG, marked UTF-8 with a BOM, and the
/// chain sequence number travels as the registered `meta sequenceId` parameter.
pub fn rfc5424(
    line: &Line,
    facility: Facility,
    hostname: &str,
    app_name: &str,
    pid: u32,
) -> String {
    let pri = u16::from(facility.code()) * 8 + u16::from(line.severity);
    // sequenceId runs from 1 to 2147483647 and then wraps (RFC 5424 §7.3.1).
    let data = match line.seq {
        Some(seq) => format!(
            "[meta sequenceId=\"{}\"]",
            (seq.saturating_sub(1) % 2_147_483_647) + 1
        ),
        None => "-".to_owned(),
    };
    format!(
        "<{pri}>1 {} {} {} {pid} {} {data} \u{feff}{}",
        format_ms(line.time_ms),
        header_field(hostname),
        header_field(app_name),
        line.action,
        line.text
    )
}

/// A header field: printable ASCII without spaces, or `-` (NILVALUE).
fn header_field(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(255)
        .collect();
    if clean.is_empty() { "-".into() } else { clean }
}

/// A journal entry in the native protocol (fields as `NAME=value` lines; the JSON record
/// never contains a newline).
pub fn journal_entry(line: &Line, identifier: &str) -> Vec<u8> {
    let seq = line
        .seq
        .map_or_else(String::new, |seq| format!("YAKUBA_AUDIT_SEQ={seq}\n"));
    format!(
        "MESSAGE={}\nSYSLOG_IDENTIFIER={identifier}\nPRIORITY={}\n{seq}YAKUBA_EVENT_ACTION={}\n",
        line.text, line.severity, line.action
    )
    .into_bytes()
}

/// A running copy to one collector.
#[derive(Debug)]
pub struct Forwarder {
    name: String,
    tx: SyncSender<Line>,
    lost: Arc<AtomicU64>,
}

impl Forwarder {
    /// Start the collector's thread with a queue of `queue` lines.
    pub fn start(target: Target, queue: usize) -> std::io::Result<Forwarder> {
        let (tx, rx) = sync_channel(queue);
        let lost = Arc::new(AtomicU64::new(0));
        let name = target.name();
        let thread_lost = lost.clone();
        std::thread::Builder::new()
            .name("audit-forward".into())
            .spawn(move || run(target, rx, &thread_lost))?;
        Ok(Forwarder { name, tx, lost })
    }

    /// Queue a line; counted as lost if the queue is full.
    pub fn send(&self, line: Line) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.tx.try_send(line) {
            count_lost(&self.name, &self.lost);
        }
    }

    /// The collector's name (`syslog tcp 10.0.0.5:6514`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lines this collector did not get.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }
}

fn count_lost(name: &str, lost: &AtomicU64) {
    let n = lost.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() {
        tracing::error!(
            collector = name,
            audit.forward_lost = n,
            "audit collector is not getting every record (the audit files still have them)"
        );
    }
}

fn run(target: Target, rx: Receiver<Line>, lost: &AtomicU64) {
    let name = target.name();
    let pid = std::process::id();
    match target {
        Target::Journald { socket, identifier } => {
            let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else {
                tracing::error!("cannot create a socket for the journal");
                return;
            };
            for line in rx {
                if sock
                    .send_to(&journal_entry(&line, &identifier), &socket)
                    .is_err()
                {
                    count_lost(&name, lost);
                }
            }
        }
        Target::Syslog {
            address,
            transport: Transport::Udp,
            facility,
            hostname,
            app_name,
        } => {
            let bind: SocketAddr = if address.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let Ok(sock) = UdpSocket::bind(bind) else {
                tracing::error!("cannot create a socket for syslog");
                return;
            };
            for line in rx {
                let msg = rfc5424(&line, facility, &hostname, &app_name, pid);
                if sock.send_to(msg.as_bytes(), address).is_err() {
                    count_lost(&name, lost);
                }
            }
        }
        Target::Syslog {
            address,
            transport: Transport::Tcp,
            facility,
            hostname,
            app_name,
        } => {
            let mut conn: Option<TcpStream> = None;
            let mut backoff = Duration::from_millis(200);
            for line in rx {
                let msg = rfc5424(&line, facility, &hostname, &app_name, pid);
                let framed = format!("{} {msg}", msg.len());
                // Keep trying this line until the collector takes it: lines wait in the
                // bounded queue meanwhile, and only what overflows it is lost.
                loop {
                    let stream = match conn.as_mut() {
                        Some(s) => s,
                        None => match TcpStream::connect_timeout(&address, TCP_TIMEOUT) {
                            Ok(s) => {
                                let _ = s.set_write_timeout(Some(TCP_TIMEOUT));
                                let _ = s.set_nodelay(true);
                                backoff = Duration::from_millis(200);
                                conn.insert(s)
                            }
                            Err(e) => {
                                tracing::warn!(collector = %name, error = %e, "cannot reach the syslog collector; retrying");
                                std::thread::sleep(backoff);
                                backoff = (backoff * 2).min(Duration::from_secs(30));
                                continue;
                            }
                        },
                    };
                    match stream.write_all(framed.as_bytes()) {
                        Ok(()) => break,
                        Err(e) => {
                            tracing::warn!(collector = %name, error = %e, "syslog collector connection failed; reconnecting");
                            conn = None;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Line {
        Line {
            text: Arc::from(r#"{"event":{"action":"login"},"user":{"name":"山田"}}"#),
            severity: 5,
            action: "login",
            seq: Some(42),
            time_ms: 1_775_032_200_123,
        }
    }

    #[test]
    fn syslog_messages_follow_rfc_5424() {
        let msg = rfc5424(&line(), Facility::Authpriv, "gw 1", "yakuba-gateway", 77);
        assert_eq!(
            msg,
            "<85>1 2026-04-01T08:30:00.123Z gw1 yakuba-gateway 77 login [meta sequenceId=\"42\"] \u{feff}{\"event\":{\"action\":\"login\"},\"user\":{\"name\":\"山田\"}}"
        );
        let wrapped = Line {
            seq: Some(2_147_483_648),
            ..line()
        };
        let checkpoint = Line {
            seq: None,
            ..line()
        };
        assert!(
            rfc5424(&checkpoint, Facility::Authpriv, "gw", "a", 1).contains(" login - \u{feff}{")
        );
        let entry = String::from_utf8(journal_entry(&checkpoint, "x")).unwrap();
        assert!(!entry.contains("YAKUBA_AUDIT_SEQ"), "{entry}");
        assert!(rfc5424(&wrapped, Facility::Local0, "", "a", 1).contains("sequenceId=\"1\"] "));
        assert!(rfc5424(&wrapped, Facility::Local0, "", "a", 1).starts_with("<133>1 "));
        assert!(rfc5424(&wrapped, Facility::Local0, "", "a", 1).contains("Z - a 1 "));
    }

    #[test]
    fn journal_entries_carry_the_record_and_its_priority() {
        let entry = String::from_utf8(journal_entry(&line(), "yakuba-gateway-audit")).unwrap();
        assert!(entry.starts_with("MESSAGE={\"event\""));
        assert!(entry.contains("\nSYSLOG_IDENTIFIER=yakuba-gateway-audit\nPRIORITY=5\n"));
        assert!(entry.ends_with("YAKUBA_EVENT_ACTION=login\n"));
    }
}
