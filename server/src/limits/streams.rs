//! The cap on live streams per user: a user who opens one stream too many keeps the new one
//! and loses the oldest (a phone that reconnects after a drop must never be locked out by its
//! own half-dead earlier stream). Owns the register of open streams; must never hold a stream
//! open itself (a closed stream leaves the register when dropped).

use super::bucket::lock;
use futures_util::{Stream, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// One user's open streams, oldest first: an id and the sender whose drop closes the stream.
type Open = VecDeque<(u64, oneshot::Sender<()>)>;

/// The open streams of every user.
pub struct LiveStreams {
    cap: usize,
    next: AtomicU64,
    open: Mutex<HashMap<String, Open>>,
}

/// A stream's place in the register; leaving it when dropped.
struct Ticket {
    streams: Arc<LiveStreams>,
    user: String,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = lock(&self.streams.open);
        if let Some(list) = open.get_mut(&self.user) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                open.remove(&self.user);
            }
        }
    }
}

impl LiveStreams {
    /// `cap == 0`: no cap.
    pub fn new(cap: usize) -> Arc<LiveStreams> {
        Arc::new(LiveStreams {
            cap,
            next: AtomicU64::new(1),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Registers a new stream of `user`, closing the user's oldest ones beyond the cap; the
    /// answer ends when this stream is closed that way (or when `inner` ends).
    pub fn admit<S: Stream + Send + 'static>(
        self: &Arc<Self>,
        user: &str,
        inner: S,
    ) -> impl Stream<Item = S::Item> + Send + 'static + use<S> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (close, closed) = oneshot::channel::<()>();
        {
            let mut open = lock(&self.open);
            let list = open.entry(user.to_owned()).or_default();
            list.push_back((id, close));
            while self.cap > 0 && list.len() > self.cap {
                // Dropping the sender ends the oldest stream.
                list.pop_front();
            }
        }
        let ticket = Ticket {
            streams: self.clone(),
            user: user.to_owned(),
            id,
        };
        inner.take_until(closed).map(move |item| {
            let _still_open = &ticket;
            item
        })
    }

    /// How many streams `user` has open.
    pub fn open_of(&self, user: &str) -> usize {
        lock(&self.open).get(user).map_or(0, VecDeque::len)
    }

    /// How many streams are open in all.
    pub fn total(&self) -> usize {
        lock(&self.open).values().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[tokio::test]
    async fn one_stream_too_many_closes_the_oldest_and_a_dropped_one_leaves() {
        let streams = LiveStreams::new(2);
        let mut first = Box::pin(streams.admit("v", futures_util::stream::pending::<u8>()));
        let second = Box::pin(streams.admit("v", futures_util::stream::pending::<u8>()));
        let _third = Box::pin(streams.admit("v", futures_util::stream::pending::<u8>()));
        assert_eq!(first.next().await, None, "the oldest ended");
        assert_eq!(streams.open_of("v"), 2);
        drop(second);
        assert_eq!(streams.open_of("v"), 1);
        drop(first);
        assert_eq!(streams.total(), 1);
    }
}
