//! What the gateway's `[ldap]` section says: servers, TLS, search bases, attribute names,
//! timeouts and the connection pool.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Attribute names read from a user entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapAttributes {
    /// The attribute that holds the login id (`uid`, `sAMAccountName`).
    pub login: String,
    /// Display name, usually Japanese.
    pub display_name: String,
    /// Mail address.
    pub mail: String,
    /// Department name (`departmentNumber`, `department`, `ou`).
    pub department: String,
    /// Group membership attribute on the user (`memberOf`), if the directory keeps one.
    pub member_of: Option<String>,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        LdapAttributes {
            login: "uid".into(),
            display_name: "displayName".into(),
            mail: "mail".into(),
            department: "departmentNumber".into(),
            member_of: None,
        }
    }
}

/// How to reach and search the directory.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSettings {
    /// Servers to try in order: `ldap://` or `ldaps://` URLs. A server that fails is skipped
    /// for `retry_after` while the others are tried.
    pub urls: Vec<String>,
    /// Upgrade `ldap://` connections with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// PEM file of the CA(s) that sign the directory's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// DN of the service account that searches for users.
    pub bind_dn: String,
    /// Its password (the gateway reads it from a file or credential).
    #[serde(skip)]
    pub bind_password: String,
    /// Where users live.
    pub user_base: String,
    /// Filter with `{login}` where the escaped login goes.
    pub user_filter: String,
    /// Filter used instead when the login contains `@` (Active Directory:
    /// `(&(objectClass=user)(userPrincipalName={login}))`). Without it such logins go through
    /// `user_filter` unchanged.
    #[serde(default)]
    pub upn_filter: Option<String>,
    /// NetBIOS domain names accepted in `DOMAIN\user` logins (compared ignoring case). A
    /// login naming any other domain is an unknown user.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Where groups live; without it, groups come only from `member_of`.
    #[serde(default)]
    pub group_base: Option<String>,
    /// Group filter with `{dn}` where the escaped member DN goes. For Active Directory,
    /// `(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))` lets the server
    /// resolve nested groups.
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    /// Resolve nested groups here, by searching for the groups of each group found, for
    /// directories that cannot do it themselves (OpenLDAP without the memberof overlay).
    #[serde(default)]
    pub expand_nested_groups: bool,
    /// Departments by where the user's entry lives: OU DN → department name. The longest
    /// matching suffix of the user's DN wins; otherwise the department attribute, otherwise
    /// the value of the nearest `OU=` of the DN.
    #[serde(default)]
    pub departments: BTreeMap<String, String>,
    /// Attribute names of user entries.
    #[serde(default)]
    pub attributes: LdapAttributes,
    /// Time allowed for each bind or search.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Time allowed to open a connection (TCP and TLS) to one server.
    #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// How long a server that failed is skipped while others are tried first.
    #[serde(default = "default_retry_after", deserialize_with = "duration")]
    pub retry_after: Duration,
    /// Connections open at once, at most (logins beyond it wait up to `timeout`).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Entries per page in searches that may return many (groups, user lists).
    #[serde(default = "default_page_size")]
    pub page_size: i32,
}

fn default_group_filter() -> String {
    "(&(objectClass=groupOfNames)(member={dn}))".into()
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}
fn default_retry_after() -> Duration {
    Duration::from_secs(30)
}
fn default_max_connections() -> usize {
    16
}
fn default_page_size() -> i32 {
    500
}

impl LdapSettings {
    /// Settings for `urls` with every optional field at its default (used by tests and tools).
    pub fn new(urls: Vec<String>, bind_dn: &str, user_base: &str, user_filter: &str) -> Self {
        LdapSettings {
            urls,
            starttls: false,
            ca_file: None,
            bind_dn: bind_dn.to_owned(),
            bind_password: String::new(),
            user_base: user_base.to_owned(),
            user_filter: user_filter.to_owned(),
            upn_filter: None,
            domains: Vec::new(),
            group_base: None,
            group_filter: default_group_filter(),
            expand_nested_groups: false,
            departments: BTreeMap::new(),
            attributes: LdapAttributes::default(),
            timeout: default_timeout(),
            connect_timeout: default_connect_timeout(),
            retry_after: default_retry_after(),
            max_connections: default_max_connections(),
            page_size: default_page_size(),
        }
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Parse `"500ms"`, `"5s"`, `"30m"`, `"8h"` or `"2d"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("duration `{text}` has no unit (ms, s, m, h, d)"))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("duration `{text}` does not start with a number"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        other => return Err(format!("duration `{text}` has unknown unit `{other}`")),
    };
    Ok(Duration::from_secs(secs))
}

impl std::fmt::Debug for LdapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapSettings")
            .field("urls", &self.urls)
            .field("starttls", &self.starttls)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("user_base", &self.user_base)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(28800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("5 years").is_err());
    }

    #[test]
    fn the_bind_password_never_shows_in_debug_output() {
        let mut s = LdapSettings::new(vec![], "cn=svc", "ou=people", "(uid={login})");
        s.bind_password = "secret".into();
        assert!(!format!("{s:?}").contains("secret"));
    }
}
