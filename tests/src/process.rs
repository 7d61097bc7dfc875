//! Child processes for whole-system tests: free loopback ports, a guard that stops a child when
//! the test drops it, polling until a port answers, and servers that die with the test process
//! even when no destructor runs (for clusters kept in `static`s).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long [`ChildGuard::terminate`] waits after SIGTERM before it sends SIGKILL.
const TERMINATE_GRACE: Duration = Duration::from_secs(5);

/// How many bytes of a log [`log_tail`] returns, enough for the last few error lines.
const LOG_TAIL_BYTES: u64 = 4000;

/// Asks the kernel for a TCP port on 127.0.0.1 that is free right now, and that this process
/// has not handed out before.
///
/// The port is released before returning, so another process may take it before the caller
/// binds it; tests accept that small race in exchange for running in parallel. Within one
/// process there is no race: a port handed out once (and perhaps not bound yet, as when a
/// test picks the ports of two servers that must know each other) is never handed out again.
pub fn free_port() -> anyhow::Result<u16> {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    for _ in 0..1000 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("binding 127.0.0.1:0 to find a free port")?;
        let port = listener
            .local_addr()
            .context("reading the port the kernel chose")?
            .port();
        let mut seen = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
        if seen.insert(port) {
            return Ok(port);
        }
    }
    anyhow::bail!("no fresh free port after 1000 tries")
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when the guard is dropped.
///
/// Its stdout and stderr go to `<log_dir>/<name>.log`, which error messages point to.
#[derive(Debug)]
pub struct ChildGuard {
    handle: Handle,
    name: String,
    log_path: PathBuf,
}

/// How a [`ChildGuard`] reaches its process.
#[derive(Debug)]
enum Handle {
    /// Started by this process, which reaps it.
    Spawned(Child),
    /// Started by another process (a gateway's successor); its parent or init reaps it.
    Adopted(u32),
}

impl ChildGuard {
    /// Starts `cmd` with stdin closed and stdout + stderr appended to `log_dir/<name>.log`.
    pub fn spawn(mut cmd: Command, name: &str, log_dir: &Path) -> anyhow::Result<ChildGuard> {
        let log_path = log_dir.join(format!("{name}.log"));
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening log file {}", log_path.display()))?;
        let log_for_stderr = log
            .try_clone()
            .with_context(|| format!("duplicating log file handle {}", log_path.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_for_stderr));
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", cmd.get_program()))?;
        Ok(ChildGuard {
            handle: Handle::Spawned(child),
            name: name.to_owned(),
            log_path,
        })
    }

    /// Guards a process this one did not start, such as the successor a gateway starts for
    /// a graceful upgrade, which writes to `log_path` too: it is stopped the same way.
    pub fn adopt(pid: u32, name: &str, log_path: &Path) -> ChildGuard {
        ChildGuard {
            handle: Handle::Adopted(pid),
            name: name.to_owned(),
            log_path: log_path.to_path_buf(),
        }
    }

    /// The operating-system process id of the child.
    pub fn pid(&self) -> u32 {
        match &self.handle {
            Handle::Spawned(child) => child.id(),
            Handle::Adopted(pid) => *pid,
        }
    }

    /// The name given at spawn time, used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file that receives the child's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the child has not exited yet (reaps it if it has).
    pub fn is_running(&mut self) -> bool {
        match &mut self.handle {
            Handle::Spawned(child) => matches!(child.try_wait(), Ok(None)),
            Handle::Adopted(pid) => process_exists(*pid),
        }
    }

    /// Sends SIGTERM, waits up to 5 s for the child to exit, then sends SIGKILL and reaps it.
    /// Does nothing if the child already exited.
    pub fn terminate(&mut self) {
        if !self.is_running() {
            return;
        }
        send_signal(self.pid(), "TERM");
        let deadline = Instant::now() + TERMINATE_GRACE;
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            sleep(Duration::from_millis(20));
        }
        self.kill_hard();
    }

    /// Sends SIGKILL and reaps the child, simulating a crash.
    pub fn kill_hard(&mut self) {
        if !self.is_running() {
            return;
        }
        send_signal(self.pid(), "KILL");
        match &mut self.handle {
            // A failed wait means the child was already reaped; nothing is left to clean up.
            Handle::Spawned(child) => {
                let _ = child.wait();
            }
            Handle::Adopted(pid) => {
                let deadline = Instant::now() + TERMINATE_GRACE;
                while process_exists(*pid) && Instant::now() < deadline {
                    sleep(Duration::from_millis(20));
                }
            }
        }
    }

    /// The last few kilobytes of the child's log, for error messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Sends `signal` (a name such as `TERM`) to `pid` with the `kill` command, since the workspace
