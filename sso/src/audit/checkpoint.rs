//! Signed checkpoints: every few seconds while records come in, and at every segment's opening
//! and sealing, the writer signs where its stream has got to (stream, segment, sequence
//! number and hash of the last record, its line, the time) with the audit key, and writes
//! that outside the segment files: appended to a checkpoint file in a directory of its own
//! and copied to the journal and syslog collectors with the records.
//!
//! Nothing in a segment can show that records were cut from the end of the newest segment,
//! or that the newest segments were deleted whole: nothing later links to them. A checkpoint
//! can, as long as it survives where the segments did not. `audit verify` reads checkpoints
//! from the checkpoint directory, or from a collector's copy, and names what is missing.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::AuditError;
use super::record::{ECS_VERSION, format_ms};
use super::seal::{SealKey, SealProblem, SealVerifier};
use super::segment::jst_date;

/// The reason code of a checkpoint line (`event.reason`).
pub const REASON: &str = "checkpoint";

/// Where a stream had got to, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointFacts {
    /// The stream (`gateway`, `app`).
    pub stream: String,
    /// The segment being written (or just sealed).
    pub segment: u64,
    /// Sequence number of the last record written.
    pub seq: u64,
    /// SHA-256 of that record's line, hex.
    pub hash: String,
    /// Its 1-based line in the segment.
    pub line: u64,
    /// When the checkpoint was made, Unix milliseconds.
    pub time_ms: i64,
    /// Whether the record is the segment's seal.
    pub sealed: bool,
}

impl CheckpointFacts {
    /// The exact bytes signed.
    fn message(&self) -> String {
        format!(
            "yakuba-audit-checkpoint-v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.stream, self.segment, self.seq, self.hash, self.line, self.time_ms, self.sealed
        )
    }
}

/// A checkpoint as written in `yakuba.checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What is pinned.
    #[serde(flatten)]
    pub facts: CheckpointFacts,
    /// Id of the key that signed.
    pub key_id: String,
    /// Ed25519 signature over the facts, base64.
    pub signature: String,
}

impl Checkpoint {
    /// Sign `facts` with the audit key.
    pub fn sign(key: &SealKey, facts: CheckpointFacts) -> Checkpoint {
        let signature = key.sign_message(facts.message().as_bytes());
        Checkpoint {
            facts,
            key_id: key.id().to_owned(),
            signature,
        }
    }

    /// Whether one of `keys` signed exactly these facts.
    pub fn check(&self, keys: &SealVerifier) -> Result<(), SealProblem> {
        keys.check_message(
            &self.key_id,
            &self.signature,
            self.facts.message().as_bytes(),
        )
    }

    /// The checkpoint as one JSON line in the records' own schema (ECS), so that collectors
    /// parse it like any record; it is not chained (it lives outside the segments).
    pub fn to_line(&self) -> String {
        let stream = &self.facts.stream;
        serde_json::json!({
            "@timestamp": format_ms(self.facts.time_ms),
            "ecs": { "version": ECS_VERSION },
            "event": {
                "kind": "event",
                "category": ["configuration"],
                "type": ["info"],
                "action": "audit",
                "outcome": "success",
                "reason": REASON,
                "dataset": format!("yakuba.{stream}"),
            },
            "service": { "name": stream },
            "yakuba": { "checkpoint": self },
        })
        .to_string()
    }

    /// The checkpoint in one line of text: a line as written above, a syslog message whose
    /// MSG is one, or a journal entry exported as JSON (`journalctl -o json`) whose `MESSAGE`
    /// is one. Other lines give `None`.
    pub fn find_in(text: &str) -> Option<Checkpoint> {
        #[derive(Deserialize)]
        struct Outer {
            #[serde(default)]
            yakuba: Option<Yakuba>,
            #[serde(rename = "MESSAGE", default)]
            message: Option<String>,
        }
        #[derive(Deserialize)]
        struct Yakuba {
            #[serde(default)]
            checkpoint: Option<Checkpoint>,
        }
        if !text.contains("checkpoint") {
            return None;
        }
        // The first JSON value on the line; what follows it (a journal entry's other
        // fields) does not matter.
        let json = &text[text.find('{')?..];
        let outer: Outer = serde_json::Deserializer::from_str(json)
            .into_iter()
            .next()?
            .ok()?;
        match (outer.yakuba.and_then(|y| y.checkpoint), outer.message) {
            (Some(checkpoint), _) => Some(checkpoint),
            (None, Some(message)) => Checkpoint::find_in(&message),
            (None, None) => None,
        }
    }
}

