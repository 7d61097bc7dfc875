//! The writer thread: callers queue records without waiting (or, for the few records a
//! caller must know are on disk, wait for that), and one thread chains them into the
//! segment files and copies them to collectors.
//!
//! The queue is bounded. What happens when it is full or the disk fails is the configured
//! [`FailurePolicy`]; either way nothing is lost silently: lost records are counted, logged
//! and, once the disk takes records again, written into the chain as an alert with their
//! number.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use super::AuditError;
use super::forward::{Forwarder, Line, Target};
use super::record::{Action, Decision, EventKind, Record, now_ms};
use super::seal::SealKey;
use super::stream::{Stream, StreamSettings};

/// How long a caller waits for its record to reach the disk before giving up: longer than a
/// graceful upgrade's handover (the new process writes only once the old one has sealed, up
/// to about 6 s), so that a login during a reload waits rather than fails.
const DURABLE_WAIT: Duration = Duration::from_secs(10);
/// How often a failing disk is tried again.
const RETRY_INTERVAL: Duration = Duration::from_millis(500);

/// Something the writer turns into a record on its own thread, so that callers on the
/// request path only move data they already have.
pub trait ToRecord: Send + 'static {
    /// What the conversion needs that the callers do not carry (the route table).
    type Context: Send + 'static;
    /// The record.
    fn to_record(self, cx: &Self::Context) -> Record;
}

impl ToRecord for Record {
    type Context = ();
    fn to_record(self, _: &()) -> Record {
        self
    }
}

/// What to do when records cannot be written (the queue is full or the disk fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Refuse new requests (callers check [`AuditWriter::accepting`]) until records are
    /// written again; records in flight are held in memory, not dropped.
    FailClosed,
    /// Keep serving; records that do not fit are counted, logged and reported as an alert in
    /// the chain when the disk recovers.
    KeepServing,
}

/// How the writer runs.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    /// The files.
    pub stream: StreamSettings,
    /// Records the queue holds.
    pub queue: usize,
    /// How often the writer wakes to write what was queued.
    pub drain_interval: Duration,
    /// What happens when records cannot be written.
    pub on_failure: FailurePolicy,
    /// Collectors that get a copy of every line.
    pub forward: Vec<Target>,
}

/// Counters for health pages and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records written.
    pub written: u64,
    /// Records lost (queue full under `keep_serving`).
    pub lost: u64,
    /// Requests refused because records could not be written (`fail_closed`).
    pub refused: u64,
    /// Failed attempts to write.
    pub write_failures: u64,
    /// Whether writing is failing now.
    pub failing: bool,
    /// Whether new requests are accepted.
    pub accepting: bool,
    /// Lines each collector did not get.
    pub forward_lost: Vec<(String, u64)>,
}

enum Msg<E> {
    Entry(E),
    Durable(E, tokio::sync::oneshot::Sender<bool>),
}

struct Shared<E> {
    policy: FailurePolicy,
    accepting: AtomicBool,
    failing: AtomicBool,
    stop: AtomicBool,
    written: AtomicU64,
    lost: AtomicU64,
    refused: AtomicU64,
    write_failures: AtomicU64,
    /// Records that did not fit in the queue under `fail_closed`, kept until written.
    spill: Mutex<Vec<E>>,
    spill_limit: usize,
}

/// Handle for queueing records; cheap to clone.
pub struct AuditWriter<E: ToRecord> {
    tx: SyncSender<Msg<E>>,
    shared: Arc<Shared<E>>,
    thread: Thread,
    join: Arc<Mutex<Option<JoinHandle<()>>>>,
    forwarders: Arc<Vec<Forwarder>>,
}

impl<E: ToRecord> Clone for AuditWriter<E> {
    fn clone(&self) -> Self {
        AuditWriter {
            tx: self.tx.clone(),
            shared: self.shared.clone(),
            thread: self.thread.clone(),
            join: self.join.clone(),
            forwarders: self.forwarders.clone(),
        }
    }
}

impl<E: ToRecord> std::fmt::Debug for AuditWriter<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter").finish_non_exhaustive()
    }
}

/// The caller's record could not be made durable and the policy is `fail_closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audit log cannot record this")]
pub struct Unrecorded;

