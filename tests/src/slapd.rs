//! A throwaway OpenLDAP `slapd` on a free loopback port, loaded with a caller-supplied LDIF,
//! plus a small sample city directory (two departments, two clerks, two groups) to load into it.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::process::{ChildGuard, free_port, log_tail};

/// The suffix every test directory is served under.
pub const BASE_DN: &str = "dc=yakuba,dc=test";

/// The organisational unit holding user entries.
pub const PEOPLE_DN: &str = "ou=people,dc=yakuba,dc=test";

/// The organisational unit holding `groupOfNames` entries.
pub const GROUPS_DN: &str = "ou=groups,dc=yakuba,dc=test";

/// The directory manager (`rootdn`), which may read and write everything.
pub const ADMIN_DN: &str = "cn=admin,dc=yakuba,dc=test";

/// The directory manager's password (stored in `slapd.conf` as an `{SSHA}` hash).
pub const ADMIN_PASSWORD: &str = "yakuba-admin-secret";

/// How long [`Slapd::start`] waits for a fresh slapd to answer a search.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// One clerk in [`sample_directory_ldif`], with the values tests compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleUser {
    /// The login name (`uid`).
    pub uid: &'static str,
    /// The entry's distinguished name, for binds.
    pub dn: &'static str,
    /// The clear-text password that binds as this user.
    pub password: &'static str,
    /// `displayName` (also `cn`), in Japanese.
    pub display_name: &'static str,
    /// Family name (`sn`).
    pub surname: &'static str,
    /// Given name (`givenName`).
    pub given_name: &'static str,
    /// The department, stored in both `ou` and `departmentNumber`.
    pub department: &'static str,
    /// `mail`.
    pub mail: &'static str,
}

/// Tanaka Ichirō of the general affairs section (総務課); member of `soumu-staff` and `all-staff`.
pub const TANAKA: SampleUser = SampleUser {
    uid: "tanaka",
    dn: "uid=tanaka,ou=people,dc=yakuba,dc=test",
    password: "tanaka-pass-1",
    display_name: "田中 一郎",
    surname: "田中",
    given_name: "一郎",
    department: "総務課",
    mail: "tanaka@city.yakuba.test",
};

/// Suzuki Hanako of the finance section (財政課); member of `all-staff` only.
pub const SUZUKI: SampleUser = SampleUser {
    uid: "suzuki",
    dn: "uid=suzuki,ou=people,dc=yakuba,dc=test",
    password: "suzuki-pass-2",
    display_name: "鈴木 花子",
    surname: "鈴木",
    given_name: "花子",
    department: "財政課",
    mail: "suzuki@city.yakuba.test",
};

/// The general affairs staff group; its only member is [`TANAKA`].
pub const SOUMU_STAFF_GROUP_DN: &str = "cn=soumu-staff,ou=groups,dc=yakuba,dc=test";

/// The group of every clerk in the sample directory.
pub const ALL_STAFF_GROUP_DN: &str = "cn=all-staff,ou=groups,dc=yakuba,dc=test";

/// A running slapd serving [`BASE_DN`] from a temporary directory; stopped and removed on drop.
#[derive(Debug)]
pub struct Slapd {
    /// Plain LDAP URL, `ldap://127.0.0.1:PORT`; accepts StartTLS when started with TLS.
    pub url: String,
    /// The plain LDAP port.
    pub port: u16,
    /// `ldaps://127.0.0.1:PORT2` when started with [`Slapd::start_with_tls`].
    pub ldaps_url: Option<String>,
    /// The suffix served, [`BASE_DN`].
    pub base_dn: String,
    /// The directory manager's DN, [`ADMIN_DN`].
    pub admin_dn: String,
    /// The directory manager's password, [`ADMIN_PASSWORD`].
    pub admin_password: String,
    // Declared before `dir` so slapd is stopped before its database directory is removed.
    guard: ChildGuard,
    dir: tempfile::TempDir,
}

/// Certificate and key files for slapd's TLS listener.
struct TlsFiles<'a> {
    cert_pem: &'a Path,
    key_pem: &'a Path,
}

impl Slapd {
    /// Starts slapd on a free loopback port with the base entries (the suffix, `ou=people`,
    /// `ou=groups`) plus `ldif`, and waits until it answers a search.
    pub fn start(ldif: &str) -> anyhow::Result<Slapd> {
        start_slapd(ldif, None)
    }

    /// Like [`Slapd::start`], and also serves `ldaps://` on a second free port (and StartTLS on
    /// the plain port) with the caller's PEM certificate and private key.
    pub fn start_with_tls(ldif: &str, cert_pem: &Path, key_pem: &Path) -> anyhow::Result<Slapd> {
        start_slapd(ldif, Some(TlsFiles { cert_pem, key_pem }))
    }

