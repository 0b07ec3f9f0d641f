//! The PostgreSQL schema of the seam (issue 13): its own series of versions, recorded in the
//! table `huoshui_schema`, one migration per version, each in its own transaction under one
//! advisory lock, so several nodes starting at once migrate once. Owns the SQL only; the
//! tables have the same names and columns as their SQLite twins (`crate::db`,
//! `crate::ops_schema`). Must never change a migration once released: add the next one.
//!
//! From v5 on (`pg_schema_v5.rs`) PostgreSQL has every table of the SQLite schema.
//! Two columns stay `INTEGER` (32 bits) where every other integer column is `BIGINT`:
//! `idempotency.status` and `login_codes.attempts` (v1, v2), as the first PostgreSQL code read
//! them (`crate::sql` narrows its 64-bit integers to them on the way); widening them is
//! `ALTER TABLE idempotency ALTER COLUMN status TYPE BIGINT; ALTER TABLE login_codes ALTER
//! COLUMN attempts TYPE BIGINT` in a later version.

use super::pg::PgError;
use r2d2_postgres::postgres::Client;

#[path = "pg_schema_v5.rs"]
mod v5;

/// The schema version this build writes on PostgreSQL.
pub const VERSION: i32 = 7;

/// The advisory lock every migration takes (any number; the same on every node).
const MIGRATION_LOCK: i64 = 0x6875_6f73_6875_6900;

/// `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // v1: the login-code limits and the idempotency keys (the first slice of issue 13).
    "
    CREATE TABLE code_requests (
        id BIGSERIAL PRIMARY KEY,
        phone_mac TEXT NOT NULL,
        client_mac TEXT,
        at BIGINT NOT NULL
    );
    CREATE INDEX code_requests_by_phone ON code_requests (phone_mac, at);
    CREATE INDEX code_requests_by_client ON code_requests (client_mac, at);
    CREATE INDEX code_requests_by_time ON code_requests (at);
    CREATE TABLE idempotency (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    ",
    // v2: the login codes waiting to be typed and the sessions (signing in on any node).
    "
    CREATE TABLE login_codes (
        phone_mac TEXT PRIMARY KEY,
        code_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    ",
    // v3: the supervision page's browser sessions.
    "
    CREATE TABLE admin_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX admin_sessions_by_expiry ON admin_sessions (expires_at);
    ",
    // v4: the users (the phone as its keyed MAC, masked and sealed) and the managers' towns.
    "
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        phone_mac TEXT NOT NULL UNIQUE,
        phone_masked TEXT NOT NULL,
        name TEXT NOT NULL,
        town TEXT,
        bank_id TEXT,
        points BIGINT,
        phone_sealed BYTEA
    );
    CREATE TABLE manager_towns (
        manager_id TEXT NOT NULL,
        town TEXT NOT NULL,
        PRIMARY KEY (manager_id, town)
    );
    ",
    // v5: every other table of the SQLite schema (applications, events, uploads, the feed,
    // the supervision counters, push devices, the ladder, repayment reminders …).
    v5::V5,
    // v6: the supervision counters' triggers.
    v5::V6,
    // v7: the effects performed once across nodes (`crate::claims`).
    crate::claims::SCHEMA_PG,
];

/// Brings the schema (of the connection's `search_path`) up to [`VERSION`]; answers the
/// version found.
pub fn migrate(client: &mut Client) -> Result<i32, PgError> {
    migrate_to(client, VERSION)
}

/// Brings the schema up to `target` (at most [`VERSION`]): what an older build left behind is
/// upgraded step by step. Answers the version found.
pub fn migrate_to(client: &mut Client, target: i32) -> Result<i32, PgError> {
    let mut found = None;
    for next in 1..=target.min(VERSION) {
        let mut tx = client.transaction().map_err(PgError::Migrate)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(PgError::Migrate)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS huoshui_schema (version INTEGER NOT NULL)")
            .map_err(PgError::Migrate)?;
        let current: i32 = tx
            .query_opt("SELECT max(version) FROM huoshui_schema", &[])
            .map_err(PgError::Migrate)?
            .and_then(|row| row.get::<_, Option<i32>>(0))
            .unwrap_or(0);
        found.get_or_insert(current);
        if current > VERSION {
            return Err(PgError::TooNew {
                found: current,
                supported: VERSION,
            });
        }
        if current >= next {
            continue;
        }
        let sql = usize::try_from(next - 1)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
            .copied()
            .unwrap_or("");
        tx.batch_execute(sql).map_err(PgError::Migrate)?;
        tx.execute("INSERT INTO huoshui_schema (version) VALUES ($1)", &[&next])
            .map_err(PgError::Migrate)?;
        tx.commit().map_err(PgError::Migrate)?;
    }
    Ok(found.unwrap_or(0))
}
