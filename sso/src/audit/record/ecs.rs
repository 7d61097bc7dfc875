//! The Elastic Common Schema layout of a [`Record`]: nested structs borrowed from the flat
//! record at serialisation time, so that the field mapping lives here and in `docs/audit.md`.

use std::net::IpAddr;

use serde::Serialize;
use serde::ser::Serializer;

use super::{Action, Decision, ECS_VERSION, EventKind, Link, Outcome, Record, format_ms};

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
