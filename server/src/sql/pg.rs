//! [`super::Tx`] on PostgreSQL: one connection of the synchronous `postgres` client with its
//! prepared statements kept by text, the SQLite-style placeholders (`?1`, `?`) rewritten to
//! PostgreSQL's (`$1`), and [`Value`] bound to and read from every column type the schema
//! uses (integers of any width, NUMERIC sums, text, bytea, booleans, reals).
//! Must never run on an async worker thread (the client blocks), never log a connection URL
//! (it may hold a password) and never put a value into a statement's text.

use super::{Row, SqlError, Value};
use crate::error::ApiError;
use r2d2_postgres::postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use r2d2_postgres::postgres::{Client, Config, NoTls, Statement, error::SqlState};
use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type BoxError = Box<dyn Error + Sync + Send>;

/// One PostgreSQL connection and the statements prepared on it.
pub struct PgConn {
    client: Client,
    prepared: HashMap<String, (Statement, Arc<Vec<String>>)>,
}

/// Statements kept prepared per connection before the cache is emptied.
const MAX_PREPARED: usize = 512;

/// The server's own words when it gave some (`database "x" does not exist`), else the client's
/// error with its causes (the client's `Display` alone says only "db error").
fn describe(e: &r2d2_postgres::postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

fn fault(e: &r2d2_postgres::postgres::Error) -> SqlError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return SqlError::Unique(e.to_string());
    }
    SqlError::Postgres(describe(e))
}

impl PgConn {
    /// Wraps a connected client.
    pub fn new(client: Client) -> PgConn {
        PgConn {
            client,
            prepared: HashMap::new(),
        }
    }

