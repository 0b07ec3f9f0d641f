//! A lost install key and the reset that keeps what can be kept (issue 15): documents already
//! on the platform stay on their checklist, what only the lost key could open goes, the user
//! signs in again, and the store says what was lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::views::DraftInput;
use huoshui_core::app::{AppCore, ErrorAction};
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::{Role, State};
use huoshui_core::store::Store;
use huoshui_core::vault::{InstallKey, Keystore, KeystoreError, SoftwareKeystore};
use huoshui_core::wire::UserView;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn now() -> jiff::Timestamp {
    "2026-11-30T02:00:00Z".parse().unwrap()
}

fn clock() -> huoshui_core::app::Clock {
    Arc::new(now)
}

fn keystore_path(dir: &Path) -> PathBuf {
    dir.join("keys").join(SoftwareKeystore::FILE_NAME)
}

fn keystore(dir: &Path) -> Arc<dyn Keystore> {
    Arc::new(SoftwareKeystore::open_or_create(&keystore_path(dir)).unwrap())
}

/// A store handle beside the app's (as the sync's own bookkeeping would write).
fn side_store(dir: &Path) -> Store {
    let key = InstallKey::open_or_create(dir, keystore(dir).as_ref()).unwrap();
    Store::open(dir, Arc::new(key), now()).unwrap().store
}

/// v001 signed in (the session the platform would have given), without a platform.
fn signed_in_villager(dir: &Path) {
    signed_in_villager_with_phone(dir, "138****0001");
}

fn signed_in_villager_with_phone(dir: &Path, phone: &str) {
    let profile = UserView {
        id: "v001".into(),
        role: Role::Villager,
        name: "张三".into(),
        phone: phone.into(),
        town: Some("chongwen".into()),
        bank_id: None,
        towns: Vec::new(),
        points: Some(1_052),
        grade: Some("AAA".into()),
    };
    side_store(dir)
        .save_session(
            "v001",
            "villager",
            &serde_json::to_string(&profile).unwrap(),
            &"t".repeat(64),
            "2026-12-30T00:00:00Z".parse().unwrap(),
            now(),
        )
        .unwrap();
}

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n").repeat(50).into_bytes()
}

fn capture(core: &AppCore, kind: DocumentKind, app: Option<&str>, tag: &str) -> String {
    let mut c = core.start_capture(kind, app.map(str::to_owned)).unwrap();
    c.write_chunk(&pdf(tag)).unwrap();
    core.finish_capture(c).unwrap().id
}

fn sealed_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("documents"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".hsd"))
        .count()
}

/// The keystore cannot be reached right now (a locked phone): never a reason to reset.
struct LockedKeystore;

impl Keystore for LockedKeystore {
    fn wrap_key(&self, _: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        Err(KeystoreError::Failed {
            reason: "locked".into(),
        })
    }
    fn unwrap_key(&self, _: Vec<u8>) -> Result<Vec<u8>, KeystoreError> {
        Err(KeystoreError::Failed {
            reason: "locked".into(),
        })
    }
}

/// A villager's phone with a submitted application, its ID card's front uploaded, its back
/// waiting, and a loose document; gives back (application, front).
fn phone_with_three_documents(dir: &Path) -> (String, String) {
    signed_in_villager(dir);
    let core = AppCore::open_with_clock(dir, None, keystore(dir), clock()).unwrap();
    let submitted = core
        .create_draft(&DraftInput {
            product_id: "runchang-suli".into(),
            amount_fen: 10_000_000,
            months: 48,
            town: String::new(),
            industry: None,
            purpose: None,
        })
        .unwrap()
        .id;
    let front = capture(&core, DocumentKind::IdCardFront, Some(&submitted), "front");
    let back = capture(&core, DocumentKind::IdCardBack, Some(&submitted), "back");
    // The front reached the platform (as the sync records it); the back did not.
    side_store(dir)
        .mark_document_uploaded(front.parse().unwrap(), now())
        .unwrap();
    core.submit(&submitted).unwrap();
    capture(&core, DocumentKind::Other, None, "loose");
    assert!(
        core.sync_status().unwrap().pending > 0,
        "the submit waits in the outbox"
    );
    assert_eq!(sealed_files(dir), 3);
    assert_ne!(back, front);
    (submitted, front)
}

