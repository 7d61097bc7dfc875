//! The gateway's background tasks, each a loop on the maintenance runtime: sweeping expired
//! sessions, syncing with other gateways that share the session store, and re-validating
//! sessions against the directory and the OpenID providers.

use std::sync::Arc;
use std::time::Duration;

use crate::{audit, sessions, state};

/// Flush session last-use times and sweep expired sessions, forever.
pub async fn maintain(state: Arc<state::GatewayState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        state.throttle.prune(std::time::Instant::now());
        match state.sessions.sweep().await {
            Ok(ended) => {
                for (key, user, reason) in ended {
                    state.audit.record(audit::Record {
                        user: Some(user),
                        session: Some(key),
                        ..audit::Record::new(
                            audit::Action::Logout,
                            audit::Decision::Success,
                            reason,
                        )
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "session maintenance failed"),
        }
    }
}

/// Drop cached sessions that any gateway sharing the store ended or changed, forever. Each
/// round looks back over the previous interval plus a margin for clock differences between
/// gateways; dropping is idempotent, so overlapping windows do no harm.
pub async fn sync_sessions(state: Arc<state::GatewayState>, interval: Duration) {
    const CLOCK_MARGIN: i64 = 10;
    let lookback = i64::try_from(interval.as_secs()).unwrap_or(60) + 1 + CLOCK_MARGIN;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let since = sessions::now() - lookback;
        if let Err(e) = state.sessions.sync(since).await {
            tracing::warn!(error = %e, "reading session events failed");
        }
    }
}

/// Check every route's upstreams every `interval`, forever; the balancers then pick only
/// upstreams that answered.
pub async fn check_upstreams(state: Arc<state::GatewayState>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for lb in &state.balancers {
            lb.backends().run_health_check(true).await;
        }
    }
}

/// Re-validate sessions every `interval`, forever: directory users against the directory,
/// users of OpenID providers with their refresh tokens.
pub async fn revalidate(state: Arc<state::GatewayState>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Some(ldap) = &state.ldap {
            directory_round(&state, ldap).await;
        }
        if !state.idps.is_empty() {
            provider_round(&state, interval).await;
        }
    }
}

fn ended(state: &state::GatewayState, user: &str, key: &str, reason: &'static str) {
    state.audit.record(audit::Record {
        user: Some(user.to_owned()),
        session: Some(key.to_owned()),
        ..audit::Record::new(audit::Action::Logout, audit::Decision::Success, reason)
    });
}

/// Sessions of users the directory no longer has (deleted, disabled or expired) end; the
/// others take the directory's current name, department and groups. When the directory
/// cannot be reached, sessions are left as they are and the next round tries again.
async fn directory_round(state: &state::GatewayState, ldap: &sso::ldap::LdapDirectory) {
    let sessions = match state.sessions.all_live().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list sessions for re-validation");
            return;
        }
    };
    let mut by_user: std::collections::BTreeMap<String, Vec<sessions::SessionSummary>> =
        std::collections::BTreeMap::new();
    for s in sessions
        .into_iter()
        .filter(|s| s.identity.method == sso::AuthMethod::Ldap)
    {
        by_user.entry(s.identity.user.clone()).or_default().push(s);
    }
    for (user, held) in by_user {
        match ldap.lookup(&user).await {
            Ok(Some(current)) => {
                for s in held.into_iter().filter(|s| s.identity != current) {
                    if let Err(e) = state
                        .sessions
                        .replace_identity(&s.key, current.clone())
                        .await
                    {
                        tracing::warn!(error = %e, user.id = %user, "cannot refresh a session's identity");
                    }
                }
            }
            Ok(None) => {
                for s in held {
                    if let Err(e) = state.sessions.end(&s.key).await {
                        tracing::warn!(error = %e, user.id = %user, "cannot end a session");
                        continue;
                    }
                    tracing::info!(user.id = %user, "session ended: user no longer in the directory");
                    ended(state, &user, s.key.as_str(), "directory_disabled");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, user.id = %user, "cannot re-validate against the directory; sessions kept");
                return;
            }
        }
    }
}

/// Each session from an OpenID provider is refreshed at the provider: a refused refresh
/// (user disabled or deleted, grant revoked) ends it; otherwise it takes the provider's
/// current claims and the rotated refresh token. Of several gateways sharing the store, the
/// first to claim a session does it (a refresh token must not be used twice). A provider
/// that cannot be reached leaves its sessions as they are.
async fn provider_round(state: &state::GatewayState, interval: Duration) {
    let rows = match state.sessions.refreshable().await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list provider sessions for re-validation");
            return;
        }
    };
    let half = i64::try_from(interval.as_secs() / 2).unwrap_or(0);
    let mut unreachable = std::collections::BTreeSet::new();
    for row in rows {
        if unreachable.contains(&row.idp) {
            continue;
        }
        let Some(provider) = state.idp(&row.idp) else {
            continue;
        };
        let now = sessions::now();
        match state
            .sessions
            .claim_revalidation(&row.key, now, now - half)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a session's re-validation");
                return;
            }
        }
        let token = sso::oidc::RefreshTokenSecret::from_stored(row.refresh_token.clone());
        let refreshed = match provider.client().await {
            Ok(client) => client.refresh(&token, &row.idp_sub).await,
            Err(e) => Err(e),
        };
        let key = sso::SessionKey::from_stored(row.key.clone());
        match refreshed {
            Ok(fresh) => {
                if let Some(rotated) = &fresh.refresh_token
                    && let Err(e) = state
                        .sessions
                        .set_refresh_token(&key, rotated.as_str())
                        .await
                {
                    tracing::warn!(error = %e, "cannot keep a rotated refresh token");
                }
                let mut identity = fresh.identity;
                provider.adopt(&mut identity);
                let stored: Option<sso::Identity> = serde_json::from_str(&row.identity).ok();
                if stored.as_ref() != Some(&identity)
                    && let Err(e) = state.sessions.replace_identity(&key, identity).await
                {
                    tracing::warn!(error = %e, "cannot refresh a session's identity");
                }
            }
            Err(sso::oidc::OidcError::Revoked(why)) => {
                tracing::info!(user.id = %row.user_id, idp = %row.idp, reason = %why, "session ended: the provider refused to refresh it");
                if state.sessions.end(&key).await.is_ok() {
                    ended(state, &row.user_id, &row.key, "idp_revoked");
                }
            }
            Err(e) => {
                tracing::warn!(idp = %row.idp, error = %e, "cannot re-validate against the provider; sessions kept");
                unreachable.insert(row.idp.clone());
            }
        }
    }
}
