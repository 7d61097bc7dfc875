//! One throwaway PostgreSQL cluster per test process, on a free loopback port with `trust`
//! authentication, from which each test creates its own fresh database.
//!
//! The cluster lives in a `static`, so no destructor stops it: it runs under the supervisor of
//! [`spawn_tied_to_process`], which stops it and removes its directory when the test process
//! exits.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use crate::process::{free_port, log_tail, process_exists, spawn_tied_to_process};

/// Where Debian installs each PostgreSQL major version's server binaries.
const DEBIAN_PG_ROOT: &str = "/usr/lib/postgresql";

/// The message for a machine without PostgreSQL, naming the fix.
const MISSING_BINARIES: &str =
    "install the Debian package `postgresql` (`apt-get install postgresql`)";

/// The operating-system account that owns the cluster when tests run as root, because
/// PostgreSQL refuses to run as root.
const CLUSTER_OWNER: &str = "postgres";

/// How long [`PgCluster::shared`] waits for a fresh server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The process-wide cluster, or why it could not start (kept so later tests fail fast).
static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();

/// A running PostgreSQL cluster on `127.0.0.1:port`, superuser `postgres`, `trust` auth.
#[derive(Debug)]
pub struct PgCluster {
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// The directory holding the Unix socket (`psql -h <socket_dir>` also works).
    pub socket_dir: PathBuf,
    /// The cluster's data directory.
    pub data_dir: PathBuf,
    /// The server's log (and its supervisor's).
    pub log_path: PathBuf,
    /// The directory holding psql, pg_isready and the server binaries.
    bin_dir: PathBuf,
    /// The pid of the supervisor that stops the server when the test process exits.
    supervisor_pid: u32,
    /// Serialises `DROP`/`CREATE DATABASE`, which conflict when run concurrently on one template.
    database_creation: Mutex<()>,
}

impl PgCluster {
    /// The cluster shared by every test in this process, started (initdb + postgres) on first
    /// use. Fails with the same message on every call if the first start failed.
    pub fn shared() -> anyhow::Result<&'static PgCluster> {
        SHARED
            .get_or_init(|| start_cluster().map_err(|error| format!("{error:#}")))
            .as_ref()
            .map_err(|message| anyhow!("the shared PostgreSQL cluster did not start: {message}"))
    }

    /// Creates an empty database called `name`, dropping any earlier one of that name first,
    /// and returns its URL, `postgres://postgres@127.0.0.1:PORT/name`.
    ///
    /// `name` must be lowercase ASCII letters, digits and `_`, starting with a letter or `_`.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let valid_start = name
            .bytes()
            .next()
            .is_some_and(|first| first.is_ascii_lowercase() || first == b'_');
        let valid_rest = name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
        if !valid_start || !valid_rest || name.len() > 63 {
            bail!(
                "database name {name:?} must be 1-63 characters of a-z, 0-9 and _, \
                 not starting with a digit"
            );
        }
        // A poisoned lock only means another test panicked mid-creation; the cluster is fine.
        let _creating = self
            .database_creation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )?;
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {name} ENCODING 'UTF8'"),
        )?;
        Ok(self.database_url(name))
    }

    /// The URL of database `name` on this cluster, whether or not it exists.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` with `psql` in `database` as `postgres`, stopping at the first error, and
    /// returns the unaligned, tuples-only output (one row per line, `|` between columns).
    pub fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bin_dir.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-U", "postgres"])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(database)
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!(
                "psql in database {database} failed on `{sql}`: {}",
                command_output_text(&output)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Whether the server's supervisor is still running (it exits once the server is gone).
    pub fn is_running(&self) -> bool {
        process_exists(self.supervisor_pid)
    }
}

