//! A real Active Directory domain controller (Samba, from Debian's `samba` and `samba-ad-dc`
//! packages), provisioned on first use into a scratch directory and serving LDAP and LDAPS on
//! 127.0.0.1 only.
//!
//! Samba's LDAP ports are fixed (389 and 636), so there is one DC per machine at a time: it
//! is shared by every test in a process ([`SambaDc::shared`]) and stopped by a supervisor when
//! the process exits; a lock file makes a second test process wait for the first. Tests that
//! change accounts create their own users so that they do not disturb each other.
//!
//! The domain: realm `YAKUBA.TEST`, NetBIOS domain `YAKUBA`, base `DC=yakuba,DC=test`;
//! staff in `OU=Staff` with an OU per department; groups in `OU=groups` with nesting
//! `soumu-staff` ⊂ `somubu-staff` ⊂ `all-staff`; the service account `svc-yakuba`. TLS uses a
//! certificate for 127.0.0.1 signed by a CA the harness writes to [`SambaDc::ca_file`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use crate::process::{process_exists, spawn_tied_to_this_process, wait_for_tcp};

/// The directory's base DN.
pub const BASE_DN: &str = "DC=yakuba,DC=test";
/// The NetBIOS domain name (for `YAKUBA\user` logins).
pub const DOMAIN: &str = "YAKUBA";
/// The UPN suffix (for `user@yakuba.test` logins).
pub const UPN_SUFFIX: &str = "yakuba.test";
/// Where staff accounts live.
pub const STAFF_OU: &str = "OU=Staff,DC=yakuba,DC=test";
/// Where the sample groups live.
pub const GROUPS_OU: &str = "OU=groups,DC=yakuba,DC=test";
/// The service account that searches the directory.
pub const SERVICE_DN: &str = "CN=svc-yakuba,OU=Service,DC=yakuba,DC=test";
/// Its password.
pub const SERVICE_PASSWORD: &str = "Svc-Yakuba-Pass1";
/// `ldaps://127.0.0.1:636`.
pub const LDAPS_URL: &str = "ldaps://127.0.0.1:636";
/// `ldap://127.0.0.1:389` (simple binds need StartTLS here: Samba requires strong auth).
pub const LDAP_URL: &str = "ldap://127.0.0.1:389";
/// Failed passwords before an account is locked out.
pub const LOCKOUT_THRESHOLD: u32 = 3;

/// The sample staff member 田中 太郎 of 総務課, member of `soumu-staff` (and so, nested, of
/// `somubu-staff` and `all-staff`).
pub const TANAKA: AdUser = AdUser {
    login: "tanaka",
    password: "Tanaka-Pass1",
    display_name: "田中 太郎",
    ou: "OU=総務課,OU=総務部",
    group: Some("soumu-staff"),
};

/// A staff account to create with [`SambaDc::create_user`].
#[derive(Debug, Clone, Copy)]
pub struct AdUser {
    /// `sAMAccountName`.
    pub login: &'static str,
    /// Password.
    pub password: &'static str,
    /// `displayName`.
    pub display_name: &'static str,
    /// OUs below [`STAFF_OU`], nearest first (`OU=総務課,OU=総務部`).
    pub ou: &'static str,
    /// A sample group to put the user in.
    pub group: Option<&'static str>,
}

static SHARED: OnceLock<Result<SambaDc, String>> = OnceLock::new();

/// A running Samba AD DC.
#[derive(Debug)]
pub struct SambaDc {
    root: PathBuf,
    /// PEM file of the CA that signed the DC's certificate.
    pub ca_file: PathBuf,
    /// The DC's log.
    pub log_path: PathBuf,
    supervisor: u32,
}

