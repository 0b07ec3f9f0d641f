//! Capturing documents: what the vault accepts, what it refuses, and what it strips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::{InstallKey, Limits, Media, SoftwareKeystore, Vault, VaultError};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

fn open_vault(dir: &Path) -> Vault {
    let keystore =
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .unwrap();
    let key = Arc::new(InstallKey::open_or_create(dir, &keystore).unwrap());
    Vault::open(dir, key).unwrap()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
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

fn document_files(vault: &Vault) -> Vec<std::path::PathBuf> {
    files_under(vault.dir())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small test picture: a colour gradient.
fn pixels(w: usize, h: usize) -> Vec<u8> {
    (0..w * h)
        .flat_map(|i| [(i % w * 7) as u8, (i / w * 5) as u8, (i % 251) as u8])
        .collect()
}

const GPS_MARK: &[u8] = b"GPSLatitude 30.123456N GPSLongitude 103.654321E";
const COMMENT_MARK: &[u8] = b"owner ID 51012219900307123X";

/// A real JPEG (from an encoder) with EXIF+GPS in APP1, XMP-like data in APP13 and a COM segment.
fn jpeg_with_metadata() -> Vec<u8> {
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    exif.extend_from_slice(GPS_MARK);
    enc.add_app_segment(1, exif).unwrap();
    enc.add_app_segment(13, b"Photoshop 3.0\0 location data".to_vec())
        .unwrap();
    enc.encode(&pixels(40, 30), 40, 30, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    // Splice a COM segment right after SOI.
    let len = u16::try_from(COMMENT_MARK.len() + 2).unwrap().to_be_bytes();
    let mut com = vec![0xFF, 0xFE, len[0], len[1]];
    com.extend_from_slice(COMMENT_MARK);
    jpeg.splice(2..2, com);
    jpeg
}

fn decode_jpeg(bytes: &[u8]) -> (u16, u16, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let px = d.decode().unwrap();
    let info = d.info().unwrap();
    (info.width, info.height, px)
}

/// A real PNG with tEXt, zTXt, iTXt, eXIf and tIME chunks.
fn png_with_metadata() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 20, 10);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk(
            "Comment".into(),
            String::from_utf8(COMMENT_MARK.to_vec()).unwrap(),
        )
        .unwrap();
        let mut w = enc.write_header().unwrap();
        let mut exif = b"MM\0*\0\0\0\x08".to_vec();
        exif.extend_from_slice(GPS_MARK);
        w.write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif)
            .unwrap();
        w.write_chunk(
            png::chunk::ChunkType(*b"tIME"),
            &[0x07, 0xEA, 3, 7, 12, 0, 0],
        )
        .unwrap();
        w.write_chunk(
            png::chunk::ChunkType(*b"iTXt"),
            b"Location\0\0\0\0\0near the village well",
        )
        .unwrap();
        w.write_chunk(
            png::chunk::ChunkType(*b"zTXt"),
            b"Where\0\0x\x9c\x03\0\0\0\0\x01",
        )
        .unwrap();
        w.write_image_data(&pixels(20, 10)).unwrap();
        w.finish().unwrap();
    }
    out
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.extend(
        (0..len.saturating_sub(v.len())).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)),
    );
    v
}

#[test]
fn a_jpeg_loses_its_gps_and_comments_but_still_shows_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let original = jpeg_with_metadata();
    assert!(
        contains(&original, GPS_MARK)
            && contains(&original, COMMENT_MARK)
            && contains(&original, b"Exif")
    );

    let info = vault
        .add_bytes(DocumentKind::IdCardFront, &original)
        .unwrap();
    assert_eq!(info.media, Media::Jpeg);
    let stored = vault.read_all(info.id).unwrap();

    assert!(!contains(&stored, GPS_MARK), "GPS text must be gone");
    assert!(!contains(&stored, b"Exif"), "the EXIF segment must be gone");
    assert!(!contains(&stored, COMMENT_MARK), "the comment must be gone");
    assert!(!contains(&stored, b"Photoshop"), "APP13 must be gone");
    assert!(contains(&stored, b"JFIF"), "APP0 JFIF is kept");
    assert_eq!(
        decode_jpeg(&stored),
        decode_jpeg(&original),
        "same pixels after stripping"
    );
    assert!(stored.len() < original.len());
    assert_eq!(info.size_bytes, stored.len() as u64);
    assert_eq!(
        info.sha256,
        sha256_hex(&stored),
        "the digest is of what an upload sends"
    );
}

