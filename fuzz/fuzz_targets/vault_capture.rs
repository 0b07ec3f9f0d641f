//! The capture path (type check, JPEG/PNG metadata stripping, sealing) on arbitrary input cut
//! into arbitrary pieces: never panics, and whatever it accepts opens again to the same digest.
#![no_main]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::vault::{InstallKey, Limits, SealingStream, open_container};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Some((&piece, input)) = data.split_first() else {
        return;
    };
    let Ok(key) = InstallKey::from_bytes(&[0x24; 32]) else {
        return;
    };
    let key = Arc::new(key);
    let Ok(mut s) = SealingStream::new(
        Cursor::new(Vec::new()),
        key.clone(),
        DocumentKind::Other,
        Limits::default(),
    ) else {
        return;
    };
    for part in input.chunks(usize::from(piece).max(1)) {
        if s.write_chunk(part).is_err() {
            return;
        }
    }
    if let Ok((info, sink)) = s.finish() {
        let sealed = sink.into_inner();
        let opened = open_container(&key, &sealed);
        assert!(opened.is_ok(), "a document the vault sealed must open");
        if let Ok(plain) = opened {
            assert_eq!(plain.len() as u64, info.size_bytes);
        }
    }
});
