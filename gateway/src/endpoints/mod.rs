//! Requests the gateway answers itself: login and logout (`login.rs`), the administrators'
//! session page (`admin.rs`), logins through OpenID providers (`oidc.rs`), the credential
//! vault (`vault.rs`) and form-login replay (`replay.rs`), its stylesheet and health checks.
//!
//! Framework-free: `proxy/` reads the Pingora session into an [`Incoming`] and writes the
//! [`Reply`] back.

use std::time::Duration;

use bytes::Bytes;
use sso::{SessionId, SessionKey};

use crate::access::LOGIN_PATH;
use crate::audit::Decision;
use crate::cookies::CookieValue;
use crate::lang::Lang;
use crate::pages;
use crate::sessions::Lookup;
use crate::state::GatewayState;

mod admin;
mod login;
mod oidc;
mod replay;
mod vault;

/// Largest form body accepted by the login and logout endpoints.
pub const MAX_FORM: usize = 16 * 1024;

/// What the gateway needs to know about a request to one of its own endpoints.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query string.
    pub query: Option<String>,
    /// The session cookie.
    pub session_cookie: CookieValue,
    /// The login form cookie.
    pub login_cookie: CookieValue,
    /// The cookie holding the state of a login sent to an OpenID provider.
    pub oidc_cookie: CookieValue,
    /// The language cookie.
    pub lang_cookie: Option<String>,
    /// Whether a cross-site origin sent a state-changing request.
    pub cross_site: bool,
    /// Client address, for throttling and audit records.
    pub client: Option<std::net::IpAddr>,
    /// The request id its audit records carry.
    pub request_id: String,
}

impl Incoming {
    /// A record of this request's `action`: client, request id, method and path filled in.
    pub fn record(
        &self,
        action: crate::audit::Action,
        decision: Decision,
        reason: impl Into<std::borrow::Cow<'static, str>>,
    ) -> crate::audit::Record {
        crate::audit::Record {
            client: self.client,
            request_id: Some(self.request_id.clone()),
            method: Some(self.method.clone().into()),
            path: Some(self.path.clone()),
            ..crate::audit::Record::new(action, decision, reason)
        }
    }
}

/// A response from the gateway itself, with what the audit record should say.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Bytes,
    /// Decision for the request record.
    pub decision: Decision,
    /// Reason code.
    pub reason: &'static str,
    /// User, when known.
    pub user: Option<String>,
    /// Session key, when one is involved.
    pub session: Option<SessionKey>,
}

