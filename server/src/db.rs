//! The platform database: one SQLite file in the data folder, in WAL mode with
//! `synchronous=FULL`. Owns the schema (version in `user_version`, one migration per version,
//! each in its own transaction), the single writer and the reader pool.
//!
//! Writes go through ONE writer thread. Jobs queue on a channel; the writer takes every job that
//! is waiting (up to [`MAX_BATCH`]), runs each inside its own savepoint within one transaction,
//! commits once (one fsync for the whole group) and only then answers every caller. So an
//! answer implies a durable commit (an acknowledged submission survives SIGKILL), and a failing
//! job rolls back only itself.
//!
//! Must never answer a write before its commit, never write outside the writer, and never store
//! personal data in plain text (phones are kept as a keyed MAC, a masked form and, for the
//! assigned manager's call, sealed under the server key).

use crate::error::ApiError;
use crate::sql::Tx;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

/// The schema version this build writes.
pub const VERSION: u32 = 10;

/// Most jobs committed together in one transaction.
pub const MAX_BATCH: usize = 512;

/// One migration per version: `MIGRATIONS[n]` takes the database from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // v1: accounts, sessions, applications with their events, idempotency, uploads.
    "
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        phone_mac TEXT NOT NULL UNIQUE,
        phone_masked TEXT NOT NULL,
        name TEXT NOT NULL,
        town TEXT,
        bank_id TEXT
    );
    CREATE TABLE manager_towns (
        manager_id TEXT NOT NULL,
        town TEXT NOT NULL,
        PRIMARY KEY (manager_id, town)
    ) WITHOUT ROWID;
    CREATE TABLE login_codes (
        phone_mac TEXT PRIMARY KEY,
        code_hash TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        villager_id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        bank_id TEXT NOT NULL,
        town TEXT NOT NULL,
        manager_id TEXT,
        state TEXT NOT NULL,
        open INTEGER NOT NULL,
        submitted_at INTEGER NOT NULL,
        contacted_at INTEGER,
        escalated_at INTEGER,
        last_seq INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX applications_by_villager ON applications (villager_id, submitted_at);
    CREATE INDEX applications_by_manager ON applications (manager_id, open);
    CREATE INDEX applications_sla ON applications (open, escalated_at, contacted_at, submitted_at);
    CREATE TABLE manager_load (
        manager_id TEXT PRIMARY KEY,
        open INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE events (
        application_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (application_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE idempotency (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        application_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        chunk_size INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL,
        completed_at INTEGER,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX uploads_by_application ON uploads (application_id);
    CREATE TABLE upload_chunks (
        upload_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (upload_id, idx)
    ) WITHOUT ROWID;
    ",
    // v2: a villager's virtue points on the county's record (NULL: none yet).
    "
    ALTER TABLE users ADD COLUMN points INTEGER;
    ",
    // v3: the full phone number sealed under the server key (AES-256-GCM, the user id as
    // associated data; nonce || ciphertext), and the record of every release of one.
    "
    ALTER TABLE users ADD COLUMN phone_sealed BLOB;
    CREATE TABLE phone_releases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        application_id TEXT NOT NULL,
        villager_id TEXT NOT NULL,
        viewer_id TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX phone_releases_by_application ON phone_releases (application_id, at);
    ",
    // v4: each user's live feed, written in the change's own transaction, replayed after a
    // dropped stream (`Last-Event-ID`), pruned after 7 days.
    "
    CREATE TABLE feed (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        message TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX feed_by_user ON feed (user_id, id);
    CREATE INDEX feed_by_time ON feed (at);
    ",
    // v5: an upload opened with an Idempotency-Key answers the same upload on a retry.
    "
    ALTER TABLE uploads ADD COLUMN idempotency_key TEXT;
    ALTER TABLE uploads ADD COLUMN request_hash TEXT;
    CREATE UNIQUE INDEX uploads_by_key ON uploads (owner_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    ",
    // v6: the supervision page (issue 12): server-side browser sessions, and the figures'
    // counters kept by triggers in the transaction of each event (see `crate::supervision`).
    crate::supervision::schema::V6,
    // v7: the phones' push tokens, sealed (issue 10, see `crate::push::devices`).
    crate::push::devices::SCHEMA_V7,
    // v8: the login-code limits, the escalation ladder's steps and the managers' openings.
    crate::ops_schema::V7, // (named on its branch before push took v7)
    // v9: the repayment reminders sent (created on first use before, see `crate::repayments`).
    crate::repayments::SCHEMA_V9,
    // v10: the effects performed once across nodes (issue 13, see `crate::claims`).
    crate::claims::SCHEMA_SQLITE,
];

/// What can go wrong opening the database; said so an operator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("无法打开数据库 {path}：{source} / cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "数据库版本 {found} 比本程序（{supported}）新，请升级 huoshui / the database is version {found}, newer than this build ({supported}); upgrade huoshui"
    )]
    TooNew { found: u32, supported: u32 },
    #[error("无法启动数据库写线程：{0} / cannot start the database writer thread: {0}")]
    Thread(std::io::Error),
    #[error(
        "数据库迁移到版本 {version} 失败：{source} / migrating the database to version {version} failed: {source}"
    )]
    Migrate {
        version: u32,
        source: rusqlite::Error,
    },
    #[error("PostgreSQL：{0} / PostgreSQL: {0}")]
    Postgres(String),
    #[error(
        "不认识的数据库地址类型 {0:?}：请用 sqlite://路径 或 postgres://用户@主机/库名 / unknown database URL scheme {0:?}: use sqlite://<path> or postgres://user@host/db"
    )]
    Scheme(String),
}

