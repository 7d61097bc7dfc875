//! LDAP and Active Directory logins: a service account finds the user, then the user binds.
//!
//! Filter values are escaped per RFC 4515 before they reach a filter. TLS (LDAPS or
//! StartTLS) is verified against a configured CA file using rustls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use serde::Deserialize;

use crate::identity::{AuthMethod, Identity};

/// LDAP result code for a failed bind.
const INVALID_CREDENTIALS: u32 = 49;

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
    /// Servers to try in order: `ldap://` or `ldaps://` URLs.
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
    /// Where groups live; without it, groups come only from `member_of`.
    #[serde(default)]
    pub group_base: Option<String>,
    /// Group filter with `{dn}` where the escaped user DN goes.
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    /// Attribute holding a group's name.
    #[serde(default = "default_group_name")]
    pub group_name_attr: String,
    /// Attribute names of user entries.
    #[serde(default)]
    pub attributes: LdapAttributes,
    /// Time allowed for each connect, bind or search.
    #[serde(default = "default_timeout", with = "humantime_serde_shim")]
    pub timeout: Duration,
}

fn default_group_filter() -> String {
    "(&(objectClass=groupOfNames)(member={dn}))".into()
}
fn default_group_name() -> String {
    "cn".into()
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

/// `"5s"`-style durations without pulling a dependency into this crate's public API.
mod humantime_serde_shim {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
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

/// Why a directory login did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// No entry matches the login.
    #[error("no such user")]
    UnknownUser,
    /// Several entries match the login; refusing to guess.
    #[error("login matches {0} entries")]
    Ambiguous(usize),
    /// The user's bind failed.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The account is disabled in the directory.
    #[error("account disabled")]
    Disabled,
    /// No configured server answered.
    #[error("directory unreachable: {0}")]
    Unreachable(String),
    /// The service account could not bind or search.
    #[error("directory error: {0}")]
    Directory(String),
    /// The settings are unusable.
    #[error("directory settings: {0}")]
    Settings(String),
}

impl LdapError {
    /// A stable reason code for audit records.
    pub fn reason(&self) -> &'static str {
        match self {
            LdapError::UnknownUser => "unknown_user",
            LdapError::Ambiguous(_) => "ambiguous_user",
            LdapError::InvalidCredentials => "bad_credentials",
            LdapError::Disabled => "account_disabled",
            LdapError::Unreachable(_) => "directory_unreachable",
            LdapError::Directory(_) => "directory_error",
            LdapError::Settings(_) => "directory_settings",
        }
    }
}

/// Active Directory's `userAccountControl` flag for a disabled account.
const ACCOUNTDISABLE: u32 = 0x2;

/// Whether an Active Directory entry is disabled (other directories never are here).
fn is_disabled(entry: &SearchEntry) -> bool {
    first(entry, "userAccountControl")
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|flags| flags & ACCOUNTDISABLE != 0)
}

/// A configured directory, ready to authenticate users.
pub struct LdapDirectory {
    settings: LdapSettings,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Replace `{name}` in `template` with the RFC 4515-escaped `value`.
pub fn fill_filter(template: &str, name: &str, value: &str) -> String {
    template.replace(&format!("{{{name}}}"), &ldap_escape(value))
}

fn first(entry: &SearchEntry, attr: &str) -> Option<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .and_then(|(_, v)| v.first().cloned())
        .filter(|v| !v.is_empty())
}

fn all(entry: &SearchEntry, attr: &str) -> Vec<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

impl LdapDirectory {
    /// Check the settings and load the CA file.
    pub fn new(settings: LdapSettings) -> Result<LdapDirectory, LdapError> {
        if settings.urls.is_empty() {
            return Err(LdapError::Settings("no server URL".into()));
        }
        if !settings.user_filter.contains("{login}") {
            return Err(LdapError::Settings(
                "user_filter must contain {login}".into(),
            ));
        }
        let tls = match &settings.ca_file {
            None => None,
            Some(path) => Some(Arc::new(client_config(path)?)),
        };
        Ok(LdapDirectory { settings, tls })
    }

    fn conn_settings(&self) -> LdapConnSettings {
        let mut s = LdapConnSettings::new()
            .set_conn_timeout(self.settings.timeout)
            .set_starttls(self.settings.starttls);
        if let Some(tls) = &self.tls {
            s = s.set_config(tls.clone());
        }
        s
    }