#[test]
fn a_png_loses_its_text_exif_and_time_chunks_but_still_shows_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let original = png_with_metadata();
    for mark in [
        GPS_MARK,
        COMMENT_MARK,
        b"eXIf",
        b"tIME",
        b"iTXt",
        b"zTXt",
        b"tEXt",
    ] {
        assert!(contains(&original, mark));
    }
    // Handed over in awkward pieces, as a camera stream might.
    let mut w = vault
        .create_document(DocumentKind::HouseholdRegister)
        .unwrap();
    for piece in original.chunks(5) {
        w.write_chunk(piece).unwrap();
    }
    let info = w.finish().unwrap();
    let stored = vault.read_all(info.id).unwrap();
    for mark in [
        GPS_MARK,
        COMMENT_MARK,
        b"eXIf",
        b"tIME",
        b"iTXt",
        b"zTXt",
        b"tEXt",
        b"village well",
    ] {
        assert!(
            !contains(&stored, mark),
            "{} must be gone",
            String::from_utf8_lossy(mark)
        );
    }
    assert_eq!(decode_png(&stored), decode_png(&original));
    assert_eq!(info.sha256, sha256_hex(&stored));
}

#[test]
fn a_pdf_is_stored_byte_for_byte_whatever_the_chunk_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let original = pdf(3 * 65_536 + 1_234, 9);
    for piece in [1usize, 7, 4_096, 65_536, 65_537, original.len()] {
        let mut w = vault.create_document(DocumentKind::LandContract).unwrap();
        for part in original.chunks(piece) {
            w.write_chunk(part).unwrap();
        }
        let info = w.finish().unwrap();
        assert_eq!(info.size_bytes, original.len() as u64);
        assert_eq!(info.sha256, sha256_hex(&original));
        assert_eq!(
            vault.read_all(info.id).unwrap().as_slice(),
            original.as_slice(),
            "piece size {piece}"
        );
    }
    // Exactly one chunk, and exactly two, round-trip too.
    for len in [65_536, 131_072, 10] {
        let doc = pdf(len, 1);
        let info = vault.add_bytes(DocumentKind::Other, &doc).unwrap();
        assert_eq!(vault.read_all(info.id).unwrap().as_slice(), doc.as_slice());
    }
}

#[test]
fn a_file_that_only_looks_like_heic_by_its_brand_is_refused_as_damaged() {
    // Real HEIC photos are in vault_heic.rs; this one has the brand but no meta box, so its
    // metadata cannot be found and it must not be stored as it is.
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend_from_slice(b"\0\0\x01\xfcmdat");
    heic.extend_from_slice(&[0x42; 500]);
    let err = vault
        .add_bytes(DocumentKind::IdCardBack, &heic)
        .unwrap_err();
    assert!(matches!(err, VaultError::InvalidImage { .. }), "{err}");
    assert_eq!(document_files(&vault), Vec::<std::path::PathBuf>::new());
}

#[test]
fn other_file_types_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let refused: [&[u8]; 6] = [
        b"GIF89a\x01\0\x01\0\0\0\0;",
        b"\0\0\0\x18ftypisom\0\0\0\0mp41",
        b"PK\x03\x04 a zip with a jpeg inside",
        b"just some text that someone typed",
        b"\xFF\xD8",
        b"%PD",
    ];
    for bytes in refused {
        let err = vault.add_bytes(DocumentKind::Other, bytes).unwrap_err();
        assert!(matches!(err, VaultError::UnsupportedType), "{err}");
        // Streamed one byte at a time, too.
        let mut w = vault.create_document(DocumentKind::Other).unwrap();
        let mut result = Ok(());
        for b in bytes {
            result = result.and_then(|()| w.write_chunk(std::slice::from_ref(b)));
        }
        let err = result.and_then(|()| w.finish().map(|_| ())).unwrap_err();
        assert!(matches!(err, VaultError::UnsupportedType), "{err}");
    }
    assert!(matches!(
        vault.add_bytes(DocumentKind::Other, b"").unwrap_err(),
        VaultError::Empty
    ));
    assert_eq!(document_files(&vault), Vec::<std::path::PathBuf>::new());
    assert!(vault.list().unwrap().is_empty());
}

