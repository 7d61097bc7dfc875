//! Segment files: `{stream}-{number:08}-{YYYYMMDD}.jsonl` in the audit directory (the date is
//! the JST day the segment was opened), each a run of chained lines that starts with a
//! `segment_opened` record and, once closed, ends with a seal. A sealed segment may be
//! compressed (`….jsonl.zst`, see [`super::compress`]): readers here see the same lines.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use super::AuditError;
use super::index::Index;

/// Japan Standard Time, UTC+9 all year.
pub const JST_OFFSET_SECS: i64 = 9 * 3600;

/// One segment file found in a directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SegmentFile {
    /// The stream it belongs to.
    pub stream: String,
    /// Its number in the stream.
    pub number: u64,
    /// The file.
    pub path: PathBuf,
}

/// The file name of segment `number` of `stream`, opened at `time_ms`.
pub fn file_name(stream: &str, number: u64, time_ms: i64) -> String {
    let day = jst_date(time_ms);
    format!(
        "{stream}-{number:08}-{:04}{:02}{:02}.jsonl",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The JST calendar day of `time_ms`.
pub fn jst_date(time_ms: i64) -> time::Date {
    let secs = time_ms.div_euclid(1000) + JST_OFFSET_SECS;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// Whether a segment file is compressed (`….jsonl.zst`).
pub fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "zst")
}

/// The compressed file of a plain segment file.
pub fn compressed_path(plain: &Path) -> PathBuf {
    let mut name = plain.as_os_str().to_owned();
    name.push(".zst");
    PathBuf::from(name)
}

/// Parse a segment file name (plain or compressed) into (stream, number).
pub fn parse_name(name: &str) -> Option<(String, u64)> {
    let stem = name.strip_suffix(".zst").unwrap_or(name);
    let stem = stem.strip_suffix(".jsonl")?;
    // `{stream}-{number}-{date}`: the stream itself may contain `-`.
    let (rest, date) = stem.rsplit_once('-')?;
    let (stream, number) = rest.rsplit_once('-')?;
    let valid = date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && number.len() >= 8
        && !stream.is_empty();
    valid.then(|| Some((stream.to_owned(), number.parse().ok()?)))?
}

/// Every segment file in `dir`, by stream and number.
pub fn list(dir: &Path) -> Result<Vec<SegmentFile>, AuditError> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(AuditError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io(dir, e))?;
        let name = entry.file_name();
        if let Some((stream, number)) = name.to_str().and_then(parse_name) {
            found.push(SegmentFile {
                stream,
                number,
                path: entry.path(),
            });
        }
    }
    found.sort();
    // A segment whose compression a crash interrupted after the compressed file was in place
    // exists in both forms: the plain file is the original (sorted first) and wins.
    found.dedup_by(|later, first| later.stream == first.stream && later.number == first.number);
    Ok(found)
}

/// The segments of one stream, by number.
pub fn list_stream(dir: &Path, stream: &str) -> Result<Vec<SegmentFile>, AuditError> {
    Ok(list(dir)?
        .into_iter()
        .filter(|s| s.stream == stream)
        .collect())
}

/// A segment file's lines as written: a plain file as it is, a compressed one decompressed.
#[derive(Debug)]
pub struct Contents {
    /// The lines, newline-terminated, as the writer wrote them.
    pub bytes: Vec<u8>,
    /// For a compressed file, where each frame starts in the file and in `bytes`.
    pub frames: Vec<(u64, u64)>,
    /// Length of the file on disk.
    pub stored_len: u64,
}

