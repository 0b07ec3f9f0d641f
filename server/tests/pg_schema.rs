//! The PostgreSQL schema against the SQLite one (issue 13): the same tables, columns, keys and
//! indexes on a fresh SQLite database (`db::migrate`) and a fresh PostgreSQL schema
//! (`pg_schema::migrate`), read back from each engine's catalogue; the supervision counters'
//! triggers counting the same rows from the same users and events; migrating twice, or from
//! two connections at once, migrating once.
//!
//! PostgreSQL comes from `scripts/pg.sh` (`HUOSHUI_TEST_PG_URL`); each test makes its own
//! schema `t_<uuid v7>` (dropped at the end; `repo_contract` sweeps any left behind). Without
//! the URL these tests skip with a message, or fail when `HUOSHUI_REQUIRE_PG=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_server::repo::pg::postgres;
use huoshui_server::repo::pg_schema;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};

/// Indexes PostgreSQL has and SQLite does not (the seam's first slice added them).
const PG_ONLY_INDEXES: &[&str] = &["sessions_by_expiry"];
/// The integer columns left 32-bit on PostgreSQL (see `pg_schema`'s module comment).
const PG_INT4_COLUMNS: &[(&str, &str)] = &[("idempotency", "status"), ("login_codes", "attempts")];

/// A column as both engines can say it: its type family, whether it refuses NULL, and its
/// default (`generated` for a key the database numbers itself).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    family: String,
    not_null: bool,
    default: Option<String>,
}

const GENERATED: &str = "generated";

/// An index made by `CREATE INDEX`: its columns, whether unique, whether partial.
type Index = (Vec<String>, bool, bool);

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Every unique key other than the primary key: (columns, partial).
    unique: BTreeSet<(Vec<String>, bool)>,
    indexes: BTreeMap<String, Index>,
}

type Schema = BTreeMap<String, Table>;

fn family(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int" => "integer".into(),
        "text" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        other => format!("unexpected type {other}"),
    }
}

/// A fresh SQLite platform database at the current version.
fn fresh_sqlite(dir: &tempfile::TempDir) -> Connection {
    let mut conn = Connection::open(dir.path().join("platform.sqlite3")).unwrap();
    huoshui_server::db::migrate(&mut conn).unwrap();
    conn
}

