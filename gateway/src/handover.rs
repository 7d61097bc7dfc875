//! Graceful upgrade started by the running gateway itself. On `SIGHUP` (what `systemctl
//! reload` sends through `yakuba-gateway reload`) the gateway starts its successor, `run
//! --upgrade`, as its own child: the successor inherits the environment, mount namespace and
//! cgroup of the service, so it reads the same systemd credentials (`$CREDENTIALS_DIRECTORY`)
//! and the same watchdog setting. Once the successor waits on the upgrade socket, the old
//! process hands its listening sockets over (as on `SIGQUIT`), finishes its requests and
//! exits; the successor reports itself with `MAINPID=` and `READY=1`. A successor that fails
//! leaves the old process serving, and the reason in [`FAILURE_FILE`].
//!
//! Why not start the successor from `ExecReload=`: systemd sets an `ExecReload=` process up
//! in a mount namespace of its own, without the unit's credentials mounted (and without
//! `$CREDENTIALS_DIRECTORY`), so a successor started there cannot read the session secret
//! and would live on in that namespace.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use pingora::server::{ShutdownSignal, ShutdownSignalWatch};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Mutex, Notify};

use crate::supervision;

/// Written to the data directory when a successor fails; `reload` reports its text.
pub const FAILURE_FILE: &str = "gateway-reload.failed";
/// The socket a successor receives the listening sockets on.
pub const UPGRADE_SOCKET: &str = "gateway-upgrade.sock";
/// How long a successor may take to load its configuration and open the upgrade socket.
const SUCCESSOR_START: Duration = Duration::from_secs(30);
/// How long `reload` waits for the old process to hand over, drain and exit: less than
/// systemd's `TimeoutStartSec=`, which bounds `ExecReload=`.
const RELOAD_WAIT: Duration = Duration::from_secs(50);

/// What a successor is started with.
pub struct Successor {
    /// The program to run: the name this process was started by, so that a binary replaced
    /// by a package upgrade takes effect (`/proc/self/exe` would name the deleted one).
    pub program: PathBuf,
    /// The configuration file this process was started with.
    pub config: PathBuf,
    /// [`UPGRADE_SOCKET`] in the data directory.
    pub upgrade_socket: PathBuf,
    /// [`FAILURE_FILE`] in the data directory.
    pub failure_file: PathBuf,
}

impl Successor {
    /// The successor of this process, run with `config`, whose data directory is `data_dir`.
    pub fn new(config: &Path, data_dir: impl Fn(&Path) -> PathBuf) -> anyhow::Result<Successor> {
        let program = match std::env::args_os().next() {
            Some(name) if !name.is_empty() => PathBuf::from(name),
            _ => std::env::current_exe().context("cannot find this program")?,
        };
        Ok(Successor {
            program,
            config: config.to_path_buf(),
            upgrade_socket: data_dir(Path::new(UPGRADE_SOCKET)),
            failure_file: data_dir(Path::new(FAILURE_FILE)),
        })
    }

