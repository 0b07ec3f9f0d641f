//! The dispatching gateway: looks up a user's devices and sends each its message through its
//! vendor's sender, in a background task (the request that caused the push never waits), with
//! the bounded retries of [`super::sender::deliver`]; a token a vendor reports invalid is
//! dropped from the devices table. Owns [`gateway_from_config`].
//! Must never log a token or the user's personal data (only vendor names and counts).

use super::config::{PushConfig, PushConfigError, RetryConfig};
use super::sender::{Outcome, Sender, deliver};
use super::{LogPushGateway, Message, Notice, PushGateway, devices};
use crate::db::Db;
use crate::keys::ServerKeys;
use huoshui_core::wire::PushVendor;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

struct Inner {
    senders: HashMap<PushVendor, Arc<dyn Sender>>,
    retry: RetryConfig,
    store: OnceLock<(Db, Arc<ServerKeys>)>,
    counts: Counters,
}

/// Sends notices to the registered devices through the configured vendors. Cheap to clone.
#[derive(Clone)]
pub struct DispatchGateway {
    inner: Arc<Inner>,
}

impl DispatchGateway {
    /// A gateway over these senders (one per vendor; a later one replaces an earlier one).
    pub fn new(senders: Vec<Arc<dyn Sender>>, retry: RetryConfig) -> DispatchGateway {
        DispatchGateway {
            inner: Arc::new(Inner {
                senders: senders.into_iter().map(|s| (s.vendor(), s)).collect(),
                retry,
                store: OnceLock::new(),
                counts: Counters::default(),
            }),
        }
    }

    /// Messages a vendor accepted.
    pub fn sent(&self) -> u64 {
        self.inner.counts.sent.load(Ordering::Relaxed)
    }

    /// Tokens dropped because their vendor said they are invalid.
    pub fn dropped(&self) -> u64 {
        self.inner.counts.dropped.load(Ordering::Relaxed)
    }

    /// Sends that gave up (after retries, or refused for good).
    pub fn failed(&self) -> u64 {
        self.inner.counts.failed.load(Ordering::Relaxed)
    }

    /// Sends `msg` to every device of `user_id` and waits for the outcome (the gateway calls
    /// this in the background).
    pub async fn send_now(&self, user_id: &str, msg: Message) {
        let Some((db, keys)) = self.inner.store.get().cloned() else {
            tracing::warn!("push gateway not attached to the database; nothing sent");
            return;
        };
        let user = user_id.to_owned();
        let found = db
            .read(move |conn| devices::of_user(conn, &keys, &user))
            .await;
        let list = match found {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(code = e.code, "push: devices could not be read");
                return;
            }
        };
        let mut tasks = Vec::new();
        for device in list {
            let Some(sender) = self.inner.senders.get(&device.vendor).cloned() else {
                continue;
            };
            if !msg.is_alert() && !sender.carries_tickles() {
                continue;
            }
            let (me, msg, db) = (self.clone(), msg.clone(), db.clone());
            tasks.push(tokio::spawn(async move {
                me.one(sender.as_ref(), &device, &msg, &db).await;
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    async fn one(&self, sender: &dyn Sender, device: &devices::Device, msg: &Message, db: &Db) {
        let vendor = device.vendor.code();
        let counts = &self.inner.counts;
        match deliver(
            sender,
            device.token.expose(),
            device.app,
            msg,
            &self.inner.retry,
        )
        .await
        {
            Outcome::Sent => {
                counts.sent.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::InvalidToken => {
                let mac = device.mac.clone();
                match db.write(move |conn| devices::drop_token(conn, &mac)).await {
                    Ok(()) => {
                        counts.dropped.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(vendor, "push token reported invalid; dropped");
                    }
                    Err(e) => tracing::error!(vendor, code = e.code, "push token not dropped"),
                }
            }
            Outcome::GiveUp(reason) => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(vendor, reason, "push not delivered");
            }
            Outcome::Retry { .. } => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl PushGateway for DispatchGateway {
    fn tickle(&self, user_id: &str) {
        self.notify(user_id, &Notice::StatusTickle);
    }

    fn notify(&self, user_id: &str, notice: &Notice) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("push outside the runtime; nothing sent");
            return;
        };
        let (me, user, msg) = (
            self.clone(),
            user_id.to_owned(),
            Message::for_notice(notice),
        );
        runtime.spawn(async move { me.send_now(&user, msg).await });
    }

    fn deliver(
        &self,
        user_id: String,
        notice: Notice,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        let me = self.clone();
        Box::pin(async move { me.send_now(&user_id, Message::for_notice(&notice)).await })
    }

    fn attach(&self, db: &Db, keys: &Arc<ServerKeys>) {
        let _ = self.inner.store.set((db.clone(), keys.clone()));
    }
}

/// The senders of every configured vendor (their secret files read now).
pub fn senders_from_config(c: &PushConfig) -> Result<Vec<Arc<dyn Sender>>, PushConfigError> {
    let timeout = Duration::from_secs(c.timeout_seconds.unwrap_or(15).clamp(1, 120));
    let mut out: Vec<Arc<dyn Sender>> = Vec::new();
    if let Some(s) = &c.apns {
        out.push(Arc::new(super::apns::Apns::new(s, timeout)?));
    }
    if let Some(s) = &c.huawei {
        out.push(Arc::new(super::huawei::Huawei::new(s, timeout)?));
    }
    if let Some(s) = &c.honor {
        out.push(Arc::new(super::honor::Honor::new(s, timeout)?));
    }
    if let Some(s) = &c.xiaomi {
        out.push(Arc::new(super::xiaomi::Xiaomi::new(s, timeout)?));
    }
    if let Some(s) = &c.oppo {
        out.push(Arc::new(super::oppo::Oppo::new(s, timeout)?));
    }
    if let Some(s) = &c.vivo {
        out.push(Arc::new(super::vivo::Vivo::new(s, timeout)?));
    }
    if let Some(s) = &c.fcm {
        out.push(Arc::new(super::fcm::Fcm::new(s, timeout)?));
    }
    Ok(out)
}

/// The gateway for a `[push]` configuration: the counting [`LogPushGateway`] when no vendor is
/// configured, else a [`DispatchGateway`] over the configured vendors. The server attaches it
/// to its database at start ([`PushGateway::attach`]).
pub fn gateway_from_config(c: &PushConfig) -> Result<Arc<dyn PushGateway>, PushConfigError> {
    if c.is_empty() {
        return Ok(Arc::new(LogPushGateway::default()));
    }
    Ok(Arc::new(DispatchGateway::new(
        senders_from_config(c)?,
        c.retry.clone(),
    )))
}
