//! Compressing sealed segments, on a thread of their own so that the writer never waits for
//! it: each index block becomes one zstd frame, written in order into `….jsonl.zst`, and the
//! index beside it records where each frame starts. A search decompresses only the blocks it
//! reads; `audit verify` decompresses everything and checks the chain over exactly the lines
//! the writer wrote; `zstdcat` reads the file whole (concatenated frames are one stream).
//!
//! The plain file is deleted only once the compressed file reads back to the same bytes and
//! both it and its index are on disk. A crash in between leaves the plain file, which wins
//! (see [`super::segment::list`]) and is compressed again at the next start.

use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use super::AuditError;
use super::index::{Index, IndexBuilder, index_path};
use super::segment::compressed_path;

/// zstd level: 3 (zstd's default) compresses these records about tenfold at a few
/// microseconds of CPU per record; higher levels gain little on them for much more CPU.
pub const LEVEL: i32 = 3;

/// Compress the sealed plain segment `plain` and delete it; returns the compressed file.
pub fn compress(plain: &Path) -> Result<PathBuf, AuditError> {
    let file = File::open(plain).map_err(|e| AuditError::io(plain, e))?;
    let len = file.metadata().map_err(|e| AuditError::io(plain, e))?.len();
    let mut index = match Index::read_for(plain, len) {
        Some(index) => index,
        None => {
            IndexBuilder::from_bytes(&std::fs::read(plain).map_err(|e| AuditError::io(plain, e))?)
        }
    };
    let target = compressed_path(plain);
    // The process's id keeps two processes apart (the old and new gateway of an upgrade may
    // both pick up the segment the old one sealed).
    let mut tmp_name = target.as_os_str().to_owned();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let result = write_compressed(&file, &tmp, &mut index);
    let written = match result {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    // Read back what was written before the original goes.
    let mut check = Sha256::new();
    let stored = File::open(&tmp).map_err(|e| AuditError::io(&tmp, e))?;
    zstd::stream::copy_decode(stored, HashWriter(&mut check))
        .map_err(|e| AuditError::io(&tmp, e))?;
    if check.finalize() != written {
        let _ = std::fs::remove_file(&tmp);
        return Err(AuditError::Unrecoverable(format!(
            "{}: the compressed copy does not read back the same; kept uncompressed",
            plain.display()
        )));
    }
    index.write_for(&target)?;
    std::fs::rename(&tmp, &target).map_err(|e| AuditError::io(&target, e))?;
    let dir = plain.parent().unwrap_or(Path::new("."));
    sync_dir(dir);
    std::fs::remove_file(plain).map_err(|e| AuditError::io(plain, e))?;
    let _ = std::fs::remove_file(index_path(plain));
    sync_dir(dir);
    Ok(target)
}

/// Write `file`'s blocks as frames into `tmp`, setting their stored offsets in `index`;
/// returns the SHA-256 of the lines read.
fn write_compressed(
    file: &File,
    tmp: &Path,
    index: &mut Index,
) -> Result<sha2::digest::Output<Sha256>, AuditError> {
    let mut out = File::create(tmp).map_err(|e| AuditError::io(tmp, e))?;
    let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(|e| AuditError::io(tmp, e))?;
    let mut read = Sha256::new();
    let mut stored = 0u64;
    let mut buf = Vec::new();
    for i in 0..index.blocks.len() {
        let start = index.blocks[i].offset;
        let (end, _) = index.block_end(i);
        buf.resize(usize::try_from(end - start).unwrap_or(0), 0);
        file.read_exact_at(&mut buf, start)
            .map_err(|e| AuditError::io(tmp, e))?;
        read.update(&buf);
        let frame = compressor
            .compress(&buf)
            .map_err(|e| AuditError::io(tmp, e))?;
        out.write_all(&frame).map_err(|e| AuditError::io(tmp, e))?;
        index.blocks[i].stored_offset = stored;
        stored += frame.len() as u64;
    }
    out.sync_all().map_err(|e| AuditError::io(tmp, e))?;
    index.stored_bytes = stored;
    Ok(read.finalize())
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Remove what compressions a crash or an exit interrupted left behind in `dir`.
pub fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| n.contains(".jsonl.zst.tmp.")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The compressing thread: takes sealed segments in the order they are sent.
#[derive(Debug)]
pub struct Compressor {
    tx: Option<Sender<PathBuf>>,
    join: Option<JoinHandle<()>>,
}

impl Compressor {
    /// Start the thread.
    pub fn start() -> Result<Compressor, AuditError> {
        let (tx, rx) = channel::<PathBuf>();
        let join = std::thread::Builder::new()
            .name("audit-compress".into())
            .spawn(move || run(&rx))
            .map_err(|e| AuditError::Unrecoverable(format!("cannot start compression: {e}")))?;
        Ok(Compressor {
            tx: Some(tx),
            join: Some(join),
        })
    }

    /// Queue a sealed plain segment.
    pub fn send(&self, plain: PathBuf) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(plain);
        }
    }

    /// Wait until everything queued is compressed (tools and tests; the gateway does not wait
    /// at exit: what is left is compressed at the next start).
    pub fn finish(mut self) {
        self.tx = None;
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

fn run(rx: &Receiver<PathBuf>) {
    for plain in rx {
        if !plain.exists() {
            continue;
        }
        let started = std::time::Instant::now();
        match compress(&plain) {
            Ok(target) => tracing::info!(
                segment = %target.display(),
                ms = started.elapsed().as_millis() as u64,
                "compressed a sealed audit segment"
            ),
            // The plain segment stays and is tried again at the next start.
            Err(e) => tracing::warn!(error = %e, "cannot compress an audit segment"),
        }
    }
}