    /// Whether the server closed this connection (it is then thrown away).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The client, for what the layer does not carry (LISTEN, COPY, migrations).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn statement(&mut self, sql: &str) -> Result<(Statement, Arc<Vec<String>>), SqlError> {
        if let Some(found) = self.prepared.get(sql) {
            return Ok(found.clone());
        }
        let stmt = self
            .client
            .prepare(&placeholders(sql))
            .map_err(|e| fault(&e))?;
        let names = Arc::new(
            stmt.columns()
                .iter()
                .map(|c| c.name().to_owned())
                .collect::<Vec<_>>(),
        );
        if self.prepared.len() >= MAX_PREPARED {
            self.prepared.clear();
        }
        self.prepared
            .insert(sql.to_owned(), (stmt.clone(), names.clone()));
        Ok((stmt, names))
    }

    pub(super) fn execute(&mut self, sql: &str, values: &[Value]) -> Result<usize, SqlError> {
        let (stmt, _) = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let n = self.client.execute(&stmt, &params).map_err(|e| fault(&e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, sql: &str, values: &[Value]) -> Result<Vec<Row>, SqlError> {
        let (stmt, names) = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&stmt, &params).map_err(|e| fault(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut vals = Vec::with_capacity(names.len());
            for i in 0..names.len() {
                vals.push(r.try_get::<_, Value>(i).map_err(|e| fault(&e))?);
            }
            out.push(Row::new(names.clone(), vals));
        }
        Ok(out)
    }

    /// Runs statements with no values (schema, transaction control).
    pub fn batch(&mut self, sql: &str) -> Result<(), SqlError> {
        self.client.batch_execute(sql).map_err(|e| fault(&e))
    }
}

/// Where a node's PostgreSQL is: the parsed connection settings (never logged: they may hold a
/// password) and, for tests, the schema every connection works in.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    /// Set when the operator gave the certificate authority of their PostgreSQL: every
    /// connection is then TLS, its certificate checked against that authority and the host.
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// The advisory lock every write transaction takes first: the nodes' writers take turns, so
/// a decision read and written in one transaction (a manager's load, an application's next
/// state) is made one at a time across nodes, as SQLite's single writer makes it on one node.
const WRITE_LOCK: i64 = 0x6875_6f73_6875_6901;

impl PgTarget {
    /// `postgres://…` with, when given, `search_path` set to `schema` (letters, digits, `_`).
    pub fn parse(url: &str, schema: Option<&str>) -> Result<PgTarget, String> {
        let mut config: Config = url.parse().map_err(|e| {
            format!(
                "PostgreSQL 地址无效：{e}（应为 postgres://用户@主机:端口/库名） / the PostgreSQL URL is invalid: {e} (expected postgres://user@host:port/dbname)"
            )
        })?;
        if let Some(schema) = schema {
            let plain = !schema.is_empty()
                && schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !plain {
                return Err(format!(
                    "PostgreSQL 模式名 {schema:?} 无效 / the PostgreSQL schema name {schema:?} is invalid"
                ));
            }
            config.options(&format!("-c search_path={schema}"));
        }
        config.connect_timeout(Duration::from_secs(10));
        Ok(PgTarget { config, tls: None })
    }

    /// Speaks TLS only, trusting the certificate authority in the PEM file `ca` (the county's
    /// own PostgreSQL has a certificate of its own authority, not a public one).
    pub fn with_ca_file(mut self, ca: &std::path::Path) -> Result<PgTarget, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let unreadable = |e: &dyn std::fmt::Display| {
            format!(
                "无法读取 PostgreSQL 的 CA 证书 {}：{e} / cannot read the PostgreSQL CA certificate {}: {e}",
                ca.display(),
                ca.display()
            )
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).map_err(|e| unreadable(&e))? {
            roots
                .add(cert.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
        }
        if roots.is_empty() {
            return Err(unreadable(&"no certificate in the file"));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| unreadable(&e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        self.config
            .ssl_mode(r2d2_postgres::postgres::config::SslMode::Require);
        self.tls = Some(Arc::new(tls));
        Ok(self)
    }

    /// Whether connections are TLS (a CA was given).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// A new connection (blocking: call from a thread of its own or the blocking pool).
    pub fn connect(&self) -> Result<PgConn, String> {
        let connected = match &self.tls {
            Some(tls) => self
                .config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(
                    rustls::ClientConfig::clone(tls),
                )),
            None => {
                if self.config.get_ssl_mode() == r2d2_postgres::postgres::config::SslMode::Require {
                    return Err("sslmode=require 需要 PostgreSQL 的 CA 证书（--database-ca） / sslmode=require needs the PostgreSQL CA certificate (--database-ca)".into());
                }
                self.config.connect(NoTls)
            }
        };
        connected.map(PgConn::new).map_err(|e| {
            let why = describe(&e);
            format!("无法连接 PostgreSQL：{why} / cannot connect to PostgreSQL: {why}")
        })
    }
}

/// The writer of one node on PostgreSQL: connects, migrates, says so on `ready`, then runs
/// each group of jobs in one transaction under [`WRITE_LOCK`] (a savepoint per job), answering
/// after the commit. A lost connection is made again before the next group.
pub(crate) fn writer(
    target: &PgTarget,
    rx: std::sync::mpsc::Receiver<crate::db::Job>,
    ready: &std::sync::mpsc::Sender<Result<(), String>>,
) {
    let first = target.connect().and_then(|mut conn| {
        crate::repo::pg_schema::migrate(conn.client())
            .map(|_| conn)
            .map_err(|e| e.to_string())
    });
    let mut conn = match first {
        Ok(conn) => {
            let _ = ready.send(Ok(()));
            Some(conn)
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    while let Some(batch) = crate::db::next_batch(&rx) {
        if conn.as_ref().is_none_or(PgConn::is_closed) {
            conn = match target.connect() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "postgres writer cannot reconnect");
                    None
                }
            };
        }
        let Some(c) = conn.as_mut() else {
            // Dropping a job drops its answer channel: each caller gets an internal fault.
            drop(batch);
            continue;
        };
        let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})");
        if let Err(e) = c.batch(&begin) {
            tracing::error!(error = %e, "begin failed");
            drop(batch);
            continue;
        }
        let replies = crate::db::run_batch(&super::Tx::postgres(c), batch);
        let committed = c.batch("COMMIT").map_err(|e| {
            let _ = c.batch("ROLLBACK");
            ApiError::internal(&format!("commit: {e}"))
        });
        for reply in replies {
            reply(committed.clone());
        }
    }
    close_aside(conn);
}