fn sqlite_schema(conn: &Connection) -> Schema {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut schema = Schema::new();
    for name in names {
        let mut table = Table::default();
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info(?1)")
            .unwrap();
        let rows = stmt
            .query_map([&name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .unwrap();
        let mut rowid_alias = None;
        for row in rows {
            let (column, declared, not_null, pk_at, default) = row.unwrap();
            if pk_at > 0 {
                pk.push((pk_at, column.clone()));
                if declared.eq_ignore_ascii_case("integer") {
                    rowid_alias = Some(column.clone());
                }
            }
            let not_null = not_null || pk_at > 0;
            let family = family(&declared);
            let column_of = Column {
                family,
                not_null,
                default,
            };
            table.columns.insert(column, column_of);
        }
        // `INTEGER PRIMARY KEY` alone: the rowid, numbered by SQLite.
        if let (1, Some(id)) = (pk.len(), rowid_alias)
            && let Some(c) = table.columns.get_mut(&id)
        {
            c.default = Some(GENERATED.into());
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        let mut stmt = conn
            .prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")
            .unwrap();
        let indexes: Vec<(String, bool, String, bool)> = stmt
            .query_map([&name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (index, unique, origin, partial) in indexes {
            let columns: Vec<String> = conn
                .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .unwrap()
                .query_map([&index], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            if unique && origin != "pk" {
                table.unique.insert((columns.clone(), partial));
            }
            if origin == "c" {
                table.indexes.insert(index, (columns, unique, partial));
            }
        }
        schema.insert(name, table);
    }
    schema
}

/// PostgreSQL's catalogue of the connection's schema, without `huoshui_schema` (the version
/// record; SQLite keeps its version in `user_version`).
fn pg_schema_of(client: &mut postgres::Client) -> (Schema, BTreeMap<(String, String), String>) {
    let mut schema = Schema::new();
    let mut raw_types = BTreeMap::new();
    let columns = client
        .query(
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text,
                    c.column_default::text, c.is_identity::text
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
               AND c.table_name <> 'huoshui_schema'",
            &[],
        )
        .unwrap();
    for row in columns {
        let (table, column, data_type): (String, String, String) =
            (row.get(0), row.get(1), row.get(2));
        let not_null = row.get::<_, String>(3) == "NO";
        raw_types.insert((table.clone(), column.clone()), data_type.clone());
        let family = family(&data_type);
        let default: Option<String> = row.get(4);
        let default = if row.get::<_, String>(5) == "YES"
            || default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval("))
        {
            Some(GENERATED.to_owned())
        } else {
            default
        };
        let column_of = Column {
            family,
            not_null,
            default,
        };
        schema
            .entry(table)
            .or_default()
            .columns
            .insert(column, column_of);
    }
    let indexes = client
        .query(
            "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary,
                    ix.indpred IS NOT NULL,
                    ARRAY(SELECT a.attname::text
                          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                          ORDER BY k.n),
                    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)
             FROM pg_index ix
             JOIN pg_class i ON i.oid = ix.indexrelid
             JOIN pg_class t ON t.oid = ix.indrelid
             JOIN pg_namespace ns ON ns.oid = t.relnamespace
             WHERE ns.nspname = current_schema() AND t.relname <> 'huoshui_schema'",
            &[],
        )
        .unwrap();
    for row in indexes {
        let table = schema.entry(row.get(0)).or_default();
        let (index, unique, primary, partial): (String, bool, bool, bool) =
            (row.get(1), row.get(2), row.get(3), row.get(4));
        let columns: Vec<String> = row.get(5);
        let of_constraint: bool = row.get(6);
        if primary {
            table.primary_key = columns.clone();
        } else if unique {
            table.unique.insert((columns.clone(), partial));
        }
        if !of_constraint && !PG_ONLY_INDEXES.contains(&index.as_str()) {
            table.indexes.insert(index, (columns, unique, partial));
        }
    }
    (schema, raw_types)
}

/// A fresh schema of the test server, dropped when this goes out of scope.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    /// A new empty schema, or `None` (skip) without a test server.
    fn new() -> Option<PgSchema> {
        let url = huoshui_server::sql::pg::testing::url().unwrap()?;
        let name = huoshui_server::sql::pg::testing::fresh_schema(&url).unwrap();
        Some(PgSchema { url, name })
    }

    /// A connection whose tables are this schema's.
    fn connect(&self) -> postgres::Client {
        let mut config: postgres::Config = self.url.parse().unwrap();
        config.options(&format!("-c search_path={}", self.name));
        config.connect(postgres::NoTls).unwrap()
    }

    /// A connection to this schema, migrated to the current version.
    fn migrated(&self) -> postgres::Client {
        let mut client = self.connect();
        pg_schema::migrate(&mut client).unwrap();
        client
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[test]
fn postgres_has_every_table_column_key_and_index_of_sqlite() {
    let Some(pg) = PgSchema::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lite = sqlite_schema(&fresh_sqlite(&dir));
    let (post, _) = pg_schema_of(&mut pg.migrated());
    assert!(
        lite.len() >= 24,
        "the SQLite schema read: {:?}",
        lite.keys()
    );
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        post.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &lite {
        let other = &post[name];
        assert_eq!(table.columns, other.columns, "the columns of {name}");
        assert_eq!(
            table.primary_key, other.primary_key,
            "the primary key of {name}"
        );
        assert_eq!(table.unique, other.unique, "the unique keys of {name}");
        assert_eq!(table.indexes, other.indexes, "the indexes of {name}");
    }
}

#[test]
fn every_integer_column_on_postgres_is_64_bits_but_the_two_the_seam_binds_as_i32() {
    let Some(pg) = PgSchema::new() else { return };
    let (_, types) = pg_schema_of(&mut pg.migrated());
    let narrow: Vec<(&str, &str)> = types
        .iter()
        .filter(|(_, t)| t.as_str() == "integer")
        .map(|((table, column), _)| (table.as_str(), column.as_str()))
        .collect();
    assert_eq!(narrow, PG_INT4_COLUMNS);
    let wide = types.values().filter(|t| t.as_str() == "bigint").count();
    assert!(wide > 40, "{wide} BIGINT columns");
}

const T0: i64 = 1_790_000_000_000;
const SECOND: i64 = 1_000;
const HOUR: i64 = 3_600 * SECOND;
const DAY: i64 = 24 * HOUR;

/// One row written to both databases with the same plain SQL (placeholders `?n` on SQLite,
/// `$n` on PostgreSQL, every value text or a 64-bit integer).
enum Write {
    User(&'static str, &'static str),
    DeleteUser(&'static str),
    Role(&'static str, &'static str),
    Event(String, i64, i64, String),
}

/// The users of the story: villagers, managers, an administrator; one villager leaves, one
/// becomes a manager and one manager a villager.
fn users() -> Vec<Write> {
    let mut w = vec![
        Write::User("v1", "villager"),
        Write::User("v2", "villager"),
        Write::User("v3", "villager"),
        Write::User("v4", "villager"),
        Write::User("m1", "manager"),
        Write::User("m2", "manager"),
        Write::User("a1", "admin"),
    ];
    w.extend([
        Write::DeleteUser("v4"),
        Write::DeleteUser("m2"),
        Write::Role("v3", "manager"),
        Write::Role("m1", "villager"),
        Write::Role("v1", "villager"),
    ]);
    w
}

/// An application's events as the server writes them: `created` (seq 1) then what happened,
/// each `(kind, at)`, every body a JSON object with the kind under `kind`.
fn application(
    id: &str,
    created: serde_json::Value,
    story: &[(serde_json::Value, i64)],
) -> Vec<Write> {
    // Without a `created` event the story starts at seq 2 (seq 1 is missing).
    let first_at = story.first().map_or(T0, |(_, at)| *at - SECOND);
    let mut kinds: Vec<(serde_json::Value, i64)> = Vec::new();
    if !created.is_null() {
        kinds.push((created, first_at));
    }
    kinds.extend(story.iter().cloned());
    let skip = if kinds.len() > story.len() { 1 } else { 2 };
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (kind, at))| {
            let seq = i as i64 + skip;
            let body = serde_json::json!({"seq": seq, "at": at, "actor": "someone", "kind": kind});
            Write::Event(id.to_owned(), seq, at, body.to_string())
        })
        .collect()
}

/// A varied month: submissions either side of China's midnight (16:00 UTC), first contacts
/// after waits on every bucket boundary (and one before the submission, one without any),
/// resubmissions, approvals, disbursements, escalations (twice for one, one taken in hand
/// twice, one of an application whose `created` is missing), and kinds that count nothing.
fn events() -> Vec<Write> {
    use serde_json::json;
    let created = |v: &str, p: &str, town: &str, amount: i64| {
        json!({"type": "created", "villager_id": v, "product_id": p, "amount": amount,
               "months": 12, "town": town})
    };
    let kind = |t: &str| json!({"type": t});
    let contacted = json!({"type": "contacted", "note": null, "outcome": "reached"});
    let approved = |amount: i64| {
        json!({"type": "approved", "offer": {"amount": amount,
        "months": 12, "annual_rate_ppm": 38_500}})
    };
    let disbursed = |amount: i64| json!({"type": "disbursed", "amount": amount});
    let escalated = json!({"type": "escalated", "to": "a1", "minutes_late": 3});
    let acknowledged = json!({"type": "escalation_acknowledged", "note": "on it"});
    // 16:00 UTC on some day: China's midnight.
    let midnight = (T0 / DAY) * DAY + 16 * HOUR;
    let waits = [
        0,
        1,
        4_999,
        5_000,
        5_001,
        299_999,
        300_001,
        HOUR,
        HOUR + 1,
        HOUR + 60_000,
        DAY - 1,
        DAY,
        DAY + 1,
        40 * DAY,
    ];
    let mut out = Vec::new();
    for (i, wait) in waits.iter().enumerate() {
        let n = i as i64;
        let at = midnight + (n - 7) * 7 * 60 * SECOND + n * DAY / 3;
        let (product, town) = (["p-rc", "p-abc", "p-psbc"][i % 3], ["t1", "t2"][i % 2]);
        let villager = ["v1", "v2", "v3", "v9"][i % 4];
        let mut story = vec![(kind("submitted"), at)];
        story.push((
            json!({"type": "assigned", "manager_id": "m1", "bank_id": "b"}),
            at,
        ));
        story.push((contacted.clone(), at + wait));
        if i % 2 == 0 {
            story.push((kind("review_started"), at + wait + HOUR));
            story.push((approved(100_000 * (n + 1)), at + wait + 2 * HOUR));
        }
        if i % 4 == 0 {
            story.push((disbursed(90_000 * (n + 1)), at + wait + DAY));
        }
        if i % 5 == 1 {
            story.push((escalated.clone(), at + 30 * 60 * SECOND));
            story.push((acknowledged.clone(), at + 40 * 60 * SECOND));
            story.push((acknowledged.clone(), at + 50 * 60 * SECOND));
        }
        out.extend(application(
            &format!("a{i}"),
            created(villager, product, town, 50_000 + n),
            &story,
        ));
    }
    // Submitted twice (sent back for documents), contacted before its resubmission.
    out.extend(application(
        "again",
        created("v2", "p-rc", "t1", 70_000),
        &[
            (kind("submitted"), midnight + 5 * DAY),
            (kind("submitted"), midnight + 6 * DAY),
            (contacted.clone(), midnight + 5 * DAY + 20 * SECOND),
            (contacted.clone(), midnight + 7 * DAY),
        ],
    ));
    // Contacted without ever being submitted: a contact but no wait.
    out.extend(application(
        "draft",
        created("v1", "p-abc", "t2", 10_000),
        &[(contacted.clone(), midnight - SECOND)],
    ));
    // Escalated twice, then taken in hand; and one with no `created` event on record.
    out.extend(application(
        "late",
        created("v3", "p-psbc", "t1", 30_000),
        &[
            (kind("submitted"), midnight + HOUR),
            (escalated.clone(), midnight + 2 * HOUR),
            (escalated.clone(), midnight + 3 * HOUR),
            (acknowledged.clone(), midnight + 4 * HOUR),
        ],
    ));
    out.extend(application(
        "orphan",
        serde_json::Value::Null,
        &[(escalated, midnight + DAY), (approved(5), midnight + DAY)],
    ));
    out
}

/// The statement of a write and its values, with placeholders `?n`.
fn statement(w: &Write) -> (&'static str, Vec<Value>) {
    use Value::{Int, Text};
    let t = |s: &str| Text(s.to_owned());
    match w {
        Write::User(id, role) => (
            "INSERT INTO users (id, role, phone_mac, phone_masked, name, town)
             VALUES (?1, ?2, ?3, '138****0000', ?1, 't1')",
            vec![t(id), t(role), t(&format!("mac-{id}"))],
        ),
        Write::DeleteUser(id) => ("DELETE FROM users WHERE id = ?1", vec![t(id)]),
        Write::Role(id, role) => (
            "UPDATE users SET role = ?2 WHERE id = ?1",
            vec![t(id), t(role)],
        ),
        Write::Event(app, seq, at, body) => (
            "INSERT INTO events (application_id, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
            vec![t(app), Int(*seq), Int(*at), t(body)],
        ),
    }
}

/// A cell of a row read back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Null => rusqlite::types::Null.to_sql(),
            Value::Int(i) => i.to_sql(),
            Value::Text(s) => s.to_sql(),
        }
    }
}

fn write_sqlite(conn: &Connection, writes: &[Write]) {
    for w in writes {
        let (sql, values) = statement(w);
        conn.execute(sql, rusqlite::params_from_iter(values.iter()))
            .unwrap();
    }
}

fn write_pg(client: &mut postgres::Client, writes: &[Write]) {
    for w in writes {
        let (sql, values) = statement(w);
        let mut sql = sql.to_owned();
        for n in (1..=values.len()).rev() {
            sql = sql.replace(&format!("?{n}"), &format!("${n}"));
        }
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| match v {
                Value::Int(i) => i as &(dyn postgres::types::ToSql + Sync),
                Value::Text(s) => s as &(dyn postgres::types::ToSql + Sync),
                Value::Null => &None::<String> as &(dyn postgres::types::ToSql + Sync),
            })
            .collect();
        client.execute(sql.as_str(), &params).unwrap();
    }
}

/// Every row of a table, its columns in name order, the rows sorted.
fn rows_sqlite(conn: &Connection, table: &str, columns: &[String]) -> Vec<Vec<Value>> {
    let sql = format!("SELECT {} FROM {table}", columns.join(", "));
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut rows: Vec<Vec<Value>> = stmt
        .query_map([], |r| {
            (0..columns.len())
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => Value::Int(n),
                        rusqlite::types::ValueRef::Text(s) => {
                            Value::Text(String::from_utf8_lossy(s).into_owned())
                        }
                        other => Value::Text(format!("unexpected {other:?}")),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    rows
}

fn rows_pg(
    client: &mut postgres::Client,
    table: &str,
    columns: &[(String, Column)],
) -> Vec<Vec<Value>> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let sql = format!("SELECT {} FROM {table}", names.join(", "));
    let mut rows: Vec<Vec<Value>> = client
        .query(sql.as_str(), &[])
        .unwrap()
        .iter()
        .map(|r| {
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, c))| match c.family.as_str() {
                    "integer" => r.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int),
                    _ => r
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, Value::Text),
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_supervision_triggers_count_the_same_on_postgres_as_on_sqlite() {
    let Some(pg) = PgSchema::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lite = fresh_sqlite(&dir);
    let mut post = pg.migrated();
    let (writes_users, writes_events) = (users(), events());
    write_sqlite(&lite, &writes_users);
    write_sqlite(&lite, &writes_events);
    write_pg(&mut post, &writes_users);
    write_pg(&mut post, &writes_events);

    let schema = sqlite_schema(&lite);
    let tables: Vec<&String> = schema
        .keys()
        .filter(|t| t.starts_with("supervision_"))
        .collect();
    assert_eq!(tables.len(), 6, "{tables:?}");
    let mut counted = 0;
    for table in tables {
        let columns: Vec<(String, Column)> = schema[table]
            .columns
            .iter()
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        let expected = rows_sqlite(&lite, table, &names);
        assert!(
            !expected.is_empty(),
            "the story counts something in {table}"
        );
        counted += expected.len();
        assert_eq!(
            rows_pg(&mut post, table, &columns),
            expected,
            "the rows of {table}"
        );
    }
    assert!(counted > 40, "{counted} rows of counters");
}

/// The versions recorded in `huoshui_schema`, each with how many times it was recorded.
fn versions(client: &mut postgres::Client) -> Vec<(i32, i64)> {
    client
        .query(
            "SELECT version, COUNT(*) FROM huoshui_schema GROUP BY version ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn once_each() -> Vec<(i32, i64)> {
    (1..=pg_schema::VERSION).map(|v| (v, 1)).collect()
}

#[test]
fn migrating_postgres_twice_changes_nothing_the_second_time() {
    let Some(pg) = PgSchema::new() else { return };
    let mut client = pg.connect();
    assert_eq!(pg_schema::migrate(&mut client).unwrap(), 0);
    let (before, _) = pg_schema_of(&mut client);
    assert_eq!(pg_schema::migrate(&mut client).unwrap(), pg_schema::VERSION);
    assert_eq!(pg_schema_of(&mut client).0, before);
    assert_eq!(versions(&mut client), once_each());
}

#[test]
fn two_nodes_migrating_one_postgres_schema_at_once_migrate_it_once() {
    let Some(pg) = PgSchema::new() else { return };
    let found: Vec<i32> = std::thread::scope(|s| {
        let nodes: Vec<_> = (0..4)
            .map(|_| s.spawn(|| pg_schema::migrate(&mut pg.connect()).unwrap()))
            .collect();
        nodes.into_iter().map(|n| n.join().unwrap()).collect()
    });
    assert_eq!(found.iter().filter(|v| **v == 0).count(), 1, "{found:?}");
    assert_eq!(versions(&mut pg.connect()), once_each());
}

#[test]
fn villagers_on_record_before_the_counters_are_counted_by_the_upgrade() {
    let Some(pg) = PgSchema::new() else { return };
    let mut client = pg.connect();
    pg_schema::migrate_to(&mut client, 4).unwrap();
    write_pg(
        &mut client,
        &[
            Write::User("v1", "villager"),
            Write::User("v2", "villager"),
            Write::User("m1", "manager"),
        ],
    );
    assert_eq!(pg_schema::migrate(&mut client).unwrap(), 4);
    write_pg(&mut client, &[Write::User("v3", "villager")]);
    let villagers: i64 = client
        .query_one(
            "SELECT value FROM supervision_counters WHERE name = 'villagers'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(villagers, 3);
}

/// One submission's events (created, submitted) for product `p-rc` in town `t1` at `at`.
fn submission(id: &str, at: i64) -> Vec<Write> {
    application(
        id,
        serde_json::json!({"type": "created", "villager_id": "v1", "product_id": "p-rc",
            "amount": 1_000, "months": 12, "town": "t1"}),
        &[(serde_json::json!({"type": "submitted"}), at)],
    )
}

fn totals(client: &mut postgres::Client) -> Option<(i64, i64)> {
    client
        .query_opt(
            "SELECT applied_n, applied_fen FROM supervision_totals
             WHERE product_id = 'p-rc' AND town = 't1'",
            &[],
        )
        .unwrap()
        .map(|r| (r.get(0), r.get(1)))
}

#[test]
fn an_event_rolled_back_on_postgres_leaves_no_count_behind() {
    let Some(pg) = PgSchema::new() else { return };
    let mut client = pg.migrated();
    client.batch_execute("BEGIN").unwrap();
    write_pg(&mut client, &submission("a-1", T0));
    assert_eq!(
        totals(&mut client),
        Some((1, 1_000)),
        "counted in the transaction"
    );
    client.batch_execute("ROLLBACK").unwrap();
    assert_eq!(totals(&mut client), None);
}

#[test]
fn submissions_on_four_nodes_at_once_are_each_counted_once() {
    let Some(pg) = PgSchema::new() else { return };
    drop(pg.migrated());
    std::thread::scope(|s| {
        for node in 0..4 {
            let pg = &pg;
            s.spawn(move || {
                let mut client = pg.connect();
                for i in 0..25 {
                    write_pg(&mut client, &submission(&format!("a-{node}-{i}"), T0 + i));
                }
            });
        }
    });
    assert_eq!(totals(&mut pg.connect()), Some((100, 100_000)));
}