/// Opens the SQLite file at `path` as the platform opens it (WAL, full sync, busy timeout).
pub(crate) fn open_conn(path: &Path) -> Result<Connection, DbError> {
    huoshui_core::store::open_sqlite(path, std::time::Duration::from_secs(10)).map_err(|source| {
        DbError::Open {
            path: path.to_owned(),
            source,
        }
    })
}

/// Brings the schema up to [`VERSION`], one version per transaction; answers the version found.
pub fn migrate(conn: &mut Connection) -> Result<u32, DbError> {
    migrate_to(conn, VERSION)
}

/// Brings the schema up to `target` (at most [`VERSION`]): what an older build left behind is
/// upgraded step by step. Answers the version found.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, DbError> {
    let found: u32 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| DbError::Migrate { version: 0, source })?;
    if found > VERSION {
        return Err(DbError::TooNew {
            found,
            supported: VERSION,
        });
    }
    for version in found..target.min(VERSION) {
        let next = version + 1;
        let sql = MIGRATIONS.get(version as usize).copied().unwrap_or("");
        let tx = conn.transaction().map_err(|source| DbError::Migrate {
            version: next,
            source,
        })?;
        tx.execute_batch(sql).map_err(|source| DbError::Migrate {
            version: next,
            source,
        })?;
        tx.pragma_update(None, "user_version", next)
            .map_err(|source| DbError::Migrate {
                version: next,
                source,
            })?;
        tx.commit().map_err(|source| DbError::Migrate {
            version: next,
            source,
        })?;
    }
    Ok(found)
}

pub(crate) type Reply = Box<dyn FnOnce(Result<(), ApiError>) + Send>;
pub(crate) type Job = Box<dyn FnOnce(&Tx<'_>) -> (bool, Reply) + Send>;

/// Where the platform's data lives: the embedded SQLite file (the default) or PostgreSQL
/// shared by several nodes (issue 13).
#[derive(Clone)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(Arc<crate::sql::pg::PgTarget>),
}

