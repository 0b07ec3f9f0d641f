//! What the device store keeps: catalog, drafts, applications and events, tasks, documents and
//! the outbox with its idempotency keys and retries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::store::Store;
use huoshui_core::store::outbox::{Failure, OutboxState, RetryPolicy};
use huoshui_core::store::records::TaskRow;
use huoshui_core::vault::InstallKey;
use std::sync::Arc;

fn t(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn store(dir: &std::path::Path) -> Store {
    Store::open(
        dir,
        Arc::new(InstallKey::from_bytes(&[9; 32]).unwrap()),
        t("2026-03-07T08:00:00Z"),
    )
    .unwrap()
    .store
}

#[test]
fn the_catalog_is_cached_with_its_etag_and_replaced_by_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    assert_eq!(s.cached_catalog().unwrap(), None);
    s.save_catalog("{\"v\":1}", Some("\"abc\""), t("2026-03-07T08:00:00Z"))
        .unwrap();
    s.save_catalog("{\"v\":2}", Some("\"def\""), t("2026-03-08T08:00:00Z"))
        .unwrap();
    let c = s.cached_catalog().unwrap().unwrap();
    assert_eq!(
        (c.json.as_str(), c.etag.as_deref(), c.fetched_at),
        ("{\"v\":2}", Some("\"def\""), t("2026-03-08T08:00:00Z"))
    );
}

#[test]
fn drafts_survive_a_restart_and_open_only_with_the_same_install_key() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = store(dir.path());
        s.save_draft(
            "d1",
            Some("pear-loan"),
            r#"{"id_number":"11010519491231002X"}"#,
            t("2026-03-07T09:00:00Z"),
        )
        .unwrap();
        s.save_draft(
            "d1",
            Some("pear-loan"),
            r#"{"id_number":"11010519491231002X","amount":50000}"#,
            t("2026-03-07T09:05:00Z"),
        )
        .unwrap();
    }
    let s = store(dir.path());
    let drafts = s.drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        drafts[0].payload_json.as_str(),
        r#"{"id_number":"11010519491231002X","amount":50000}"#
    );
    assert_eq!(drafts[0].updated_at, t("2026-03-07T09:05:00Z"));
    drop(s);
    let other_key = Store::open(
        dir.path(),
        Arc::new(InstallKey::from_bytes(&[1; 32]).unwrap()),
        t("2026-03-07T08:00:00Z"),
    )
    .unwrap()
    .store;
    assert!(
        other_key.drafts().is_err(),
        "a draft sealed with another key does not open"
    );
}

#[test]
fn an_application_keeps_its_timeline_in_order_and_a_redelivered_event_is_not_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.upsert_application(
        "a1",
        "pear-loan",
        "submitted",
        Some("{}"),
        t("2026-03-07T09:00:00Z"),
    )
    .unwrap();
    assert!(
        s.append_event("a1", 2, r#"{"type":"accepted"}"#, t("2026-03-07T10:00:00Z"))
            .unwrap()
    );
    assert!(
        s.append_event(
            "a1",
            1,
            r#"{"type":"submitted"}"#,
            t("2026-03-07T09:00:00Z")
        )
        .unwrap()
    );
    assert!(
        !s.append_event("a1", 2, r#"{"type":"accepted"}"#, t("2026-03-07T10:00:00Z"))
            .unwrap()
    );
    let events = s.events("a1").unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.seq, e.event_json.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, r#"{"type":"submitted"}"#),
            (2, r#"{"type":"accepted"}"#)
        ]
    );
    s.upsert_application(
        "a1",
        "pear-loan",
        "accepted",
        None,
        t("2026-03-07T10:00:00Z"),
    )
    .unwrap();
    let apps = s.applications().unwrap();
    assert_eq!((apps.len(), apps[0].state.as_str()), (1, "accepted"));
}

#[test]
fn manager_tasks_come_earliest_due_first() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for (id, due) in [
        ("late", Some("2026-03-09T00:00:00Z")),
        ("none", None),
        ("soon", Some("2026-03-08T00:00:00Z")),
    ] {
        s.upsert_task(&TaskRow {
            id: id.into(),
            application_id: "a1".into(),
            kind: "contact_villager".into(),
            state: "open".into(),
            due_at: due.map(t),
            payload_json: Some(zeroize::Zeroizing::new(
                "{\"phone\":\"13800138000\"}".into(),
            )),
            updated_at: t("2026-03-07T08:00:00Z"),
        })
        .unwrap();
    }
    let ids: Vec<String> = s.tasks().unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["soon", "late", "none"]);
}

