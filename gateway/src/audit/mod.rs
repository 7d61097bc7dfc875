//! The gateway's side of the audit log (`sso::audit`): what a proxied request leaves behind
//! ([`RequestFacts`], data the request already had, turned into an ECS record on the writer
//! thread), the records of logins, logouts, lockouts, vault use and configuration, and the
//! fail-closed gate. The `audit verify` and `audit search` commands are in `cli.rs`.

pub mod cli;

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use sso::Identity;
use sso::audit::forward::Target;
use sso::audit::seal::SealKey;
use sso::audit::stream::StreamSettings;
use sso::audit::writer::Stats;
use sso::audit::{AuditWriter, ToRecord, Unrecorded, WriterSettings};

pub use sso::audit::{Action, Decision, Record};

use crate::config::GatewayConfig;
use crate::routing::{RouteIdx, RouteTable};
use crate::sessions::LiveSession;

/// How often the writer wakes. Senders never wake it: waking a thread per record costs more
/// than the record itself at tens of thousands of requests a second.
const DRAIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);
/// Longest user agent kept.
const MAX_USER_AGENT: usize = 512;

/// What a proxied request leaves for its record: values the request already holds, moved
/// rather than formatted, so that the request path stays cheap.
pub struct RequestFacts {
    /// When the request finished, Unix milliseconds.
    pub time_ms: i64,
    /// This process's number for the request.
    pub request_id: u64,
    /// The TCP peer.
    pub peer: Option<SocketAddr>,
    /// The session that made the request.
    pub who: Option<Arc<LiveSession>>,
    /// The user, when the gateway answered itself and knew one.
    pub user: Option<String>,
    /// Keyed hash of the session, likewise.
    pub session_key: Option<sso::SessionKey>,
    /// Method.
    pub method: http::Method,
    /// HTTP version.
    pub version: http::Version,
    /// Host asked for.
    pub host: Option<String>,
    /// Path and query as received.
    pub uri: http::Uri,
    /// The route.
    pub route: Option<RouteIdx>,
    /// The policy rule that decided.
    pub rule: Option<Arc<str>>,
    /// The upstream.
    pub upstream: Option<SocketAddr>,
    /// Where credentials sent upstream came from.
    pub credential: Option<&'static str>,
    /// Response status.
    pub status: Option<u16>,
    /// Request body bytes.
    pub bytes_in: u64,
    /// Response body bytes.
    pub bytes_out: u64,
    /// Time to serve.
    pub duration_ns: u64,
    /// The `User-Agent` header.
    pub user_agent: Option<http::HeaderValue>,
    /// The TLS library's name of the protocol version (`TLSv1_3`).
    pub tls: Option<&'static str>,
    /// The decision.
    pub decision: Decision,
    /// Its reason code.
    pub reason: &'static str,
}

/// What goes through the queue. Both kinds are boxed so that the queue's slots stay small
/// (65,536 of them are allocated up front).
pub enum Entry {
    /// A proxied request.
    Request(Box<RequestFacts>),
    /// Any other record.
    Event(Box<Record>),
}

/// What the writer needs to turn [`RequestFacts`] into records.
pub struct Context {
    routes: Arc<RouteTable>,
    /// Random per process, so request ids from several gateways and restarts differ.
    instance: u32,
}

impl ToRecord for Entry {
    type Context = Context;

    fn to_record(self, cx: &Context) -> Record {
        match self {
            Entry::Event(record) => *record,
            Entry::Request(facts) => facts.into_record(cx),
        }
    }
}

fn method_name(method: &http::Method) -> Cow<'static, str> {
    use http::Method;
    let known = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    known.iter().find(|(m, _)| m == method).map_or_else(
        || Cow::Owned(method.as_str().to_owned()),
        |(_, n)| Cow::Borrowed(*n),
    )
}

fn http_version(version: http::Version) -> Option<&'static str> {
    match version {
        http::Version::HTTP_09 => Some("0.9"),
        http::Version::HTTP_10 => Some("1.0"),
        http::Version::HTTP_11 => Some("1.1"),
        http::Version::HTTP_2 => Some("2"),
        http::Version::HTTP_3 => Some("3"),
        _ => None,
    }
}