    /// Start the successor and wait until it waits for the sockets. Returns its pid.
    async fn start(&self) -> anyhow::Result<u32> {
        // A socket left by an earlier upgrade would make the wait below end at once.
        let _ = std::fs::remove_file(&self.upgrade_socket);
        let mut child = tokio::process::Command::new(&self.program)
            .arg("run")
            .arg("--upgrade")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        let pid = child.id().unwrap_or_default();
        let deadline = Instant::now() + SUCCESSOR_START;
        loop {
            if self.upgrade_socket.exists() {
                return Ok(pid);
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "the new gateway {pid} exited before taking over ({status}); \
                     its log says why"
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill().await;
                anyhow::bail!(
                    "the new gateway {pid} did not open {} within {} s",
                    self.upgrade_socket.display(),
                    SUCCESSOR_START.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The signals Pingora's main loop waits for, in place of its own watcher: `SIGQUIT` hands
/// the sockets to a successor someone else started, `SIGTERM` drains and stops, `SIGINT`
/// stops at once, and a successor started on `SIGHUP` gets the sockets like `SIGQUIT`.
pub struct Signals {
    quit: Mutex<Signal>,
    terminate: Mutex<Signal>,
    interrupt: Mutex<Signal>,
    successor_waiting: Arc<Notify>,
}

impl Signals {
    /// Take over the signals now, before the server starts, and start successors on
    /// `SIGHUP` in a task of the current runtime. Must run inside that runtime.
    pub fn install(successor: Successor) -> anyhow::Result<Signals> {
        let hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
        let successor_waiting = Arc::new(Notify::new());
        tokio::spawn(start_successors(
            hangup,
            successor,
            successor_waiting.clone(),
        ));
        Ok(Signals {
            quit: Mutex::new(signal(SignalKind::quit()).context("cannot handle SIGQUIT")?),
            terminate: Mutex::new(
                signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            ),
            interrupt: Mutex::new(signal(SignalKind::interrupt()).context("cannot handle SIGINT")?),
            successor_waiting,
        })
    }
}

#[async_trait::async_trait]
impl ShutdownSignalWatch for Signals {
    async fn recv(&self) -> ShutdownSignal {
        let mut quit = self.quit.lock().await;
        let mut terminate = self.terminate.lock().await;
        let mut interrupt = self.interrupt.lock().await;
        tokio::select! {
            _ = quit.recv() => ShutdownSignal::GracefulUpgrade,
            () = self.successor_waiting.notified() => ShutdownSignal::GracefulUpgrade,
            _ = terminate.recv() => ShutdownSignal::GracefulTerminate,
            _ = interrupt.recv() => ShutdownSignal::FastShutdown,
        }
    }
}

/// On each `SIGHUP`, start a successor; once one waits for the sockets, tell the main loop
/// and stop. A failed successor is reported and the next `SIGHUP` tries again.
async fn start_successors(mut hangup: Signal, successor: Successor, waiting: Arc<Notify>) {
    while hangup.recv().await.is_some() {
        tracing::info!("SIGHUP: starting the new gateway");
        supervision::notify(&[("STATUS", "reloading: starting the new gateway")]);
        match successor.start().await {
            Ok(pid) => {
                let status = format!("handing over to the new gateway {pid}");
                tracing::info!(successor.pid = pid, "{status}");
                supervision::notify(&[("STATUS", status.as_str())]);
                waiting.notify_one();
                return;
            }
            Err(error) => {
                let reason = format!("{error:#}");
                tracing::error!(%reason, "reload failed; this gateway keeps serving");
                if let Err(error) = std::fs::write(&successor.failure_file, &reason) {
                    tracing::warn!(%error, path = %successor.failure_file.display(),
                        "cannot record the failed reload");
                }
                let status = format!("serving; the last reload failed: {reason}");
                supervision::notify(&[("STATUS", status.as_str())]);
            }
        }
    }
}

/// `ExecReload=`: ask the running gateway `main_pid` for a graceful upgrade (`SIGHUP`) and
/// wait until it has handed over and exited, so that `systemctl reload` returns when only
/// the new gateway serves, or fails with the reason the old one keeps serving.
pub fn reload(main_pid: u32, failure_file: &Path) -> anyhow::Result<()> {
    let pid = i32::try_from(main_pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .with_context(|| format!("{main_pid} is not a process id"))?;
    // A failure recorded by an earlier reload is not this one's.
    let _ = std::fs::remove_file(failure_file);
    rustix::process::kill_process(pid, rustix::process::Signal::HUP)
        .with_context(|| format!("cannot send SIGHUP to the gateway {main_pid}"))?;
    let deadline = Instant::now() + RELOAD_WAIT;
    loop {
        if !alive(main_pid) {
            println!("the gateway {main_pid} handed over to its successor and exited");
            return Ok(());
        }
        if let Ok(reason) = std::fs::read_to_string(failure_file) {
            anyhow::bail!("reload failed, the gateway {main_pid} keeps serving: {reason}");
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the gateway {main_pid} did not hand over within {} s",
            RELOAD_WAIT.as_secs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `pid` is a live process: an exited one that its parent has not reaped yet (a
/// zombie) is gone.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name in parentheses, which may itself hold ")".
    let state = stat
        .rfind(')')
        .and_then(|end| stat.get(end + 1..))
        .and_then(|rest| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_free_pid_is_not() {
        assert!(alive(std::process::id()));
        // Above the kernel's largest pid_max (2^22).
        assert!(!alive(4_194_305));
    }
}
