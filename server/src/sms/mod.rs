//! Text messages to phones: the `SmsSender` trait the login codes, the manager's fallback and
//! the administrators' alert go through, the development sender that sends nothing, and the
//! real providers behind the same trait: [`aliyun`] (Aliyun SMS, RPC `SendSms`, HMAC-SHA1
//! signature v1) and [`tencent`] (Tencent Cloud SMS `SendSms` 2021-01-11, TC3-HMAC-SHA256),
//! one template per message kind ([`Templates`]), retried with backoff on the provider's
//! 5xx and 429 ([`retry`]).
//! Must never log a phone number or a code, nor put one into an error.

pub mod aliyun;
pub mod retry;
pub mod tencent;

use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;

/// The provider's template for each kind of message (ids from the provider's console).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// Login code; its one parameter is the code (`code`).
    pub login_code: String,
    /// A manager's unopened task; its one parameter is the task's short reference (`task`).
    pub task_waiting: String,
    /// An administrator's escalation; its one parameter is the task's short reference (`task`).
    pub escalation: String,
    /// A villager's repayment reminder 3 days before a due date; its one parameter is the
    /// date (`date`). Optional: without it the reminders are not texted (the phone's own
    /// local reminders still fire).
    #[serde(default)]
    pub repayment_due: String,
}

impl Templates {
    /// The template id for `message`.
    pub fn for_message(&self, message: &SmsMessage) -> &str {
        match message {
            SmsMessage::LoginCode { .. } => &self.login_code,
            SmsMessage::TaskWaiting { .. } => &self.task_waiting,
            SmsMessage::Escalation { .. } => &self.escalation,
            SmsMessage::RepaymentDue { .. } => &self.repayment_due,
        }
    }

    /// Refuses a message whose kind has no template configured (before any request is made).
    pub fn check(&self, message: &SmsMessage) -> Result<(), SmsError> {
        if self.for_message(message).is_empty() {
            return Err(SmsError::Refused(format!(
                "no template configured for {}",
                message.kind()
            )));
        }
        Ok(())
    }
}

/// What a text message says; the provider renders it with its own template for the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsMessage {
    /// A one-time login code (6 digits).
    LoginCode { code: String },
    /// To a manager who has not opened a new task in time: the task's short reference.
    TaskWaiting { task_ref: String },
    /// To an administrator: a task escalated past the county's deadline.
    Escalation { task_ref: String },
    /// To a villager: a repayment falls due on `due_on` (`2027-02-28`; no amount, no name).
    RepaymentDue { due_on: String },
}

impl SmsMessage {
    /// A stable name of the kind, for logs and counters (never the content).
    pub fn kind(&self) -> &'static str {
        match self {
            SmsMessage::LoginCode { .. } => "login_code",
            SmsMessage::TaskWaiting { .. } => "task_waiting",
            SmsMessage::Escalation { .. } => "escalation",
            SmsMessage::RepaymentDue { .. } => "repayment_due",
        }
    }

    /// The template's one parameter: its name and value (`code` or `task`).
    pub fn parameter(&self) -> (&'static str, &str) {
        match self {
            SmsMessage::LoginCode { code } => ("code", code),
            SmsMessage::TaskWaiting { task_ref } | SmsMessage::Escalation { task_ref } => {
                ("task", task_ref)
            }
            SmsMessage::RepaymentDue { due_on } => ("date", due_on),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// Worth trying again later (network, the provider's 5xx or rate limit).
    #[error(
        "短信暂时发不出去，请稍后再试 / the text message could not be sent now, try again later: {0}"
    )]
    Retry(String),
    /// Trying again will not help (bad number, template or credentials).
    #[error("短信发送失败 / the text message was refused: {0}")]
    Refused(String),
}

/// A boxed future, so the trait stays object-safe.
pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

/// Sends text messages.
pub trait SmsSender: Send + Sync + 'static {
    fn send<'a>(&'a self, phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a>;
}

/// The sender used when no SMS provider is configured (development and demo): counts the
/// messages by kind and sends nothing.
#[derive(Debug, Default)]
pub struct LogSms {
    sent: std::sync::Mutex<Vec<&'static str>>,
}

impl LogSms {
    /// The kinds of the messages "sent" so far, in order.
    pub fn kinds(&self) -> Vec<&'static str> {
        match self.sent.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl SmsSender for LogSms {
    fn send<'a>(&'a self, _phone: &'a str, message: &'a SmsMessage) -> SmsFuture<'a> {
        let kind = message.kind();
        match self.sent.lock() {
            Ok(mut g) => g.push(kind),
            Err(p) => p.into_inner().push(kind),
        }
        tracing::debug!(
            kind,
            "text message (no SMS provider configured; nothing sent)"
        );
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_without_a_template_is_refused_before_any_request() {
        let t = Templates {
            login_code: "SMS_1".into(),
            task_waiting: "SMS_2".into(),
            escalation: "SMS_3".into(),
            repayment_due: String::new(),
        };
        let due = SmsMessage::RepaymentDue {
            due_on: "2027-02-28".into(),
        };
        assert!(matches!(t.check(&due), Err(SmsError::Refused(_))));
        assert_eq!(due.parameter(), ("date", "2027-02-28"));
        let code = SmsMessage::LoginCode {
            code: "123456".into(),
        };
        assert_eq!(t.check(&code), Ok(()));
    }
}
