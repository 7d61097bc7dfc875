//! A real OpenID provider (panva/oidc-provider under Node, from `tests/oidc-provider/`) on a
//! free loopback port, a browser-less browser that logs in and out there, and a listener that
//! catches the back-channel logout tokens the provider sends. Accounts can be changed,
//! disabled or deleted while it runs, as an administrator would.
//!
//! The provider's npm dependencies are installed once per machine into
//! `tests/oidc-provider/node_modules` by [`ensure_npm_installed`] (`npm ci`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::process::{ChildGuard, free_port};

mod browser;
mod npm;

pub use browser::{Browser, LogoutTokenCatcher};
pub use npm::ensure_npm_installed;

/// How long [`OidcProvider::start`] waits for Node to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long generating one RSA key may take, even on a loaded machine.
const KEYGEN_TIMEOUT: Duration = Duration::from_secs(60);

/// What running the provider needs, for error messages.
const NODE_NEEDED: &str = "node provider.mjs (needs Node.js 20.19 or later on PATH)";

/// Most requests [`Browser`] makes for one login or logout before it gives up.
const MAX_STEPS: usize = 20;

/// One relying party registered at the provider, allowed the code and refresh-token grants:
/// the provider gives it a refresh token with every code, without asking for `offline_access`.
#[derive(Debug, Clone)]
pub struct OidcClientSpec {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (the client authenticates with HTTP Basic at the token endpoint).
    pub client_secret: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where the provider POSTs logout tokens (`backchannel_logout_session_required` is on).
    pub backchannel_logout_uri: Option<String>,
}

impl OidcClientSpec {
    /// A client `gateway` with the given redirect URI, a post-logout redirect URI of the same
    /// origin's `/`, and no back-channel logout.
    pub fn gateway(redirect_uri: &str) -> OidcClientSpec {
        let post_logout = reqwest::Url::parse(redirect_uri)
            .map(|url| url.join("/").map(String::from).unwrap_or_default())
            .unwrap_or_default();
        OidcClientSpec {
            client_id: "gateway".into(),
            client_secret: "gateway-secret-for-tests-0123456789".into(),
            redirect_uris: vec![redirect_uri.into()],
            post_logout_redirect_uris: vec![post_logout],
            backchannel_logout_uri: None,
        }
    }
}

/// One person who can log in at the provider.
#[derive(Debug, Clone)]
pub struct OidcAccount {
    /// The stable subject identifier (`sub`).
    pub sub: String,
    /// The login name, also sent as `preferred_username`.
    pub login: String,
    /// The password the login form accepts.
    pub password: String,
    /// `name`, in Japanese.
    pub name: String,
    /// `email`.
    pub email: String,
    /// `department`.
    pub department: String,
    /// `groups`.
    pub groups: Vec<String>,
}

/// Two clerks: 山田 太郎 (`yamada`, 総務課) and 佐藤 花子 (`sato`, 財政課).
pub fn sample_accounts() -> Vec<OidcAccount> {
    vec![
        OidcAccount {
            sub: "u-0001".into(),
            login: "yamada".into(),
            password: "yamada-pass-1".into(),
            name: "山田 太郎".into(),
            email: "yamada@city.yakuba.test".into(),
            department: "総務課".into(),
            groups: vec!["soumu-staff".into(), "all-staff".into()],
        },
        OidcAccount {
            sub: "u-0002".into(),
            login: "sato".into(),
            password: "sato-pass-2".into(),
            name: "佐藤 花子".into(),
            email: "sato@city.yakuba.test".into(),
            department: "財政課".into(),
            groups: vec!["all-staff".into()],
        },
    ]
}

/// What [`OidcProvider::start`] serves.
#[derive(Debug, Clone, Default)]
pub struct OidcOptions {
    /// Registered clients.
    pub clients: Vec<OidcClientSpec>,
    /// Accounts; [`sample_accounts`] if empty.
    pub accounts: Vec<OidcAccount>,
    /// A PEM file of extra CAs the provider trusts when it POSTs logout tokens to https
    /// endpoints (given to Node as `NODE_EXTRA_CA_CERTS`).
    pub extra_ca_file: Option<PathBuf>,
    /// The port to listen on, when the relying party must be configured before the provider
    /// starts; a free one otherwise.
    pub port: Option<u16>,
    /// Issue a new refresh token on every refresh and spend the old one (reusing it then
    /// revokes the whole grant). Off, oidc-provider's default applies: a confidential
    /// client's refresh token is renewed only late in its life.
    pub rotate_refresh_tokens: bool,
}

