//! The device store: one SQLite file (`<data dir>/store.db`) for what the phone keeps.
//!
//! Owns the cached catalog with its ETag, drafts, the local copy of the villager's applications
//! and their events, the manager's tasks, the outbox of pending commands and document metadata.
//! It must never hold personal data in the clear (application and task payloads, the session,
//! and every event and outbox payload that may carry free text are sealed with the install key,
//! AES-256-GCM, bound to their table and row; drafts' extras and the events and commands that
//! hold only ids, codes and amounts are kept clear so they survive a lost key, as
//! [`clear`] decides), never silently delete a database, and never read the clock in a function that
//! decides (time comes in as a `jiff::Timestamp`).
//!
//! - One writer connection and one reader connection, each behind a mutex:
//!   [`Store::write`] runs a closure in an IMMEDIATE transaction and commits it,
//!   [`Store::read`] runs a closure on the reader (query-only).
//! - WAL journal, `synchronous=FULL`: a committed transaction survives a killed app or a power cut.
//! - `PRAGMA user_version` holds the schema version ([`schema::VERSION`]); each upgrade step runs
//!   in its own transaction with the version bump. A database from newer code is refused
//!   ([`StoreError::TooNew`]) and left untouched.
//! - A file that is not a database (or fails `quick_check`) is renamed, with its `-wal` and
//!   `-shm`, to `store.db.corrupt-<unix seconds>[-n]` and reported in [`Opened::moved_aside`];
//!   a fresh store takes its place. Nothing is ever deleted.
//! - The outbox saves a command's idempotency key in the same transaction that enqueues it,
//!   before the first send, and reuses it on every retry; after too many failures a command is
//!   `wedged` and waits for the user ([`outbox`]).

pub mod clear;
pub mod outbox;
pub mod records;
pub mod reset;
pub mod schema;
pub mod session;

use crate::vault::InstallKey;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The store's file name inside the data folder.
pub const FILE_NAME: &str = "store.db";

/// What can go wrong with the device store. Each says what to do in Chinese and English as
/// data ([`StoreError::message_zh`], [`StoreError::message_en`]); `Display` joins them for logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer version of the app.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    TooNew { found: u32, supported: u32 },
    /// SQLite failed.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Sqlite(#[from] rusqlite::Error),
    /// A sealed field did not open (wrong key or damaged row).
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    /// Disk trouble while moving a damaged file aside.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Io(#[from] std::io::Error),
    /// A value in the store is not what the code expects.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Invalid(String),
    /// Another thread panicked while holding a connection.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Poisoned,
}

impl StoreError {
    /// What went wrong and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            StoreError::TooNew { found, supported } => format!(
                "数据库来自更新版本的应用（版本 {found}，本应用支持 {supported}），请更新应用"
            ),
            StoreError::Sqlite(e) => format!("本地数据库出错：{e}，请重启应用"),
            StoreError::Vault(_) => "本地加密数据无法打开，请重启应用".to_owned(),
            StoreError::Io(e) => format!("无法移走损坏的数据库：{e}，请检查存储空间"),
            StoreError::Invalid(what) => format!("本地数据异常：{what}"),
            StoreError::Poisoned => "数据库连接不可用，请重启应用".to_owned(),
        }
    }

    /// What went wrong and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            StoreError::TooNew { found, supported } => format!(
                "the database comes from a newer app (version {found}, this app supports {supported}): update the app"
            ),
            StoreError::Sqlite(e) => format!("local database error: {e}: restart the app"),
            StoreError::Vault(_) => {
                "sealed local data cannot be opened: restart the app".to_owned()
            }
            StoreError::Io(e) => {
                format!("cannot move the damaged database aside: {e}: check storage")
            }
            StoreError::Invalid(what) => format!("unexpected local data: {what}"),
            StoreError::Poisoned => {
                "the database connection is unusable: restart the app".to_owned()
            }
        }
    }
}

/// The device store.
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    key: Arc<InstallKey>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The result of [`Store::open`].
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    /// Where a damaged database was moved, if one was (tell the user; send a report).
    pub moved_aside: Option<PathBuf>,
}

/// Opens (creating if needed) the SQLite file at `path` with the project's pragmas, the one
/// way the device store and the platform server open a database for writing: waits up to
/// `busy` for a lock, WAL journal (refused if SQLite cannot give it), `synchronous=FULL` (a
/// committed transaction survives a power cut), foreign keys enforced.
pub fn open_sqlite(path: &Path, busy: std::time::Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn, busy)?;
    Ok(conn)
}

fn configure(conn: &Connection, busy: std::time::Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode is {mode}, not WAL"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

fn is_not_a_database(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Whether the file is missing, empty, or starts with SQLite's magic header.
fn looks_like_sqlite(path: &Path) -> Result<bool, std::io::Error> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    };
    let mut head = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut head)?;
    Ok(head.is_empty() || head == b"SQLite format 3\0")
}

