//! The gateway's configuration: one typed file, validated once into the runtime form.
//!
//! Unknown keys are errors, every problem is reported at once with its key path, and
//! relative paths are resolved against `server.data_dir`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sso::ldap::{LdapSettings, parse_duration};
use sso::local::LocalAccount;

/// The configuration file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Listeners and state directory.
    pub server: ServerSection,
    /// Certificate and key.
    pub tls: TlsSection,
    /// Session cookie, store and timeouts.
    #[serde(default)]
    pub session: SessionSection,
    /// Identity assertion for the app.
    #[serde(default)]
    pub assertion: AssertionSection,
    /// Audit log.
    #[serde(default)]
    pub audit: AuditSection,
    /// Login protection.
    #[serde(default)]
    pub login: LoginSection,
    /// Who administers the gateway.
    #[serde(default)]
    pub admin: AdminSection,
    /// Prometheus metrics on a local port.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// Where the gateway's own log goes besides the journal.
    #[serde(default)]
    pub log: LogSection,
    /// Local accounts (demo users, break-glass administrators).
    #[serde(default)]
    pub local_accounts: Vec<LocalAccount>,
    /// An LDAP directory or Active Directory.
    #[serde(default)]
    pub ldap: Option<LdapSection>,
    /// OpenID providers offered on the login page.
    #[serde(default)]
    pub oidc: Vec<OidcSection>,
    /// The credential vault (for routes with `identity = "basic"` or `"form_login"`).
    #[serde(default)]
    pub vault: VaultSection,
    /// Routes, tried by host and longest path prefix.
    pub routes: Vec<RouteSection>,
}

/// `[vault]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaultSection {
    /// The AEAD key (64 hexadecimal digits), generated when missing. A systemd credential
    /// named `vault.key` (`LoadCredential=`) takes precedence when the service has one.
    pub key_file: PathBuf,
}

impl Default for VaultSection {
    fn default() -> Self {
        VaultSection {
            key_file: "vault.key".into(),
        }
    }
}

/// `[server]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// HTTPS listener.
    pub https: SocketAddr,
    /// Plain-HTTP listener that only redirects to HTTPS.
    #[serde(default)]
    pub http: Option<SocketAddr>,
    /// The HTTPS port browsers see, if it differs from the listener's (port forwarding).
    #[serde(default)]
    pub public_https_port: Option<u16>,
    /// Where the gateway keeps its state (session store, generated keys and certificate).
    pub data_dir: PathBuf,
    /// Worker threads for the proxy.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// How often every upstream is checked (TCP connect); requests go only to those that
    /// answered the last check.
    #[serde(default = "default_health_check", deserialize_with = "duration")]
    pub health_check_interval: Duration,
}

fn default_threads() -> usize {
    2
}
fn default_health_check() -> Duration {
    Duration::from_secs(5)
}

/// `[tls]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// Generate a self-signed ECDSA P-256 certificate when the files are missing.
    #[serde(default)]
    pub self_signed_if_missing: bool,
    /// Names for a generated certificate.
    #[serde(default = "default_hostnames")]
    pub hostnames: Vec<String>,
}

fn default_hostnames() -> Vec<String> {
    vec!["localhost".into()]
}

/// `[session]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSection {
    /// SQLite file of the session store (one gateway).
    pub database: PathBuf,
    /// File holding a `postgres://` URL: sessions are kept in that PostgreSQL database
    /// instead, shared by every gateway configured with it, so that logouts and revocations
    /// on one gateway reach the others within `sync_interval`.
    pub postgres_url_file: Option<PathBuf>,
    /// How often cached sessions are checked against ends and changes made by other
    /// gateways sharing the store.
    #[serde(deserialize_with = "duration")]
    pub sync_interval: Duration,
    /// Secret that keys session hashes and CSRF tokens (generated when missing).
    pub secret_file: PathBuf,
    /// A session unused this long ends.
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    /// A session ends this long after login.
    #[serde(deserialize_with = "duration")]
    pub absolute_timeout: Duration,
    /// Most sessions one user may hold at once (同時ログイン制限); 0 means no limit.
    pub max_per_user: u32,
    /// How often directory users' sessions are checked against the directory: a user
    /// disabled, deleted or moved out of a group loses access within this interval.
    #[serde(deserialize_with = "duration")]
    pub revalidate_interval: Duration,
}

impl Default for SessionSection {
    fn default() -> Self {
        SessionSection {
            database: "gateway.db".into(),
            postgres_url_file: None,
            sync_interval: Duration::from_secs(2),
            secret_file: "session.secret".into(),
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(10 * 3600),
            max_per_user: 0,
            revalidate_interval: Duration::from_secs(5 * 60),
        }
    }
}

