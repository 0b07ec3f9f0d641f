//! The UniFFI generator, built from the same UniFFI version as the library it reads, so the
//! Kotlin and Swift it writes always match the scaffolding inside `libhuoshui_ffi`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