#[test]
fn files_over_the_limit_for_their_type_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        jpeg: 1_000,
        png: 1_000,
        heic: 1_000,
        pdf: 200_000,
    };
    let vault = open_vault(dir.path()).with_limits(limits);
    let big_pdf = pdf(200_001, 3);
    let err = vault.add_bytes(DocumentKind::Lease, &big_pdf).unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::TooLarge {
                media: "pdf",
                limit_bytes: 200_000
            }
        ),
        "{err}"
    );
    // Streamed: refused at the chunk that crosses the limit, after chunks were already sealed.
    let mut w = vault.create_document(DocumentKind::Lease).unwrap();
    let mut result = Ok(());
    for part in big_pdf.chunks(70_000) {
        result = result.and_then(|()| w.write_chunk(part));
    }
    assert!(matches!(result.unwrap_err(), VaultError::TooLarge { .. }));
    assert!(w.finish().is_err(), "a refused capture cannot be finished");
    // The JPEG limit is separate from the PDF one.
    let jpeg = jpeg_with_metadata();
    assert!(jpeg.len() > 1_000);
    assert!(matches!(
        vault
            .add_bytes(DocumentKind::IdCardFront, &jpeg)
            .unwrap_err(),
        VaultError::TooLarge { media: "jpeg", .. }
    ));
    assert_eq!(document_files(&vault), Vec::<std::path::PathBuf>::new());
    // Exactly at the limit is fine.
    assert!(
        vault
            .add_bytes(DocumentKind::Lease, &pdf(200_000, 3))
            .is_ok()
    );
}

#[test]
fn a_broken_jpeg_is_refused_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let jpeg = jpeg_with_metadata();
    let cut = &jpeg[..40];
    assert!(matches!(
        vault.add_bytes(DocumentKind::IdCardFront, cut).unwrap_err(),
        VaultError::InvalidImage { .. }
    ));
    let mut garbage = jpeg[..4].to_vec();
    garbage.extend_from_slice(&[0x00, 0x10, 0x12, 0x34, 0x56]);
    assert!(
        vault
            .add_bytes(DocumentKind::IdCardFront, &garbage)
            .is_err()
    );
    assert_eq!(document_files(&vault), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_capture_dropped_half_way_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let doc = pdf(300_000, 5);
    let mut w = vault.create_document(DocumentKind::Other).unwrap();
    w.write_chunk(&doc[..200_000]).unwrap();
    assert_eq!(
        document_files(&vault).len(),
        1,
        "the partial file exists while writing"
    );
    assert!(vault.list().unwrap().is_empty(), "but it is not a document");
    drop(w);
    assert_eq!(document_files(&vault), Vec::<std::path::PathBuf>::new());
}

#[test]
fn export_writes_the_plaintext_and_list_shows_what_was_captured() {
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    let a = vault
        .add_bytes(DocumentKind::IdCardFront, &jpeg_with_metadata())
        .unwrap();
    let b = vault
        .add_bytes(DocumentKind::BusinessLicense, &pdf(70_000, 2))
        .unwrap();
    let mut listed = vault.list().unwrap();
    listed.sort_by_key(|d| d.kind);
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort_by_key(|d| d.kind);
    assert_eq!(listed, expected);

    let out = dir.path().join("license.pdf");
    vault.export(b.id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), pdf(70_000, 2));

    vault.delete(a.id).unwrap();
    assert!(matches!(
        vault.read_all(a.id).unwrap_err(),
        VaultError::NotFound { .. }
    ));
}

#[test]
fn the_checklist_shows_which_papers_are_still_missing() {
    use huoshui_core::domain::documents::checklist;
    let dir = tempfile::tempdir().unwrap();
    let vault = open_vault(dir.path());
    vault
        .add_bytes(DocumentKind::IdCardFront, &jpeg_with_metadata())
        .unwrap();
    let captured: Vec<DocumentKind> = vault.list().unwrap().iter().map(|d| d.kind).collect();
    let list = checklist(
        &[DocumentKind::IdCardFront, DocumentKind::IdCardBack],
        &captured,
    );
    assert_eq!(
        list.iter().map(|i| (i.kind, i.missing)).collect::<Vec<_>>(),
        vec![
            (DocumentKind::IdCardFront, false),
            (DocumentKind::IdCardBack, true)
        ]
    );
}
