#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The same statements, the same answers, on SQLite and on PostgreSQL (when
//! `HUOSHUI_TEST_PG_URL` is set; the test command sets it and `HUOSHUI_REQUIRE_PG=1`).

use super::*;

const SCHEMA_SQLITE: &str = "
    CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL UNIQUE,
                    n INTEGER NOT NULL, small INTEGER, data BLOB, note TEXT);";
const SCHEMA_PG: &str = "
    CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k TEXT NOT NULL UNIQUE,
                    n BIGINT NOT NULL, small INTEGER, data BYTEA, note TEXT);";

/// The statements every module relies on, with their answers checked.
fn exercise(tx: &Tx<'_>) {
    let id: i64 = tx
        .query_row(
            "INSERT INTO t (k, n, small, data, note) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![
                "a",
                9_000_000_000_i64,
                7_u32,
                vec![0_u8, 255, 1],
                None::<String>
            ],
            |r| r.get(0),
        )
        .unwrap();
    assert!(id >= 1);
    let changed = tx
        .execute(
            "INSERT INTO t (k, n, small) VALUES (?1, ?2, ?3) ON CONFLICT (k) DO NOTHING",
            params!["a", 1_i64, 1_i64],
        )
        .unwrap();
    assert_eq!(changed, 0, "a kept key is not written twice");
    tx.execute(
        "INSERT INTO t (k, n, small, note) VALUES (?, ?, ?, ?)",
        params!["b", 5_i64, true, "中文 'quoted' ?1"],
    )
    .unwrap();
    let (n, small, data, note): (i64, u32, Vec<u8>, Option<String>) = tx
        .query_row(
            "SELECT n, small, data, note FROM t WHERE k = ?1",
            params!["a"],
            |r| Ok((r.get(0)?, r.get("small")?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (n, small, data, note),
        (9_000_000_000, 7, vec![0, 255, 1], None)
    );
    let note: String = tx
        .query_row("SELECT note FROM t WHERE k = 'b'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        note, "中文 'quoted' ?1",
        "a ? inside a value is not a placeholder"
    );
    let none = tx
        .query_row("SELECT n FROM t WHERE k = ?1", params!["zz"], |r| {
            r.get::<_, i64>(0)
        })
        .optional()
        .unwrap();
    assert_eq!(none, None);
    let sum: i64 = tx
        .query_row("SELECT SUM(n) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sum, 9_000_000_005, "an uncast SUM reads as an integer");
    let count: i64 = tx
        .query_row("SELECT COUNT(*) FROM t WHERE small > ?1", params![0], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(count, 2);
    let keys: Vec<String> = tx
        .prepare_cached("SELECT k FROM t ORDER BY k")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, ["a", "b"]);
    let mut rows = tx
        .prepare("SELECT k, n FROM t ORDER BY n")
        .unwrap()
        .query(())
        .unwrap();
    let mut seen = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        seen.push((r.get::<_, String>(0).unwrap(), r.get::<_, i64>(1).unwrap()));
    }
    assert_eq!(seen, [("b".into(), 5), ("a".into(), 9_000_000_000)]);
    refusals_leave_nothing_behind(tx);
}

fn refusals_leave_nothing_behind(tx: &Tx<'_>) {
    // A failed statement aborts a PostgreSQL transaction: each is tried in a savepoint.
    tx.execute_batch("SAVEPOINT u").unwrap();
    let err = tx
        .execute("INSERT INTO t (k, n) VALUES (?1, ?2)", params!["a", 3_i64])
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err}");
    tx.execute_batch("ROLLBACK TO SAVEPOINT u").unwrap();
    let too_big = tx.execute(
        "UPDATE t SET small = ?1 WHERE k = 'a'",
        params![i64::from(i32::MAX) + 1],
    );
    if tx.backend() == Backend::Postgres {
        assert!(
            too_big.is_err(),
            "an INTEGER column refuses what does not fit"
        );
        tx.execute_batch("ROLLBACK TO SAVEPOINT u").unwrap();
    }
    tx.execute_batch("RELEASE SAVEPOINT u").unwrap();
    let still: i64 = tx
        .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(still, 2, "the refused statements left nothing behind");
}

#[test]
fn the_same_statements_answer_the_same_on_sqlite() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA_SQLITE).unwrap();
    let tx = Tx::sqlite(&conn);
    assert_eq!(tx.backend(), Backend::Sqlite);
    exercise(&tx);
}

#[test]
fn the_same_statements_answer_the_same_on_postgres() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let schema = pg::testing::fresh_schema(&url).unwrap();
    let target = pg::PgTarget::parse(&url, Some(&schema)).unwrap();
    let mut conn = target.connect().unwrap();
    conn.batch(SCHEMA_PG).unwrap();
    conn.batch("BEGIN").unwrap();
    {
        let tx = Tx::postgres(&mut conn);
        assert_eq!(tx.backend(), Backend::Postgres);
        tx.execute_batch("SAVEPOINT s").unwrap();
        exercise(&tx);
    }
    conn.batch("ROLLBACK").unwrap();
    drop(conn);
    pg::testing::drop_schema(&url, &schema).unwrap();
}

/// With the county's certificate authority, every connection is TLS and the server's
/// certificate is checked; a server whose certificate another authority signed is refused.
#[test]
fn postgres_speaks_tls_when_given_its_certificate_authority() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let Some(ca) = pg::testing::tls_ca().unwrap() else {
        return;
    };
    let target = pg::PgTarget::parse(&url, None)
        .unwrap()
        .with_ca_file(&ca)
        .unwrap();
    assert!(target.is_tls());
    let mut conn = target.connect().unwrap();
    let tx = Tx::postgres(&mut conn);
    let ssl: bool = tx
        .query_row(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ssl, "the connection is encrypted");

    let dir = tempfile::tempdir().unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let other_ca = dir.path().join("other.pem");
    std::fs::write(&other_ca, other.cert.pem()).unwrap();
    let refused = pg::PgTarget::parse(&url, None)
        .unwrap()
        .with_ca_file(&other_ca)
        .unwrap()
        .connect();
    assert!(
        refused.is_err(),
        "a certificate of another authority is refused"
    );
    let plain_require = pg::PgTarget::parse(&format!("{url}?sslmode=require"), None)
        .unwrap()
        .connect();
    let said = plain_require.err().unwrap_or_default();
    assert!(said.contains("--database-ca"), "{said}");
}

#[test]
fn a_missing_database_is_named_in_the_postgres_servers_own_words() {
    let Some(url) = pg::testing::url().unwrap() else {
        return;
    };
    let (base, _) = url.rsplit_once('/').unwrap();
    let said = pg::PgTarget::parse(&format!("{base}/no_such_county"), None)
        .unwrap()
        .connect()
        .err()
        .unwrap_or_default();
    assert!(said.contains("no_such_county"), "{said}");
}
