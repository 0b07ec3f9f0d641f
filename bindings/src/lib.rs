//! Huoshui FFI: the UniFFI surface the Android and iOS apps call.
//!
//! Owns only adaptation: the exported object [`HuoshuiCore`] over
//! [`huoshui_core::app::AppCore`] (whose view models cross as they are), the foreign
//! [`PlatformKeystore`] trait, listeners with their [`TaskHandle`], the document capture and
//! export streams, the tokio runtime the async calls run on, the one error enum
//! [`HuoshuiError`] and the panic barrier. It must never hold a business rule (those live in
//! `huoshui-core`), never hold a lock while calling into Kotlin or Swift, and never let a panic
//! cross the FFI.

mod barrier;
mod capture;
mod core;
mod error;
mod keystore;
mod listen;
mod plan;
mod screens;

pub use crate::core::{CoreConfig, HuoshuiCore};
pub use capture::{DocumentCapture, DocumentExport};
pub use error::HuoshuiError;
pub use keystore::{KeystoreError, PlatformKeystore};
pub use listen::{
    ApplicationsListener, DocumentsListener, SessionListener, SyncStatusListener, TaskHandle,
    TasksListener,
};

uniffi::setup_scaffolding!("huoshui_ffi");
