//! The whole appliance on loopback: gateway, app and two sample legacy systems, each a real
//! process on a free port, configured in a temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use crate::binaries;
use crate::notify::NotifySocket;
use crate::process::{ChildGuard, free_port, wait_for_tcp};

/// Password of the local test accounts `yamada`, `admin` (a gateway administrator) and
/// `kansa` (the security team, who may open the app's audit view).
pub const LOCAL_PASSWORD: &str = "local-pass-9";

/// A directory to authenticate against, for [`SystemOptions`].
#[derive(Debug, Clone)]
pub struct LdapTarget {
    /// `ldap://127.0.0.1:PORT`.
    pub url: String,
    /// Service account DN.
    pub bind_dn: String,
    /// Its password.
    pub bind_password: String,
    /// Base DN.
    pub base_dn: String,
    /// The whole `[ldap]` section to use instead of the slapd-shaped one built from the
    /// fields above (its `bind_password_file` must be `"ldap.password"`).
    pub section: Option<String>,
}

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct SystemOptions {
    /// Authenticate against this directory too.
    pub ldap: Option<LdapTarget>,
    /// Session idle timeout (default 30m).
    pub idle_timeout: Option<String>,
    /// Extra TOML appended to the gateway's configuration (e.g. a `[login]` section);
    /// `{legacy0}` and `{legacy1}` stand for the sample legacy systems' addresses.
    pub extra_gateway_toml: String,
    /// Most sessions per user (`session.max_per_user`).
    pub max_sessions: Option<u32>,
    /// `session.revalidate_interval` (default 5m).
    pub revalidate_interval: Option<String>,
    /// Keep sessions in this shared PostgreSQL store (with this session secret), as several
    /// gateways of one installation do.
    pub shared_sessions: Option<SharedSessions>,
    /// The gateway's HTTPS port, when a test must know it before the start (to register
    /// the gateway at an OpenID provider); a free one otherwise.
    pub https_port: Option<u16>,
    /// Limit the size of every file the gateway writes (`RLIMIT_FSIZE`, with `SIGXFSZ`
    /// ignored), so that writes beyond it fail as on a full disk.
    pub gateway_file_size_limit: Option<u64>,
    /// The app's database URL (a `postgres://` database on the harness's cluster); an SQLite
    /// file in the data directory otherwise.
    pub app_database: Option<String>,
    /// Run the gateway as systemd would supervise it, with a notification socket
    /// (`NOTIFY_SOCKET`) that [`System::notifications`] reads; [`System::reload_gateway`]
    /// needs it.
    pub supervised: bool,
}

/// A session store shared by several gateways.
#[derive(Debug, Clone)]
pub struct SharedSessions {
    /// `postgres://` URL of the database.
    pub postgres_url: String,
    /// The session secret every gateway of the installation has.
    pub secret: String,
}

impl SystemOptions {
    /// Limit each user to `n` concurrent sessions.
    pub fn with_max_sessions(mut self, n: u32) -> SystemOptions {
        self.max_sessions = Some(n);
        self
    }
}

