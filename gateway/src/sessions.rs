//! Live sessions: served from memory on every request, written through to the store at
//! login and logout, with last-use times flushed in the background.
//!
//! The request path never waits on the disk for a known session: a lookup is a hash of the
//! cookie and a map read. Only an id this process has not seen yet (after a restart) costs
//! one indexed read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use sqlx::AnyPool;
use sso::{
    AppLink, AssertionSigner, Claims, Identity, SessionId, SessionKey, SessionKeyer, SessionRules,
    SessionState,
};

use crate::routing::RouteTable;
use crate::store;

/// A session held in memory.
#[derive(Debug)]
pub struct LiveSession {
    /// Keyed hash of the id.
    pub key: SessionKey,
    /// Who is logged in.
    pub identity: Identity,
    /// The session's CSRF token.
    pub csrf: String,
    /// Tiles this user may open.
    pub apps: Vec<AppLink>,
    /// Login time, Unix seconds.
    pub created_at: i64,
    last_seen: AtomicI64,
    flushed_seen: AtomicI64,
    /// The last assertion signed for this session, reused until half its lifetime is gone.
    assertion: Mutex<Option<CachedAssertion>>,
}

impl LiveSession {
    /// Last use, Unix seconds.
    pub fn last_seen(&self) -> i64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    /// The identity assertion for `audience` as a header value, signed at most half a lifetime
    /// ago: reused from the cache when fresh (a clone shares the bytes, so the request path
    /// neither copies nor re-validates it), signed anew (once per half lifetime) otherwise.
    pub fn assertion(
        &self,
        signer: &AssertionSigner,
        audience: &str,
        now: i64,
    ) -> Option<http::HeaderValue> {
        let half_life = i64::try_from(signer.lifetime().as_secs() / 2).unwrap_or(0);
        if let Ok(cache) = self.assertion.lock()
            && let Some(cached) = cache.as_ref()
            && cached.audience == audience
            && cached.issued >= now - half_life
        {
            return Some(cached.token.clone());
        }
        let claims = Claims {
            iss: String::new(),
            aud: audience.to_owned(),
            sub: self.identity.user.clone(),
            iat: now,
            nbf: now,
            exp: now,
            name: self.identity.name.clone(),
            mail: self.identity.mail.clone(),
            dept: self.identity.department.clone(),
            groups: self.identity.groups.clone(),
            amr: self.identity.method,
            sid: self.key.as_str().to_owned(),
            csrf: self.csrf.clone(),
            apps: self.apps.clone(),
        };
        let signed = signer
            .sign(claims)
            .map_err(|e| e.to_string())
            .and_then(|token| {
                http::HeaderValue::try_from(token).map_err(|_| "not a header value".to_owned())
            });
        match signed {
            Ok(token) => {
                if let Ok(mut cache) = self.assertion.lock() {
                    *cache = Some(CachedAssertion {
                        audience: audience.to_owned(),
                        issued: now,
                        token: token.clone(),
                    });
                }
                Some(token)
            }
            Err(e) => {
                tracing::error!(error = e, "cannot sign assertion");
                None
            }
        }
    }
}

/// The last assertion signed for a session.
#[derive(Debug)]
struct CachedAssertion {
    audience: String,
    issued: i64,
    token: http::HeaderValue,
}

/// A session as an administrator sees it: never the id, only its keyed hash.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    /// Keyed hash of the id.
    pub key: SessionKey,
    /// Who.
    pub identity: Identity,
    /// Login time, Unix seconds.
    pub created_at: i64,
    /// Last use, Unix seconds.
    pub last_seen: i64,
}

impl TryFrom<store::SessionRow> for SessionSummary {
    type Error = SessionError;

    fn try_from(row: store::SessionRow) -> Result<Self, SessionError> {
        Ok(SessionSummary {
            key: SessionKey::from_stored(row.key),
            identity: serde_json::from_str(&row.identity)?,
            created_at: row.created_at,
            last_seen: row.last_seen,
        })
    }
}

/// What a cookie's session id leads to.
#[derive(Debug)]
pub enum Lookup {
    /// A valid session.
    Live(Arc<LiveSession>),
    /// A session that has just ended by timeout; it has been removed.
    Expired(SessionState, Arc<LiveSession>),
    /// No such session.
    Unknown,
}

