//! Text messages to phones: the `SmsSender` trait the login codes, the manager's fallback and
//! the administrators' alert go through, and the development sender that sends nothing.
//! Real providers (Aliyun, Tencent Cloud) plug in behind the same trait, one template per
//! message kind.
//! Must never log a phone number or a code.

use std::future::Future;
use std::pin::Pin;

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