impl<E: ToRecord> AuditWriter<E> {
    /// Open the stream (sealing a segment a crash left open) and start the writer thread.
    /// Returns once the stream is open, or once it waits for another process that still
    /// writes it (a graceful upgrade: records queue meanwhile).
    pub fn start(
        settings: WriterSettings,
        key: SealKey,
        cx: E::Context,
    ) -> Result<AuditWriter<E>, AuditError> {
        let mut forwarders = Vec::new();
        for target in &settings.forward {
            let name = format!("{target:?}");
            forwarders.push(
                Forwarder::start(target.clone(), settings.queue)
                    .map_err(|e| AuditError::Unrecoverable(format!("{name}: {e}")))?,
            );
        }
        let forwarders = Arc::new(forwarders);
        let (tx, rx) = sync_channel(settings.queue);
        let shared = Arc::new(Shared {
            policy: settings.on_failure,
            accepting: AtomicBool::new(true),
            failing: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            written: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            write_failures: AtomicU64::new(0),
            spill: Mutex::new(Vec::new()),
            // Under `fail_closed` only requests already in flight when writing stopped add
            // records; this bound is for safety, not expected to be reached.
            spill_limit: settings.queue.max(65_536),
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), AuditError>>();
        let thread_shared = shared.clone();
        let thread_forwarders = forwarders.clone();
        let join = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                let waiting = ready_tx.clone();
                let stream = Stream::open_notifying(settings.stream.clone(), key, move || {
                    let _ = waiting.send(Ok(()));
                });
                match stream {
                    Ok(stream) => {
                        let _ = ready_tx.send(Ok(()));
                        write_loop(
                            stream,
                            &rx,
                            &thread_shared,
                            &thread_forwarders,
                            &cx,
                            settings.drain_interval,
                        );
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot open the audit log");
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| {
                AuditError::Unrecoverable(format!("cannot start the audit writer: {e}"))
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(AuditError::Unrecoverable(
                    "the audit writer stopped at start".into(),
                ));
            }
        }
        Ok(AuditWriter {
            tx,
            thread: join.thread().clone(),
            shared,
            join: Arc::new(Mutex::new(Some(join))),
            forwarders,
        })
    }

    /// Queue a record without waiting.
    pub fn record(&self, entry: E) {
        match self.tx.try_send(Msg::Entry(entry)) {
            Ok(()) => {}
            Err(
                TrySendError::Full(Msg::Entry(entry))
                | TrySendError::Disconnected(Msg::Entry(entry)),
            ) => {
                self.overflow(entry);
            }
            Err(_) => {}
        }
    }

    fn overflow(&self, entry: E) {
        let s = &self.shared;
        if s.policy == FailurePolicy::FailClosed {
            if s.accepting.swap(false, Ordering::Relaxed) {
                tracing::error!(
                    "audit log cannot keep up; refusing new requests until it does (audit.on_failure = fail_closed)"
                );
            }
            let mut spill = s.spill.lock().unwrap_or_else(|p| p.into_inner());
            if spill.len() < s.spill_limit {
                spill.push(entry);
                return;
            }
        }
        let n = s.lost.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::error!(
                audit.lost = n,
                "audit queue full: records lost (audit.on_failure = keep_serving)"
            );
        }
    }

    /// Queue a record and wait until it is on disk (synced, unless `fsync = "never"`).
    /// Under `fail_closed` an error means it is not, and the caller must not go on as if
    /// it were; under `keep_serving` this always succeeds (a loss is counted and reported).
    pub fn record_durable(
        &self,
        entry: E,
    ) -> impl Future<Output = Result<(), Unrecorded>> + Send + 'static {
        let (ack_tx, ack_rx) = tokio::sync::oneshot::channel();
        let sent = match self.tx.try_send(Msg::Durable(entry, ack_tx)) {
            Ok(()) => {
                self.thread.unpark();
                true
            }
            Err(
                TrySendError::Full(Msg::Durable(entry, _))
                | TrySendError::Disconnected(Msg::Durable(entry, _)),
            ) => {
                self.overflow(entry);
                false
            }
            Err(_) => false,
        };
        let policy = self.shared.policy;
        async move {
            let done = sent
                && matches!(
                    tokio::time::timeout(DURABLE_WAIT, ack_rx).await,
                    Ok(Ok(true))
                );
            if done || policy == FailurePolicy::KeepServing {
                Ok(())
            } else {
                Err(Unrecorded)
            }
        }
    }

    /// Whether new requests may be served: always under `keep_serving`; under
    /// `fail_closed`, only while records are being written.
    pub fn accepting(&self) -> bool {
        self.shared.accepting.load(Ordering::Relaxed)
    }

    /// Count a request refused because the audit log could not record it.
    pub fn note_refused(&self) {
        self.shared.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        let s = &self.shared;
        Stats {
            written: s.written.load(Ordering::Relaxed),
            lost: s.lost.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
            write_failures: s.write_failures.load(Ordering::Relaxed),
            failing: s.failing.load(Ordering::Relaxed),
            accepting: s.accepting.load(Ordering::Relaxed),
            forward_lost: self
                .forwarders
                .iter()
                .map(|f| (f.name().to_owned(), f.lost()))
                .collect(),
        }
    }

