//! The platform's live event stream (Server-Sent Events on `GET /v1/events`) as the phone
//! reads it: each message names an application that changed (never personal data); the app
//! then pulls that application. The id of each message is sent back as `Last-Event-ID` when
//! the stream is opened again after a drop, so nothing is missed.
//!
//! Owns opening the stream and reading its messages; reconnecting with backoff is the app's
//! (it knows when the app is in the foreground). Must never log a message's content.

use super::{Refusal, SyncClient, SyncError, status_transient};
use crate::wire::{self, StreamTopic, path};
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use std::pin::Pin;
use std::time::Duration;

/// A stream without a byte for this long is taken as dead (the platform sends a keep-alive
/// comment every 15 s).
pub const READ_TIMEOUT: Duration = Duration::from_secs(45);

/// One message of the live stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMessage {
    /// The message's position in this user's feed (`None` for `ready` and `resync`).
    pub id: Option<u64>,
    pub topic: StreamTopic,
    /// What changed (for application, task and escalation messages).
    pub message: Option<wire::StreamMessage>,
}

type Events = Pin<
    Box<
        dyn Stream<Item = Result<eventsource_stream::Event, EventStreamError<reqwest::Error>>>
            + Send,
    >,
>;

/// An open live stream.
pub struct LiveStream {
    events: Events,
}

impl std::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
}

impl LiveStream {
    /// The next message; `None` when the platform closed the stream. A message of a topic this
    /// phone does not know is skipped; an unreadable stream or a dropped connection is an error.
    pub async fn next(&mut self) -> Option<Result<LiveMessage, SyncError>> {
        loop {
            let event = match self.events.next().await? {
                Ok(e) => e,
                Err(EventStreamError::Transport(e)) => {
                    tracing::debug!(timeout = e.is_timeout(), "live stream dropped");
                    return Some(Err(SyncError::Offline));
                }
                Err(e) => return Some(Err(SyncError::BadAnswer(e.to_string()))),
            };
            let Some(topic) = StreamTopic::from_code(&event.event) else {
                continue;
            };
            let message = match topic {
                StreamTopic::Ready | StreamTopic::Resync => None,
                _ => match serde_json::from_str::<wire::StreamMessage>(&event.data) {
                    Ok(m) => Some(m),
                    Err(e) => return Some(Err(SyncError::BadAnswer(e.to_string()))),
                },
            };
            return Some(Ok(LiveMessage {
                id: event.id.trim().parse().ok(),
                topic,
                message,
            }));
        }
    }
}

impl SyncClient {
    /// Opens the live stream, resuming after `last_event_id` when given.
    pub async fn live(&self, last_event_id: Option<u64>) -> Result<LiveStream, SyncError> {
        let mut req = self
            .authed(self.stream_http.get(self.url(path::EVENTS)))
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.map_err(|_| SyncError::Offline)?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(SyncError::Unauthorized);
        }
        if !status.is_success() {
            if status_transient(status) {
                return Err(SyncError::Offline);
            }
            let body = resp.bytes().await.map_err(|_| SyncError::Offline)?;
            return Err(SyncError::Refused(Refusal::from_body(status, &body)));
        }
        Ok(LiveStream {
            events: Box::pin(resp.bytes_stream().eventsource()),
        })
    }
}
