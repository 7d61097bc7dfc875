//! Active Directory account rules: the three ways staff type their login, and why an account
//! may not log in (disabled, locked out, expired, password expired).

use std::time::{SystemTime, UNIX_EPOCH};

use ldap3::SearchEntry;

use super::settings::LdapSettings;
use super::{LdapError, first};

/// Attributes that carry the account's state; read with every user entry.
pub(crate) const STATE_ATTRIBUTES: [&str; 3] = [
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "accountExpires",
];

/// `userAccountControl`: the account is disabled.
const UF_ACCOUNTDISABLE: u64 = 0x2;
/// `msDS-User-Account-Control-Computed`: locked out now (lockout duration not yet over).
const UF_LOCKOUT: u64 = 0x10;
/// `msDS-User-Account-Control-Computed`: the password has expired.
const UF_PASSWORD_EXPIRED: u64 = 0x80_0000;

/// Seconds between 1601-01-01 (Windows FILETIME epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET: u64 = 11_644_473_600;

/// Which filter finds the user, and the value to put into it.
pub(crate) fn user_query<'a>(
    settings: &'a LdapSettings,
    login: &'a str,
) -> Result<(&'a str, &'a str), LdapError> {
    if let Some((domain, name)) = login.split_once('\\') {
        let known = settings
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain.trim()));
        let name = name.trim();
        if !known || name.is_empty() || name.contains('\\') {
            return Err(LdapError::UnknownUser);
        }
        return Ok((&settings.user_filter, name));
    }
    match &settings.upn_filter {
        Some(upn) if login.contains('@') => Ok((upn, login)),
        _ => Ok((&settings.user_filter, login)),
    }
}

fn number(entry: &SearchEntry, attr: &str) -> Option<u64> {
    first(entry, attr).and_then(|v| v.trim().parse::<i64>().ok().map(|n| n as u64))
}

/// Why the entry's account may not log in now, judged from its attributes before any bind.
/// Directories without these attributes (OpenLDAP) always pass.
pub(crate) fn refusal(entry: &SearchEntry, now: SystemTime) -> Option<LdapError> {
    if number(entry, "userAccountControl").is_some_and(|f| f & UF_ACCOUNTDISABLE != 0) {
        return Some(LdapError::Disabled);
    }
    if is_expired(entry, now) {
        return Some(LdapError::Expired);
    }
    let computed = number(entry, "msDS-User-Account-Control-Computed").unwrap_or(0);
    if computed & UF_LOCKOUT != 0 {
        return Some(LdapError::Locked);
    }
    if computed & UF_PASSWORD_EXPIRED != 0 {
        return Some(LdapError::PasswordExpired);
    }
    None
}

/// Whether the account can no longer be used at all (sessions of such users end). A lockout
/// does not count: someone else guessing a password must not log the owner out.
pub(crate) fn is_gone(entry: &SearchEntry, now: SystemTime) -> bool {
    matches!(
        refusal(entry, now),
        Some(LdapError::Disabled | LdapError::Expired)
    )
}

/// `accountExpires` is a FILETIME (100 ns since 1601); 0 and `i64::MAX` mean never.
fn is_expired(entry: &SearchEntry, now: SystemTime) -> bool {
    let Some(value) = first(entry, "accountExpires").and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return false;
    };
    if value <= 0 || value == i64::MAX {
        return false;
    }
    let unix = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let now_filetime = (unix + FILETIME_UNIX_OFFSET).saturating_mul(10_000_000);
    (value as u64) <= now_filetime
}

