//! Per-route access policy: ordered allow/deny rules on user, group, department, method and
//! path, judged on the canonical request. The first rule that matches decides; every
//! judgement names the rule that made it, for the audit record and for `explain`.
//!
//! Order for a route:
//! 1. its `[[routes.rules]]`, in configuration order (a rule matches when every condition it
//!    sets holds; conditions it leaves out match anything);
//! 2. then, if the route lists `allow_groups`, membership of one of them;
//! 3. then, if the route has rules, deny (default deny);
//! 4. otherwise any logged-in user may open it.
//!
//! Departments match the department itself or any below it: a department written as a path
//! (`総務部/総務課`) is inside `総務部`.

use std::sync::Arc;

use serde::Deserialize;
use sso::Identity;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Let the request through.
    Allow,
    /// Refuse it (403).
    Deny,
}

/// `[[routes.rules]]` as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSection {
    /// What a match does.
    pub effect: Effect,
    /// Login ids (any of them).
    #[serde(default)]
    pub users: Vec<String>,
    /// Groups: DNs or plain names (any of them).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Departments, sub-departments included (any of them).
    #[serde(default)]
    pub departments: Vec<String>,
    /// HTTP methods (any of them).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Path prefix within the route, at a segment boundary (`/zaimu/reports/`).
    #[serde(default)]
    pub path_prefix: Option<String>,
}

impl RuleSection {
    /// What is wrong with this rule on a route mounted at `route_prefix`, as (field, message).
    pub fn problems(&self, route_prefix: &str) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        for g in &self.groups {
            if let Err(e) = sso::dn::normalise_group(g) {
                problems.push(("groups", e.to_string()));
            }
        }
        for m in &self.methods {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                problems.push(("methods", format!("`{m}` is not an HTTP method")));
            }
        }
        if let Some(p) = &self.path_prefix {
            let route = crate::routing::normalise_prefix(route_prefix);
            if !p.starts_with('/') || !under_prefix(&crate::routing::normalise_prefix(p), &route) {
                problems.push((
                    "path_prefix",
                    format!("must start with the route's prefix {route}"),
                ));
            }
        }
        problems
    }
}

/// A rule in its runtime form.
#[derive(Debug, Clone)]
struct Rule {
    effect: Effect,
    users: Vec<String>,
    groups: Vec<String>,
    departments: Vec<String>,
    methods: Vec<String>,
    path_prefix: Option<String>,
    /// `routes.zaimu.rules[1]`.
    label: Arc<str>,
}

impl Rule {
    /// Build from configuration (already validated) for route `route`, rule number `index`.
    fn new(section: &RuleSection, route: &str, index: usize) -> Rule {
        Rule {
            effect: section.effect,
            users: section
                .users
                .iter()
                .map(|u| sso::local::normalise_login(u))
                .collect(),
            groups: section
                .groups
                .iter()
                .map(|g| sso::dn::normalise_group(g).unwrap_or_else(|_| g.clone()))
                .collect(),
            departments: section.departments.clone(),
            methods: section
                .methods
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect(),
            path_prefix: section
                .path_prefix
                .as_deref()
                .map(crate::routing::normalise_prefix),
            label: format!("routes.{route}.rules[{index}]").into(),
        }
    }

    fn matches(&self, who: &Identity, method: &str, path: &str) -> bool {
        (self.users.is_empty() || self.users.contains(&sso::local::normalise_login(&who.user)))
            && (self.groups.is_empty() || self.groups.iter().any(|g| who.in_group(g)))
            && (self.departments.is_empty()
                || self.departments.iter().any(|d| in_department(who, d)))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == method))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| under_prefix(path, prefix))
    }
}

/// Whether `who` belongs to department `wanted` or to one below it.
fn in_department(who: &Identity, wanted: &str) -> bool {
    who.department
        .as_deref()
        .is_some_and(|d| d == wanted || d.split('/').any(|part| part == wanted))
}

/// Whether `path` is `prefix` or below it at a segment boundary.
pub fn under_prefix(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// What the policy said, and which rule said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Whether the request may pass.
    pub allowed: bool,
    /// The rule that decided (`routes.zaimu.rules[1]`, `routes.zaimu.allow_groups`,
    /// `routes.zaimu.default_deny`, `routes.zaimu.any_user`). Shared, not built per request.
    pub rule: Arc<str>,
}

/// A route's whole policy, built once from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
    /// Normalised groups (DNs or names); anyone logged in when empty.
    allow_groups: Vec<String>,
    allow_groups_label: Arc<str>,
    fallback_label: Arc<str>,
}