#[test]
fn a_lost_key_is_reset_keeping_the_uploaded_documents_and_saying_what_was_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (submitted, front) = phone_with_three_documents(dir);

    // The keystore's key is gone: the software keystore starts over with another key.
    std::fs::remove_file(keystore_path(dir)).unwrap();
    let err = AppCore::open_with_clock(dir, None, keystore(dir), clock()).unwrap_err();
    assert_eq!(err.action, ErrorAction::KeyUnavailable);
    assert!(err.message_zh.contains("重置"), "{}", err.message_zh);

    // A locked keystore is not a lost key: refused, nothing touched.
    let locked = AppCore::reset_lost_key_with_clock(dir, None, Arc::new(LockedKeystore), clock())
        .unwrap_err();
    assert_eq!(locked.action, ErrorAction::Retry);
    assert_eq!(sealed_files(dir), 3);

    let core = AppCore::reset_lost_key_with_clock(dir, None, keystore(dir), clock()).unwrap();
    let docs = core.documents(None).unwrap();
    assert_eq!(docs.len(), 1, "only the uploaded document's record stays");
    assert_eq!(docs[0].id, front);
    assert!(docs[0].uploaded);
    assert_eq!(docs[0].application_id.as_deref(), Some(submitted.as_str()));
    assert_eq!(sealed_files(dir), 0, "no unreadable file is kept");
    assert!(core.session().unwrap().is_none(), "the user signs in again");
    assert!(core.applications().unwrap().is_empty());
    assert_eq!(core.sync_status().unwrap().pending, 0);
    // The platform's copy of the application comes back with its checklist: the front is
    // not asked for again, the back is.
    let checklist = side_store(dir)
        .document_checklist(
            &submitted,
            &[DocumentKind::IdCardFront, DocumentKind::IdCardBack],
        )
        .unwrap();
    let missing: Vec<_> = checklist
        .iter()
        .filter(|i| i.missing)
        .map(|i| i.kind)
        .collect();
    assert_eq!(missing, vec![DocumentKind::IdCardBack]);

    let lost = core.last_reset().unwrap().expect("the reset is recorded");
    assert_eq!(lost.documents_removed, 2);
    assert_eq!(
        lost.kinds_removed,
        vec![DocumentKind::IdCardBack, DocumentKind::Other]
    );
    assert_eq!(lost.applications_affected, vec![submitted.clone()]);
    assert_eq!(lost.documents_kept, 1);
    assert!(
        lost.commands_removed >= 2,
        "the submit and the back's upload"
    );
    assert_eq!(lost.applications_unsent, 1, "the platform never got it");
    assert!(lost.summary_zh.contains("已删除：2 份") && lost.summary_zh.contains("保留：1 份"));
    assert!(!lost.summary_zh.contains("张三") && !lost.summary_zh.contains("138"));
    // The kept record says where the document is; its copy went with the key.
    let gone = core
        .export_to_file(&front, &dir.join("front.pdf"))
        .unwrap_err();
    assert_eq!(gone.action, ErrorAction::NotFound);
    assert!(
        gone.message_zh.contains("已上传到平台"),
        "{}",
        gone.message_zh
    );
    assert!(
        core.open_export(&front)
            .unwrap_err()
            .message_zh
            .contains("不用重新拍摄")
    );

    // The new key works: a new capture, a reopen; a second reset is refused and changes nothing.
    let again = capture(&core, DocumentKind::IdCardBack, None, "again");
    drop(core);
    let err = AppCore::reset_lost_key_with_clock(dir, None, keystore(dir), clock()).unwrap_err();
    assert_eq!(err.action, ErrorAction::Conflict);
    assert!(err.message_zh.contains("不需要重置"), "{}", err.message_zh);
    let core = AppCore::open_with_clock(dir, None, keystore(dir), clock()).unwrap();
    assert_eq!(core.documents(None).unwrap().len(), 2);
    assert_eq!(
        core.export_to_file(&again, &dir.join("out.pdf"))
            .unwrap()
            .id,
        again
    );
    assert_eq!(core.last_reset().unwrap(), Some(lost));
    // The kept record can be removed although it has no file on the phone.
    core.delete_document(&front).unwrap();
    assert_eq!(core.documents(None).unwrap().len(), 1);
}

#[test]
fn a_reset_killed_before_its_new_key_was_written_runs_again_without_losing_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let core = AppCore::open_with_clock(dir, None, keystore(dir), clock()).unwrap();
    capture(&core, DocumentKind::Lease, None, "lease");
    drop(core);
    std::fs::remove_file(InstallKey::wrapped_path(dir)).unwrap();
    // The store step ran with a key that was never written (the kill came before it).
    let first = {
        let key = huoshui_core::vault::PendingInstallKey::generate().unwrap();
        let store = Store::open(dir, key.key(), now()).unwrap().store;
        store.reset_after_key_loss(now()).unwrap()
    };
    assert_eq!(first.documents_removed, 1);
    let core = AppCore::reset_lost_key_with_clock(dir, None, keystore(dir), clock()).unwrap();
    let lost = core.last_reset().unwrap().unwrap();
    assert_eq!(lost.documents_removed, 1, "the first run's record is kept");
    assert_eq!(lost.kinds_removed, vec![DocumentKind::Lease]);
    assert_eq!(sealed_files(dir), 0);
}