/// Reads `user_version` and checks the file is a sound database.
fn probe(path: &Path) -> Result<(Connection, u32), rusqlite::Error> {
    let conn = open_sqlite(path, std::time::Duration::from_secs(5))?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        ));
    }
    Ok((conn, version))
}

/// Renames the database and its `-wal`/`-shm` to `<name>.corrupt-<secs>[-n]`.
fn move_aside(path: &Path, now_secs: i64) -> Result<PathBuf, std::io::Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut n = 0u32;
    let target = loop {
        let candidate = if n == 0 {
            path.with_file_name(format!("{name}.corrupt-{now_secs}"))
        } else {
            path.with_file_name(format!("{name}.corrupt-{now_secs}-{n}"))
        };
        if !candidate.exists() {
            break candidate;
        }
        n = n.saturating_add(1);
    };
    std::fs::rename(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        if side.exists() {
            let side_target = target.with_file_name(format!(
                "{}{suffix}",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            std::fs::rename(&side, side_target)?;
        }
    }
    Ok(target)
}

/// Brings a database at `version` up to [`schema::VERSION`], one transaction per step.
pub fn migrate(conn: &mut Connection, mut version: u32) -> Result<(), StoreError> {
    if version > schema::VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: schema::VERSION,
        });
    }
    if version == 0 {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.execute_batch(schema::CURRENT_SQL)?;
        tx.pragma_update(None, "user_version", schema::VERSION)?;
        tx.commit()?;
        return Ok(());
    }
    while version < schema::VERSION {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        schema::upgrade_step(&tx, version)?;
        version += 1;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

impl Store {
    /// Opens (or creates) `<data_dir>/store.db`. `now` names a moved-aside file.
    pub fn open(
        data_dir: &Path,
        key: Arc<InstallKey>,
        now: jiff::Timestamp,
    ) -> Result<Opened, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(FILE_NAME);
        let mut moved_aside = None;
        // A file that does not even start like a database is moved aside before SQLite opens it,
        // so its -wal/-shm are kept exactly as they were.
        if !looks_like_sqlite(&path)? {
            tracing::warn!("device store is not a database, moving it aside");
            moved_aside = Some(move_aside(&path, now.as_second())?);
        }
        let (mut conn, version) = match probe(&path) {
            Ok(found) => found,
            Err(err) if is_not_a_database(&err) && moved_aside.is_none() => {
                tracing::warn!(error = %err, "device store damaged, moving it aside");
                moved_aside = Some(move_aside(&path, now.as_second())?);
                probe(&path)?
            }
            Err(err) => return Err(err.into()),
        };
        migrate(&mut conn, version)?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        reader.pragma_update(None, "query_only", true)?;
        Ok(Opened {
            store: Store {
                writer: Mutex::new(conn),
                reader: Mutex::new(reader),
                key,
                path,
            },
            moved_aside,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one IMMEDIATE transaction on the writer and commits it if `f` succeeds.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// [`Store::write`] for a closure with its own error type (e.g. a user action that the
    /// domain may refuse halfway: nothing is committed then).
    pub fn write_with<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.writer.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `f` on the reader connection (it cannot write).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.reader.lock().map_err(|_| StoreError::Poisoned)?;
        f(&conn)
    }

    /// Seals a personal field for `table`/`row`.
    pub(crate) fn seal(
        &self,
        table: &str,
        row: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        Ok(self
            .key
            .seal(format!("huoshui/store/{table}/{row}").as_bytes(), plaintext)?)
    }

    /// Opens a field sealed by [`Store::seal`] and checks it is UTF-8 text.
    pub(crate) fn open_text(
        &self,
        table: &str,
        row: &str,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<String>, StoreError> {
        let mut bytes = self
            .key
            .open(format!("huoshui/store/{table}/{row}").as_bytes(), sealed)?;
        let text = String::from_utf8(std::mem::take(&mut *bytes))
            .map_err(|_| StoreError::Invalid(format!("{table} {row}: sealed text is not UTF-8")))?;
        Ok(zeroize::Zeroizing::new(text))
    }
}

#[cfg(test)]
mod error_tests {
    use super::StoreError;

    #[test]
    fn a_store_error_carries_its_chinese_and_english_as_separate_text() {
        let e = StoreError::TooNew {
            found: 9,
            supported: 3,
        };
        assert!(e.message_zh().contains("版本 9") && e.message_zh().contains("请更新应用"));
        assert!(e.message_en().ends_with("update the app") && e.message_en().is_ascii());
        assert_eq!(
            e.to_string(),
            format!("{} / {}", e.message_zh(), e.message_en())
        );
    }
}
