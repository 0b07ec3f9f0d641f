//! Huoshui core: everything the phones share.
//!
//! - [`app`]: the app facade the FFI adapts: screen-ready view models and one error of caller actions.
//! - [`domain`]: the county's loan catalog, the cost engine, the market, credit grades and the
//!   application lifecycle. Pure: no clock, no disk, no network; time and data come in as values.
//! - [`store`]: the device's SQLite store (drafts, cached catalog, applications, outbox).
//! - [`sync`]: the sync client: catalog by ETag, the outbox drained with idempotency keys,
//!   status pulled from the county platform.
//! - [`vault`]: the secure document vault (encrypted photos of the papers a bank needs).
//! - [`wire`]: the wire contract of the platform's `/v1` API, shared with the server.
//!
//! The FFI crate (`huoshui-ffi`) and the platform server (`huoshui-server`) both build on this
//! crate, so a rule that holds on the phone holds on the server.

pub mod app;
pub mod domain;
pub mod hex;
pub mod store;
pub mod sync;
pub mod vault;
pub mod wire;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("huoshui_core");
