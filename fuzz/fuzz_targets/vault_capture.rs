//! The capture path (type check, JPEG/PNG/HEIC metadata stripping, sealing) on arbitrary input
//! cut into arbitrary pieces: never panics, and whatever it accepts opens again to the same
//! digest. A HEIC is stripped in place, so what it stores is exactly as long as the input, and
//! stripping that again is accepted and changes nothing.
//!
//! The first input byte is the piece size; the rest is the file. Seeds: `fuzz/seed-vault-capture.sh`.
#![no_main]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::{InstallKey, Limits, Media, SealingStream, open_container};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::Arc;

/// Seals `input` in `piece`-byte pieces; the stored plaintext when accepted.
fn capture(key: &Arc<InstallKey>, input: &[u8], piece: usize) -> Option<(Media, Vec<u8>)> {
    let mut s = SealingStream::new(
        Cursor::new(Vec::new()),
        key.clone(),
        DocumentKind::Other,
        Limits::default(),
    )
    .ok()?;
    for part in input.chunks(piece.max(1)) {
        s.write_chunk(part).ok()?;
    }
    let (info, sink) = s.finish().ok()?;
    let sealed = sink.into_inner();
    let opened = open_container(key, &sealed);
    assert!(opened.is_ok(), "a document the vault sealed must open");
    let plain = opened.ok()?;
    assert_eq!(plain.len() as u64, info.size_bytes);
    Some((info.media, plain.to_vec()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&piece, input)) = data.split_first() else {
        return;
    };
    let Ok(key) = InstallKey::from_bytes(&[0x24; 32]) else {
        return;
    };
    let key = Arc::new(key);
    let Some((media, stored)) = capture(&key, input, usize::from(piece)) else {
        return;
    };
    if media == Media::Heic {
        assert_eq!(stored.len(), input.len(), "HEIC is stripped in place");
        // Another piece size gives the same result, and stripping again changes nothing.
        let again = capture(&key, &stored, 4096);
        assert!(again.is_some(), "a stripped HEIC is accepted again");
        if let Some((_, twice)) = again {
            assert!(twice == stored, "stripping a stripped HEIC changes nothing");
        }
    }
});
