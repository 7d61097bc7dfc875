//! The per-segment index that makes search fast over millions of records: the segment is cut
//! into blocks of [`BLOCK`] lines, and for each block the index keeps its byte offset, its
//! time range and a Bloom filter of the terms searches ask for (user, route, decision,
//! status, action). A search reads only blocks whose time range overlaps and whose filter
//! may hold every term asked for.
//!
//! A compressed segment (`*.jsonl.zst`) holds one compressed frame per block, and its index
//! (`*.jsonl.zst.idx`) says where each frame starts, so a search decompresses only the blocks
//! it reads.
//!
//! The index is derived data written beside a sealed segment (`*.jsonl.idx`); it is not part
//! of the tamper evidence. `audit verify` rebuilds it and reports a mismatch, and a missing
//! or unreadable index is rebuilt in memory.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::AuditError;
use super::chain::Probe;

/// Lines per block: a block is what a search reads for one hit (about 300 KiB).
pub const BLOCK: u32 = 256;
/// Bytes in each block's Bloom filter: 8,192 bits hold a block's few hundred distinct terms
/// with well under 0.1% false positives, for about 4 bytes of index per record.
const BLOOM_BYTES: usize = 1024;
/// Hash functions per term.
const BLOOM_K: u64 = 4;
/// Version 1 had no stored offsets (plain segments only); it is still read.
const MAGIC_V1: &[u8; 8] = b"YKAIDX1\n";
const MAGIC: &[u8; 8] = b"YKAIDX2\n";

/// The index file of a segment file.
pub fn index_path(segment: &Path) -> PathBuf {
    let mut name = segment.as_os_str().to_owned();
    name.push(".idx");
    PathBuf::from(name)
}

/// One term of the index: a field and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term<'a> {
    /// `user.name` or `user.target.name`.
    User(&'a str),
    /// `yakuba.route`.
    Route(&'a str),
    /// `yakuba.decision`.
    Decision(&'a str),
    /// `http.response.status_code`.
    Status(u16),
    /// The class of the status (`4` for 4xx).
    StatusClass(u16),
    /// `event.action`.
    Action(&'a str),
}

impl Term<'_> {
    fn hash(self) -> u64 {
        let mut h = Fnv::default();
        match self {
            Term::User(v) => h.write(b"u\0", v.as_bytes()),
            Term::Route(v) => h.write(b"r\0", v.as_bytes()),
            Term::Decision(v) => h.write(b"d\0", v.as_bytes()),
            Term::Status(v) => h.write(b"s\0", &v.to_le_bytes()),
            Term::StatusClass(v) => h.write(b"c\0", &v.to_le_bytes()),
            Term::Action(v) => h.write(b"a\0", v.as_bytes()),
        }
        h.0
    }
}

/// FNV-1a, 64 bits: stable across builds and Rust versions, as an on-disk index needs.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, tag: &[u8], bytes: &[u8]) {
        for b in tag.iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn bloom_bits(hash: u64) -> impl Iterator<Item = usize> {
    // Double hashing (Kirsch and Mitzenmacher): the k bits come from two halves of one hash.
    let (h1, h2) = (hash & 0xffff_ffff, (hash >> 32) | 1);
    let bits = (BLOOM_BYTES * 8) as u64;
    (0..BLOOM_K).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % bits) as usize)
}

/// The terms of one record.
pub fn terms_of<'a>(probe: &'a Probe<'a>) -> Vec<Term<'a>> {
    let mut terms: Vec<Term<'a>> = probe.users().map(Term::User).collect();
    if let Some(route) = probe.yakuba.route.as_deref() {
        terms.push(Term::Route(route));
    }
    if let Some(decision) = probe.yakuba.decision.as_deref() {
        terms.push(Term::Decision(decision));
    }
    if let Some(status) = probe.status() {
        terms.push(Term::Status(status));
        terms.push(Term::StatusClass(status / 100));
    }
    if !probe.event.action.is_empty() {
        terms.push(Term::Action(&probe.event.action));
    }
    terms
}

/// One block of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Byte offset of the block's first line.
    pub offset: u64,
    /// Where the block starts in the file: `offset` in a plain segment, its compressed frame's
    /// offset in a compressed one.
    pub stored_offset: u64,
    /// 1-based line number of its first line.
    pub first_line: u64,
    /// Lines in the block.
    pub lines: u32,
    /// Earliest and latest `@timestamp` in the block, Unix milliseconds.
    pub min_ms: i64,
    /// See `min_ms`.
    pub max_ms: i64,
    bloom: Vec<u8>,
}

