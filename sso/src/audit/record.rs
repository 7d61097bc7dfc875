//! One audit record and its JSON form. Callers fill a flat [`Record`]; serialising it produces
//! the nested Elastic Common Schema (ECS) layout, so the field mapping lives in one place
//! (this file) and in `docs/audit.md`.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use serde::ser::Serializer;

/// The ECS version whose field names the records use.
pub const ECS_VERSION: &str = "8.11.0";

/// What happened, as `event.action`. Each action has a fixed ECS category and type and an
/// OCSF class (see `docs/audit.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A request through the gateway (OCSF HTTP Activity).
    Request,
    /// A login attempt (OCSF Authentication: Logon; on success also Authorize Session).
    Login,
    /// A session ending, by any cause (OCSF Authentication: Logoff).
    Logout,
    /// An account or client address locked out after failed logins (OCSF Account Change).
    Lockout,
    /// Use or change of a user's credentials in the vault, never the secret.
    Vault,
    /// A configuration taking effect, with its hash.
    Config,
    /// A security-relevant administrative action (OCSF User Access Management).
    Admin,
    /// The audit log's own events: segments opened and sealed, recovery, lost records.
    Audit,
}

impl Action {
    /// The stable name (`event.action`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Request => "request",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Lockout => "lockout",
            Action::Vault => "vault",
            Action::Config => "config",
            Action::Admin => "admin",
            Action::Audit => "audit",
        }
    }

    /// `event.category`.
    fn category(self) -> &'static [&'static str] {
        match self {
            Action::Request => &["web"],
            Action::Login | Action::Lockout => &["authentication"],
            Action::Logout => &["authentication", "session"],
            Action::Vault | Action::Admin => &["iam"],
            Action::Config | Action::Audit => &["configuration"],
        }
    }

    /// `event.type`, which for requests also says whether access was allowed.
    fn types(self, decision: Decision, reason: &str) -> &'static [&'static str] {
        match self {
            Action::Request if decision.outcome() == Outcome::Success => &["access", "allowed"],
            Action::Request => &["access", "denied"],
            Action::Login if decision == Decision::Success => &["start"],
            Action::Login => &["info"],
            Action::Logout => &["end"],
            Action::Lockout | Action::Audit => &["info"],
            Action::Vault => match reason {
                "vault_enrolled" => &["creation"],
                "vault_updated" => &["change"],
                "vault_removed" => &["deletion"],
                _ => &["access"],
            },
            Action::Config => &["change"],
            Action::Admin => &["admin", "change"],
        }
    }
}

/// What was decided, as `yakuba.decision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Forwarded to an upstream.
    Allow,
    /// Refused.
    Deny,
    /// Sent to the login page.
    RedirectLogin,
    /// Answered by the gateway itself (login page, health).
    Served,
    /// An action that succeeded (login, logout, grant).
    Success,
    /// An action that failed.
    Failure,
}

impl Decision {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::RedirectLogin => "redirect_login",
            Decision::Served => "served",
            Decision::Success => "success",
            Decision::Failure => "failure",
        }
    }

    /// Parse a stable name (for searches).
    pub fn parse(text: &str) -> Option<Decision> {
        [
            Decision::Allow,
            Decision::Deny,
            Decision::RedirectLogin,
            Decision::Served,
            Decision::Success,
            Decision::Failure,
        ]
        .into_iter()
        .find(|d| d.as_str() == text)
    }

    /// `event.outcome`: a redirect to the login page did not grant access, so it fails.
    pub fn outcome(self) -> Outcome {
        match self {
            Decision::Allow | Decision::Served | Decision::Success => Outcome::Success,
            Decision::Deny | Decision::RedirectLogin | Decision::Failure => Outcome::Failure,
        }
    }
}

/// `event.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The action succeeded (or access was granted).
    Success,
    /// It failed (or access was refused).
    Failure,
}

/// `event.kind`: `alert` for records that say the audit log itself is in trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// An ordinary event.
    #[default]
    Event,
    /// Something a security team should look at now (records lost, requests refused).
    Alert,
}

/// A link in the hash chain: the record's sequence number in its stream and the SHA-256 of
/// the previous line, in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Sequence number, 1 for the first record the stream ever wrote.
    pub seq: u64,
    /// Hash of the previous line (64 zeros before the first).
    pub prev: String,
}

