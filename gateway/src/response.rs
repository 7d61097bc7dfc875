//! What the gateway changes in every upstream response: no `Server` header, the security
//! headers, the route's own content and frame policy, and for a system mounted under a prefix
//! its redirects and cookie paths put back under that prefix.

use std::net::SocketAddr;

use http::HeaderValue;
use http::header::{LOCATION, SERVER, SET_COOKIE};
use pingora::http::ResponseHeader;
use pingora::prelude::Result;

use crate::mount;
use crate::routing::Route;

/// Security headers on every response (an upstream's own values are kept).
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("strict-transport-security", "max-age=31536000"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
];

/// A `Set-Cookie` from `route`'s upstream as the browser may get it: under the route's prefix
/// when it is mounted there, and never one that would set a cookie of the gateway's own (a
/// legacy system must not be able to plant a session in the browser).
pub fn upstream_cookie(route: &Route, value: &str) -> Option<String> {
    let name = value.split(['=', ';']).next().unwrap_or_default().trim();
    if crate::cookies::is_gateway_cookie(name) {
        tracing::warn!(route = %route.id, cookie = name, "dropped an upstream cookie with a gateway cookie's name");
        return None;
    }
    Some(if route.strip_prefix {
        mount::set_cookie(&route.prefix, value)
    } else {
        value.to_owned()
    })
}

/// Who an upstream may name as itself in a redirect: the address it was reached at, the
/// authority the browser asked for (the `Host` of HTTP/1, the `:authority` of HTTP/2), and the
/// route's own upstream host name if it has one.
#[derive(Debug, Clone, Copy)]
pub struct Authorities<'a> {
    /// The upstream address the response came from.
    pub upstream: Option<SocketAddr>,
    /// The authority the browser asked for.
    pub requested: &'a str,
}

/// Apply the response policy of `route` to `resp`.
pub fn apply(resp: &mut ResponseHeader, route: Option<&Route>, own: Authorities<'_>) -> Result<()> {
    resp.remove_header(&SERVER);
    if let Some(route) = route.filter(|r| r.strip_prefix)
        && let Some(location) = resp.headers.get(&LOCATION).and_then(|v| v.to_str().ok())
    {
        // Only a redirect from a mounted system pays for the address text.
        let upstream = own
            .upstream
            .map(crate::addr_text::socket)
            .unwrap_or_default();
        let upstream_host = route.upstream_host.as_deref().unwrap_or("");
        let moved = mount::location(
            &route.prefix,
            location,
            &[upstream.as_str(), own.requested, upstream_host],
        );
        resp.insert_header("location", moved)?;
    }
    if let Some(route) = route
        && resp.headers.contains_key(&SET_COOKIE)
    {
        let cookies: Vec<String> = resp
            .headers
            .get_all(&SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        resp.remove_header(&SET_COOKIE);
        for cookie in cookies {
            if let Some(cookie) = upstream_cookie(route, &cookie) {
                resp.append_header("set-cookie", cookie)?;
            }
        }
    }
    for (name, value) in SECURITY_HEADERS {
        if !resp.headers.contains_key(name) {
            resp.append_header(name, HeaderValue::from_static(value))?;
        }
    }
    if let Some(route) = route {
        for (name, value) in &route.response_headers {
            resp.insert_header(*name, value.as_str())?;
        }
    }
    Ok(())
}
