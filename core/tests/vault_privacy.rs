//! Whoever copies the app's data folder finds no personal data in it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::store::Store;
use huoshui_core::store::records::TaskRow;
use huoshui_core::vault::{InstallKey, SoftwareKeystore, Vault};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13912345678";

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// The files (with their names) in which any needle occurs.
fn scan(dir: &Path, needles: &[Vec<u8>]) -> Vec<(PathBuf, usize)> {
    let mut hits = Vec::new();
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap();
        for (i, needle) in needles.iter().enumerate() {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                hits.push((file.clone(), i));
            }
        }
    }
    hits
}

#[test]
fn the_data_folder_holds_no_id_number_phone_number_or_document_bytes_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let now: jiff::Timestamp = "2026-03-07T08:00:00Z".parse().unwrap();
    let keystore =
        SoftwareKeystore::open_or_create(&data.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap();
    let key = Arc::new(InstallKey::open_or_create(data, &keystore).unwrap());
    let vault = Vault::open(data, key.clone()).unwrap();
    let store = Store::open(data, key, now).unwrap().store;

    // A scanned ID card (as a PDF, so its bytes are stored exactly) and a text-rich document.
    let mut id_scan = b"%PDF-1.4\n".to_vec();
    id_scan.extend_from_slice(
        format!("BT (Citizen ID {ID_NUMBER}) Tj ET\n")
            .repeat(3000)
            .as_bytes(),
    );
    let mut lease = b"%PDF-1.4\n".to_vec();
    lease.extend((0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let d1 = vault
        .add_bytes(DocumentKind::IdCardFront, &id_scan)
        .unwrap();
    let d2 = vault.add_bytes(DocumentKind::Lease, &lease).unwrap();
    store.record_document(&d1, Some("a1"), now).unwrap();
    store.record_document(&d2, Some("a1"), now).unwrap();

    let draft = format!(r#"{{"name":"张三","id_number":"{ID_NUMBER}","phone":"{PHONE}"}}"#);
    store
        .save_draft("draft-1", Some("pear-loan"), &draft, now)
        .unwrap();
    store
        .upsert_application("a1", "pear-loan", "submitted", Some(&draft), now)
        .unwrap();
    store
        .append_event("a1", 1, &format!(r#"{{"note":"called {PHONE}"}}"#), now)
        .unwrap();
    store.enqueue_command("submit", &draft, now).unwrap();
    store
        .upsert_task(&TaskRow {
            id: "t1".into(),
            application_id: "a1".into(),
            kind: "contact".into(),
            state: "open".into(),
            due_at: None,
            payload_json: Some(zeroize::Zeroizing::new(format!(r#"{{"phone":"{PHONE}"}}"#))),
            updated_at: now,
        })
        .unwrap();

    let needles: Vec<Vec<u8>> = vec![
        ID_NUMBER.as_bytes().to_vec(),
        PHONE.as_bytes().to_vec(),
        "张三".as_bytes().to_vec(),
        lease[1000..1032].to_vec(),
        lease[150_000..150_032].to_vec(),
    ];
    // With the store still open: the WAL holds the fresh pages.
    assert!(
        data.join("store.db-wal").exists(),
        "the scan covers the write-ahead log"
    );
    assert_eq!(scan(data, &needles), vec![]);

    // The scan can find plaintext when it is there (so the assertion above means something).
    std::fs::write(data.join("probe.txt"), format!("x{ID_NUMBER}x")).unwrap();
    assert_eq!(scan(data, &needles).len(), 1);
    std::fs::remove_file(data.join("probe.txt")).unwrap();

    // And after closing, with everything checkpointed into the main file.
    drop(store);
    drop(vault);
    assert_eq!(scan(data, &needles), vec![]);
    // The data is all still there for its owner.
    let key = Arc::new(InstallKey::open_or_create(data, &keystore).unwrap());
    let store = Store::open(data, key.clone(), now).unwrap().store;
    assert!(store.drafts().unwrap()[0].payload_json.contains(ID_NUMBER));
    assert_eq!(
        Vault::open(data, key)
            .unwrap()
            .read_all(d1.id)
            .unwrap()
            .as_slice(),
        id_scan.as_slice()
    );
}