impl Policy {
    /// The policy of route `route` from its rules and `allow_groups` as configured
    /// (already validated).
    pub fn new(route: &str, rules: &[RuleSection], allow_groups: &[String]) -> Policy {
        let fallback = if rules.is_empty() {
            "any_user"
        } else {
            "default_deny"
        };
        Policy {
            rules: rules
                .iter()
                .enumerate()
                .map(|(i, r)| Rule::new(r, route, i))
                .collect(),
            allow_groups: allow_groups
                .iter()
                .map(|g| sso::dn::normalise_group(g).unwrap_or_else(|_| g.clone()))
                .collect(),
            allow_groups_label: format!("routes.{route}.allow_groups").into(),
            fallback_label: format!("routes.{route}.{fallback}").into(),
        }
    }

    /// Judge `method path` (canonical) by `who`, in the order the module documents.
    pub fn judge(&self, who: &Identity, method: &str, path: &str) -> Judgement {
        if let Some(rule) = self.rules.iter().find(|r| r.matches(who, method, path)) {
            return Judgement {
                allowed: rule.effect == Effect::Allow,
                rule: rule.label.clone(),
            };
        }
        if !self.allow_groups.is_empty() {
            return Judgement {
                allowed: self.allow_groups.iter().any(|g| who.in_group(g)),
                rule: self.allow_groups_label.clone(),
            };
        }
        Judgement {
            allowed: self.rules.is_empty(),
            rule: self.fallback_label.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sso::AuthMethod;

    fn who(user: &str, department: &str, groups: &[&str]) -> Identity {
        Identity {
            user: user.into(),
            name: user.into(),
            mail: None,
            department: Some(department.into()),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            method: AuthMethod::Local,
        }
    }

    fn policy(toml_rules: &str) -> Policy {
        #[derive(Deserialize)]
        struct Wrap {
            rules: Vec<RuleSection>,
        }
        let w: Wrap = toml::from_str(toml_rules).unwrap();
        Policy::new("zaimu", &w.rules, &[])
    }

    const ZAIMU: &str = r#"
[[rules]]
effect = "deny"
users = ["sato"]
[[rules]]
effect = "allow"
departments = ["財務部"]
[[rules]]
effect = "allow"
groups = ["CN=Auditors,OU=Groups,DC=city"]
methods = ["GET", "HEAD"]
[[rules]]
effect = "allow"
path_prefix = "/zaimu/manual/"
"#;

    #[test]
    fn the_first_matching_rule_decides_and_is_named() {
        let p = policy(ZAIMU);
        let judge = |w: &Identity, m: &str, path: &str| p.judge(w, m, path);
        // A deny before the department allow.
        let sato = who("SATO", "財務部/財政課", &[]);
        assert_eq!(
            judge(&sato, "GET", "/zaimu/"),
            Judgement {
                allowed: false,
                rule: "routes.zaimu.rules[0]".into()
            }
        );
        // Sub-departments are inside their department.
        let kato = who("kato", "財務部/会計課", &[]);
        assert_eq!(
            &*judge(&kato, "POST", "/zaimu/x").rule,
            "routes.zaimu.rules[1]"
        );
        assert!(judge(&kato, "POST", "/zaimu/x").allowed);
        // Auditors may read but not write; the group is compared by its whole DN.
        let auditor = who("ito", "監査課", &["cn=auditors,ou=groups,dc=city"]);
        assert!(judge(&auditor, "GET", "/zaimu/x").allowed);
        assert_eq!(
            judge(&auditor, "POST", "/zaimu/x"),
            Judgement {
                allowed: false,
                rule: "routes.zaimu.default_deny".into()
            }
        );
        let namesake = who("ito", "監査課", &["auditors"]);
        assert!(!judge(&namesake, "GET", "/zaimu/x").allowed);
        // Everyone may read the manual; the prefix holds at a segment boundary only.
        let clerk = who("yamada", "総務課", &[]);
        assert!(judge(&clerk, "GET", "/zaimu/manual/index.html").allowed);
        assert!(!judge(&clerk, "GET", "/zaimu/manual-old/").allowed);
    }

    #[test]
    fn without_rules_groups_or_anyone_decide() {
        let clerk = who("yamada", "総務課", &["staff"]);
        let open = Policy::new("portal", &[], &[]).judge(&clerk, "GET", "/");
        assert_eq!(&*open.rule, "routes.portal.any_user");
        assert!(open.allowed);
        let closed =
            Policy::new("zaimu", &[], &["zaimu-users".into()]).judge(&clerk, "GET", "/zaimu/");
        assert_eq!(&*closed.rule, "routes.zaimu.allow_groups");
        assert!(!closed.allowed);
    }
}
