//! The one `impl ProxyHttp`: read the request, let the decision modules decide, and turn
//! the decision into Pingora calls in exactly one place ([`Proxy::apply`], in `reply.rs`). Routes
//! whose users log in with their own credentials get their extra phases in `legacy.rs`; what
//! the upstream receives is built in `forward.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use sso::SessionId;

use crate::access::{self, Verdict, Who};
use crate::audit::{Action, Decision, Record, RequestFacts};
use crate::cookies::{self, CookieValue};
use crate::endpoints::{self, Incoming, Reply};
use crate::lang::Lang;
use crate::pages;
use crate::request::{cookie, header_str, host_of};
use crate::routing::{RequestPath, RouteIdx};
use crate::sessions::{LiveSession, Lookup};
use crate::state::GatewayState;

mod forward;
mod legacy;
mod reply;
use legacy::LegacyCtx;
use reply::read_body;

/// Largest total size of request headers accepted.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// How long an upgraded connection (WebSocket) may stay silent before it is closed.
const WEBSOCKET_IDLE: Duration = Duration::from_secs(8 * 3600);

/// What `request_filter` does next.
#[derive(Debug)]
enum Step {
    /// Proxy to the route in the context.
    Forward,
    /// Answer from the gateway.
    Reply(Reply),
}

/// Per-request state shared across Pingora's phases.
pub struct Ctx {
    start: Instant,
    /// This process's number for the request (`http.request.id` in the audit record).
    request_id: u64,
    route: Option<RouteIdx>,
    /// The session identity is forwarded for (none on public routes).
    session: Option<Arc<LiveSession>>,
    /// The session that made the request, whether or not it was let through.
    who: Option<Arc<LiveSession>>,
    /// Refused because the audit log cannot record (`fail_closed`): no record of its own.
    unaudited: bool,
    decision: Decision,
    reason: &'static str,
    /// The user and session key when the gateway answered itself.
    user: Option<String>,
    session_key: Option<sso::SessionKey>,
    upstream: Option<std::net::SocketAddr>,
    client: Option<std::net::SocketAddr>,
    host: Option<String>,
    /// The canonical path and query to send upstream, when it differs from what came in.
    rewritten: Option<String>,
    /// The policy rule that decided.
    rule: Option<Arc<str>>,
    /// Where credentials sent upstream came from (`vault`), for the audit record.
    credential: Option<&'static str>,
    /// On a route whose users log in with credentials from the vault.
    legacy: Option<Box<LegacyCtx>>,
}

/// The HTTPS proxy.
pub struct Proxy {
    /// Shared gateway state.
    pub state: Arc<GatewayState>,
}

/// The language of the gateway's own pages for this request. Only error pages need it, so the
/// forwarding path never parses the cookie for it.
fn page_lang(req: &RequestHeader) -> Lang {
    Lang::parse(cookie(req, cookies::LANG).one()).unwrap_or(Lang::Ja)
}

fn bad_request(lang: Lang, reason: &'static str) -> Reply {
    let t = lang.texts();
    Reply::html(
        400,
        pages::message(lang, t.bad_request_title, t.bad_request_body, None),
        Decision::Deny,
        reason,
    )
}

