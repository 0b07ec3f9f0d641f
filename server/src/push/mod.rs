//! Push notifications to phones (DESIGN §6, issue 10). Owns the `PushGateway` trait, what a
//! notice says on a phone ([`Message`]), the devices table ([`devices`]), the vendors' senders
//! (APNs, Huawei, Honor, Xiaomi, OPPO, vivo, FCM — each a thin signed HTTPS call behind the
//! [`sender::Sender`] trait), their configuration ([`config`]) and the dispatching gateway that
//! sends in the background ([`dispatch`]).
//! Must never put a name, phone number, amount or application state into a payload (a task
//! alert carries its fixed sentence and the task id, a tickle nothing), never log a device
//! token or a vendor secret, and never block the request that caused a push.

pub mod apns;
pub mod config;
pub mod devices;
pub mod dispatch;
pub mod fcm;
pub mod honor;
pub mod huawei;
pub mod jwt;
pub mod oppo;
pub mod sender;
pub mod token;
pub mod vivo;
pub mod xiaomi;

pub use config::{PushConfig, PushConfigError};
pub use dispatch::gateway_from_config;

/// What a push says. Carries ids only, never a name, phone number, amount or state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// To a manager: a new task (an alert: "您有一笔新的贷款申请，请在5分钟内回电").
    NewTask { task_id: String },
    /// To a manager: a task about to breach its first-contact deadline (an alert).
    TaskDueSoon { task_id: String },
    /// To an administrator: a task escalated past the county's deadline (an alert).
    Escalation { task_id: String },
    /// To anyone: something changed, please sync (silent / background).
    StatusTickle,
}

/// Delivers notices to a user's registered devices.
pub trait PushGateway: Send + Sync + 'static {
    /// Wakes every device of `user_id`. Failures are logged by the gateway, never returned:
    /// a push is best effort, the SSE stream and the next sync are the truth.
    fn tickle(&self, user_id: &str);

    /// Sends `notice` to every device of `user_id` (best effort, like [`PushGateway::tickle`]).
    /// The default treats every notice as a tickle.
    fn notify(&self, user_id: &str, notice: &Notice) {
        let _ = notice;
        self.tickle(user_id);
    }

    /// Sends `notice` to every device of `user_id`; the future finishes when the vendors have
    /// answered (the outbox of `crate::claims` marks the effect done after it). What must
    /// happen at once happens in this call, before the future is polled. The default hands
    /// the notice to [`PushGateway::notify`] here and finishes at once.
    fn deliver(
        &self,
        user_id: String,
        notice: Notice,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        self.notify(&user_id, &notice);
        Box::pin(std::future::ready(()))
    }

    /// Gives the gateway the platform's database and keys once they are open (the server
    /// calls this at start). A gateway that keeps no devices ignores it.
    fn attach(&self, db: &crate::db::Db, keys: &std::sync::Arc<crate::keys::ServerKeys>) {
        let _ = (db, keys);
    }
}

/// The gateway used when no push credentials are configured: counts tickles, sends nothing.
#[derive(Debug, Default)]
pub struct LogPushGateway {
    sent: std::sync::atomic::AtomicU64,
}

impl LogPushGateway {
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl PushGateway for LogPushGateway {
    fn tickle(&self, _user_id: &str) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!("push tickle (no gateway configured)");
    }
}

/// The sentence of a new task (the issue's wording; the minutes are the county's first-contact
/// deadline as the catalog ships it).
pub const NEW_TASK_TEXT: &str = "您有一笔新的贷款申请，请在5分钟内回电";
/// The sentence of a task about to breach its deadline.
pub const DUE_SOON_TEXT: &str = "您有一笔贷款申请即将超时，请尽快回电";
/// The sentence of an escalation to the administrators.
pub const ESCALATION_TEXT: &str = "有一笔贷款申请超时未联系，请及时处理";
/// The title of every alert.
pub const ALERT_TITLE: &str = "活水";

/// What one device is sent: a visible alert with a fixed sentence and the task id, or a silent
/// tickle. Built only from a [`Notice`], so nothing personal can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Alert {
        title: &'static str,
        body: &'static str,
        task_id: String,
    },
    Tickle,
}

impl Message {
    /// The message for a notice.
    pub fn for_notice(notice: &Notice) -> Message {
        let alert = |body: &'static str, task_id: &str| Message::Alert {
            title: ALERT_TITLE,
            body,
            task_id: task_id.to_owned(),
        };
        match notice {
            Notice::NewTask { task_id } => alert(NEW_TASK_TEXT, task_id),
            Notice::TaskDueSoon { task_id } => alert(DUE_SOON_TEXT, task_id),
            Notice::Escalation { task_id } => alert(ESCALATION_TEXT, task_id),
            Notice::StatusTickle => Message::Tickle,
        }
    }

    /// True for an alert (shown, high priority), false for a tickle (silent, normal priority).
    pub fn is_alert(&self) -> bool {
        matches!(self, Message::Alert { .. })
    }

    /// The app's own data fields: `t` (`task` or `sync`) and, for a task, its id.
    pub fn data(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        match self {
            Message::Alert { task_id, .. } => {
                m.insert("t".into(), "task".into());
                m.insert("task_id".into(), task_id.clone().into());
            }
            Message::Tickle => {
                m.insert("t".into(), "sync".into());
            }
        }
        m
    }

    /// The data fields as one JSON string (vendors that take the app's data as a string).
    pub fn data_string(&self) -> String {
        serde_json::Value::Object(self.data()).to_string()
    }

    /// The title and body (empty for a tickle).
    pub fn text(&self) -> (&'static str, &'static str) {
        match self {
            Message::Alert { title, body, .. } => (title, body),
            Message::Tickle => ("", ""),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_new_task_is_an_alert_with_the_fixed_sentence_and_the_task_id_only() {
        let m = Message::for_notice(&Notice::NewTask {
            task_id: "t-1".into(),
        });
        assert!(m.is_alert());
        assert_eq!(m.text(), (ALERT_TITLE, NEW_TASK_TEXT));
        assert_eq!(m.data_string(), r#"{"t":"task","task_id":"t-1"}"#);
        let t = Message::for_notice(&Notice::StatusTickle);
        assert!(!t.is_alert());
        assert_eq!(t.data_string(), r#"{"t":"sync"}"#);
    }
}