/// A running appliance.
pub struct System {
    /// HTTPS address of the gateway.
    pub https: SocketAddr,
    /// Plain-HTTP (redirect) address of the gateway.
    pub http: SocketAddr,
    /// Address of the app (loopback, behind the gateway).
    pub app: SocketAddr,
    /// Addresses of the legacy samples (電子決裁, 財務会計).
    pub legacy: [SocketAddr; 2],
    gateway_config: PathBuf,
    data: PathBuf,
    // Processes stop before the directory is removed.
    gateway: Option<ChildGuard>,
    upgrades: u32,
    file_size_limit: Option<u64>,
    notify: Option<NotifySocket>,
    _others: Vec<ChildGuard>,
    dir: tempfile::TempDir,
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn gateway_toml(s: &System, opts: &SystemOptions, hash: &str) -> String {
    let ldap = match &opts.ldap {
        None => String::new(),
        Some(LdapTarget {
            section: Some(section),
            ..
        }) => section.clone(),
        Some(l) => format!(
            r#"
[ldap]
urls = ["{url}"]
bind_dn = "{bind_dn}"
bind_password_file = "ldap.password"
user_base = "ou=people,{base}"
user_filter = "(&(objectClass=inetOrgPerson)(uid={{login}}))"
group_base = "ou=groups,{base}"
timeout = "3s"
[ldap.attributes]
department = "departmentNumber"
"#,
            url = l.url,
            bind_dn = l.bind_dn,
            base = l.base_dn
        ),
    };
    format!(
        r#"
[server]
https = "{https}"
http = "{http}"
data_dir = "{data}"
threads = 2
health_check_interval = "1s"
[tls]
cert = "tls/cert.pem"
key = "tls/key.pem"
self_signed_if_missing = true
hostnames = ["localhost", "127.0.0.1"]
[session]
idle_timeout = "{idle}"
absolute_timeout = "10h"
max_per_user = {max_sessions}
revalidate_interval = "{revalidate}"
{shared}
[[local_accounts]]
user = "yamada"
password_hash = "{hash}"
name = "山田 太郎"
department = "総務課"
groups = ["staff"]
[[local_accounts]]
user = "admin"
password_hash = "{hash}"
name = "システム管理者"
department = "情報化推進課"
groups = ["staff", "yakuba-admins"]
[[local_accounts]]
user = "kansa"
password_hash = "{hash}"
name = "監査 花子"
department = "監査課"
groups = ["staff", "yakuba-security"]
{ldap}
[[routes]]
id = "portal"
name = "ポータル"
upstreams = ["{app}"]
identity = "assertion"
audience = "yakuba-app"
[[routes]]
id = "denkessai"
name = "電子決裁"
name_en = "e-Approval"
path_prefix = "/denkessai/"
upstreams = ["{l0}"]
identity = "headers"
tile = true
headers = [
  {{ name = "X-Remote-User", value = "user" }},
  {{ name = "X-Remote-Name", value = "name", encoding = "percent" }},
  {{ name = "X-Remote-Dept", value = "department", encoding = "percent" }},
]
[[routes]]
id = "zaimu"
name = "財務会計"
name_en = "Finance"
path_prefix = "/zaimu/"
upstreams = ["{l1}"]
identity = "headers"
tile = true
allow_groups = ["zaimu-users", "cn=all-staff,ou=groups,dc=yakuba,dc=test"]
headers = [{{ name = "X-Zaimu-User", value = "user" }}]
{extra}
"#,
        https = s.https,
        http = s.http,
        data = s.data.display(),
        idle = opts.idle_timeout.as_deref().unwrap_or("30m"),
        app = s.app,
        l0 = s.legacy[0],
        l1 = s.legacy[1],
        extra = opts
            .extra_gateway_toml
            .replace("{legacy0}", &s.legacy[0].to_string())
            .replace("{legacy1}", &s.legacy[1].to_string()),
        max_sessions = opts.max_sessions.unwrap_or(0),
        revalidate = opts.revalidate_interval.as_deref().unwrap_or("5m"),
        shared = if opts.shared_sessions.is_some() {
            "postgres_url_file = \"session.pg\"\nsync_interval = \"1s\""
        } else {
            ""
        },
    )
}

fn app_toml(s: &System, opts: &SystemOptions) -> String {
    let database = opts
        .app_database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/app.db", s.data.display()));
    format!(
        r#"
listen = "{app}"
database = "{database}"
seed_demo_if_empty = true
# A fixed metrics port would keep a second system of the same test run from starting.
metrics_listen = false
[assertion]
verify_key = "{data}/assertion.pub"
audience = "yakuba-app"
[audit]
dir = "{data}/app-audit"
signing_key = "{data}/app-audit.key"
checkpoint_dir = "{data}/app-audit-checkpoints"
view_dirs = ["{data}/audit", "{data}/app-audit"]
security_groups = ["yakuba-security"]
"#,
        app = s.app,
        data = s.data.display()
    )
}

impl System {
    /// Generate configuration, start every process and wait until each listens.
    pub fn start(opts: SystemOptions) -> anyhow::Result<System> {
        let dir = tempfile::Builder::new()
            .prefix("yakuba-system-")
            .tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data)?;
        let mut system = System {
            https: loopback(match opts.https_port {
                Some(port) => port,
                None => free_port()?,
            }),
            http: loopback(free_port()?),
            app: loopback(free_port()?),
            legacy: [loopback(free_port()?), loopback(free_port()?)],
            gateway_config: dir.path().join("gateway.toml"),
            data: data.clone(),
            gateway: None,
            upgrades: 0,
            file_size_limit: opts.gateway_file_size_limit,
            notify: None,
            _others: Vec::new(),
            dir,
        };
        if opts.supervised {
            system.notify = Some(NotifySocket::bind(&system.dir.path().join("notify.sock"))?);
        }
        let hash = sso::local::hash_password(LOCAL_PASSWORD)?;
        std::fs::write(&system.gateway_config, gateway_toml(&system, &opts, &hash))?;
        if let Some(l) = &opts.ldap {
            std::fs::write(data.join("ldap.password"), format!("{}\n", l.bind_password))?;
        }
        if let Some(shared) = &opts.shared_sessions {
            std::fs::write(
                data.join("session.pg"),
                format!("{}\n", shared.postgres_url),
            )?;
            std::fs::write(data.join("session.secret"), format!("{}\n", shared.secret))?;
        }
        let app_config = system.dir.path().join("app.toml");
        std::fs::write(&app_config, app_toml(&system, &opts))?;
        let logs = system.dir.path().join("logs");
        std::fs::create_dir_all(&logs)?;

