//! Connections to the directory: several servers with failover, and a pool of connections
//! bound as the service account.
//!
//! A server that fails to connect, to bind or to answer in time is marked down and skipped for
//! `retry_after` while the others are tried, so only the first login after an outage waits for
//! a timeout; when every server is down they are all tried again. At most `max_connections`
//! are open at once; idle ones, still bound as the service account, are kept for the next
//! login. A pooled connection that turns out to be dead is replaced once, transparently.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::LdapError;
use super::settings::LdapSettings;

/// One connection, checked out of the pool.
pub(crate) struct Conn {
    pub(crate) ldap: Ldap,
    /// Index of the server in `urls`.
    server: usize,
    /// Whether the connection is bound as the service account (only such go back).
    pub(crate) as_service: bool,
    /// Whether it came from the pool (it may have died while idle).
    pub(crate) pooled: bool,
    _permit: OwnedSemaphorePermit,
}

pub(crate) struct Pool {
    settings: LdapSettings,
    tls: Option<Arc<rustls::ClientConfig>>,
    idle: Mutex<Vec<(Ldap, usize)>>,
    /// Per server: skipped until this instant.
    down_until: Mutex<Vec<Option<Instant>>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    pub(crate) fn new(settings: LdapSettings, tls: Option<Arc<rustls::ClientConfig>>) -> Pool {
        let servers = settings.urls.len();
        let permits = Arc::new(Semaphore::new(settings.max_connections.max(1)));
        Pool {
            settings,
            tls,
            idle: Mutex::new(Vec::new()),
            down_until: Mutex::new(vec![None; servers]),
            permits,
        }
    }

    /// Bind `conn` as the service account.
    pub(crate) async fn service_bind(&self, conn: &mut Conn) -> Result<(), LdapError> {
        self.bind_service(&mut conn.ldap).await?;
        conn.as_service = true;
        Ok(())
    }

    async fn bind_service(&self, ldap: &mut Ldap) -> Result<(), LdapError> {
        let s = &self.settings;
        ldap.with_timeout(s.timeout);
        let result = ldap
            .simple_bind(&s.bind_dn, &s.bind_password)
            .await
            .map_err(|e| LdapError::Unreachable(e.to_string()))?;
        result
            .success()
            .map_err(|e| LdapError::Directory(format!("service account bind failed: {e}")))?;
        Ok(())
    }

    /// A service-bound connection: an idle one from the pool if `allow_pooled`, else a new
    /// one from the first server that answers.
    pub(crate) async fn checkout(&self, allow_pooled: bool) -> Result<Conn, LdapError> {
        let permit =
            tokio::time::timeout(self.settings.timeout, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| LdapError::Unreachable("all directory connections are busy".into()))?
                .map_err(|_| LdapError::Unreachable("connection pool closed".into()))?;
        if allow_pooled {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            if let Some((mut ldap, server)) = idle
                && !ldap.is_closed()
            {
                return Ok(Conn {
                    ldap,
                    server,
                    as_service: true,
                    pooled: true,
                    _permit: permit,
                });
            }
        }
        let mut last = String::from("no server configured");
        for server in self.order() {
            match self.open(server).await {
                Ok(mut ldap) => match self.bind_service(&mut ldap).await {
                    Ok(()) => {
                        self.mark_up(server);
                        return Ok(Conn {
                            ldap,
                            server,
                            as_service: true,
                            pooled: false,
                            _permit: permit,
                        });
                    }
                    Err(LdapError::Unreachable(e)) => {
                        last = format!("{}: {e}", self.settings.urls[server]);
                        self.mark_down(server, &e);
                    }
                    Err(other) => return Err(other),
                },
                Err(e) => {
                    last = format!("{}: {e}", self.settings.urls[server]);
                    self.mark_down(server, &e);
                }
            }
        }
        Err(LdapError::Unreachable(last))
    }

    /// Give `conn` back after an operation that ended with `result`: kept if it is still
    /// bound as the service account and the directory answered.
    pub(crate) fn checkin<T>(&self, conn: Conn, result: &Result<T, LdapError>) {
        let healthy = !matches!(
            result,
            Err(LdapError::Unreachable(_) | LdapError::Directory(_))
        );
        if healthy && conn.as_service {
            if let Ok(mut idle) = self.idle.lock()
                && idle.len() < self.settings.max_connections
            {
                idle.push((conn.ldap, conn.server));
            }
        } else if !healthy {
            self.mark_down(conn.server, "operation failed");
        }
    }

    /// Servers in the order to try: those not marked down, in configured order, then the
    /// ones marked down, soonest retry first.
    fn order(&self) -> Vec<usize> {
        let now = Instant::now();
        let down = self
            .down_until
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        let mut up: Vec<usize> = Vec::new();
        let mut skipped: Vec<(Instant, usize)> = Vec::new();
        for i in 0..self.settings.urls.len() {
            match down.get(i).copied().flatten() {
                Some(until) if until > now => skipped.push((until, i)),
                _ => up.push(i),
            }
        }
        skipped.sort();
        up.extend(skipped.into_iter().map(|(_, i)| i));
        up
    }

    fn mark_down(&self, server: usize, why: &str) {
        tracing::warn!(ldap.url = %self.settings.urls[server], error = %why, "LDAP server marked down");
        if let Ok(mut down) = self.down_until.lock() {
            down[server] = Some(Instant::now() + self.settings.retry_after);
        }
        // Idle connections to that server are suspect too.
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|(_, s)| *s != server);
        }
    }

    fn mark_up(&self, server: usize) {
        if let Ok(mut down) = self.down_until.lock()
            && down[server].take().is_some()
        {
            tracing::info!(ldap.url = %self.settings.urls[server], "LDAP server reachable again");
        }
    }

    /// Open a connection to one server within `connect_timeout` (TCP, TLS and StartTLS).
    async fn open(&self, server: usize) -> Result<Ldap, String> {
        let s = &self.settings;
        let mut conn_settings = LdapConnSettings::new()
            .set_conn_timeout(s.connect_timeout)
            .set_starttls(s.starttls);
        if let Some(tls) = &self.tls {
            conn_settings = conn_settings.set_config(tls.clone());
        }
        let url = &s.urls[server];
        let opened = tokio::time::timeout(
            s.connect_timeout + Duration::from_millis(100),
            LdapConnAsync::with_settings(conn_settings, url),
        )
        .await
        .map_err(|_| format!("no connection within {:?}", s.connect_timeout))?
        .map_err(|e| e.to_string())?;
        let (driver, ldap) = opened;
        tokio::spawn(async move {
            if let Err(e) = driver.drive().await {
                tracing::debug!(error = %e, "LDAP connection ended");
            }
        });
        Ok(ldap)
    }
}