/// One audit record, flat. Nothing here may ever hold a password, token, cookie or raw
/// session id: `session` is the keyed hash, `query` is redacted ([`redact_query`]).
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// When it happened, Unix milliseconds (`@timestamp`, UTC, RFC 3339 with milliseconds).
    pub time_ms: i64,
    /// `event.action`.
    pub action: Option<Action>,
    /// `yakuba.decision` (and `event.outcome`).
    pub decision: Option<Decision>,
    /// `event.reason`: a stable reason code (`bad_credentials`, `idle_timeout`, ...).
    pub reason: Cow<'static, str>,
    /// `event.kind`.
    pub kind: EventKind,
    /// `http.request.id`.
    pub request_id: Option<String>,
    /// `client.ip`: the client. The gateway is the first hop, so this is the peer's address.
    pub client: Option<IpAddr>,
    /// `source.ip` and `source.port`: the TCP peer.
    pub peer: Option<SocketAddr>,
    /// `user.name`: the login id (as typed, for failed logins).
    pub user: Option<String>,
    /// `user.id`: the canonical login id of an authenticated user.
    pub user_id: Option<String>,
    /// `user.full_name`.
    pub full_name: Option<String>,
    /// `yakuba.department`.
    pub department: Option<String>,
    /// `user.roles`: groups, recorded at login.
    pub groups: Vec<String>,
    /// Who acted on `user` (an administrator ending a session): then `user.*` is the actor
    /// and `user.target.*` the user acted on, as ECS prescribes.
    pub actor: Option<String>,
    /// `yakuba.session`: keyed hash of the session id.
    pub session: Option<String>,
    /// `yakuba.auth_method`: `local`, `ldap` or `oidc`.
    pub auth_method: Option<&'static str>,
    /// `http.request.method`.
    pub method: Option<Cow<'static, str>>,
    /// `http.version`.
    pub http_version: Option<&'static str>,
    /// `url.domain`.
    pub host: Option<String>,
    /// `url.path`.
    pub path: Option<String>,
    /// `url.query`, with secrets redacted.
    pub query: Option<String>,
    /// `yakuba.route`: the route id.
    pub route: Option<String>,
    /// `rule.name`: the policy rule that decided (`routes.zaimu.rules[1]`).
    pub rule: Option<String>,
    /// `destination.address`: the upstream.
    pub upstream: Option<SocketAddr>,
    /// `yakuba.credential`: where credentials sent upstream came from (`vault`).
    pub credential: Option<&'static str>,
    /// `http.response.status_code`.
    pub status: Option<u16>,
    /// `http.request.body.bytes`.
    pub bytes_in: Option<u64>,
    /// `http.response.body.bytes`.
    pub bytes_out: Option<u64>,
    /// `event.duration`, nanoseconds.
    pub duration_ns: Option<u64>,
    /// `user_agent.original`.
    pub user_agent: Option<String>,
    /// `tls.version` (`1.3`); `tls.version_protocol` is `tls`.
    pub tls_version: Option<&'static str>,
    /// `yakuba.config_version`: hash of the configuration in force (filled in by the writer).
    pub config_version: Option<String>,
    /// `service.name` (filled in by the writer from its stream).
    pub service: Option<String>,
    /// `yakuba.detail`: facts particular to the action (a configuration's hash, a count of
    /// lost records, the department an admin right covers).
    pub detail: Option<serde_json::Value>,
    /// `yakuba.chain` (filled in by the writer).
    pub chain: Option<Link>,
    /// `yakuba.seal`: on the last line of a segment (filled in by the writer).
    pub seal: Option<serde_json::Value>,
}

impl Record {
    /// A record of `action` now; fill in the rest with struct update syntax.
    pub fn new(action: Action, decision: Decision, reason: impl Into<Cow<'static, str>>) -> Record {
        Record {
            time_ms: now_ms(),
            action: Some(action),
            decision: Some(decision),
            reason: reason.into(),
            ..Record::default()
        }
    }
}

/// The current time, Unix milliseconds.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// Unix milliseconds as RFC 3339 UTC with exactly three fraction digits: general RFC 3339
/// formatters drop trailing zeros, which would give some records `.1Z` and others `.123Z`.
pub fn format_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// The TLS version as ECS writes it (`1.3`), from the names TLS libraries use.
pub fn tls_version(name: &str) -> Option<&'static str> {
    match name {
        "TLSv1_3" | "TLSv1.3" => Some("1.3"),
        "TLSv1_2" | "TLSv1.2" => Some("1.2"),
        "TLSv1_1" | "TLSv1.1" => Some("1.1"),
        "TLSv1_0" | "TLSv1" | "TLSv1.0" => Some("1.0"),
        _ => None,
    }
}

