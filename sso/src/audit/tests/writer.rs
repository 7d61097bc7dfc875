//! The writer thread behind its bounded queue: what each failure policy does when the queue
//! is full, and a durable record being on disk when its wait ends.

use std::path::Path;
use std::time::Duration;

use super::{check, key, request, segments, settings};
use crate::audit::record::{Action, Decision, Record};
use crate::audit::writer::{AuditWriter, FailurePolicy, WriterSettings};

fn writer(dir: &Path, policy: FailurePolicy, queue: usize, drain: Duration) -> AuditWriter<Record> {
    AuditWriter::start(
        WriterSettings {
            stream: settings(&dir.join("audit"), 1 << 20),
            queue,
            drain_interval: drain,
            on_failure: policy,
            forward: Vec::new(),
        },
        key(dir),
        (),
    )
    .unwrap()
}

fn all_records(dir: &Path) -> Vec<serde_json::Value> {
    segments(dir)
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn keep_serving_counts_and_reports_what_did_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::KeepServing,
        4,
        Duration::from_secs(3600),
    );
    for i in 0..10 {
        w.record(request(i));
    }
    assert!(w.accepting());
    assert_eq!(w.stats().lost, 6);
    w.shutdown();
    let records = all_records(dir.path());
    let lost = records
        .iter()
        .find(|r| r["event"]["reason"] == "records_lost")
        .expect("an alert saying records were lost");
    assert_eq!(lost["event"]["kind"], "alert");
    assert_eq!(lost["yakuba"]["detail"]["lost"], 6);
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"]["action"] == "request")
            .count(),
        4
    );
    assert!(check(dir.path()).is_intact());
}

#[test]
fn fail_closed_stops_accepting_but_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::FailClosed,
        4,
        Duration::from_secs(3600),
    );
    for i in 0..10 {
        w.record(request(i));
    }
    assert!(!w.accepting());
    w.note_refused();
    let stats = w.stats();
    assert_eq!((stats.lost, stats.refused), (0, 1));
    w.shutdown();
    let records = all_records(dir.path());
    assert_eq!(
        records
            .iter()
            .filter(|r| r["event"]["action"] == "request")
            .count(),
        10
    );
    assert!(
        records
            .iter()
            .any(|r| r["event"]["reason"] == "requests_refused")
    );
}

#[tokio::test]
async fn a_durable_record_is_on_disk_when_the_wait_ends() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(
        dir.path(),
        FailurePolicy::FailClosed,
        1024,
        Duration::from_secs(3600),
    );
    let started = std::time::Instant::now();
    w.record_durable(Record {
        user: Some("yamada".into()),
        ..Record::new(Action::Login, Decision::Success, "authenticated")
    })
    .await
    .unwrap();
    // The writer was woken, not waited for.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        all_records(dir.path())
            .iter()
            .any(|r| r["event"]["action"] == "login")
    );
    w.shutdown();
    assert!(check(dir.path()).is_intact());
}
