//! The panic barrier: every exported body runs inside [`guard`], so a panic in the core reaches
//! Kotlin and Swift as [`HuoshuiError::Internal`], never as a crash. Needs `panic = "unwind"`
//! (the default, kept by the `release-mobile` profile).

use crate::error::HuoshuiError;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into `HuoshuiError::Internal`.
///
/// `AssertUnwindSafe`: after a panic the core's shared state is either behind a lock that the
/// core recovers from poisoning (`PoisonError::into_inner`) or inside SQLite transactions that
/// roll back on drop, so observing it after an unwind is sound.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, HuoshuiError>) -> Result<T, HuoshuiError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(HuoshuiError::from_panic(payload.as_ref())),
    }
}

/// Like [`guard`] for calls that cannot fail except by panicking; the panic becomes the
/// fallback value `on_panic` and is logged.
pub(crate) fn guard_infallible<T>(on_panic: impl FnOnce() -> T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let e = HuoshuiError::from_panic(payload.as_ref());
            tracing::error!(error = %e, "panic caught at the FFI barrier");
            on_panic()
        }
    }
}
