//! `directory-sync.toml`, the settings of `yakuba-app sync-directory`, read and checked the way
//! the app's own file is: unknown keys refused, every problem reported at once with its key
//! path, and the files it names (the service account's password, the CA) checked by
//! `yakuba-app check-config --directory FILE` before a timer runs the synchronisation.

use std::path::Path;

use super::{ConfigError, Problem, key_path};
use crate::org::import::directory::SyncFile;

/// Reads and checks the synchronisation settings at `path`.
pub fn load(path: &Path) -> Result<SyncFile, ConfigError> {
    let source_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        source_name: source_name.clone(),
        problems: vec![Problem {
            key: "(file)".to_owned(),
            message: format!("cannot read: {e}"),
        }],
    })?;
    parse(&text, &source_name)
}

/// Parses and checks synchronisation settings; `source_name` names them in errors.
pub fn parse(text: &str, source_name: &str) -> Result<SyncFile, ConfigError> {
    let file: SyncFile = toml::from_str(text).map_err(|e| ConfigError {
        source_name: source_name.to_owned(),
        problems: vec![Problem {
            key: e
                .span()
                .and_then(|span| key_path(text, span, e.message()))
                .unwrap_or_else(|| "(file)".to_owned()),
            message: e.message().to_owned(),
        }],
    })?;
    let problems = problems(&file);
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(ConfigError {
            source_name: source_name.to_owned(),
            problems,
        })
    }
}

/// Everything wrong with settings that parsed, in file order.
fn problems(file: &SyncFile) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |key: &str, message: &str| {
        problems.push(Problem {
            key: key.to_owned(),
            message: message.to_owned(),
        })
    };
    let ldap = &file.ldap.settings;
    if ldap.urls.is_empty() {
        problem("ldap.urls", "at least one server is needed");
    }
    for (i, url) in ldap.urls.iter().enumerate() {
        if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
            problem(
                &format!("ldap.urls[{i}]"),
                "must start with ldaps:// (or ldap:// with starttls = true)",
            );
        }
    }
    if ldap.bind_dn.trim().is_empty() {
        problem(
            "ldap.bind_dn",
            "must name the read-only service account the app lists the directory with",
        );
    }
    if file.ldap.bind_password_file.as_os_str().is_empty() {
        problem(
            "ldap.bind_password_file",
            "must name the file holding the service account's password",
        );
    }
    if ldap.user_base.trim().is_empty() {
        problem("ldap.user_base", "must name where staff accounts live");
    }
    if !ldap.user_filter.contains("{login}") {
        problem("ldap.user_filter", "must contain {login}");
    }
    if ldap
        .upn_filter
        .as_ref()
        .is_some_and(|f| !f.contains("{login}"))
    {
        problem("ldap.upn_filter", "must contain {login}");
    }
    if !ldap.group_filter.contains("{dn}") {
        problem("ldap.group_filter", "must contain {dn}");
    }
    for ou in ldap.departments.keys() {
        if let Err(e) = sso::dn::normalise_dn(ou) {
            problem(&format!("ldap.departments.\"{ou}\""), &e.to_string());
        }
    }
    if ldap.page_size < 1 {
        problem("ldap.page_size", "must be at least 1");
    }
    if ldap.max_connections < 1 {
        problem("ldap.max_connections", "must be at least 1");
    }
    if ldap.timeout.is_zero() {
        problem("ldap.timeout", "must be longer than zero");
    }
    let sync = &file.sync;
    if !is_filter(&sync.filter) {
        problem(
            "sync.filter",
            "must be an LDAP filter in parentheses, e.g. \"(&(objectCategory=person)(objectClass=user))\"",
        );
    }
    if sync.retire_missing && sync.max_retire == 0 {
        problem(
            "sync.max_retire",
            "must be at least 1 while retire_missing is true (set retire_missing = false to retire nobody)",
        );
    }
    for (i, login) in sync.keep.iter().enumerate() {
        if login.trim().is_empty() {
            problem(&format!("sync.keep[{i}]"), "must be a login, not empty");
        }
    }
    problems
}

