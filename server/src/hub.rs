//! The live event hub: every change to an application becomes a small message addressed to the
//! people concerned (the villager, the assigned manager, the administrators on an escalation).
//! The message is first written to each recipient's feed ([`crate::feed`]) in the change's own
//! transaction; after the commit the hub wakes the recipients' open streams with the feed ids,
//! and each stream reads its feed from where it stands. Owns the fan-out only.
//! With several nodes on PostgreSQL the hub is [`Hub::relayed`]: the writer's own
//! [`Hub::publish`] does nothing, and every node's hub is fed by its feed listener
//! ([`crate::live_nodes`]) with the committed rows of all nodes, so a message wakes each
//! stream once whichever node wrote it.
//! Must never carry personal data beyond ids and states (no names, phones, notes or amounts),
//! and must never block a writer: a slow listener misses wake-ups and re-syncs, it does not stall.

use huoshui_core::wire::StreamMessage;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

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

/// The hub: a broadcast channel for the streams that see many users' messages (the
/// supervision page), and for each user with an open stream a watch of the newest feed id
/// addressed to them, so that a message wakes only its recipients' streams (an idle stream
/// costs nothing when other people's messages pass).
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Published>>,
    users: Arc<Mutex<Users>>,
    /// Fed by the node's feed listener only (PostgreSQL): `publish` leaves it to the listener.
    relayed: bool,
}

/// The watches of the users with open streams, and how many there were at the last sweep.
#[derive(Default)]
struct Users {
    by_id: HashMap<String, watch::Sender<i64>>,
    swept_at: usize,
}

fn lock(users: &Mutex<Users>) -> std::sync::MutexGuard<'_, Users> {
    users
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(4096);
        Hub {
            tx,
            users: Arc::default(),
            relayed: false,
        }
    }

    /// A hub fed by the node's feed listener (several nodes on PostgreSQL): [`Hub::publish`]
    /// after a local commit does nothing, the listener [`Hub::deliver`]s every node's rows.
    pub fn relayed() -> Hub {
        Hub {
            relayed: true,
            ..Hub::new()
        }
    }

    /// After a commit on this node: announces a committed message (no listener is fine: the
    /// feed is the truth). On a relayed hub the feed listener announces it instead.
    pub fn publish(&self, published: Published) {
        if !self.relayed {
            self.deliver(published);
        }
    }

    /// Wakes the recipients' streams and the streams that see every message.
    pub fn deliver(&self, published: Published) {
        {
            let users = lock(&self.users);
            for (user, id) in &published.entries {
                if let Some(tx) = users.by_id.get(user) {
                    tx.send_if_modified(|newest| {
                        let later = *id > *newest;
                        if later {
                            *newest = *id;
                        }
                        later
                    });
                }
            }
        }
        let _ = self.tx.send(Arc::new(published));
    }

    /// Every message, for a stream that sees many users' messages.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// Wakes when a message for `user_id` is published after this call: the watch holds the
    /// newest feed id addressed to them.
    pub fn subscribe_user(&self, user_id: &str) -> watch::Receiver<i64> {
        let mut users = lock(&self.users);
        // Forget the users whose streams have all closed, now and then (amortised).
        if users.by_id.len() >= 2 * users.swept_at.max(512) {
            users.by_id.retain(|_, tx| tx.receiver_count() > 0);
            users.swept_at = users.by_id.len();
        }
        match users.by_id.get(user_id) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(0);
                users.by_id.insert(user_id.to_owned(), tx);
                rx
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_message_wakes_only_its_recipients_streams() {
        let hub = Hub::new();
        let mut mine = hub.subscribe_user("v1");
        let other = hub.subscribe_user("v2");
        let published = |id| Published {
            entries: vec![("v1".to_owned(), id), ("m1".to_owned(), id)],
        };
        hub.publish(published(7));
        assert!(mine.has_changed().unwrap());
        assert_eq!(*mine.borrow_and_update(), 7);
        assert!(
            !other.has_changed().unwrap(),
            "another user's stream sleeps on"
        );
        hub.publish(published(5));
        assert!(!mine.has_changed().unwrap(), "an older id wakes nothing");
    }

    #[test]
    fn a_relayed_hub_wakes_streams_only_through_its_listener() {
        let hub = Hub::relayed();
        let mut mine = hub.subscribe_user("v1");
        let entries = vec![("v1".to_owned(), 3)];
        hub.publish(Published {
            entries: entries.clone(),
        });
        assert!(
            !mine.has_changed().unwrap(),
            "the writer's own publish is left to the listener"
        );
        hub.deliver(Published { entries });
        assert!(mine.has_changed().unwrap());
        assert_eq!(*mine.borrow_and_update(), 3);
    }
}
