//! `huoshui admin`: the county operator's commands on the platform's data folder
//! (`<data-dir>/server`, the same as `serve`): `import villagers|managers|admins FILE.csv`
//! (enrollment, see `huoshui_server::enroll`), `backup OUT` (a consistent copy of a running
//! platform with its key) and `restore IN` (into an empty data folder); `migrate` and `copy`
//! (the database, issue 13: see [`super::database`]).
//! Must never print a phone number or a secret.

use super::Context;
use crate::error::CliError;
use huoshui_server::enroll::{self, Kind, Report};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// 导入名册: enroll villagers, managers or administrators from a CSV file (idempotent).
    Import {
        /// villagers (phone,name,town,points), managers (phone,name,bank,towns) or admins (phone,name).
        kind: String,
        /// The CSV file (UTF-8, with a header row).
        file: PathBuf,
        /// Import the good rows and report the bad ones (without it, any bad row imports nothing).
        #[arg(long)]
        skip_bad: bool,
    },
    /// 备份: copy the platform's database (documents included) and its key into the folder OUT.
    Backup { out: PathBuf },
    /// 恢复: put a backup folder back into the data folder (which must hold no database yet).
    Restore { input: PathBuf },
    /// 升级数据库: bring the schema up to date (SQLite or PostgreSQL) without starting the server.
    Migrate {
        /// `sqlite://<path>` or `postgres://…` (default: the data folder's SQLite file).
        #[arg(long, env = "HUOSHUI_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// 迁移县数据: copy every table into an empty PostgreSQL in one transaction, then check
    /// each table's rows and content hash on both sides.
    Copy {
        /// The source, `sqlite://<path>` (default: the data folder's SQLite file) or `postgres://…`.
        #[arg(long)]
        from: Option<String>,
        /// The empty target, `postgres://…`.
        #[arg(long)]
        to: String,
    },
}

fn server_dir(ctx: &Context) -> Result<PathBuf, CliError> {
    match &ctx.data_dir {
        Some(d) => Ok(d.join("server")),
        None => dirs::data_dir()
            .map(|d| d.join("huoshui").join("server"))
            .ok_or_else(|| {
                CliError::input(
                    "找不到用户数据目录，请用 --data-dir 指定",
                    "no user data folder found; give one with --data-dir",
                )
            }),
    }
}

fn failed(e: impl std::fmt::Display) -> CliError {
    let text = e.to_string();
    CliError::failed("admin", text.clone(), text)
}

pub fn run(ctx: &Context, args: AdminArgs) -> Result<(), CliError> {
    let dir = server_dir(ctx)?;
    match args.command {
        AdminCommand::Import {
            kind,
            file,
            skip_bad,
        } => import(ctx, &dir, &kind, &file, skip_bad),
        AdminCommand::Backup { out } => {
            huoshui_server::backup::backup(&dir, &out).map_err(failed)?;
            say(ctx, "backup", &out, "备份完成", "backup written")
        }
        AdminCommand::Restore { input } => {
            huoshui_server::backup::restore(&input, &dir).map_err(failed)?;
            say(ctx, "restore", &dir, "恢复完成", "restored")
        }
        AdminCommand::Migrate { database_url } => {
            super::database::migrate(ctx, database_url.as_deref(), &dir)
        }
        AdminCommand::Copy { from, to } => super::database::copy(ctx, from.as_deref(), &to, &dir),
    }
}

fn say(
    ctx: &Context,
    what: &str,
    path: &std::path::Path,
    zh: &str,
    en: &str,
) -> Result<(), CliError> {
    if ctx.json {
        crate::output::print_json(&serde_json::json!({ what: path }))
    } else {
        println!("{zh} / {en}: {}", path.display());
        Ok(())
    }
}

fn import(
    ctx: &Context,
    dir: &std::path::Path,
    kind: &str,
    file: &std::path::Path,
    skip_bad: bool,
) -> Result<(), CliError> {
    let kind = Kind::parse(kind).ok_or_else(|| {
        CliError::input(
            "名册类型应为 villagers、managers 或 admins",
            "the kind must be villagers, managers or admins",
        )
    })?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        CliError::input(
            format!("无法读取 {}：{e}", file.display()),
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    std::fs::create_dir_all(dir).map_err(failed)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed)?;
    let report = runtime.block_on(async {
        let keys = Arc::new(huoshui_server::keys::ServerKeys::load_or_create(dir).map_err(failed)?);
        let db = huoshui_server::db::Db::open(&dir.join("platform.sqlite3")).map_err(failed)?;
        let directory = huoshui_server::directory::Directory::embedded().map_err(failed)?;
        enroll::import(&db, keys, &directory, kind, &text, skip_bad)
            .await
            .map_err(|e| CliError::failed("admin", e.message_zh, e.message_en))
    })?;
    print_report(ctx, &report)?;
    if report.imported {
        Ok(())
    } else {
        let mut refused = CliError::input(
            "有被拒绝的行，什么都没有导入（改正后重新导入，或加 --skip-bad 只导入正确的行）",
            "rows were refused and nothing was imported (fix them and import again, or add --skip-bad to import the good rows only)",
        );
        // With --json the report above is the one answer; the exit code (2) says the rest.
        refused.said = ctx.json;
        Err(refused)
    }
}

fn print_report(ctx: &Context, report: &Report) -> Result<(), CliError> {
    if ctx.json {
        return crate::output::print_json(report);
    }
    println!(
        "新增 added: {}  更新 updated: {}  拒绝 refused: {}",
        report.added,
        report.updated,
        report.refused.len()
    );
    for r in &report.refused {
        println!("  {} / {}", r.zh, r.en);
    }
    Ok(())
}
