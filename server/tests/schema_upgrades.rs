#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The platform database's upgrades: a database left by any older build, once opened by this
//! one, has exactly the schema of a database this build creates from nothing (tables, columns,
//! indexes, triggers, views), and keeps its rows.

use huoshui_server::db::{Db, VERSION, migrate_to};
use rusqlite::Connection;
use std::path::Path;

/// (kind, name, SQL with its whitespace normalised) of a schema object.
type Object = (String, String, String);
/// (table, column, declared type, not null, default, primary key position).
type Column = (String, String, String, bool, Option<String>, i64);

fn squeeze(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

/// Every object of the schema, sorted, and every column of every table.
fn schema_of(path: &Path) -> (Vec<Object>, Vec<Column>) {
    let conn = Connection::open(path).unwrap();
    let objects: Vec<Object> = conn
        .prepare(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, squeeze(&r.get::<_, String>(2)?)))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut columns = Vec::new();
    for (kind, table, _) in &objects {
        if kind != "table" {
            continue;
        }
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_xinfo(\"{table}\")"))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    table.clone(),
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap();
        for row in rows {
            columns.push(row.unwrap());
        }
    }
    (objects, columns)
}

#[test]
fn upgrading_from_every_old_version_gives_exactly_the_fresh_schema() {
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh_path = fresh_dir.path().join("platform.sqlite3");
    drop(Db::open(&fresh_path).unwrap());
    let fresh = schema_of(&fresh_path);
    assert!(
        fresh.0.iter().filter(|o| o.0 == "table").count() >= 8,
        "the fresh schema has its tables: {:?}",
        fresh.0
    );
    const { assert!(VERSION >= 2, "there is at least one upgrade to check") };

    for start in 1..VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.sqlite3");
        {
            // The database as the build of version `start` left it, with an account in it.
            let mut conn = Connection::open(&path).unwrap();
            assert_eq!(migrate_to(&mut conn, start).unwrap(), 0);
            conn.execute(
                "INSERT INTO users (id, role, phone_mac, phone_masked, name, town)
                 VALUES ('v-old', 'villager', 'mac-old', '138****0000', '老用户', 'chongwen')",
                [],
            )
            .unwrap();
        }
        drop(Db::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION, "upgrade from version {start}");
        let name: String = conn
            .query_row("SELECT name FROM users WHERE id = 'v-old'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            name, "老用户",
            "the account survives the upgrade from {start}"
        );
        drop(conn);
        assert_eq!(schema_of(&path), fresh, "upgrade from version {start}");
    }
}
