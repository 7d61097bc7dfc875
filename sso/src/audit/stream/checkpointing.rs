//! Signed checkpoints of a stream ([`crate::audit::checkpoint`]): where the stream has got to,
//! made at every segment's opening and seal and at an interval while records come in, so
//! that `audit verify` can tell when the newest records or segments were cut off.

use std::sync::Arc;
use std::time::Instant;

use super::Stream;
use crate::audit::checkpoint::{Checkpoint, CheckpointFacts};
use crate::audit::forward::Line;
use crate::audit::record::{Action, now_ms};

impl Stream {
    /// Make a checkpoint if records were written since the last one and the checkpoint
    /// interval has passed.
    pub fn checkpoint_if_due(&mut self, copies: Option<&mut Vec<Line>>) {
        let (at, seq) = self.checkpointed;
        if self.next_seq > seq + 1 && at.elapsed() >= self.settings.checkpoint_interval {
            self.checkpoint(false, copies);
        }
    }

    /// Sign where the stream has got to and append it to the checkpoint file (after syncing
    /// the records it pins, so that a checkpoint never names records a power cut can take),
    /// with a copy for collectors. A failure is logged, not fatal: the records are written.
    pub(super) fn checkpoint(&mut self, sealed: bool, copies: Option<&mut Vec<Line>>) {
        if self.checkpoints.is_none() || !self.pending.is_empty() || self.next_seq <= 1 {
            return;
        }
        if self.unsynced
            && let Err(e) = self.sync()
        {
            tracing::error!(error = %e, "cannot sync the audit log for a checkpoint");
            return;
        }
        let time_ms = now_ms();
        let checkpoint = Checkpoint::sign(
            &self.key,
            CheckpointFacts {
                stream: self.settings.stream.clone(),
                segment: self.open.number,
                seq: self.next_seq - 1,
                hash: self.prev.clone(),
                line: self.open.lines,
                time_ms,
                sealed,
            },
        );
        let text = checkpoint.to_line();
        let Some(log) = self.checkpoints.as_mut() else {
            return;
        };
        match log.append(&text, time_ms) {
            Ok(()) => {
                self.checkpointed = (Instant::now(), self.next_seq - 1);
                if std::mem::take(&mut self.checkpoint_failing) {
                    tracing::info!("audit checkpoints are written again");
                }
                if let Some(copies) = copies {
                    copies.push(Line {
                        text: Arc::from(text),
                        severity: 6,
                        action: Action::Audit.as_str(),
                        seq: None,
                        time_ms,
                    });
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut self.checkpoint_failing, true) {
                    tracing::error!(
                        error = %e,
                        "cannot write an audit checkpoint: truncation of the newest records may go unnoticed"
                    );
                }
            }
        }
    }
}
