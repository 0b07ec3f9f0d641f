//! The database a command works on (issue 13): `--database-url` / `HUOSHUI_DATABASE_URL`,
//! `sqlite://<path>` or `postgres://…`, by default the embedded SQLite file of the data folder;
//! the URL as it may be shown (password masked) and the engine's name. Also `admin migrate`
//! and `admin copy`. Must never print or log a URL with its password.

use super::Context;
use crate::error::CliError;
use huoshui_server::copy::{CopyError, CopyReport};
use huoshui_server::db::Target;
use std::path::Path;

/// The embedded database's file name in the server's data folder (as `huoshui_server::start`).
const SQLITE_FILE: &str = "platform.sqlite3";

/// The target of `url`, or the data folder's SQLite file when none is given. A PostgreSQL
/// target speaks TLS, checked against the county's certificate authority, when
/// `HUOSHUI_DATABASE_CA` names its PEM file (`serve --database-ca` sets it too).
pub fn target(url: Option<&str>, server_dir: &Path) -> Result<Target, CliError> {
    let target = match url.filter(|u| !u.trim().is_empty()) {
        None => Target::Sqlite(server_dir.join(SQLITE_FILE)),
        Some(url) => Target::parse(url).map_err(|e| {
            CliError::input(
                format!("数据库地址无效（{}）：{e}", masked(url)),
                format!("invalid database URL ({}): {e}", masked(url)),
            )
        })?,
    };
    match std::env::var_os("HUOSHUI_DATABASE_CA").filter(|ca| !ca.is_empty()) {
        Some(ca) if matches!(target, Target::Postgres(_)) => target
            .with_ca_file(Path::new(&ca))
            .map_err(|e| CliError::input(e.to_string(), e.to_string())),
        _ => Ok(target),
    }
}

/// The engine's name and where it is, as shown to the operator (never with a password).
pub fn describe(url: Option<&str>, target: &Target) -> (&'static str, String) {
    match target {
        Target::Sqlite(path) => ("SQLite", path.display().to_string()),
        Target::Postgres(_) => ("PostgreSQL", url.map(masked).unwrap_or_default()),
    }
}

/// `url` with the password (in the user part or as a `password=` parameter) replaced by `***`.
pub fn masked(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((user, host)) => {
                let user = match user.split_once(':') {
                    Some((name, _)) => format!("{name}:***"),
                    None => user.to_owned(),
                };
                format!("{scheme}://{user}@{host}")
            }
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

fn failed(e: impl std::fmt::Display) -> CliError {
    let text = e.to_string();
    CliError::failed("database", text.clone(), text)
}

/// `admin migrate`: brings the schema up to date and says from which version to which.
pub fn migrate(ctx: &Context, url: Option<&str>, server_dir: &Path) -> Result<(), CliError> {
    let target = target(url, server_dir)?;
    if let Target::Sqlite(path) = &target
        && let Some(parent) = path.parent()
    {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let (engine, place) = describe(url, &target);
    let (from, to) =
        on_own_thread(move || huoshui_server::copy::migrate(&target))?.map_err(failed)?;
    if ctx.json {
        return crate::output::print_json(&serde_json::json!({
            "engine": engine, "database": place, "from_version": from, "to_version": to,
        }));
    }
    if from == to {
        println!("{engine} {place}: 已是最新版本 {to} / already at version {to}");
    } else {
        println!(
            "{engine} {place}: 已从版本 {from} 升级到 {to} / migrated from version {from} to {to}"
        );
    }
    Ok(())
}

/// `admin copy`: the whole county from `from` into the empty PostgreSQL `to`, then the check.
pub fn copy(
    ctx: &Context,
    from: Option<&str>,
    to: &str,
    server_dir: &Path,
) -> Result<(), CliError> {
    let source = target(from, server_dir)?;
    if let Target::Sqlite(path) = &source
        && !path.exists()
    {
        return Err(CliError::input(
            format!("源数据库 {} 不存在", path.display()),
            format!("the source database {} does not exist", path.display()),
        ));
    }
    let dest = target(Some(to), server_dir)?;
    let (from_engine, from_place) = describe(from, &source);
    let (to_engine, to_place) = describe(Some(to), &dest);
    if !ctx.json {
        println!("复制 / copying: {from_engine} {from_place} → {to_engine} {to_place}");
    }
    match on_own_thread(move || huoshui_server::copy::copy(&source, &dest))? {
        Ok(report) => {
            print_report(ctx, &report)?;
            if !ctx.json {
                println!("全部一致，已提交 / every table is the same on both sides; committed");
            }
            Ok(())
        }
        Err(CopyError::Mismatch(tables, report)) => {
            print_report(ctx, &report)?;
            let mut err = failed(CopyError::Mismatch(tables, report));
            err.said = ctx.json;
            Err(err)
        }
        Err(e) => Err(failed(e)),
    }
}

fn print_report(ctx: &Context, report: &CopyReport) -> Result<(), CliError> {
    if ctx.json {
        return crate::output::print_json(report);
    }
    let mut table = crate::output::table();
    table.set_header(vec![
        "表 table",
        "源行数 source rows",
        "目标行数 target rows",
        "源哈希 source hash",
        "目标哈希 target hash",
        "一致 same",
    ]);
    for t in &report.tables {
        let same = if t.same() { "是 yes" } else { "否 NO" };
        table.add_row(vec![
            t.table.clone(),
            t.source_rows.to_string(),
            t.target_rows.to_string(),
            t.source_hash.clone(),
            t.target_hash.clone(),
            same.to_owned(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// The PostgreSQL client blocks: the work runs on a thread of its own.
fn on_own_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, CliError> {
    std::thread::Builder::new()
        .name("huoshui-admin-db".into())
        .spawn(f)
        .map_err(failed)?
        .join()
        .map_err(|_| failed("the database thread stopped"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_database_url_is_shown_without_its_password() {
        assert_eq!(
            masked("postgres://county:s3cret@db.example:5432/huoshui"),
            "postgres://county:***@db.example:5432/huoshui"
        );
        assert_eq!(
            masked("postgres://county@127.0.0.1/huoshui?password=s3cret&sslmode=disable"),
            "postgres://county@127.0.0.1/huoshui?password=***&sslmode=disable"
        );
        assert_eq!(
            masked("postgres://127.0.0.1/huoshui"),
            "postgres://127.0.0.1/huoshui"
        );
        assert!(!masked("postgresql://a:p@ss@h/d").contains("p@ss"));
    }
}
