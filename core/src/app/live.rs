//! The live connection while the app is in the foreground: the platform's event stream,
//! opened again after every drop with `Last-Event-ID` (backoff with jitter between tries), each
//! message followed by a pull of just the application it names, after which the listeners
//! fire. Opening (and reopening) the stream also runs a sync, so what waited in the outbox
//! goes out as soon as the phone is back online.
//!
//! Must never keep running after `disconnect_live` or logout, and never hold personal data:
//! the messages carry ids and states only.

use super::error::AppError;
use super::{AppCore, Topic};
use crate::store::session::meta;
use crate::sync::{Ctx, Jitter, LiveMessage, SyncError};
use crate::wire::StreamTopic;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// The first wait before reopening a dropped stream; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl AppCore {
    /// Opens the live connection (call when the app comes to the foreground). Needs a tokio
    /// runtime (the apps' core object has one). Calling it again while connected does nothing.
    pub fn connect_live(self: &Arc<Self>) -> Result<(), AppError> {
        self.platform()?;
        self.signed()?;
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| AppError::internal("connect_live needs a tokio runtime"))?;
        let mut slot = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        let core = Arc::clone(self);
        *slot = Some(handle.spawn(async move { core.live_loop().await }));
        Ok(())
    }

    /// Closes the live connection (call when the app goes to the background).
    pub fn disconnect_live(&self) {
        self.stop_live();
    }

    /// Whether the live connection is running (open, or waiting to reopen).
    pub fn live_connected(&self) -> bool {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    pub(crate) fn stop_live(&self) {
        if let Some(task) = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }

    async fn live_loop(self: Arc<Self>) {
        let mut backoff = FIRST_BACKOFF;
        let mut jitter = Jitter::from_os();
        loop {
            match self.live_once().await {
                Ok(()) => backoff = FIRST_BACKOFF,
                Err(SyncError::Unauthorized) => {
                    if let Err(e) = self.store.mark_session_expired(self.now()) {
                        tracing::warn!(error = %e, "could not record the expired sign-in");
                    }
                    self.notifier.notify(Topic::Session);
                    self.refresh_status();
                    return;
                }
                Err(e) => tracing::debug!(error = %e, "live stream ended"),
            }
            // Shorten by up to half at random, so that phones do not come back in step.
            let wait =
                backoff.saturating_sub(backoff / 2 * u32::from(jitter.next_permille()) / 1000);
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection: open, handle messages until it drops.
    async fn live_once(&self) -> Result<(), SyncError> {
        let platform = self.platform.as_ref().ok_or(SyncError::Offline)?;
        let session = self.store.session()?;
        let Some(token) = session.and_then(|s| s.token) else {
            return Err(SyncError::Unauthorized);
        };
        platform.set_token(Some(&token));
        let last = self
            .store
            .meta(meta::LAST_EVENT_ID)?
            .and_then(|v| v.parse::<u64>().ok());
        let mut stream = platform.live(last).await?;
        while let Some(message) = stream.next().await {
            self.on_live(message?).await?;
        }
        Ok(())
    }

    async fn on_live(&self, message: LiveMessage) -> Result<(), SyncError> {
        match message.topic {
            // (Re)connected or messages were missed: send what waits and catch up.
            StreamTopic::Ready | StreamTopic::Resync => {
                if let Err(e) = self.sync_with(false).await {
                    tracing::debug!(error = %e, "sync after (re)connecting failed");
                }
            }
            StreamTopic::Application | StreamTopic::Task | StreamTopic::Escalation => {
                if let Some(m) = &message.message {
                    let platform = self.platform.as_ref().ok_or(SyncError::Offline)?;
                    let signed = self.signed().map_err(|_| SyncError::Unauthorized)?;
                    let ctx = Ctx {
                        store: &self.store,
                        vault: &self.vault,
                        actor: &signed.actor,
                        now: self.now(),
                    };
                    platform.fetch_application(&ctx, &m.application_id).await?;
                    self.notifier.notify(Topic::Applications);
                    self.notifier.notify(Topic::Tasks);
                    self.notifier.notify(Topic::Documents);
                }
            }
        }
        if let Some(id) = message.id {
            self.store.set_meta(meta::LAST_EVENT_ID, &id.to_string())?;
        }
        Ok(())
    }
}
