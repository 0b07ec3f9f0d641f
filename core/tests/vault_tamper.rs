//! A document file that was altered in any way does not open; a lost key is told apart from a
//! damaged file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::format::{CHUNK_LEN, HEADER_LEN};
use huoshui_core::vault::{DocumentInfo, InstallKey, SoftwareKeystore, Vault, VaultError};
use std::path::Path;
use std::sync::Arc;

const TAG: usize = 16;
const CT_CHUNK: usize = CHUNK_LEN + TAG;

fn keystore_at(path: &Path) -> SoftwareKeystore {
    SoftwareKeystore::open_or_create(path).unwrap()
}

fn open_vault(dir: &Path, keystore: &SoftwareKeystore) -> Result<Vault, VaultError> {
    let key = Arc::new(InstallKey::open_or_create(dir, keystore)?);
    Vault::open(dir, key)
}

fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)));
    v
}

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vault,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ks = keystore_at(&dir.path().join("keys").join(SoftwareKeystore::FILE_NAME));
    let vault = open_vault(dir.path(), &ks).unwrap();
    Fixture { _dir: dir, vault }
}

/// Writes `bytes` as the file of `info` and tries to read the document back.
fn opens_with(vault: &Vault, info: &DocumentInfo, bytes: &[u8]) -> Result<Vec<u8>, VaultError> {
    std::fs::write(vault.path_of(info.id), bytes).unwrap();
    vault.read_all(info.id).map(|z| z.to_vec())
}

fn assert_refused(result: Result<Vec<u8>, VaultError>, what: &str) {
    match result {
        Err(VaultError::Corrupt { .. }) => {}
        Err(other) => panic!("{what}: expected Corrupt, got {other}"),
        Ok(_) => panic!("{what}: an altered document opened"),
    }
}

#[test]
fn flipping_any_single_byte_of_a_small_document_stops_it_from_opening() {
    let f = fixture();
    let doc = pdf(300, 1);
    let info = f.vault.add_bytes(DocumentKind::IdCardFront, &doc).unwrap();
    let sealed = std::fs::read(f.vault.path_of(info.id)).unwrap();
    assert_eq!(sealed.len(), HEADER_LEN + doc.len() + TAG);
    for pos in 0..sealed.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut bad = sealed.clone();
            bad[pos] ^= mask;
            assert_refused(
                opens_with(&f.vault, &info, &bad),
                &format!("byte {pos} ^ {mask:#04x}"),
            );
        }
    }
    // The untouched file still opens (the loop above could not have passed by accident).
    assert_eq!(opens_with(&f.vault, &info, &sealed).unwrap(), doc);
}

#[test]
fn flipping_bytes_anywhere_in_a_large_document_stops_it_from_opening() {
    let f = fixture();
    let doc = pdf(4 * CHUNK_LEN + 777, 2);
    let info = f.vault.add_bytes(DocumentKind::LandContract, &doc).unwrap();
    let sealed = std::fs::read(f.vault.path_of(info.id)).unwrap();
    // Every header byte, every chunk's first and last bytes and tag, and a deterministic spread.
    let mut positions: Vec<usize> = (0..HEADER_LEN).collect();
    for c in 0..5 {
        let start = HEADER_LEN + c * CT_CHUNK;
        for off in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CT_CHUNK - 1] {
            positions.push(start + off);
        }
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..150 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        positions.push((x % sealed.len() as u64) as usize);
    }
    positions.retain(|p| *p < sealed.len());
    for pos in positions {
        let mut bad = sealed.clone();
        bad[pos] ^= 0x20;
        assert_refused(opens_with(&f.vault, &info, &bad), &format!("byte {pos}"));
    }
    assert_eq!(opens_with(&f.vault, &info, &sealed).unwrap(), doc);
}

#[test]
fn a_truncated_document_does_not_open_even_at_a_chunk_boundary() {
    let f = fixture();
    let doc = pdf(3 * CHUNK_LEN + 100, 3);
    let info = f.vault.add_bytes(DocumentKind::Lease, &doc).unwrap();
    let sealed = std::fs::read(f.vault.path_of(info.id)).unwrap();
    let mut cuts = vec![
        0,
        10,
        HEADER_LEN - 1,
        HEADER_LEN,
        sealed.len() - 1,
        sealed.len() - TAG,
    ];
    for c in 1..=3 {
        cuts.push(HEADER_LEN + c * CT_CHUNK); // whole chunks only: the last-chunk flag catches it
        cuts.push(HEADER_LEN + c * CT_CHUNK - 1);
    }
    for cut in cuts {
        assert_refused(
            opens_with(&f.vault, &info, &sealed[..cut]),
            &format!("cut at {cut}"),
        );
    }
    // Bytes appended after the last chunk are refused too.
    let mut longer = sealed.clone();
    longer.extend_from_slice(&[0; 17]);
    assert_refused(opens_with(&f.vault, &info, &longer), "appended bytes");
}

#[test]
fn a_document_whose_length_field_claims_fewer_chunks_does_not_open() {
    let f = fixture();
    let doc = pdf(2 * CHUNK_LEN, 4);
    let info = f.vault.add_bytes(DocumentKind::Other, &doc).unwrap();
    let sealed = std::fs::read(f.vault.path_of(info.id)).unwrap();
    // Header says one chunk, body cut to the first chunk: chunk 0 was sealed as "not last".
    let mut bad = sealed[..HEADER_LEN + CT_CHUNK].to_vec();
    bad[99..107].copy_from_slice(&(CHUNK_LEN as u64).to_le_bytes());
    assert_refused(opens_with(&f.vault, &info, &bad), "shortened length");
}

