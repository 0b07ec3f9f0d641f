//! The commands the outbox carries to the platform, and how each one goes on the wire.
//!
//! Owns the payload format of the outbox rows the sync client sends (`kind` column + JSON
//! payload), the request each one makes (path and a [`crate::wire`] body), and the lifecycle
//! command each one stands for, so the phone can show the effect before the platform confirms
//! it. It must never hold personal data beyond what the platform needs for the command, and
//! never choose an idempotency key (the store saves one when it enqueues).

use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::{ApplicationId, ApprovedOffer, Command, ContactOutcome};
use crate::store::{Store, StoreError};
use crate::wire::{self, path};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

/// One command for the platform, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboxCommand {
    /// Submit a new application (`POST /v1/applications`) under the phone's own id.
    Submit {
        /// The application id the phone chose for the draft (absent in rows written before
        /// the phone chose ids: the platform then picks one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        product_id: String,
        amount_fen: i64,
        months: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        industry: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
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
    /// Upload one document from the vault (`POST …/{id}/documents`, then its chunks).
    UploadDocument {
        application_id: String,
        document_id: String,
    },
    /// Manager: the first call (`POST …/{id}/contact`).
    LogContact {
        application_id: String,
        #[serde(default)]
        outcome: ContactOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Manager: open the file (`POST …/{id}/start-review`).
    StartReview { application_id: String },
    /// Manager: ask for documents (`POST …/{id}/request-documents`).
    RequestDocuments {
        application_id: String,
        kinds: Vec<DocumentKind>,
        #[serde(default)]
        note: String,
    },
    /// Manager: approve with an offer (`POST …/{id}/approve`).
    Approve {
        application_id: String,
        amount_fen: i64,
        months: u32,
        annual_rate_ppm: i64,
    },
    /// Manager: reject with a reason (`POST …/{id}/reject`).
    Reject {
        application_id: String,
        reason: String,
    },
    /// Manager: record the disbursement (`POST …/{id}/disburse`).
    Disburse {
        application_id: String,
        amount_fen: i64,
    },
    /// Manager: the task was shown on the assigned manager's phone (`POST …/{id}/opened`), so
    /// the platform's escalation ladder does not text them. Changes no state; a refusal is
    /// dropped rather than shown (it is a hint to the platform, not the user's action).
    OpenTask { application_id: String },
}

/// Every kind code this client sends.
const KINDS: [&str; 12] = [
    "submit",
    "withdraw",
    "accept_offer",
    "provide_documents",
    "upload_document",
    "log_contact",
    "start_review",
    "request_documents",
    "approve",
    "reject",
    "disburse",
    "open_task",
];

/// How a command goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// Path under the base URL, e.g. `/v1/applications`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<serde_json::Value>,
}

fn body<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