    /// The file receiving slapd's output.
    pub fn log_path(&self) -> &Path {
        self.guard.log_path()
    }

    /// The temporary directory holding `slapd.conf`, the database and the log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn start_slapd(ldif: &str, tls: Option<TlsFiles<'_>>) -> anyhow::Result<Slapd> {
    let dir = tempfile::Builder::new()
        .prefix("yakuba-slapd-")
        .tempdir()
        .context("creating a temporary directory for slapd")?;
    let db_dir = dir.path().join("db");
    fs::create_dir(&db_dir).with_context(|| format!("creating {}", db_dir.display()))?;

    let admin_hash = hash_password(ADMIN_PASSWORD)?;
    let conf_path = dir.path().join("slapd.conf");
    let conf = slapd_conf(&db_dir, &admin_hash, tls.as_ref());
    fs::write(&conf_path, conf).with_context(|| format!("writing {}", conf_path.display()))?;

    let ldif_path = dir.path().join("initial.ldif");
    let initial = format!("{}\n{}\n", base_entries_ldif(), ldif.trim());
    fs::write(&ldif_path, initial).with_context(|| format!("writing {}", ldif_path.display()))?;
    // `-q`: no per-entry sync or consistency checks, for a fresh database built from
    // known-good LDIF (a city's 21,036 staff load in seconds rather than minutes).
    let slapadd = Command::new("slapadd")
        .arg("-q")
        .arg("-f")
        .arg(&conf_path)
        .arg("-l")
        .arg(&ldif_path)
        .stdin(Stdio::null())
        .output()
        .context("running slapadd (install the Debian package `slapd`)")?;
    if !slapadd.status.success() {
        bail!(
            "slapadd refused the initial LDIF {}: {}",
            ldif_path.display(),
            command_output_text(&slapadd)
        );
    }

    let port = free_port()?;
    let url = format!("ldap://127.0.0.1:{port}");
    let ldaps_url = match tls {
        Some(_) => Some(format!("ldaps://127.0.0.1:{}", free_port()?)),
        None => None,
    };
    let listeners = match &ldaps_url {
        Some(ldaps) => format!("{url}/ {ldaps}/"),
        None => format!("{url}/"),
    };
    let mut cmd = Command::new("slapd");
    // `-d 0` keeps slapd in the foreground (so the guard owns the real server process) without
    // printing debug output.
    cmd.arg("-d")
        .arg("0")
        .arg("-f")
        .arg(&conf_path)
        .arg("-h")
        .arg(&listeners);
    let mut guard = ChildGuard::spawn(cmd, "slapd", dir.path())?;
    wait_until_answering(&mut guard, &url)?;
    Ok(Slapd {
        url,
        port,
        ldaps_url,
        base_dn: BASE_DN.to_owned(),
        admin_dn: ADMIN_DN.to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        guard,
        dir,
    })
}

/// Hashes a password as `{SSHA}` with `slappasswd`.
fn hash_password(password: &str) -> anyhow::Result<String> {
    let output = Command::new("slappasswd")
        .arg("-s")
        .arg(password)
        .stdin(Stdio::null())
        .output()
        .context("running slappasswd (install the Debian package `slapd`)")?;
    if !output.status.success() {
        bail!("slappasswd failed: {}", command_output_text(&output));
    }
    let hash = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !hash.starts_with("{SSHA}") {
        bail!("slappasswd printed {hash:?}, not an {{SSHA}} hash");
    }
    Ok(hash)
}

/// An old-style `slapd.conf` serving [`BASE_DN`] from an MDB database in `db_dir`.
fn slapd_conf(db_dir: &Path, admin_hash: &str, tls: Option<&TlsFiles<'_>>) -> String {
    let mut conf = String::from(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         include /etc/ldap/schema/nis.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n",
    );
    if let Some(tls) = tls {
        // Writing into a String cannot fail.
        let _ = write!(
            conf,
            "TLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
            tls.cert_pem.display(),
            tls.key_pem.display()
        );
    }
    let _ = write!(
        conf,
        "database mdb\n\
         maxsize 104857600\n\
         suffix \"{BASE_DN}\"\n\
         rootdn \"{ADMIN_DN}\"\n\
         rootpw {admin_hash}\n\
         directory {}\n\
         index objectClass eq\n\
         index uid eq\n\
         index member eq\n\
         access to attrs=userPassword by self =xw by anonymous auth by * none\n\
         access to * by * read\n",
        db_dir.display()
    );
    conf
}