/// Drops connections on a thread of their own: closing one blocks, which an async worker
/// thread must never do (the last handle of a pool may be dropped there).
fn close_aside<T: Send + 'static>(conns: T) {
    let closed = std::thread::Builder::new()
        .name("huoshui-pg-close".into())
        .spawn(move || drop(conns));
    if let Err(e) = closed {
        tracing::warn!(error = %e, "postgres connections left to the server's timeout");
    }
}

/// The readers of one node: connections kept between reads (at most [`MAX_IDLE`]).
pub struct PgPool {
    target: Arc<PgTarget>,
    idle: Mutex<Vec<PgConn>>,
}

const MAX_IDLE: usize = 16;

impl Drop for PgPool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut *crate::db::lock(&self.idle));
        if !idle.is_empty() {
            close_aside(idle);
        }
    }
}

impl PgPool {
    pub fn new(target: Arc<PgTarget>) -> PgPool {
        PgPool {
            target,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` in one read-only snapshot (blocking: call from the blocking pool).
    pub fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&super::Tx<'_>) -> Result<T, ApiError>,
    {
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", f)
    }

    /// Runs `f` in one read-write transaction (READ COMMITTED) on a pooled connection,
    /// outside the writer and its lock; commits on `Ok`, rolls back on `Err` (blocking: call
    /// from the blocking pool). For `crate::db::Db::claim_tx`.
    pub fn transact<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&super::Tx<'_>) -> Result<T, ApiError>,
    {
        self.run("BEGIN ISOLATION LEVEL READ COMMITTED", f)
    }

    /// `begin`, then `f` on a pooled connection, then COMMIT (ROLLBACK on `Err`); the
    /// connection goes back to the pool unless the server closed it.
    fn run<T, F>(&self, begin: &str, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&super::Tx<'_>) -> Result<T, ApiError>,
    {
        let pooled = crate::db::lock(&self.idle).pop();
        let mut conn = match pooled.filter(|c| !c.is_closed()) {
            Some(c) => c,
            None => self.target.connect().map_err(|e| ApiError::internal(&e))?,
        };
        conn.batch(begin)?;
        let result = f(&super::Tx::postgres(&mut conn));
        let ended = match &result {
            Ok(_) => conn.batch("COMMIT"),
            Err(_) => conn.batch("ROLLBACK"),
        };
        let result = match ended {
            Ok(()) => result,
            Err(e) => Err(ApiError::internal(&format!("commit: {e}"))),
        };
        if !conn.is_closed() {
            let mut idle = crate::db::lock(&self.idle);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
                return result;
            }
        }
        close_aside(conn);
        result
    }
}

/// `?1` → `$1` and a bare `?` → the next `$n`, outside quoted text and identifiers.
pub fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut next = 0u32;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    next += 1;
                    out.push_str(&next.to_string());
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn out_of_range(ty: &Type) -> BoxError {
    format!("integer out of range for {ty}").into()
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => int_to_sql(*i, ty, out),
            Value::Real(r) => match *ty {
                Type::FLOAT4 => {
                    // Rounding rule, named: to the nearest f32 (no column of ours is FLOAT4).
                    #[allow(clippy::cast_possible_truncation)]
                    let narrow = *r as f32;
                    narrow.to_sql(ty, out)
                }
                Type::FLOAT8 => r.to_sql(ty, out),
                _ => r.to_string().as_str().to_sql(&Type::TEXT, out),
            },
            Value::Text(s) => s.as_str().to_sql(&text_type(ty), out),
            Value::Blob(b) => b.as_slice().to_sql(&Type::BYTEA, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Text is sent as text whatever PostgreSQL inferred (an untyped `$1` compared with a text
/// column is inferred as text anyway).
fn text_type(ty: &Type) -> Type {
    match *ty {
        Type::VARCHAR | Type::BPCHAR | Type::NAME => ty.clone(),
        _ => Type::TEXT,
    }
}

fn int_to_sql(i: i64, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::INT8 => i.to_sql(ty, out),
        Type::INT4 => i32::try_from(i)
            .map_err(|_| out_of_range(ty))?
            .to_sql(ty, out),
        Type::INT2 => i16::try_from(i)
            .map_err(|_| out_of_range(ty))?
            .to_sql(ty, out),
        Type::BOOL => (i != 0).to_sql(ty, out),
        // Rounding rule, named: exact below 2^53 (counts and fen stay far below it).
        #[allow(clippy::cast_precision_loss)]
        Type::FLOAT8 => (i as f64).to_sql(ty, out),
        _ => i.to_string().as_str().to_sql(&Type::TEXT, out),
    }
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Int(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(String::from_utf8(raw.get(1..).unwrap_or(&[]).to_vec())?),
            _ => Value::Text(String::from_utf8(raw.to_vec())?),
        })
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// A NUMERIC in PostgreSQL's binary form (`SUM` of a BIGINT is one): an integral value
/// becomes [`Value::Int`]; a fraction becomes [`Value::Real`] (rounding rule, named: to the
/// nearest f64; no amount of ours has a fraction, money is integer fen).
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        let b = raw.get(i * 2..i * 2 + 2).ok_or("short NUMERIC")?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    };
    let ndigits = usize::try_from(word(0)?).map_err(|_| "bad NUMERIC")?;
    let weight = i32::from(word(1)?);
    let sign = u16::from_be_bytes(word(2)?.to_be_bytes());
    if sign == 0xC000 {
        return Err("NaN is not a number of ours".into());
    }
    let mut int: i128 = 0;
    let mut frac: f64 = 0.0;
    let mut scale = 1.0f64;
    for k in 0..ndigits {
        let d = i128::from(word(4 + k)?);
        let pos = weight - i32::try_from(k).map_err(|_| "bad NUMERIC")?;
        if pos >= 0 {
            let place = 10_000i128
                .checked_pow(u32::try_from(pos).map_err(|_| "bad NUMERIC")?)
                .ok_or("NUMERIC too large")?;
            int = int
                .checked_add(d.checked_mul(place).ok_or("NUMERIC too large")?)
                .ok_or("NUMERIC too large")?;
        } else {
            scale /= 10_000.0;
            // Rounding rule, named: fraction digits to the nearest f64.
            #[allow(clippy::cast_precision_loss)]
            let part = d as f64 * scale;
            frac += part;
        }
    }
    let negative = sign == 0x4000;
    if frac == 0.0 {
        let v = i64::try_from(int).map_err(|_| "NUMERIC too large")?;
        Ok(Value::Int(if negative { -v } else { v }))
    } else {
        #[allow(clippy::cast_precision_loss)]
        let v = int as f64 + frac;
        Ok(Value::Real(if negative { -v } else { v }))
    }
}

/// For tests (this crate's and the integration tests): the PostgreSQL of `scripts/pg.sh` and a
/// schema of one's own in it, so tests running at once never see each other's rows.
#[doc(hidden)]
pub mod testing {
    /// `HUOSHUI_TEST_PG_URL`, or `None` with a notice (an error when `HUOSHUI_REQUIRE_PG=1`).
    pub fn url() -> Result<Option<String>, String> {
        match std::env::var("HUOSHUI_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => Ok(Some(url)),
            _ if std::env::var("HUOSHUI_REQUIRE_PG").as_deref() == Ok("1") => Err(
                "HUOSHUI_REQUIRE_PG=1 but HUOSHUI_TEST_PG_URL is not set: run `eval \"$(bash scripts/pg.sh start)\"`".into(),
            ),
            _ => {
                eprintln!("skipped: no PostgreSQL (HUOSHUI_TEST_PG_URL unset; `bash scripts/pg.sh start`)");
                Ok(None)
            }
        }
    }

    /// `HUOSHUI_TEST_PG_CA` (the test server's certificate authority, set by `scripts/pg.sh`
    /// when its PostgreSQL speaks TLS), or `None` with a notice (an error when
    /// `HUOSHUI_REQUIRE_PG=1`).
    pub fn tls_ca() -> Result<Option<std::path::PathBuf>, String> {
        match std::env::var("HUOSHUI_TEST_PG_CA") {
            Ok(ca) if !ca.is_empty() => Ok(Some(ca.into())),
            _ if std::env::var("HUOSHUI_REQUIRE_PG").as_deref() == Ok("1") => Err(
                "HUOSHUI_REQUIRE_PG=1 but HUOSHUI_TEST_PG_CA is not set: restart the test PostgreSQL with `bash scripts/pg.sh stop` and `eval \"$(bash scripts/pg.sh start)\"`".into(),
            ),
            _ => {
                eprintln!("skipped: the test PostgreSQL speaks no TLS (HUOSHUI_TEST_PG_CA unset)");
                Ok(None)
            }
        }
    }

    /// Creates an empty schema `t_<UUIDv7>` and answers its name. The first call of a test
    /// process also drops the schemas made over an hour ago (left by runs that stopped before
    /// their end; a UUIDv7's first 12 hex digits are the milliseconds it was made at, so names
    /// of another kind are left alone).
    pub fn fresh_schema(url: &str) -> Result<String, String> {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        let mut swept = Ok(());
        SWEPT.call_once(|| swept = drop_stale_schemas(url));
        swept?;
        let name = format!("t_{}", uuid::Uuid::now_v7().simple());
        on_own_thread(url, format!("CREATE SCHEMA {name}"))?;
        Ok(name)
    }

    fn drop_stale_schemas(url: &str) -> Result<(), String> {
        let target = super::PgTarget::parse(url, None)?;
        std::thread::spawn(move || {
            let mut conn = target.connect()?;
            let tx = super::super::Tx::postgres(&mut conn);
            let names: Vec<String> = tx
                .query_map(
                    "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'",
                    (),
                    |r| r.get(0),
                )
                .map_err(|e| e.to_string())?;
            let hour_ago = jiff::Timestamp::now().as_millisecond() - 3_600_000;
            for name in names {
                let made = name
                    .get(2..14)
                    .filter(|_| name.get(14..15) == Some("7"))
                    .and_then(|h| i64::from_str_radix(h, 16).ok());
                if made.is_some_and(|ms| ms < hour_ago) {
                    // Another process may drop it at the same moment: either way it goes.
                    let _ = tx.execute_batch(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
                }
            }
            Ok(())
        })
        .join()
        .map_err(|_| "the PostgreSQL thread stopped".to_owned())?
    }

    /// Drops a schema made by [`fresh_schema`] with everything in it.
    pub fn drop_schema(url: &str, name: &str) -> Result<(), String> {
        on_own_thread(url, format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
    }

    fn on_own_thread(url: &str, sql: String) -> Result<(), String> {
        let target = super::PgTarget::parse(url, None)?;
        std::thread::spawn(move || {
            let mut conn = target.connect()?;
            conn.batch(&sql).map_err(|e| e.to_string())
        })
        .join()
        .map_err(|_| "the PostgreSQL thread stopped".to_owned())?
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn placeholders_become_dollar_numbers_outside_quotes() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12"
        );
        assert_eq!(
            placeholders("VALUES (?, ?, \"?\")"),
            "VALUES ($1, $2, \"?\")"
        );
    }

    fn numeric_bytes(ndigits: i16, weight: i16, sign: u16, digits: &[i16]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&ndigits.to_be_bytes());
        v.extend_from_slice(&weight.to_be_bytes());
        v.extend_from_slice(&sign.to_be_bytes());
        v.extend_from_slice(&0i16.to_be_bytes());
        for d in digits {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v
    }

    #[test]
    fn a_numeric_sum_reads_as_an_integer() {
        // 1,234,567,890,123 = 1 2345 6789 0123 in base 10,000 (weight 3).
        let raw = numeric_bytes(4, 3, 0, &[1, 2345, 6789, 123]);
        assert_eq!(numeric(&raw).unwrap(), Value::Int(1_234_567_890_123));
        let neg = numeric_bytes(1, 0, 0x4000, &[42]);
        assert_eq!(numeric(&neg).unwrap(), Value::Int(-42));
        let zero = numeric_bytes(0, 0, 0, &[]);
        assert_eq!(numeric(&zero).unwrap(), Value::Int(0));
        let half = numeric_bytes(2, 0, 0, &[1, 5000]);
        assert_eq!(numeric(&half).unwrap(), Value::Real(1.5));
    }
}