impl Target {
    /// `sqlite://<path>` (or a plain path) or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Target, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let target = crate::sql::pg::PgTarget::parse(url, None)
                .map_err(|e| DbError::Postgres(e.to_string()))?;
            return Ok(Target::Postgres(Arc::new(target)));
        }
        if url.contains("://") {
            return Err(DbError::Scheme(
                url.split("://").next().unwrap_or("").to_owned(),
            ));
        }
        Ok(Target::Sqlite(PathBuf::from(url)))
    }

    /// PostgreSQL over TLS only, checked against the county's certificate authority `ca`.
    pub fn with_ca_file(self, ca: &Path) -> Result<Target, DbError> {
        match self {
            Target::Postgres(pg) => {
                let tls = crate::sql::pg::PgTarget::clone(&pg)
                    .with_ca_file(ca)
                    .map_err(DbError::Postgres)?;
                Ok(Target::Postgres(Arc::new(tls)))
            }
            Target::Sqlite(_) => Err(DbError::Postgres(
                "CA 证书只用于 PostgreSQL / a CA certificate is for PostgreSQL only".into(),
            )),
        }
    }
}

enum Readers {
    Sqlite(Mutex<Vec<Connection>>),
    Postgres(crate::sql::pg::PgPool),
}

/// The database handle shared by every request: a writer queue and a pool of readers.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
    readers: Arc<Readers>,
    target: Target,
    /// Writes submitted and not yet answered (issue 16: load shedding reads it).
    pending: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a write as pending until its answer (or its caller giving up).