impl Proxy {
    /// Decide what to do with a request. Everything Pingora-specific stays in `apply`.
    async fn decide(&self, session: &mut Session, ctx: &mut Ctx) -> Step {
        let state = &self.state;
        ctx.client = session.client_addr().and_then(|a| a.as_inet()).copied();
        let req = session.req_header();
        ctx.host = host_of(req);

        let header_bytes: usize = req
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        if header_bytes > MAX_HEADER_BYTES {
            return Step::Reply(Reply::text(
                431,
                "request headers too large\n",
                Decision::Deny,
                "headers_too_large",
            ));
        }
        // HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/2 carries `:authority` in the URI.
        if req.version == http::Version::HTTP_11
            && req.uri.authority().is_none()
            && !req.headers.contains_key("host")
        {
            return Step::Reply(bad_request(page_lang(req), "missing_host"));
        }
        if let Some(problem) = crate::canonical::header_problem(
            req.headers.iter().map(|(name, _)| name.as_str()),
            req.headers.contains_key("transfer-encoding"),
        ) {
            return Step::Reply(bad_request(page_lang(req), problem));
        }
        let path = match RequestPath::parse(req.uri.path()) {
            Ok(p) => p,
            Err(e) => return Step::Reply(bad_request(page_lang(req), e.reason())),
        };

        if endpoints::is_endpoint(path.as_str()) {
            let method = req.method.as_str().to_owned();
            let cross_site = matches!(
                header_str(req, "sec-fetch-site"),
                Some("cross-site" | "same-site")
            );
            let incoming = Incoming {
                method: method.clone(),
                path: path.as_str().to_owned(),
                query: req.uri.query().map(str::to_owned),
                session_cookie: cookie(req, cookies::SESSION),
                login_cookie: cookie(req, cookies::LOGIN_NONCE),
                oidc_cookie: cookie(req, cookies::OIDC_STATE),
                lang_cookie: cookie(req, cookies::LANG).one().map(str::to_owned),
                cross_site,
                client: ctx.client.map(|a| a.ip()),
                request_id: self.state.audit.request_id(ctx.request_id),
            };
            let body = if method == "POST" {
                match read_body(session, endpoints::MAX_FORM).await {
                    Ok(body) => Some(body),
                    Err(reply) => return Step::Reply(reply),
                }
            } else {
                None
            };
            return Step::Reply(endpoints::serve(state, &incoming, body).await);
        }

        let route = state.routes.find(ctx.host.as_deref(), &path);
        let upstream_path = match route.map(|r| state.routes.get(r)) {
            Some(r) if r.strip_prefix => Some(crate::canonical::encode_path(&crate::mount::strip(
                &r.prefix,
                path.as_str(),
            ))),
            _ => (path.wire() != req.uri.path()).then(|| path.wire().to_owned()),
        };
        if let Some(upstream_path) = upstream_path {
            ctx.rewritten = Some(match req.uri.query() {
                Some(q) => format!("{upstream_path}?{q}"),
                None => upstream_path,
            });
        }
        let navigation = access::is_navigation(
            req.method.as_str(),
            header_str(req, "sec-fetch-mode"),
            header_str(req, "accept"),
        );
        let target = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let who_session = match cookie(req, cookies::SESSION) {
            CookieValue::Absent => Err("no_session"),
            CookieValue::Duplicated => Err("duplicate_session_cookie"),
            CookieValue::One(raw) => match SessionId::parse(&raw) {
                None => Err("malformed_session_cookie"),
                Some(id) => match state.sessions.lookup(&id).await {
                    Ok(Lookup::Live(s)) => Ok(s),
                    Ok(Lookup::Unknown) => Err("unknown_session"),
                    Ok(Lookup::Expired(why, s)) => {
                        state.audit.record(crate::audit::with_session(
                            Record {
                                client: ctx.client.map(|a| a.ip()),
                                ..Record::new(Action::Logout, Decision::Success, why.reason())
                            },
                            &s,
                        ));
                        Err(why.reason())
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "session lookup failed");
                        return Step::Reply(Reply::store_unavailable(page_lang(req)));
                    }
                },
            },
        };
        let who = match &who_session {
            Ok(s) => {
                ctx.who = Some(s.clone());
                Who::User(&s.identity)
            }
            Err(reason) => Who::Anonymous(reason),
        };
        let request = access::Request {
            method: req.method.as_str(),
            path: path.as_str(),
            navigation,
            target,
        };
        let verdict = access::decide(route.map(|r| state.routes.get(r)), who, &request);
        // Recorded whatever the verdict; only a forwarded request goes on to the upstream.
        ctx.route = route;
        match verdict {
            Verdict::Forward { rule } => {
                ctx.decision = Decision::Allow;
                ctx.reason = if rule.is_some() {
                    "session_valid"
                } else {
                    "public_route"
                };
                // A public route gets no identity, even from a logged-in browser.
                ctx.session = if rule.is_some() {
                    who_session.ok()
                } else {
                    None
                };
                let vault_route = route
                    .map(|r| state.routes.get(r))
                    .filter(|r| r.uses_vault() && rule.is_some());
                ctx.rule = rule;
                match (vault_route, &ctx.session) {
                    (Some(route), Some(live)) => {
                        let live = live.clone();
                        self.legacy_step(ctx, route, &live, &request).await
                    }
                    _ => Step::Forward,
                }
            }
            Verdict::RedirectToLogin { return_to, reason } => {
                let mut location = access::login_location(&return_to);
                if matches!(reason, "idle_timeout" | "absolute_timeout") {
                    location.push_str(if location.contains('?') {
                        "&expired=1"
                    } else {
                        "?expired=1"
                    });
                }
                Step::Reply(Reply::redirect(
                    302,
                    location,
                    Decision::RedirectLogin,
                    reason,
                ))
            }
            Verdict::Deny {
                status: 401,
                reason,
                ..
            } => Step::Reply(Reply {
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    ("cache-control", "no-store".to_owned()),
                ],
                body: Bytes::from_static(
                    b"{\"error\":\"login_required\",\"login\":\"/.yakuba/login\"}\n",
                ),
                ..Reply::text(401, "", Decision::Deny, reason)
            }),
            Verdict::Deny {
                status,
                reason,
                rule,
            } => {
                ctx.rule = rule;
                let lang = page_lang(req);
                let t = lang.texts();
                let (title, body) = if status == 403 {
                    (t.forbidden_title, t.forbidden_body)
                } else {
                    (t.not_found_title, t.not_found_body)
                };
                Step::Reply(Reply::html(
                    status,
                    pages::message(lang, title, body, None),
                    Decision::Deny,
                    reason,
                ))
            }
        }
    }
}

