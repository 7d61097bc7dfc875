//! A stand-in for systemd's notification socket (`NOTIFY_SOCKET`): it keeps what a supervised
//! process reports (`READY=1`, `MAINPID=`, `STATUS=`, `WATCHDOG=1`), so that a test sees a
//! graceful upgrade the way systemd does.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// One datagram: `NAME=value` lines.
#[derive(Debug, Clone)]
pub struct Message(Vec<(String, String)>);

impl Message {
    fn parse(text: &str) -> Message {
        Message(
            text.lines()
                .filter_map(|line| line.split_once('='))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        )
    }

    /// The value of `name`, if the message has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The socket and the messages received on it, in order.
pub struct NotifySocket {
    path: PathBuf,
    messages: Arc<Mutex<Vec<Message>>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl NotifySocket {
    /// Bind a datagram socket at `path` and keep reading it on a thread.
    pub fn bind(path: &Path) -> anyhow::Result<NotifySocket> {
        let socket = UnixDatagram::bind(path)
            .with_context(|| format!("cannot bind a notification socket at {}", path.display()))?;
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (messages, stop) = (messages.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        messages
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Message::parse(&text));
                    }
                }
            })
        };
        Ok(NotifySocket {
            path: path.to_path_buf(),
            messages,
            stop,
            reader: Some(reader),
        })
    }

    /// The value for `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many messages have come so far.
    pub fn count(&self) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Every message so far.
    pub fn messages(&self) -> Vec<Message> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Wait up to `timeout` for a message after the first `skip` that satisfies `matches`.
    pub fn wait_for(
        &self,
        skip: usize,
        timeout: Duration,
        matches: impl Fn(&Message) -> bool,
    ) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.messages().into_iter().skip(skip).find(&matches) {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_read_as_its_fields() {
        let message = Message::parse("MAINPID=42\nREADY=1\nSTATUS=serving on 127.0.0.1:1; x=y");
        assert_eq!(message.get("MAINPID"), Some("42"));
        assert_eq!(message.get("READY"), Some("1"));
        assert_eq!(message.get("STATUS"), Some("serving on 127.0.0.1:1; x=y"));
        assert_eq!(message.get("WATCHDOG"), None);
    }
}