#[test]
fn a_command_keeps_its_idempotency_key_across_every_retry_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let policy = RetryPolicy {
        base_ms: 1_000,
        max_ms: 60_000,
        max_attempts: 3,
    };
    let start = t("2026-03-07T08:00:00Z");
    let (id, key) = {
        let s = store(dir.path());
        s.enqueue_command("submit", r#"{"application":"a1"}"#, start)
            .unwrap()
    };
    let s = store(dir.path());
    assert_eq!(
        s.outbox_counts().unwrap().retrying,
        0,
        "queued, not yet tried"
    );
    let due = s.due_commands(start, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].idempotency_key, key,
        "saved before the first send, found after a restart"
    );

    assert_eq!(
        s.command_failed(id, Failure::Transient, "timeout", start, 0, &policy)
            .unwrap(),
        OutboxState::Pending
    );
    assert!(
        s.due_commands(start, 10).unwrap().is_empty(),
        "not due again before the backoff"
    );
    assert_eq!(
        s.outbox_counts().unwrap().retrying,
        1,
        "failed once: being retried"
    );
    let later = t("2026-03-07T08:00:01Z");
    let again = s.due_commands(later, 10).unwrap();
    assert_eq!(
        (
            again[0].idempotency_key,
            again[0].attempts,
            again[0].last_error.as_deref()
        ),
        (key, 1, Some("timeout"))
    );

    assert_eq!(
        s.command_failed(id, Failure::Transient, "timeout", later, 0, &policy)
            .unwrap(),
        OutboxState::Pending
    );
    assert_eq!(
        s.command_failed(id, Failure::Transient, "timeout", later, 0, &policy)
            .unwrap(),
        OutboxState::Wedged
    );
    assert!(
        s.due_commands(t("2027-01-01T00:00:00Z"), 10)
            .unwrap()
            .is_empty(),
        "a wedged command waits for the user"
    );
    assert_eq!(s.outbox().unwrap()[0].state, OutboxState::Wedged);
    assert_eq!(
        s.outbox_counts().unwrap().retrying,
        0,
        "wedged: waits for the user, not retried"
    );

    assert!(s.retry_wedged(id, later).unwrap());
    let retried = s.due_commands(later, 10).unwrap();
    assert_eq!((retried[0].idempotency_key, retried[0].attempts), (key, 0));
    assert_eq!(
        s.outbox_counts().unwrap().retrying,
        0,
        "the user's retry starts afresh"
    );
    s.command_sent(id).unwrap();
    assert!(s.outbox().unwrap().is_empty());
    assert_eq!(s.command(id).unwrap().unwrap().state, OutboxState::Done);
    assert_eq!(s.purge_done(t("2026-03-08T00:00:00Z")).unwrap(), 1);
}

#[test]
fn a_permanent_refusal_wedges_the_command_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let now = t("2026-03-07T08:00:00Z");
    let (id, _) = s.enqueue_command("withdraw", "{}", now).unwrap();
    assert_eq!(
        s.command_failed(
            id,
            Failure::Permanent,
            "forbidden",
            now,
            500,
            &RetryPolicy::default()
        )
        .unwrap(),
        OutboxState::Wedged
    );
}

#[test]
fn a_local_change_and_its_command_commit_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let now = t("2026-03-07T08:00:00Z");
    let result: Result<(), huoshui_core::store::StoreError> = s.write(|tx| {
        s.enqueue_in(tx, "submit", "{}", now)?;
        tx.execute("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(result.is_err());
    assert!(
        s.outbox().unwrap().is_empty(),
        "the command rolled back with the failed change"
    );
}

#[test]
fn the_checklist_of_an_application_counts_only_its_own_documents() {
    use huoshui_core::domain::documents::DocumentKind;
    use huoshui_core::vault::{DocumentInfo, Media};
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let now = t("2026-03-07T08:00:00Z");
    let doc = |kind| DocumentInfo {
        id: uuid::Uuid::new_v4(),
        kind,
        media: Media::Jpeg,
        size_bytes: 10,
        sha256: "00".into(),
    };
    s.record_document(&doc(DocumentKind::IdCardFront), Some("a1"), now)
        .unwrap();
    s.record_document(&doc(DocumentKind::IdCardBack), Some("a2"), now)
        .unwrap();
    let list = s
        .document_checklist("a1", &[DocumentKind::IdCardFront, DocumentKind::IdCardBack])
        .unwrap();
    assert_eq!(
        list.iter()
            .map(|i| (i.kind, i.captured, i.missing))
            .collect::<Vec<_>>(),
        vec![
            (DocumentKind::IdCardFront, 1, false),
            (DocumentKind::IdCardBack, 0, true)
        ]
    );
}

#[test]
fn a_draft_of_list_codes_opens_without_the_install_key_and_one_with_free_text_does_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = store(dir.path());
        let at = t("2026-03-07T09:00:00Z");
        s.save_draft("codes", Some("pear-loan"), r#"{"industry":"pear"}"#, at)
            .unwrap();
        s.save_draft("typed", Some("pear-loan"), r#"{"note":"张三"}"#, at)
            .unwrap();
    }
    let other_key = Store::open(
        dir.path(),
        Arc::new(InstallKey::from_bytes(&[1; 32]).unwrap()),
        t("2026-03-07T08:00:00Z"),
    )
    .unwrap()
    .store;
    // The typed one is sealed: reading every draft fails on it under another key.
    assert!(other_key.drafts().is_err());
    other_key.delete_draft("typed").unwrap();
    let kept = other_key.drafts().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].payload_json.as_str(), r#"{"industry":"pear"}"#);
}