#[test]
fn reordered_chunks_do_not_open() {
    let f = fixture();
    let doc = pdf(3 * CHUNK_LEN, 5);
    let info = f.vault.add_bytes(DocumentKind::Other, &doc).unwrap();
    let sealed = std::fs::read(f.vault.path_of(info.id)).unwrap();
    let chunk =
        |i: usize| sealed[HEADER_LEN + i * CT_CHUNK..HEADER_LEN + (i + 1) * CT_CHUNK].to_vec();
    for order in [[1, 0, 2], [0, 2, 1], [2, 1, 0]] {
        let mut bad = sealed[..HEADER_LEN].to_vec();
        for i in order {
            bad.extend(chunk(i));
        }
        assert_eq!(bad.len(), sealed.len());
        assert_refused(
            opens_with(&f.vault, &info, &bad),
            &format!("order {order:?}"),
        );
    }
}

#[test]
fn chunks_swapped_between_two_documents_do_not_open() {
    let f = fixture();
    let a = f
        .vault
        .add_bytes(DocumentKind::IdCardFront, &pdf(2 * CHUNK_LEN + 50, 6))
        .unwrap();
    let b = f
        .vault
        .add_bytes(DocumentKind::IdCardBack, &pdf(2 * CHUNK_LEN + 50, 7))
        .unwrap();
    let sa = std::fs::read(f.vault.path_of(a.id)).unwrap();
    let sb = std::fs::read(f.vault.path_of(b.id)).unwrap();
    assert_eq!(sa.len(), sb.len());
    for i in 0..3 {
        let range = HEADER_LEN + i * CT_CHUNK..(HEADER_LEN + (i + 1) * CT_CHUNK).min(sa.len());
        let mut bad = sa.clone();
        bad[range.clone()].copy_from_slice(&sb[range]);
        assert_refused(
            opens_with(&f.vault, &a, &bad),
            &format!("chunk {i} from another document"),
        );
    }
    // B's header on A's body, and B's whole file under A's name.
    let mut bad = sb[..HEADER_LEN].to_vec();
    bad.extend_from_slice(&sa[HEADER_LEN..]);
    assert_refused(
        opens_with(&f.vault, &a, &bad),
        "header from another document",
    );
    assert_refused(
        opens_with(&f.vault, &a, &sb),
        "another document's file under this name",
    );
}

#[test]
fn a_partial_export_never_appears_when_the_document_is_damaged() {
    let f = fixture();
    let doc = pdf(3 * CHUNK_LEN, 8);
    let info = f.vault.add_bytes(DocumentKind::Other, &doc).unwrap();
    let path = f.vault.path_of(info.id);
    let mut sealed = std::fs::read(&path).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    std::fs::write(&path, &sealed).unwrap();
    let out = f._dir.path().join("out.pdf");
    assert!(matches!(
        f.vault.export(info.id, &out),
        Err(VaultError::Corrupt { .. })
    ));
    assert!(!out.exists());
    assert!(!f._dir.path().join("out.pdf.partial").exists());
}

#[test]
fn a_keystore_that_lost_its_key_gives_key_lost_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let ks_path = dir.path().join("keys").join(SoftwareKeystore::FILE_NAME);
    let ks = keystore_at(&ks_path);
    let vault = open_vault(dir.path(), &ks).unwrap();
    vault
        .add_bytes(DocumentKind::IdCardFront, &pdf(1000, 1))
        .unwrap();
    drop(vault);
    // The keystore's key is replaced (e.g. the phone's keystore was reset).
    std::fs::remove_file(&ks_path).unwrap();
    let new_ks = keystore_at(&ks_path);
    assert!(matches!(
        open_vault(dir.path(), &new_ks),
        Err(VaultError::KeyLost)
    ));
}

#[test]
fn an_install_key_that_does_not_open_the_canary_is_key_lost_and_a_damaged_document_is_corrupt() {
    let shared = tempfile::tempdir().unwrap();
    let ks = keystore_at(&shared.path().join("keystore.key"));
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let vault_a = open_vault(a.path(), &ks).unwrap();
    let doc = vault_a
        .add_bytes(DocumentKind::Other, &pdf(5000, 1))
        .unwrap();
    open_vault(b.path(), &ks).unwrap();

    // Damage a document: the key is fine, so this is Corrupt.
    let path = vault_a.path_of(doc.id);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[HEADER_LEN + 10] ^= 4;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        vault_a.read_all(doc.id),
        Err(VaultError::Corrupt { .. })
    ));

    // A's wrapped install key replaced by B's: the keystore unwraps it fine, but it is not the
    // key A's data was sealed with. The canary says so.
    let wrapped_b = std::fs::read(InstallKey::wrapped_path(b.path())).unwrap();
    std::fs::write(InstallKey::wrapped_path(a.path()), wrapped_b).unwrap();
    assert!(matches!(
        open_vault(a.path(), &ks),
        Err(VaultError::KeyLost)
    ));
}

#[test]
fn a_missing_install_key_with_documents_present_is_key_lost_not_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    let ks = keystore_at(&dir.path().join("keys").join(SoftwareKeystore::FILE_NAME));
    let vault = open_vault(dir.path(), &ks).unwrap();
    vault
        .add_bytes(DocumentKind::IdCardFront, &pdf(1000, 1))
        .unwrap();
    std::fs::remove_file(InstallKey::wrapped_path(dir.path())).unwrap();
    assert!(matches!(
        open_vault(dir.path(), &ks),
        Err(VaultError::KeyLost)
    ));
}