/// Query parameter names whose values are replaced by `REDACTED`: any name containing one of
/// these (ASCII case ignored).
const SECRET_NAME_PARTS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "session",
    "auth",
    "credential",
    "ticket",
    "signature",
    "assertion",
    "saml",
    "cookie",
    "apikey",
    "api_key",
    "private",
];

/// Query parameter names that are secrets only when they are the whole name (`code` is the
/// OAuth authorization code, `state` and `nonce` bind an OpenID login to a browser).
const SECRET_NAMES: &[&str] = &[
    "code", "state", "nonce", "key", "sid", "sig", "otp", "pin", "jwt", "hash",
];

/// Whether a query parameter of this name may carry a secret.
fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part)) || SECRET_NAMES.contains(&&*lower)
}

/// The query string with the value of every parameter that may carry a secret replaced by
/// `REDACTED`. Names are compared after percent-decoding, and the rest of the query is kept
/// byte for byte. A parameter without `=` is kept only if its name is harmless.
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let needs = query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        is_secret_name(&decode_name(name))
    });
    if !needs {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        if is_secret_name(&decode_name(name)) {
            out.push_str(name);
            out.push_str("=REDACTED");
        } else {
            out.push_str(pair);
        }
    }
    Cow::Owned(out)
}

fn decode_name(name: &str) -> Cow<'_, str> {
    if !name.contains(['%', '+']) {
        return Cow::Borrowed(name);
    }
    let plus = name.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&plus)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

// The ECS layout, borrowed from a `Record` at serialisation time.

fn none<T>(v: &Option<T>) -> bool {
    v.is_none()
}

#[derive(Serialize)]
struct Ecs<'a> {
    #[serde(rename = "@timestamp", serialize_with = "timestamp")]
    timestamp: i64,
    ecs: EcsVersion,
    event: Event<'a>,
    #[serde(skip_serializing_if = "none")]
    service: Option<Service<'a>>,
    #[serde(skip_serializing_if = "none")]
    http: Option<Http<'a>>,
    #[serde(skip_serializing_if = "none")]
    url: Option<Url<'a>>,
    #[serde(skip_serializing_if = "none")]
    client: Option<Client>,
    #[serde(skip_serializing_if = "none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "none")]
    destination: Option<Destination>,
    #[serde(skip_serializing_if = "none")]
    user: Option<User<'a>>,
    #[serde(skip_serializing_if = "none")]
    user_agent: Option<UserAgent<'a>>,
    #[serde(skip_serializing_if = "none")]
    tls: Option<Tls>,
    #[serde(skip_serializing_if = "none")]
    rule: Option<Rule<'a>>,
    yakuba: Yakuba<'a>,
}

fn timestamp<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_ms(*ms))
}

#[derive(Serialize)]
struct EcsVersion {
    version: &'static str,
}

#[derive(Serialize)]
struct Event<'a> {
    kind: EventKind,
    category: &'static [&'static str],
    #[serde(rename = "type")]
    types: &'static [&'static str],
    action: &'static str,
    outcome: Outcome,
    reason: &'a str,
    #[serde(skip_serializing_if = "none")]
    duration: Option<u64>,
    #[serde(skip_serializing_if = "none")]
    dataset: Option<String>,
}

#[derive(Serialize)]
struct Service<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Http<'a> {
    #[serde(skip_serializing_if = "none")]
    version: Option<&'static str>,
    #[serde(skip_serializing_if = "none")]
    request: Option<HttpRequest<'a>>,
    #[serde(skip_serializing_if = "none")]
    response: Option<HttpResponse>,
}

#[derive(Serialize)]
struct HttpRequest<'a> {
    #[serde(skip_serializing_if = "none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    body: Option<Body>,
}

#[derive(Serialize)]
struct HttpResponse {
    #[serde(skip_serializing_if = "none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "none")]
    body: Option<Body>,
}

#[derive(Serialize)]
struct Body {
    bytes: u64,
}

#[derive(Serialize)]
struct Url<'a> {
    #[serde(skip_serializing_if = "none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    query: Option<&'a str>,
}

#[derive(Serialize)]
struct Client {
    ip: IpAddr,
}

#[derive(Serialize)]
struct Source {
    ip: IpAddr,
    port: u16,
}

#[derive(Serialize)]
struct Destination {
    address: String,
    ip: IpAddr,
    port: u16,
}

#[derive(Serialize)]
struct User<'a> {
    #[serde(skip_serializing_if = "none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    full_name: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    roles: &'a [String],
    #[serde(skip_serializing_if = "none")]
    target: Option<Target<'a>>,
}

#[derive(Serialize)]
struct Target<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct UserAgent<'a> {
    original: &'a str,
}

