//! Reading what the gateway needs from a request header: its host, a header as text, one
//! cookie.

use pingora::http::RequestHeader;

use crate::cookies::{self, CookieValue};

/// The host a request names (URI authority or `Host`), lower-cased, without its port.
pub fn host_of(req: &RequestHeader) -> Option<String> {
    let raw = match req.uri.host() {
        Some(host) => host,
        None => req.headers.get("host").and_then(|h| h.to_str().ok())?,
    };
    // Strip a port, keeping IPv6 literals intact.
    let host = match raw.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => raw,
    };
    Some(host.to_ascii_lowercase())
}

/// A header's value as text, if it is one.
pub fn header_str<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// What the request's `Cookie` headers say about cookie `name`.
pub fn cookie(req: &RequestHeader, name: &str) -> CookieValue {
    cookies::find(
        req.headers.get_all("cookie").iter().map(|v| v.as_bytes()),
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_their_port_and_case() {
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("host", "LocalHost:8443").unwrap();
        assert_eq!(host_of(&req).as_deref(), Some("localhost"));
        let mut req = RequestHeader::build("GET", b"/", None).unwrap();
        req.insert_header("host", "[::1]:8443").unwrap();
        assert_eq!(host_of(&req).as_deref(), Some("[::1]"));
    }
}