/// `[assertion]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssertionSection {
    /// Ed25519 PKCS#8 private key (its public half is written beside it as `.pub`), or an
    /// HMAC secret file.
    pub signing_key: PathBuf,
    /// Lifetime of one assertion.
    #[serde(deserialize_with = "duration")]
    pub lifetime: Duration,
}

impl Default for AssertionSection {
    fn default() -> Self {
        AssertionSection {
            signing_key: "assertion.key".into(),
            lifetime: Duration::from_secs(60),
        }
    }
}

/// `[audit]`: the tamper-evident audit log (see `docs/audit.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Directory of the segment files (`gateway-NNNNNNNN-YYYYMMDD.jsonl`).
    pub dir: PathBuf,
    /// Ed25519 private key that seals segments, created when missing with its public half
    /// beside it (`.pub`), which `audit verify` checks seals against. Not the assertion key.
    pub signing_key: PathBuf,
    /// Record every request; `false` keeps only logins, logouts, lockouts, vault use,
    /// configuration and administrative events.
    pub record_requests: bool,
    /// When records are forced to disk: `"never"` (the kernel writes back), `"batch"` (after
    /// every write, about every 20 ms under load) or an interval such as `"1s"`.
    #[serde(deserialize_with = "fsync")]
    pub fsync: sso::audit::stream::Fsync,
    /// A segment is sealed at this size, in MiB.
    pub segment_max_mb: u64,
    /// Also seal at midnight JST, so that every day starts a segment.
    pub rotate_daily: bool,
    /// Sealed segments whose seal is older than this are deleted (and a record in the chain
    /// says which), at every rotation and start and once a day.
    #[serde(deserialize_with = "duration")]
    pub retention: Duration,
    /// Where signed checkpoints of the stream are appended (one file a month), apart from the
    /// segments: `audit verify` finds records cut from the newest segment with them.
    pub checkpoint_dir: PathBuf,
    /// How often a checkpoint is made while records come in (also at every segment's opening
    /// and seal): records written since the last checkpoint can be cut unnoticed.
    #[serde(deserialize_with = "duration")]
    pub checkpoint_interval: Duration,
    /// Compress sealed segments (zstd, per index block; about a tenth of the size).
    pub compress: bool,
    /// When records cannot be written: `"fail_closed"` refuses new requests with a page
    /// saying why until they can; `"keep_serving"` serves on, counting and reporting what
    /// was lost.
    pub on_failure: sso::audit::FailurePolicy,
    /// Records waiting for the writer before the policy applies.
    pub queue: usize,
    /// Copy every record to the systemd journal.
    pub journald: bool,
    /// The journal's native socket.
    pub journald_socket: PathBuf,
    /// Syslog collectors that get a copy of every record.
    pub syslog: Vec<SyslogSection>,
}

impl Default for AuditSection {
    fn default() -> Self {
        AuditSection {
            dir: "audit".into(),
            signing_key: "audit.key".into(),
            record_requests: true,
            fsync: sso::audit::stream::Fsync::Batch,
            segment_max_mb: 256,
            rotate_daily: true,
            retention: Duration::from_secs(400 * 86_400),
            checkpoint_dir: "audit-checkpoints".into(),
            checkpoint_interval: Duration::from_secs(10),
            compress: true,
            on_failure: sso::audit::FailurePolicy::FailClosed,
            queue: 65_536,
            journald: false,
            journald_socket: "/run/systemd/journal/socket".into(),
            syslog: Vec::new(),
        }
    }
}

/// `[[audit.syslog]]`: one syslog collector (RFC 5424).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSection {
    /// Collector address.
    pub address: SocketAddr,
    /// `"udp"` or `"tcp"` (octet-counted frames).
    pub transport: sso::audit::forward::Transport,
    /// Facility (default `authpriv`).
    #[serde(default)]
    pub facility: sso::audit::forward::Facility,
    /// HOSTNAME in the messages (default: this machine's name).
    #[serde(default)]
    pub hostname: Option<String>,
}

fn fsync<'de, D: serde::Deserializer<'de>>(d: D) -> Result<sso::audit::stream::Fsync, D::Error> {
    use sso::audit::stream::Fsync;
    let text = String::deserialize(d)?;
    match text.as_str() {
        "never" => Ok(Fsync::Never),
        "batch" => Ok(Fsync::Batch),
        other => parse_duration(other)
            .map(Fsync::Interval)
            .map_err(|e| serde::de::Error::custom(format!("`never`, `batch` or an interval: {e}"))),
    }
}

/// `[admin]`: who may list and end other users' sessions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSection {
    /// Members of any of these groups are gateway administrators.
    pub groups: Vec<String>,
}

