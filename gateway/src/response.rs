//! What the gateway changes in every upstream response: no `Server` header, the security
//! headers, the route's own content and frame policy, and for a system mounted under a prefix
//! its redirects and cookie paths put back under that prefix.

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

/// Apply the response policy of `route` to `resp`. `own` are the authorities an upstream may
/// name as itself in a redirect: the address it was reached at, and the authority the
/// browser asked for (the `Host` of HTTP/1, the `:authority` of HTTP/2).
pub fn apply(resp: &mut ResponseHeader, route: Option<&Route>, own: &[&str]) -> Result<()> {
    resp.remove_header("server");
    if let Some(route) = route.filter(|r| r.strip_prefix)
        && let Some(location) = resp.headers.get("location").and_then(|v| v.to_str().ok())
    {
        let moved = mount::location(&route.prefix, location, own);
        resp.insert_header("location", moved)?;
    }
    if let Some(route) = route
        && resp.headers.contains_key("set-cookie")
    {
        let cookies: Vec<String> = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        resp.remove_header("set-cookie");
        for cookie in cookies {
            if let Some(cookie) = upstream_cookie(route, &cookie) {
                resp.append_header("set-cookie", cookie)?;
            }
        }
    }
    for (name, value) in SECURITY_HEADERS {
        if resp.headers.get(name).is_none() {
            resp.insert_header(name, value)?;
        }
    }
    if let Some(route) = route {
        for (name, value) in &route.response_headers {
            resp.insert_header(*name, value.as_str())?;
        }
    }
    Ok(())
}
