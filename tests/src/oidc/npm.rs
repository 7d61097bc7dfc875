//! Installing the provider's npm dependencies once per machine, and running Node commands
//! with a time limit.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail, ensure};

use crate::process::process_exists;

use super::provider_dir;

/// How long `npm ci` may take.
const NPM_CI_TIMEOUT: Duration = Duration::from_secs(300);

/// A lock directory older than this is left over from a killed install and is taken over.
const STALE_LOCK: Duration = Duration::from_secs(600);

/// The file in `node_modules` that holds the lock file it was installed from.
const STAMP: &str = ".yakuba-installed-from-lock.json";

/// `tests/oidc-provider`, with its npm dependencies installed; runs `npm ci` the first time
/// and whenever `package-lock.json` changed since.
///
/// The install goes to a scratch directory and is renamed to `node_modules` in one step, with
/// a copy of the lock file it came from. Test processes take turns through a lock directory
/// (`.npm-ci.lock`, holding the installer's pid), and the threads of one process through a
/// mutex, so nobody sees a partial tree and an up-to-date tree costs one file read.
pub fn ensure_npm_installed() -> anyhow::Result<PathBuf> {
    static INSTALLED: OnceLock<Mutex<bool>> = OnceLock::new();
    let mut installed = INSTALLED
        .get_or_init(|| Mutex::new(false))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = provider_dir();
    if *installed {
        return Ok(dir);
    }
    let lock = fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {}/package-lock.json", dir.display()))?;
    let modules = dir.join("node_modules");
    if !is_current(&modules, &lock) {
        let _guard = InstallLock::acquire(&dir)?;
        // Another process may have installed while this one waited for the lock.
        if !is_current(&modules, &lock) {
            install(&dir, &modules, &lock)?;
        }
    }
    *installed = true;
    Ok(dir)
}

fn is_current(modules: &Path, lock: &[u8]) -> bool {
    fs::read(modules.join(STAMP)).ok().as_deref() == Some(lock)
}

fn install(dir: &Path, modules: &Path, lock: &[u8]) -> anyhow::Result<()> {
    let scratch = dir.join(format!(".npm-ci-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    for file in ["package.json", "package-lock.json"] {
        fs::copy(dir.join(file), scratch.join(file))
            .with_context(|| format!("copying {file} to {}", scratch.display()))?;
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&scratch);
    let result = run_bounded(
        npm,
        NPM_CI_TIMEOUT,
        "npm ci (needs Node.js 20.19 or later and npm on PATH; Debian: nodejs npm)",
    );
    if let Err(error) = result {
        let _ = fs::remove_dir_all(&scratch);
        return Err(error.context(format!(
            "installing the OpenID provider in {}",
            dir.display()
        )));
    }
    let fresh = scratch.join("node_modules");
    fs::write(fresh.join(STAMP), lock).context("stamping the npm install")?;
    if modules.exists() {
        // A stale install: rename cannot replace a non-empty directory, so it moves aside.
        fs::rename(modules, scratch.join("stale"))
            .with_context(|| format!("moving the stale {} aside", modules.display()))?;
    }
    fs::rename(&fresh, modules)
        .with_context(|| format!("renaming {} to {}", fresh.display(), modules.display()))?;
    let _ = fs::remove_dir_all(&scratch);
    ensure!(
        is_current(modules, lock),
        "npm ci finished but {} is not the install of today's package-lock.json",
        modules.display()
    );
    Ok(())
}

/// A directory created atomically; removed on drop.
struct InstallLock {
    path: PathBuf,
}

impl InstallLock {
    fn acquire(dir: &Path) -> anyhow::Result<InstallLock> {
        let path = dir.join(".npm-ci.lock");
        let deadline = Instant::now() + NPM_CI_TIMEOUT + Duration::from_secs(60);
        loop {
            match fs::create_dir(&path) {
                Ok(()) => {
                    fs::write(path.join("pid"), std::process::id().to_string())
                        .context("writing the npm lock's pid")?;
                    return Ok(InstallLock { path });
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    if lock_is_abandoned(&path) {
                        let _ = fs::remove_dir_all(&path);
                        continue;
                    }
                }
                Err(error) => {
                    return Err(error).with_context(|| format!("creating {}", path.display()));
                }
            }
            if Instant::now() >= deadline {
                bail!("{} is still held by another installer", path.display());
            }
            sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Whether the lock's holder is gone, or the lock is too old to belong to a live install.
fn lock_is_abandoned(path: &Path) -> bool {
    let holder = fs::read_to_string(path.join("pid"))
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok());
    if holder.is_some_and(|pid| !process_exists(pid)) {
        return true;
    }
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .is_some_and(|age| age > STALE_LOCK)
}

/// Runs `cmd` with stdin closed and its output in temporary files (not pipes, which a
/// grandchild could hold open), kills it after `timeout`, and returns its stdout. `what`
/// names the command in errors.
pub(super) fn run_bounded(
    mut cmd: Command,
    timeout: Duration,
    what: &str,
) -> anyhow::Result<String> {
    let stdout = tempfile::tempfile().context("creating a file for a command's output")?;
    let stderr = tempfile::tempfile().context("creating a file for a command's errors")?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(stdout.try_clone()?))
        .stderr(Stdio::from(stderr.try_clone()?));
    let mut child = cmd.spawn().with_context(|| format!("starting {what}"))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{what} did not finish within {timeout:?}: {}",
                read_all(stderr)
            );
        }
        sleep(Duration::from_millis(20));
    };
    if !status.success() {
        bail!("{what} failed ({status}): {}", read_all(stderr));
    }
    Ok(read_all(stdout))
}

fn read_all(mut file: fs::File) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    text
}