impl Default for AdminSection {
    fn default() -> Self {
        AdminSection {
            groups: vec!["yakuba-admins".into()],
        }
    }
}

/// `[metrics]`: Prometheus text format at `http://{listen}/metrics`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Where to serve metrics; keep it on loopback (or a management network). `false`
    /// serves none.
    #[serde(deserialize_with = "optional_listen")]
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
        }
    }
}

/// An address, or `false` for none.
fn optional_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Listen {
        Off(bool),
        At(SocketAddr),
    }
    match Listen::deserialize(d)? {
        Listen::At(addr) => Ok(Some(addr)),
        Listen::Off(false) => Ok(None),
        Listen::Off(true) => Err(serde::de::Error::custom(
            "write an address (\"127.0.0.1:9464\") or false",
        )),
    }
}

/// `[log]`: the gateway logs to the journal under systemd (to standard error elsewhere);
/// `file` appends the same lines to a file as well.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// A file the log is appended to as well, e.g. `/var/log/yakuba/gateway.log`.
    pub file: Option<PathBuf>,
}

/// `[login]`: throttling of failed logins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginSection {
    /// Failed logins for one account within `account_window` before a ban.
    pub account_attempts: u32,
    /// Window for counting an account's failures.
    #[serde(deserialize_with = "duration")]
    pub account_window: Duration,
    /// How long an account ban lasts.
    #[serde(deserialize_with = "duration")]
    pub account_ban: Duration,
    /// Failed logins from one client address within `client_window` before a ban.
    pub client_attempts: u32,
    /// Window for counting a client's failures.
    #[serde(deserialize_with = "duration")]
    pub client_window: Duration,
    /// How long a client ban lasts.
    #[serde(deserialize_with = "duration")]
    pub client_ban: Duration,
    /// Every failed login takes at least this long, so that an unknown user, a wrong
    /// password and a directory lookup cannot be told apart by timing.
    #[serde(deserialize_with = "duration")]
    pub failure_delay: Duration,
}

impl Default for LoginSection {
    fn default() -> Self {
        LoginSection {
            account_attempts: 5,
            account_window: Duration::from_secs(15 * 60),
            account_ban: Duration::from_secs(15 * 60),
            // Many staff can share one address behind a NAT or a thin-client server.
            client_attempts: 50,
            client_window: Duration::from_secs(15 * 60),
            client_ban: Duration::from_secs(15 * 60),
            failure_delay: Duration::from_millis(400),
        }
    }
}

/// `[ldap]`: the directory settings plus where its service password lives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSection {
    /// File holding the service account's password.
    pub bind_password_file: PathBuf,
    /// The directory settings.
    #[serde(flatten)]
    pub settings: LdapSettings,
}

/// `[[oidc]]`: one OpenID provider plus where its client secret lives.
#[derive(Debug, Deserialize)]
pub struct OidcSection {
    /// File holding the client secret.
    pub client_secret_file: PathBuf,
    /// Put before the mapped login id (`"idp:"`), for a provider whose user names could
    /// clash with the directory's; without it, the provider's `tanaka` is the directory's
    /// `tanaka`.
    #[serde(default)]
    pub user_prefix: String,
    /// The provider settings.
    #[serde(flatten)]
    pub settings: sso::oidc::OidcSettings,
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// A configuration error with its key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, e.g. `routes[2].upstreams`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found in one file.
#[derive(Debug, thiserror::Error)]
#[error("{}", render(.0))]
pub struct ConfigErrors(pub Vec<Problem>);

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl GatewayConfig {
    /// Parse TOML text (syntax and types only).
    pub fn parse(text: &str) -> Result<GatewayConfig, ConfigErrors> {
        toml::from_str(text).map_err(|e| {
            ConfigErrors(vec![Problem {
                key: "(file)".into(),
                message: e.to_string(),
            }])
        })
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> anyhow::Result<GatewayConfig> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        GatewayConfig::parse(&text)
            .with_context(|| format!("configuration {} is invalid", path.display()))
    }

    /// The directory settings with the service password read from its file, if a directory
    /// is configured.
    pub fn ldap_settings(&self) -> anyhow::Result<Option<LdapSettings>> {
        use anyhow::Context as _;
        let Some(section) = &self.ldap else {
            return Ok(None);
        };
        let file = self.path(&section.bind_password_file);
        let mut settings = section.settings.clone();
        settings.bind_password = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read ldap.bind_password_file {}", file.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        Ok(Some(settings))
    }

    /// Resolve a configured path against `server.data_dir`.
    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.server.data_dir.join(p)
        }
    }
}

mod routes;
#[cfg(test)]
mod tests;
mod validate;

pub use routes::{HeaderEncoding, HeaderSpec, IdentityField, IdentityMode, RouteSection};
