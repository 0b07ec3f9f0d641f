//! `huoshui`: one binary. `serve` runs the county platform; every other command is a terminal
//! shell of the app core: the market works offline from the embedded catalog, and the device
//! commands (account, apply, sync, status, tasks, act, doc) go through the same app facade the
//! phones use. Human tables by default, `--json` on every command. Exit codes: 0 done, 1 failed,
//! 2 bad input, 3 the platform cannot be reached (what was done is kept on this machine).

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

    /// The county platform's address, e.g. http://127.0.0.1:8080 (for signing in and syncing).
    #[arg(long, global = true, env = "HUOSHUI_SERVER")]
    server: Option<String>,

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
    /// 账户: sign in to the county platform with a phone number and a one-time code.
    Account(cmd::account::AccountArgs),
    /// 申请贷款: draft, capture the documents and submit in one go (works offline).
    Apply(cmd::apply::ApplyArgs),
    /// 同步: send what waits on this device, fetch what changed on the platform.
    Sync(cmd::sync::SyncArgs),
    /// 我的申请: the applications on this device, or one application's timeline.
    Status(cmd::status::StatusArgs),
    /// 待办: an account manager's inbox, with the villager to call and the countdown.
    Tasks(cmd::status::TasksArgs),
    /// 操作申请: a manager's contact, start-review, request-documents, approve, reject,
    /// disburse; a villager's accept, withdraw, provide-documents.
    Act(cmd::act::ActArgs),
    /// 平台服务: run the county platform server.
    Serve(cmd::serve::ServeArgs),
    /// 平台管理: enroll from CSV, back up and restore the platform's data.
    Admin(cmd::admin::AdminArgs),
    /// 还款计划: a paid-out loan's dated plan: what is due, paid and late (works offline).
    Plan(cmd::plan::PlanArgs),
    /// 提前还款: repaying early on a day, all or part: interest saved, the new plan, each choice.
    Prepay(cmd::plan::PrepayArgs),
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

/// Parses the command line. A usage mistake is bad input (exit code 2) with words in Chinese
/// and English (as JSON with `--json`); help and version print as usual.
fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return Err(ExitCode::SUCCESS);
            }
            let en = e.render().to_string();
            let en = en.trim().trim_start_matches("error: ").to_owned();
            let zh = "命令写得不对，请看下面的英文说明或运行 huoshui help";
            let json = std::env::args().any(|a| a == "--json");
            output::say_error(json, "invalid_input", zh, &en);
            Err(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if !matches!(cli.command, Command::Serve(_)) {
        restore_default_sigpipe();
    }
    let ctx = cmd::Context {
        json: cli.json,
        data_dir: cli.data_dir,
        server: cli.server,
    };
    let result = match cli.command {
        Command::Market(args) => cmd::market::market(&ctx, args),
        Command::Compare(args) => cmd::market::compare(&ctx, args),
        Command::Product(args) => cmd::market::product(&ctx, args),
        Command::Calc(args) => cmd::calc::run(&ctx, args),
        Command::Grade(args) => cmd::market::grade(&ctx, args),
        Command::Doc(args) => cmd::doc::run(&ctx, args),
        Command::Serve(args) => cmd::serve::run(&ctx, args),
        Command::Account(args) => cmd::account::run(&ctx, args),
        Command::Apply(args) => cmd::apply::run(&ctx, args),
        Command::Sync(args) => cmd::sync::run(&ctx, args),
        Command::Status(args) => cmd::status::status(&ctx, args),
        Command::Tasks(args) => cmd::status::tasks(&ctx, args),
        Command::Act(args) => cmd::act::run(&ctx, args),
        Command::Admin(args) => cmd::admin::run(&ctx, args),
        Command::Plan(args) => cmd::plan::plan(&ctx, args),
        Command::Prepay(args) => cmd::plan::prepay(&ctx, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::print_error(&ctx, &err);
            ExitCode::from(err.exit_code())
        }
    }
}
