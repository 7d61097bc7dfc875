//! `yakuba-gateway explain`: "would this user be allowed this request, and why?", answered by
//! the code the proxy runs (canonical path, route table, access decision, policy), for
//! administrators writing rules and for anyone asking why a page said 403.

use anyhow::Context as _;
use sso::{AuthMethod, Identity};

use crate::access::{self, Verdict, Who};
use crate::canonical::RequestPath;
use crate::config::GatewayConfig;
use crate::routing::RouteTable;

/// Who the question is about.
pub struct Subject {
    /// Login id.
    pub user: String,
    /// Groups to assume instead of looking the user up.
    pub groups: Vec<String>,
    /// Department to assume instead of looking the user up.
    pub department: Option<String>,
}

/// Answer for `method url` by `subject`, as printable lines.
pub fn explain(
    config: &GatewayConfig,
    subject: &Subject,
    method: &str,
    url: &str,
) -> anyhow::Result<String> {
    let method = method.to_ascii_uppercase();
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("`{url}` is not a URL"))?;
    let host = uri.host().map(str::to_ascii_lowercase);
    let mut out = Vec::new();
    let who = identity(config, subject)?;
    out.push(format!(
        "{method} {url}\nuser: {} ({}; department {}; groups: {})",
        who.user,
        who.name,
        who.department.as_deref().unwrap_or("-"),
        if who.groups.is_empty() {
            "-".to_owned()
        } else {
            who.groups.join(" | ")
        }
    ));
    let path = match RequestPath::parse(uri.path()) {
        Ok(path) => path,
        Err(e) => {
            out.push(format!("decision: REFUSED (400): {}", e.reason()));
            return Ok(out.join("\n"));
        }
    };
    out.push(format!("canonical path: {}", path.as_str()));
    let table = RouteTable::new(&config.routes);
    let route = table.find(host.as_deref(), &path).map(|r| table.get(r));
    match route {
        Some(r) => out.push(format!("route: {} ({})", r.id, r.name)),
        None => out.push("route: none".to_owned()),
    }
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let request = access::Request {
        method: &method,
        path: path.as_str(),
        navigation: true,
        target,
    };
    out.push(match access::decide(route, Who::User(&who), &request) {
        Verdict::Forward { rule: Some(rule) } => format!("decision: ALLOWED by {rule}"),
        Verdict::Forward { rule: None } => "decision: ALLOWED (public route)".to_owned(),
        Verdict::Deny {
            status,
            reason,
            rule,
        } => format!(
            "decision: DENIED ({status}): {reason}{}",
            rule.map(|r| format!(" by {r}")).unwrap_or_default()
        ),
        Verdict::RedirectToLogin { .. } => "decision: login required".to_owned(),
    });
    Ok(out.join("\n"))
}

/// The user as the gateway would see them: assumed groups and department if given, else a
/// local account, else the directory (looked up with the service account).
fn identity(config: &GatewayConfig, subject: &Subject) -> anyhow::Result<Identity> {
    if !subject.groups.is_empty() || subject.department.is_some() {
        return Ok(Identity {
            user: sso::local::normalise_login(&subject.user),
            name: "(assumed)".into(),
            mail: None,
            department: subject.department.clone(),
            groups: subject
                .groups
                .iter()
                .map(|g| sso::dn::normalise_group(g).unwrap_or_else(|_| g.clone()))
                .collect(),
            method: AuthMethod::Local,
        });
    }
    let wanted = sso::local::normalise_login(&subject.user);
    if let Some(account) = config
        .local_accounts
        .iter()
        .find(|a| sso::local::normalise_login(&a.user) == wanted)
    {
        return Ok(Identity {
            user: wanted,
            name: account.name.clone(),
            mail: account.mail.clone(),
            department: account.department.clone(),
            groups: account.groups.clone(),
            method: AuthMethod::Local,
        });
    }
    let Some(settings) = config.ldap_settings()? else {
        anyhow::bail!(
            "`{}` is no local account and no directory is configured: \
             give --group / --department to assume them",
            subject.user
        );
    };
    let directory = sso::ldap::LdapDirectory::new(settings)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(directory.lookup(&subject.user))?
        .with_context(|| format!("the directory has no active user `{}`", subject.user))
}