    async fn connect(&self) -> Result<Ldap, LdapError> {
        let mut last = String::new();
        for url in &self.settings.urls {
            match LdapConnAsync::with_settings(self.conn_settings(), url).await {
                Ok((conn, mut ldap)) => {
                    tokio::spawn(async move {
                        if let Err(e) = conn.drive().await {
                            tracing::debug!(error = %e, "LDAP connection ended");
                        }
                    });
                    ldap.with_timeout(self.settings.timeout);
                    return Ok(ldap);
                }
                Err(e) => {
                    tracing::warn!(ldap.url = %url, error = %e, "LDAP server not reachable");
                    last = format!("{url}: {e}");
                }
            }
        }
        Err(LdapError::Unreachable(last))
    }

    async fn service_bind(&self, ldap: &mut Ldap) -> Result<(), LdapError> {
        ldap.with_timeout(self.settings.timeout);
        ldap.simple_bind(&self.settings.bind_dn, &self.settings.bind_password)
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?
            .success()
            .map(|_| ())
            .map_err(|e| LdapError::Directory(format!("service account bind failed: {e}")))
    }

    /// Authenticate `login` with `password` and read the user's identity.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<Identity, LdapError> {
        // An empty password would be an unauthenticated bind (RFC 4513 §5.1.2), which many
        // servers report as success.
        if password.is_empty() {
            return Err(LdapError::InvalidCredentials);
        }
        let login = login.trim();
        if login.is_empty() {
            return Err(LdapError::UnknownUser);
        }
        let mut ldap = self.connect().await?;
        let result = self.authenticate_on(&mut ldap, login, password).await;
        let _ = ldap.unbind().await;
        result
    }

    async fn authenticate_on(
        &self,
        ldap: &mut Ldap,
        login: &str,
        password: &str,
    ) -> Result<Identity, LdapError> {
        self.service_bind(ldap).await?;
        let entry = self
            .find_user(ldap, login)
            .await?
            .ok_or(LdapError::UnknownUser)?;
        if is_disabled(&entry) {
            return Err(LdapError::Disabled);
        }
        ldap.with_timeout(self.settings.timeout);
        let bind = ldap
            .simple_bind(&entry.dn, password)
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?;
        if bind.rc == INVALID_CREDENTIALS {
            return Err(LdapError::InvalidCredentials);
        }
        bind.success()
            .map_err(|e| LdapError::Directory(format!("user bind failed: {e}")))?;
        // Groups are read with the service account: users may not see group entries.
        self.service_bind(ldap).await?;
        self.identity_of(ldap, &entry, login).await
    }

    /// Look a user up with the service account alone (no password): their current identity,
    /// or `None` when the directory no longer has them or has disabled them. Sessions are
    /// re-validated with this.
    pub async fn lookup(&self, login: &str) -> Result<Option<Identity>, LdapError> {
        let mut ldap = self.connect().await?;
        let result = async {
            self.service_bind(&mut ldap).await?;
            match self.find_user(&mut ldap, login).await? {
                Some(entry) if !is_disabled(&entry) => {
                    self.identity_of(&mut ldap, &entry, login).await.map(Some)
                }
                _ => Ok(None),
            }
        }
        .await;
        let _ = ldap.unbind().await;
        result
    }

    /// The single entry matching `login`, if any.
    async fn find_user(
        &self,
        ldap: &mut Ldap,
        login: &str,
    ) -> Result<Option<SearchEntry>, LdapError> {
        let s = &self.settings;
        let filter = fill_filter(&s.user_filter, "login", login);
        let mut attrs = vec![
            s.attributes.login.as_str(),
            s.attributes.display_name.as_str(),
            "cn",
            s.attributes.mail.as_str(),
            s.attributes.department.as_str(),
            "userAccountControl",
        ];
        if let Some(m) = &s.attributes.member_of {
            attrs.push(m.as_str());
        }
        ldap.with_timeout(s.timeout);
        let (entries, _) = ldap
            .search(&s.user_base, Scope::Subtree, &filter, attrs)
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?
            .success()
            .map_err(|e| LdapError::Directory(format!("user search failed: {e}")))?;
        match entries.len() {
            0 => Ok(None),
            1 => Ok(entries.into_iter().next().map(SearchEntry::construct)),
            n => Err(LdapError::Ambiguous(n)),
        }
    }

    /// Build the identity of `entry`, reading its groups (the connection must be bound as the
    /// service account).
    async fn identity_of(
        &self,
        ldap: &mut Ldap,
        entry: &SearchEntry,
        login: &str,
    ) -> Result<Identity, LdapError> {
        let s = &self.settings;
        let mut groups = match &s.attributes.member_of {
            Some(attr) => all(entry, attr),
            None => Vec::new(),
        };
        if let Some(base) = &s.group_base {
            let filter = fill_filter(&s.group_filter, "dn", &entry.dn);
            ldap.with_timeout(s.timeout);
            let (found, _) = ldap
                .search(
                    base,
                    Scope::Subtree,
                    &filter,
                    vec![s.group_name_attr.as_str()],
                )
                .await
                .map_err(|e| LdapError::Unreachable(e.to_string()))?
                .success()
                .map_err(|e| LdapError::Directory(format!("group search failed: {e}")))?;
            for group in found.into_iter().map(SearchEntry::construct) {
                groups.push(first(&group, &s.group_name_attr).unwrap_or(group.dn));
            }
        }
        groups.sort();
        groups.dedup();

        let user = first(entry, &s.attributes.login).unwrap_or_else(|| login.to_owned());
        let name = first(entry, &s.attributes.display_name)
            .or_else(|| first(entry, "cn"))
            .unwrap_or_else(|| user.clone());
        Ok(Identity {
            user,
            name,
            mail: first(entry, &s.attributes.mail),
            department: first(entry, &s.attributes.department),
            groups,
            method: AuthMethod::Ldap,
        })
    }
}