/// The entries every test directory has: the suffix, `ou=people` and `ou=groups`.
fn base_entries_ldif() -> String {
    format!(
        "dn: {BASE_DN}\n\
         objectClass: dcObject\n\
         objectClass: organization\n\
         dc: yakuba\n\
         o: Yakuba City\n\
         \n\
         dn: {PEOPLE_DN}\n\
         objectClass: organizationalUnit\n\
         ou: people\n\
         \n\
         dn: {GROUPS_DN}\n\
         objectClass: organizationalUnit\n\
         ou: groups\n"
    )
}

/// Polls with `ldapsearch` until slapd returns the base entry, failing early if slapd exits.
fn wait_until_answering(guard: &mut ChildGuard, url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if !guard.is_running() {
            bail!(
                "slapd exited during start-up; its log {} ends with:\n{}",
                guard.log_path().display(),
                guard.log_tail()
            );
        }
        let search = Command::new("ldapsearch")
            .args(["-x", "-LLL", "-H", url, "-b", BASE_DN, "-s", "base", "dn"])
            .stdin(Stdio::null())
            .output()
            .context("running ldapsearch (install the Debian package `ldap-utils`)")?;
        if search.status.success() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "slapd at {url} did not answer a search within {READY_TIMEOUT:?} (last ldapsearch: \
                 {}); its log {} ends with:\n{}",
                command_output_text(&search),
                guard.log_path().display(),
                log_tail(guard.log_path())
            );
        }
        sleep(Duration::from_millis(100));
    }
}

/// A command's exit status and both output streams, for error messages.
fn command_output_text(output: &Output) -> String {
    format!(
        "{}; stdout: {}; stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    )
}

/// One LDIF attribute line, base64-encoded (`attr:: ...`) when the value is not an LDIF
/// SAFE-STRING, as Japanese text never is.
pub fn ldif_attribute(name: &str, value: &str) -> String {
    let safe_start = value
        .bytes()
        .next()
        .is_none_or(|first| !matches!(first, b' ' | b':' | b'<'));
    let safe_rest = value
        .bytes()
        .all(|byte| byte.is_ascii() && !matches!(byte, b'\0' | b'\n' | b'\r'));
    let safe_end = !value.ends_with(' ');
    if safe_start && safe_rest && safe_end {
        format!("{name}: {value}\n")
    } else {
        format!("{name}:: {}\n", BASE64.encode(value))
    }
}

/// The LDIF entry of one sample user, an `inetOrgPerson` with a clear-text password.
fn sample_user_ldif(user: &SampleUser) -> String {
    let mut entry = format!("dn: {}\n", user.dn);
    for class in ["top", "person", "organizationalPerson", "inetOrgPerson"] {
        entry.push_str(&ldif_attribute("objectClass", class));
    }
    for (name, value) in [
        ("uid", user.uid),
        ("cn", user.display_name),
        ("sn", user.surname),
        ("givenName", user.given_name),
        ("displayName", user.display_name),
        ("mail", user.mail),
        ("ou", user.department),
        ("departmentNumber", user.department),
        // slapd compares a clear-text userPassword directly; hashing would need slappasswd here.
        ("userPassword", user.password),
    ] {
        entry.push_str(&ldif_attribute(name, value));
    }
    entry
}

/// The LDIF entry of one sample `groupOfNames`.
fn sample_group_ldif(dn: &str, cn: &str, description: &str, members: &[&SampleUser]) -> String {
    let mut entry = format!("dn: {dn}\n");
    entry.push_str(&ldif_attribute("objectClass", "groupOfNames"));
    entry.push_str(&ldif_attribute("cn", cn));
    entry.push_str(&ldif_attribute("description", description));
    for member in members {
        entry.push_str(&ldif_attribute("member", member.dn));
    }
    entry
}

/// A small city directory to pass to [`Slapd::start`]: [`TANAKA`] (総務課) and [`SUZUKI`]
/// (財政課) under [`PEOPLE_DN`], and the groups [`SOUMU_STAFF_GROUP_DN`] (Tanaka) and
/// [`ALL_STAFF_GROUP_DN`] (both) under [`GROUPS_DN`].
pub fn sample_directory_ldif() -> String {
    [
        sample_user_ldif(&TANAKA),
        sample_user_ldif(&SUZUKI),
        sample_group_ldif(
            SOUMU_STAFF_GROUP_DN,
            "soumu-staff",
            "総務課職員",
            &[&TANAKA],
        ),
        sample_group_ldif(
            ALL_STAFF_GROUP_DN,
            "all-staff",
            "全職員",
            &[&TANAKA, &SUZUKI],
        ),
    ]
    .join("\n")
}
