//! LDAP and Active Directory logins: a service account finds the user, then the user binds.
//!
//! Filter values are escaped per RFC 4515 before they reach a filter. TLS (LDAPS or
//! StartTLS) is verified against a configured CA file using rustls. Referrals are never
//! followed: search references in results are dropped. Group DNs are kept in their normal
//! form ([`crate::dn`]).

mod account;
mod pool;
mod settings;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, Scope, SearchEntry, ldap_escape};

use crate::identity::{AuthMethod, Identity};
use pool::{Conn, Pool};
pub use settings::{LdapAttributes, LdapSettings, parse_duration};

/// Run `$body` (an expression using the connection `$conn`, giving a future of a
/// `Result<_, LdapError>`) on a pooled connection; if a pooled connection turns out to be dead,
/// once more on a fresh one. The connection goes back to the pool when it is still usable.
macro_rules! on_connection {
    ($pool:expr, $conn:ident => $body:expr) => {{
        let mut allow_pooled = true;
        loop {
            let mut $conn = $pool.checkout(allow_pooled).await?;
            let result = $body.await;
            if allow_pooled && $conn.pooled && matches!(result, Err(LdapError::Unreachable(_))) {
                tracing::debug!("pooled LDAP connection failed; retrying on a new one");
                allow_pooled = false;
                continue;
            }
            $pool.checkin($conn, &result);
            break result;
        }
    }};
}

/// LDAP result code for a failed bind.
const INVALID_CREDENTIALS: u32 = 49;
/// How deep nested groups are followed when the gateway expands them itself.
const MAX_NESTING: usize = 16;
/// Group DNs per search when expanding nested groups.
const EXPAND_BATCH: usize = 50;

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
    /// The account is locked out after too many failed passwords.
    #[error("account locked out")]
    Locked,
    /// The account's expiry date has passed.
    #[error("account expired")]
    Expired,
    /// The password has expired.
    #[error("password expired")]
    PasswordExpired,
    /// The password must be changed before the account can be used.
    #[error("password must be changed")]
    MustChangePassword,
    /// Logins are not permitted at this time or from this workstation.
    #[error("login not permitted now")]
    NotPermittedNow,
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
            LdapError::Locked => "account_locked",
            LdapError::Expired => "account_expired",
            LdapError::PasswordExpired => "password_expired",
            LdapError::MustChangePassword => "password_must_change",
            LdapError::NotPermittedNow => "login_hours",
            LdapError::Unreachable(_) => "directory_unreachable",
            LdapError::Directory(_) => "directory_error",
            LdapError::Settings(_) => "directory_settings",
        }
    }

    /// Whether the user caused this (a wrong password, a locked account...), as opposed to
    /// the directory failing.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            LdapError::Unreachable(_) | LdapError::Directory(_) | LdapError::Settings(_)
        )
    }
}

/// A configured directory, ready to authenticate users.
pub struct LdapDirectory {
    settings: LdapSettings,
    departments: Vec<(String, String)>,
    pool: Pool,
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

pub(crate) fn first(entry: &SearchEntry, attr: &str) -> Option<String> {
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
        if settings
            .upn_filter
            .as_ref()
            .is_some_and(|f| !f.contains("{login}"))
        {
            return Err(LdapError::Settings(
                "upn_filter must contain {login}".into(),
            ));
        }
        if !settings.group_filter.contains("{dn}") {
            return Err(LdapError::Settings("group_filter must contain {dn}".into()));
        }
        let mut departments = Vec::new();
        for (ou, name) in &settings.departments {
            let ou = crate::dn::normalise_dn(ou)
                .map_err(|e| LdapError::Settings(format!("departments key `{ou}`: {e}")))?;
            departments.push((ou, name.clone()));
        }
        // Longest suffix first, so the most specific OU wins.
        departments.sort_by_key(|(ou, _)| std::cmp::Reverse(ou.len()));
        let tls = match &settings.ca_file {
            None => None,
            Some(path) => Some(Arc::new(client_config(path)?)),
        };
        let pool = Pool::new(settings.clone(), tls);
        Ok(LdapDirectory {
            settings,
            departments,
            pool,
        })
    }

