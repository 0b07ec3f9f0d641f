//! One module per command family. Each owns its argument struct and its output.

pub mod calc;
pub mod doc;
pub mod market;
pub mod serve;

use std::path::PathBuf;

/// What every command gets from the global flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub json: bool,
    pub data_dir: Option<PathBuf>,
}
