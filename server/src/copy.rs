//! Moving a county between databases (issue 13): `huoshui admin copy` carries every table of
//! one database (the embedded SQLite file, or PostgreSQL) into an empty PostgreSQL in ONE
//! PostgreSQL transaction and proves nothing was lost by comparing each table's row count and
//! content hash on both sides before committing; and `huoshui admin migrate` brings either
//! engine's schema up to date without starting a server.
//!
//! The supervision counters are copied as rows, with the target's own triggers disabled for
//! the copy (`ALTER TABLE … DISABLE TRIGGER USER`, inside the transaction, so no other session
//! ever sees them off): the source's counters are the county's figures as they were counted,
//! and replaying the copied events through the triggers would count every event a second
//! time. `ALTER TABLE` needs only the tables' owner (who ran the migrations), where
//! `session_replication_role = replica` needs a superuser.
//!
//! Must never write into a target that holds data, never commit a copy whose check differs,
//! never change the source's data (it is read in one snapshot; only its schema is brought
//! up to date, as `serve` would) and never print a connection URL
//! (it may hold a password).

use crate::db::{DbError, Target};
use crate::sql::{OptionalExtension, Tx, Value, params};
use std::collections::BTreeSet;

/// The tables in the order they are copied: the people first, then what refers to them,
/// the counters last. A table of the source that is not named here is copied after them.
const ORDER: &[&str] = &[
    "users",
    "manager_towns",
    "sessions",
    "login_codes",
    "code_requests",
    "admin_sessions",
    "push_devices",
    "applications",
    "manager_load",
    "events",
    "idempotency",
    "uploads",
    "upload_chunks",
    "phone_releases",
    "feed",
    "ladder_steps",
    "task_opens",
    "repayment_sms",
    "supervision_escalations",
    "supervision_villagers",
    "supervision_contact",
    "supervision_daily",
    "supervision_totals",
    "supervision_counters",
];

/// PostgreSQL's own record of its schema version: written by the migrations, never copied.
const SCHEMA_TABLE: &str = "huoshui_schema";

/// One table after the copy: rows and content hash on each side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCheck {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// SHA-256 of the table's rows, independent of their order (hex, first 16 digits).
    pub source_hash: String,
    pub target_hash: String,
}

impl TableCheck {
    /// Whether both sides hold the same rows.
    pub fn same(&self) -> bool {
        self.source_rows == self.target_rows && self.source_hash == self.target_hash
    }
}

/// What a copy did: one check per table, in the order copied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CopyReport {
    pub tables: Vec<TableCheck>,
}

impl CopyReport {
    pub fn all_same(&self) -> bool {
        self.tables.iter().all(TableCheck::same)
    }
}

/// Why a copy did not happen (nothing was written to the target in every case).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(
        "复制的目标必须是 PostgreSQL（postgres://…） / the copy's target must be PostgreSQL (postgres://…)"
    )]
    TargetNotPostgres,
    #[error(
        "目标数据库的表 {0} 已有数据：只能复制到空的数据库，请换一个新库或模式 / the target's table {0} already holds rows: copy only into an empty database (use a new database or schema)"
    )]
    TargetNotEmpty(String),
    #[error(
        "目标数据库缺少表 {0}：请先用同一版本的 huoshui 运行 admin migrate / the target lacks the table {0}: run admin migrate with this same huoshui build first"
    )]
    MissingTable(String),
    #[error(
        "目标数据库的表 {table} 缺少列 {columns}：版本不一致 / the target's table {table} lacks the columns {columns}: the versions differ"
    )]
    MissingColumns { table: String, columns: String },
    #[error(
        "表名 {0:?} 不是普通名称，无法复制 / the table name {0:?} is not a plain name; it cannot be copied"
    )]
    Name(String),
    #[error("复制失败：{0}，目标未改动 / the copy failed: {0}; the target is unchanged")]
    Sql(String),
    #[error(
        "复制后核对不一致（表 {}），已回滚，目标未改动 / the check after the copy differs (tables {}); rolled back, the target is unchanged",
        .0.join(", "), .0.join(", ")
    )]
    Mismatch(Vec<String>, CopyReport),
}

impl From<crate::sql::SqlError> for CopyError {
    fn from(e: crate::sql::SqlError) -> Self {
        CopyError::Sql(e.to_string())
    }
}

/// Brings the schema of `target` up to this build's version (creating the SQLite file when it
/// does not exist); answers the version found and the version now.
pub fn migrate(target: &Target) -> Result<(u32, u32), DbError> {
    match target {
        Target::Sqlite(path) => {
            let mut conn = crate::db::open_conn(path)?;
            let found = crate::db::migrate(&mut conn)?;
            Ok((found, crate::db::VERSION))
        }
        Target::Postgres(pg) => {
            let mut conn = pg.connect().map_err(DbError::Postgres)?;
            let found = crate::repo::pg_schema::migrate(conn.client())
                .map_err(|e| DbError::Postgres(e.to_string()))?;
            let now = crate::repo::pg_schema::VERSION;
            Ok((
                u32::try_from(found).unwrap_or(0),
                u32::try_from(now).unwrap_or(0),
            ))
        }
    }
}