/// An RSA signing key as the provider holds it.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// The key id (`kid`) in token headers and the JWKS.
    pub kid: String,
    /// The private key as PKCS#8 PEM, for tests that sign their own tokens.
    pub private_pem: String,
    /// The private JWK as the provider reads it.
    jwk: serde_json::Value,
}

/// Generates a fresh RS256 key with Node (the Rust workspace has no RSA key generator).
pub fn generate_signing_key(kid: &str) -> anyhow::Result<SigningKey> {
    let mut cmd = Command::new("node");
    cmd.arg(provider_dir().join("provider.mjs"))
        .arg("keygen")
        .arg(kid);
    let stdout = npm::run_bounded(cmd, KEYGEN_TIMEOUT, NODE_NEEDED)?;
    let mut generated: serde_json::Value =
        serde_json::from_str(&stdout).context("reading the key provider.mjs printed")?;
    let private_pem = generated["pem"]
        .as_str()
        .context("keygen printed no pem")?
        .to_owned();
    Ok(SigningKey {
        kid: kid.to_owned(),
        private_pem,
        jwk: generated["jwk"].take(),
    })
}

/// A running oidc-provider at `http://127.0.0.1:PORT`; stopped on drop.
#[derive(Debug)]
pub struct OidcProvider {
    port: u16,
    issuer: String,
    key: SigningKey,
    rotations: u32,
    extra_ca_file: Option<PathBuf>,
    rotate_refresh_tokens: bool,
    // Declared before `dir` so Node stops before its files are removed.
    guard: Option<ChildGuard>,
    dir: tempfile::TempDir,
}

impl OidcProvider {
    /// Writes the clients, accounts and a fresh signing key to a temporary directory and
    /// starts the provider on a free port.
    pub fn start(options: OidcOptions) -> anyhow::Result<OidcProvider> {
        let dir = tempfile::Builder::new()
            .prefix("yakuba-oidc-")
            .tempdir()
            .context("creating a temporary directory for the OpenID provider")?;
        let clients: Vec<_> = options.clients.iter().map(client_json).collect();
        write_json(&dir.path().join("clients.json"), &json!(clients))?;
        let accounts = if options.accounts.is_empty() {
            sample_accounts()
        } else {
            options.accounts.clone()
        };
        let accounts: Vec<_> = accounts.iter().map(account_json).collect();
        write_json(&dir.path().join("accounts.json"), &json!(accounts))?;
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let mut provider = OidcProvider {
            port,
            issuer: format!("http://127.0.0.1:{port}"),
            key: generate_signing_key("key-1")?,
            rotations: 1,
            extra_ca_file: options.extra_ca_file,
            rotate_refresh_tokens: options.rotate_refresh_tokens,
            guard: None,
            dir,
        };
        provider.launch()?;
        Ok(provider)
    }

