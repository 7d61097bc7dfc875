//! Searching audit segments by user, time range, route, decision, status and action, using
//! each segment's index ([`super::index`]) to read only the blocks that may match.

use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use super::AuditError;
use super::chain::Probe;
use super::index::{Index, IndexBuilder, Term};
use super::segment::{self, compressed_path, is_compressed, lines};

/// Which statuses match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this code.
    Exact(u16),
    /// Any code of this class (`4` for 4xx).
    Class(u16),
}

impl StatusFilter {
    /// `404` or `4xx`.
    pub fn parse(text: &str) -> Result<StatusFilter, String> {
        let bad = || format!("`{text}` is not a status: use e.g. 403 or 4xx");
        let text = text.trim();
        if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
            let c: u16 = class.parse().map_err(|_| bad())?;
            return (1..=5)
                .contains(&c)
                .then_some(StatusFilter::Class(c))
                .ok_or_else(bad);
        }
        let code: u16 = text.parse().map_err(|_| bad())?;
        (100..=599)
            .contains(&code)
            .then_some(StatusFilter::Exact(code))
            .ok_or_else(bad)
    }

    fn term(self) -> Term<'static> {
        match self {
            StatusFilter::Exact(code) => Term::Status(code),
            StatusFilter::Class(class) => Term::StatusClass(class),
        }
    }

    fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::Exact(code), Some(s)) => s == code,
            (StatusFilter::Class(class), Some(s)) => s / 100 == class,
            (_, None) => false,
        }
    }
}

/// What to look for. Every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// From this time (Unix milliseconds), inclusive.
    pub from_ms: Option<i64>,
    /// Until this time, exclusive.
    pub to_ms: Option<i64>,
    /// `user.name` or `user.target.name`.
    pub user: Option<String>,
    /// `yakuba.route`.
    pub route: Option<String>,
    /// `yakuba.decision` (`allow`, `deny`, `redirect_login`, `served`, `success`, `failure`).
    pub decision: Option<String>,
    /// `http.response.status_code`.
    pub status: Option<StatusFilter>,
    /// `event.action` (`request`, `login`, ...).
    pub action: Option<String>,
    /// Most records returned.
    pub limit: usize,
    /// Newest first (the app's view) instead of oldest first.
    pub newest_first: bool,
}

/// One matching record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// `@timestamp`, Unix milliseconds.
    pub time_ms: i64,
    /// Segment file name.
    pub segment: String,
    /// 1-based line in it.
    pub line: u64,
    /// The record as written.
    pub text: String,
}

/// Matching records and what it took to find them.
#[derive(Debug, Default)]
pub struct Found {
    /// The records, in the order asked for.
    pub hits: Vec<Hit>,
    /// Whether more records matched than `limit`.
    pub truncated: bool,
    /// Segments whose index (or time range) was consulted.
    pub segments: u64,
    /// Blocks read.
    pub blocks_read: u64,
    /// Lines parsed.
    pub lines_parsed: u64,
}

impl Query {
    fn terms(&self) -> Vec<Term<'_>> {
        let mut terms = Vec::new();
        if let Some(u) = &self.user {
            terms.push(Term::User(u));
        }
        if let Some(r) = &self.route {
            terms.push(Term::Route(r));
        }
        if let Some(d) = &self.decision {
            terms.push(Term::Decision(d));
        }
        if let Some(s) = self.status {
            terms.push(s.term());
        }
        if let Some(a) = &self.action {
            terms.push(Term::Action(a));
        }
        terms
    }

    /// Byte strings every matching line contains, as the writer writes those fields: a line
    /// without one of them is skipped unparsed. Only values JSON writes unescaped qualify, so
    /// that no matching record is skipped.
    fn needles(&self) -> Vec<String> {
        let plain = |v: &str| !v.chars().any(|c| c == '"' || c == '\\' || c.is_control());
        let mut needles = Vec::new();
        if let Some(u) = self.user.as_deref().filter(|u| plain(u)) {
            // `user.name` or `user.target.name`.
            needles.push(format!("\"name\":\"{u}\""));
        }
        match self.status {
            Some(StatusFilter::Exact(code)) => needles.push(format!("\"status_code\":{code}")),
            Some(StatusFilter::Class(class)) => {
                needles.push(format!("\"status_code\":{class}"));
            }
            None => {}
        }
        if let Some(r) = self.route.as_deref().filter(|r| plain(r)) {
            needles.push(format!("\"route\":\"{r}\""));
        }
        if let Some(a) = self.action.as_deref().filter(|a| plain(a)) {
            needles.push(format!("\"action\":\"{a}\""));
        }
        if let Some(d) = self.decision.as_deref().filter(|d| plain(d)) {
            needles.push(format!("\"decision\":\"{d}\""));
        }
        needles
    }

    fn matches(&self, probe: &Probe<'_>) -> Option<i64> {
        let time = probe.time_ms()?;
        let ok = self.from_ms.is_none_or(|f| time >= f)
            && self.to_ms.is_none_or(|t| time < t)
            && self
                .user
                .as_deref()
                .is_none_or(|u| probe.users().any(|x| x == u))
            && self
                .route
                .as_deref()
                .is_none_or(|r| probe.yakuba.route.as_deref() == Some(r))
            && self
                .decision
                .as_deref()
                .is_none_or(|d| probe.yakuba.decision.as_deref() == Some(d))
            && self.status.is_none_or(|s| s.matches(probe.status()))
            && self
                .action
                .as_deref()
                .is_none_or(|a| probe.event.action == a);
        ok.then_some(time)
    }
}