    /// Authenticate `login` (`user`, `DOMAIN\user` or `user@upn-suffix`) with `password` and
    /// read the user's identity.
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
        let (template, value) = account::user_query(&self.settings, login)?;
        on_connection!(self.pool, conn => self.authenticate_on(&mut conn, template, value, login, password))
    }

    async fn authenticate_on(
        &self,
        conn: &mut Conn,
        template: &str,
        value: &str,
        login: &str,
        password: &str,
    ) -> Result<Identity, LdapError> {
        let entry = self
            .find_user(&mut conn.ldap, template, value)
            .await?
            .ok_or(LdapError::UnknownUser)?;
        if let Some(refusal) = account::refusal(&entry, SystemTime::now()) {
            return Err(refusal);
        }
        let bound = self.user_bind(conn, &entry.dn, password).await;
        // Groups are read with the service account: users may not see group entries. The
        // connection is rebound either way so that it can go back to the pool.
        self.pool.service_bind(conn).await?;
        bound?;
        self.identity_of(&mut conn.ldap, &entry, login).await
    }

    async fn user_bind(&self, conn: &mut Conn, dn: &str, password: &str) -> Result<(), LdapError> {
        conn.as_service = false;
        conn.ldap.with_timeout(self.settings.timeout);
        let bind = conn
            .ldap
            .simple_bind(dn, password)
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?;
        if bind.rc == INVALID_CREDENTIALS {
            return Err(account::bind_refusal(&bind.text));
        }
        bind.success()
            .map(|_| ())
            .map_err(|e| LdapError::Directory(format!("user bind failed: {e}")))
    }

    /// Look a user up with the service account alone (no password): their current identity,
    /// or `None` when the directory no longer has them, has disabled them or their account
    /// has expired. Sessions are re-validated with this.
    pub async fn lookup(&self, login: &str) -> Result<Option<Identity>, LdapError> {
        let (template, value) = match account::user_query(&self.settings, login) {
            Ok(query) => query,
            Err(LdapError::UnknownUser) => return Ok(None),
            Err(e) => return Err(e),
        };
        on_connection!(self.pool, conn => self.lookup_on(&mut conn, template, value, login))
    }

    async fn lookup_on(
        &self,
        conn: &mut Conn,
        template: &str,
        value: &str,
        login: &str,
    ) -> Result<Option<Identity>, LdapError> {
        match self.find_user(&mut conn.ldap, template, value).await? {
            Some(entry) if !account::is_gone(&entry, SystemTime::now()) => self
                .identity_of(&mut conn.ldap, &entry, login)
                .await
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Every user under `user_base` matching `filter` (a complete LDAP filter), read page by
    /// page; for directory synchronisation.
    pub async fn list_users(&self, filter: &str) -> Result<Vec<Identity>, LdapError> {
        on_connection!(self.pool, conn => self.list_users_on(&mut conn, filter))
    }

    async fn list_users_on(
        &self,
        conn: &mut Conn,
        filter: &str,
    ) -> Result<Vec<Identity>, LdapError> {
        let attrs = self.user_attributes();
        let base = &self.settings.user_base;
        let entries = self
            .search_paged(&mut conn.ldap, base, filter, attrs)
            .await?;
        let now = SystemTime::now();
        Ok(entries
            .iter()
            .filter(|entry| !account::is_gone(entry, now))
            .map(|entry| self.identity_from(entry, "", self.direct_groups(entry)))
            .collect())
    }

    fn user_attributes(&self) -> Vec<&str> {
        let a = &self.settings.attributes;
        let mut attrs = vec![
            a.login.as_str(),
            a.display_name.as_str(),
            "cn",
            a.mail.as_str(),
            a.department.as_str(),
        ];
        attrs.extend(account::STATE_ATTRIBUTES);
        if let Some(m) = &a.member_of {
            attrs.push(m.as_str());
        }
        attrs
    }

    /// The single entry matching the filter `template` filled with `value`, if any.
    async fn find_user(
        &self,
        ldap: &mut Ldap,
        template: &str,
        value: &str,
    ) -> Result<Option<SearchEntry>, LdapError> {
        let s = &self.settings;
        let filter = fill_filter(template, "login", value);
        ldap.with_timeout(s.timeout);
        let (entries, _) = ldap
            .search(
                &s.user_base,
                Scope::Subtree,
                &filter,
                self.user_attributes(),
            )
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?
            .success()
            .map_err(|e| LdapError::Directory(format!("user search failed: {e}")))?;
        // Search references (referrals) are not followed.
        let mut entries: Vec<SearchEntry> = entries
            .into_iter()
            .filter(|e| !e.is_ref() && !e.is_intermediate())
            .map(SearchEntry::construct)
            .collect();
        match entries.len() {
            0 => Ok(None),
            1 => Ok(entries.pop()),
            n => Err(LdapError::Ambiguous(n)),
        }
    }

    /// A search that may return many entries: paged, references dropped.
    async fn search_paged(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<Vec<SearchEntry>, LdapError> {
        let attrs: Vec<String> = attrs.into_iter().map(str::to_owned).collect();
        let adapters: Vec<Box<dyn Adapter<String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(self.settings.page_size)),
        ];
        ldap.with_timeout(self.settings.timeout);
        let unreachable = |e: ldap3::LdapError| LdapError::Unreachable(e.to_string());
        let mut stream = ldap
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs)
            .await
            .map_err(unreachable)?;
        let mut entries = Vec::new();
        while let Some(entry) = stream.next().await.map_err(unreachable)? {
            entries.push(SearchEntry::construct(entry));
        }
        stream
            .finish()
            .await
            .success()
            .map_err(|e| LdapError::Directory(format!("search failed: {e}")))?;
        Ok(entries)
    }

    /// Normalised DNs of the groups named on the entry itself (`memberOf`).
    fn direct_groups(&self, entry: &SearchEntry) -> BTreeSet<String> {
        let Some(attr) = &self.settings.attributes.member_of else {
            return BTreeSet::new();
        };
        all(entry, attr)
            .iter()
            .filter_map(|dn| crate::dn::normalise_dn(dn).ok())
            .collect()
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
        let mut groups = self.direct_groups(entry);
        if let Some(base) = &s.group_base {
            let filter = fill_filter(&s.group_filter, "dn", &entry.dn);
            for group in self.search_paged(ldap, base, &filter, vec!["1.1"]).await? {
                if let Ok(dn) = crate::dn::normalise_dn(&group.dn) {
                    groups.insert(dn);
                }
            }
            if s.expand_nested_groups {
                self.expand_nested(ldap, base, &mut groups).await?;
            }
        }
        Ok(self.identity_from(entry, login, groups))
    }

    /// Add the groups that contain any of `groups`, level by level, until nothing new turns
    /// up (cycles end there too) or `MAX_NESTING` levels.
    async fn expand_nested(
        &self,
        ldap: &mut Ldap,
        base: &str,
        groups: &mut BTreeSet<String>,
    ) -> Result<(), LdapError> {
        let mut frontier: Vec<String> = groups.iter().cloned().collect();
        for _ in 0..MAX_NESTING {
            let mut next = Vec::new();
            for batch in frontier.chunks(EXPAND_BATCH) {
                let filter = format!(
                    "(|{})",
                    batch
                        .iter()
                        .map(|dn| fill_filter(&self.settings.group_filter, "dn", dn))
                        .collect::<String>()
                );
                for group in self.search_paged(ldap, base, &filter, vec!["1.1"]).await? {
                    if let Ok(dn) = crate::dn::normalise_dn(&group.dn)
                        && groups.insert(dn.clone())
                    {
                        next.push(dn);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        Ok(())
    }

    fn identity_from(
        &self,
        entry: &SearchEntry,
        login: &str,
        groups: BTreeSet<String>,
    ) -> Identity {
        let a = &self.settings.attributes;
        let user = first(entry, &a.login).unwrap_or_else(|| login.to_owned());
        let name = first(entry, &a.display_name)
            .or_else(|| first(entry, "cn"))
            .unwrap_or_else(|| user.clone());
        Identity {
            user,
            name,
            mail: first(entry, &a.mail),
            department: self.department_of(entry),
            groups: groups.into_iter().collect(),
            method: AuthMethod::Ldap,
        }
    }

    /// The configured OU mapping, else the department attribute, else the nearest `OU=`.
    fn department_of(&self, entry: &SearchEntry) -> Option<String> {
        let dn = crate::dn::normalise_dn(&entry.dn).ok()?;
        let mapped = self.departments.iter().find(|(ou, _)| {
            dn.len() > ou.len()
                && dn.ends_with(ou.as_str())
                && dn[..dn.len() - ou.len()].ends_with(',')
        });
        if let Some((_, name)) = mapped {
            return Some(name.clone());
        }
        first(entry, &self.settings.attributes.department).or_else(|| nearest_ou(&entry.dn))
    }
}

/// The value of the first `OU=` RDN of `dn`, as written (not case-folded).
fn nearest_ou(dn: &str) -> Option<String> {
    dn.split(',').find_map(|rdn| {
        let (kind, value) = rdn.split_once('=')?;
        (kind.trim().eq_ignore_ascii_case("ou") && !value.contains('\\'))
            .then(|| value.trim().to_owned())
    })
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

    fn settings() -> LdapSettings {
        let mut s = LdapSettings::new(
            vec!["ldap://127.0.0.1:1".into()],
            "cn=svc",
            "ou=people",
            "(uid={login})",
        );
        s.bind_password = "secret".into();
        s.connect_timeout = std::time::Duration::from_secs(1);
        s
    }

    #[test]
    fn settings_without_a_login_placeholder_are_refused() {
        let mut s = settings();
        s.user_filter = "(uid=x)".into();
        assert!(LdapDirectory::new(s).is_err());
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
