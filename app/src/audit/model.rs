//! What the audit view shows, without IO: who may see it, the filter typed into its form
//! turned into a search, and a record turned into a row.

use serde::Deserialize;
use sso::Claims;
use sso::audit::search::{Query, StatusFilter};

/// Most rows the view shows.
pub const VIEW_LIMIT: usize = 200;

/// Whether `claims` belong to the security team: a member of one of `groups` (normalised as
/// the gateway normalises them: DNs whole, plain names ignoring ASCII case).
pub fn is_security(claims: &Claims, groups: &[String]) -> bool {
    let identity = claims.identity();
    groups.iter().any(|g| identity.in_group(g))
}

/// The view's filter form, as typed (every field optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Login id.
    pub user: String,
    /// From (JST unless a zone is given).
    pub from: String,
    /// Until (a bare date includes the day).
    pub to: String,
    /// Route id.
    pub route: String,
    /// Decision.
    pub decision: String,
    /// Status, `403` or `4xx`.
    pub status: String,
    /// Action.
    pub action: String,
}

/// A filter field that could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterProblem {
    /// `from` or `to` is not a time.
    Time,
    /// `status` is not a status.
    Status,
    /// `decision` is not one of the decisions.
    Decision,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Filter {
    /// The search this filter asks for, newest first, or every field that could not be read.
    pub fn query(&self) -> Result<Query, Vec<FilterProblem>> {
        let mut problems = Vec::new();
        let mut time = |text: &str, end: bool| {
            given(text).and_then(|t| match sso::audit::when::parse_time(&t, end) {
                Ok(ms) => Some(ms),
                Err(_) => {
                    problems.push(FilterProblem::Time);
                    None
                }
            })
        };
        let from_ms = time(&self.from, false);
        let to_ms = time(&self.to, true);
        let status = given(&self.status).and_then(|s| match StatusFilter::parse(&s) {
            Ok(f) => Some(f),
            Err(_) => {
                problems.push(FilterProblem::Status);
                None
            }
        });
        let decision = given(&self.decision);
        if decision
            .as_deref()
            .is_some_and(|d| sso::audit::Decision::parse(d).is_none())
        {
            problems.push(FilterProblem::Decision);
        }
        if !problems.is_empty() {
            problems.dedup();
            return Err(problems);
        }
        Ok(Query {
            from_ms,
            to_ms,
            user: given(&self.user),
            route: given(&self.route),
            decision,
            status,
            action: given(&self.action),
            limit: VIEW_LIMIT,
            newest_first: true,
        })
    }
}

/// One record as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// `YYYY-MM-DD HH:MM:SS` in JST.
    pub time: String,
    /// Which process wrote it (`gateway`, `app`).
    pub service: String,
    /// Who acted.
    pub user: String,
    /// Who was acted on, if anyone else.
    pub target: String,
    /// `event.action`.
    pub action: String,
    /// `yakuba.decision`.
    pub decision: String,
    /// Whether it was a failure or denial (shown apart).
    pub failed: bool,
    /// Response status.
    pub status: String,
    /// Route id.
    pub route: String,
    /// Method and path.
    pub request: String,
    /// Client address.
    pub client: String,
    /// Reason code.
    pub reason: String,
}

impl Row {
    /// The row for one record as written.
    pub fn from_record(text: &str) -> Row {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let s = |path: &[&str]| -> String {
            let value = path.iter().fold(&v, |v, k| &v[*k]);
            match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            }
        };
        let time = sso::audit::chain::parse_timestamp(&s(&["@timestamp"]))
            .map(|ms| {
                let jst =
                    sso::audit::record::format_ms(ms + sso::audit::segment::JST_OFFSET_SECS * 1000);
                format!("{} {}", &jst[..10], &jst[11..19])
            })
            .unwrap_or_default();
        let method = s(&["http", "request", "method"]);
        let path = s(&["url", "path"]);
        Row {
            time,
            service: s(&["service", "name"]),
            user: s(&["user", "name"]),
            target: s(&["user", "target", "name"]),
            action: s(&["event", "action"]),
            decision: s(&["yakuba", "decision"]),
            failed: v["event"]["outcome"] == "failure",
            status: s(&["http", "response", "status_code"]),
            route: s(&["yakuba", "route"]),
            request: format!("{method} {path}").trim().to_owned(),
            client: s(&["client", "ip"]),
            reason: s(&["event", "reason"]),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn claims(user: &str, groups: &[&str]) -> Claims {
        Claims {
            iss: "yakuba-gateway".into(),
            aud: "yakuba-app".into(),
            sub: user.into(),
            iat: 0,
            nbf: 0,
            exp: 0,
            name: "監査 花子".into(),
            mail: None,
            dept: Some("監査課".into()),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            amr: sso::AuthMethod::Ldap,
            sid: "ab".repeat(32),
            csrf: "c".into(),
            apps: Vec::new(),
        }
    }

    #[test]
    fn only_members_of_a_security_group_see_the_view() {
        let groups = vec![
            "yakuba-security".to_owned(),
            sso::dn::normalise_group("CN=Kansa,OU=Groups,DC=city").unwrap(),
        ];
        assert!(is_security(&claims("ito", &["Yakuba-Security"]), &groups));
        assert!(is_security(
            &claims(
                "ito",
                &[&sso::dn::normalise_group("cn=kansa,ou=groups,dc=city").unwrap()]
            ),
            &groups
        ));
        assert!(!is_security(&claims("yamada", &["staff"]), &groups));
        // A DN's first RDN is not the group.
        assert!(!is_security(&claims("x", &["Kansa"]), &groups));
    }

    #[test]
    fn filters_become_newest_first_searches_and_bad_fields_are_all_reported() {
        let q = Filter {
            user: " yamada ".into(),
            from: "2026-04-01".into(),
            status: "4xx".into(),
            ..Filter::default()
        }
        .query()
        .unwrap();
        assert_eq!(q.user.as_deref(), Some("yamada"));
        assert_eq!(q.from_ms, Some(1_774_969_200_000));
        assert_eq!(q.status, Some(StatusFilter::Class(4)));
        assert!(q.newest_first && q.to_ms.is_none() && q.route.is_none());
        let bad = Filter {
            from: "きのう".into(),
            to: "x".into(),
            status: "999".into(),
            decision: "maybe".into(),
            ..Filter::default()
        }
        .query()
        .unwrap_err();
        assert_eq!(
            bad,
            vec![
                FilterProblem::Time,
                FilterProblem::Status,
                FilterProblem::Decision
            ]
        );
    }

    #[test]
    fn a_record_becomes_a_row_in_jst() {
        let row = Row::from_record(
            r#"{"@timestamp":"2026-03-31T23:30:05.120Z","event":{"action":"request","outcome":"failure","reason":"policy_denied"},"service":{"name":"gateway"},"user":{"name":"yamada"},"http":{"request":{"method":"GET"},"response":{"status_code":403}},"url":{"path":"/zaimu/"},"client":{"ip":"10.0.0.7"},"yakuba":{"decision":"deny","route":"zaimu"}}"#,
        );
        assert_eq!(row.time, "2026-04-01 08:30:05");
        assert_eq!(row.request, "GET /zaimu/");
        assert_eq!((row.status.as_str(), row.route.as_str()), ("403", "zaimu"));
        assert!(row.failed);
        assert_eq!(row.target, "");
    }
}
