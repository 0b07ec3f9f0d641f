//! Schema v7 (issue 10): the tables of the login-code limits ([`crate::code_limits`]), of the
//! escalation ladder ([`crate::ladder`]) and of the managers' openings of a task. Owns the SQL
//! only. Applications already on record when a database moves to v7 are marked as having had
//! their ladder's new-task and unopened-task steps, and the escalated ones their alert, so an
//! upgrade never sends a late burst of messages. Written to be re-runnable (`IF NOT EXISTS`,
//! `OR IGNORE`): a database rewound to an older `user_version` migrates again cleanly.

/// The migration from v6 to v7.
pub const V7: &str = "
CREATE TABLE IF NOT EXISTS code_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_mac TEXT NOT NULL,
    client_mac TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS code_requests_by_phone ON code_requests (phone_mac, at);
CREATE INDEX IF NOT EXISTS code_requests_by_client ON code_requests (client_mac, at);
CREATE INDEX IF NOT EXISTS code_requests_by_time ON code_requests (at);
CREATE TABLE IF NOT EXISTS ladder_steps (
    application_id TEXT NOT NULL,
    step TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (application_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_opens (
    application_id TEXT NOT NULL,
    manager_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (application_id, manager_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO ladder_steps (application_id, step, at)
    SELECT id, 'new_task_push', submitted_at FROM applications;
INSERT OR IGNORE INTO ladder_steps (application_id, step, at)
    SELECT id, 'task_waiting_sms', submitted_at FROM applications;
INSERT OR IGNORE INTO ladder_steps (application_id, step, at)
    SELECT id, 'admin_alert', escalated_at FROM applications WHERE escalated_at IS NOT NULL;
";
