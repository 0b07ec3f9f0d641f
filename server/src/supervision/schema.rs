//! The supervision page's tables (schema version 6): browser sessions, and the counters the
//! figures are read from. Owns that SQL and nothing else.
//!
//! The counters are kept by SQLite triggers on `events` (the truth, insert-only) and on
//! `users`, so every count changes in the SAME transaction as the event it counts, whichever
//! module wrote the event, and the figures never read the million-row tables:
//! - `supervision_daily`: per China day (UTC+8), product and town: applications submitted and
//!   their amount, approvals and the approved amount, disbursements and the amount paid out,
//!   first contacts and escalations (each counted on the day it happened).
//! - `supervision_totals`: the same per product and town since the platform began.
//! - `supervision_contact`: per product, how many first contacts took how long after the
//!   submission, in buckets (see [`bucket_upper_ms`]).
//! - `supervision_villagers`: each villager's latest submission (the "active" count);
//!   `supervision_counters`: villagers enrolled.
//! - `supervision_escalations`: each escalation and when an administrator took it in hand.
//!
//! A database from an older version is filled in by replaying its events through the
//! triggers once, inside the migration's transaction.
//! Must never hold personal data: ids, products, towns, counts and amounts in sums only.

/// Milliseconds from UTC to China time (UTC+8): days are China days.
pub const CHINA_OFFSET_MS: i64 = huoshui_core::domain::china::OFFSET_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Bucket width under an hour: 5 seconds.
pub const FINE_BUCKET_MS: i64 = 5_000;
/// Bucket width from an hour to a day: 1 minute.
pub const COARSE_BUCKET_MS: i64 = 60_000;
/// The last fine bucket (an hour).
pub const FINE_BUCKETS: i64 = 720;
/// The last coarse bucket (a day); the bucket after it holds every longer wait.
pub const LAST_BUCKET: i64 = FINE_BUCKETS + 23 * 60;

/// The longest wait a contact-time bucket holds (bucket `k` holds the waits in
/// `(upper(k - 1), upper(k)]`), or `None` for the bucket of waits beyond a day.
/// Rounding rule, named: a wait is counted in the bucket whose upper bound is the first at or
/// above it, so a figure read from the buckets is rounded UP to 5 s (under an hour) or to a
/// minute (under a day).
pub fn bucket_upper_ms(bucket: i64) -> Option<i64> {
    if bucket <= FINE_BUCKETS {
        Some(bucket.max(0) * FINE_BUCKET_MS)
    } else if bucket <= LAST_BUCKET {
        Some(FINE_BUCKETS * FINE_BUCKET_MS + (bucket - FINE_BUCKETS) * COARSE_BUCKET_MS)
    } else {
        None
    }
}

/// The bucket of a wait (the same rule as the trigger's SQL; kept here for tests and docs).
pub fn bucket_of(wait_ms: i64) -> i64 {
    let d = wait_ms.max(0);
    if d <= FINE_BUCKETS * FINE_BUCKET_MS {
        (d + FINE_BUCKET_MS - 1) / FINE_BUCKET_MS
    } else if d <= DAY_MS {
        FINE_BUCKETS + (d - FINE_BUCKETS * FINE_BUCKET_MS + COARSE_BUCKET_MS - 1) / COARSE_BUCKET_MS
    } else {
        LAST_BUCKET + 1
    }
}

/// Migration to version 6.
pub const V6: &str = "
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_by_expiry ON admin_sessions (expires_at);