    /// The issuer, `http://127.0.0.1:PORT` (discovery is below it).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The provider's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The key the provider signs with now.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The file receiving the provider's output.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("oidc-provider.log")
    }

    /// Replaces the signing key with a new one (new `kid`, old key dropped from the JWKS) and
    /// restarts the provider on the same port. Sessions and codes at the provider are lost.
    pub fn rotate_keys(&mut self) -> anyhow::Result<()> {
        self.rotations += 1;
        self.key = generate_signing_key(&format!("key-{}", self.rotations))?;
        if let Some(mut guard) = self.guard.take() {
            guard.terminate();
        }
        self.launch()
    }

    /// Replaces the account with the same `sub` (its name, department, groups, ...): the
    /// provider's next answers about it use the new values. A disabled account stays disabled.
    pub fn update_account(&self, account: OidcAccount) -> anyhow::Result<()> {
        self.edit_accounts(|accounts| {
            let found = accounts
                .iter_mut()
                .find(|a| a["sub"] == account.sub.as_str())
                .with_context(|| format!("the provider has no account with sub {}", account.sub))?;
            let disabled = found["disabled"].clone();
            *found = account_json(&account);
            found["disabled"] = disabled;
            Ok(())
        })
    }

    /// Disables the account with login `login`: it can no longer log in, and the provider
    /// refuses its refresh tokens (`invalid_grant`) and access tokens (401 at userinfo).
    pub fn disable_account(&self, login: &str) -> anyhow::Result<()> {
        self.edit_accounts(|accounts| {
            let found = accounts
                .iter_mut()
                .find(|a| a["login"] == login)
                .with_context(|| format!("the provider has no account {login}"))?;
            found["disabled"] = json!(true);
            Ok(())
        })
    }

    /// Deletes the account with login `login`; the provider then treats its tokens as it does
    /// a disabled account's.
    pub fn delete_account(&self, login: &str) -> anyhow::Result<()> {
        self.edit_accounts(|accounts| {
            let before = accounts.len();
            accounts.retain(|a| a["login"] != login);
            if accounts.len() == before {
                bail!("the provider has no account {login}");
            }
            Ok(())
        })
    }

    /// Rewrites the accounts file, which the provider reads on every use. The new file is
    /// renamed into place so the provider never reads half of it.
    fn edit_accounts(
        &self,
        edit: impl FnOnce(&mut Vec<serde_json::Value>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let path = self.dir.path().join("accounts.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut accounts: Vec<serde_json::Value> =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        edit(&mut accounts)?;
        let staged = self.dir.path().join("accounts.json.new");
        write_json(&staged, &json!(accounts))?;
        std::fs::rename(&staged, &path).with_context(|| format!("replacing {}", path.display()))
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let node_dir = ensure_npm_installed()?;
        let jwks = self.dir.path().join("jwks.json");
        write_json(&jwks, &json!({ "keys": [self.key.jwk] }))?;
        let mut cmd = Command::new("node");
        cmd.arg(node_dir.join("provider.mjs"))
            .arg("serve")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--clients")
            .arg(self.dir.path().join("clients.json"))
            .arg("--jwks")
            .arg(&jwks)
            .arg("--accounts")
            .arg(self.dir.path().join("accounts.json"))
            .current_dir(self.dir.path());
        if self.rotate_refresh_tokens {
            cmd.arg("--rotate-refresh-tokens");
        }
        if let Some(ca) = &self.extra_ca_file {
            cmd.env("NODE_EXTRA_CA_CERTS", ca);
        }
        // The log is appended to across restarts; only what this start writes counts.
        let log_start = std::fs::metadata(self.log_path()).map_or(0, |meta| meta.len());
        let mut guard =
            ChildGuard::spawn(cmd, "oidc-provider", self.dir.path()).context(NODE_NEEDED)?;
        wait_until_listening(&mut guard, log_start, &self.issuer)?;
        self.guard = Some(guard);
        Ok(())
    }
}

/// Waits for the provider to log, after `log_start`, that it listens. Its own log line, not a TCP connect: with
/// ports picked by [`free_port`], another server could hold the port and answer instead.
fn wait_until_listening(
    guard: &mut ChildGuard,
    log_start: u64,
    issuer: &str,
) -> anyhow::Result<()> {
    let ready = format!("oidc-provider listening on {issuer}");
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let log = std::fs::read(guard.log_path()).unwrap_or_default();
        let fresh = log
            .get(usize::try_from(log_start).unwrap_or(0)..)
            .unwrap_or_default();
        if String::from_utf8_lossy(fresh)
            .lines()
            .any(|line| line == ready)
        {
            return Ok(());
        }
        if !guard.is_running() || Instant::now() >= deadline {
            bail!(
                "the OpenID provider did not start listening on {issuer} within \
                 {READY_TIMEOUT:?}; its log {} ends with:\n{}",
                guard.log_path().display(),
                guard.log_tail()
            );
        }
        sleep(Duration::from_millis(50));
    }
}

fn client_json(client: &OidcClientSpec) -> serde_json::Value {
    let mut value = json!({
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    if let Some(uri) = &client.backchannel_logout_uri {
        value["backchannel_logout_uri"] = json!(uri);
        value["backchannel_logout_session_required"] = json!(true);
    }
    value
}

fn account_json(account: &OidcAccount) -> serde_json::Value {
    json!({
        "sub": account.sub,
        "login": account.login,
        "password": account.password,
        "name": account.name,
        "email": account.email,
        "department": account.department,
        "groups": account.groups,
        "disabled": false,
    })
}

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, value.to_string()).with_context(|| format!("writing {}", path.display()))
}

/// `tests/oidc-provider`: `provider.mjs`, `package.json` and the lock file.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
}
