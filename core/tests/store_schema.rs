//! The device store's schema, its upgrades, and what it does with a file it cannot use.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::store::{Store, StoreError, migrate, schema};
use huoshui_core::vault::InstallKey;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

fn key() -> Arc<InstallKey> {
    Arc::new(InstallKey::from_bytes(&[7; 32]).unwrap())
}

fn now() -> jiff::Timestamp {
    "2026-03-07T08:00:00Z".parse().unwrap()
}

/// (type, name, normalized SQL) of a schema object.
type Object = (String, String, String);
/// (table, column, type, not null, default, primary key position) of a column.
type Column = (String, String, String, bool, Option<String>, i64);

/// Every schema object, sorted; plus every table's columns.
fn schema_of(path: &Path) -> (Vec<Object>, Vec<Column>) {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    let objects: Vec<Object> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        })
        .unwrap()
        .map(|r| {
            let (t, n, sql) = r.unwrap();
            (t, n, normalize(&sql))
        })
        .collect();
    let mut columns = Vec::new();
    for (t, name, _) in &objects {
        if t != "table" {
            continue;
        }
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_xinfo({name})"))
            .unwrap();
        let cols = stmt
            .query_map([], |r| {
                Ok((
                    name.clone(),
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, bool>(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap();
        columns.extend(cols.map(|c| c.unwrap()));
    }
    (objects, columns)
}

fn normalize(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
}

#[test]
fn upgrading_from_every_old_version_gives_exactly_the_fresh_schema() {
    let fresh_dir = tempfile::tempdir().unwrap();
    Store::open(fresh_dir.path(), key(), now()).unwrap();
    let fresh = schema_of(&fresh_dir.path().join("store.db"));
    assert!(
        fresh.0.len() >= 8,
        "the fresh schema has its tables and indexes: {:?}",
        fresh.0
    );

    for start in 1..schema::VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        {
            // Build a database as version `start` of the app left it, with a row in it.
            let mut conn = Connection::open(&path).unwrap();
            for v in 0..start {
                let tx = conn.transaction().unwrap();
                schema::upgrade_step(&tx, v).unwrap();
                tx.pragma_update(None, "user_version", v + 1).unwrap();
                tx.commit().unwrap();
            }
            conn.execute(
                "INSERT INTO catalog_cache (id, etag, json, fetched_at) VALUES (1, 'e1', '{}', 0)",
                [],
            )
            .unwrap();
        }
        let opened = Store::open(dir.path(), key(), now()).unwrap();
        assert!(opened.moved_aside.is_none());
        let version: u32 = opened
            .store
            .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(version, schema::VERSION);
        assert_eq!(
            opened
                .store
                .cached_catalog()
                .unwrap()
                .unwrap()
                .etag
                .as_deref(),
            Some("e1"),
            "data survives the upgrade"
        );
        drop(opened);
        assert_eq!(schema_of(&path), fresh, "upgrade from version {start}");
    }
}

#[test]
fn a_database_from_a_newer_app_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path(), key(), now()).unwrap();
    let path = dir.path().join("store.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(dir.path(), key(), now()).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, supported } if found == schema::VERSION + 1 && supported == schema::VERSION)
    );
    assert!(err.to_string().contains("请更新应用"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let mut conn = Connection::open(&path).unwrap();
    assert!(matches!(
        migrate(&mut conn, schema::VERSION + 1),
        Err(StoreError::TooNew { .. })
    ));
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_with_its_wal_and_shm_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let garbage =
        b"this is not an SQLite database, it was overwritten by something else".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(dir.path().join("store.db-wal"), b"old wal").unwrap();
    std::fs::write(dir.path().join("store.db-shm"), b"old shm").unwrap();

    let opened = Store::open(dir.path(), key(), now()).unwrap();
    let aside = opened
        .moved_aside
        .clone()
        .expect("the damaged file is reported");
    assert_eq!(
        aside.file_name().unwrap().to_string_lossy(),
        format!("store.db.corrupt-{}", now().as_second())
    );
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        garbage,
        "kept byte for byte, never deleted"
    );
    let aside_name = aside.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        std::fs::read(dir.path().join(format!("{aside_name}-wal"))).unwrap(),
        b"old wal"
    );
    assert_eq!(
        std::fs::read(dir.path().join(format!("{aside_name}-shm"))).unwrap(),
        b"old shm"
    );
    // And a fresh store works in its place.
    opened
        .store
        .save_catalog("{\"products\":[]}", Some("e2"), now())
        .unwrap();
    assert_eq!(
        opened
            .store
            .cached_catalog()
            .unwrap()
            .unwrap()
            .etag
            .as_deref(),
        Some("e2")
    );
    drop(opened);

    // A second damaged file the same second does not overwrite the first one.
    std::fs::write(&path, &garbage).unwrap();
    let _ = std::fs::remove_file(dir.path().join("store.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("store.db-shm"));
    let again = Store::open(dir.path(), key(), now()).unwrap();
    let second = again.moved_aside.clone().unwrap();
    assert_ne!(second, aside);
    assert!(aside.exists() && second.exists());
}

#[test]
fn the_store_runs_in_wal_with_full_sync_and_its_reader_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let opened = Store::open(dir.path(), key(), now()).unwrap();
    let (mode, sync): (String, i64) = opened
        .store
        .write(|tx| {
            Ok((
                tx.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    let err = opened
        .store
        .read(|c| Ok(c.execute("DELETE FROM drafts", [])?));
    assert!(err.is_err(), "the reader connection is read-only");
}

#[test]
fn a_failed_write_closure_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), key(), now()).unwrap().store;
    let result: Result<(), StoreError> = store.write(|tx| {
        tx.execute(
            "INSERT INTO catalog_cache (id, etag, json, fetched_at) VALUES (1, 'x', '{}', 0)",
            [],
        )?;
        Err(StoreError::Invalid("stop".into()))
    });
    assert!(result.is_err());
    assert_eq!(store.cached_catalog().unwrap(), None);
}

#[test]
fn a_database_with_damaged_pages_is_moved_aside_too() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), key(), now()).unwrap().store;
        store
            .save_catalog(&"{\"x\":1}".repeat(5000), Some("e"), now())
            .unwrap();
    }
    let path = dir.path().join("store.db");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192);
    for b in &mut bytes[100..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let opened = Store::open(dir.path(), key(), now()).unwrap();
    let aside = opened
        .moved_aside
        .clone()
        .expect("damaged pages are reported");
    assert_eq!(std::fs::read(aside).unwrap(), bytes);
    assert_eq!(
        opened.store.cached_catalog().unwrap(),
        None,
        "a fresh store took its place"
    );
}

