//! The live event hub: every change to an application becomes a small message addressed to the
//! people concerned (the villager, the assigned manager, the administrators on an escalation).
//! The message is first written to each recipient's feed ([`crate::feed`]) in the change's own
//! transaction; after the commit the hub wakes the recipients' open streams with the feed ids,
//! and each stream reads its feed from where it stands. Owns the fan-out only.
//! Must never carry personal data beyond ids and states (no names, phones, notes or amounts),
//! and must never block a writer: a slow listener misses wake-ups and re-syncs, it does not stall.

use huoshui_core::wire::StreamMessage;
use std::sync::Arc;
use tokio::sync::broadcast;

/// A message and who may see it, as decided inside a write (before its feed rows exist).
#[derive(Debug, Clone)]
pub struct Notice {
    pub recipients: Vec<String>,
    pub message: StreamMessage,
}

/// A committed message: each recipient and the id of their feed row.
#[derive(Debug, Clone, Default)]
pub struct Published {
    pub entries: Vec<(String, i64)>,
}

impl Published {
    /// Whether `user_id` is among the recipients.
    pub fn reaches(&self, user_id: &str) -> bool {
        self.entries.iter().any(|(u, _)| u == user_id)
    }
}

/// The hub: a broadcast channel; each stream keeps only the wake-ups addressed to its user.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Published>>,
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

    /// Announces a committed message (no listener is fine: the feed is the truth).
    pub fn publish(&self, published: Published) {
        let _ = self.tx.send(Arc::new(published));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }
}
