//! The proxy's side of single sign-on into systems with their own login (see `legacy.rs` at
//! the crate root for the decisions): what a request on such a route carries through
//! Pingora's phases, and how its responses and bodies are changed.

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::prelude::*;

use super::{Ctx, Proxy, Step};
use crate::access;
use crate::audit::{Action, Decision, Record};
use crate::endpoints::Reply;
use crate::lang::Lang;
use crate::sessions::LiveSession;

/// What a request on a route with vault credentials needs in later phases.
pub(super) struct LegacyCtx {
    /// Canonical path at the gateway.
    pub(super) path: String,
    /// Where the browser was going (a safe same-origin path).
    pub(super) return_to: String,
    /// A browser navigation.
    pub(super) navigation: bool,
    /// `Authorization` for HTTP Basic.
    pub(super) basic: Option<http::HeaderValue>,
    /// The response was replaced by a redirect: drop the upstream's body.
    pub(super) drop_body: bool,
    /// The body is held back to look for the login page.
    pub(super) sniff: Option<crate::legacy::Sniff>,
}

impl Proxy {
    /// A request allowed onto a route whose users need their own credentials (HTTP Basic or
    /// a login form): send them to enrol when they have none, to the replay when they ask for
    /// the login page, otherwise forward with what the later phases need.
    pub(super) async fn legacy_step(
        &self,
        ctx: &mut Ctx,
        route: &crate::routing::Route,
        live: &LiveSession,
        request: &access::Request<'_>,
    ) -> Step {
        let return_to = sso::SafeReturnPath::parse_or_root(Some(request.target))
            .as_str()
            .to_owned();
        let mut legacy = LegacyCtx {
            path: request.path.to_owned(),
            return_to,
            navigation: request.navigation,
            basic: None,
            drop_body: false,
            sniff: None,
        };
        if let Some(form) = &route.form_login {
            if crate::legacy::on_request(form, request.method, request.path) {
                return Step::Reply(Reply::redirect(
                    302,
                    crate::legacy::replay_location(&route.id, &route.href_path()),
                    Decision::Allow,
                    "form_login_page",
                ));
            }
        } else {
            match self.state.vault.get(&live.identity.user, &route.id).await {
                Ok(Some(credential)) => {
                    legacy.basic = crate::legacy::basic_authorization(&credential);
                    ctx.credential = Some("vault");
                }
                Ok(None) if request.navigation => {
                    return Step::Reply(Reply::redirect(
                        302,
                        crate::legacy::enrol_location(&route.id, &legacy.return_to, false),
                        Decision::Allow,
                        "vault_enrolment_needed",
                    ));
                }
                Ok(None) => {
                    return Step::Reply(Reply {
                        headers: vec![
                            ("content-type", "application/json".to_owned()),
                            ("cache-control", "no-store".to_owned()),
                        ],
                        body: Bytes::from(format!(
                            "{{\"error\":\"credentials_required\",\"enrol\":\"{}/{}\"}}\n",
                            crate::legacy::VAULT_PREFIX,
                            route.id
                        )),
                        ..Reply::text(401, "", Decision::Deny, "vault_enrolment_needed")
                    });
                }
                Err(e) => {
                    tracing::error!(error = %e, route = %route.id, "credential vault failed");
                    return Step::Reply(Reply::store_unavailable(Lang::Ja));
                }
            }
        }
        ctx.legacy = Some(Box::new(legacy));
        Step::Forward
    }

    /// An upstream response on a route with vault credentials: recognise the system's login
    /// page, its own logout and refused Basic credentials (see `legacy.rs`).
    pub(super) fn legacy_response(
        &self,
        resp: &mut ResponseHeader,
        route: &crate::routing::Route,
        ctx: &mut Ctx,
    ) -> Result<()> {
        use crate::legacy::{Intercept, ResponseFacts};
        let Some(legacy) = ctx.legacy.as_mut() else {
            return Ok(());
        };
        let header = |name: &str| resp.headers.get(name).and_then(|v| v.to_str().ok());
        let facts = ResponseFacts {
            status: resp.status.as_u16(),
            location: header("location"),
            content_type: header("content-type"),
            content_encoding: header("content-encoding"),
            path: &legacy.path,
            navigation: legacy.navigation,
        };
        let redirect_to = match crate::legacy::on_response(route, &facts) {
            Intercept::Pass => None,
            Intercept::LoggedOut => {
                ctx.reason = "legacy_logout";
                Some(crate::legacy::logged_out_location(&route.id))
            }
            Intercept::ToLogin => {
                ctx.reason = "form_login_redirect";
                let target = if legacy.navigation {
                    legacy.return_to.clone()
                } else {
                    route.href_path()
                };
                Some(crate::legacy::replay_location(&route.id, &target))
            }
            Intercept::Sniff => {
                let coding = header("content-encoding").map(str::to_owned);
                legacy.sniff = Some(crate::legacy::Sniff::new(coding.as_deref()));
                resp.remove_header("content-length");
                resp.insert_header("transfer-encoding", "chunked")?;
                None
            }
            Intercept::BasicRefused => {
                let record = Record {
                    client: ctx.client.map(|a| a.ip()),
                    route: Some(route.id.clone()),
                    request_id: Some(self.state.audit.request_id(ctx.request_id)),
                    ..Record::new(
                        Action::Vault,
                        Decision::Failure,
                        "vault_credentials_refused",
                    )
                };
                if let Some(live) = &ctx.who {
                    self.state
                        .vault
                        .forget_cached(&live.identity.user, &route.id);
                    self.state
                        .audit
                        .record(crate::audit::with_session(record, live));
                }
                if legacy.navigation {
                    ctx.reason = "vault_credentials_refused";
                    Some(crate::legacy::enrol_location(
                        &route.id,
                        &legacy.return_to,
                        true,
                    ))
                } else {
                    // No browser dialog for the system's realm: the gateway owns the login.
                    resp.remove_header("www-authenticate");
                    None
                }
            }
        };
        if let Some(location) = redirect_to {
            resp.set_status(302)?;
            for name in [
                "content-length",
                "content-type",
                "content-encoding",
                "transfer-encoding",
                "www-authenticate",
            ] {
                resp.remove_header(name);
            }
            resp.insert_header("location", location)?;
            resp.insert_header("content-length", "0")?;
            resp.insert_header("cache-control", "no-store")?;
            legacy.drop_body = true;
        }
        Ok(())
    }

    /// A body chunk of a response on such a route: dropped when the response became a
    /// redirect, held back while the login marker is looked for.
    pub(super) fn legacy_body(&self, body: &mut Option<Bytes>, end_of_stream: bool, ctx: &mut Ctx) {
        let Some(legacy) = ctx.legacy.as_mut() else {
            return;
        };
        if legacy.drop_body {
            *body = None;
            return;
        }
        let Some(sniff) = legacy.sniff.as_mut() else {
            return;
        };
        let Some(route) = ctx.route.map(|r| self.state.routes.get(r)) else {
            return;
        };
        let Some(form) = &route.form_login else {
            return;
        };
        use crate::legacy::Sniffed;
        match sniff.push(body.as_ref(), end_of_stream, form) {
            Sniffed::Holding => *body = None,
            Sniffed::Pass(bytes) => *body = (!bytes.is_empty()).then_some(bytes),
            Sniffed::LoginPage => {
                ctx.reason = "form_login_page";
                let location = crate::legacy::replay_location(&route.id, &legacy.return_to);
                *body = Some(sniff.replacement(&location));
            }
        }
    }
}
