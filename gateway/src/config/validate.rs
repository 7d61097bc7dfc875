//! The checks that types alone cannot make, each problem reported with its key path.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use super::{ConfigErrors, GatewayConfig, IdentityMode, Problem};

impl GatewayConfig {
    /// Check everything that types alone cannot, reporting every problem.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut problems = Vec::new();
        let mut problem = |key: String, message: &str| {
            problems.push(Problem {
                key,
                message: message.to_owned(),
            })
        };
        if self.server.threads == 0 {
            problem("server.threads".into(), "must be at least 1");
        }
        if self.session.idle_timeout.is_zero() {
            problem("session.idle_timeout".into(), "must be longer than zero");
        }
        if self.session.sync_interval < Duration::from_secs(1) {
            problem("session.sync_interval".into(), "must be at least 1s");
        }
        if self.session.revalidate_interval < Duration::from_secs(1) {
            problem("session.revalidate_interval".into(), "must be at least 1s");
        }
        if self.session.absolute_timeout < self.session.idle_timeout {
            problem(
                "session.absolute_timeout".into(),
                "must not be shorter than session.idle_timeout",
            );
        }
        let lifetime = self.assertion.lifetime;
        if lifetime < Duration::from_secs(10) || lifetime > Duration::from_secs(300) {
            problem("assertion.lifetime".into(), "must be between 10s and 5m");
        }
        if self.login.account_attempts == 0 {
            problem("login.account_attempts".into(), "must be at least 1");
        }
        if self.login.client_attempts == 0 {
            problem("login.client_attempts".into(), "must be at least 1");
        }
        if self.login.failure_delay > Duration::from_secs(5) {
            problem("login.failure_delay".into(), "must be at most 5s");
        }
        if self.audit.retention < Duration::from_secs(86_400) {
            problem("audit.retention".into(), "must be at least 1d");
        }
        if self.audit.queue < 1024 {
            problem("audit.queue".into(), "must be at least 1024");
        }
        if self.audit.segment_max_mb == 0 {
            problem("audit.segment_max_mb".into(), "must be at least 1");
        }
        if matches!(self.audit.fsync, sso::audit::stream::Fsync::Interval(d) if d.is_zero()) {
            problem("audit.fsync".into(), "an interval must be longer than zero");
        }
        let interval = self.audit.checkpoint_interval;
        if interval < Duration::from_secs(1) || interval > Duration::from_secs(3600) {
            problem(
                "audit.checkpoint_interval".into(),
                "must be between 1s and 1h",
            );
        }
        if self.path(&self.audit.checkpoint_dir) == self.path(&self.audit.dir) {
            problem(
                "audit.checkpoint_dir".into(),
                "must not be the segment directory (checkpoints must survive where segments do not)",
            );
        }
        if self.routes.is_empty() {
            problem("routes".into(), "at least one route is needed");
        }
        for (i, g) in self.admin.groups.iter().enumerate() {
            if let Err(e) = sso::dn::normalise_group(g) {
                problem(format!("admin.groups[{i}]"), &e.to_string());
            }
        }
        let mut ids = HashSet::new();
        let mut matches = HashSet::new();
        for (i, r) in self.routes.iter().enumerate() {
            let key = |field: &str| format!("routes[{i}].{field}");
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                problem(
                    key("id"),
                    "must be non-empty ASCII letters, digits, `-` or `_`",
                );
            }
            if !ids.insert(r.id.clone()) {
                problem(key("id"), "is used by another route");
            }
            if !r.path_prefix.starts_with('/') {
                problem(key("path_prefix"), "must start with `/`");
            }
            if !matches.insert((
                r.host.clone(),
                crate::routing::normalise_prefix(&r.path_prefix),
            )) {
                problem(
                    key("path_prefix"),
                    "another route has the same host and prefix",
                );
            }
            if r.upstreams.is_empty() {
                problem(key("upstreams"), "at least one address is needed");
            }
            for (field, value, limit) in [
                ("connect_timeout", r.connect_timeout, 60),
                ("read_timeout", r.read_timeout, 3600),
            ] {
                if value.is_zero() || value.as_secs() > limit {
                    problem(
                        key(field),
                        &format!("must be more than 0 and at most {limit} seconds"),
                    );
                }
            }
            for (j, rule) in r.rules.iter().enumerate() {
                for (field, message) in rule.problems(&r.path_prefix) {
                    problem(format!("routes[{i}].rules[{j}].{field}"), &message);
                }
            }
            if r.frame_options
                .as_deref()
                .is_some_and(|f| !matches!(f, "DENY" | "SAMEORIGIN"))
            {
                problem(key("frame_options"), "must be \"DENY\" or \"SAMEORIGIN\"");
            }
            if r.content_security_policy
                .as_deref()
                .is_some_and(|c| http::HeaderValue::from_str(c).is_err())
            {
                problem(
                    key("content_security_policy"),
                    "is not a valid header value",
                );
            }
            if r.upstream_host.as_deref().is_some_and(|h| {
                h.is_empty()
                    || h.parse::<http::uri::Authority>()
                        .map_or(true, |a| a.as_str() != h)
            }) {
                problem(
                    key("upstream_host"),
                    "must be a host name, optionally with a port",
                );
            }
            if r.public && r.identity != IdentityMode::None {
                problem(key("identity"), "must be \"none\" on a public route");
            }
            for (j, g) in r.allow_groups.iter().enumerate() {
                if let Err(e) = sso::dn::normalise_group(g) {
                    problem(format!("routes[{i}].allow_groups[{j}]"), &e.to_string());
                }
            }
            for (j, u) in r.upstreams.iter().enumerate() {
                if u.parse::<SocketAddr>().is_err() {
                    problem(
                        format!("routes[{i}].upstreams[{j}]"),
                        "must be an IP address and port, e.g. 127.0.0.1:8701",
                    );
                }
            }
            match r.identity {
                IdentityMode::Assertion if r.audience.is_none() => {
                    problem(key("audience"), "is required when identity = \"assertion\"")
                }
                IdentityMode::Headers if r.headers.is_empty() => {
                    problem(key("headers"), "is required when identity = \"headers\"")
                }
                IdentityMode::FormLogin if r.form_login.is_none() => problem(
                    key("form_login"),
                    "is required when identity = \"form_login\"",
                ),
                _ => {}
            }
            if r.form_login.is_some() && r.identity != IdentityMode::FormLogin {
                problem(
                    key("form_login"),
                    "is only used with identity = \"form_login\"",
                );
            }
            if let Some(form) = &r.form_login {
                for (name, path) in [
                    ("login_path", Some(&form.login_path)),
                    ("logout_path", form.logout_path.as_ref()),
                ] {
                    if let Some(path) = path
                        && crate::canonical::RequestPath::parse(path)
                            .map_or(true, |p| p.as_str() != path.as_str())
                    {
                        problem(
                            format!("routes[{i}].form_login.{name}"),
                            "must be a canonical absolute path, e.g. /login",
                        );
                    }
                }
                if form.username_field.is_empty() || form.password_field.is_empty() {
                    problem(
                        format!("routes[{i}].form_login"),
                        "username_field and password_field must not be empty",
                    );
                }
            }
            for (j, h) in r.headers.iter().enumerate() {
                if http::HeaderName::from_bytes(h.name.as_bytes()).is_err() || h.name.contains('_')
                {
                    problem(
                        format!("routes[{i}].headers[{j}].name"),
                        "must be a valid header name without `_`",
                    );
                }
            }
        }
        if let Some(ldap) = &self.ldap {
            if ldap.settings.urls.is_empty() {
                problem("ldap.urls".into(), "at least one server is needed");
            }
            for (j, u) in ldap.settings.urls.iter().enumerate() {
                if !(u.starts_with("ldap://") || u.starts_with("ldaps://")) {
                    problem(
                        format!("ldap.urls[{j}]"),
                        "must start with ldap:// or ldaps://",
                    );
                }
            }
            if !ldap.settings.user_filter.contains("{login}") {
                problem("ldap.user_filter".into(), "must contain {login}");
            }
        }
        let mut idps = HashSet::new();
        for (i, o) in self.oidc.iter().enumerate() {
            // The secret itself is read from client_secret_file at start.
            for p in o.settings.problems() {
                if !p.starts_with("client_secret") {
                    problem(format!("oidc[{i}]"), &p);
                }
            }
            if !idps.insert(o.settings.id.clone()) {
                problem(format!("oidc[{i}].id"), "is used by another provider");
            }
        }
        if self.local_accounts.is_empty() && self.ldap.is_none() && self.oidc.is_empty() {
            problem(
                "local_accounts".into(),
                "no way to log in: configure [ldap], [[oidc]] or at least one local account",
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(problems))
        }
    }
}