impl SambaDc {
    /// The DC shared by every test in this process, provisioned and started on first use.
    pub fn shared() -> anyhow::Result<&'static SambaDc> {
        SHARED
            .get_or_init(|| start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|m| anyhow!("the shared Samba AD DC did not start: {m}"))
    }

    /// Whether the DC's supervisor is still running.
    pub fn is_running(&self) -> bool {
        process_exists(self.supervisor)
    }

    /// The DN of a user created from `user`.
    pub fn user_dn(user: &AdUser) -> String {
        format!("CN={},{},{STAFF_OU}", user.login, user.ou)
    }

    /// The DN of a sample group.
    pub fn group_dn(name: &str) -> String {
        format!("CN={name},{GROUPS_OU}")
    }

    /// Run `samba-tool` against the DC's database (which Samba allows while it runs).
    pub fn tool(&self, args: &[&str]) -> anyhow::Result<String> {
        samba_tool(&self.root, args)
    }

    /// Create `user` in its department OU (creating the OUs as needed), with a Japanese
    /// display name and `department` set to the nearest OU's name.
    pub fn create_user(&self, user: &AdUser) -> anyhow::Result<()> {
        let ou_path = format!("{},{}", user.ou, STAFF_OU);
        let department = user
            .ou
            .split(',')
            .next()
            .and_then(|rdn| rdn.split_once('='))
            .map(|(_, v)| v)
            .unwrap_or_default();
        self.tool(&[
            "user",
            "create",
            user.login,
            user.password,
            "--userou",
            ou_path.trim_end_matches(&format!(",{BASE_DN}")),
            "--department",
            department,
            "--mail-address",
            &format!("{}@{UPN_SUFFIX}", user.login),
        ])?;
        self.modify(&format!(
            "dn: {dn}\nchangetype: modify\nreplace: displayName\ndisplayName: {name}\n",
            dn = Self::user_dn(user),
            name = user.display_name
        ))?;
        if let Some(group) = user.group {
            self.tool(&["group", "addmembers", group, user.login])?;
        }
        Ok(())
    }

    /// Add the entries of an LDIF file to the DC's database with `ldbadd`.
    pub fn add(&self, ldif: &str) -> anyhow::Result<()> {
        let path = self.root.join("add.ldif");
        fs::write(&path, ldif)?;
        run(Command::new("ldbadd")
            .arg("-H")
            .arg(sam_ldb(&self.root))
            .arg(&path))
        .map(|_| ())
    }

    /// Apply an LDIF change to the DC's database with `ldbmodify`.
    pub fn modify(&self, ldif: &str) -> anyhow::Result<()> {
        // One file per change: tests in the same binary change the directory concurrently, and a
        // shared file would let one test's LDIF be applied in place of another's.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self
            .root
            .join(format!("change-{}-{n}.ldif", std::process::id()));
        fs::write(&path, ldif)?;
        let outcome = run(Command::new("ldbmodify")
            .arg("-H")
            .arg(sam_ldb(&self.root))
            .arg(&path))
        .map(|_| ());
        let _ = fs::remove_file(&path);
        outcome
    }
}

fn sam_ldb(root: &Path) -> PathBuf {
    root.join("dc/private/sam.ldb")
}

/// `samba-tool` on the DC's own configuration and database (not the machine's smb.conf).
fn samba_tool(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    run(Command::new("samba-tool")
        .args(args)
        .arg("-s")
        .arg(root.join("dc/etc/smb.conf"))
        .arg("-H")
        .arg(sam_ldb(root)))
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn start() -> anyhow::Result<SambaDc> {
    for tool in ["samba", "samba-tool", "ldbmodify"] {
        if which(tool).is_none() {
            bail!(
                "`{tool}` is missing: install the Debian packages `samba samba-ad-dc samba-ad-provision ldb-tools` \
                 (scripts/test.sh does)"
            );
        }
    }
    // One DC per machine: its ports are fixed. Wait for another test process to finish.
    lock_machine_wide()?;
    if std::net::TcpStream::connect(("127.0.0.1", 636)).is_ok() {
        bail!("127.0.0.1:636 is already in use (a Samba DC or another LDAPS server is running)");
    }
    let root = tempfile::Builder::new()
        .prefix("yakuba-samba-")
        .tempdir()?
        .keep();
    provision(&root)?;
    let mut dc = SambaDc {
        ca_file: root.join("tls/ca.pem"),
        log_path: root.join("samba.log"),
        root: root.clone(),
        supervisor: 0,
    };
    dc.create_user(&TANAKA)?;
    let log_path = dc.log_path.clone();
    let conf = root.join("dc/etc/smb.conf");
    let supervisor = spawn_tied_to_this_process(
        &format!("exec samba -i -M single -s '{}'", conf.display()),
        &log_path,
    )?;
    let ready = wait_for_tcp(([127, 0, 0, 1], 636).into(), Duration::from_secs(60));
    if let Err(e) = ready {
        bail!(
            "samba did not open 127.0.0.1:636: {e}\n{}",
            crate::process::log_tail(&log_path)
        );
    }
    dc.supervisor = supervisor;
    Ok(dc)
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|dir| Path::new(dir).join(tool))
        .find(|p| p.is_file())
}

