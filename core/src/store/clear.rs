//! Which rows the store may keep readable without the install key: the one place that decides.
//!
//! Owns the classification of every outbox command kind and every timeline event type as
//! clear (only ids, codes, amounts, terms and times: nothing that names or reaches a person)
//! or sealed (free text someone typed, which may hold a name or a phone number, or personal
//! data). Clear rows survive a lost install key ([`super::reset`]); sealed rows do not. It must
//! never call clear a kind that carries free text or personal data, and never guess: a kind it
//! does not know is sealed.

/// How a row's payload is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keeping {
    /// Readable without the install key: survives a lost key.
    Clear,
    /// Sealed with the install key: lost with it.
    Sealed,
}

/// How an outbox command of `kind` is kept; `None` for a kind this code does not know (kept
/// sealed by [`Store::enqueue_in`](super::Store::enqueue_in)).
pub fn command_keeping(kind: &str) -> Option<Keeping> {
    Some(match kind {
        // Ids, product and town codes, amounts in fen, terms, rates, document kinds.
        "submit" | "accept_offer" | "provide_documents" | "upload_document" | "start_review"
        | "approve" | "disburse" | "open_task" => Keeping::Clear,
        // A reason or a note typed by someone: may name a person or carry a phone number.
        "withdraw" | "log_contact" | "request_documents" | "reject" => Keeping::Sealed,
        _ => return None,
    })
}

/// How a timeline event of `event_type` (the event JSON's `type`) is kept; `None` for a type
/// this code does not know (kept sealed).
pub fn event_keeping(event_type: &str) -> Option<Keeping> {
    Some(match event_type {
        // The villager's user id, product, amount, term, town code; or nothing at all.
        "created" | "submitted" | "review_started" | "documents_provided" | "offer_accepted"
        | "approved" | "disbursed" | "repaid" | "repayment_recorded" | "overdue_changed" => {
            Keeping::Clear
        }
        // Notes and reasons (free text); a manager's or administrator's id routed to it.
        "contacted"
        | "documents_requested"
        | "rejected"
        | "withdrawn"
        | "escalated"
        | "escalation_acknowledged"
        | "assigned"
        | "reassigned" => Keeping::Sealed,
        _ => return None,
    })
}

/// Whether an outbox command is stored clear: its kind is clear and its payload is exactly
/// that command (no other field can ride along).
pub(crate) fn command_is_clear(kind: &str, payload_json: &str) -> bool {
    command_keeping(kind) == Some(Keeping::Clear)
        && crate::sync::OutboxCommand::from_row(kind, payload_json).is_some()
}

/// Whether the event `event_json` is stored clear: it is a timeline event and its type is
/// known and clear.
pub(crate) fn event_is_clear(event_json: &str) -> bool {
    serde_json::from_str::<crate::domain::lifecycle::Event>(event_json)
        .is_ok_and(|e| event_keeping(e.kind.name()) == Some(Keeping::Clear))
}

/// The only fields a clear draft payload may have: codes chosen from the catalog's lists.
const DRAFT_FIELDS: [&str; 2] = ["industry", "purpose"];