/// forbids the unsafe code a direct `libc::kill` would need. Errors are ignored: the only
/// expected one is that the process is already gone.
pub fn send_signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether a live process with this pid exists. Zombies (exited, not yet reaped, as a
/// supervisor from [`spawn_tied_to_process`] becomes) count as gone. Reads `/proc`, which,
/// unlike `kill -0`, also works for processes of other users.
pub fn process_exists(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state letter follows the parenthesised command name, which may itself contain ")".
    let state = stat
        .rfind(')')
        .and_then(|end| stat.get(end + 1..))
        .and_then(|rest| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

/// The last few kilobytes of a log file, or a note saying why it could not be read.
pub fn log_tail(path: &Path) -> String {
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_else(|error| format!("(could not read {}: {error})", path.display()))
}

/// Blocks until a TCP connection to `addr` succeeds, polling every 50 ms, or fails after
/// `timeout` with a message that names the address.
pub fn wait_for_tcp(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "nothing accepted TCP connections on {addr} within {timeout:?}; \
                 look in the server's log for why it did not start"
            );
        }
        sleep(Duration::from_millis(50));
    }
}

/// Starts `cmd` (a `sh -c` command line) as a server that is stopped when the current test
/// process exits, even if no destructor runs, as happens to values in `static`s.
///
/// See [`spawn_tied_to_process`] for how, and what the returned pid is.
pub fn spawn_tied_to_this_process(cmd: &str, log: &Path) -> anyhow::Result<u32> {
    spawn_tied_to_process(std::process::id(), cmd, log, None)
}

/// Starts `cmd` (a `sh -c` command line) under a small `sh` supervisor that polls
/// `kill -0 <watched_pid>` every 0.5 s; once that process is gone (or the supervisor gets
/// SIGTERM/SIGINT/SIGHUP) it stops the server with SIGTERM, then SIGKILL after 5 s, and finally
/// removes `remove_after_exit` if given (the server's scratch directory).
///
/// The server's stdout and stderr, and the supervisor's own, are appended to `log`. The
/// supervisor runs in its own process group so a Ctrl-C aimed at `cargo test` reaches it only
/// through its watch loop, after the test process has gone. Returns the supervisor's pid:
/// sending it SIGTERM stops the server as well.
pub fn spawn_tied_to_process(
    watched_pid: u32,
    cmd: &str,
    log: &Path,
    remove_after_exit: Option<&Path>,
) -> anyhow::Result<u32> {
    // Positional parameters carry the values so nothing needs shell quoting:
    // $1 = pid to watch, $2 = server command line, $3 = directory to remove or "".
    const SUPERVISOR: &str = r#"
watched="$1"
server_cmd="$2"
cleanup_dir="$3"
sh -c "$server_cmd" &
server=$!
stop_server() {
    kill -TERM "$server" 2>/dev/null
    tries=0
    while kill -0 "$server" 2>/dev/null && [ "$tries" -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -KILL "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    if [ -n "$cleanup_dir" ]; then rm -rf -- "$cleanup_dir"; fi
    exit 0
}
trap stop_server TERM INT HUP
while kill -0 "$watched" 2>/dev/null && kill -0 "$server" 2>/dev/null; do
    sleep 0.5
done
echo "supervisor: watched process $watched or server $server is gone; stopping the server"
stop_server
"#;
    let log_file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening log file {}", log.display()))?;
    let log_for_stderr = log_file
        .try_clone()
        .with_context(|| format!("duplicating log file handle {}", log.display()))?;
    let cleanup = remove_after_exit
        .map(|dir| dir.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut supervisor = Command::new("sh");
    supervisor
        .arg("-c")
        .arg(SUPERVISOR)
        .arg("yakuba-supervisor")
        .arg(watched_pid.to_string())
        .arg(cmd)
        .arg(cleanup)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_file))
        .stderr(Stdio::from(log_for_stderr));
    std::os::unix::process::CommandExt::process_group(&mut supervisor, 0);
    let child = supervisor
        .spawn()
        .with_context(|| format!("starting supervisor for `{cmd}`"))?;
    // The Child handle is dropped without waiting: the supervisor must outlive this handle,
    // and it exits on its own once its server is stopped.
    Ok(child.id())
}
