//! The device store's schema: the current SQL, its version, and one upgrade step per version.
//!
//! Owns the table layout; must never change a released step (add a new one instead) and never
//! hold personal data in a clear column: the `sealed_*` columns are AES-256-GCM sealed with the
//! install key (see [`super`]); the `clear_*` columns hold only what [`super::clear`] lets
//! through (ids, codes, amounts).
//!
//! Times are INTEGER milliseconds since the Unix epoch (sortable, no time-zone text).

use rusqlite::Transaction;

/// The schema version this code writes (`PRAGMA user_version`).
pub const VERSION: u32 = 5;

/// The whole current schema, as a fresh database gets it.
pub const CURRENT_SQL: &str = "
CREATE TABLE catalog_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    etag TEXT,
    json TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    product_id TEXT,
    sealed_payload BLOB NOT NULL,
    updated_at INTEGER NOT NULL
, clear_payload TEXT);
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    state TEXT NOT NULL,
    sealed_payload BLOB,
    updated_at INTEGER NOT NULL
);
CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sealed_event BLOB NOT NULL,
    at INTEGER NOT NULL, local INTEGER NOT NULL DEFAULT 0, clear_event TEXT,
    PRIMARY KEY (application_id, seq)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    sealed_payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'wedged', 'done')),
    created_at INTEGER NOT NULL
, last_error TEXT, clear_payload TEXT);
CREATE TABLE manager_tasks (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER,
    sealed_payload BLOB,
    updated_at INTEGER NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    media TEXT NOT NULL,
    application_id TEXT,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL
, upload_id TEXT, uploaded_at INTEGER);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX documents_by_application ON documents(application_id);
CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    sealed_profile BLOB NOT NULL,
    sealed_token BLOB,
    expires_at INTEGER NOT NULL,
    expired INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// Version 1: catalog cache, drafts, applications and their events, the outbox.
const V1: &str = "
CREATE TABLE catalog_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    etag TEXT,
    json TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    product_id TEXT,
    sealed_payload BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    state TEXT NOT NULL,
    sealed_payload BLOB,
    updated_at INTEGER NOT NULL
);
CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sealed_event BLOB NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (application_id, seq)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    sealed_payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'wedged', 'done')),
    created_at INTEGER NOT NULL
);
";

/// Version 2: manager tasks, document metadata, the outbox remembers its last error.
const V2: &str = "
CREATE TABLE manager_tasks (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER,
    sealed_payload BLOB,
    updated_at INTEGER NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    media TEXT NOT NULL,
    application_id TEXT,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
ALTER TABLE outbox ADD COLUMN last_error TEXT;
";

/// Version 3: indexes for the outbox scan and the per-application document list.
const V3: &str = "
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX documents_by_application ON documents(application_id);
";

/// Version 4: the signed-in session (its token sealed), sync bookkeeping (`meta`: the live
/// stream's last event id, the status cursor), each document's upload on the platform, and
/// which events the phone decided itself and the platform has not confirmed yet (`local`).
const V4: &str = "
ALTER TABLE application_events ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN upload_id TEXT;
ALTER TABLE documents ADD COLUMN uploaded_at INTEGER;
CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    sealed_profile BLOB NOT NULL,
    sealed_token BLOB,
    expires_at INTEGER NOT NULL,
    expired INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// Version 5: drafts, events and outbox commands that hold no personal data and no free text
/// are kept readable without the install key (`clear_*`, JSON; the row's `sealed_*` is then
/// empty), so they survive a lost key (see [`super::clear`] for which ones). Rows sealed
/// before stay sealed and readable while the key is there.
const V5: &str = "
ALTER TABLE drafts ADD COLUMN clear_payload TEXT;
ALTER TABLE application_events ADD COLUMN clear_event TEXT;
ALTER TABLE outbox ADD COLUMN clear_payload TEXT;
";

/// Step `i` upgrades version `i` to `i + 1`.
pub const STEPS: [&str; VERSION as usize] = [V1, V2, V3, V4, V5];

/// Runs the upgrade from `from` to `from + 1` inside `tx` (the caller sets `user_version`).
pub fn upgrade_step(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match STEPS.get(from as usize) {
        Some(sql) => tx.execute_batch(sql),
        None => Err(rusqlite::Error::InvalidParameterName(format!(
            "no schema step from version {from}"
        ))),
    }
}
