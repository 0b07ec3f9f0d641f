//! (being written)
use super::Context;
use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct MarketArgs {}
#[derive(Debug, clap::Args)]
pub struct CompareArgs {}
#[derive(Debug, clap::Args)]
pub struct ProductArgs {}
#[derive(Debug, clap::Args)]
pub struct GradeArgs {}

fn not_ready() -> Result<(), CliError> {
    Err(CliError::failed("not_ready", "此命令尚未完成", "this command is not ready yet"))
}
pub fn market(_ctx: &Context, _args: MarketArgs) -> Result<(), CliError> { not_ready() }
pub fn compare(_ctx: &Context, _args: CompareArgs) -> Result<(), CliError> { not_ready() }
pub fn product(_ctx: &Context, _args: ProductArgs) -> Result<(), CliError> { not_ready() }
pub fn grade(_ctx: &Context, _args: GradeArgs) -> Result<(), CliError> { not_ready() }