CREATE TABLE supervision_daily (
    day INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    town TEXT NOT NULL,
    applied_n INTEGER NOT NULL DEFAULT 0,
    applied_fen INTEGER NOT NULL DEFAULT 0,
    approved_n INTEGER NOT NULL DEFAULT 0,
    approved_fen INTEGER NOT NULL DEFAULT 0,
    disbursed_n INTEGER NOT NULL DEFAULT 0,
    disbursed_fen INTEGER NOT NULL DEFAULT 0,
    contacted_n INTEGER NOT NULL DEFAULT 0,
    escalated_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id, town)
) WITHOUT ROWID;
CREATE TABLE supervision_totals (
    product_id TEXT NOT NULL,
    town TEXT NOT NULL,
    applied_n INTEGER NOT NULL DEFAULT 0,
    applied_fen INTEGER NOT NULL DEFAULT 0,
    approved_n INTEGER NOT NULL DEFAULT 0,
    approved_fen INTEGER NOT NULL DEFAULT 0,
    disbursed_n INTEGER NOT NULL DEFAULT 0,
    disbursed_fen INTEGER NOT NULL DEFAULT 0,
    contacted_n INTEGER NOT NULL DEFAULT 0,
    escalated_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, town)
) WITHOUT ROWID;
CREATE TABLE supervision_contact (
    product_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (product_id, bucket)
) WITHOUT ROWID;
CREATE TABLE supervision_villagers (
    villager_id TEXT PRIMARY KEY,
    last_applied_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX supervision_villagers_by_time ON supervision_villagers (last_applied_at);
CREATE TABLE supervision_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE supervision_escalations (
    application_id TEXT PRIMARY KEY,
    escalated_at INTEGER NOT NULL,
    acknowledged_at INTEGER
) WITHOUT ROWID;
CREATE INDEX supervision_escalations_open ON supervision_escalations (acknowledged_at, escalated_at);

-- One place that adds to both roll-ups: the event triggers insert a row of increments here.
CREATE VIEW supervision_bump AS
    SELECT day, product_id, town, applied_n, applied_fen, approved_n, approved_fen,
           disbursed_n, disbursed_fen, contacted_n, escalated_n
    FROM supervision_daily WHERE 0;
CREATE TRIGGER supervision_bump_insert INSTEAD OF INSERT ON supervision_bump BEGIN
    INSERT INTO supervision_daily (day, product_id, town, applied_n, applied_fen, approved_n,
        approved_fen, disbursed_n, disbursed_fen, contacted_n, escalated_n)
    VALUES (NEW.day, NEW.product_id, NEW.town, COALESCE(NEW.applied_n, 0),
        COALESCE(NEW.applied_fen, 0), COALESCE(NEW.approved_n, 0), COALESCE(NEW.approved_fen, 0),
        COALESCE(NEW.disbursed_n, 0), COALESCE(NEW.disbursed_fen, 0),
        COALESCE(NEW.contacted_n, 0), COALESCE(NEW.escalated_n, 0))
    ON CONFLICT (day, product_id, town) DO UPDATE SET
        applied_n = applied_n + excluded.applied_n,
        applied_fen = applied_fen + excluded.applied_fen,
        approved_n = approved_n + excluded.approved_n,
        approved_fen = approved_fen + excluded.approved_fen,
        disbursed_n = disbursed_n + excluded.disbursed_n,
        disbursed_fen = disbursed_fen + excluded.disbursed_fen,
        contacted_n = contacted_n + excluded.contacted_n,
        escalated_n = escalated_n + excluded.escalated_n;
    INSERT INTO supervision_totals (product_id, town, applied_n, applied_fen, approved_n,
        approved_fen, disbursed_n, disbursed_fen, contacted_n, escalated_n)
    VALUES (NEW.product_id, NEW.town, COALESCE(NEW.applied_n, 0),
        COALESCE(NEW.applied_fen, 0), COALESCE(NEW.approved_n, 0), COALESCE(NEW.approved_fen, 0),
        COALESCE(NEW.disbursed_n, 0), COALESCE(NEW.disbursed_fen, 0),
        COALESCE(NEW.contacted_n, 0), COALESCE(NEW.escalated_n, 0))
    ON CONFLICT (product_id, town) DO UPDATE SET
        applied_n = applied_n + excluded.applied_n,
        applied_fen = applied_fen + excluded.applied_fen,
        approved_n = approved_n + excluded.approved_n,
        approved_fen = approved_fen + excluded.approved_fen,
        disbursed_n = disbursed_n + excluded.disbursed_n,
        disbursed_fen = disbursed_fen + excluded.disbursed_fen,
        contacted_n = contacted_n + excluded.contacted_n,
        escalated_n = escalated_n + excluded.escalated_n;
END;

-- The product and town of an application are on its first event (`created`, seq 1).
CREATE TRIGGER supervision_submitted AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'submitted' BEGIN
    INSERT INTO supervision_bump (day, product_id, town, applied_n, applied_fen)
    SELECT (NEW.at + 28800000) / 86400000, json_extract(c.body, '$.kind.product_id'),
           json_extract(c.body, '$.kind.town'), 1, json_extract(c.body, '$.kind.amount')
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1;
    INSERT INTO supervision_villagers (villager_id, last_applied_at)
    SELECT json_extract(c.body, '$.kind.villager_id'), NEW.at
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1
    ON CONFLICT (villager_id) DO UPDATE SET
        last_applied_at = MAX(last_applied_at, excluded.last_applied_at);
END;
CREATE TRIGGER supervision_contacted AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'contacted' BEGIN
    INSERT INTO supervision_bump (day, product_id, town, contacted_n)
    SELECT (NEW.at + 28800000) / 86400000, json_extract(c.body, '$.kind.product_id'),
           json_extract(c.body, '$.kind.town'), 1
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1;
    INSERT INTO supervision_contact (product_id, bucket, n)
    SELECT json_extract(c.body, '$.kind.product_id'),
           CASE WHEN w.d <= 3600000 THEN (w.d + 4999) / 5000
                WHEN w.d <= 86400000 THEN 720 + (w.d - 3600000 + 59999) / 60000
                ELSE 2101 END,
           1
    FROM events c,
         (SELECT MAX(0, NEW.at - MIN(s.at)) AS d FROM events s
          WHERE s.application_id = NEW.application_id
            AND json_extract(s.body, '$.kind.type') = 'submitted') w
    WHERE c.application_id = NEW.application_id AND c.seq = 1 AND w.d IS NOT NULL
    ON CONFLICT (product_id, bucket) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER supervision_approved AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'approved' BEGIN
    INSERT INTO supervision_bump (day, product_id, town, approved_n, approved_fen)
    SELECT (NEW.at + 28800000) / 86400000, json_extract(c.body, '$.kind.product_id'),
           json_extract(c.body, '$.kind.town'), 1, json_extract(NEW.body, '$.kind.offer.amount')
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1;
END;
CREATE TRIGGER supervision_disbursed AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'disbursed' BEGIN
    INSERT INTO supervision_bump (day, product_id, town, disbursed_n, disbursed_fen)
    SELECT (NEW.at + 28800000) / 86400000, json_extract(c.body, '$.kind.product_id'),
           json_extract(c.body, '$.kind.town'), 1, json_extract(NEW.body, '$.kind.amount')
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1;
END;
CREATE TRIGGER supervision_escalated AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'escalated' BEGIN
    INSERT INTO supervision_bump (day, product_id, town, escalated_n)
    SELECT (NEW.at + 28800000) / 86400000, json_extract(c.body, '$.kind.product_id'),
           json_extract(c.body, '$.kind.town'), 1
    FROM events c WHERE c.application_id = NEW.application_id AND c.seq = 1;
    INSERT OR IGNORE INTO supervision_escalations (application_id, escalated_at)
    VALUES (NEW.application_id, NEW.at);
END;
CREATE TRIGGER supervision_escalation_acknowledged AFTER INSERT ON events
WHEN json_extract(NEW.body, '$.kind.type') = 'escalation_acknowledged' BEGIN
    UPDATE supervision_escalations SET acknowledged_at = NEW.at
    WHERE application_id = NEW.application_id AND acknowledged_at IS NULL;
END;

INSERT INTO supervision_counters (name, value)
    SELECT 'villagers', COUNT(*) FROM users WHERE role = 'villager';
CREATE TRIGGER supervision_villager_added AFTER INSERT ON users
WHEN NEW.role = 'villager' BEGIN
    UPDATE supervision_counters SET value = value + 1 WHERE name = 'villagers';
END;
CREATE TRIGGER supervision_villager_removed AFTER DELETE ON users
WHEN OLD.role = 'villager' BEGIN
    UPDATE supervision_counters SET value = value - 1 WHERE name = 'villagers';
END;
CREATE TRIGGER supervision_villager_role AFTER UPDATE OF role ON users
WHEN (OLD.role = 'villager') != (NEW.role = 'villager') BEGIN
    UPDATE supervision_counters
    SET value = value + (CASE WHEN NEW.role = 'villager' THEN 1 ELSE -1 END)
    WHERE name = 'villagers';
END;

-- What an older version recorded: its events once more through the triggers, in order.
CREATE TEMP TABLE supervision_replay AS SELECT application_id, seq, at, body FROM events;
DELETE FROM events;
INSERT INTO events (application_id, seq, at, body)
    SELECT application_id, seq, at, body FROM supervision_replay ORDER BY application_id, seq;
DROP TABLE temp.supervision_replay;
";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_wait_falls_in_the_bucket_whose_upper_bound_is_the_first_at_or_above_it() {
        for wait in [
            0,
            1,
            4_999,
            5_000,
            5_001,
            299_999,
            300_000,
            300_001,
            3_599_999,
            3_600_000,
            3_600_001,
            3_660_000,
            86_399_999,
            86_400_000,
            86_400_001,
            999_999_999,
        ] {
            let b = bucket_of(wait);
            match bucket_upper_ms(b) {
                Some(upper) => {
                    assert!(wait <= upper, "{wait} ≤ upper of its bucket {upper}");
                    let below = bucket_upper_ms(b - 1).unwrap_or(-1);
                    assert!(
                        wait > below || b == 0,
                        "{wait} > upper of the bucket before ({below})"
                    );
                }
                None => assert!(wait > DAY_MS),
            }
        }
        assert_eq!(bucket_upper_ms(bucket_of(300_000)), Some(300_000));
        assert_eq!(bucket_upper_ms(bucket_of(300_001)), Some(305_000));
    }

    #[test]
    fn every_china_day_in_the_triggers_uses_the_same_offset_as_the_code() {
        let offset = format!("NEW.at + {CHINA_OFFSET_MS}) / {DAY_MS}");
        let days = V6.matches("NEW.at + ").count();
        assert!(days >= 5, "the triggers count China days");
        assert_eq!(V6.matches(offset.as_str()).count(), days, "{offset}");
    }
}