/// Longest request id: 8 hex digits, `-`, up to 16 hex digits.
const REQUEST_ID_MAX: usize = 25;

/// Write the request id (`{instance:08x}-{id:x}`) into `buf` without `core::fmt`, which costs
/// many times what the digits need on the request path; returns its length.
fn write_request_id(buf: &mut [u8; REQUEST_ID_MAX], instance: u32, id: u64) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, slot) in buf[..8].iter_mut().enumerate() {
        *slot = HEX[((instance >> (28 - 4 * i)) & 0xf) as usize];
    }
    buf[8] = b'-';
    let digits = (64 - id.leading_zeros()).div_ceil(4).max(1) as usize;
    for i in 0..digits {
        buf[9 + i] = HEX[((id >> (4 * (digits - 1 - i))) & 0xf) as usize];
    }
    9 + digits
}

/// The request id as records and logs show it.
pub fn request_id_text(instance: u32, id: u64) -> String {
    let mut buf = [0u8; REQUEST_ID_MAX];
    let n = write_request_id(&mut buf, instance, id);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The request id as an `X-Request-Id` value.
fn request_id_value(instance: u32, id: u64) -> Option<http::HeaderValue> {
    let mut buf = [0u8; REQUEST_ID_MAX];
    let n = write_request_id(&mut buf, instance, id);
    http::HeaderValue::from_bytes(&buf[..n]).ok()
}

impl RequestFacts {
    fn into_record(self, cx: &Context) -> Record {
        let user_agent = self.user_agent.map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            text.chars().take(MAX_USER_AGENT).collect::<String>()
        });
        let record = Record {
            time_ms: self.time_ms,
            request_id: Some(request_id_text(cx.instance, self.request_id)),
            client: self.peer.map(|p| p.ip()),
            peer: self.peer,
            user: self.user,
            session: self.session_key.map(|k| k.as_str().to_owned()),
            method: Some(method_name(&self.method)),
            http_version: http_version(self.version),
            host: self.host,
            path: Some(self.uri.path().to_owned()),
            query: self
                .uri
                .query()
                .map(|q| sso::audit::record::redact_query(q).into_owned()),
            route: self.route.map(|r| cx.routes.get(r).id.clone()),
            rule: self.rule.map(|r| r.to_string()),
            upstream: self.upstream,
            credential: self.credential,
            status: self.status,
            bytes_in: Some(self.bytes_in),
            bytes_out: Some(self.bytes_out),
            duration_ns: Some(self.duration_ns),
            user_agent,
            tls_version: self.tls.and_then(sso::audit::record::tls_version),
            ..Record::new(Action::Request, self.decision, self.reason)
        };
        match &self.who {
            Some(live) => with_session(record, live),
            None => record,
        }
    }
}

/// `record` with who the user is: name, id, display name, department and how they logged in.
pub fn with_identity(record: Record, identity: &Identity) -> Record {
    Record {
        user: Some(identity.user.clone()),
        user_id: Some(identity.user.clone()),
        full_name: Some(identity.name.clone()),
        department: identity.department.clone(),
        auth_method: Some(identity.method.as_str()),
        ..record
    }
}

/// `record` with the user of a session and the session's keyed hash.
pub fn with_session(record: Record, live: &LiveSession) -> Record {
    Record {
        session: Some(live.key.as_str().to_owned()),
        ..with_identity(record, &live.identity)
    }
}

/// The gateway's audit log: a cheap handle shared by every request.
#[derive(Clone)]
pub struct AuditLog {
    writer: AuditWriter<Entry>,
    requests: bool,
    next_request: Arc<AtomicU64>,
    instance: u32,
}