/// The file a stream's checkpoints of the JST month of `time_ms` go to: one file a month, so
/// that retention can delete the months whose segments it deleted.
fn file_name(stream: &str, time_ms: i64) -> String {
    let day = jst_date(time_ms);
    format!(
        "{stream}-{:04}{:02}.checkpoints",
        day.year(),
        u8::from(day.month())
    )
}

/// The stream of a checkpoint file name, or `None` if it is not one.
fn stream_of(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".checkpoints")?;
    let (stream, month) = stem.rsplit_once('-')?;
    (month.len() == 6 && month.bytes().all(|b| b.is_ascii_digit()) && !stream.is_empty())
        .then_some(stream)
}

/// The checkpoint files of `stream` in `dir` (every stream's with `None`), oldest first.
fn files(dir: &Path, stream: Option<&str>) -> Result<Vec<PathBuf>, AuditError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AuditError::io(dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io(dir, e))?;
        let name = entry.file_name();
        let Some(of) = name.to_str().and_then(stream_of) else {
            continue;
        };
        if stream.is_none_or(|s| s == of) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// The writer's side: appends checkpoints to the month's file and syncs each.
#[derive(Debug)]
pub struct CheckpointLog {
    dir: PathBuf,
    stream: String,
    open: Option<(PathBuf, File)>,
}

impl CheckpointLog {
    /// Checkpoints of `stream` in `dir` (created).
    pub fn open(dir: &Path, stream: &str) -> Result<CheckpointLog, AuditError> {
        std::fs::create_dir_all(dir).map_err(|e| AuditError::io(dir, e))?;
        Ok(CheckpointLog {
            dir: dir.to_path_buf(),
            stream: stream.to_owned(),
            open: None,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Append `line` (a checkpoint's [`Checkpoint::to_line`]) and sync it. A failed write
    /// leaves nothing partial.
    pub fn append(&mut self, line: &str, time_ms: i64) -> Result<(), AuditError> {
        let path = self.dir.join(file_name(&self.stream, time_ms));
        if self.open.as_ref().is_none_or(|(p, _)| *p != path) {
            let file = File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| AuditError::io(&path, e))?;
            self.open = Some((path, file));
        }
        let Some((path, file)) = self.open.as_mut() else {
            return Ok(());
        };
        let before = file
            .seek(SeekFrom::End(0))
            .map_err(|e| AuditError::io(path, e))?;
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_data()) {
            let _ = file.set_len(before);
            return Err(AuditError::io(path, e));
        }
        Ok(())
    }

    /// Delete the month files whose every checkpoint is of a segment up to `through`
    /// (deleted by retention), except the file being written.
    pub fn prune(&mut self, through: u64) -> Result<Vec<PathBuf>, AuditError> {
        let current = self.open.as_ref().map(|(p, _)| p.clone());
        let mut deleted = Vec::new();
        for path in files(&self.dir, Some(&self.stream))? {
            if Some(&path) == current.as_ref() {
                continue;
            }
            let newest = read_file(&path)?
                .into_iter()
                .map(|f| f.checkpoint.facts.segment)
                .max();
            if newest.is_none_or(|n| n <= through) {
                std::fs::remove_file(&path).map_err(|e| AuditError::io(&path, e))?;
                deleted.push(path);
            } else {
                break;
            }
        }
        Ok(deleted)
    }
}

/// A checkpoint read back, and where it was read.
#[derive(Debug, Clone)]
pub struct Found {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// `file:line`, for reports.
    pub source: String,
}

fn read_lines(reader: impl std::io::Read, name: &str) -> Result<Vec<Found>, AuditError> {
    let mut found = Vec::new();
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| AuditError::io(Path::new(name), e))?;
        if n == 0 {
            break;
        }
        no += 1;
        let text = String::from_utf8_lossy(&buf);
        if let Some(checkpoint) = Checkpoint::find_in(&text) {
            found.push(Found {
                checkpoint,
                source: format!("{name}:{no}"),
            });
        }
    }
    Ok(found)
}

