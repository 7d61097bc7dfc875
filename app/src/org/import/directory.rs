//! Directory synchronisation: the people the directory (Active Directory or LDAP, read with
//! the service account) lists, compared with the stored staff by login. Names, mail addresses
//! and, where the directory's department names exactly one department, departments follow the
//! directory; current staff the directory no longer lists (deleted or disabled accounts) are
//! marked retired, which ends their access to the app. People the directory has but HR has
//! not are reported, not added: new staff come from the HR file with their personnel numbers.
//! Pure: the directory listing and the stored organisation are handed in.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;

use super::model::{HrRecord, Plan, Stored, plan};
use crate::org::model::Employment;

/// `directory-sync.toml`: the directory, as the gateway's `[ldap]` section writes it, and
/// how to synchronise. Read and checked by `crate::config::directory_sync`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncFile {
    /// The directory.
    pub ldap: LdapSection,
    /// What the synchronisation does.
    #[serde(default)]
    pub sync: SyncOptions,
}

/// `[ldap]`: the directory settings plus where the service account's password lives.
#[derive(Debug, Deserialize)]
pub struct LdapSection {
    /// File holding the service account's password.
    pub bind_password_file: PathBuf,
    /// The directory settings (the same keys as the gateway's `[ldap]`).
    #[serde(flatten)]
    pub settings: sso::ldap::LdapSettings,
}

/// `[sync]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncOptions {
    /// The LDAP filter that lists staff accounts.
    pub filter: String,
    /// Mark current staff the directory no longer lists as retired.
    pub retire_missing: bool,
    /// Refuse a synchronisation that would retire more people than this: a wrong filter or
    /// base would otherwise retire the whole city hall.
    pub max_retire: usize,
    /// Logins never retired by the synchronisation (local break-glass accounts).
    pub keep: Vec<String>,
    /// Move people to the department the directory names, when it names exactly one.
    pub update_departments: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            filter: "(objectClass=person)".to_owned(),
            retire_missing: true,
            max_retire: 100,
            keep: Vec::new(),
            update_departments: true,
        }
    }
}

/// One person as the directory lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Mail address.
    pub mail: Option<String>,
    /// Department name as the directory spells it.
    pub department: Option<String>,
}

impl From<sso::Identity> for Listed {
    fn from(identity: sso::Identity) -> Listed {
        Listed {
            login: identity.user,
            name: identity.name,
            mail: identity.mail,
            department: identity.department,
        }
    }
}

/// What a synchronisation would do.
#[derive(Debug, Clone, Default)]
pub struct SyncPlan {
    /// The changes, in the HR import's terms (applied the same way).
    pub plan: Plan,
    /// Directory logins HR does not know.
    pub unknown: Vec<String>,
    /// Directory department names that match no single department, with who has them.
    pub unmatched_departments: Vec<(String, String)>,
}

/// Why a synchronisation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncRefusal {
    /// It would retire more than `max_retire` people.
    #[error(
        "the directory listing would retire {would} people, more than max_retire = {max}; check the filter and base, or raise max_retire"
    )]
    TooManyRetirements {
        /// How many it would retire.
        would: usize,
        /// The limit.
        max: usize,
    },
    /// The directory listed nobody at all.
    #[error("the directory listed nobody; check the filter and base")]
    EmptyListing,
}

/// The synchronisation plan for `listed` against `stored`, with `departments` mapping
/// department names to codes (names that several departments share map to `None`).
pub fn sync_plan(
    listed: &[Listed],
    stored: &[Stored],
    departments: &HashMap<String, Option<String>>,
    options: &SyncOptions,
) -> Result<SyncPlan, SyncRefusal> {
    if listed.is_empty() {
        return Err(SyncRefusal::EmptyListing);
    }
    let by_login: HashMap<&str, &Listed> = listed.iter().map(|l| (l.login.as_str(), l)).collect();
    let known: HashSet<&str> = stored.iter().map(|s| s.login.as_str()).collect();
    let mut records = Vec::new();
    let mut unmatched = Vec::new();
    for (line, person) in stored.iter().enumerate() {
        let mut record = HrRecord {
            line: line + 1,
            employee_no: person.employee_no.clone(),
            login: person.login.clone(),
            name: person.name.clone(),
            kana: person.kana.clone(),
            department_code: person.department_code.clone(),
            position: person.position.clone(),
            mail: person.mail.clone(),
            posts: person.posts.clone(),
            employment: person.employment,
        };
        match by_login.get(person.login.as_str()) {
            Some(entry) => {
                if !entry.name.trim().is_empty() {
                    record.name = entry.name.trim().to_owned();
                }
                if let Some(mail) = entry.mail.as_deref().filter(|m| !m.trim().is_empty()) {
                    record.mail = mail.trim().to_owned();
                }
                if options.update_departments
                    && let Some(name) = entry
                        .department
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                {
                    match departments.get(name) {
                        Some(Some(code)) => record.department_code = code.clone(),
                        _ => unmatched.push((person.login.clone(), name.to_owned())),
                    }
                }
            }
            None => {
                if options.retire_missing
                    && person.employment == Employment::Active
                    && !options.keep.contains(&person.login)
                {
                    record.employment = Employment::Retired;
                }
            }
        }
        records.push(record);
    }
    let plan = plan(records, stored);
    let would = plan.retirements();
    if would > options.max_retire {
        return Err(SyncRefusal::TooManyRetirements {
            would,
            max: options.max_retire,
        });
    }
    let mut unknown: Vec<String> = listed
        .iter()
        .filter(|l| !known.contains(l.login.as_str()))
        .map(|l| l.login.clone())
        .collect();
    unknown.sort();
    Ok(SyncPlan {
        plan,
        unknown,
        unmatched_departments: unmatched,
    })
}