fn client_config(ca_file: &std::path::Path) -> Result<rustls::ClientConfig, LdapError> {
    let pem = std::fs::read(ca_file).map_err(|e| {
        LdapError::Settings(format!("cannot read CA file {}: {e}", ca_file.display()))
    })?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| {
            LdapError::Settings(format!("bad certificate in {}: {e}", ca_file.display()))
        })?;
        roots.add(cert).map_err(|e| {
            LdapError::Settings(format!("unusable CA in {}: {e}", ca_file.display()))
        })?;
    }
    if roots.is_empty() {
        return Err(LdapError::Settings(format!(
            "no certificate in CA file {}",
            ca_file.display()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Settings(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_escaped_per_rfc_4515() {
        assert_eq!(
            fill_filter("(uid={login})", "login", "a*)(uid=*"),
            "(uid=a\\2a\\29\\28uid=\\2a)"
        );
        assert_eq!(
            fill_filter("(uid={login})", "login", "back\\slash"),
            "(uid=back\\5cslash)"
        );
        assert_eq!(
            fill_filter("(uid={login})", "login", "nul\0"),
            "(uid=nul\\00)"
        );
        assert_eq!(fill_filter("(uid={login})", "login", "田中"), "(uid=田中)");
    }

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

    fn settings() -> LdapSettings {
        LdapSettings {
            urls: vec!["ldap://127.0.0.1:1".into()],
            starttls: false,
            ca_file: None,
            bind_dn: "cn=svc".into(),
            bind_password: "secret".into(),
            user_base: "ou=people".into(),
            user_filter: "(uid={login})".into(),
            group_base: None,
            group_filter: default_group_filter(),
            group_name_attr: default_group_name(),
            attributes: LdapAttributes::default(),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn settings_without_a_login_placeholder_are_refused() {
        let mut s = settings();
        s.user_filter = "(uid=x)".into();
        assert!(LdapDirectory::new(s).is_err());
    }

    #[test]
    fn the_bind_password_never_shows_in_debug_output() {
        assert!(!format!("{:?}", settings()).contains("secret"));
    }

    #[tokio::test]
    async fn empty_passwords_are_refused_before_any_bind() {
        let dir = LdapDirectory::new(settings()).unwrap();
        assert!(matches!(
            dir.authenticate("tanaka", "").await,
            Err(LdapError::InvalidCredentials)
        ));
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_as_unreachable() {
        let dir = LdapDirectory::new(settings()).unwrap();
        assert!(matches!(
            dir.authenticate("tanaka", "pw").await,
            Err(LdapError::Unreachable(_))
        ));
    }
}
