//! The access decision for a proxied request, as a value: forward, send to login, or deny.
//!
//! Pingora's `request_filter` returns a bare `bool`; this module decides with an enum and
//! `proxy/` turns the enum into Pingora calls in one place.

use std::sync::Arc;

use crate::routing::Route;
use sso::{Identity, SafeReturnPath};

/// Where the login page lives.
pub const LOGIN_PATH: &str = "/.yakuba/login";

/// What the session lookup found.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// A live session for this identity.
    User(&'a Identity),
    /// No usable session; the reason code says why.
    Anonymous(&'static str),
}

/// The decision for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward to the matched route's upstream (with identity, unless the route is public).
    Forward {
        /// The policy rule that allowed it; none on a public route.
        rule: Option<Arc<str>>,
    },
    /// A browser without a session: 302 to the login page, then back here.
    RedirectToLogin {
        /// Where to return after login.
        return_to: SafeReturnPath,
        /// Why there is no session.
        reason: &'static str,
    },
    /// Refuse with a status and a reason code.
    Deny {
        /// 401, 403 or 404.
        status: u16,
        /// Reason code for the audit record.
        reason: &'static str,
        /// The policy rule that refused it, when one did.
        rule: Option<Arc<str>>,
    },
}

/// What the decision looks at besides the route and the user.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The canonical path.
    pub path: &'a str,
    /// Whether a browser is navigating (login redirect rather than 401).
    pub navigation: bool,
    /// The path and query asked for, the return path after login.
    pub target: &'a str,
}

/// Whether the request looks like a browser navigating (as opposed to an API call or an
/// asset fetch), which decides between a login redirect and a bare 401.
pub fn is_navigation(method: &str, sec_fetch_mode: Option<&str>, accept: Option<&str>) -> bool {
    match sec_fetch_mode {
        Some(mode) => mode.eq_ignore_ascii_case("navigate"),
        None => {
            (method == "GET" || method == "HEAD")
                && accept.is_some_and(|a| a.to_ascii_lowercase().contains("text/html"))
        }
    }
}

/// Decide for `req` to `route` (if any matched) by `who`: no route is a 404; a public route
/// is open; otherwise a session is needed and the route's policy judges.
pub fn decide(route: Option<&Route>, who: Who<'_>, req: &Request<'_>) -> Verdict {
    let Some(route) = route else {
        return Verdict::Deny {
            status: 404,
            reason: "no_route",
            rule: None,
        };
    };
    if route.public {
        return Verdict::Forward { rule: None };
    }
    match who {
        Who::Anonymous(reason) if req.navigation => Verdict::RedirectToLogin {
            return_to: SafeReturnPath::parse_or_root(Some(req.target)),
            reason,
        },
        Who::Anonymous(reason) => Verdict::Deny {
            status: 401,
            reason,
            rule: None,
        },
        Who::User(identity) => {
            let judgement = route.judge(identity, req.method, req.path);
            if judgement.allowed {
                Verdict::Forward {
                    rule: Some(judgement.rule),
                }
            } else {
                Verdict::Deny {
                    status: 403,
                    reason: "policy_denied",
                    rule: Some(judgement.rule),
                }
            }
        }
    }
}

/// The login page URL that returns to `return_to`.
pub fn login_location(return_to: &SafeReturnPath) -> String {
    if return_to.as_str() == "/" {
        LOGIN_PATH.to_owned()
    } else {
        let encoded: String =
            form_urlencoded::byte_serialize(return_to.as_str().as_bytes()).collect();
        format!("{LOGIN_PATH}?return_to={encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::IdentityMode;
    use sso::AuthMethod;

    fn route(groups: &[&str]) -> Route {
        Route {
            id: "r".into(),
            name: "r".into(),
            name_en: "r".into(),
            host: None,
            prefix: "/".into(),
            upstreams: vec![],
            identity: IdentityMode::Assertion,
            audience: Some("a".into()),
            headers: vec![],
            tile: false,
            policy: crate::policy::Policy::new(
                "r",
                &[],
                &groups.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>(),
            ),
            public: false,
            strip_prefix: false,
            response_headers: vec![],
            form_login: None,
            upstream_host: None,
            connect_timeout: std::time::Duration::from_secs(3),
            read_timeout: std::time::Duration::from_secs(120),
        }
    }

    fn req(navigation: bool, target: &str) -> Request<'_> {
        Request {
            method: "GET",
            path: target.split('?').next().unwrap_or("/"),
            navigation,
            target,
        }
    }

    fn user(groups: &[&str]) -> Identity {
        Identity {
            user: "u".into(),
            name: "u".into(),
            mail: None,
            department: None,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            method: AuthMethod::Local,
        }
    }

    #[test]
    fn browsers_without_a_session_go_to_login_and_come_back() {
        let v = decide(
            Some(&route(&[])),
            Who::Anonymous("no_session"),
            &req(true, "/denkessai/x?a=1"),
        );
        assert_eq!(
            v,
            Verdict::RedirectToLogin {
                return_to: SafeReturnPath::parse("/denkessai/x?a=1").unwrap(),
                reason: "no_session"
            }
        );
    }

    #[test]
    fn api_calls_without_a_session_get_401() {
        let v = decide(
            Some(&route(&[])),
            Who::Anonymous("no_session"),
            &req(false, "/api"),
        );
        assert_eq!(
            v,
            Verdict::Deny {
                status: 401,
                reason: "no_session",
                rule: None
            }
        );
        // A public route needs no session.
        let mut open = route(&[]);
        open.public = true;
        assert_eq!(
            decide(Some(&open), Who::Anonymous("no_session"), &req(false, "/x")),
            Verdict::Forward { rule: None }
        );
    }

    #[test]
    fn no_route_is_denied_even_for_users() {
        let who = user(&[]);
        assert_eq!(
            decide(None, Who::User(&who), &req(true, "/")),
            Verdict::Deny {
                status: 404,
                reason: "no_route",
                rule: None
            }
        );
    }

    #[test]
    fn group_restricted_routes_need_the_group() {
        let r = route(&["zaimu"]);
        assert_eq!(
            decide(Some(&r), Who::User(&user(&[])), &req(true, "/")),
            Verdict::Deny {
                status: 403,
                reason: "policy_denied",
                rule: Some("routes.r.allow_groups".into())
            }
        );
        assert_eq!(
            decide(Some(&r), Who::User(&user(&["zaimu"])), &req(true, "/")),
            Verdict::Forward {
                rule: Some("routes.r.allow_groups".into())
            }
        );
    }

    #[test]
    fn navigation_is_recognised_from_fetch_metadata_or_accept() {
        assert!(is_navigation("GET", Some("navigate"), None));
        assert!(!is_navigation("GET", Some("cors"), Some("text/html")));
        assert!(is_navigation(
            "GET",
            None,
            Some("text/html,application/xhtml+xml")
        ));
        assert!(!is_navigation("POST", None, Some("text/html")));
        assert!(!is_navigation("GET", None, Some("application/json")));
        assert!(!is_navigation("GET", None, None));
    }

    #[test]
    fn login_locations_carry_the_encoded_return_path() {
        assert_eq!(login_location(&SafeReturnPath::root()), "/.yakuba/login");
        assert_eq!(
            login_location(&SafeReturnPath::parse("/a?b=1&c=2").unwrap()),
            "/.yakuba/login?return_to=%2Fa%3Fb%3D1%26c%3D2"
        );
    }
}