/// Whether `filter` is one parenthesised LDAP filter with balanced parentheses (its inside is
/// the directory's to judge).
fn is_filter(filter: &str) -> bool {
    let filter = filter.trim();
    if !(filter.starts_with('(') && filter.ends_with(')')) {
        return false;
    }
    let mut depth = 0_usize;
    for (i, c) in filter.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                // The outer parentheses close only at the very end.
                if depth == 0 && i + 1 != filter.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Problems only the machine shows: a password file that cannot be read or is empty, and
/// settings the directory client refuses (a CA file that does not load). The password itself
/// is never shown.
pub fn check_files(file: &SyncFile) -> Vec<Problem> {
    let mut problems = Vec::new();
    match std::fs::read_to_string(&file.ldap.bind_password_file) {
        Ok(text) if text.trim_end_matches(['\r', '\n']).is_empty() => problems.push(Problem {
            key: "ldap.bind_password_file".to_owned(),
            message: format!("{} is empty", file.ldap.bind_password_file.display()),
        }),
        Ok(_) => {}
        Err(e) => problems.push(Problem {
            key: "ldap.bind_password_file".to_owned(),
            message: format!(
                "cannot read {}: {e}",
                file.ldap.bind_password_file.display()
            ),
        }),
    }
    if let Err(e) = sso::ldap::LdapDirectory::new(file.ldap.settings.clone()) {
        let key = if file.ldap.settings.ca_file.is_some() {
            "ldap.ca_file"
        } else {
            "ldap"
        };
        problems.push(Problem {
            key: key.to_owned(),
            message: e.to_string(),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../config/directory-sync.toml");

    fn keys(text: &str) -> Vec<String> {
        match parse(text, "test.toml") {
            Ok(file) => panic!("expected problems, got {file:?}"),
            Err(e) => e.problems.into_iter().map(|p| p.key).collect(),
        }
    }

    const MINIMAL: &str = r#"
        [ldap]
        urls = ["ldaps://dc1.city.example.lg.jp"]
        bind_dn = "CN=svc,DC=city"
        bind_password_file = "/etc/yakuba/directory-sync.password"
        user_base = "OU=Staff,DC=city"
        user_filter = "(sAMAccountName={login})"
    "#;

    #[test]
    fn the_shipped_file_parses_and_minimal_settings_take_the_defaults() {
        let shipped = parse(SHIPPED, "directory-sync.toml").unwrap();
        assert_eq!(shipped.sync.keep, ["admin"]);
        let minimal = parse(MINIMAL, "test.toml").unwrap();
        assert_eq!(minimal.sync.filter, "(objectClass=person)");
        assert!(minimal.sync.retire_missing);
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = r#"
            [ldap]
            urls = ["http://dc1"]
            bind_dn = ""
            bind_password_file = ""
            user_base = "OU=Staff,DC=city"
            user_filter = "(uid=x)"
            [sync]
            filter = "objectClass=person"
            max_retire = 0
            keep = [""]
        "#;
        assert_eq!(
            keys(text),
            [
                "ldap.urls[0]",
                "ldap.bind_dn",
                "ldap.bind_password_file",
                "ldap.user_filter",
                "sync.filter",
                "sync.max_retire",
                "sync.keep[0]",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused_where_they_are() {
        let in_ldap = MINIMAL.replace("user_base", "user_bsae");
        assert_eq!(keys(&in_ldap).len(), 1, "{:?}", keys(&in_ldap));
        let in_sync = format!("{MINIMAL}\n[sync]\nretire = true\n");
        assert_eq!(keys(&in_sync), ["sync.retire"]);
        let table = format!("{MINIMAL}\n[extra]\nx = 1\n");
        assert_eq!(keys(&table), ["extra"]);
    }

    #[test]
    fn filters_must_be_one_balanced_parenthesised_filter() {
        for good in [
            "(objectClass=person)",
            "(&(objectCategory=person)(objectClass=user))",
            " (uid=*) ",
        ] {
            assert!(is_filter(good), "{good}");
        }
        for bad in [
            "",
            "objectClass=person",
            "(a=b",
            "(a=b))",
            "(a=b)(c=d)",
            ")(",
        ] {
            assert!(!is_filter(bad), "{bad}");
        }
    }

    #[test]
    fn a_missing_password_file_is_found_without_showing_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let missing = MINIMAL.replace(
            "/etc/yakuba/directory-sync.password",
            &dir.path().join("none").display().to_string(),
        );
        let file = parse(&missing, "test.toml").unwrap();
        let found = check_files(&file);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "ldap.bind_password_file");

        let secret = dir.path().join("password");
        std::fs::write(&secret, "s3cret-password\n").unwrap();
        let present = MINIMAL.replace(
            "/etc/yakuba/directory-sync.password",
            &secret.display().to_string(),
        );
        let file = parse(&present, "test.toml").unwrap();
        assert!(check_files(&file).is_empty());
        let with_bad_ca = format!(
            "{}\nca_file = \"{}\"\n",
            present.trim_end(),
            dir.path().join("no-ca.pem").display()
        );
        let file = parse(&with_bad_ca, "test.toml").unwrap();
        let found = check_files(&file);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "ldap.ca_file");
        assert!(!format!("{found:?}").contains("s3cret"));
    }
}