/// Active Directory explains a failed bind in the diagnostic text (`..., data 775, ...`).
/// The code says why; without one the password was wrong.
pub(crate) fn bind_refusal(diagnostic: &str) -> LdapError {
    let code = diagnostic
        .split(", ")
        .find_map(|part| part.strip_prefix("data "))
        .map(|c| c.trim().to_ascii_lowercase());
    match code.as_deref() {
        Some("525") => LdapError::UnknownUser,
        Some("533") => LdapError::Disabled,
        Some("701") => LdapError::Expired,
        Some("775") => LdapError::Locked,
        Some("532") => LdapError::PasswordExpired,
        Some("773") => LdapError::MustChangePassword,
        Some("530" | "531") => LdapError::NotPermittedNow,
        _ => LdapError::InvalidCredentials,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    fn entry(attrs: &[(&str, &str)]) -> SearchEntry {
        SearchEntry {
            dn: "cn=t,dc=x".into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
                .collect::<HashMap<_, _>>(),
            bin_attrs: HashMap::new(),
        }
    }

    fn ad() -> LdapSettings {
        let mut s = LdapSettings::new(
            vec![],
            "cn=svc",
            "dc=x",
            "(&(objectClass=user)(sAMAccountName={login}))",
        );
        s.upn_filter = Some("(&(objectClass=user)(userPrincipalName={login}))".into());
        s.domains = vec!["YAKUBA".into()];
        s
    }

    #[test]
    fn all_three_login_forms_find_the_same_account() {
        let s = ad();
        assert_eq!(
            user_query(&s, "tanaka").unwrap(),
            (&*s.user_filter, "tanaka")
        );
        assert_eq!(
            user_query(&s, "yakuba\\tanaka").unwrap(),
            (&*s.user_filter, "tanaka")
        );
        let upn = s.upn_filter.as_deref().unwrap();
        assert_eq!(
            user_query(&s, "tanaka@yakuba.test").unwrap(),
            (upn, "tanaka@yakuba.test")
        );
    }

    #[test]
    fn another_domain_or_a_malformed_down_level_name_is_unknown() {
        let s = ad();
        for login in ["OTHER\\tanaka", "YAKUBA\\", "YAKUBA\\a\\b", "\\tanaka"] {
            assert!(
                matches!(user_query(&s, login), Err(LdapError::UnknownUser)),
                "{login}"
            );
        }
    }

    #[test]
    fn account_states_are_read_from_ad_attributes() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let past = (1_700_000_000 + FILETIME_UNIX_OFFSET) * 10_000_000;
        let future = (1_900_000_000 + FILETIME_UNIX_OFFSET) * 10_000_000;
        assert!(refusal(&entry(&[("userAccountControl", "512")]), now).is_none());
        assert!(matches!(
            refusal(&entry(&[("userAccountControl", "514")]), now),
            Some(LdapError::Disabled)
        ));
        assert!(matches!(
            refusal(&entry(&[("accountExpires", &past.to_string())]), now),
            Some(LdapError::Expired)
        ));
        assert!(refusal(&entry(&[("accountExpires", &future.to_string())]), now).is_none());
        assert!(refusal(&entry(&[("accountExpires", "9223372036854775807")]), now).is_none());
        assert!(refusal(&entry(&[("accountExpires", "0")]), now).is_none());
        let locked = entry(&[("msDS-User-Account-Control-Computed", "16")]);
        assert!(matches!(refusal(&locked, now), Some(LdapError::Locked)));
        assert!(!is_gone(&locked, now));
        assert!(matches!(
            refusal(
                &entry(&[("msDS-User-Account-Control-Computed", "8388608")]),
                now
            ),
            Some(LdapError::PasswordExpired)
        ));
    }

    #[test]
    fn bind_diagnostics_name_the_cause() {
        let text = |code: &str| {
            format!(
                "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data {code}, v1db1"
            )
        };
        assert!(matches!(
            bind_refusal(&text("52e")),
            LdapError::InvalidCredentials
        ));
        assert!(matches!(bind_refusal(&text("775")), LdapError::Locked));
        assert!(matches!(bind_refusal(&text("533")), LdapError::Disabled));
        assert!(matches!(bind_refusal(&text("701")), LdapError::Expired));
        assert!(matches!(
            bind_refusal(&text("773")),
            LdapError::MustChangePassword
        ));
        assert!(matches!(bind_refusal(""), LdapError::InvalidCredentials));
    }
}
