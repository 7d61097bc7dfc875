//! Everything the running gateway shares across requests, built once at start.

use std::sync::Arc;

use pingora::lb::LoadBalancer;
use pingora::lb::selection::RoundRobin;
use sso::ldap::LdapDirectory;
use sso::local::{LocalAccounts, LocalOutcome};
use sso::{AssertionSigner, Identity};

use crate::audit::AuditLog;
use crate::headers::ReservedHeaders;
use crate::routing::RouteTable;
use crate::sessions::Sessions;

/// The shared state of the gateway.
pub struct GatewayState {
    /// Routes in configuration order.
    pub routes: Arc<RouteTable>,
    /// One balancer per route, same order.
    pub balancers: Vec<Arc<LoadBalancer<RoundRobin>>>,
    /// Header names clients may not send.
    pub reserved: ReservedHeaders,
    /// Live sessions.
    pub sessions: Arc<Sessions>,
    /// Signs assertions for the app.
    pub signer: AssertionSigner,
    /// The JWKS upstreams verify assertions with (`/.yakuba/jwks.json`).
    pub jwks: Option<String>,
    /// Local accounts.
    pub local: Arc<LocalAccounts>,
    /// The directory, when configured.
    pub ldap: Option<LdapDirectory>,
    /// OpenID providers, in configuration order.
    pub idps: Vec<crate::idp::Provider>,
    /// The audit log.
    pub audit: AuditLog,
    /// Failed-login bookkeeping.
    pub throttle: crate::throttle::Throttle,
    /// Shortest time a failed login takes.
    pub failure_delay: std::time::Duration,
    /// Users' credentials for legacy systems.
    pub vault: crate::vault::Vault,
    /// Talks to legacy systems when the gateway logs into their forms itself.
    pub legacy_client: reqwest::Client,
    /// Stops a login-form replay from looping.
    pub replays: crate::legacy::ReplayGuard,
    /// Most sessions per user; 0 means no limit.
    pub max_sessions_per_user: u32,
    /// Groups whose members administer the gateway.
    pub admin_groups: Vec<String>,
    /// HTTPS port browsers use (for redirects from plain HTTP).
    pub https_port: u16,
    /// Request, decision and login counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
}

/// Why a login failed. Users see one generic message (or "directory unreachable"); the
/// audit record carries the precise reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    /// Reason code for the audit record.
    pub reason: &'static str,
    /// Whether the directory could not be reached (the one case the user is told apart).
    pub unreachable: bool,
}

impl GatewayState {
    /// The OpenID provider configured as `id`.
    pub fn idp(&self, id: &str) -> Option<&crate::idp::Provider> {
        self.idps.iter().find(|p| p.id() == id)
    }

    /// Whether `identity` administers the gateway.
    pub fn is_admin(&self, identity: &Identity) -> bool {
        self.admin_groups.iter().any(|g| identity.in_group(g))
    }

    /// Check credentials against the one source the login name belongs to: a local account
    /// if one has that name, otherwise the directory.
    pub async fn authenticate(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Identity, LoginFailure> {
        let failure = |reason| LoginFailure {
            reason,
            unreachable: false,
        };
        if login.trim().is_empty()
            || password.is_empty()
            || login.len() > 256
            || password.len() > 1024
        {
            return Err(failure("malformed_credentials"));
        }
        // A local account name always means the local account (break-glass must work with
        // the directory down, and a name is never looked up in two places). Other names go
        // to the directory; without one, the local check still runs on a decoy hash so that
        // unknown names take as long as wrong passwords.
        if self.local.has(login) || self.ldap.is_none() {
            // argon2id is deliberately slow; keep it off the proxy's worker threads.
            let outcome = {
                let (login, password) = (login.to_owned(), password.to_owned());
                let local = self.local.clone();
                tokio::task::spawn_blocking(move || local.verify(&login, &password))
                    .await
                    .map_err(|_| failure("local_verify_failed"))?
            };
            match outcome {
                LocalOutcome::Authenticated(identity) => return Ok(identity),
                LocalOutcome::WrongPassword => return Err(failure("bad_credentials")),
                LocalOutcome::UnknownUser => {}
            }
        }
        let Some(ldap) = &self.ldap else {
            return Err(failure("unknown_user"));
        };
        let identity = ldap.authenticate(login, password).await.map_err(|e| {
            if !e.is_user_error() {
                tracing::warn!(error = %e, "directory login failed");
            }
            LoginFailure {
                reason: e.reason(),
                unreachable: matches!(e, sso::ldap::LdapError::Unreachable(_)),
            }
        })?;
        // `DOMAIN\admin` must not become the same user as the local account `admin`.
        if self.local.has(&identity.user) {
            return Err(failure("name_taken_by_local_account"));
        }
        Ok(identity)
    }
}