    /// Write everything queued, seal the open segment and stop the writer (at shutdown).
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.thread.unpark();
        let handle = self.join.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

fn write_loop<E: ToRecord>(
    mut stream: Stream,
    rx: &Receiver<Msg<E>>,
    shared: &Shared<E>,
    forwarders: &[Forwarder],
    cx: &E::Context,
    drain_interval: Duration,
) {
    let mut acks: Vec<tokio::sync::oneshot::Sender<bool>> = Vec::new();
    let mut copies: Vec<Line> = stream.take_startup_copies();
    let mut reported_lost = 0u64;
    let mut reported_refused = 0u64;
    let mut last_error_log: Option<Instant> = None;
    // Since when writing has failed, and how many attempts failed: the record of the recovery
    // says so.
    let mut failing_since: Option<(i64, u64)> = None;
    loop {
        for line in copies.drain(..) {
            for f in forwarders {
                f.send(line.clone());
            }
        }
        let failing = shared.failing.load(Ordering::Relaxed);
        std::thread::park_timeout(if failing {
            RETRY_INTERVAL
        } else {
            drain_interval
        });
        let mut stopping = shared.stop.load(Ordering::Relaxed);
        let mut durable = false;
        let mut pushed = 0u64;
        // While the disk fails, records stay in the bounded queue (and the policy applies to
        // what overflows it) rather than piling up here.
        while !failing || stopping {
            match rx.try_recv() {
                Ok(Msg::Entry(e)) => stream.push(e.to_record(cx)),
                Ok(Msg::Durable(e, ack)) => {
                    stream.push(e.to_record(cx));
                    acks.push(ack);
                    durable = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    stopping = true;
                    break;
                }
            }
            pushed += 1;
        }
        let spilled: Vec<E> = if failing && !stopping {
            Vec::new()
        } else {
            std::mem::take(&mut *shared.spill.lock().unwrap_or_else(|p| p.into_inner()))
        };
        for e in spilled {
            stream.push(e.to_record(cx));
            pushed += 1;
        }
        // Losses and refusals become records in the chain itself, as alerts.
        let lost = shared.lost.load(Ordering::Relaxed);
        if lost > reported_lost && !failing {
            stream.push(Record {
                kind: EventKind::Alert,
                detail: Some(
                    serde_json::json!({ "lost": lost - reported_lost, "lost_total": lost }),
                ),
                ..Record::new(Action::Audit, Decision::Failure, "records_lost")
            });
            reported_lost = lost;
        }
        let refused = shared.refused.load(Ordering::Relaxed);
        if refused > reported_refused && !failing {
            stream.push(Record {
                kind: EventKind::Alert,
                detail: Some(serde_json::json!({ "refused": refused - reported_refused, "refused_total": refused })),
                ..Record::new(Action::Audit, Decision::Failure, "requests_refused")
            });
            reported_refused = refused;
        }
        let want_copies = (!forwarders.is_empty()).then_some(&mut copies);
        match stream.flush(durable || stopping, want_copies) {
            Ok(()) => {
                shared.written.fetch_add(pushed, Ordering::Relaxed);
                for ack in acks.drain(..) {
                    let _ = ack.send(true);
                }
                if shared.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("audit log writes again");
                    let (since, attempts) = failing_since.take().unwrap_or((now_ms(), 0));
                    stream.push(Record {
                        detail: Some(serde_json::json!({
                            "failing_since": super::record::format_ms(since),
                            "failed_attempts": attempts,
                        })),
                        ..Record::new(Action::Audit, Decision::Success, "writing_resumed")
                    });
                }
                if !shared.accepting.swap(true, Ordering::Relaxed) {
                    tracing::info!("audit log has caught up; accepting requests again");
                }
                let now = now_ms();
                let want_copies = (!forwarders.is_empty()).then_some(&mut copies);
                if let Err(e) = stream.rotate_if_due(now, want_copies) {
                    tracing::error!(error = %e, "cannot rotate the audit log");
                }
                let want_copies = (!forwarders.is_empty()).then_some(&mut copies);
                if let Err(e) = stream.housekeep(now, want_copies) {
                    tracing::error!(error = %e, "cannot apply the audit log's retention");
                }
                let want_copies = (!forwarders.is_empty()).then_some(&mut copies);
                stream.checkpoint_if_due(want_copies);
            }
            Err(e) => {
                shared.write_failures.fetch_add(1, Ordering::Relaxed);
                shared.failing.store(true, Ordering::Relaxed);
                failing_since.get_or_insert((now_ms(), 0)).1 += 1;
                if shared.policy == FailurePolicy::FailClosed {
                    shared.accepting.store(false, Ordering::Relaxed);
                }
                for ack in acks.drain(..) {
                    let _ = ack.send(false);
                }
                if last_error_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    tracing::error!(error = %e, policy = ?shared.policy, "cannot write the audit log");
                    last_error_log = Some(Instant::now());
                }
            }
        }
        if stopping {
            let want_copies = (!forwarders.is_empty()).then_some(&mut copies);
            if let Err(e) = stream.close(want_copies) {
                tracing::error!(error = %e, "cannot seal the audit log at shutdown");
            }
            for line in copies.drain(..) {
                for f in forwarders {
                    f.send(line.clone());
                }
            }
            // Give collectors a moment to send the last lines.
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
    }
}
