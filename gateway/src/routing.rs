//! Which route a request belongs to: host and longest path prefix, on a checked path.
//!
//! The same canonical [`RequestPath`] is what routing and access decisions look at (and what
//! the upstream is sent), so no spelling of a path can be routed one way and judged another.

pub use crate::canonical::RequestPath;
use crate::config::{HeaderSpec, IdentityMode, RouteSection};
use crate::policy::{Judgement, Policy};
use sso::{AppLink, Identity};

/// A prefix in its matching form: no trailing slash, except for the root.
pub fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// A configured route in its runtime form.
#[derive(Debug, Clone)]
pub struct Route {
    /// Stable id.
    pub id: String,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Host to match, lower-case, when the route is host-specific.
    pub host: Option<String>,
    /// Normalised path prefix.
    pub prefix: String,
    /// Upstream addresses.
    pub upstreams: Vec<String>,
    /// How identity is passed on.
    pub identity: IdentityMode,
    /// Assertion audience.
    pub audience: Option<String>,
    /// Identity headers for legacy routes.
    pub headers: Vec<HeaderSpec>,
    /// Whether the portal shows a tile.
    pub tile: bool,
    /// Who may open what (rules, then `allow_groups`).
    pub policy: Policy,
    /// Open without a session.
    pub public: bool,
    /// The upstream is mounted under `prefix` (see `config::RouteSection::strip_prefix`).
    pub strip_prefix: bool,
    /// Response headers this route sets over the upstream's (CSP, frame policy).
    pub response_headers: Vec<(&'static str, String)>,
    /// How the gateway logs into the system's own form (`identity = "form_login"`).
    pub form_login: Option<FormLogin>,
    /// `Host` sent upstream instead of the browser's.
    pub upstream_host: Option<String>,
    /// Limit on connecting to one upstream.
    pub connect_timeout: std::time::Duration,
    /// Limit on the upstream's silence while it answers.
    pub read_timeout: std::time::Duration,
}

/// A route's login form, with its paths as the browser sees them.
#[derive(Debug, Clone)]
pub struct FormLogin {
    /// The configuration (upstream paths).
    pub settings: sso::form_login::FormLoginSettings,
    /// The login page's canonical path at the gateway.
    pub login_path: String,
    /// The system's own logout at the gateway, if configured.
    pub logout_path: Option<String>,
}

impl Route {
    fn from_section(s: &RouteSection) -> Route {
        Route {
            id: s.id.clone(),
            name: s.name.clone(),
            name_en: s.name_en.clone().unwrap_or_else(|| s.name.clone()),
            host: s.host.as_ref().map(|h| h.to_ascii_lowercase()),
            prefix: normalise_prefix(&s.path_prefix),
            upstreams: s.upstreams.clone(),
            identity: s.identity,
            audience: s.audience.clone(),
            headers: s.headers.clone(),
            tile: s.tile,
            policy: Policy::new(&s.id, &s.rules, &s.allow_groups),
            public: s.public,
            strip_prefix: s.strip_prefix && s.path_prefix != "/",
            response_headers: [
                ("content-security-policy", &s.content_security_policy),
                ("x-frame-options", &s.frame_options),
            ]
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
            .collect(),
            upstream_host: s.upstream_host.clone(),
            connect_timeout: s.connect_timeout,
            read_timeout: s.read_timeout,
            form_login: s.form_login.as_ref().map(|settings| {
                let at_gateway = |upstream_path: &str| {
                    if s.strip_prefix && s.path_prefix != "/" {
                        format!("{}{upstream_path}", normalise_prefix(&s.path_prefix))
                    } else {
                        upstream_path.to_owned()
                    }
                };
                FormLogin {
                    login_path: at_gateway(&settings.login_path),
                    logout_path: settings.logout_path.as_deref().map(at_gateway),
                    settings: settings.clone(),
                }
            }),
        }
    }

    /// Whether users need credentials from the vault for this system.
    pub fn uses_vault(&self) -> bool {
        matches!(self.identity, IdentityMode::Basic | IdentityMode::FormLogin)
    }

    fn matches_path(&self, path: &str) -> bool {
        crate::policy::under_prefix(path, &self.prefix)
    }

    /// The policy's judgement of `method path` (canonical) by `identity` on this route.
    pub fn judge(&self, identity: &Identity, method: &str, path: &str) -> Judgement {
        self.policy.judge(identity, method, path)
    }

    /// Whether `identity` may open this route's front page (for portal tiles).
    pub fn allows(&self, identity: &Identity) -> bool {
        self.judge(identity, "GET", &self.href_path()).allowed
    }

    /// The route's front page path at the gateway.
    pub fn href_path(&self) -> String {
        if self.prefix == "/" {
            "/".to_owned()
        } else {
            format!("{}/", self.prefix)
        }
    }