/// Whether a draft's payload is stored clear: a JSON object of [`DRAFT_FIELDS`] only, each a
/// code or null. Anything else (a typed note, a name) is sealed.
pub(crate) fn draft_is_clear(payload_json: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(payload_json) else {
        return false;
    };
    map.iter().all(|(k, v)| {
        DRAFT_FIELDS.contains(&k.as_str())
            && match v {
                serde_json::Value::Null => true,
                serde_json::Value::String(code) => code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                _ => false,
            }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::domain::documents::DocumentKind;
    use crate::domain::lifecycle::{ApprovedOffer, ContactOutcome, EventKind};
    use crate::sync::OutboxCommand;

    /// One command of every kind. The match has no wildcard: a new kind does not compile
    /// until it is listed here, and the test then fails until [`command_keeping`] knows it.
    fn every_command() -> Vec<OutboxCommand> {
        let id = || "a1".to_owned();
        let all = vec![
            OutboxCommand::Submit {
                id: Some(id()),
                product_id: "p".into(),
                amount_fen: 1,
                months: 1,
                industry: None,
                purpose: None,
            },
            OutboxCommand::Withdraw {
                application_id: id(),
                reason: None,
            },
            OutboxCommand::AcceptOffer {
                application_id: id(),
            },
            OutboxCommand::ProvideDocuments {
                application_id: id(),
            },
            OutboxCommand::UploadDocument {
                application_id: id(),
                document_id: "d".into(),
            },
            OutboxCommand::LogContact {
                application_id: id(),
                outcome: ContactOutcome::default(),
                note: None,
            },
            OutboxCommand::StartReview {
                application_id: id(),
            },
            OutboxCommand::RequestDocuments {
                application_id: id(),
                kinds: vec![DocumentKind::Other],
                note: String::new(),
            },
            OutboxCommand::Approve {
                application_id: id(),
                amount_fen: 1,
                months: 1,
                annual_rate_ppm: 1,
            },
            OutboxCommand::Reject {
                application_id: id(),
                reason: String::new(),
            },
            OutboxCommand::Disburse {
                application_id: id(),
                amount_fen: 1,
            },
            OutboxCommand::OpenTask {
                application_id: id(),
            },
        ];
        for c in &all {
            match c {
                OutboxCommand::Submit { .. }
                | OutboxCommand::Withdraw { .. }
                | OutboxCommand::AcceptOffer { .. }
                | OutboxCommand::ProvideDocuments { .. }
                | OutboxCommand::UploadDocument { .. }
                | OutboxCommand::LogContact { .. }
                | OutboxCommand::StartReview { .. }
                | OutboxCommand::RequestDocuments { .. }
                | OutboxCommand::Approve { .. }
                | OutboxCommand::Reject { .. }
                | OutboxCommand::Disburse { .. }
                | OutboxCommand::OpenTask { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_command_kind_is_classified_and_only_those_without_free_text_are_clear() {
        let kinds: Vec<&str> = every_command().iter().map(OutboxCommand::kind).collect();
        assert_eq!(kinds.len(), 12);
        for kind in &kinds {
            assert!(OutboxCommand::is_kind(kind), "{kind}");
            assert!(command_keeping(kind).is_some(), "{kind} is not classified");
        }
        let sealed: Vec<&str> = every_command()
            .iter()
            .filter(|c| !command_is_clear(c.kind(), &serde_json::to_string(c).unwrap()))
            .map(OutboxCommand::kind)
            .collect();
        assert_eq!(
            sealed,
            vec!["withdraw", "log_contact", "request_documents", "reject"]
        );
        assert_eq!(command_keeping("send_sms"), None);
        assert!(
            !command_is_clear("send_sms", "{}"),
            "an unknown kind is sealed"
        );
        let smuggled =
            r#"{"kind":"submit","product_id":"p","amount_fen":1,"months":1,"phone":"13800000001"}"#;
        assert!(
            !command_is_clear("submit", smuggled),
            "a field that is not the command's is sealed"
        );
    }

    /// One event of every type; the match has no wildcard (see [`every_command`]).
    fn every_event() -> Vec<EventKind> {
        let date = jiff::civil::date(2026, 11, 30);
        let all = vec![
            EventKind::Created {
                villager_id: "v001".into(),
                product_id: "p".into(),
                amount: 1,
                months: 1,
                town: "t".into(),
            },
            EventKind::Submitted,
            EventKind::Assigned {
                manager_id: "m".into(),
                bank_id: "b".into(),
            },
            EventKind::Contacted {
                note: None,
                outcome: ContactOutcome::default(),
            },
            EventKind::ReviewStarted,
            EventKind::DocumentsRequested {
                kinds: Vec::new(),
                note: String::new(),
            },
            EventKind::DocumentsProvided,
            EventKind::Approved {
                offer: ApprovedOffer {
                    amount: 1,
                    months: 1,
                    annual_rate_ppm: 1,
                },
            },
            EventKind::OfferAccepted,
            EventKind::Rejected {
                reason: String::new(),
            },
            EventKind::Disbursed { amount: 1 },
            EventKind::Repaid,
            EventKind::Withdrawn { reason: None },
            EventKind::Escalated {
                to: "a".into(),
                minutes_late: 1,
            },
            EventKind::EscalationAcknowledged { note: None },
            EventKind::Reassigned {
                from: "m1".into(),
                to: "m2".into(),
            },
            EventKind::RepaymentRecorded {
                on: date,
                amount: 1,
            },
            EventKind::OverdueChanged {
                on: date,
                stage: None,
                days_late: 0,
            },
        ];
        for e in &all {
            match e {
                EventKind::Created { .. }
                | EventKind::Submitted
                | EventKind::Assigned { .. }
                | EventKind::Contacted { .. }
                | EventKind::ReviewStarted
                | EventKind::DocumentsRequested { .. }
                | EventKind::DocumentsProvided
                | EventKind::Approved { .. }
                | EventKind::OfferAccepted
                | EventKind::Rejected { .. }
                | EventKind::Disbursed { .. }
                | EventKind::Repaid
                | EventKind::Withdrawn { .. }
                | EventKind::Escalated { .. }
                | EventKind::EscalationAcknowledged { .. }
                | EventKind::Reassigned { .. }
                | EventKind::RepaymentRecorded { .. }
                | EventKind::OverdueChanged { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_event_type_is_classified_and_notes_and_reasons_stay_sealed() {
        for kind in every_event() {
            assert!(
                event_keeping(kind.name()).is_some(),
                "{} is not classified",
                kind.name()
            );
            let json = serde_json::json!({
                "seq": 1,
                "at": "2026-11-30T02:00:00Z",
                "actor": {"role": "villager", "id": "v001"},
                "kind": kind,
            })
            .to_string();
            let clear = event_is_clear(&json);
            assert_eq!(
                clear,
                event_keeping(kind.name()) == Some(Keeping::Clear),
                "{json}"
            );
            if json.contains("note") || json.contains("reason") {
                assert!(!clear, "free text is sealed: {json}");
            }
        }
        assert!(!event_is_clear("{\"kind\":{\"type\":\"gossip\"}}"));
        assert!(!event_is_clear("not json"));
    }

    #[test]
    fn a_draft_is_clear_only_when_it_holds_nothing_but_list_codes() {
        assert!(draft_is_clear(
            r#"{"industry":"pear","purpose":"seedlings"}"#
        ));
        assert!(draft_is_clear(r#"{"industry":null}"#));
        assert!(!draft_is_clear(
            r#"{"industry":"pear","note":"call 13800000001"}"#
        ));
        assert!(!draft_is_clear(r#"{"purpose":"买化肥 张三"}"#));
        assert!(!draft_is_clear("[]"));
    }
}
