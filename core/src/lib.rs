//! Huoshui core: everything the phones share.
//!
//! - [`domain`]: the county's loan catalog, the cost engine, the market, credit grades and the
//!   application lifecycle. Pure: no clock, no disk, no network; time and data come in as values.
//! - [`store`]: the device's SQLite store (drafts, cached catalog, applications, outbox).
//! - [`vault`]: the secure document vault (encrypted photos of the papers a bank needs).
//!
//! The FFI crate (`huoshui-ffi`) and the platform server (`huoshui-server`) both build on this
//! crate, so a rule that holds on the phone holds on the server.

pub mod domain;
pub mod store;
pub mod vault;
