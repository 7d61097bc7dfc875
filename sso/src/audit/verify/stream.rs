//! Verifying one stream's segments in order: each line's sequence number and link, each
//! segment's seal and index, the checkpoints that pin its records, segments checkpointed but
//! gone, and segments before the first that only retention may have removed.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest as _, Sha256};

use super::{Problem, ProblemKind, Report};
use crate::audit::AuditError;
use crate::audit::chain::{GENESIS, Probe};
use crate::audit::checkpoint::Found;
use crate::audit::index::Index;
use crate::audit::seal::{Seal, SealProblem, SealVerifier};
use crate::audit::segment::{self, SegmentFile, lines};

/// One line as verification sees it.
struct Entry {
    no: u64,
    hash: [u8; 32],
    link: Option<(u64, String)>,
    seal: Option<serde_json::Value>,
    pruned: Option<(u64, String)>,
    /// A segment opener that says checkpoints are made.
    declares_checkpoints: bool,
    terminated: bool,
}

/// The checkpoints of one stream that verify, by segment; the others are reported.
fn valid_checkpoints<'a>(
    checkpoints: &[&'a Found],
    keys: &SealVerifier,
    report: &mut Report,
) -> BTreeMap<u64, Vec<&'a Found>> {
    let mut by_segment: BTreeMap<u64, Vec<&Found>> = BTreeMap::new();
    for found in checkpoints {
        let why = match found.checkpoint.check(keys) {
            Ok(()) if hex32(&found.checkpoint.facts.hash).is_some() => {
                by_segment
                    .entry(found.checkpoint.facts.segment)
                    .or_default()
                    .push(found);
                continue;
            }
            Ok(()) => "no hash".to_owned(),
            Err(SealProblem::UnknownKey(id)) => format!("signed by key {id}, which was not given"),
            Err(SealProblem::BadSignature) => "signature does not match".to_owned(),
        };
        report.problems.push(Problem {
            segment: found.source.clone(),
            line: None,
            kind: ProblemKind::BadCheckpoint(why),
        });
    }
    by_segment
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

