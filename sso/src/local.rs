//! Local accounts: demo users and break-glass administrators with argon2id password hashes.
//!
//! Verification is CPU-heavy by design (argon2id); callers run it on a blocking thread.

use std::collections::HashMap;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2};
use serde::Deserialize;

use crate::identity::{AuthMethod, Identity};

/// One local account as configured.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalAccount {
    /// Login id.
    pub user: String,
    /// PHC string of an argon2id hash (`yakuba-gateway hash-password` makes one).
    pub password_hash: String,
    /// Display name.
    pub name: String,
    /// Mail address.
    #[serde(default)]
    pub mail: Option<String>,
    /// Department name.
    #[serde(default)]
    pub department: Option<String>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl std::fmt::Debug for LocalAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAccount")
            .field("user", &self.user)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Problems with the configured local accounts.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A hash is not an argon2id PHC string.
    #[error("local account `{user}`: password_hash is not an argon2id PHC string ({reason})")]
    BadHash {
        /// The account.
        user: String,
        /// What the parser said.
        reason: String,
    },
    /// Two accounts share a login id.
    #[error("local account `{0}` is defined twice")]
    Duplicate(String),
    /// Hashing a new password failed.
    #[error("cannot hash password: {0}")]
    Hashing(String),
}

/// The result of checking a local login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalOutcome {
    /// The password matched.
    Authenticated(Identity),
    /// No such account.
    UnknownUser,
    /// The account exists; the password did not match.
    WrongPassword,
}

/// The configured local accounts.
pub struct LocalAccounts {
    accounts: HashMap<String, LocalAccount>,
    /// Verified against when the user is unknown, so both cases cost the same time.
    decoy_hash: String,
}

/// Login ids compare case-insensitively and without surrounding blanks.
pub fn normalise_login(login: &str) -> String {
    login.trim().to_lowercase()
}

impl LocalAccounts {
    /// Validate and index `accounts`.
    pub fn new(accounts: Vec<LocalAccount>) -> Result<LocalAccounts, LocalError> {
        let mut map = HashMap::with_capacity(accounts.len());
        for account in accounts {
            let hash =
                PasswordHash::new(&account.password_hash).map_err(|e| LocalError::BadHash {
                    user: account.user.clone(),
                    reason: e.to_string(),
                })?;
            if hash.algorithm.as_str() != Algorithm::Argon2id.ident().as_str() {
                return Err(LocalError::BadHash {
                    user: account.user.clone(),
                    reason: format!("algorithm is {}", hash.algorithm),
                });
            }
            let key = normalise_login(&account.user);
            if map.insert(key.clone(), account).is_some() {
                return Err(LocalError::Duplicate(key));
            }
        }
        Ok(LocalAccounts {
            accounts: map,
            decoy_hash: hash_password("decoy password for unknown users")?,
        })
    }

    /// Whether there is no local account at all.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Whether `login` names a local account (no password work: for choosing the source).
    pub fn has(&self, login: &str) -> bool {
        self.accounts.contains_key(&normalise_login(login))
    }

    /// Check `password` for `login`. Takes the same time whether or not the account exists.
    pub fn verify(&self, login: &str, password: &str) -> LocalOutcome {
        let account = self.accounts.get(&normalise_login(login));
        let hash = account.map_or(self.decoy_hash.as_str(), |a| a.password_hash.as_str());
        let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        match account {
            None => LocalOutcome::UnknownUser,
            Some(_) if !matches || password.is_empty() => LocalOutcome::WrongPassword,
            Some(a) => LocalOutcome::Authenticated(Identity {
                user: normalise_login(&a.user),
                name: a.name.clone(),
                mail: a.mail.clone(),
                department: a.department.clone(),
                groups: a.groups.clone(),
                method: AuthMethod::Local,
            }),
        }
    }
}

/// Hash `password` with argon2id and a fresh random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, LocalError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| LocalError::Hashing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> LocalAccounts {
        LocalAccounts::new(vec![LocalAccount {
            user: "Admin".into(),
            password_hash: hash_password("correct horse").unwrap(),
            name: "システム管理者".into(),
            mail: None,
            department: Some("情報化推進課".into()),
            groups: vec!["yakuba-admins".into()],
        }])
        .unwrap()
    }

    #[test]
    fn the_right_password_logs_in_whatever_the_case_of_the_login() {
        match accounts().verify(" admin ", "correct horse") {
            LocalOutcome::Authenticated(id) => {
                assert_eq!(id.user, "admin");
                assert_eq!(id.name, "システム管理者");
                assert_eq!(id.method, AuthMethod::Local);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_and_empty_passwords_and_unknown_users_are_refused() {
        let a = accounts();
        assert_eq!(a.verify("admin", "wrong"), LocalOutcome::WrongPassword);
        assert_eq!(a.verify("admin", ""), LocalOutcome::WrongPassword);
        assert_eq!(
            a.verify("nobody", "correct horse"),
            LocalOutcome::UnknownUser
        );
    }

    #[test]
    fn hashes_that_are_not_argon2id_are_refused_at_load() {
        let bad = LocalAccount {
            user: "x".into(),
            password_hash: "$2b$12$abcdefghijklmnopqrstuv".into(),
            name: "x".into(),
            mail: None,
            department: None,
            groups: vec![],
        };
        assert!(LocalAccounts::new(vec![bad]).is_err());
    }

    #[test]
    fn duplicate_logins_are_refused_at_load() {
        let h = hash_password("p").unwrap();
        let make = |user: &str| LocalAccount {
            user: user.into(),
            password_hash: h.clone(),
            name: "x".into(),
            mail: None,
            department: None,
            groups: vec![],
        };
        assert!(matches!(
            LocalAccounts::new(vec![make("a"), make("A")]),
            Err(LocalError::Duplicate(_))
        ));
    }
}