struct PendingWrite(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for PendingWrite {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Db {
    /// Opens (creating and migrating) the SQLite database at `path` and starts the writer.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        Db::open_target(&Target::Sqlite(path.to_owned()))
    }

    /// Opens (creating and migrating) the database of `target` and starts the writer thread.
    /// On PostgreSQL the connecting happens on the writer's own thread (the synchronous client
    /// must never run on an async worker).
    pub fn open_target(target: &Target) -> Result<Db, DbError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let readers = match target {
            Target::Sqlite(path) => {
                let mut writer = open_conn(path)?;
                migrate(&mut writer)?;
                std::thread::Builder::new()
                    .name("huoshui-db-writer".into())
                    .spawn(move || sqlite_writer(writer, rx))
                    .map_err(DbError::Thread)?;
                Readers::Sqlite(Mutex::new(Vec::new()))
            }
            Target::Postgres(pg) => {
                let (ready_tx, ready_rx) = mpsc::channel();
                let pg_writer = pg.clone();
                std::thread::Builder::new()
                    .name("huoshui-db-writer".into())
                    .spawn(move || crate::sql::pg::writer(&pg_writer, rx, &ready_tx))
                    .map_err(DbError::Thread)?;
                ready_rx
                    .recv()
                    .map_err(|_| DbError::Postgres("the writer thread stopped".into()))?
                    .map_err(DbError::Postgres)?;
                Readers::Postgres(crate::sql::pg::PgPool::new(pg.clone()))
            }
        };
        Ok(Db {
            jobs,
            readers: Arc::new(readers),
            target: target.clone(),
            pending: Arc::default(),
        })
    }

    /// Which engine this database runs on.
    pub fn backend(&self) -> crate::sql::Backend {
        match self.target {
            Target::Sqlite(_) => crate::sql::Backend::Sqlite,
            Target::Postgres(_) => crate::sql::Backend::Postgres,
        }
    }

    /// Where this database lives.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Runs `f` on the writer inside a savepoint of a group transaction and answers after the
    /// commit. An `Err` from `f` rolls back what `f` wrote and nothing else.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, ApiError>>();
        self.pending
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _pending = PendingWrite(self.pending.clone());
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |committed| {
                let answer = match committed {
                    Ok(()) => result,
                    Err(e) => Err(e),
                };
                let _ = tx.send(answer);
            });
            (ok, reply)
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("database writer stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("database writer dropped a job"))?
    }

    /// Runs `f` in a short read-write transaction of its own, outside the writer (issue 13:
    /// the claims of `crate::claims`, whose `FOR UPDATE SKIP LOCKED` must not queue behind the
    /// nodes' global write lock). On PostgreSQL a pooled connection at READ COMMITTED; on
    /// SQLite there is one writer per file, so this is [`Db::write`]. An `Err` rolls back.
    pub async fn claim_tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let readers = self.readers.clone();
        if let Readers::Sqlite(_) = &*readers {
            return self.write(f).await;
        }
        tokio::task::spawn_blocking(move || match &*readers {
            Readers::Postgres(pool) => pool.transact(f),
            Readers::Sqlite(_) => Err(ApiError::internal("claim on the wrong backend")),
        })
        .await
        .map_err(|_| ApiError::internal("claim task failed"))?
    }

    /// Writes waiting for the writer or being written, not yet answered.
    pub fn pending_writes(&self) -> usize {
        self.pending.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on a pooled reader connection on the blocking pool (on PostgreSQL inside one
    /// read-only snapshot).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let readers = self.readers.clone();
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || match (&*readers, &target) {
            (Readers::Sqlite(pool), Target::Sqlite(path)) => {
                let pooled = lock(pool).pop();
                let conn = match pooled {
                    Some(c) => c,
                    None => {
                        open_conn(path).map_err(|e| ApiError::internal(&format!("reader: {e}")))?
                    }
                };
                let result = f(&Tx::sqlite(&conn));
                let mut pool = lock(pool);
                if pool.len() < 16 {
                    pool.push(conn);
                }
                result
            }
            (Readers::Postgres(pool), _) => pool.read(f),
            _ => Err(ApiError::internal("database readers of another backend")),
        })
        .await
        .map_err(|_| ApiError::internal("reader task failed"))?
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Runs one group of jobs, each in its savepoint, on a transaction the caller began; answers
/// the replies to send once the caller has committed (or failed to).
pub(crate) fn run_batch(tx: &Tx<'_>, batch: Vec<Job>) -> Vec<Reply> {
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    for job in batch {
        if tx.execute_batch("SAVEPOINT job").is_err() {
            drop(job);
            continue;
        }
        let (ok, reply) = job(tx);
        let end = if ok {
            "RELEASE SAVEPOINT job"
        } else {
            "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job"
        };
        if let Err(e) = tx.execute_batch(end) {
            tracing::error!(error = %e, "savepoint end failed");
        }
        replies.push(reply);
    }
    replies
}

/// Takes the first job and every job waiting behind it (up to [`MAX_BATCH`]).
pub(crate) fn next_batch(rx: &mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn sqlite_writer(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Some(batch) = next_batch(&rx) {
        let began = conn.execute_batch("BEGIN IMMEDIATE");
        if let Err(e) = began {
            // Dropping a job drops its answer channel: each caller gets an internal fault.
            tracing::error!(error = %e, "begin failed");
            drop(batch);
            continue;
        }
        let replies = run_batch(&Tx::sqlite(&conn), batch);
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            ApiError::internal(&format!("commit: {e}"))
        });
        for reply in replies {
            reply(committed.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_rolls_back_only_itself_within_a_group_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let db = Db::open(&tmp.path().join("t.sqlite3")).unwrap();
        let mut tasks = Vec::new();
        for i in 0..200i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.write(move |conn| {
                    conn.execute(
                        "INSERT INTO manager_load (manager_id, open) VALUES (?1, ?2)",
                        crate::sql::params![format!("m{i}"), i],
                    )?;
                    if i % 3 == 0 {
                        return Err(ApiError::bad_request("refused", "拒绝", "refused"));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        let stored: Vec<i64> = db
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT open FROM manager_load ORDER BY open")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<i64>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(stored.len(), ok);
        assert!(
            stored.iter().all(|i| i % 3 != 0),
            "a refused write left nothing behind"
        );
        assert_eq!(ok, (0..200).filter(|i| i % 3 != 0).count());
    }
}
