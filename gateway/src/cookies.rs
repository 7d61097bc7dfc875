//! The gateway's cookies: reading them from requests and writing `Set-Cookie` values.

/// The session cookie. `__Host-` makes browsers insist on Secure, Path=/ and no Domain.
pub const SESSION: &str = "__Host-yakuba_session";
/// The pre-login cookie that binds the login form's CSRF token.
pub const LOGIN_NONCE: &str = "__Host-yakuba_login";
/// The `state` of a login sent to an OpenID provider, binding its callback to this browser.
pub const OIDC_STATE: &str = "__Host-yakuba_oidc";
/// The language preference, shared with the app (not secret).
pub const LANG: &str = "yakuba_lang";

/// Whether a cookie name belongs to the gateway and must not be forwarded. Case is ignored:
/// a browser never sends `__host-yakuba_session`, but a client copying its session id under
/// such a name must not get it passed to a legacy system either.
pub fn is_gateway_cookie(name: &str) -> bool {
    [SESSION, LOGIN_NONCE, OIDC_STATE]
        .iter()
        .any(|ours| name.eq_ignore_ascii_case(ours))
}

/// What a request's cookies say about one cookie name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieValue {
    /// Not sent.
    Absent,
    /// Sent exactly once.
    One(String),
    /// Sent more than once, which a browser does not do for `__Host-` cookies.
    Duplicated,
}

impl CookieValue {
    /// The value when sent exactly once.
    pub fn one(&self) -> Option<&str> {
        match self {
            CookieValue::One(v) => Some(v),
            _ => None,
        }
    }
}

/// Find `name` among the values of every `Cookie` header.
pub fn find<'a>(headers: impl Iterator<Item = &'a [u8]>, name: &str) -> CookieValue {
    let mut found = CookieValue::Absent;
    for header in headers {
        let Ok(text) = std::str::from_utf8(header) else {
            continue;
        };
        for pair in text.split(';') {
            let Some((k, v)) = pair.trim().split_once('=') else {
                continue;
            };
            if k.trim() == name {
                found = match found {
                    CookieValue::Absent => CookieValue::One(v.trim().to_owned()),
                    _ => CookieValue::Duplicated,
                };
            }
        }
    }
    found
}

/// `Set-Cookie` for a gateway cookie (Secure, HttpOnly, Path=/).
pub fn set(name: &str, value: &str, same_site: &str, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// `Set-Cookie` that deletes a gateway cookie.
pub fn clear(name: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_across_headers_and_duplicates_are_flagged() {
        let one: Vec<&[u8]> = vec![b"a=1; __Host-yakuba_session=abc ; b=2"];
        assert_eq!(
            find(one.into_iter(), SESSION),
            CookieValue::One("abc".into())
        );
        let two: Vec<&[u8]> = vec![b"__Host-yakuba_session=a", b"x=1; __Host-yakuba_session=b"];
        assert_eq!(find(two.into_iter(), SESSION), CookieValue::Duplicated);
        let none: Vec<&[u8]> = vec![b"garbage;;;==;", b"\xff\xfe"];
        assert_eq!(find(none.into_iter(), SESSION), CookieValue::Absent);
    }

    #[test]
    fn session_cookies_carry_the_host_prefix_attributes() {
        let c = set(SESSION, "v", "Lax", None);
        assert!(c.starts_with("__Host-yakuba_session=v; Path=/; Secure; HttpOnly; SameSite=Lax"));
        assert!(!c.contains("Domain"));
        assert!(clear(SESSION).contains("Max-Age=0"));
    }
}
