//! The commands the outbox carries to the platform, and how each one goes on the wire.
//!
//! Owns the payload format of the outbox rows the sync client sends (`kind` column + JSON
//! payload). It must never hold personal data beyond what the platform needs for the command,
//! and never choose an idempotency key (the store saves one when it enqueues).

use crate::domain::lifecycle::ApplicationId;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// One command for the platform, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboxCommand {
    /// Submit a new application (`POST /v1/applications`).
    Submit {
        product_id: String,
        amount_fen: i64,
        months: u32,
    },
    /// Withdraw an application (`POST /v1/applications/{id}/withdraw`).
    Withdraw {
        application_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Accept the bank's offer (`POST /v1/applications/{id}/accept`).
    AcceptOffer { application_id: String },
    /// Tell the bank the requested papers are provided (`POST …/{id}/provide-documents`).
    ProvideDocuments { application_id: String },
}

/// How a command goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// Path under the base URL, e.g. `/v1/applications`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<serde_json::Value>,
}

impl OutboxCommand {
    /// The outbox `kind` code.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxCommand::Submit { .. } => "submit",
            OutboxCommand::Withdraw { .. } => "withdraw",
            OutboxCommand::AcceptOffer { .. } => "accept_offer",
            OutboxCommand::ProvideDocuments { .. } => "provide_documents",
        }
    }

    /// Whether `kind` is one of the outbox kinds this client sends.
    pub fn is_kind(kind: &str) -> bool {
        matches!(
            kind,
            "submit" | "withdraw" | "accept_offer" | "provide_documents"
        )
    }

    /// Reads a command back from an outbox row; `None` when the row is not one of ours.
    pub fn from_row(kind: &str, payload_json: &str) -> Option<OutboxCommand> {
        let cmd: OutboxCommand = serde_json::from_str(payload_json).ok()?;
        (cmd.kind() == kind).then_some(cmd)
    }

    /// Enqueues the command in the store's outbox, due at once; answers the row id and the
    /// idempotency key saved with it.
    pub fn enqueue(
        &self,
        store: &Store,
        now: jiff::Timestamp,
    ) -> Result<(i64, uuid::Uuid), StoreError> {
        let payload = serde_json::to_string(self)
            .map_err(|e| StoreError::Invalid(format!("outbox command: {e}")))?;
        store.enqueue_command(self.kind(), &payload, now)
    }

    /// The application a command acts on (`None` for a submission).
    pub fn application_id(&self) -> Option<&str> {
        match self {
            OutboxCommand::Submit { .. } => None,
            OutboxCommand::Withdraw { application_id, .. }
            | OutboxCommand::AcceptOffer { application_id }
            | OutboxCommand::ProvideDocuments { application_id } => Some(application_id),
        }
    }

    /// The HTTP request; `None` when the payload cannot make a valid one (a bad id).
    pub(crate) fn request(&self) -> Option<Request> {
        let on = |id: &str, action: &str| -> Option<String> {
            let id = ApplicationId::parse(id).ok()?;
            Some(format!("/v1/applications/{}/{action}", id.as_str()))
        };
        match self {
            OutboxCommand::Submit {
                product_id,
                amount_fen,
                months,
            } => Some(Request {
                path: "/v1/applications".into(),
                body: Some(serde_json::json!({
                    "product_id": product_id,
                    "amount_fen": amount_fen,
                    "months": months,
                })),
            }),
            OutboxCommand::Withdraw {
                application_id,
                reason,
            } => Some(Request {
                path: on(application_id, "withdraw")?,
                body: Some(match reason {
                    Some(r) => serde_json::json!({ "reason": r }),
                    None => serde_json::json!({}),
                }),
            }),
            OutboxCommand::AcceptOffer { application_id } => Some(Request {
                path: on(application_id, "accept")?,
                body: None,
            }),
            OutboxCommand::ProvideDocuments { application_id } => Some(Request {
                path: on(application_id, "provide-documents")?,
                body: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_reads_back_only_under_its_own_kind() {
        let cmd = OutboxCommand::Withdraw {
            application_id: "0192f5a0-0000-7000-8000-000000000001".into(),
            reason: None,
        };
        let json = serde_json::to_string(&cmd).unwrap_or_default();
        assert_eq!(OutboxCommand::from_row("withdraw", &json), Some(cmd));
        assert_eq!(OutboxCommand::from_row("submit", &json), None);
        assert_eq!(OutboxCommand::from_row("withdraw", "{\"seed\":1}"), None);
        assert!(!OutboxCommand::is_kind("upload_chunk"));
    }

    #[test]
    fn every_command_kind_is_one_the_client_sends() {
        let id = "0192f5a0-0000-7000-8000-000000000001".to_owned();
        let all = [
            OutboxCommand::Submit {
                product_id: "p".into(),
                amount_fen: 1,
                months: 1,
            },
            OutboxCommand::Withdraw {
                application_id: id.clone(),
                reason: Some("r".into()),
            },
            OutboxCommand::AcceptOffer {
                application_id: id.clone(),
            },
            OutboxCommand::ProvideDocuments { application_id: id },
        ];
        for cmd in all {
            assert!(OutboxCommand::is_kind(cmd.kind()), "{}", cmd.kind());
            assert!(cmd.request().is_some(), "{}", cmd.kind());
        }
    }

    #[test]
    fn a_command_on_a_malformed_application_id_has_no_request() {
        let cmd = OutboxCommand::AcceptOffer {
            application_id: "../admin".into(),
        };
        assert_eq!(cmd.request(), None);
    }
}
