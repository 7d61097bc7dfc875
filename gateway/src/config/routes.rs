//! `[[routes]]`: where requests go and how each upstream learns who the user is.

use std::time::Duration;

use serde::Deserialize;

/// How identity reaches an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMode {
    /// The signed assertion (the Yakuba app).
    Assertion,
    /// Plain headers (legacy systems), as listed in `headers`.
    Headers,
    /// HTTP Basic with the user's own credentials for the system, from the vault.
    Basic,
    /// The gateway fills in the system's own login form with the user's credentials from
    /// the vault, as described in `form_login`.
    FormLogin,
    /// Nothing: for public routes (static assets), which need no session.
    None,
}

/// Which fact about the user a header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    /// Login id.
    User,
    /// Display name.
    Name,
    /// Mail address.
    Mail,
    /// Department.
    Department,
    /// Groups, comma-separated.
    Groups,
}

/// How a header value is encoded; raw UTF-8 is not valid in HTTP headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderEncoding {
    /// Percent-encoded UTF-8 (ASCII passes through).
    #[default]
    Percent,
    /// Standard Base64 of the UTF-8 bytes.
    Base64,
    /// RFC 2047 encoded words (`=?UTF-8?B?...?=`); plain ASCII passes through.
    Rfc2047,
    /// Raw Shift_JIS (Windows-31J) bytes, for old systems that read nothing else; characters
    /// Shift_JIS lacks become `?`.
    ShiftJis,
    /// Percent-encoded Shift_JIS bytes (`%8ER%93c`).
    ShiftJisPercent,
}

/// One identity header for a legacy route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderSpec {
    /// Header name.
    pub name: String,
    /// What it carries.
    pub value: IdentityField,
    /// How it is encoded.
    #[serde(default)]
    pub encoding: HeaderEncoding,
}

/// `[[routes]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    /// Stable id, used in audit records and tiles.
    pub id: String,
    /// Japanese name.
    pub name: String,
    /// English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// Host to match (without port); any host when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// Path prefix to match, at a segment boundary.
    #[serde(default = "default_prefix")]
    pub path_prefix: String,
    /// Upstream addresses.
    pub upstreams: Vec<String>,
    /// How identity is passed on.
    pub identity: IdentityMode,
    /// Audience of the assertion (for `identity = "assertion"`).
    #[serde(default)]
    pub audience: Option<String>,
    /// Headers (for `identity = "headers"`).
    #[serde(default)]
    pub headers: Vec<HeaderSpec>,
    /// How to log into the system's own login form (for `identity = "form_login"`).
    #[serde(default)]
    pub form_login: Option<sso::form_login::FormLoginSettings>,
    /// Show a tile on the portal for users who may open it.
    #[serde(default)]
    pub tile: bool,
    /// Mount a system that thinks it owns `/` under `path_prefix`: the prefix is removed
    /// from the path sent upstream, and its `Location` and `Set-Cookie` paths (and absolute
    /// redirects to its own address) are put back under the prefix.
    #[serde(default)]
    pub strip_prefix: bool,
    /// The `Host` to send the upstream instead of the browser's (a system that only answers
    /// to its own name, e.g. `zaimu.internal`); its absolute redirects to that name are
    /// treated as its own.
    #[serde(default)]
    pub upstream_host: Option<String>,
    /// `Content-Security-Policy` for this system's responses (replacing the upstream's).
    #[serde(default)]
    pub content_security_policy: Option<String>,
    /// `X-Frame-Options` for this system's responses: `DENY` or `SAMEORIGIN`.
    #[serde(default)]
    pub frame_options: Option<String>,
    /// Only members of one of these groups may open it; everyone logged in when empty.
    #[serde(default)]
    pub allow_groups: Vec<String>,
    /// Access rules, first match wins (see `policy.rs` for the order).
    #[serde(default)]
    pub rules: Vec<crate::policy::RuleSection>,
    /// Open without a session (static assets); no identity is passed on.
    #[serde(default)]
    pub public: bool,
    /// How long to wait for a TCP connection to one of the upstreams before trying the next
    /// (e.g. `"3s"`).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "super::duration"
    )]
    pub connect_timeout: Duration,
    /// How long the upstream may stay silent while answering before the user gets the
    /// "system is not answering" page (e.g. `"120s"`; a heavy report in an old finance system
    /// may need more). WebSocket connections have their own, longer limit.
    #[serde(default = "default_read_timeout", deserialize_with = "super::duration")]
    pub read_timeout: Duration,
}

fn default_prefix() -> String {
    "/".into()
}

fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}

fn default_read_timeout() -> Duration {
    Duration::from_secs(120)
}