impl OutboxCommand {
    /// The outbox `kind` code.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxCommand::Submit { .. } => "submit",
            OutboxCommand::Withdraw { .. } => "withdraw",
            OutboxCommand::AcceptOffer { .. } => "accept_offer",
            OutboxCommand::ProvideDocuments { .. } => "provide_documents",
            OutboxCommand::UploadDocument { .. } => "upload_document",
            OutboxCommand::LogContact { .. } => "log_contact",
            OutboxCommand::StartReview { .. } => "start_review",
            OutboxCommand::RequestDocuments { .. } => "request_documents",
            OutboxCommand::Approve { .. } => "approve",
            OutboxCommand::Reject { .. } => "reject",
            OutboxCommand::Disburse { .. } => "disburse",
            OutboxCommand::OpenTask { .. } => "open_task",
        }
    }

    /// Whether `kind` is one of the outbox kinds this client sends.
    pub fn is_kind(kind: &str) -> bool {
        KINDS.contains(&kind)
    }

    /// Reads a command back from an outbox row; `None` when the row is not one of ours.
    pub fn from_row(kind: &str, payload_json: &str) -> Option<OutboxCommand> {
        let cmd: OutboxCommand = serde_json::from_str(payload_json).ok()?;
        (cmd.kind() == kind).then_some(cmd)
    }

    fn payload(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Invalid(format!("outbox command: {e}")))
    }

    /// Enqueues the command in the store's outbox, due at once; answers the row id and the
    /// idempotency key saved with it.
    pub fn enqueue(
        &self,
        store: &Store,
        now: jiff::Timestamp,
    ) -> Result<(i64, uuid::Uuid), StoreError> {
        store.enqueue_command(self.kind(), &self.payload()?, now)
    }

    /// [`OutboxCommand::enqueue`] inside a caller's transaction (a user action's local events
    /// and its command commit together).
    pub fn enqueue_in(
        &self,
        store: &Store,
        tx: &Transaction<'_>,
        now: jiff::Timestamp,
    ) -> Result<(i64, uuid::Uuid), StoreError> {
        store.enqueue_in(tx, self.kind(), &self.payload()?, now)
    }

    /// The application a command acts on (`None` for a submission without a phone id).
    pub fn application_id(&self) -> Option<&str> {
        match self {
            OutboxCommand::Submit { id, .. } => id.as_deref(),
            OutboxCommand::Withdraw { application_id, .. }
            | OutboxCommand::AcceptOffer { application_id }
            | OutboxCommand::ProvideDocuments { application_id }
            | OutboxCommand::UploadDocument { application_id, .. }
            | OutboxCommand::LogContact { application_id, .. }
            | OutboxCommand::StartReview { application_id }
            | OutboxCommand::RequestDocuments { application_id, .. }
            | OutboxCommand::Approve { application_id, .. }
            | OutboxCommand::Reject { application_id, .. }
            | OutboxCommand::Disburse { application_id, .. }
            | OutboxCommand::OpenTask { application_id } => Some(application_id),
        }
    }

    /// The lifecycle command this stands for (what the phone shows before the platform
    /// confirms it); `None` for an upload or an opened task, which change no state.
    pub fn lifecycle(&self) -> Option<Command> {
        Some(match self {
            OutboxCommand::Submit { .. } => Command::Submit,
            OutboxCommand::Withdraw { reason, .. } => Command::Withdraw {
                reason: reason.clone(),
            },
            OutboxCommand::AcceptOffer { .. } => Command::AcceptOffer,
            OutboxCommand::ProvideDocuments { .. } => Command::ProvideDocuments,
            OutboxCommand::UploadDocument { .. } | OutboxCommand::OpenTask { .. } => return None,
            OutboxCommand::LogContact { outcome, note, .. } => Command::LogContact {
                note: note.clone(),
                outcome: *outcome,
            },
            OutboxCommand::StartReview { .. } => Command::StartReview,
            OutboxCommand::RequestDocuments { kinds, note, .. } => Command::RequestDocuments {
                kinds: kinds.clone(),
                note: note.clone(),
            },
            OutboxCommand::Approve {
                amount_fen,
                months,
                annual_rate_ppm,
                ..
            } => Command::Approve {
                offer: ApprovedOffer {
                    amount: *amount_fen,
                    months: *months,
                    annual_rate_ppm: *annual_rate_ppm,
                },
            },
            OutboxCommand::Reject { reason, .. } => Command::Reject {
                reason: reason.clone(),
            },
            OutboxCommand::Disburse { amount_fen, .. } => Command::Disburse {
                amount: *amount_fen,
            },
        })
    }

    /// What the user did, in words for a "needs your attention" line.
    pub fn action_words(&self) -> (&'static str, &'static str) {
        match self {
            OutboxCommand::Submit { .. } => ("提交申请", "submitting the application"),
            OutboxCommand::Withdraw { .. } => ("撤回申请", "withdrawing the application"),
            OutboxCommand::AcceptOffer { .. } => ("接受方案", "accepting the offer"),
            OutboxCommand::ProvideDocuments { .. } => ("补充材料", "providing the documents"),
            OutboxCommand::UploadDocument { .. } => ("上传材料", "uploading a document"),
            OutboxCommand::LogContact { .. } => ("记录联系", "recording the call"),
            OutboxCommand::StartReview { .. } => ("开始审核", "starting the review"),
            OutboxCommand::RequestDocuments { .. } => ("要求补充材料", "asking for documents"),
            OutboxCommand::Approve { .. } => ("批准", "approving"),
            OutboxCommand::Reject { .. } => ("拒绝", "rejecting"),
            OutboxCommand::Disburse { .. } => ("登记放款", "recording the disbursement"),
            OutboxCommand::OpenTask { .. } => ("打开任务", "opening the task"),
        }
    }

    /// The HTTP request of a one-request command; `None` for an upload (a conversation of its
    /// own) or when the payload cannot make a valid request (a bad id).
    pub(crate) fn request(&self) -> Option<Request> {
        let on = |id: &str, action: &str| -> Option<String> {
            let id = ApplicationId::parse(id).ok()?;
            Some(path::application_action(id.as_str(), action))
        };
        let (path, body) = match self {
            OutboxCommand::Submit {
                id,
                product_id,
                amount_fen,
                months,
                industry,
                purpose,
            } => {
                if let Some(id) = id {
                    ApplicationId::parse(id).ok()?;
                }
                let req = wire::SubmitRequest {
                    product_id: product_id.clone(),
                    amount_fen: *amount_fen,
                    months: *months,
                    id: id.clone(),
                    industry: industry.clone(),
                    purpose: purpose.clone(),
                };
                (path::APPLICATIONS.to_owned(), body(&req))
            }
            OutboxCommand::Withdraw {
                application_id,
                reason,
            } => (
                on(application_id, "withdraw")?,
                body(&wire::WithdrawRequest {
                    reason: reason.clone(),
                }),
            ),
            OutboxCommand::AcceptOffer { application_id } => (on(application_id, "accept")?, None),
            OutboxCommand::ProvideDocuments { application_id } => {
                (on(application_id, "provide-documents")?, None)
            }
            OutboxCommand::UploadDocument { .. } => return None,
            OutboxCommand::LogContact {
                application_id,
                outcome,
                note,
            } => (
                on(application_id, "contact")?,
                body(&wire::ContactRequest {
                    note: note.clone(),
                    outcome: *outcome,
                }),
            ),
            OutboxCommand::StartReview { application_id } => {
                (on(application_id, "start-review")?, None)
            }
            OutboxCommand::RequestDocuments {
                application_id,
                kinds,
                note,
            } => (
                on(application_id, "request-documents")?,
                body(&wire::RequestDocumentsRequest {
                    kinds: kinds.clone(),
                    note: note.clone(),
                }),
            ),
            OutboxCommand::Approve {
                application_id,
                amount_fen,
                months,
                annual_rate_ppm,
            } => (
                on(application_id, "approve")?,
                body(&wire::ApproveRequest {
                    amount_fen: *amount_fen,
                    months: *months,
                    annual_rate_ppm: *annual_rate_ppm,
                }),
            ),
            OutboxCommand::Reject {
                application_id,
                reason,
            } => (
                on(application_id, "reject")?,
                body(&wire::RejectRequest {
                    reason: reason.clone(),
                }),
            ),
            OutboxCommand::Disburse {
                application_id,
                amount_fen,
            } => (
                on(application_id, "disburse")?,
                body(&wire::DisburseRequest {
                    amount_fen: *amount_fen,
                }),
            ),
            OutboxCommand::OpenTask { application_id } => (on(application_id, "opened")?, None),
        };
        Some(Request { path, body })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const ID: &str = "0192f5a0-0000-7000-8000-000000000001";

    fn all() -> Vec<OutboxCommand> {
        let id = ID.to_owned();
        vec![
            OutboxCommand::Submit {
                id: Some(id.clone()),
                product_id: "p".into(),
                amount_fen: 1,
                months: 1,
                industry: None,
                purpose: None,
            },
            OutboxCommand::Withdraw {
                application_id: id.clone(),
                reason: Some("r".into()),
            },
            OutboxCommand::AcceptOffer {
                application_id: id.clone(),
            },
            OutboxCommand::ProvideDocuments {
                application_id: id.clone(),
            },
            OutboxCommand::UploadDocument {
                application_id: id.clone(),
                document_id: "d".into(),
            },
            OutboxCommand::LogContact {
                application_id: id.clone(),
                outcome: ContactOutcome::NoAnswer,
                note: None,
            },
            OutboxCommand::StartReview {
                application_id: id.clone(),
            },
            OutboxCommand::RequestDocuments {
                application_id: id.clone(),
                kinds: vec![DocumentKind::IdCardFront],
                note: String::new(),
            },
            OutboxCommand::Approve {
                application_id: id.clone(),
                amount_fen: 1,
                months: 12,
                annual_rate_ppm: 40_000,
            },
            OutboxCommand::Reject {
                application_id: id.clone(),
                reason: "r".into(),
            },
            OutboxCommand::Disburse {
                application_id: id.clone(),
                amount_fen: 1,
            },
            OutboxCommand::OpenTask { application_id: id },
        ]
    }

    #[test]
    fn a_command_reads_back_only_under_its_own_kind() {
        let cmd = OutboxCommand::Withdraw {
            application_id: ID.into(),
            reason: None,
        };
        let json = serde_json::to_string(&cmd).unwrap();
        assert_eq!(OutboxCommand::from_row("withdraw", &json), Some(cmd));
        assert_eq!(OutboxCommand::from_row("submit", &json), None);
        assert_eq!(OutboxCommand::from_row("withdraw", "{\"seed\":1}"), None);
        assert!(!OutboxCommand::is_kind("upload_chunk"));
    }

    #[test]
    fn every_command_kind_is_one_the_client_sends_and_names_its_application() {
        let cmds = all();
        assert_eq!(cmds.len(), KINDS.len(), "one example per kind");
        for cmd in cmds {
            assert!(OutboxCommand::is_kind(cmd.kind()), "{}", cmd.kind());
            assert_eq!(cmd.application_id(), Some(ID), "{}", cmd.kind());
            let json = serde_json::to_string(&cmd).unwrap();
            assert_eq!(
                OutboxCommand::from_row(cmd.kind(), &json),
                Some(cmd.clone())
            );
            match &cmd {
                OutboxCommand::UploadDocument { .. } => {
                    assert!(cmd.request().is_none());
                    assert!(cmd.lifecycle().is_none());
                }
                OutboxCommand::OpenTask { .. } => {
                    let req = cmd.request().unwrap();
                    assert_eq!(req.path, format!("/v1/applications/{ID}/opened"));
                    assert!(req.body.is_none());
                    assert!(cmd.lifecycle().is_none(), "opening changes no state");
                }
                _ => {
                    let req = cmd.request().unwrap();
                    assert!(req.path.starts_with("/v1/applications"), "{}", req.path);
                    assert!(cmd.lifecycle().is_some(), "{}", cmd.kind());
                }
            }
        }
    }

    #[test]
    fn a_submission_written_before_phone_ids_still_reads() {
        let old = r#"{"kind":"submit","product_id":"p","amount_fen":5,"months":6}"#;
        let cmd = OutboxCommand::from_row("submit", old).unwrap();
        assert_eq!(cmd.application_id(), None);
        let req = cmd.request().unwrap();
        assert_eq!(req.body.unwrap()["amount_fen"], 5);
    }

    #[test]
    fn a_command_on_a_malformed_application_id_has_no_request() {
        let cmd = OutboxCommand::AcceptOffer {
            application_id: "../admin".into(),
        };
        assert_eq!(cmd.request(), None);
    }
}