        let gateway_bin = binaries::path("yakuba-gateway")?;
        let keygen = Command::new(&gateway_bin)
            .args(["keygen", "--config"])
            .arg(&system.gateway_config)
            .output()
            .context("cannot run yakuba-gateway keygen")?;
        anyhow::ensure!(
            keygen.status.success(),
            "keygen failed: {}",
            String::from_utf8_lossy(&keygen.stderr)
        );

        let legacy_bin = binaries::path("yakuba-legacy-sample")?;
        for (addr, name) in system.legacy.iter().zip(["電子決裁", "財務会計"]) {
            let mut cmd = Command::new(&legacy_bin);
            cmd.arg("--listen")
                .arg(addr.to_string())
                .args(["--name", name]);
            system._others.push(ChildGuard::spawn(
                cmd,
                &format!("legacy-{}", addr.port()),
                &logs,
            )?);
        }
        let mut app = Command::new(binaries::path("yakuba-app")?);
        app.args(["run", "--config"]).arg(&app_config);
        system._others.push(ChildGuard::spawn(app, "app", &logs)?);
        for addr in system.legacy.iter().chain([&system.app]) {
            wait_for_tcp(*addr, Duration::from_secs(30)).with_context(|| {
                let tail = crate::process::log_tail(&logs.join("app.log"));
                format!("the app's log ends:\n{tail}")
            })?;
        }
        system.start_gateway()?;
        Ok(system)
    }