impl Reply {
    /// An HTML reply.
    pub fn html(status: u16, body: String, decision: Decision, reason: &'static str) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type", "text/html; charset=utf-8".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::from(body),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    /// A plain-text reply.
    pub fn text(
        status: u16,
        body: &'static str,
        decision: Decision,
        reason: &'static str,
    ) -> Reply {
        Reply {
            status,
            headers: vec![
                ("content-type", "text/plain; charset=utf-8".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::from_static(body.as_bytes()),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    /// A redirect (302 or 303).
    pub fn redirect(
        status: u16,
        location: String,
        decision: Decision,
        reason: &'static str,
    ) -> Reply {
        Reply {
            status,
            headers: vec![
                ("location", location),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Bytes::new(),
            decision,
            reason,
            user: None,
            session: None,
        }
    }

    /// The 503 page shown while the audit log cannot record requests (`fail_closed`).
    pub fn audit_unavailable(lang: Lang) -> Reply {
        let t = lang.texts();
        Reply::html(
            503,
            pages::message(
                lang,
                t.audit_unavailable_title,
                t.audit_unavailable_body,
                None,
            ),
            Decision::Deny,
            "audit_unavailable",
        )
        .with_header("retry-after", "30".to_owned())
    }

    /// The 503 page shown when the session store fails.
    pub fn store_unavailable(lang: Lang) -> Reply {
        let t = lang.texts();
        Reply::html(
            503,
            pages::message(lang, t.unavailable_title, t.unavailable_body, None),
            Decision::Deny,
            "session_store_error",
        )
    }

    pub(super) fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// Where upstreams fetch the keys that verify the gateway's assertions.
pub const JWKS_PATH: &str = "/.yakuba/jwks.json";

/// Whether the gateway answers `path` itself.
pub fn is_endpoint(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path.starts_with("/.yakuba/")
}

pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn lang_of(req: &Incoming) -> Lang {
    Lang::parse(query_param(req.query.as_deref(), "lang").as_deref())
        .or_else(|| Lang::parse(req.lang_cookie.as_deref()))
        .unwrap_or(Lang::Ja)
}

/// Answer a request for one of the gateway's own paths. `body` is the form body of a POST
/// (already limited to [`MAX_FORM`]).
pub async fn serve(state: &GatewayState, req: &Incoming, body: Option<Bytes>) -> Reply {
    let lang = lang_of(req);
    match (req.method.as_str(), req.path.as_str()) {
        ("GET" | "HEAD", "/healthz") => Reply::text(200, "ok\n", Decision::Served, "health"),
        ("GET" | "HEAD", "/readyz") => readiness(state).await,
        ("GET" | "HEAD", "/.yakuba/static/gateway.css") => Reply {
            headers: vec![
                ("content-type", "text/css; charset=utf-8".to_owned()),
                ("cache-control", "public, max-age=3600".to_owned()),
            ],
            ..Reply::text(200, pages::CSS, Decision::Served, "static")
        },
        (_, path) if path.starts_with(oidc::PREFIX) => {
            oidc::serve(state, req, lang, body, &path[oidc::PREFIX.len()..]).await
        }
        (_, path) if vault::handles(path) => vault::serve(state, req, lang, body).await,
        ("GET" | "HEAD", JWKS_PATH) => match &state.jwks {
            Some(set) => Reply {
                headers: vec![
                    ("content-type", "application/jwk-set+json".to_owned()),
                    ("cache-control", "public, max-age=300".to_owned()),
                ],
                body: Bytes::from(set.clone()),
                ..Reply::text(200, "", Decision::Served, "jwks")
            },
            None => Reply::text(404, "no public key\n", Decision::Deny, "no_jwks"),
        },
        ("GET" | "HEAD", LOGIN_PATH) => login::page(state, req, lang).await,
        ("POST", LOGIN_PATH) => login::submit(state, req, lang, body).await,
        ("GET" | "HEAD", "/.yakuba/logout") => login::logout_page(state, req, lang).await,
        ("GET" | "HEAD", admin::SESSIONS) => admin::sessions_page(state, req, lang).await,
        ("POST", admin::END_SESSION) => admin::end_session(state, req, lang, body).await,
        ("POST", "/.yakuba/logout") => login::logout(state, req, lang, body).await,
        (_, "/healthz" | "/readyz" | LOGIN_PATH | "/.yakuba/logout") => Reply::text(
            405,
            "method not allowed\n",
            Decision::Deny,
            "method_not_allowed",
        )
        .with_header("allow", "GET, HEAD, POST".to_owned()),
        _ => Reply::html(
            404,
            pages::message(
                lang,
                lang.texts().not_found_title,
                lang.texts().not_found_body,
                None,
            ),
            Decision::Deny,
            "no_endpoint",
        ),
    }
}

pub(super) async fn current_session(
    state: &GatewayState,
    req: &Incoming,
) -> Option<std::sync::Arc<crate::sessions::LiveSession>> {
    let CookieValue::One(raw) = &req.session_cookie else {
        return None;
    };
    let id = SessionId::parse(raw)?;
    match state.sessions.lookup(&id).await {
        Ok(Lookup::Live(s)) => Some(s),
        _ => None,
    }
}

async fn readiness(state: &GatewayState) -> Reply {
    let store_ok = crate::store::ping(state.sessions.pool()).await.is_ok();
    let mut lines = vec![format!(
        "session_store {}",
        if store_ok { "ok" } else { "FAIL" }
    )];
    let mut all_ok = store_ok;
    for route in state.routes.routes() {
        let mut reachable = false;
        for addr in &route.upstreams {
            let connect = tokio::net::TcpStream::connect(addr.as_str());
            if matches!(
                tokio::time::timeout(Duration::from_secs(1), connect).await,
                Ok(Ok(_))
            ) {
                reachable = true;
                break;
            }
        }
        all_ok &= reachable;
        lines.push(format!(
            "route {} {}",
            route.id,
            if reachable { "ok" } else { "FAIL" }
        ));
    }
    // Refusing requests (`fail_closed`) makes the gateway unready; failing writes under
    // `keep_serving` are shown but leave it ready, as the operator chose.
    let audit = state.audit.stats();
    all_ok &= audit.accepting;
    lines.push(format!(
        "audit {} written={} lost={} refused={} write_failures={}",
        match (audit.accepting, audit.failing) {
            (false, _) => "FAIL",
            (true, true) => "DEGRADED",
            (true, false) => "ok",
        },
        audit.written,
        audit.lost,
        audit.refused,
        audit.write_failures
    ));
    lines.push(format!("audit_dropped {}", audit.lost));
    for (collector, lost) in &audit.forward_lost {
        lines.push(format!("audit_forward {collector} lost={lost}"));
    }
    let body = lines.join("\n") + "\n";
    Reply {
        status: if all_ok { 200 } else { 503 },
        body: Bytes::from(body),
        ..Reply::text(
            200,
            "",
            Decision::Served,
            if all_ok { "ready" } else { "not_ready" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_paths_are_recognised() {
        assert!(is_endpoint("/healthz"));
        assert!(is_endpoint("/.yakuba/login"));
        assert!(!is_endpoint("/healthz2"));
        assert!(!is_endpoint("/"));
    }
}