#[derive(Serialize)]
struct Tls {
    version: &'static str,
    version_protocol: &'static str,
}

#[derive(Serialize)]
struct Rule<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Yakuba<'a> {
    #[serde(skip_serializing_if = "none")]
    decision: Option<Decision>,
    #[serde(skip_serializing_if = "none")]
    route: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    session: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    auth_method: Option<&'static str>,
    #[serde(skip_serializing_if = "none")]
    credential: Option<&'static str>,
    #[serde(skip_serializing_if = "none")]
    config_version: Option<&'a str>,
    #[serde(skip_serializing_if = "none")]
    detail: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "none")]
    chain: Option<&'a Link>,
    #[serde(skip_serializing_if = "none")]
    seal: Option<&'a serde_json::Value>,
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let action = self.action.unwrap_or(Action::Audit);
        let decision = self.decision.unwrap_or(Decision::Success);
        // With an actor, ECS puts the actor in `user.*` and the user acted on in
        // `user.target.*`.
        let (name, target) = match &self.actor {
            Some(actor) => (Some(actor.as_str()), self.user.as_deref()),
            None => (self.user.as_deref(), None),
        };
        let user = (name.is_some() || self.user_id.is_some()).then(|| User {
            name,
            id: self.user_id.as_deref(),
            full_name: self.full_name.as_deref(),
            roles: &self.groups,
            target: target.map(|name| Target { name }),
        });
        let request = HttpRequest {
            id: self.request_id.as_deref(),
            method: self.method.as_deref(),
            body: self.bytes_in.map(|bytes| Body { bytes }),
        };
        let request = (request.id.is_some() || request.method.is_some() || request.body.is_some())
            .then_some(request);
        let response = (self.status.is_some() || self.bytes_out.is_some()).then(|| HttpResponse {
            status_code: self.status,
            body: self.bytes_out.map(|bytes| Body { bytes }),
        });
        let http = (self.http_version.is_some() || request.is_some() || response.is_some())
            .then_some(Http {
                version: self.http_version,
                request,
                response,
            });
        let url =
            (self.host.is_some() || self.path.is_some() || self.query.is_some()).then_some(Url {
                domain: self.host.as_deref(),
                path: self.path.as_deref(),
                query: self.query.as_deref(),
            });
        Ecs {
            timestamp: self.time_ms,
            ecs: EcsVersion {
                version: ECS_VERSION,
            },
            event: Event {
                kind: self.kind,
                category: action.category(),
                types: action.types(decision, &self.reason),
                action: action.as_str(),
                outcome: decision.outcome(),
                reason: &self.reason,
                duration: self.duration_ns,
                dataset: self.service.as_deref().map(|s| format!("yakuba.{s}")),
            },
            service: self.service.as_deref().map(|name| Service { name }),
            http,
            url,
            client: self.client.map(|ip| Client { ip }),
            source: self.peer.map(|p| Source {
                ip: p.ip(),
                port: p.port(),
            }),
            destination: self.upstream.map(|u| Destination {
                address: u.to_string(),
                ip: u.ip(),
                port: u.port(),
            }),
            user,
            user_agent: self
                .user_agent
                .as_deref()
                .map(|original| UserAgent { original }),
            tls: self.tls_version.map(|version| Tls {
                version,
                version_protocol: "tls",
            }),
            rule: self.rule.as_deref().map(|name| Rule { name }),
            yakuba: Yakuba {
                decision: self.decision,
                route: self.route.as_deref(),
                department: self.department.as_deref(),
                session: self.session.as_deref(),
                auth_method: self.auth_method,
                credential: self.credential,
                config_version: self.config_version.as_deref(),
                detail: self.detail.as_ref(),
                chain: self.chain.as_ref(),
                seal: self.seal.as_ref(),
            },
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_always_carry_three_fraction_digits() {
        assert_eq!(format_ms(1_775_032_200_100), "2026-04-01T08:30:00.100Z");
        assert_eq!(format_ms(1_775_032_200_000), "2026-04-01T08:30:00.000Z");
    }

    #[test]
    fn secrets_in_query_strings_are_redacted_and_the_rest_kept() {
        let cases = [
            ("a=1&b=2", "a=1&b=2"),
            (
                "code=abc&state=xyz&iss=https%3A%2F%2Fidp",
                "code=REDACTED&state=REDACTED&iss=https%3A%2F%2Fidp",
            ),
            (
                "q=%E5%B1%B1&Password=hunter2",
                "q=%E5%B1%B1&Password=REDACTED",
            ),
            ("access_token=t&x", "access_token=REDACTED&x"),
            ("pass%77ord=x", "pass%77ord=REDACTED"),
            ("JSESSIONID=abc", "JSESSIONID=REDACTED"),
            ("logout_token=eyJ", "logout_token=REDACTED"),
            ("token", "token=REDACTED"),
            ("page=2&sort=name", "page=2&sort=name"),
        ];
        for (query, expected) in cases {
            assert_eq!(redact_query(query), expected, "{query}");
        }
    }

    #[test]
    fn records_serialise_to_ecs_field_names() {
        let record = Record {
            time_ms: 1_775_032_200_123,
            request_id: Some("r-1".into()),
            client: Some("10.0.0.7".parse().unwrap()),
            peer: Some("10.0.0.7:50123".parse().unwrap()),
            user: Some("yamada".into()),
            user_id: Some("yamada".into()),
            full_name: Some("山田 太郎".into()),
            department: Some("総務課".into()),
            session: Some("ab".repeat(32)),
            auth_method: Some("ldap"),
            method: Some("GET".into()),
            http_version: Some("1.1"),
            host: Some("yakuba.city".into()),
            path: Some("/zaimu/".into()),
            query: Some("page=2".into()),
            route: Some("zaimu".into()),
            rule: Some("routes.zaimu.allow_groups".into()),
            upstream: Some("10.20.0.21:8080".parse().unwrap()),
            status: Some(200),
            bytes_in: Some(0),
            bytes_out: Some(512),
            duration_ns: Some(1_500_000),
            user_agent: Some("Mozilla/5.0".into()),
            tls_version: Some("1.3"),
            config_version: Some("cfg".into()),
            service: Some("gateway".into()),
            chain: Some(Link {
                seq: 7,
                prev: "0".repeat(64),
            }),
            ..Record::new(Action::Request, Decision::Allow, "session_valid")
        };
        let v: serde_json::Value = serde_json::to_value(&record).unwrap();
        assert_eq!(v["@timestamp"], "2026-04-01T08:30:00.123Z");
        assert_eq!(v["ecs"]["version"], ECS_VERSION);
        assert_eq!(v["event"]["action"], "request");
        assert_eq!(v["event"]["category"][0], "web");
        assert_eq!(v["event"]["type"][1], "allowed");
        assert_eq!(v["event"]["outcome"], "success");
        assert_eq!(v["event"]["reason"], "session_valid");
        assert_eq!(v["event"]["duration"], 1_500_000);
        assert_eq!(v["event"]["dataset"], "yakuba.gateway");
        assert_eq!(v["http"]["request"]["id"], "r-1");
        assert_eq!(v["http"]["request"]["method"], "GET");
        assert_eq!(v["http"]["response"]["status_code"], 200);
        assert_eq!(v["http"]["response"]["body"]["bytes"], 512);
        assert_eq!(v["url"]["path"], "/zaimu/");
        assert_eq!(v["client"]["ip"], "10.0.0.7");
        assert_eq!(v["source"]["port"], 50123);
        assert_eq!(v["destination"]["address"], "10.20.0.21:8080");
        assert_eq!(v["user"]["name"], "yamada");
        assert_eq!(v["user"]["full_name"], "山田 太郎");
        assert_eq!(v["user_agent"]["original"], "Mozilla/5.0");
        assert_eq!(v["tls"]["version"], "1.3");
        assert_eq!(v["rule"]["name"], "routes.zaimu.allow_groups");
        assert_eq!(v["yakuba"]["decision"], "allow");
        assert_eq!(v["yakuba"]["department"], "総務課");
        assert_eq!(v["yakuba"]["auth_method"], "ldap");
        assert_eq!(v["yakuba"]["chain"]["seq"], 7);
    }

    #[test]
    fn an_actor_is_the_user_and_the_user_acted_on_the_target() {
        let record = Record {
            user: Some("yamada".into()),
            actor: Some("admin".into()),
            ..Record::new(Action::Logout, Decision::Success, "admin")
        };
        let v = serde_json::to_value(&record).unwrap();
        assert_eq!(v["user"]["name"], "admin");
        assert_eq!(v["user"]["target"]["name"], "yamada");
        assert_eq!(v["event"]["type"][0], "end");
        assert!(v.get("http").is_none() && v.get("url").is_none());
    }

    #[test]
    fn denials_and_redirects_to_login_are_failures() {
        for (decision, outcome) in [
            (Decision::Allow, Outcome::Success),
            (Decision::Served, Outcome::Success),
            (Decision::Deny, Outcome::Failure),
            (Decision::RedirectLogin, Outcome::Failure),
        ] {
            assert_eq!(decision.outcome(), outcome);
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
        }
    }
}
