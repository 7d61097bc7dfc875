//! Login throttling: too many failed logins for one account, or from one client address,
//! within a window ban further attempts for a while. In memory, per gateway instance.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most distinct keys remembered per scope; beyond it the stalest are forgotten first, so a
/// flood of invented user names cannot exhaust memory.
const MAX_TRACKED: usize = 100_000;

/// Limits for one scope (account or client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed within `window` before a ban.
    pub attempts: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a ban lasts.
    pub ban: Duration,
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banned {
    /// Too many failures for this account.
    Account,
    /// Too many failures from this client address.
    Client,
}

impl Banned {
    /// Reason code for the audit record.
    pub fn reason(self) -> &'static str {
        match self {
            Banned::Account => "throttled_account",
            Banned::Client => "throttled_client",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
    banned_until: Option<Instant>,
}

#[derive(Debug)]
struct Scope<K> {
    limit: Limit,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Hash + Eq + Clone> Scope<K> {
    fn new(limit: Limit) -> Self {
        Scope {
            limit,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn is_banned(&self, key: &K, now: Instant) -> bool {
        let Ok(entries) = self.entries.lock() else {
            return false;
        };
        entries
            .get(key)
            .and_then(|e| e.banned_until)
            .is_some_and(|until| now < until)
    }

    /// Count a failure; returns whether it started a ban.
    fn fail(&self, key: &K, now: Instant) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        if entries.len() >= MAX_TRACKED && !entries.contains_key(key) {
            forget_stalest(&mut entries, self.limit, now);
        }
        let entry = entries.entry(key.clone()).or_insert(Entry {
            window_start: now,
            failures: 0,
            banned_until: None,
        });
        if now.duration_since(entry.window_start) > self.limit.window {
            entry.window_start = now;
            entry.failures = 0;
        }
        entry.failures += 1;
        if entry.failures >= self.limit.attempts && entry.banned_until.is_none_or(|u| u <= now) {
            entry.banned_until = Some(now + self.limit.ban);
            entry.failures = 0;
            entry.window_start = now;
            return true;
        }
        false
    }

    fn clear(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    fn prune(&self, now: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            let limit = self.limit;
            entries.retain(|_, e| !is_stale(e, limit, now));
        }
    }
}

fn is_stale(e: &Entry, limit: Limit, now: Instant) -> bool {
    let ban_over = e.banned_until.is_none_or(|u| u <= now);
    ban_over && now.duration_since(e.window_start) > limit.window
}

fn forget_stalest<K: Hash + Eq + Clone>(
    entries: &mut HashMap<K, Entry>,
    limit: Limit,
    now: Instant,
) {
    entries.retain(|_, e| !is_stale(e, limit, now));
    if entries.len() >= MAX_TRACKED
        && let Some(oldest) = entries
            .iter()
            .filter(|(_, e)| e.banned_until.is_none_or(|u| u <= now))
            .min_by_key(|(_, e)| e.window_start)
            .map(|(k, _)| k.clone())
    {
        entries.remove(&oldest);
    }
}

/// Failed-login bookkeeping for accounts and client addresses.
#[derive(Debug)]
pub struct Throttle {
    accounts: Scope<String>,
    clients: Scope<IpAddr>,
}

impl Throttle {
    /// A throttle with the given limits.
    pub fn new(account: Limit, client: Limit) -> Throttle {
        Throttle {
            accounts: Scope::new(account),
            clients: Scope::new(client),
        }
    }

    /// Whether a login attempt for `account` from `client` may proceed.
    pub fn check(&self, account: &str, client: Option<IpAddr>, now: Instant) -> Result<(), Banned> {
        if let Some(ip) = client
            && self.clients.is_banned(&ip, now)
        {
            return Err(Banned::Client);
        }
        if self
            .accounts
            .is_banned(&sso::local::normalise_login(account), now)
        {
            return Err(Banned::Account);
        }
        Ok(())
    }

    /// Count a failed login; returns the scopes that this failure banned.
    pub fn failed(&self, account: &str, client: Option<IpAddr>, now: Instant) -> Vec<Banned> {
        let mut banned = Vec::new();
        if self
            .accounts
            .fail(&sso::local::normalise_login(account), now)
        {
            banned.push(Banned::Account);
        }
        if let Some(ip) = client
            && self.clients.fail(&ip, now)
        {
            banned.push(Banned::Client);
        }
        banned
    }

    /// A successful login clears the account's count (the client's stays: one good password
    /// must not reset a spray across many accounts).
    pub fn succeeded(&self, account: &str) {
        self.accounts.clear(&sso::local::normalise_login(account));
    }

    /// Forget entries whose window and ban are over.
    pub fn prune(&self, now: Instant) {
        self.accounts.prune(now);
        self.clients.prune(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(attempts: u32) -> Limit {
        Limit {
            attempts,
            window: Duration::from_secs(60),
            ban: Duration::from_secs(300),
        }
    }

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn an_account_is_banned_after_its_attempts_and_freed_after_the_ban() {
        let t = Throttle::new(limit(3), limit(100));
        let t0 = Instant::now();
        assert!(t.failed("Yamada", IP, t0).is_empty());
        assert!(t.failed("yamada", IP, t0).is_empty());
        assert_eq!(t.failed("yamada ", IP, t0), vec![Banned::Account]);
        assert_eq!(t.check("YAMADA", IP, t0), Err(Banned::Account));
        assert_eq!(t.check("sato", IP, t0), Ok(()));
        assert_eq!(t.check("yamada", IP, t0 + Duration::from_secs(301)), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let t = Throttle::new(limit(3), limit(100));
        let t0 = Instant::now();
        t.failed("a", IP, t0);
        t.failed("a", IP, t0);
        assert!(t.failed("a", IP, t0 + Duration::from_secs(61)).is_empty());
        assert_eq!(t.check("a", IP, t0 + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn a_client_spraying_many_accounts_is_banned() {
        let t = Throttle::new(limit(100), limit(5));
        let t0 = Instant::now();
        for i in 0..4 {
            assert!(t.failed(&format!("user{i}"), IP, t0).is_empty());
        }
        assert_eq!(t.failed("user4", IP, t0), vec![Banned::Client]);
        assert_eq!(t.check("anyone", IP, t0), Err(Banned::Client));
        let other = Some(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(t.check("anyone", other, t0), Ok(()));
    }

    #[test]
    fn success_clears_the_account_but_not_the_client() {
        let t = Throttle::new(limit(3), limit(3));
        let t0 = Instant::now();
        t.failed("a", IP, t0);
        t.failed("a", IP, t0);
        t.succeeded("a");
        assert!(t.failed("a", None, t0).is_empty());
        assert_eq!(t.failed("b", IP, t0), vec![Banned::Client]);
    }

    #[test]
    fn pruning_forgets_finished_entries_only() {
        let t = Throttle::new(limit(2), limit(100));
        let t0 = Instant::now();
        t.failed("banned", IP, t0);
        t.failed("banned", IP, t0);
        t.failed("once", IP, t0);
        t.prune(t0 + Duration::from_secs(120));
        assert_eq!(
            t.check("banned", None, t0 + Duration::from_secs(120)),
            Err(Banned::Account)
        );
        assert_eq!(t.accounts.entries.lock().unwrap().len(), 1);
    }
}
