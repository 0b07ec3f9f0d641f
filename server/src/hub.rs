//! The live event hub: every change to an application becomes a small message addressed to the
//! people concerned (the villager, the assigned manager, the administrators on an escalation),
//! delivered over each user's Server-Sent Events stream. Owns the fan-out only.
//! Must never carry personal data beyond ids and states (no names, phones, notes or amounts),
//! and must never block a writer: a slow listener misses messages and re-syncs, it does not stall.

use huoshui_core::wire::StreamMessage;
use std::sync::Arc;
use tokio::sync::broadcast;

/// A message and who may see it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub recipients: Vec<String>,
    pub message: StreamMessage,
}

/// The hub: a broadcast channel; each stream keeps only the notices addressed to its user.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Notice>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(4096);
        Hub { tx }
    }

    pub fn publish(&self, notice: Notice) {
        // No listener is fine: the stream is a convenience, the database is the truth.
        let _ = self.tx.send(Arc::new(notice));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Notice>> {
        self.tx.subscribe()
    }
}