pub(super) fn verify_stream(
    stream: &str,
    segments: &[&SegmentFile],
    keys: &SealVerifier,
    checkpoints: Option<&[&Found]>,
    report: &mut Report,
) -> Result<(), AuditError> {
    let by_segment = valid_checkpoints(checkpoints.unwrap_or_default(), keys, report);
    let newest_checkpointed = by_segment.keys().next_back().copied();
    // The chain state carried from one segment into the next: the next sequence number and
    // the hash of the last line, known only when the previous segment is present.
    let mut carried: Option<(u64, [u8; 32])> = None;
    let mut expected_number = segments.first().map_or(1, |s| s.number);
    let mut first_prev_of_first: Option<String> = None;
    let mut pruned: Vec<(u64, String, String, u64)> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let name = seg
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let problem = |line: Option<u64>, kind| Problem {
            segment: name.clone(),
            line,
            kind,
        };
        if seg.number != expected_number {
            report.problems.push(problem(
                None,
                ProblemKind::MissingSegments {
                    from: expected_number,
                    through: seg.number - 1,
                },
            ));
            carried = None;
        }
        expected_number = seg.number + 1;
        let newest = i + 1 == segments.len();
        let contents = match segment::read(&seg.path) {
            Ok(contents) => contents,
            Err(AuditError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::InvalidData =>
            {
                report
                    .problems
                    .push(problem(None, ProblemKind::Unreadable(source.to_string())));
                carried = None;
                continue;
            }
            Err(e) => return Err(e),
        };
        let bytes = &contents.bytes;
        report.segments += 1;

        let entries: Vec<Entry> = lines(bytes)
            .map(|(no, _, line, terminated)| {
                let probe = std::str::from_utf8(line).ok().and_then(Probe::parse);
                let detail = probe.as_ref().and_then(|p| p.yakuba.detail.as_ref());
                let pruned = detail.and_then(|d| {
                    Some((
                        d.get("pruned_through")?.as_u64()?,
                        d.get("last_hash")?.as_str()?.to_owned(),
                    ))
                });
                let declares_checkpoints = probe
                    .as_ref()
                    .is_some_and(|p| p.event.reason == "segment_opened")
                    && detail.and_then(|d| d.get("checkpoints")?.as_bool()) == Some(true);
                Entry {
                    no,
                    hash: Sha256::digest(line).into(),
                    link: probe
                        .as_ref()
                        .and_then(|p| p.yakuba.chain.as_ref())
                        .map(|c| (c.seq, c.prev.to_string())),
                    seal: probe.and_then(|p| p.yakuba.seal),
                    pruned,
                    declares_checkpoints,
                    terminated,
                }
            })
            .collect();
        let seal_at = entries.iter().rposition(|e| e.seal.is_some());
        let seal: Option<Seal> = seal_at
            .and_then(|i| entries[i].seal.clone())
            .and_then(|v| serde_json::from_value(v).ok());
        let torn: Vec<u64> = match &seal {
            Some(s) => s.facts.torn_lines.clone(),
            None if newest => entries
                .last()
                .filter(|e| !e.terminated)
                .map(|e| e.no)
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let mut seq_count: HashMap<u64, u32> = HashMap::new();
        let mut hash_line: HashMap<[u8; 32], u64> = HashMap::new();
        for e in &entries {
            if let Some((seq, _)) = &e.link {
                *seq_count.entry(*seq).or_default() += 1;
            }
            hash_line.insert(e.hash, e.no);
        }

        let (mut expected_seq, mut expected_prev) = match carried {
            Some((seq, prev)) => (Some(seq), Some(prev)),
            None => (None, None),
        };
        let mut prev_line = 0u64;
        let mut prev_anomalous = false;
        let mut first: Option<(u64, String)> = None;
        let mut records = 0u64;
        let mut before_seal: Option<(u64, [u8; 32])> = None;
        for (idx, e) in entries.iter().enumerate() {
            if torn.contains(&e.no) {
                continue;
            }
            if seal_at.is_some_and(|s| idx > s) {
                report
                    .problems
                    .push(problem(Some(e.no), ProblemKind::AfterSeal));
                continue;
            }
            let Some((seq, prev)) = &e.link else {
                report
                    .problems
                    .push(problem(Some(e.no), ProblemKind::NotARecord));
                prev_anomalous = true;
                continue;
            };
            let (seq, prev_hash) = (*seq, hex32(prev));
            report.records += 1;
            if first.is_none() {
                first = Some((seq, prev.clone()));
            }
            if seal_at != Some(idx) {
                records += 1;
                before_seal = Some((seq, e.hash));
            }
            let seq_ok = expected_seq.is_none_or(|x| x == seq);
            let prev_ok = expected_prev.is_none_or(|p| Some(p) == prev_hash);
            let mut anomalous = false;
            if !seq_ok {
                anomalous = true;
                let x = expected_seq.unwrap_or(seq);
                let kind = if seq > x {
                    if (x..seq).any(|s| seq_count.contains_key(&s)) {
                        ProblemKind::Reordered
                    } else {
                        ProblemKind::Deleted { count: seq - x }
                    }
                } else if seq_count.get(&seq).copied().unwrap_or(0) > 1 {
                    ProblemKind::Inserted
                } else {
                    ProblemKind::Reordered
                };
                report.problems.push(problem(Some(e.no), kind));
            } else if !prev_ok {
                anomalous = true;
                let follows = prev_hash.and_then(|h| hash_line.get(&h)).copied();
                if !prev_anomalous {
                    let kind = match follows {
                        Some(k) if k != prev_line => ProblemKind::Reordered,
                        _ if prev_line == 0 => ProblemKind::BrokenLink,
                        _ => ProblemKind::Modified {
                            changed_line: prev_line,
                        },
                    };
                    report.problems.push(problem(Some(e.no), kind));
                }
            }
            prev_anomalous = anomalous;
            expected_seq = Some(match expected_seq {
                Some(x) if seq < x => x,
                _ => seq + 1,
            });
            expected_prev = Some(e.hash);
            prev_line = e.no;
            if let Some((through, hash)) = &e.pruned {
                pruned.push((*through, hash.clone(), name.clone(), e.no));
            }
        }
        if i == 0 {
            first_prev_of_first = first.as_ref().map(|(_, p)| p.clone());
            if seg.number == 1 && first.as_ref().is_some_and(|(s, p)| *s != 1 || p != GENESIS) {
                report
                    .problems
                    .push(problem(Some(1), ProblemKind::BadStart));
            }
        }

        match (&seal, seal_at) {
            (Some(seal), Some(at)) => {
                let at_line = entries[at].no;
                match keys.check(seal) {
                    Ok(()) => report.sealed += 1,
                    Err(SealProblem::UnknownKey(id)) => report.problems.push(problem(
                        Some(at_line),
                        ProblemKind::BadSeal(format!("signed by key {id}, which was not given")),
                    )),
                    Err(SealProblem::BadSignature) => report.problems.push(problem(
                        Some(at_line),
                        ProblemKind::BadSeal("signature does not match".into()),
                    )),
                }
                let f = &seal.facts;
                let mismatch = if f.segment != seg.number || f.stream != seg.stream {
                    Some("segment")
                } else if first
                    .as_ref()
                    .is_none_or(|(s, p)| *s != f.first_seq || *p != f.first_prev)
                {
                    Some("first record")
                } else if before_seal
                    .is_none_or(|(s, h)| s != f.last_seq || hex32(&f.last_hash) != Some(h))
                {
                    Some("last record")
                } else if records != f.records {
                    Some("record count")
                } else {
                    None
                };
                if let Some(field) = mismatch {
                    report
                        .problems
                        .push(problem(Some(at_line), ProblemKind::SealMismatch(field)));
                }
                if !f.clean {
                    report.notes.push(format!(
                        "{name}: sealed at the next start after a crash; records in flight at the crash may be missing"
                    ));
                }
            }
            _ if newest => report.notes.push(format!(
                "{name}: open (being written, or left by a crash and sealed at the next start)"
            )),
            _ => report.problems.push(problem(None, ProblemKind::Unsealed)),
        }

        if let Some(stored) = Index::read_for(&seg.path, contents.stored_len)
            && Some(stored) != Index::of_contents(&contents)
        {
            report
                .problems
                .push(problem(None, ProblemKind::IndexMismatch));
        }

        // What the checkpoints say of this segment: each pinned record must be here as it
        // was, and none may be later than the last one left.
        let live: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.link.is_some() && !torn.contains(&e.no))
            .collect();
        match by_segment.get(&seg.number) {
            Some(cps) => {
                let pinned: HashMap<u64, Vec<&Found>> =
                    cps.iter().fold(HashMap::new(), |mut m, f| {
                        m.entry(f.checkpoint.facts.seq).or_default().push(*f);
                        m
                    });
                for e in &live {
                    let seq = e.link.as_ref().map_or(0, |(s, _)| *s);
                    for f in pinned.get(&seq).into_iter().flatten() {
                        if hex32(&f.checkpoint.facts.hash) != Some(e.hash) {
                            report.problems.push(problem(
                                Some(e.no),
                                ProblemKind::CheckpointMismatch {
                                    time_ms: f.checkpoint.facts.time_ms,
                                    source: f.source.clone(),
                                },
                            ));
                        }
                    }
                }
                let last = live
                    .iter()
                    .rev()
                    .find_map(|e| Some((e.link.as_ref()?.0, e.no)));
                let furthest = cps
                    .iter()
                    .max_by_key(|f| (f.checkpoint.facts.seq, f.checkpoint.facts.time_ms));
                if let Some(f) = furthest
                    && last.is_none_or(|(seq, _)| seq < f.checkpoint.facts.seq)
                {
                    report.problems.push(problem(
                        None,
                        ProblemKind::TruncatedAfterCheckpoint {
                            last,
                            seq: f.checkpoint.facts.seq,
                            time_ms: f.checkpoint.facts.time_ms,
                            source: f.source.clone(),
                        },
                    ));
                }
            }
            None if checkpoints.is_some()
                && newest_checkpointed.is_none_or(|n| seg.number > n)
                && entries.iter().any(|e| e.declares_checkpoints) =>
            {
                report
                    .problems
                    .push(problem(Some(1), ProblemKind::NoCheckpoint));
            }
            None => {}
        }
        carried = entries
            .iter()
            .rev()
            .find(|e| !torn.contains(&e.no))
            .map(|e| (expected_seq.unwrap_or(1), e.hash));
    }

    // Segments checkpointed after the newest one here were deleted whole.
    let newest_here = segments.last().map_or(0, |s| s.number);
    for (number, cps) in by_segment.range(newest_here + 1..) {
        if let Some(f) = cps.iter().max_by_key(|f| f.checkpoint.facts.seq) {
            report.problems.push(Problem {
                segment: f.source.clone(),
                line: None,
                kind: ProblemKind::CheckpointedSegmentMissing {
                    stream: stream.to_owned(),
                    number: *number,
                    seq: f.checkpoint.facts.seq,
                    time_ms: f.checkpoint.facts.time_ms,
                },
            });
        }
    }

    // A chain that starts after segment 1 must say, in a later record, that retention
    // deleted the segments before it, naming the hash the first present one links to.
    if let (Some(first), Some(first_prev)) = (segments.first(), first_prev_of_first)
        && first.number > 1
    {
        let attested = pruned
            .iter()
            .find(|(through, hash, _, _)| *through == first.number - 1 && *hash == first_prev);
        match attested {
            Some((through, _, name, line)) => report.notes.push(format!(
                "{}: segments up to {through} were deleted by retention ({name} line {line} says so)",
                first.stream
            )),
            None => report.problems.push(Problem {
                segment: first
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                line: None,
                kind: ProblemKind::MissingSegments {
                    from: 1,
                    through: first.number - 1,
                },
            }),
        }
    }
    Ok(())
}
