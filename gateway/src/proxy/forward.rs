//! What the upstream receives besides the client's request: the canonical path, no identity
//! header of the client's own, no gateway cookie, the forwarding headers and request id, and
//! the identity the route is configured for.

use pingora::http::RequestHeader;
use pingora::prelude::*;

use super::{Ctx, Proxy};
use crate::config::IdentityMode;
use crate::headers;
use crate::sessions::now;

impl Proxy {
    /// Turn the client's request header into the one sent to the route's upstream.
    pub(super) fn prepare_upstream(
        &self,
        upstream: &mut RequestHeader,
        ctx: &mut Ctx,
    ) -> Result<()> {
        let state = &self.state;
        // The upstream gets the canonical path that routing and policy judged.
        if let Some(target) = ctx.rewritten.take() {
            let uri = target.parse::<http::Uri>().map_err(|e| {
                Error::because(ErrorType::InternalError, "canonical path is not a URI", e)
            })?;
            upstream.set_uri(uri);
        }
        let reserved: Vec<String> = upstream
            .headers
            .keys()
            .filter(|name| state.reserved.is_reserved(name.as_str()))
            .map(|name| name.as_str().to_owned())
            .collect();
        for name in reserved {
            upstream.remove_header(&name);
        }
        if upstream.headers.contains_key(http::header::COOKIE) {
            let kept = headers::strip_gateway_cookies(
                upstream
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .map(|v| v.as_bytes()),
            );
            upstream.remove_header(&http::header::COOKIE);
            if let Some(kept) = kept {
                upstream.insert_header("cookie", kept)?;
            }
        }
        if let Some(client) = ctx.client {
            upstream.insert_header("x-forwarded-for", crate::addr_text::ip(client.ip()))?;
        }
        upstream.insert_header("x-forwarded-proto", http::HeaderValue::from_static("https"))?;
        if let Some(host) = &ctx.host {
            upstream.insert_header("x-forwarded-host", host.as_str())?;
        }
        if let Some(id) = state.audit.request_id_header(ctx.request_id) {
            upstream.insert_header(headers::REQUEST_ID, id)?;
        }

        let Some(route) = ctx.route.map(|r| state.routes.get(r)) else {
            return Err(Error::explain(
                ErrorType::InternalError,
                "forwarding without a route",
            ));
        };
        if let Some(host) = &route.upstream_host {
            upstream.insert_header(http::header::HOST, host.as_str())?;
        }
        if route.public {
            return Ok(());
        }
        let Some(live) = ctx.session.as_ref() else {
            return Err(Error::explain(
                ErrorType::InternalError,
                "forwarding without a session",
            ));
        };
        match route.identity {
            IdentityMode::Assertion => {
                let audience = route.audience.as_deref().unwrap_or("yakuba-app");
                let token = live
                    .assertion(&self.state.signer, audience, now())
                    .ok_or_else(|| Error::explain(ErrorType::InternalError, "no assertion"))?;
                upstream.insert_header(sso::assertion::HEADER, token)?;
            }
            IdentityMode::Headers => {
                for (name, value) in headers::identity_headers(&route.headers, &live.identity) {
                    let value = http::HeaderValue::from_bytes(&value).map_err(|e| {
                        Error::because(ErrorType::InternalError, "identity header value", e)
                    })?;
                    upstream.insert_header(name, value)?;
                }
            }
            IdentityMode::Basic => {
                if let Some(value) = ctx.legacy.as_mut().and_then(|l| l.basic.take()) {
                    upstream.insert_header(http::header::AUTHORIZATION, value)?;
                }
            }
            IdentityMode::FormLogin => {
                // A page that may be the login page is searched for the marker; ask for it
                // uncompressed (old systems may compress anyway, which is handled).
                if route
                    .form_login
                    .as_ref()
                    .is_some_and(|f| f.settings.marker.is_some())
                    && ctx.legacy.as_ref().is_some_and(|l| l.navigation)
                {
                    upstream.insert_header("accept-encoding", "identity")?;
                }
            }
            IdentityMode::None => {}
        }
        Ok(())
    }
}