#[test]
fn rows_sealed_before_version_5_still_open_with_their_key_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let key = key();
    let draft = r#"{"industry":"pear"}"#;
    let submit = r#"{"kind":"submit","product_id":"p","amount_fen":1,"months":1}"#;
    let outbox_key = "6f1c1d9e-8a36-4c8e-9d5c-3b1f4a2e7c10";
    {
        // A version-4 database as the app left it: every payload sealed.
        let mut conn = Connection::open(&path).unwrap();
        for v in 0..4 {
            let tx = conn.transaction().unwrap();
            schema::upgrade_step(&tx, v).unwrap();
            tx.pragma_update(None, "user_version", v + 1).unwrap();
            tx.commit().unwrap();
        }
        let sealed_draft = key
            .seal(b"huoshui/store/drafts/d1", draft.as_bytes())
            .unwrap();
        let sealed_submit = key
            .seal(
                format!("huoshui/store/outbox/{outbox_key}").as_bytes(),
                submit.as_bytes(),
            )
            .unwrap();
        conn.execute(
            "INSERT INTO drafts (id, product_id, sealed_payload, updated_at) VALUES ('d1', 'p', ?1, 0)",
            [sealed_draft],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO outbox (idempotency_key, kind, sealed_payload, attempts, next_attempt_at, state, created_at)
             VALUES (?1, 'submit', ?2, 0, 0, 'pending', 0)",
            rusqlite::params![outbox_key, sealed_submit],
        )
        .unwrap();
    }
    let store = Store::open(dir.path(), key, now()).unwrap().store;
    assert_eq!(store.drafts().unwrap()[0].payload_json.as_str(), draft);
    let queued = store.outbox().unwrap();
    assert_eq!(queued[0].payload_json.as_str(), submit);
    assert_eq!(queued[0].idempotency_key.to_string(), outbox_key);
    // They stay sealed (not rewritten): another key cannot read them.
    drop(store);
    let other = Store::open(
        dir.path(),
        Arc::new(InstallKey::from_bytes(&[8; 32]).unwrap()),
        now(),
    )
    .unwrap()
    .store;
    assert!(other.drafts().is_err() && other.outbox().is_err());
}