/// Errors of the session service.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The store failed.
    #[error("session store: {0}")]
    Store(#[from] sqlx::Error),
    /// A stored identity could not be read.
    #[error("stored identity is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// All sessions of this gateway.
pub struct Sessions {
    pool: AnyPool,
    keyer: SessionKeyer,
    rules: SessionRules,
    routes: Arc<RouteTable>,
    cache: RwLock<HashMap<SessionKey, Arc<LiveSession>>>,
}

/// Current time in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Sessions {
    /// A session service over `pool`.
    pub fn new(
        pool: AnyPool,
        keyer: SessionKeyer,
        rules: SessionRules,
        routes: Arc<RouteTable>,
    ) -> Sessions {
        Sessions {
            pool,
            keyer,
            rules,
            routes,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The keyer (for audit hashes and CSRF tokens).
    pub fn keyer(&self) -> &SessionKeyer {
        &self.keyer
    }

    /// The store (for readiness checks).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn live(
        &self,
        id: &SessionId,
        key: SessionKey,
        identity: Identity,
        created_at: i64,
        last_seen: i64,
    ) -> Arc<LiveSession> {
        Arc::new(LiveSession {
            csrf: self.keyer.csrf_token(id),
            apps: self.routes.apps_for(&identity),
            key,
            identity,
            created_at,
            last_seen: AtomicI64::new(last_seen),
            flushed_seen: AtomicI64::new(last_seen),
            assertion: Mutex::new(None),
        })
    }

    /// Start a session for `identity` with a fresh id (tied to a provider login if `link`).
    pub async fn create(
        &self,
        identity: Identity,
        link: Option<&store::IdpLink>,
    ) -> Result<(SessionId, Arc<LiveSession>), SessionError> {
        let id = SessionId::generate();
        let key = self.keyer.key(&id);
        let at = now();
        store::insert_session(
            &self.pool,
            &store::SessionRow {
                key: key.as_str().to_owned(),
                user_id: identity.user.clone(),
                identity: serde_json::to_string(&identity)?,
                created_at: at,
                last_seen: at,
            },
            link,
        )
        .await?;
        let live = self.live(&id, key.clone(), identity, at, at);
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(key, live.clone());
        }
        Ok((id, live))
    }

    /// Find the session for `id`, marking it used now if it is live.
    pub async fn lookup(&self, id: &SessionId) -> Result<Lookup, SessionError> {
        let key = self.keyer.key(id);
        let cached = self.cache.read().ok().and_then(|c| c.get(&key).cloned());
        let session = match cached {
            Some(s) => s,
            None => {
                let Some(row) = store::load_session(&self.pool, key.as_str()).await? else {
                    return Ok(Lookup::Unknown);
                };
                let identity: Identity = serde_json::from_str(&row.identity)?;
                let live = self.live(id, key.clone(), identity, row.created_at, row.last_seen);
                if let Ok(mut cache) = self.cache.write() {
                    cache.entry(key.clone()).or_insert(live).clone()
                } else {
                    live
                }
            }
        };
        let at = now();
        let mut state = self
            .rules
            .state(session.created_at, session.last_seen(), at);
        if state != SessionState::Live {
            // Another gateway sharing the store may have seen the session more recently.
            if let Some(row) = store::load_session(&self.pool, key.as_str()).await? {
                session
                    .last_seen
                    .fetch_max(row.last_seen, Ordering::Relaxed);
                state = self
                    .rules
                    .state(session.created_at, session.last_seen(), at);
            }
        }
        match state {
            SessionState::Live => {
                session.last_seen.fetch_max(at, Ordering::Relaxed);
                Ok(Lookup::Live(session))
            }
            ended => {
                self.end(&session.key).await?;
                Ok(Lookup::Expired(ended, session))
            }
        }
    }

    /// End a session everywhere; returns whether it existed in the store.
    pub async fn end(&self, key: &SessionKey) -> Result<bool, SessionError> {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(key);
        }
        Ok(store::delete_session(&self.pool, key.as_str(), now()).await?)
    }

    fn cutoffs(&self, at: i64) -> (i64, i64) {
        let idle = i64::try_from(self.rules.idle.as_secs()).unwrap_or(i64::MAX);
        let absolute = i64::try_from(self.rules.absolute.as_secs()).unwrap_or(i64::MAX);
        (at.saturating_sub(idle), at.saturating_sub(absolute))
    }

    /// The live sessions of `user`, newest first (last-use times flushed first).
    pub async fn of_user(&self, user: &str) -> Result<Vec<SessionSummary>, SessionError> {
        self.flush().await?;
        let (idle, absolute) = self.cutoffs(now());
        let rows = store::live_sessions_of(&self.pool, user, idle, absolute).await?;
        rows.into_iter().map(SessionSummary::try_from).collect()
    }

    /// The session stored under `key`, if any.
    pub async fn by_key(&self, key: &SessionKey) -> Result<Option<SessionSummary>, SessionError> {
        match store::load_session(&self.pool, key.as_str()).await? {
            Some(row) => Ok(Some(SessionSummary::try_from(row)?)),
            None => Ok(None),
        }
    }

    /// The most recently used live sessions of everyone, up to `limit`.
    pub async fn recent(&self, limit: i64) -> Result<Vec<SessionSummary>, SessionError> {
        self.flush().await?;
        let (idle, absolute) = self.cutoffs(now());
        let rows = store::recent_sessions(&self.pool, idle, absolute, limit).await?;
        rows.into_iter().map(SessionSummary::try_from).collect()
    }

    /// Every live session (for re-validation).
    pub async fn all_live(&self) -> Result<Vec<SessionSummary>, SessionError> {
        self.recent(i64::MAX).await
    }

    /// Give the session `key` a refreshed identity, in the store and in memory, so that the
    /// next request is judged (and its tiles computed) on what the directory says now.
    pub async fn replace_identity(
        &self,
        key: &SessionKey,
        identity: Identity,
    ) -> Result<(), SessionError> {
        let stored = serde_json::to_string(&identity)?;
        store::update_identity(&self.pool, key.as_str(), &stored, now()).await?;
        if let Ok(mut cache) = self.cache.write()
            && let Some(old) = cache.get(key).cloned()
        {
            let fresh = Arc::new(LiveSession {
                key: old.key.clone(),
                csrf: old.csrf.clone(),
                apps: self.routes.apps_for(&identity),
                identity,
                created_at: old.created_at,
                last_seen: AtomicI64::new(old.last_seen()),
                flushed_seen: AtomicI64::new(old.flushed_seen.load(Ordering::Relaxed)),
                assertion: Mutex::new(None),
            });
            cache.insert(key.clone(), fresh);
        }
        Ok(())
    }

    /// Sessions from OpenID providers that hold a refresh token.
    pub async fn refreshable(&self) -> Result<Vec<store::RefreshRow>, SessionError> {
        Ok(store::refreshable_sessions(&self.pool).await?)
    }

    /// Claim the re-validation of `key` now unless another gateway did since `not_since`.
    pub async fn claim_revalidation(
        &self,
        key: &str,
        now: i64,
        not_since: i64,
    ) -> Result<bool, SessionError> {
        Ok(store::claim_revalidation(&self.pool, key, now, not_since).await?)
    }

    /// Keep the refresh token the provider rotated to.
    pub async fn set_refresh_token(
        &self,
        key: &SessionKey,
        token: &str,
    ) -> Result<(), SessionError> {
        Ok(store::set_refresh_token(&self.pool, key.as_str(), token).await?)
    }

    /// Keep a login sent to an OpenID provider until the browser comes back.
    pub async fn put_pending(
        &self,
        state: &str,
        row: &store::PendingRow,
    ) -> Result<(), SessionError> {
        Ok(store::put_pending(&self.pool, state, row).await?)
    }

    /// Take the pending login of `state` (once only).
    pub async fn take_pending(
        &self,
        state: &str,
    ) -> Result<Option<store::PendingRow>, SessionError> {
        Ok(store::take_pending(&self.pool, state).await?)
    }

    /// The provider login behind session `key`, if it came from one (for RP-initiated logout).
    pub async fn idp_link(&self, key: &SessionKey) -> Result<Option<store::IdpLink>, SessionError> {
        Ok(store::idp_link(&self.pool, key.as_str()).await?)
    }

    /// End the sessions a back-channel logout from `idp` names; returns their (key, user).
    pub async fn end_idp_login(
        &self,
        idp: &str,
        sub: Option<&str>,
        sid: Option<&str>,
    ) -> Result<Vec<(SessionKey, String)>, SessionError> {
        let found = store::sessions_of_idp_login(&self.pool, idp, sub, sid).await?;
        let mut ended = Vec::with_capacity(found.len());
        for (key, user) in found {
            let key = SessionKey::from_stored(key);
            if self.end(&key).await? {
                ended.push((key, user));
            }
        }
        Ok(ended)
    }

    /// Drop cached sessions that any gateway sharing the store ended or changed at or after
    /// `since` (Unix seconds): the next request reads them from the store again. Returns how
    /// many cached sessions were dropped.
    pub async fn sync(&self, since: i64) -> Result<usize, SessionError> {
        // Dropped sessions are read back from the store: it must have their last use.
        self.flush().await?;
        let keys = store::events_since(&self.pool, since).await?;
        let mut dropped = 0;
        if let Ok(mut cache) = self.cache.write() {
            for key in keys {
                if cache.remove(&SessionKey::from_stored(key)).is_some() {
                    dropped += 1;
                }
            }
        }
        Ok(dropped)
    }

    /// Write last-use times that changed since the previous flush.
    pub async fn flush(&self) -> Result<usize, SessionError> {
        let dirty: Vec<(String, i64)> = match self.cache.read() {
            Ok(cache) => cache
                .values()
                .filter_map(|s| {
                    let seen = s.last_seen();
                    (seen > s.flushed_seen.load(Ordering::Relaxed)).then(|| {
                        s.flushed_seen.store(seen, Ordering::Relaxed);
                        (s.key.as_str().to_owned(), seen)
                    })
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        store::touch_sessions(&self.pool, &dirty).await?;
        Ok(dirty.len())
    }

    /// Remove sessions that timed out, from memory and store, returning (key, user, reason).
    pub async fn sweep(&self) -> Result<Vec<(String, String, &'static str)>, SessionError> {
        self.flush().await?;
        let at = now();
        let (idle, absolute) = self.cutoffs(at);
        let gone = store::delete_expired(&self.pool, idle, absolute, at).await?;
        // Other gateways poll events every few seconds; an hour of them is plenty.
        store::prune_events(&self.pool, at - 3600).await?;
        store::prune_pending(&self.pool, at - 3600).await?;
        let mut ended = Vec::with_capacity(gone.len());
        if let Ok(mut cache) = self.cache.write() {
            for (key, user) in gone {
                let reason = match cache.remove(&SessionKey::from_stored(key.clone())) {
                    Some(s) => self.rules.state(s.created_at, s.last_seen(), at).reason(),
                    None => "expired",
                };
                ended.push((key, user, reason));
            }
        }
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sso::AuthMethod;
    use std::time::Duration;

    async fn sessions(dir: &std::path::Path, idle: u64) -> Sessions {
        let pool = store::open(&store::StoreLocation::Sqlite(dir.join("gw.db")))
            .await
            .unwrap();
        Sessions::new(
            pool,
            SessionKeyer::new(&[3u8; 32]).unwrap(),
            SessionRules {
                idle: Duration::from_secs(idle),
                absolute: Duration::from_secs(3600),
            },
            Arc::new(RouteTable::new(&[])),
        )
    }

    fn yamada() -> Identity {
        Identity {
            user: "yamada".into(),
            name: "山田 太郎".into(),
            mail: None,
            department: Some("総務課".into()),
            groups: vec![],
            method: AuthMethod::Local,
        }
    }

    #[tokio::test]
    async fn a_new_session_is_found_by_its_id_and_not_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let s = sessions(dir.path(), 600).await;
        let (id, _) = s.create(yamada(), None).await.unwrap();
        assert!(
            matches!(s.lookup(&id).await.unwrap(), Lookup::Live(l) if l.identity.name == "山田 太郎")
        );
        assert!(matches!(
            s.lookup(&SessionId::generate()).await.unwrap(),
            Lookup::Unknown
        ));
    }

    #[tokio::test]
    async fn sessions_survive_a_restart_and_end_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let s = sessions(dir.path(), 600).await;
            let (id, _) = s.create(yamada(), None).await.unwrap();
            s.flush().await.unwrap();
            id
        };
        let s = sessions(dir.path(), 600).await;
        let Lookup::Live(live) = s.lookup(&id).await.unwrap() else {
            panic!("session lost across restart");
        };
        assert!(s.end(&live.key).await.unwrap());
        assert!(matches!(s.lookup(&id).await.unwrap(), Lookup::Unknown));
    }

    #[tokio::test]
    async fn assertions_are_reused_within_half_a_lifetime_and_per_audience_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = sessions(dir.path(), 600).await;
        let (_, live) = s.create(yamada(), None).await.unwrap();
        let (private, _) = sso::assertion::generate_ed25519_pem().unwrap();
        let key = dir.path().join("assertion.key");
        std::fs::write(&key, private).unwrap();
        let signer = AssertionSigner::from_file(&key, Duration::from_secs(60)).unwrap();
        // A reused assertion shares its bytes with the cached one; a new one does not.
        let same = |a: &http::HeaderValue, b: &http::HeaderValue| {
            std::ptr::eq(a.as_bytes().as_ptr(), b.as_bytes().as_ptr())
        };
        let first = live.assertion(&signer, "yakuba-app", 1000).unwrap();
        assert!(same(
            &first,
            &live.assertion(&signer, "yakuba-app", 1030).unwrap()
        ));
        assert!(!same(
            &first,
            &live.assertion(&signer, "yakuba-app", 1031).unwrap()
        ));
        let other = live.assertion(&signer, "another-app", 1031).unwrap();
        assert_ne!(other, live.assertion(&signer, "yakuba-app", 1031).unwrap());
    }

    #[tokio::test]
    async fn idle_sessions_expire_on_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let s = sessions(dir.path(), 1).await;
        let (id, _) = s.create(yamada(), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(matches!(
            s.lookup(&id).await.unwrap(),
            Lookup::Expired(SessionState::IdleExpired, _)
        ));
        assert!(matches!(s.lookup(&id).await.unwrap(), Lookup::Unknown));
    }
}