    /// Where the portal tile links to.
    pub fn href(&self) -> String {
        let path = if self.prefix == "/" {
            "/".to_owned()
        } else {
            format!("{}/", self.prefix)
        };
        match &self.host {
            Some(host) => format!("https://{host}{path}"),
            None => path,
        }
    }
}

/// Index of a route in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteIdx(pub usize);

/// All routes, in configuration order.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Build from the validated configuration.
    pub fn new(sections: &[RouteSection]) -> RouteTable {
        RouteTable {
            routes: sections.iter().map(Route::from_section).collect(),
        }
    }

    /// All routes.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// A route's index by its id.
    pub fn index_of(&self, id: &str) -> Option<RouteIdx> {
        self.routes.iter().position(|r| r.id == id).map(RouteIdx)
    }

    /// A route by index.
    pub fn get(&self, idx: RouteIdx) -> &Route {
        &self.routes[idx.0]
    }

    /// The route for `host` (without port) and `path`: host-specific routes first, then the
    /// longest matching prefix.
    pub fn find(&self, host: Option<&str>, path: &RequestPath) -> Option<RouteIdx> {
        let host = host.map(str::to_ascii_lowercase);
        self.routes
            .iter()
            .enumerate()
            .filter(|(_, r)| match &r.host {
                Some(h) => host.as_deref() == Some(h.as_str()),
                None => true,
            })
            .filter(|(_, r)| r.matches_path(path.as_str()))
            .max_by_key(|(_, r)| (r.host.is_some(), r.prefix.len()))
            .map(|(i, _)| RouteIdx(i))
    }

    /// The tiles `identity` may open, in configuration order.
    pub fn apps_for(&self, identity: &Identity) -> Vec<AppLink> {
        self.routes
            .iter()
            .filter(|r| r.tile && r.allows(identity))
            .map(|r| AppLink {
                id: r.id.clone(),
                name: r.name.clone(),
                name_en: r.name_en.clone(),
                href: r.href(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GatewayConfig;
    use sso::AuthMethod;

    fn table() -> RouteTable {
        let config = GatewayConfig::parse(
            r#"
[server]
https = "127.0.0.1:1"
data_dir = "/tmp"
[tls]
cert = "c"
key = "k"
[[routes]]
id = "app"
name = "ポータル"
upstreams = ["127.0.0.1:1"]
identity = "assertion"
audience = "yakuba-app"
[[routes]]
id = "denkessai"
name = "電子決裁"
path_prefix = "/denkessai/"
upstreams = ["127.0.0.1:2"]
identity = "headers"
tile = true
[[routes.headers]]
name = "X-Remote-User"
value = "user"
[[routes]]
id = "zaimu"
name = "財務会計"
path_prefix = "/zaimu"
upstreams = ["127.0.0.1:3"]
identity = "headers"
tile = true
allow_groups = ["zaimu-users"]
[[routes.headers]]
name = "X-Remote-User"
value = "user"
[[routes]]
id = "zaimu-host"
name = "財務会計(専用ホスト)"
host = "Zaimu.City.Example"
upstreams = ["127.0.0.1:4"]
identity = "headers"
[[routes.headers]]
name = "X-Remote-User"
value = "user"
"#,
        )
        .unwrap();
        RouteTable::new(&config.routes)
    }

    fn route_of(t: &RouteTable, host: Option<&str>, path: &str) -> Option<String> {
        let p = RequestPath::parse(path).unwrap();
        t.find(host, &p).map(|i| t.get(i).id.clone())
    }

    #[test]
    fn longest_prefix_wins_at_segment_boundaries() {
        let t = table();
        let cases = [
            ("/", "app"),
            ("/portal", "app"),
            ("/denkessai", "denkessai"),
            ("/denkessai/", "denkessai"),
            ("/denkessai/list?x", "denkessai"),
            ("/denkessaix", "app"),
            ("/zaimu/a/b", "zaimu"),
            ("/zaimu2", "app"),
        ];
        for (path, expected) in cases {
            assert_eq!(
                route_of(&t, Some("localhost"), path).as_deref(),
                Some(expected),
                "{path}"
            );
        }
    }

    #[test]
    fn host_routes_win_for_their_host_only() {
        let t = table();
        assert_eq!(
            route_of(&t, Some("zaimu.city.example"), "/").as_deref(),
            Some("zaimu-host")
        );
        assert_eq!(
            route_of(&t, Some("ZAIMU.city.example"), "/denkessai/").as_deref(),
            Some("zaimu-host")
        );
        assert_eq!(route_of(&t, Some("other"), "/").as_deref(), Some("app"));
        assert_eq!(route_of(&t, None, "/").as_deref(), Some("app"));
    }

    #[test]
    fn tiles_follow_group_rules() {
        let t = table();
        let mut who = Identity {
            user: "yamada".into(),
            name: "山田 太郎".into(),
            mail: None,
            department: None,
            groups: vec![],
            method: AuthMethod::Local,
        };
        let ids = |apps: Vec<AppLink>| apps.into_iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids(t.apps_for(&who)), ["denkessai"]);
        who.groups.push("ZAIMU-users".into());
        assert_eq!(ids(t.apps_for(&who)), ["denkessai", "zaimu"]);
        assert_eq!(t.apps_for(&who)[0].href, "/denkessai/");
    }
}
