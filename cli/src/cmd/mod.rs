//! One module per command family. Each owns its argument struct and its output.

pub mod account;
pub mod act;
pub mod admin;
pub mod apply;
pub mod calc;
pub mod database;
pub mod device;
pub mod doc;
pub mod market;
pub mod plan;
pub mod serve;
pub mod serve_config;
pub mod status;
pub mod sync;

use std::path::PathBuf;

/// What every command gets from the global flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub json: bool,
    pub data_dir: Option<PathBuf>,
    /// The county platform's address (`--server` / `HUOSHUI_SERVER`), for signing in and syncing.
    pub server: Option<String>,
}