impl AuditLog {
    /// Open the configured audit directory (creating the sealing key when missing) and start
    /// the writer. `version` is the configuration's hash, put in every record.
    pub fn open(
        config: &GatewayConfig,
        routes: Arc<RouteTable>,
        version: &str,
    ) -> anyhow::Result<AuditLog> {
        let section = &config.audit;
        let configured = config.path(&section.signing_key);
        let key_path =
            crate::secrets::credential_or(crate::secrets::AUDIT_KEY_CREDENTIAL, &configured);
        // A key systemd hands over is never created here; a configured file is, when missing.
        let key = SealKey::load_or_create(&key_path, key_path == configured)
            .with_context(|| format!("audit signing key {}", key_path.display()))?;
        let mut forward = Vec::new();
        if section.journald {
            forward.push(Target::Journald {
                socket: section.journald_socket.clone(),
                identifier: "yakuba-gateway-audit".into(),
            });
        }
        for s in &section.syslog {
            forward.push(Target::Syslog {
                address: s.address,
                transport: s.transport,
                facility: s.facility,
                hostname: s.hostname.clone().unwrap_or_else(hostname),
                app_name: "yakuba-gateway".into(),
            });
        }
        let dir = config.path(&section.dir);
        let settings = WriterSettings {
            stream: StreamSettings {
                stream: "gateway".into(),
                dir: dir.clone(),
                segment_max_bytes: section.segment_max_mb.saturating_mul(1024 * 1024),
                rotate_daily: section.rotate_daily,
                retention: section.retention,
                fsync: section.fsync,
                config_version: Some(version.to_owned()),
                checkpoint_dir: Some(config.path(&section.checkpoint_dir)),
                checkpoint_interval: section.checkpoint_interval,
                compress: section.compress,
            },
            queue: section.queue,
            drain_interval: DRAIN_INTERVAL,
            on_failure: section.on_failure,
            forward,
        };
        let instance = rand::random::<u32>();
        let writer = AuditWriter::start(settings, key, Context { routes, instance })
            .with_context(|| format!("cannot open the audit log in {}", dir.display()))?;
        Ok(AuditLog {
            writer,
            requests: section.record_requests,
            next_request: Arc::new(AtomicU64::new(1)),
            instance,
        })
    }

    /// Queue a record without waiting.
    pub fn record(&self, record: Record) {
        self.writer.record(Entry::Event(Box::new(record)));
    }

    /// Queue a record and wait until it is on disk; an error (only under `fail_closed`)
    /// means the caller must not act as if it were recorded.
    pub async fn record_durable(&self, record: Record) -> Result<(), Unrecorded> {
        self.writer
            .record_durable(Entry::Event(Box::new(record)))
            .await
    }

    /// Queue the record of a proxied request (unless requests are not recorded).
    pub fn request(&self, facts: RequestFacts) {
        if self.requests {
            self.writer.record(Entry::Request(Box::new(facts)));
        }
    }

    /// A number for the next request.
    pub fn next_request_id(&self) -> u64 {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }

    /// The request id as records show it.
    pub fn request_id(&self, id: u64) -> String {
        request_id_text(self.instance, id)
    }

    /// The request id as the `X-Request-Id` value sent upstream (the same text).
    pub fn request_id_header(&self, id: u64) -> Option<http::HeaderValue> {
        request_id_value(self.instance, id)
    }

    /// Whether new requests may be served (see `audit.on_failure`).
    pub fn accepting(&self) -> bool {
        self.writer.accepting()
    }

    /// Count a request refused because the audit log could not record it.
    pub fn note_refused(&self) {
        self.writer.note_refused();
    }

    /// Counters for `/readyz` and `/metrics`.
    pub fn stats(&self) -> Stats {
        self.writer.stats()
    }

    /// Write what is queued and seal the open segment.
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }
}

/// This machine's name, for syslog's HOSTNAME.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// The hash of a configuration file: the full SHA-256 for the record of its loading, and
/// its first 16 hex digits as the version every record carries.
pub fn config_hash(text: &[u8]) -> (String, String) {
    use sha2::Digest as _;
    let full = sso::audit::chain::hex(&sha2::Sha256::digest(text));
    let short = full[..16].to_owned();
    (full, short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_read_the_same_in_records_and_upstream_headers() {
        for (instance, id, text) in [
            (0x0012_abcd, 1, "0012abcd-1"),
            (0xffff_ffff, 0, "ffffffff-0"),
            (7, 0x1f, "00000007-1f"),
            (0xdead_beef, u64::MAX, "deadbeef-ffffffffffffffff"),
        ] {
            assert_eq!(request_id_text(instance, id), text);
            assert_eq!(format!("{instance:08x}-{id:x}"), text);
            let value = request_id_value(instance, id).unwrap();
            assert_eq!(value.as_bytes(), text.as_bytes());
        }
    }
}