/// Every file of the data folder (the store with its write-ahead log, the keys, the vault).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Which of `needles` occur in some file of the data folder.
fn found_in_files(dir: &Path, needles: &[&str]) -> Vec<String> {
    let files: Vec<Vec<u8>> = files_under(dir)
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    needles
        .iter()
        .filter(|n| {
            files
                .iter()
                .any(|b| b.windows(n.len()).any(|w| w == n.as_bytes()))
        })
        .map(|n| (*n).to_owned())
        .collect()
}

fn draft_input(core: &AppCore) -> DraftInput {
    let catalog = core.catalog();
    let industry = catalog.data().industries[0].id.clone();
    let product = catalog.product("runchang-suli").unwrap();
    let purpose = catalog
        .data()
        .purposes
        .iter()
        .find(|p| product.purposes.is_empty() || product.purposes.contains(&p.id))
        .unwrap()
        .id
        .clone();
    DraftInput {
        product_id: product.id.clone(),
        amount_fen: 10_000_000,
        months: 48,
        town: String::new(),
        industry: Some(industry),
        purpose: Some(purpose),
    }
}

#[test]
fn a_draft_and_an_unsent_submission_without_documents_survive_the_reset_with_their_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    signed_in_villager_with_phone(dir, "13800000001");
    let core = AppCore::open_with_clock(dir, None, keystore(dir), clock()).unwrap();
    let input = draft_input(&core);
    // A purpose is chosen from the product's list, never typed: a draft holds no free text.
    let typed = DraftInput {
        purpose: Some("给张三买化肥".into()),
        ..input.clone()
    };
    assert_eq!(
        core.create_draft(&typed).unwrap_err().action,
        ErrorAction::InvalidInput
    );
    let draft = core.create_draft(&input).unwrap().id;
    let sent = core.create_draft(&input).unwrap().id;
    core.submit(&sent).unwrap();
    // A third one goes with the key: its document was never uploaded.
    let with_paper = core.create_draft(&input).unwrap().id;
    capture(&core, DocumentKind::IdCardFront, Some(&with_paper), "front");
    core.submit(&with_paper).unwrap();
    // A fourth goes too: its withdrawal carries a typed reason, sealed (it names a person).
    let withdrawn = core.create_draft(&input).unwrap().id;
    core.submit(&withdrawn).unwrap();
    core.withdraw(&withdrawn, Some("张三 13800000001 不要了".into()))
        .unwrap();
    let before = side_store(dir).outbox().unwrap();
    let submit_key = before
        .iter()
        .find(|c| c.kind == "submit" && c.payload_json.contains(&sent))
        .unwrap()
        .idempotency_key;
    drop(core);

    // Whoever copies the folder finds the villager's phone, name and token nowhere, although
    // the kept rows are readable without the key (the product code is there in the clear).
    let clear = found_in_files(
        dir,
        &["13800000001", "张三", &"t".repeat(64), &input.product_id],
    );
    assert_eq!(clear, vec![input.product_id.clone()]);

    std::fs::remove_file(keystore_path(dir)).unwrap();
    let core = AppCore::reset_lost_key_with_clock(dir, None, keystore(dir), clock()).unwrap();
    let mut kept: Vec<(String, State)> = core
        .applications()
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.state))
        .collect();
    kept.sort();
    let mut expected = vec![
        (draft.clone(), State::Draft),
        (sent.clone(), State::Submitted),
    ];
    expected.sort();
    assert_eq!(kept, expected);
    let after = side_store(dir).outbox().unwrap();
    assert_eq!(after.len(), 1, "only the clean submission waits: {after:?}");
    assert_eq!(
        after[0].idempotency_key, submit_key,
        "sent once, never twice"
    );
    assert_eq!(core.sync_status().unwrap().pending, 1);

    let lost = core.last_reset().unwrap().unwrap();
    assert_eq!(lost.documents_removed, 1);
    assert_eq!(lost.applications_affected, vec![with_paper]);
    assert_eq!(
        lost.applications_unsent, 2,
        "the one with the lost document and the withdrawn one"
    );
    assert_eq!(
        lost.commands_removed, 4,
        "a submission and its upload; a submission and its withdrawal"
    );
    assert_eq!((lost.drafts_kept, lost.commands_kept), (1, 1));
    assert_eq!(lost.drafts_removed, 0);
    assert!(lost.summary_en.contains("Kept: 0 document(s) already on the platform, which need not be taken again; 1 draft(s); 1 unsent action(s), sent after you sign in"), "{}", lost.summary_en);
}