/// Department names mapped to codes, `None` where several departments share a name.
pub fn names_to_codes<'a>(
    departments: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> HashMap<String, Option<String>> {
    let mut out: HashMap<String, Option<String>> = HashMap::new();
    for (name, code) in departments {
        out.entry(name.to_owned())
            .and_modify(|existing| *existing = None)
            .or_insert_with(|| Some(code.to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::model::StaffId;

    fn stored(login: &str, department: &str) -> Stored {
        Stored {
            id: StaffId(1),
            employee_no: format!("no-{login}"),
            login: login.into(),
            name: "旧 氏名".into(),
            kana: "きゅう しめい".into(),
            department_code: department.into(),
            position: "主事".into(),
            mail: "old@example".into(),
            posts: vec![],
            employment: Employment::Active,
        }
    }

    fn listed(login: &str, department: Option<&str>) -> Listed {
        Listed {
            login: login.into(),
            name: "新 氏名".into(),
            mail: Some("new@example".into()),
            department: department.map(Into::into),
        }
    }

    fn departments() -> HashMap<String, Option<String>> {
        names_to_codes([("総務課", "D1"), ("庶務係", "D2"), ("庶務係", "D3")])
    }

    #[test]
    fn names_mail_and_departments_follow_the_directory_and_the_missing_retire() {
        let stored = [
            stored("tanaka", "D9"),
            stored("gone", "D1"),
            stored("admin", "D1"),
        ];
        let listed = [listed("tanaka", Some("総務課")), listed("newcomer", None)];
        let options = SyncOptions {
            keep: vec!["admin".into()],
            ..SyncOptions::default()
        };
        let sync = sync_plan(&listed, &stored, &departments(), &options).unwrap();
        assert_eq!(sync.plan.changed.len(), 2);
        let tanaka = &sync.plan.changed[0];
        let fields: Vec<&str> = tanaka.fields.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["氏名", "所属コード", "メール"]);
        assert_eq!(tanaka.record.department_code, "D1");
        assert_eq!(sync.plan.retirements(), 1);
        assert_eq!(sync.plan.changed[1].record.login, "gone");
        assert_eq!(sync.unknown, ["newcomer"]);
        assert!(sync.plan.added.is_empty(), "the directory never adds staff");
    }

    #[test]
    fn a_shared_or_unknown_department_name_moves_nobody() {
        let stored = [stored("tanaka", "D9"), stored("suzuki", "D9")];
        let listed = [
            listed("tanaka", Some("庶務係")),
            listed("suzuki", Some("財政課")),
        ];
        let sync = sync_plan(&listed, &stored, &departments(), &SyncOptions::default()).unwrap();
        assert!(
            sync.plan
                .changed
                .iter()
                .all(|c| c.record.department_code == "D9")
        );
        assert_eq!(sync.unmatched_departments.len(), 2);
    }

    #[test]
    fn a_listing_that_would_retire_too_many_or_is_empty_is_refused() {
        let stored: Vec<Stored> = (0..5).map(|i| stored(&format!("s{i}"), "D1")).collect();
        let options = SyncOptions {
            max_retire: 3,
            ..SyncOptions::default()
        };
        assert_eq!(
            sync_plan(
                &[listed("someone", None)],
                &stored,
                &departments(),
                &options
            )
            .unwrap_err(),
            SyncRefusal::TooManyRetirements { would: 5, max: 3 }
        );
        assert_eq!(
            sync_plan(&[], &stored, &departments(), &options).unwrap_err(),
            SyncRefusal::EmptyListing
        );
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../../../config/directory-sync.toml");
        let file: SyncFile = toml::from_str(text).unwrap();
        assert!(file.sync.retire_missing);
        assert!(file.sync.keep.contains(&"admin".to_owned()));
        assert!(!file.ldap.settings.urls.is_empty());
    }
}