/// A lock directory in the temp dir holding this process's pid, for the life of the process
/// (a holder that has exited is taken over).
fn lock_machine_wide() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join("yakuba-samba.lock");
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::write(dir.join("pid"), std::process::id().to_string())?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(dir.join("pid"))
                    .ok()
                    .and_then(|p| p.trim().parse::<u32>().ok());
                if holder.is_none_or(|pid| !process_exists(pid)) {
                    let _ = fs::remove_dir_all(&dir);
                    continue;
                }
                if std::time::Instant::now() > deadline {
                    bail!("another test process has held the Samba DC for 10 minutes");
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Provision the domain into `root/dc`, with TLS from a CA of our own, the sample OUs,
/// groups, service account and [`TANAKA`].
fn provision(root: &Path) -> anyhow::Result<()> {
    let tls = root.join("tls");
    fs::create_dir_all(&tls)?;
    write_pki(&tls)?;
    let dc = root.join("dc");
    let option = |kv: String| format!("--option={kv}");
    run(Command::new("samba-tool")
        .args([
            "domain",
            "provision",
            "--server-role=dc",
            "--dns-backend=NONE",
        ])
        .args(["--realm=YAKUBA.TEST", "--domain", DOMAIN, "--use-rfc2307"])
        .arg(format!("--targetdir={}", dc.display()))
        .arg("--adminpass=Adm1n-Pass-Yakuba")
        .arg(option("interfaces = 127.0.0.1/8".into()))
        .arg(option("bind interfaces only = yes".into()))
        .arg(option("server services = ldap".into()))
        .arg(option(format!("log file = {}/log.%m", dc.display())))
        .arg(option(format!("pid directory = {}/run", dc.display())))
        .arg(option("tls enabled = yes".into()))
        .arg(option(format!("tls certfile = {}/cert.pem", tls.display())))
        .arg(option(format!("tls keyfile = {}/key.pem", tls.display())))
        .arg(option(format!("tls cafile = {}/ca.pem", tls.display()))))?;
    fs::create_dir_all(dc.join("run"))?;
    let threshold = LOCKOUT_THRESHOLD.to_string();
    samba_tool(
        root,
        &[
            "domain",
            "passwordsettings",
            "set",
            "--complexity=off",
            "--min-pwd-length=4",
            "--min-pwd-age=0",
            "--history-length=0",
            "--account-lockout-threshold",
            &threshold,
            "--account-lockout-duration=1",
            "--reset-account-lockout-after=1",
        ],
    )?;
    for ou in [
        "OU=Staff",
        "OU=総務部,OU=Staff",
        "OU=総務課,OU=総務部,OU=Staff",
        "OU=財務課,OU=Staff",
        "OU=groups",
        "OU=Service",
    ] {
        samba_tool(root, &["ou", "create", ou])?;
    }
    for group in ["all-staff", "somubu-staff", "soumu-staff", "yakuba-admins"] {
        samba_tool(root, &["group", "add", group, "--groupou=OU=groups"])?;
    }
    samba_tool(root, &["group", "addmembers", "all-staff", "somubu-staff"])?;
    samba_tool(
        root,
        &["group", "addmembers", "somubu-staff", "soumu-staff"],
    )?;
    samba_tool(
        root,
        &[
            "user",
            "create",
            "svc-yakuba",
            SERVICE_PASSWORD,
            "--userou=OU=Service",
        ],
    )?;
    Ok(())
}

/// A CA and a certificate for 127.0.0.1 signed by it.
fn write_pki(dir: &Path) -> anyhow::Result<()> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Yakuba test AD CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "dc1.yakuba.test");
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key)?;
    fs::write(dir.join("ca.pem"), ca_cert.pem())?;
    fs::write(dir.join("cert.pem"), cert.pem())?;
    let key_path = dir.join("key.pem");
    fs::write(&key_path, key.serialize_pem())?;
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}
