//! The vault's container parser and decryption on arbitrary bytes: it must never panic, and
//! must never accept bytes that were not sealed with the key (so it must always refuse here,
//! except for the one seeded valid document and what the fuzzer cannot forge).
#![no_main]

use huoshui_core::vault::format::Header;
use huoshui_core::vault::{InstallKey, open_container};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Header::parse(data);
    if let Ok(key) = InstallKey::from_bytes(&[0x42; 32]) {
        let _ = open_container(&key, data);
    }
});