    fn start_gateway(&mut self) -> anyhow::Result<()> {
        let gateway = binaries::path("yakuba-gateway")?;
        let mut cmd = match self.file_size_limit {
            // An ignored signal stays ignored across exec, so the write fails with EFBIG.
            Some(limit) => {
                let mut cmd = Command::new("sh");
                cmd.args(["-c", "trap '' XFSZ; exec \"$@\"", "sh", "prlimit"])
                    // Only the soft limit, so that the test can lift it from outside (a disk
                    // that recovers) without privileges.
                    .arg(format!("--fsize={limit}:unlimited"))
                    .arg(&gateway);
                cmd
            }
            None => Command::new(&gateway),
        };
        cmd.args(["run", "--config"]).arg(&self.gateway_config);
        if let Some(notify) = &self.notify {
            cmd.env("NOTIFY_SOCKET", notify.path());
        }
        let logs = self.dir.path().join("logs");
        self.gateway = Some(ChildGuard::spawn(cmd, "gateway", &logs)?);
        wait_for_tcp(self.https, Duration::from_secs(30))?;
        Ok(())
    }

    /// Change the running gateway's file size limit (`None`: none), as a disk that fills up
    /// or is given room again; the gateway keeps running.
    pub fn set_gateway_file_size_limit(&self, limit: Option<u64>) -> anyhow::Result<()> {
        let pid = self
            .gateway
            .as_ref()
            .context("no gateway is running")?
            .pid();
        let value = limit.map_or_else(|| "unlimited".to_owned(), |l| l.to_string());
        let out = Command::new("prlimit")
            .arg(format!("--pid={pid}"))
            .arg(format!("--fsize={value}:unlimited"))
            .output()
            .context("cannot run prlimit")?;
        anyhow::ensure!(
            out.status.success(),
            "prlimit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// Kill the gateway with SIGKILL, as a crash or `kill -9` would.
    pub fn kill_gateway(&mut self) {
        if let Some(mut g) = self.gateway.take() {
            g.kill_hard();
        }
    }

    /// Stop the gateway (SIGTERM) and start it again on the same data.
    pub fn restart_gateway(&mut self) -> anyhow::Result<()> {
        if let Some(mut g) = self.gateway.take() {
            g.terminate();
        }
        // Give the kernel a moment to release the listening sockets.
        for _ in 0..50 {
            if std::net::TcpListener::bind(self.https).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.start_gateway()
    }

    /// Replace the running gateway by a new process that takes over its listening sockets
    /// (graceful upgrade: `run --upgrade`, then `SIGQUIT` to the old one), as after a change
    /// of configuration, certificate or binary. Returns once the old process has exited.
    pub fn upgrade_gateway(&mut self) -> anyhow::Result<()> {
        let mut old = self.gateway.take().context("no gateway is running")?;
        let sock = self.data.join("gateway-upgrade.sock");
        let _ = std::fs::remove_file(&sock);
        let mut cmd = Command::new(binaries::path("yakuba-gateway")?);
        cmd.args(["run", "--upgrade", "--config"])
            .arg(&self.gateway_config);
        let logs = self.dir.path().join("logs");
        self.upgrades += 1;
        let new = ChildGuard::spawn(cmd, &format!("gateway-{}", self.upgrades), &logs)?;
        // The new process waits for the sockets on the upgrade socket.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !sock.exists() {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the new gateway never opened its upgrade socket: {}",
                new.log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::process::send_signal(old.pid(), "QUIT");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while old.is_running() {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the old gateway did not exit after handing over"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.gateway = Some(new);
        Ok(())
    }

    /// Reload the gateway as `systemctl reload` does: `yakuba-gateway reload --main-pid PID`
    /// sends the running gateway `SIGHUP`, it starts its successor, which takes the listening
    /// sockets over. Returns the successor's pid once the old process has exited and the
    /// successor has reported `MAINPID=` and `READY=1` (needs [`SystemOptions::supervised`]).
    pub fn reload_gateway(&mut self) -> anyhow::Result<u32> {
        let notify = self
            .notify
            .as_ref()
            .context("reload_gateway needs SystemOptions::supervised")?;
        let mut old = self.gateway.take().context("no gateway is running")?;
        let old_pid = old.pid();
        let seen = notify.count();
        let reload = Command::new(binaries::path("yakuba-gateway")?)
            .args(["reload", "--config"])
            .arg(&self.gateway_config)
            .args(["--main-pid", &old_pid.to_string()])
            .output()
            .context("cannot run yakuba-gateway reload")?;
        let outcome = format!(
            "{}{}",
            String::from_utf8_lossy(&reload.stdout),
            String::from_utf8_lossy(&reload.stderr)
        );
        if !reload.status.success() {
            let tail = old.log_tail();
            self.gateway = Some(old);
            anyhow::bail!(
                "yakuba-gateway reload failed: {outcome}\nthe gateway's log ends:\n{tail}"
            );
        }
        anyhow::ensure!(
            !old.is_running(),
            "reload returned, but the old gateway runs on"
        );
        let old_pid_text = old_pid.to_string();
        let ready = notify
            .wait_for(seen, Duration::from_secs(30), |m| {
                m.get("READY") == Some("1") && m.get("MAINPID").is_some_and(|p| p != old_pid_text)
            })
            .with_context(|| {
                format!(
                    "no successor reported MAINPID= and READY=1: {:?}\n{}",
                    notify.messages(),
                    old.log_tail()
                )
            })?;
        let pid: u32 = ready
            .get("MAINPID")
            .unwrap_or_default()
            .parse()
            .context("MAINPID= is not a pid")?;
        self.gateway = Some(ChildGuard::adopt(pid, old.name(), old.log_path()));
        Ok(pid)
    }

    /// What the gateway reported on its notification socket so far (with
    /// [`SystemOptions::supervised`]).
    pub fn notifications(&self) -> Vec<crate::notify::Message> {
        self.notify
            .as_ref()
            .map(NotifySocket::messages)
            .unwrap_or_default()
    }

    /// The running gateway's pid.
    pub fn gateway_pid(&self) -> Option<u32> {
        self.gateway.as_ref().map(ChildGuard::pid)
    }

    /// The gateway's self-signed certificate (PEM).
    pub fn certificate(&self) -> anyhow::Result<Vec<u8>> {
        Ok(std::fs::read(self.data.join("tls/cert.pem"))?)
    }

    /// The gateway's configuration file.
    pub fn gateway_config(&self) -> &Path {
        &self.gateway_config
    }

    /// The gateway's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// A client that trusts only the gateway's certificate, follows no redirects, keeps no
    /// cookies (tests handle them explicitly) and resolves `localhost` to the gateway.
    pub fn client(&self) -> anyhow::Result<reqwest::Client> {
        let cert = reqwest::Certificate::from_pem(&self.certificate()?)?;
        Ok(reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .redirect(reqwest::redirect::Policy::none())
            .resolve("localhost", self.https)
            .timeout(Duration::from_secs(20))
            .build()?)
    }

    /// `https://localhost:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.https.port())
    }

    /// Every audit record written so far, with short keys for matching (see
    /// [`crate::audit::records`]).
    pub fn audit(&self) -> Vec<serde_json::Value> {
        crate::audit::records(&self.audit_dir())
    }

    /// The gateway's audit segment directory.
    pub fn audit_dir(&self) -> PathBuf {
        self.data.join("audit")
    }

    /// Wait (up to 5 s; the gateway writes its audit log in batches) for an audit record
    /// that satisfies `matches`, and say whether one came.
    pub fn audit_has(&self, matches: impl Fn(&serde_json::Value) -> bool) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            if self.audit().iter().any(&matches) {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything every process logged, for checking that no secret leaked into a log.
    pub fn all_logs(&self) -> String {
        let mut text = String::new();
        for dir in [self.dir.path().join("logs"), self.data.clone()] {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.extension().is_some_and(|x| x == "log") {
                        text.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
                    }
                }
            }
        }
        text.push_str(&crate::audit::raw_text(&self.audit_dir()));
        text.push_str(&crate::audit::raw_text(&self.data.join("app-audit")));
        text
    }
}
