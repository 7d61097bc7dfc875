//! Crash recovery's reading of the newest segment: where its chain starts and ends, whether
//! it is sealed, and which line a crash cut in half, so that opening the stream can seal it.

use crate::audit::chain::{Probe, line_hash};
use crate::audit::segment::lines;

/// What recovery found in the newest segment.
pub(super) struct Tail {
    pub(super) first: Option<(u64, String)>,
    pub(super) last: Option<(u64, String, bool)>,
    pub(super) lines: u64,
    pub(super) torn: Vec<u64>,
}

pub(super) fn read_tail(bytes: &[u8]) -> Tail {
    let mut tail = Tail {
        first: None,
        last: None,
        lines: 0,
        torn: Vec::new(),
    };
    for (no, _, line, terminated) in lines(bytes) {
        tail.lines = no;
        if !terminated {
            tail.torn.push(no);
            break;
        }
        let Some(probe) = std::str::from_utf8(line).ok().and_then(Probe::parse) else {
            continue;
        };
        let Some(link) = &probe.yakuba.chain else {
            continue;
        };
        if tail.first.is_none() {
            tail.first = Some((link.seq, link.prev.to_string()));
        }
        tail.last = Some((link.seq, line_hash(line), probe.yakuba.seal.is_some()));
    }
    tail
}