/// Search every segment in `dirs`.
pub fn search(dirs: &[PathBuf], query: &Query) -> Result<Found, AuditError> {
    let limit = query.limit.max(1);
    let mut found = Found::default();
    for dir in dirs {
        search_dir(dir, query, limit, &mut found)?;
    }
    found.hits.sort_by_key(|h| {
        if query.newest_first {
            -h.time_ms
        } else {
            h.time_ms
        }
    });
    if found.hits.len() > limit {
        found.hits.truncate(limit);
        found.truncated = true;
    }
    Ok(found)
}

fn search_dir(
    dir: &Path,
    query: &Query,
    limit: usize,
    found: &mut Found,
) -> Result<(), AuditError> {
    let terms = query.terms();
    let needles = query.needles();
    let finders: Vec<memchr::memmem::Finder<'_>> = needles
        .iter()
        .map(|n| memchr::memmem::Finder::new(n.as_bytes()))
        .collect();
    let mut segments = segment::list(dir)?;
    if query.newest_first {
        segments.reverse();
    }
    let mut taken = 0usize;
    for seg in segments {
        // Compression may have replaced the plain file since the directory was listed.
        let path = if !seg.path.exists() && compressed_path(&seg.path).exists() {
            compressed_path(&seg.path)
        } else {
            seg.path.clone()
        };
        let compressed = is_compressed(&path);
        let file = std::fs::File::open(&path).map_err(|e| AuditError::io(&path, e))?;
        let len = file.metadata().map_err(|e| AuditError::io(&path, e))?.len();
        found.segments += 1;
        // A sealed segment has an index beside it; the open one (or one whose index is
        // missing) is read whole and indexed in memory.
        let (index, whole) = match Index::read_for(&path, len) {
            Some(index) => (index, None),
            None => {
                let bytes = segment::read(&path)?.bytes;
                (IndexBuilder::from_bytes(&bytes), Some(bytes))
            }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut blocks: Vec<usize> = (0..index.blocks.len())
            .filter(|&i| {
                let b = &index.blocks[i];
                b.overlaps(query.from_ms, query.to_ms) && b.may_hold(&terms)
            })
            .collect();
        if query.newest_first {
            blocks.reverse();
        }
        for i in blocks {
            let block = &index.blocks[i];
            let (end, stored_end) = index.block_end(i);
            let owned;
            let bytes: &[u8] = match &whole {
                Some(all) => all
                    .get(block.offset as usize..end as usize)
                    .unwrap_or_default(),
                None => {
                    let size = usize::try_from(stored_end - block.stored_offset).unwrap_or(0);
                    let mut buf = vec![0u8; size];
                    file.read_exact_at(&mut buf, block.stored_offset)
                        .map_err(|e| AuditError::io(&path, e))?;
                    owned = if compressed {
                        // Only this block's frame is decompressed.
                        let plain = usize::try_from(end - block.offset).unwrap_or(0);
                        zstd::bulk::decompress(&buf, plain).map_err(|e| AuditError::io(&path, e))?
                    } else {
                        buf
                    };
                    &owned
                }
            };
            found.blocks_read += 1;
            let mut block_hits = Vec::new();
            for (n, _, line, _) in lines(bytes) {
                if finders.iter().any(|f| f.find(line).is_none()) {
                    continue;
                }
                found.lines_parsed += 1;
                let Some(text) = std::str::from_utf8(line).ok() else {
                    continue;
                };
                let Some(probe) = Probe::parse(text) else {
                    continue;
                };
                if let Some(time_ms) = query.matches(&probe) {
                    block_hits.push(Hit {
                        time_ms,
                        segment: name.clone(),
                        line: block.first_line + n - 1,
                        text: text.to_owned(),
                    });
                }
            }
            if query.newest_first {
                block_hits.reverse();
            }
            for hit in block_hits {
                if taken > limit {
                    return Ok(());
                }
                taken += 1;
                found.hits.push(hit);
            }
        }
    }
    Ok(())
}
