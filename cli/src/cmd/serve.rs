//! (being written)
use super::Context;
use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_ctx: &Context, _args: ServeArgs) -> Result<(), CliError> {
    Err(CliError::failed("not_ready", "此命令尚未完成", "this command is not ready yet"))
}
