//! Test fixtures: signing keys and assertions as the gateway makes them, and fresh databases.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::config::DatabaseUrl;
use sqlx::AnyPool;
use sso::{AppLink, AssertionSigner, AssertionVerifier, AuthMethod, Claims};
use tempfile::TempDir;

/// The audience the app checks by default.
pub const AUDIENCE: &str = "yakuba-app";

/// An Ed25519 key pair on disk, as the gateway and the app would hold it.
pub struct Keys {
    dir: TempDir,
}

impl Keys {
    pub fn generate() -> Keys {
        let (private, public) = sso::assertion::generate_ed25519_pem().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("assertion.key"), private).unwrap();
        std::fs::write(dir.path().join("assertion.pub"), public).unwrap();
        Keys { dir }
    }

    pub fn public_key(&self) -> PathBuf {
        self.dir.path().join("assertion.pub")
    }

    /// A signer whose assertions live `lifetime`.
    pub fn signer(&self, lifetime: Duration) -> AssertionSigner {
        AssertionSigner::from_file(&self.dir.path().join("assertion.key"), lifetime).unwrap()
    }

    /// The verifier the app builds from its default settings (5 s skew, 5 min lifetime).
    pub fn verifier(&self) -> AssertionVerifier {
        verifier_for(&self.public_key())
    }
}

pub fn verifier_for(public_key: &Path) -> AssertionVerifier {
    AssertionVerifier::from_file(
        public_key,
        AUDIENCE,
        Duration::from_secs(5),
        Duration::from_secs(300),
    )
    .unwrap()
}

pub fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// Claims for `login` issued now, with two business-system tiles.
pub fn claims(login: &str, name: &str, dept: Option<&str>) -> Claims {
    Claims {
        iss: String::new(),
        aud: AUDIENCE.into(),
        sub: login.into(),
        iat: now(),
        nbf: 0,
        exp: 0,
        name: name.into(),
        mail: None,
        dept: dept.map(Into::into),
        groups: vec!["staff".into()],
        amr: AuthMethod::Ldap,
        sid: "session-hash".into(),
        csrf: "csrf-token-123".into(),
        apps: vec![
            AppLink {
                id: "denkessai".into(),
                name: "電子決裁".into(),
                name_en: "e-Approval".into(),
                href: "/denkessai/".into(),
            },
            AppLink {
                id: "zaimu".into(),
                name: "財務会計".into(),
                name_en: "Finance".into(),
                href: "/zaimu/".into(),
            },
        ],
    }
}

/// A migrated database that lives as long as this value.
pub struct TestDb {
    pub pool: AnyPool,
    _dir: Option<TempDir>,
}

/// A fresh SQLite database in a temporary file.
pub async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite {
        path: dir.path().join("app.db"),
    };
    let pool = app::store::open(&url).await.unwrap();
    TestDb {
        pool,
        _dir: Some(dir),
    }
}

/// A fresh database called `name` on the harness's PostgreSQL cluster. Fails the test, with
/// the harness's reason, when PostgreSQL cannot start.
pub async fn postgres_db(name: &str) -> TestDb {
    let name = name.to_owned();
    let url = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let cluster = harness::postgres::PgCluster::shared()?;
        cluster.create_database(&name)
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("PostgreSQL for the store tests: {e:#}"));
    let url = DatabaseUrl::parse(&url).unwrap();
    let pool = app::store::open(&url).await.unwrap();
    TestDb { pool, _dir: None }
}
