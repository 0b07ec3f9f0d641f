//! Backups of a platform, running or not: `huoshui admin backup OUT` and `huoshui admin
//! restore IN --data-dir D`. Owns the backup folder's layout: `platform.sqlite3` (a
//! consistent copy of the database, documents included — they are stored in it, encrypted —
//! taken with SQLite's online backup API in one step, so it is the database as of one
//! instant even while the platform writes) and `server.key` (without it the phone numbers and
//! documents cannot be read), both owner-only.
//! A restore refuses to overwrite a data folder that already has a database, checks the
//! copy's integrity and schema version first, and writes the files atomically (temp + rename).
//! Must never write the key anywhere but the backup folder or the data folder, or leave a
//! half-written database in the data folder.

use std::path::{Path, PathBuf};

const DB: &str = "platform.sqlite3";
const KEY: &str = "server.key";

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} 中没有平台数据库 / there is no platform database in {path}")]
    NoDatabase { path: PathBuf },
    #[error(
        "{path} 已有平台数据库，不会覆盖；请换一个空目录 / {path} already has a platform database; it is not overwritten, choose an empty folder"
    )]
    Occupied { path: PathBuf },
    #[error("备份的数据库已损坏：{0} / the backed-up database is damaged: {0}")]
    Damaged(String),
    #[error("数据库操作失败：{0} / a database step failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("文件操作失败 {path}：{source} / a file step failed on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(unix)]
fn owner_only(path: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<(), BackupError> {
    Ok(())
}

/// Copies the database of `data_dir` into `dest` (a file that must not exist) in one step of
/// the online backup API: a read transaction sees one instant, writers go on meanwhile (WAL).
fn copy_database(source: &Path, dest: &Path) -> Result<(), BackupError> {
    let src =
        rusqlite::Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(std::time::Duration::from_secs(30))?;
    let mut out = rusqlite::Connection::open(dest)?;
    {
        use rusqlite::backup::StepResult;
        let backup = rusqlite::backup::Backup::new(&src, &mut out)?;
        // -1: every page in one step, under one read transaction (one instant of the database).
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                _ => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
    }
    out.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// Takes a backup of the platform in `data_dir` into the folder `out` (created; it must not
/// already hold a backup).
pub fn backup(data_dir: &Path, out: &Path) -> Result<(), BackupError> {
    let source = data_dir.join(DB);
    if !source.is_file() {
        return Err(BackupError::NoDatabase {
            path: data_dir.to_owned(),
        });
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let dest = out.join(DB);
    if dest.exists() {
        return Err(BackupError::Occupied {
            path: out.to_owned(),
        });
    }
    let tmp = out.join(format!("{DB}.partial"));
    let _ = std::fs::remove_file(&tmp);
    copy_database(&source, &tmp)?;
    owner_only(&tmp)?;
    let key = out.join(KEY);
    std::fs::copy(data_dir.join(KEY), &key).map_err(io(&key))?;
    owner_only(&key)?;
    std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    Ok(())
}

/// Checks a database file: SQLite's integrity check and a schema this build can open.
fn check(path: &Path) -> Result<(), BackupError> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(BackupError::Damaged(verdict));
    }
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > crate::db::VERSION {
        return Err(BackupError::Damaged(format!(
            "schema version {version} is newer than this build ({})",
            crate::db::VERSION
        )));
    }
    Ok(())
}

/// Puts the backup in the folder `input` into `data_dir` (created; it must hold no database).
pub fn restore(input: &Path, data_dir: &Path) -> Result<(), BackupError> {
    let source = input.join(DB);
    if !source.is_file() {
        return Err(BackupError::NoDatabase {
            path: input.to_owned(),
        });
    }
    check(&source)?;
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let dest = data_dir.join(DB);
    if dest.exists() || data_dir.join(KEY).exists() {
        return Err(BackupError::Occupied {
            path: data_dir.to_owned(),
        });
    }
    let key_tmp = data_dir.join(format!("{KEY}.partial"));
    std::fs::copy(input.join(KEY), &key_tmp).map_err(io(&key_tmp))?;
    owner_only(&key_tmp)?;
    let tmp = data_dir.join(format!("{DB}.partial"));
    std::fs::copy(&source, &tmp).map_err(io(&tmp))?;
    owner_only(&tmp)?;
    std::fs::rename(&key_tmp, data_dir.join(KEY)).map_err(io(data_dir))?;
    std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    Ok(())
}