impl Block {
    /// Whether the block may hold a record with every one of `terms`.
    pub fn may_hold(&self, terms: &[Term<'_>]) -> bool {
        terms
            .iter()
            .all(|t| bloom_bits(t.hash()).all(|bit| self.bloom[bit / 8] & (1 << (bit % 8)) != 0))
    }

    /// Whether the block's time range meets `[from, to)`.
    pub fn overlaps(&self, from: Option<i64>, to: Option<i64>) -> bool {
        from.is_none_or(|f| self.max_ms >= f) && to.is_none_or(|t| self.min_ms < t)
    }
}

/// The index of one segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    /// Blocks in file order.
    pub blocks: Vec<Block>,
    /// Length of the segment's lines the index covers.
    pub covers_bytes: u64,
    /// Length of the file it covers (`covers_bytes`, unless compressed).
    pub stored_bytes: u64,
}

/// Builds an [`Index`] line by line, as a segment is written or read.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    index: Index,
    current: Option<Block>,
    lines: u64,
}

impl IndexBuilder {
    /// Add the next line: it starts at `offset`, is `len` bytes long with its newline, and
    /// has these time and terms (a line that is not a record has no time and no terms).
    pub fn add(&mut self, offset: u64, len: u64, time_ms: Option<i64>, terms: &[Term<'_>]) {
        self.lines += 1;
        let block = self.current.get_or_insert_with(|| Block {
            offset,
            stored_offset: offset,
            first_line: self.lines,
            lines: 0,
            min_ms: i64::MAX,
            max_ms: i64::MIN,
            bloom: vec![0; BLOOM_BYTES],
        });
        block.lines += 1;
        if let Some(t) = time_ms {
            block.min_ms = block.min_ms.min(t);
            block.max_ms = block.max_ms.max(t);
        }
        for term in terms {
            for bit in bloom_bits(term.hash()) {
                block.bloom[bit / 8] |= 1 << (bit % 8);
            }
        }
        self.index.covers_bytes = offset + len;
        self.index.stored_bytes = offset + len;
        if block.lines == BLOCK {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        if let Some(block) = self.current.take() {
            self.index.blocks.push(block);
        }
    }

    /// The finished index.
    pub fn finish(mut self) -> Index {
        self.close_block();
        self.index
    }

    /// Index a whole segment file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Index {
        IndexBuilder::resume(bytes).finish()
    }

    /// A builder that has read `bytes`, to which further lines are added.
    pub fn resume(bytes: &[u8]) -> IndexBuilder {
        let mut builder = IndexBuilder::default();
        let mut offset = 0u64;
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let text = std::str::from_utf8(line)
                .unwrap_or("")
                .trim_end_matches('\n');
            let probe = Probe::parse(text);
            let terms = probe.as_ref().map(terms_of).unwrap_or_default();
            let time = probe.as_ref().and_then(Probe::time_ms);
            builder.add(offset, line.len() as u64, time, &terms);
            offset += line.len() as u64;
        }
        builder
    }
}

