//! `huoshui`: one binary. `serve` runs the county platform; every other command is a terminal
//! shell of the app core that works offline from the embedded catalog. Human tables by
//! default, `--json` on every command.

mod cmd;
mod error;
mod output;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// 活水 Huoshui — 县域农村金融服务平台 / county rural-finance marketplace.
#[derive(Debug, Parser)]
#[command(name = "huoshui", version, about, long_about = None)]
struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,

    /// Where the data is kept (device store, documents, server database).
    /// Defaults to the user's data folder, e.g. `~/.local/share/huoshui` on Linux.
    #[arg(long, global = true, env = "HUOSHUI_DATA_DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 贷款超市: every product's offer for one request, sorted and filtered.
    Market(cmd::market::MarketArgs),
    /// 对比: two to four offers side by side.
    Compare(cmd::market::CompareArgs),
    /// 产品详情: one product with its repayment schedule.
    Product(cmd::market::ProductArgs),
    /// 贷款计算器: a plain loan calculator.
    Calc(cmd::calc::CalcArgs),
    /// 信用等级: the grade that virtue points reach.
    Grade(cmd::market::GradeArgs),
    /// 证件材料: capture, list and export encrypted documents.
    Doc(cmd::doc::DocArgs),
    /// 平台服务: run the county platform server.
    Serve(cmd::serve::ServeArgs),
}

/// A terminal shell piped into `head` should stop quietly when the reader goes away, as
/// Unix tools do, instead of failing on a broken pipe. The server keeps Rust's default
/// (SIGPIPE ignored), so a client hanging up never stops it.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any other thread exists; setting a signal's
    // disposition to its default has no memory effects.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        restore_default_sigpipe();
    }
    let ctx = cmd::Context {
        json: cli.json,
        data_dir: cli.data_dir,
    };
    let result = match cli.command {
        Command::Market(args) => cmd::market::market(&ctx, args),
        Command::Compare(args) => cmd::market::compare(&ctx, args),
        Command::Product(args) => cmd::market::product(&ctx, args),
        Command::Calc(args) => cmd::calc::run(&ctx, args),
        Command::Grade(args) => cmd::market::grade(&ctx, args),
        Command::Doc(args) => cmd::doc::run(&ctx, args),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::print_error(&ctx, &err);
            ExitCode::from(err.exit_code())
        }
    }
}
