//! The sample systems' own user accounts (`--account LOGIN:PASSWORD`), which the gateway has
//! to present on the user's behalf in the basic and form styles.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// One `--account LOGIN:PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub login: String,
    /// The password, any UTF-8 (it may contain `:`).
    pub password: String,
}

impl FromStr for Account {
    type Err = String;

    fn from_str(s: &str) -> Result<Account, String> {
        match s.split_once(':') {
            Some((login, password)) if !login.is_empty() => Ok(Account {
                login: login.to_owned(),
                password: password.to_owned(),
            }),
            _ => Err(format!("expected LOGIN:PASSWORD, got {s:?}")),
        }
    }
}

/// The accounts of a running system; passwords can change while it runs (`/_password`).
#[derive(Debug)]
pub struct Accounts(Mutex<HashMap<String, String>>);

impl Accounts {
    /// The accounts given on the command line.
    pub fn new(accounts: Vec<Account>) -> Accounts {
        Accounts(Mutex::new(
            accounts
                .into_iter()
                .map(|a| (a.login, a.password))
                .collect(),
        ))
    }

    /// Whether `login` exists and `password` is its password.
    pub fn check(&self, login: &str, password: &str) -> bool {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(login).is_some_and(|p| p == password)
    }

    /// Give `login` a new password; false when there is no such account.
    pub fn set_password(&self, login: &str, password: &str) -> bool {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get_mut(login) {
            Some(p) => {
                password.clone_into(p);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse_at_the_first_colon_and_keep_non_ascii_passwords() {
        let a: Account = "yamada:パス:ワード1".parse().unwrap();
        assert_eq!(a.login, "yamada");
        assert_eq!(a.password, "パス:ワード1");
        assert!("nopassword".parse::<Account>().is_err());
        assert!(":secret".parse::<Account>().is_err());
        let accounts = Accounts::new(vec![a]);
        assert!(accounts.check("yamada", "パス:ワード1"));
        assert!(!accounts.check("yamada", "パス"));
        assert!(accounts.set_password("yamada", "新"));
        assert!(accounts.check("yamada", "新"));
        assert!(!accounts.set_password("suzuki", "x"));
    }
}