#[async_trait]
impl ProxyHttp for Proxy {
    type CTX = Ctx;

    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {
        // No response compression or other modules: the gateway passes bodies through as the
        // upstream sent them, and an unused module still costs setup on every request.
    }

    fn new_ctx(&self) -> Ctx {
        Ctx {
            start: Instant::now(),
            request_id: self.state.audit.next_request_id(),
            route: None,
            session: None,
            who: None,
            unaudited: false,
            decision: Decision::Deny,
            reason: "undecided",
            user: None,
            session_key: None,
            upstream: None,
            client: None,
            host: None,
            rewritten: None,
            rule: None,
            credential: None,
            legacy: None,
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        // `audit.on_failure = "fail_closed"`: while records cannot be written, nothing is
        // served but the health checks (which then say why).
        if !self.state.audit.accepting() {
            ctx.unaudited = true;
            let path = session.req_header().uri.path();
            if path != "/healthz" && path != "/readyz" {
                self.state.audit.note_refused();
                let reply = Reply::audit_unavailable(page_lang(session.req_header()));
                return self.apply(session, ctx, Step::Reply(reply)).await;
            }
        }
        let step = self.decide(session, ctx).await;
        self.apply(session, ctx, step).await
    }

    async fn upstream_peer(&self, session: &mut Session, ctx: &mut Ctx) -> Result<Box<HttpPeer>> {
        let Some(route) = ctx.route else {
            return Err(Error::explain(ErrorType::InternalError, "no route chosen"));
        };
        let backend = self.state.balancers[route.0]
            .select(b"", 256)
            .ok_or_else(|| Error::explain(ErrorType::HTTPStatus(502), "no upstream available"))?;
        let Some(addr) = backend.addr.as_inet().copied() else {
            return Err(Error::explain(
                ErrorType::InternalError,
                "upstream is not an IP address",
            ));
        };
        ctx.upstream = Some(addr);
        let route = self.state.routes.get(route);
        let mut peer = HttpPeer::new(addr, false, String::new());
        peer.options.connection_timeout = Some(route.connect_timeout);
        peer.options.total_connection_timeout = Some(route.connect_timeout);
        peer.options.read_timeout = Some(route.read_timeout);
        peer.options.idle_timeout = Some(Duration::from_secs(60));
        // A WebSocket (the chat) may stay quiet for a long time between messages.
        if session.req_header().headers.contains_key("upgrade") {
            peer.options.read_timeout = Some(WEBSOCKET_IDLE);
        }
        Ok(Box::new(peer))
    }

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        self.prepare_upstream(upstream, ctx)
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        resp: &mut ResponseHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        let route = ctx.route.map(|r| self.state.routes.get(r));
        let req = session.req_header();
        let requested = req
            .uri
            .authority()
            .map(|a| a.as_str())
            .or_else(|| header_str(req, "host"))
            .unwrap_or_default();
        crate::response::apply(
            resp,
            route,
            crate::response::Authorities {
                upstream: ctx.upstream,
                requested,
            },
        )?;
        match route {
            Some(route) if route.uses_vault() => self.legacy_response(resp, route, ctx),
            _ => Ok(()),
        }
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<Option<Duration>> {
        if ctx.legacy.is_some() {
            self.legacy_body(body, end_of_stream, ctx);
        }
        Ok(None)
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        let timed_out = e.esource() == &ErrorSource::Upstream
            && matches!(
                e.etype(),
                ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout
            );
        let code = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            _ if timed_out => 504,
            _ => match e.esource() {
                ErrorSource::Upstream => 502,
                ErrorSource::Downstream => match e.etype() {
                    ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed => 0,
                    _ => 400,
                },
                ErrorSource::Internal | ErrorSource::Unset => 500,
            },
        };
        if code >= 500 {
            ctx.decision = Decision::Allow;
            ctx.reason = if timed_out {
                "upstream_timeout"
            } else {
                "upstream_failed"
            };
            let lang = page_lang(session.req_header());
            let t = lang.texts();
            let name = ctx.route.map_or("", |r| {
                let route = self.state.routes.get(r);
                match lang {
                    Lang::Ja => route.name.as_str(),
                    Lang::En => route.name_en.as_str(),
                }
            });
            let (title, text) = if timed_out {
                (t.timeout_title, t.timeout_body)
            } else {
                (t.unavailable_title, t.unavailable_body)
            };
            let title = format!("{name} {title}");
            let body = Bytes::from(pages::message(lang, title.trim(), text, None));
            if let Ok(mut resp) = ResponseHeader::build(code, Some(4)) {
                let _ = resp.insert_header("content-type", "text/html; charset=utf-8");
                let _ = resp.insert_header("content-length", body.len().to_string());
                let _ = resp.insert_header("cache-control", "no-store");
                if session
                    .write_response_header(Box::new(resp), false)
                    .await
                    .is_ok()
                {
                    let _ = session.write_response_body(Some(body), true).await;
                }
            }
        } else if code > 0 {
            ctx.reason = "bad_request";
            let _ = session.respond_error(code).await;
        }
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, session: &mut Session, _e: Option<&pingora::Error>, ctx: &mut Ctx) {
        let req = session.req_header();
        let status = session.response_written().map(|r| r.status.as_u16());
        self.state.metrics.request(ctx.decision, status);
        if matches!(ctx.decision, Decision::Success | Decision::Failure)
            && req.uri.path() == crate::access::LOGIN_PATH
        {
            self.state
                .metrics
                .login(matches!(ctx.decision, Decision::Success));
        }
        if ctx.unaudited {
            return;
        }
        let tls = session
            .digest()
            .and_then(|d| d.ssl_digest.as_ref())
            .and_then(|d| match &d.version {
                std::borrow::Cow::Borrowed(v) => Some(*v),
                std::borrow::Cow::Owned(_) => None,
            });
        self.state.audit.request(RequestFacts {
            time_ms: sso::audit::record::now_ms(),
            request_id: ctx.request_id,
            peer: ctx.client,
            who: ctx.who.take(),
            user: ctx.user.take(),
            session_key: ctx.session_key.take(),
            method: req.method.clone(),
            version: req.version,
            host: ctx.host.take(),
            uri: req.uri.clone(),
            route: ctx.route,
            rule: ctx.rule.take(),
            upstream: ctx.upstream,
            credential: ctx.credential,
            status,
            bytes_in: session.body_bytes_read() as u64,
            bytes_out: session.body_bytes_sent() as u64,
            duration_ns: u64::try_from(ctx.start.elapsed().as_nanos()).unwrap_or(u64::MAX),
            user_agent: req.headers.get(http::header::USER_AGENT).cloned(),
            tls,
            decision: ctx.decision,
            reason: ctx.reason,
        });
    }
}
