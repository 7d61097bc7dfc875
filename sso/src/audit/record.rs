//! One audit record: the flat [`Record`] callers fill, its actions, decisions and outcomes, and
//! the time and TLS notations records use. Serialising a record produces the nested Elastic
//! Common Schema (ECS) layout, whose field mapping lives in one place (the `ecs` module) and in
//! `docs/audit.md`; secrets are taken out of query strings by the `redact` module.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

mod ecs;
mod redact;

pub use redact::redact_query;

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