fn start_cluster() -> anyhow::Result<PgCluster> {
    let bin_dir = find_server_binaries()?;
    // Kept rather than wrapped in a TempDir: statics are never dropped, so the supervisor
    // removes this directory once the server has stopped.
    let root = tempfile::Builder::new()
        .prefix("yakuba-pg-")
        .tempdir()
        .context("creating a temporary directory for PostgreSQL")?
        .keep();
    let data_dir = root.join("data");
    let socket_dir = root.join("socket");
    let log_path = root.join("postgres.log");
    for dir in [&data_dir, &socket_dir] {
        fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let running_as_root = running_as_root();
    if running_as_root {
        // The server account must own its directories and be able to enter the temp root.
        let chown = Command::new("chown")
            .arg("-R")
            .arg(format!("{CLUSTER_OWNER}:{CLUSTER_OWNER}"))
            .arg(&root)
            .output()
            .context("running chown")?;
        if !chown.status.success() {
            bail!(
                "chown of {} to {CLUSTER_OWNER} failed: {}",
                root.display(),
                command_output_text(&chown)
            );
        }
    }

    init_cluster(&bin_dir, &data_dir, &root, running_as_root)?;

    let port = free_port()?;
    let mut server_cmd = String::from("exec ");
    if running_as_root {
        server_cmd.push_str(&format!("runuser -u {CLUSTER_OWNER} -- "));
    }
    server_cmd.push_str(&format!(
        "{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        shell_quote(&bin_dir.join("postgres")),
        shell_quote(&data_dir),
        shell_quote(&socket_dir),
    ));
    let supervisor_pid =
        spawn_tied_to_process(std::process::id(), &server_cmd, &log_path, Some(&root))?;
    let cluster = PgCluster {
        port,
        socket_dir,
        data_dir,
        log_path,
        bin_dir,
        supervisor_pid,
        database_creation: Mutex::new(()),
    };
    wait_until_ready(&cluster)?;
    Ok(cluster)
}

/// The newest `/usr/lib/postgresql/<major>/bin` holding `initdb` and `postgres`.
fn find_server_binaries() -> anyhow::Result<PathBuf> {
    let versions = fs::read_dir(DEBIAN_PG_ROOT)
        .map_err(|_| anyhow!("no PostgreSQL server under {DEBIAN_PG_ROOT}: {MISSING_BINARIES}"))?;
    let newest = versions
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            let complete = bin.join("initdb").is_file() && bin.join("postgres").is_file();
            complete.then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major);
    match newest {
        Some((_, bin)) => Ok(bin),
        None => {
            bail!("no initdb/postgres under {DEBIAN_PG_ROOT}/<version>/bin: {MISSING_BINARIES}")
        }
    }
}

/// Whether this process runs as root; `/proc/self` is owned by the effective uid.
fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// `program`, run as [`CLUSTER_OWNER`] when we are root, from `cwd` (the server account may be
/// unable to enter the test's working directory).
fn server_account_command(program: &Path, cwd: &Path, running_as_root: bool) -> Command {
    let mut cmd = if running_as_root {
        let mut runuser = Command::new("runuser");
        runuser.args(["-u", CLUSTER_OWNER, "--"]).arg(program);
        runuser
    } else {
        Command::new(program)
    };
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// Runs initdb with UTF-8 and the C.UTF-8 locale, or without a locale where C.UTF-8 is missing.
fn init_cluster(
    bin_dir: &Path,
    data_dir: &Path,
    cwd: &Path,
    running_as_root: bool,
) -> anyhow::Result<()> {
    let initdb = bin_dir.join("initdb");
    let run = |locale_arg: &str| -> anyhow::Result<Output> {
        server_account_command(&initdb, cwd, running_as_root)
            .arg("-D")
            .arg(data_dir)
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                locale_arg,
            ])
            .output()
            .context("running initdb")
    };
    let with_locale = run("--locale=C.UTF-8")?;
    if with_locale.status.success() {
        return Ok(());
    }
    // initdb refuses a non-empty directory, so clear what the failed attempt left behind.
    clear_directory(data_dir)?;
    let without_locale = run("--no-locale")?;
    if !without_locale.status.success() {
        bail!(
            "initdb failed with --locale=C.UTF-8 ({}) and with --no-locale ({})",
            command_output_text(&with_locale),
            command_output_text(&without_locale)
        );
    }
    Ok(())
}

/// Removes everything inside `dir` but keeps `dir` itself (and its owner).
fn clear_directory(dir: &Path) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

/// Polls `pg_isready` until the server accepts connections, failing early if it exits.
fn wait_until_ready(cluster: &PgCluster) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let check = Command::new(cluster.bin_dir.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-U", "postgres"])
            .arg("-p")
            .arg(cluster.port.to_string())
            .stdin(Stdio::null())
            .status()
            .context("running pg_isready")?;
        if check.success() {
            return Ok(());
        }
        if !cluster.is_running() || Instant::now() >= deadline {
            bail!(
                "PostgreSQL on 127.0.0.1:{} did not become ready within {READY_TIMEOUT:?}; \
                 its log {} ends with:\n{}",
                cluster.port,
                cluster.log_path.display(),
                log_tail(&cluster.log_path)
            );
        }
        sleep(Duration::from_millis(100));
    }
}

/// `path` as one single-quoted `sh` word.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
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