impl Index {
    /// Serialise.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.blocks.len() * (36 + BLOOM_BYTES));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.blocks.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.covers_bytes.to_le_bytes());
        out.extend_from_slice(&self.stored_bytes.to_le_bytes());
        for b in &self.blocks {
            out.extend_from_slice(&b.offset.to_le_bytes());
            out.extend_from_slice(&b.stored_offset.to_le_bytes());
            out.extend_from_slice(&b.first_line.to_le_bytes());
            out.extend_from_slice(&b.lines.to_le_bytes());
            out.extend_from_slice(&b.min_ms.to_le_bytes());
            out.extend_from_slice(&b.max_ms.to_le_bytes());
            out.extend_from_slice(&b.bloom);
        }
        out
    }

    /// Parse; `None` if the bytes are not an index.
    pub fn from_index_bytes(bytes: &[u8]) -> Option<Index> {
        let mut r = Reader(bytes);
        let v2 = match r.take(8)? {
            m if m == MAGIC => true,
            m if m == MAGIC_V1 => false,
            _ => return None,
        };
        let count = r.u64()?;
        let covers_bytes = r.u64()?;
        let stored_bytes = if v2 { r.u64()? } else { covers_bytes };
        let mut blocks = Vec::with_capacity(usize::try_from(count).ok()?.min(1 << 20));
        for _ in 0..count {
            let offset = r.u64()?;
            blocks.push(Block {
                offset,
                stored_offset: if v2 { r.u64()? } else { offset },
                first_line: r.u64()?,
                lines: u32::from_le_bytes(r.take(4)?.try_into().ok()?),
                min_ms: r.u64()? as i64,
                max_ms: r.u64()? as i64,
                bloom: r.take(BLOOM_BYTES)?.to_vec(),
            });
        }
        r.0.is_empty().then_some(Index {
            blocks,
            covers_bytes,
            stored_bytes,
        })
    }

    /// Write beside `segment`, atomically (a temporary file renamed into place).
    pub fn write_for(&self, segment: &Path) -> Result<(), AuditError> {
        let path = index_path(segment);
        let tmp = path.with_extension("idx.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(|e| AuditError::io(&tmp, e))?;
        file.write_all(&self.to_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| AuditError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| AuditError::io(&path, e))
    }

    /// The index written beside `segment`, if there is one that covers its `len` bytes.
    pub fn read_for(segment: &Path, len: u64) -> Option<Index> {
        let mut bytes = Vec::new();
        std::fs::File::open(index_path(segment))
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
        Index::from_index_bytes(&bytes).filter(|i| i.stored_bytes == len)
    }

    /// The index of a segment's contents as read ([`super::segment::read`]): a compressed
    /// segment's blocks start at its frames. `None` if the frames are not the index's blocks
    /// (a file compressed whole by another tool).
    pub fn of_contents(contents: &super::segment::Contents) -> Option<Index> {
        let mut index = IndexBuilder::from_bytes(&contents.bytes);
        if contents.frames.is_empty() {
            return Some(index);
        }
        if contents.frames.len() != index.blocks.len()
            || contents
                .frames
                .iter()
                .zip(&index.blocks)
                .any(|((_, plain), b)| *plain != b.offset)
        {
            return None;
        }
        for (block, (stored, _)) in index.blocks.iter_mut().zip(&contents.frames) {
            block.stored_offset = *stored;
        }
        index.stored_bytes = contents.stored_len;
        Some(index)
    }

    /// Where block `i` ends in the segment's lines and in the file.
    pub fn block_end(&self, i: usize) -> (u64, u64) {
        self.blocks
            .get(i + 1)
            .map_or((self.covers_bytes, self.stored_bytes), |b| {
                (b.offset, b.stored_offset)
            })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(user: &str, status: u16, ms: i64) -> String {
        format!(
            r#"{{"@timestamp":"{}","event":{{"action":"request"}},"user":{{"name":"{user}"}},"http":{{"response":{{"status_code":{status}}}}},"yakuba":{{"route":"zaimu","decision":"allow"}}}}"#,
            crate::audit::record::format_ms(ms)
        )
    }

    #[test]
    fn blocks_hold_their_terms_and_time_ranges_and_round_trip() {
        let mut text = String::new();
        for i in 0..2500 {
            text.push_str(&line(&format!("user{i}"), 200, 1_000_000 + i));
            text.push('\n');
        }
        let index = IndexBuilder::from_bytes(text.as_bytes());
        assert_eq!(index.blocks.len(), 10);
        assert_eq!(index.blocks[1].first_line, 257);
        assert_eq!(index.blocks[9].lines, 2500 - 9 * 256);
        assert_eq!(index.covers_bytes, text.len() as u64);
        assert_eq!(
            (index.blocks[0].min_ms, index.blocks[0].max_ms),
            (1_000_000, 1_000_255)
        );
        let b = &index.blocks[0];
        assert!(b.may_hold(&[Term::User("user5"), Term::Route("zaimu"), Term::Status(200)]));
        assert!(b.may_hold(&[Term::StatusClass(2), Term::Action("request")]));
        assert!(!b.may_hold(&[Term::Route("denkessai")]));
        let strangers = (0..200)
            .filter(|i| b.may_hold(&[Term::User(&format!("stranger{i}"))]))
            .count();
        assert!(strangers < 3, "{strangers} false positives in 200");
        assert!(b.overlaps(Some(1_000_255), None) && !b.overlaps(Some(1_000_256), None));
        assert!(!b.overlaps(None, Some(1_000_000)) && b.overlaps(None, Some(1_000_001)));

        let bytes = index.to_bytes();
        assert_eq!(Index::from_index_bytes(&bytes), Some(index));
        assert_eq!(Index::from_index_bytes(&bytes[..bytes.len() - 1]), None);
    }
}
