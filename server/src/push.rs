//! Push notifications to phones. Owns the `PushGateway` trait and the FCM and APNs message
//! builders. A push is a content-free tickle ("something changed, please sync"): the phone then
//! syncs over the authenticated API.
//! Must never put personal data, amounts, names, states or application ids into a payload.

use serde_json::{Value, json};

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

/// The FCM HTTP v1 message for one device token: a data-only, high-priority tickle.
pub fn fcm_message(device_token: &str) -> Value {
    json!({
        "message": {
            "token": device_token,
            "data": { "t": "sync" },
            "android": { "priority": "high", "collapse_key": "huoshui_sync" }
        }
    })
}

/// An APNs request: the headers and the payload of a background tickle.
#[derive(Debug, Clone, PartialEq)]
pub struct ApnsMessage {
    pub headers: Vec<(&'static str, String)>,
    pub payload: Value,
}

/// The APNs background push for `topic` (the app's bundle id).
pub fn apns_message(topic: &str) -> ApnsMessage {
    ApnsMessage {
        headers: vec![
            ("apns-push-type", "background".to_owned()),
            ("apns-priority", "5".to_owned()),
            ("apns-topic", topic.to_owned()),
            ("apns-collapse-id", "huoshui_sync".to_owned()),
        ],
        payload: json!({ "aps": { "content-available": 1 }, "t": "sync" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_payloads_carry_nothing_but_a_tickle() {
        let fcm = fcm_message("device-token-abc");
        let data = &fcm["message"]["data"];
        assert_eq!(data.as_object().map(|o| o.len()), Some(1));
        assert_eq!(data["t"], "sync");
        assert!(
            fcm["message"].get("notification").is_none(),
            "no visible text in an FCM push"
        );
        let apns = apns_message("cn.huoshui.app");
        let keys: Vec<&String> = apns
            .payload
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 2);
        assert!(
            apns.payload["aps"].get("alert").is_none(),
            "no alert text in an APNs push"
        );
    }
}
