//! How to reach one OpenID provider and read its claims, and the HTTP client that follows
//! from it.

use std::path::PathBuf;
use std::time::Duration;

use openidconnect::url::Url;
use serde::{Deserialize, Deserializer};

use super::OidcError;

/// One OpenID provider (an IdP such as Keycloak, Entra ID or a prefectural shared IdP).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// Short name used in URLs and audit records (`city-idp`): ASCII letters, digits, `-`, `_`.
    pub id: String,
    /// The label of the login page's button for this provider.
    pub display_name: OidcLabel,
    /// The issuer; discovery is at `<issuer>/.well-known/openid-configuration`. Must be
    /// `https://` except on loopback.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret (the gateway reads it from a file or credential).
    #[serde(skip)]
    pub client_secret: String,
    /// Scopes asked for besides `openid`. Providers that issue refresh tokens only on request
    /// (Entra ID) need `offline_access` here for [`OidcSettings::refresh`]; others (Keycloak)
    /// issue one anyway and would make it an offline token, which outlives the provider's
    /// session.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The gateway's callback, registered at the provider as a redirect URI.
    pub redirect_url: String,
    /// Where the provider sends the browser after a logout, registered there too.
    #[serde(default)]
    pub post_logout_redirect_url: Option<String>,
    /// Which claims become the identity's fields.
    #[serde(default)]
    pub claims: OidcClaimMapping,
    /// PEM file of the CA(s) that sign the provider's certificate; without it, the system's
    /// trusted roots are used.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Time allowed for each request to the provider (discovery, token, userinfo, keys).
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Time allowed to open a connection to the provider.
    #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// After a token names an unknown key, the provider's keys are fetched again, but not
    /// more often than this, so forged tokens cannot make the gateway hammer the provider.
    #[serde(default = "default_jwks_refetch", deserialize_with = "duration")]
    pub jwks_min_refetch_interval: Duration,
    /// Keep the refresh token of each login so the gateway can re-validate the session at the
    /// provider (a disabled user loses access, changed claims are picked up). On by default;
    /// off, logins carry no refresh token and sessions last as the gateway's rules allow.
    #[serde(default = "default_refresh")]
    pub refresh: bool,
}

/// A label in the login page's two languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcLabel {
    /// Japanese ("庁内統合認証でログイン").
    pub ja: String,
    /// English ("Log in with the city IdP").
    pub en: String,
}

/// Claim names read from the ID token and the userinfo response (userinfo wins).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcClaimMapping {
    /// The login id (`preferred_username`, `upn`, `email`); the login fails without it.
    pub user: String,
    /// Display name; the login id when absent.
    pub name: String,
    /// Mail address.
    pub email: String,
    /// Department name.
    pub department: String,
    /// Groups: an array of strings, or one string.
    pub groups: String,
}

impl Default for OidcClaimMapping {
    fn default() -> Self {
        OidcClaimMapping {
            user: "preferred_username".into(),
            name: "name".into(),
            email: "email".into(),
            department: "department".into(),
            groups: "groups".into(),
        }
    }
}

