//! Segment files: `{stream}-{number:08}-{YYYYMMDD}.jsonl` in the audit directory (the date is
//! the JST day the segment was opened), each a run of chained lines that starts with a
//! `segment_opened` record and, once closed, ends with a seal.

use std::path::{Path, PathBuf};

use super::AuditError;

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

/// Parse a segment file name into (stream, number).
pub fn parse_name(name: &str) -> Option<(String, u64)> {
    let stem = name.strip_suffix(".jsonl")?;
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
    Ok(found)
}

/// The segments of one stream, by number.
pub fn list_stream(dir: &Path, stream: &str) -> Result<Vec<SegmentFile>, AuditError> {
    Ok(list(dir)?
        .into_iter()
        .filter(|s| s.stream == stream)
        .collect())
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
            parse_name("app-audit-00000001-20260401.jsonl"),
            Some(("app-audit".into(), 1))
        );
        for bad in [
            "gateway.jsonl",
            "gateway-1-20260401.jsonl",
            "x-00000001-2026.jsonl",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