/// Read a segment file whole.
pub fn read(path: &Path) -> Result<Contents, AuditError> {
    let stored = std::fs::read(path).map_err(|e| AuditError::io(path, e))?;
    let stored_len = stored.len() as u64;
    if !is_compressed(path) {
        return Ok(Contents {
            bytes: stored,
            frames: Vec::new(),
            stored_len,
        });
    }
    let mut bytes = Vec::with_capacity(stored.len() * 8);
    let mut frames = Vec::new();
    let mut at = 0usize;
    while at < stored.len() {
        let size = zstd::zstd_safe::find_frame_compressed_size(&stored[at..])
            .map_err(|code| damaged(path, at, zstd::zstd_safe::get_error_name(code)))?;
        frames.push((at as u64, bytes.len() as u64));
        zstd::stream::copy_decode(&stored[at..at + size], &mut bytes)
            .map_err(|e| damaged(path, at, &e.to_string()))?;
        at += size;
    }
    Ok(Contents {
        bytes,
        frames,
        stored_len,
    })
}

fn damaged(path: &Path, at: usize, why: &str) -> AuditError {
    AuditError::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("cannot decompress at byte {at}: {why}"),
        ),
    )
}

/// The last line of a segment file (its seal, once sealed), without its newline: read from
/// the end of a plain file, or from the last frame of a compressed one.
pub fn last_line(path: &Path) -> Result<Vec<u8>, AuditError> {
    if is_compressed(path) {
        let len = std::fs::metadata(path)
            .map_err(|e| AuditError::io(path, e))?
            .len();
        let tail = match Index::read_for(path, len).and_then(|i| i.blocks.last().cloned()) {
            Some(block) => {
                let mut file = std::fs::File::open(path).map_err(|e| AuditError::io(path, e))?;
                file.seek(SeekFrom::Start(block.stored_offset))
                    .map_err(|e| AuditError::io(path, e))?;
                let mut frame = Vec::new();
                file.read_to_end(&mut frame)
                    .map_err(|e| AuditError::io(path, e))?;
                zstd::stream::decode_all(&frame[..]).map_err(|e| {
                    damaged(
                        path,
                        usize::try_from(block.stored_offset).unwrap_or(0),
                        &e.to_string(),
                    )
                })?
            }
            None => read(path)?.bytes,
        };
        return Ok(last_of(&tail).to_vec());
    }
    let mut file = std::fs::File::open(path).map_err(|e| AuditError::io(path, e))?;
    let len = file.metadata().map_err(|e| AuditError::io(path, e))?.len();
    let mut window = 64 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))
            .map_err(|e| AuditError::io(path, e))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)
            .map_err(|e| AuditError::io(path, e))?;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if body.contains(&b'\n') || start == 0 {
            return Ok(last_of(&buf).to_vec());
        }
        window *= 4;
    }
}

fn last_of(bytes: &[u8]) -> &[u8] {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    match body.iter().rposition(|b| *b == b'\n') {
        Some(i) => &body[i + 1..],
        None => body,
    }
}

/// The lines of a segment's bytes with their 1-based numbers, byte offsets and whether each
/// ended with a newline (only the last may not).
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, u64, &[u8], bool)> {
    let mut offset = 0u64;
    bytes
        .split_inclusive(|b| *b == b'\n')
        .enumerate()
        .map(move |(i, raw)| {
            let start = offset;
            offset += raw.len() as u64;
            let terminated = raw.ends_with(b"\n");
            let line = raw.strip_suffix(b"\n").unwrap_or(raw);
            (i as u64 + 1, start, line, terminated)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_stream_number_and_jst_day() {
        // 2026-03-31T15:30:00Z is already April 1st in Japan.
        let name = file_name("gateway", 42, 1_774_971_000_000);
        assert_eq!(name, "gateway-00000042-20260401.jsonl");
        assert_eq!(parse_name(&name), Some(("gateway".into(), 42)));
        assert_eq!(
            parse_name(&format!("{name}.zst")),
            Some(("gateway".into(), 42))
        );
        assert_eq!(
            parse_name("app-audit-00000001-20260401.jsonl"),
            Some(("app-audit".into(), 1))
        );
        for bad in [
            "gateway.jsonl",
            "gateway-1-20260401.jsonl",
            "x-00000001-2026.jsonl",
            "gateway-00000001-20260401.jsonl.idx",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