/// An open source: the SQLite connection or a PostgreSQL one, each brought up to date.
enum Source {
    Sqlite(rusqlite::Connection),
    Postgres(Box<crate::sql::pg::PgConn>),
}

/// Copies every table of `from` into the empty PostgreSQL `to` (both migrated first) in one
/// transaction, checks each table on both sides and commits only when every one is the same.
/// Blocking: call it from a thread of its own (never an async worker).
pub fn copy(from: &Target, to: &Target) -> Result<CopyReport, CopyError> {
    copy_in_pages(from, to, PAGE)
}

/// [`copy`] reading and writing `page` rows at a time (tests use small pages to cross many
/// page boundaries).
pub fn copy_in_pages(from: &Target, to: &Target, page: usize) -> Result<CopyReport, CopyError> {
    let page = page.max(1);
    let Target::Postgres(pg) = to else {
        return Err(CopyError::TargetNotPostgres);
    };
    migrate(from)?;
    migrate(to)?;
    let mut source = match from {
        Target::Sqlite(path) => Source::Sqlite(crate::db::open_conn(path)?),
        Target::Postgres(p) => Source::Postgres(Box::new(p.connect().map_err(DbError::Postgres)?)),
    };
    let mut dest = pg.connect().map_err(DbError::Postgres)?;
    // One snapshot of the source, even while a server keeps writing to it.
    let begin = match &source {
        Source::Sqlite(_) => "BEGIN",
        Source::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    };
    let src = match &mut source {
        Source::Sqlite(conn) => Tx::sqlite(conn),
        Source::Postgres(conn) => Tx::postgres(conn),
    };
    src.execute_batch(begin)?;
    let dst = Tx::postgres(&mut dest);
    dst.execute_batch("BEGIN")?;
    let outcome = copy_within(&src, &dst, page);
    let _ = src.execute_batch("ROLLBACK");
    match outcome {
        Ok(report) if report.all_same() => {
            dst.execute_batch("COMMIT")?;
            Ok(report)
        }
        Ok(report) => {
            let _ = dst.execute_batch("ROLLBACK");
            let differ = report
                .tables
                .iter()
                .filter(|t| !t.same())
                .map(|t| t.table.clone())
                .collect();
            Err(CopyError::Mismatch(differ, report))
        }
        Err(e) => {
            let _ = dst.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// The copy inside the two open transactions.
fn copy_within(src: &Tx<'_>, dst: &Tx<'_>, page: usize) -> Result<CopyReport, CopyError> {
    let plan = plan(src, dst)?;
    // ALTER TABLE locks each table until the commit: the emptiness seen below stays true (a
    // node already started on the target waits for the copy instead of writing beside it).
    for p in &plan {
        dst.execute_batch(&format!("ALTER TABLE {} DISABLE TRIGGER USER", p.table))?;
    }
    refuse_non_empty(dst)?;
    // The migration's own starting row ('villagers', 0) gives way to the source's counters.
    dst.execute_batch("DELETE FROM supervision_counters")?;
    let mut sources = Vec::with_capacity(plan.len());
    for p in &plan {
        sources.push(copy_table(src, dst, p, page)?);
    }
    move_sequences(src, dst)?;
    for p in &plan {
        dst.execute_batch(&format!("ALTER TABLE {} ENABLE TRIGGER USER", p.table))?;
    }
    let mut tables = Vec::with_capacity(plan.len());
    for (p, (source_rows, source_hash)) in plan.iter().zip(sources) {
        let mut hashes = RowHashes::default();
        each_row(dst, p, page, |row| {
            hashes.add(row);
            Ok(())
        })?;
        let target_hash = hashes.finish();
        let target_rows = count(dst, &p.table)?;
        tables.push(TableCheck {
            table: p.table.clone(),
            source_rows,
            target_rows,
            source_hash,
            target_hash,
        });
    }
    Ok(CopyReport { tables })
}

/// One table to copy: its name, the source's columns and its primary key's columns (by their
/// place among `columns`; `None`: no primary key, read in one go).
struct Planned {
    table: String,
    columns: Vec<String>,
    key: Option<Vec<usize>>,
}

/// Rows read and written per page: a county's documents never have to fit in memory at once.
const PAGE: usize = 256;

/// The tables to copy, in order, each with the source's columns; refuses a target that lacks
/// a table or a column.
fn plan(src: &Tx<'_>, dst: &Tx<'_>) -> Result<Vec<Planned>, CopyError> {
    let have: BTreeSet<String> = tables(src)?;
    let there: BTreeSet<String> = tables(dst)?;
    let mut order: Vec<String> = ORDER
        .iter()
        .filter(|t| have.contains(**t))
        .map(|t| (*t).to_owned())
        .collect();
    order.extend(
        have.iter()
            .filter(|t| !ORDER.contains(&t.as_str()))
            .cloned(),
    );
    let mut plan = Vec::with_capacity(order.len());
    for table in order {
        if !there.contains(&table) {
            return Err(CopyError::MissingTable(table));
        }
        let columns = columns(src, &table)?;
        let target: BTreeSet<String> = columns_of(dst, &table)?.into_iter().collect();
        let missing: Vec<&str> = columns
            .iter()
            .filter(|c| !target.contains(*c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(CopyError::MissingColumns {
                table,
                columns: missing.join(", "),
            });
        }
        let key = primary_key(src, &table)?.map(|names| {
            names
                .iter()
                .filter_map(|n| columns.iter().position(|c| c == n))
                .collect()
        });
        plan.push(Planned {
            table,
            columns,
            key,
        });
    }
    Ok(plan)
}

/// A table's primary-key columns in key order (`None`: the table has no primary key).
fn primary_key(tx: &Tx<'_>, table: &str) -> Result<Option<Vec<String>>, CopyError> {
    let key = match tx.backend() {
        crate::sql::Backend::Sqlite => tx.query_map(
            "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
            params![table],
            |r| r.get::<_, String>(0),
        )?,
        crate::sql::Backend::Postgres => tx.query_map(
            "SELECT k.column_name::text FROM information_schema.table_constraints c
             JOIN information_schema.key_column_usage k
               ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
             WHERE c.table_schema = current_schema() AND c.table_name = ?1
               AND c.constraint_type = 'PRIMARY KEY'
             ORDER BY k.ordinal_position",
            params![table],
            |r| r.get::<_, String>(0),
        )?,
    };
    Ok(if key.is_empty() { None } else { Some(key) })
}

/// Hands every row of a table to `each`, a page at a time in key order, each page after the
/// last key seen (one snapshot: the pages neither miss nor repeat a row).
fn each_row(
    tx: &Tx<'_>,
    planned: &Planned,
    size: usize,
    mut each: impl FnMut(&crate::sql::Row) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    let select = format!(
        "SELECT {} FROM {}",
        planned.columns.join(", "),
        planned.table
    );
    let Some(key) = planned.key.as_ref().filter(|k| !k.is_empty()) else {
        for row in tx.rows(&select, ())? {
            each(&row)?;
        }
        return Ok(());
    };
    let names: Vec<&str> = key.iter().map(|&i| planned.columns[i].as_str()).collect();
    let order = names.join(", ");
    let slots: Vec<String> = (2..key.len() + 2).map(|i| format!("?{i}")).collect();
    let first = format!("{select} ORDER BY {order} LIMIT ?1");
    let next = format!(
        "{select} WHERE ({order}) > ({}) ORDER BY {order} LIMIT ?1",
        slots.join(", ")
    );
    let page = i64::try_from(size).unwrap_or(i64::MAX);
    let mut after: Option<Vec<Value>> = None;
    loop {
        let rows = match &after {
            None => tx.rows(&first, params![page])?,
            Some(last) => {
                let mut bound = vec![Value::Int(page)];
                bound.extend(last.iter().cloned());
                tx.rows(&next, bound)?
            }
        };
        for row in &rows {
            each(row)?;
        }
        match rows.last() {
            Some(last) if rows.len() == size => {
                let values = values(last)?;
                after = Some(key.iter().map(|&i| values[i].clone()).collect());
            }
            _ => return Ok(()),
        }
    }
}

fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The tables of a database (not SQLite's own, not PostgreSQL's version record).
fn tables(tx: &Tx<'_>) -> Result<BTreeSet<String>, CopyError> {
    let sql = match tx.backend() {
        crate::sql::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        crate::sql::Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let mut out = BTreeSet::new();
    for name in tx.query_map(sql, (), |r| r.get::<_, String>(0))? {
        if name == SCHEMA_TABLE {
            continue;
        }
        if !plain(&name) {
            return Err(CopyError::Name(name));
        }
        out.insert(name);
    }
    Ok(out)
}

/// A table's columns in their declared order, checked to be plain names.
fn columns(tx: &Tx<'_>, table: &str) -> Result<Vec<String>, CopyError> {
    let names = columns_of(tx, table)?;
    if let Some(odd) = names.iter().find(|c| !plain(c)) {
        return Err(CopyError::Name(format!("{table}.{odd}")));
    }
    Ok(names)
}

fn columns_of(tx: &Tx<'_>, table: &str) -> Result<Vec<String>, CopyError> {
    let names = match tx.backend() {
        crate::sql::Backend::Sqlite => tx.query_map(
            "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
            params![table],
            |r| r.get::<_, String>(0),
        )?,
        crate::sql::Backend::Postgres => tx.query_map(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position",
            params![table],
            |r| r.get::<_, String>(0),
        )?,
    };
    Ok(names)
}

/// Refuses a target holding any row (the migration's zero counters aside).
fn refuse_non_empty(dst: &Tx<'_>) -> Result<(), CopyError> {
    for table in tables(dst)? {
        let filter = if table == "supervision_counters" {
            " WHERE value <> 0"
        } else {
            ""
        };
        let held: i64 =
            dst.query_row(&format!("SELECT COUNT(*) FROM {table}{filter}"), (), |r| {
                r.get(0)
            })?;
        if held > 0 {
            return Err(CopyError::TargetNotEmpty(table));
        }
    }
    Ok(())
}

/// Copies one table a page at a time; answers the source's row count and content hash.
fn copy_table(
    src: &Tx<'_>,
    dst: &Tx<'_>,
    planned: &Planned,
    page: usize,
) -> Result<(u64, String), CopyError> {
    let slots: Vec<String> = (1..=planned.columns.len())
        .map(|i| format!("?{i}"))
        .collect();
    let insert = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        planned.table,
        planned.columns.join(", "),
        slots.join(", ")
    );
    let mut stmt = dst.prepare_cached(&insert)?;
    let mut hashes = RowHashes::default();
    each_row(src, planned, page, |row| {
        stmt.execute(values(row)?)?;
        hashes.add(row);
        Ok(())
    })?;
    Ok((count(src, &planned.table)?, hashes.finish()))
}

/// A table's row count, by the engine itself (not by the pages read: a page missed would show).
fn count(tx: &Tx<'_>, table: &str) -> Result<u64, CopyError> {
    let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn values(row: &crate::sql::Row) -> Result<Vec<Value>, CopyError> {
    (0..row.len())
        .map(|i| row.get::<_, Value>(i).map_err(CopyError::from))
        .collect()
}

/// Moves every identity (and serial) sequence of the target past the ids copied, and past
/// SQLite's AUTOINCREMENT record: a feed id once handed out (and pruned since) stays unused,
/// so a phone resuming from an old `Last-Event-ID` never misses a new event.
fn move_sequences(src: &Tx<'_>, dst: &Tx<'_>) -> Result<(), CopyError> {
    let serials = dst.query_map(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema()
           AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
        (),
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )?;
    for (table, column) in serials {
        if table == SCHEMA_TABLE || !plain(&table) || !plain(&column) {
            continue;
        }
        let copied: i64 = dst.query_row(
            &format!("SELECT CAST(COALESCE(MAX({column}), 0) AS BIGINT) FROM {table}"),
            (),
            |r| r.get(0),
        )?;
        let handed_out: i64 = match src.backend() {
            crate::sql::Backend::Sqlite => src
                .query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                    params![table],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0),
            crate::sql::Backend::Postgres => 0,
        };
        let next = copied.max(handed_out) + 1;
        dst.query_row(
            "SELECT CAST(setval(pg_get_serial_sequence(?1, ?2), ?3, false) AS BIGINT)",
            params![table, column, next],
            |r| r.get::<_, i64>(0),
        )?;
    }
    Ok(())
}

/// A table's row count and content hash: each row hashed on its own (every value with its
/// kind and length), the row hashes sorted (no engine's order or collation matters) and
/// hashed together.
#[derive(Default)]
struct RowHashes(Vec<[u8; 32]>);

impl RowHashes {
    fn add(&mut self, row: &crate::sql::Row) {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for i in 0..row.len() {
            let value = row.get::<_, Value>(i).unwrap_or(Value::Null);
            feed_value(&mut ctx, &value);
        }
        let mut one = [0u8; 32];
        one.copy_from_slice(ctx.finish().as_ref());
        self.0.push(one);
    }

    fn finish(mut self) -> String {
        self.0.sort_unstable();
        let mut all = ring::digest::Context::new(&ring::digest::SHA256);
        for h in &self.0 {
            all.update(h);
        }
        all.finish()
            .as_ref()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn feed_value(ctx: &mut ring::digest::Context, value: &Value) {
    let (tag, bytes): (u8, Vec<u8>) = match value {
        Value::Null => (0, Vec::new()),
        Value::Int(i) => (1, i.to_be_bytes().to_vec()),
        Value::Real(f) => (2, f.to_bits().to_be_bytes().to_vec()),
        Value::Text(s) => (3, s.as_bytes().to_vec()),
        Value::Blob(b) => (4, b.clone()),
    };
    ctx.update(&[tag]);
    ctx.update(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    ctx.update(&bytes);
}
