//! Change notification inside the app facade: which part of the app's data changed.
//!
//! Owns the list of subscribers and nothing else. It never calls a subscriber while holding its
//! lock (the list is copied first), so a subscriber may subscribe, unsubscribe or call back into
//! the core without deadlocking. Subscribers must be quick: the FFI crate's subscriber only wakes
//! a task on its own runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A part of the app's data that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Drafts, applications or their timelines.
    Applications,
    /// Captured documents.
    Documents,
    /// The account manager's tasks.
    Tasks,
    /// The catalog (products, rates) behind the market.
    Catalog,
    /// Who is signed in.
    Session,
    /// The sync status (the banner).
    Sync,
}

type Subscriber = Arc<dyn Fn(Topic) + Send + Sync>;

/// The subscribers of one app core.
#[derive(Default)]
pub struct Notifier {
    subscribers: Mutex<Vec<(u64, Subscriber)>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// Adds a subscriber; the returned id removes it again.
    pub fn subscribe(&self, subscriber: Subscriber) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, subscriber));
        id
    }

    /// Removes a subscriber (unknown ids are ignored).
    pub fn unsubscribe(&self, id: u64) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(i, _)| *i != id);
    }

    /// Tells every subscriber that `topic` changed, outside the lock.
    pub fn notify(&self, topic: Topic) {
        let list: Vec<Subscriber> = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, s)| s.clone())
            .collect();
        for subscriber in list {
            subscriber(topic);
        }
    }

    /// How many subscribers are registered (for tests of cancellation).
    pub fn len(&self) -> usize {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nobody is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_subscriber_may_call_back_into_the_notifier_without_deadlock() {
        let notifier = Arc::new(Notifier::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let (n, c) = (Arc::clone(&notifier), Arc::clone(&calls));
        let id = notifier.subscribe(Arc::new(move |topic| {
            c.fetch_add(1, Ordering::SeqCst);
            // re-entering the notifier inside the callback: the lock is not held here
            let inner = n.subscribe(Arc::new(|_| {}));
            n.unsubscribe(inner);
            assert_eq!(topic, Topic::Documents);
        }));
        notifier.notify(Topic::Documents);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        notifier.unsubscribe(id);
        notifier.notify(Topic::Documents);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "no call after unsubscribe");
        assert!(notifier.is_empty());
    }
}
