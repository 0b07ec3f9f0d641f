//! The catalog parser on arbitrary text (a catalog comes from the network): never panics.
#![no_main]

use huoshui_core::domain::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Catalog::from_json(text);
    }
});