fn default_scopes() -> Vec<String> {
    vec!["profile".into(), "email".into()]
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_jwks_refetch() -> Duration {
    Duration::from_secs(30)
}
fn default_refresh() -> bool {
    true
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    crate::ldap::parse_duration(&text).map_err(serde::de::Error::custom)
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl OidcSettings {
    /// Settings for `issuer` with every default, for tests and examples.
    pub fn new(id: &str, issuer: &str, client_id: &str, redirect_url: &str) -> OidcSettings {
        OidcSettings {
            id: id.into(),
            display_name: OidcLabel {
                ja: id.into(),
                en: id.into(),
            },
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: String::new(),
            scopes: default_scopes(),
            redirect_url: redirect_url.into(),
            post_logout_redirect_url: None,
            claims: OidcClaimMapping::default(),
            ca_file: None,
            timeout: default_timeout(),
            connect_timeout: default_connect_timeout(),
            jwks_min_refetch_interval: default_jwks_refetch(),
            refresh: default_refresh(),
        }
    }

    /// Every problem with these settings, each naming its key; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id_ok = !self.id.is_empty()
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            problems.push(format!(
                "id: `{}` must be ASCII letters, digits, `-` or `_`",
                self.id
            ));
        }
        if let Err(problem) = web_url(&self.issuer) {
            problems.push(format!("issuer: {problem}"));
        }
        if let Err(problem) = web_url(&self.redirect_url) {
            problems.push(format!("redirect_url: {problem}"));
        }
        if let Some(url) = &self.post_logout_redirect_url
            && let Err(problem) = web_url(url)
        {
            problems.push(format!("post_logout_redirect_url: {problem}"));
        }
        if self.client_id.is_empty() {
            problems.push("client_id: must not be empty".into());
        }
        if self.client_secret.is_empty() {
            problems.push("client_secret: none was read".into());
        }
        if self.scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
            problems.push("scopes: each must be one non-empty word".into());
        }
        if self.claims.user.is_empty() {
            problems.push("claims.user: must name a claim".into());
        }
        problems
    }

    /// The HTTP client for this provider: rustls, the configured roots, the timeouts, and no
    /// redirects (OpenID Connect endpoints answer directly; following them invites SSRF).
    pub(super) fn http_client(&self) -> Result<reqwest::Client, OidcError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("yakuba-sso/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                OidcError::Settings(format!("ca_file: reading {}: {e}", path.display()))
            })?;
            let mut found = 0;
            for der in rustls_pemfile::certs(&mut pem.as_slice()) {
                let der = der.map_err(|e| {
                    OidcError::Settings(format!("ca_file: {}: {e}", path.display()))
                })?;
                let cert = reqwest::Certificate::from_der(&der).map_err(|e| {
                    OidcError::Settings(format!("ca_file: {}: {e}", path.display()))
                })?;
                builder = builder.add_root_certificate(cert);
                found += 1;
            }
            if found == 0 {
                return Err(OidcError::Settings(format!(
                    "ca_file: {} holds no certificate",
                    path.display()
                )));
            }
            // A private CA replaces the public roots, as for the directory.
            builder = builder.tls_built_in_root_certs(false);
        }
        builder
            .build()
            .map_err(|e| OidcError::Settings(format!("building the HTTP client: {e}")))
    }
}

/// An `https://` URL, or an `http://` one on a loopback host (tests, a provider on the same
/// machine).
fn web_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let loopback = matches!(
        url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(format!("`{text}` must be an https:// URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> OidcSettings {
        let mut s = OidcSettings::new(
            "city-idp",
            "https://idp.city.example/realms/city",
            "yakuba",
            "https://yakuba.city.example/.yakuba/oidc/city-idp/callback",
        );
        s.client_secret = "secret".into();
        s
    }

    #[test]
    fn valid_settings_have_no_problems() {
        assert_eq!(valid().problems(), Vec::<String>::new());
    }

    #[test]
    fn plain_http_is_refused_except_on_loopback() {
        let mut s = valid();
        s.issuer = "http://idp.city.example".into();
        assert_eq!(s.problems().len(), 1, "{:?}", s.problems());
        s.issuer = "http://127.0.0.1:8080".into();
        assert!(s.problems().is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let mut s = valid();
        s.id = "city idp".into();
        s.client_secret.clear();
        s.redirect_url = "not a url".into();
        s.scopes = vec!["a b".into()];
        let problems = s.problems();
        for key in ["id:", "client_secret:", "redirect_url:", "scopes:"] {
            assert!(problems.iter().any(|p| p.starts_with(key)), "{problems:?}");
        }
    }

    #[test]
    fn toml_like_input_parses_with_defaults_and_unknown_keys_are_refused() {
        let json = r#"{"id":"x","display_name":{"ja":"庁内","en":"City"},
            "issuer":"https://idp.example","client_id":"c",
            "redirect_url":"https://gw.example/cb","timeout":"3s"}"#;
        let s: OidcSettings = serde_json::from_str(json).expect("parses");
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert_eq!(s.claims.user, "preferred_username");
        assert!(s.refresh);
        let off = json.replace("\"timeout\"", "\"refresh\":false,\"timeout\"");
        let off: OidcSettings = serde_json::from_str(&off).expect("parses");
        assert!(!off.refresh);
        assert!(!format!("{s:?}").contains("secret\""));
        let bad = json.replace("\"timeout\"", "\"timeuot\"");
        assert!(serde_json::from_str::<OidcSettings>(&bad).is_err());
    }
}