fn read_file(path: &Path) -> Result<Vec<Found>, AuditError> {
    let file = File::open(path).map_err(|e| AuditError::io(path, e))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    read_lines(file, &name)
}

/// Every checkpoint in `sources`: checkpoint directories (their `*.checkpoints` files), files
/// of checkpoint lines, syslog messages or journal entries (any other lines are skipped), or
/// `-` for standard input.
pub fn read_sources(sources: &[PathBuf]) -> Result<Vec<Found>, AuditError> {
    let mut found = Vec::new();
    for source in sources {
        if source.as_os_str() == "-" {
            let mut text = Vec::new();
            std::io::stdin()
                .read_to_end(&mut text)
                .map_err(|e| AuditError::io(source, e))?;
            found.extend(read_lines(&text[..], "stdin")?);
        } else if source.is_dir() {
            for file in files(source, None)? {
                found.extend(read_file(&file)?);
            }
        } else {
            found.extend(read_file(source)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CheckpointFacts {
        CheckpointFacts {
            stream: "gateway".into(),
            segment: 4,
            seq: 1234,
            hash: "c".repeat(64),
            line: 88,
            time_ms: 1_775_032_200_123,
            sealed: false,
        }
    }

    #[test]
    fn a_checkpoint_is_found_in_its_own_line_a_syslog_message_and_a_journal_export() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealKey::load_or_create(&dir.path().join("audit.key"), true).unwrap();
        let checkpoint = Checkpoint::sign(&key, facts());
        assert_eq!(checkpoint.check(&key.verifier()), Ok(()));
        let mut forged = checkpoint.clone();
        forged.facts.seq += 1;
        assert_eq!(
            forged.check(&key.verifier()),
            Err(SealProblem::BadSignature)
        );

        let line = checkpoint.to_line();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"]["reason"], "checkpoint");
        assert_eq!(v["@timestamp"], "2026-04-01T08:30:00.123Z");
        assert_eq!(v["yakuba"]["checkpoint"]["seq"], 1234);
        let syslog =
            format!("<86>1 2026-04-01T08:30:00.123Z gw yakuba-gateway 1 audit - \u{feff}{line}");
        let journal = serde_json::json!({ "MESSAGE": line, "PRIORITY": "6" }).to_string();
        let native = format!("MESSAGE={line}\nSYSLOG_IDENTIFIER=yakuba-gateway-audit\n");
        for text in [line.as_str(), &syslog, &journal, &native] {
            assert_eq!(
                Checkpoint::find_in(text).as_ref(),
                Some(&checkpoint),
                "{text}"
            );
        }
        assert_eq!(
            Checkpoint::find_in(r#"{"event":{"reason":"checkpoint"}}"#),
            None
        );
    }

    #[test]
    fn checkpoints_go_to_one_file_a_month_and_old_months_are_pruned_with_their_segments() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealKey::load_or_create(&dir.path().join("audit.key"), true).unwrap();
        let cps = dir.path().join("cp");
        let mut log = CheckpointLog::open(&cps, "gateway").unwrap();
        // March, April and May 2026 (JST).
        for (segment, time_ms) in [
            (1, 1_773_000_000_000),
            (2, 1_775_032_200_123),
            (3, 1_778_000_000_000),
        ] {
            let cp = Checkpoint::sign(
                &key,
                CheckpointFacts {
                    segment,
                    time_ms,
                    ..facts()
                },
            );
            log.append(&cp.to_line(), time_ms).unwrap();
        }
        let names: Vec<String> = files(&cps, None)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "gateway-202603.checkpoints",
                "gateway-202604.checkpoints",
                "gateway-202605.checkpoints"
            ]
        );
        let found = read_sources(std::slice::from_ref(&cps)).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[1].source, "gateway-202604.checkpoints:1");
        // Retention deleted segments 1 and 2: March and April go, May (being written) stays.
        assert_eq!(log.prune(2).unwrap().len(), 2);
        assert_eq!(read_sources(&[cps]).unwrap().len(), 1);
    }
}
