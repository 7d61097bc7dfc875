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

/// Apply the response policy of `route` to `resp`. `own` are the authorities an upstream may
/// name as itself in a redirect: the address it was reached at, and the authority the
/// browser asked for (the `Host` of HTTP/1, the `:authority` of HTTP/2).
pub fn apply(resp: &mut ResponseHeader, route: Option<&Route>, own: &[&str]) -> Result<()> {
    resp.remove_header("server");
    if let Some(route) = route.filter(|r| r.strip_prefix) {
        if let Some(location) = resp.headers.get("location").and_then(|v| v.to_str().ok()) {
            let moved = mount::location(&route.prefix, location, own);
            resp.insert_header("location", moved)?;
        }
        let cookies: Vec<String> = resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        if !cookies.is_empty() {
            resp.remove_header("set-cookie");
            for cookie in cookies {
                resp.append_header("set-cookie", mount::set_cookie(&route.prefix, &cookie))?;
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
