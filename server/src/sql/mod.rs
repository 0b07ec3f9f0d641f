//! One way to speak SQL to either backend (issue 13): the embedded SQLite database of one node,
//! or PostgreSQL shared by several nodes. Owns [`Tx`] (a connection inside the transaction the
//! caller runs in), the values that cross it ([`Value`], [`ToValue`], [`FromValue`]), the rows
//! that come back ([`Row`], [`Rows`]) and [`SqlError`]. Every module of the server writes its
//! statements ONCE, in the SQL both engines understand (`?1` placeholders, `ON CONFLICT`,
//! `RETURNING`, `COALESCE`, `CAST(SUM(x) AS BIGINT)`), and runs them on a `&Tx`.
//! The API follows rusqlite's names (`execute`, `query_row`, `prepare_cached`, `query_map`,
//! `optional`) so a module moves over by changing its imports.
//!
//! Must never decide anything (it only carries statements and values), never begin or end a
//! transaction (the caller's `crate::db::Db` does), and never put a value into the text of a
//! statement (values are always bound).

use crate::error::ApiError;
use std::cell::RefCell;

pub mod pg;

/// Which engine a [`Tx`] speaks to (for the rare statement that must differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value bound to a statement or read from a row. Integers are 64-bit everywhere; a
/// PostgreSQL column of a narrower integer type is converted on the way (and refused when
/// the value does not fit).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// What went wrong running a statement.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// `query_row` found no row (turned into `None` by [`OptionalExtension::optional`]).
    #[error("no row")]
    NoRows,
    /// A column held a value of another type than the code reads (a bug, not the user's).
    #[error("column {column}: expected {expected}, found {found}")]
    Type {
        column: usize,
        expected: &'static str,
        found: &'static str,
    },
    /// A column index or name that the statement does not return.
    #[error("no column {0}")]
    Column(String),
    /// A unique key or primary key already held the value.
    #[error("unique constraint: {0}")]
    Unique(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(String),
    /// An answer of the caller's own (e.g. a refusal inside a row closure).
    #[error("{0}")]
    Api(ApiError),
}

impl From<ApiError> for SqlError {
    fn from(e: ApiError) -> Self {
        SqlError::Api(e)
    }
}

impl From<SqlError> for ApiError {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::Api(api) => api,
            SqlError::Sqlite(inner) => ApiError::from(inner),
            other => ApiError::internal(&format!("database: {other}")),
        }
    }
}

impl SqlError {
    /// Whether a unique key refused the row (either engine).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            SqlError::Unique(_) => true,
            SqlError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            _ => false,
        }
    }
}

/// `query_row(...).optional()`: no row becomes `None`, every other error stays.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>, SqlError>;
}

impl<T> OptionalExtension<T> for Result<T, SqlError> {
    fn optional(self) -> Result<Option<T>, SqlError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(SqlError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value that can be bound to a statement.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, i8, u32, u16, u8);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for u64 {
    /// Rounding rule, named: none; a value above `i64::MAX` saturates (no count reaches it).
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for usize {
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

/// The values bound to one statement, in placeholder order (`params![a, b]`, `[]`, `()`).
pub trait Params {
    fn values(&self) -> Vec<Value>;
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl<const N: usize> Params for [&dyn ToValue; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl<const N: usize> Params for &[&dyn ToValue; N] {
    fn values(&self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for () {
    fn values(&self) -> Vec<Value> {
        Vec::new()
    }
}

impl Params for Vec<Value> {
    fn values(&self) -> Vec<Value> {
        self.clone()
    }
}

/// `params![a, b, c]`: the values of one statement, each by reference (as rusqlite's).
#[macro_export]
macro_rules! sql_params {
    () => {
        &[] as &[&dyn $crate::sql::ToValue]
    };
    ($($v:expr),+ $(,)?) => {
        &[$(&$v as &dyn $crate::sql::ToValue),+] as &[&dyn $crate::sql::ToValue]
    };
}
pub use crate::sql_params as params;

/// A value read from a row.
pub trait FromValue: Sized {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError>;
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Int(_) => "integer",
        Value::Real(_) => "real",
        Value::Text(_) => "text",
        Value::Blob(_) => "blob",
    }
}

fn mismatch(v: &Value, column: usize, expected: &'static str) -> SqlError {
    SqlError::Type {
        column,
        expected,
        found: kind(v),
    }
}

impl FromValue for i64 {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(mismatch(&other, column, "integer")),
        }
    }
}

macro_rules! narrow_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
                let i = i64::from_value(v, column)?;
                <$t>::try_from(i).map_err(|_| SqlError::Type {
                    column,
                    expected: stringify!($t),
                    found: "integer out of range",
                })
            }
        }
    )*};
}
narrow_from_value!(i32, i16, u64, u32, u16, u8, usize);

impl FromValue for bool {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        Ok(i64::from_value(v, column)? != 0)
    }
}

impl FromValue for f64 {
    /// Rounding rule, named: an integer column read as a real is converted exactly below 2^53.
    #[allow(clippy::cast_precision_loss)]
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        match v {
            Value::Real(r) => Ok(r),
            Value::Int(i) => Ok(i as f64),
            other => Err(mismatch(&other, column, "real")),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(mismatch(&other, column, "text")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(mismatch(&other, column, "blob")),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: Value, _column: usize) -> Result<Self, SqlError> {
        Ok(v)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value, column: usize) -> Result<Self, SqlError> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other, column).map(Some),
        }
    }
}

/// A column by position (0-based) or by name.
pub trait ColumnIndex {
    fn index(&self, names: &[String]) -> Result<usize, SqlError>;
}

impl ColumnIndex for usize {
    fn index(&self, names: &[String]) -> Result<usize, SqlError> {
        if *self < names.len() {
            Ok(*self)
        } else {
            Err(SqlError::Column(self.to_string()))
        }
    }
}

impl ColumnIndex for &str {
    fn index(&self, names: &[String]) -> Result<usize, SqlError> {
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(self))
            .ok_or_else(|| SqlError::Column((*self).to_owned()))
    }
}

/// One row of an answer, read into owned values.
#[derive(Debug, Clone)]
pub struct Row {
    names: std::sync::Arc<Vec<String>>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(names: std::sync::Arc<Vec<String>>, values: Vec<Value>) -> Row {
        Row { names, values }
    }

    /// The value of a column, as `T`.
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> Result<T, SqlError> {
        let i = idx.index(&self.names)?;
        let v = self.values.get(i).cloned().unwrap_or(Value::Null);
        T::from_value(v, i)
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The rows of an answer, walked with `while let Some(row) = rows.next()? { … }`.
#[derive(Debug)]
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    /// The next row, or `None` after the last.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>, SqlError> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(RefCell<&'a mut pg::PgConn>),
}

/// A connection inside the transaction the caller (`crate::db::Db`) runs: SQLite or PostgreSQL.
pub struct Tx<'a> {
    conn: Conn<'a>,
}

impl<'a> Tx<'a> {
    /// Statements on an SQLite connection (inside the caller's transaction or savepoint).
    pub fn sqlite(conn: &'a rusqlite::Connection) -> Tx<'a> {
        Tx {
            conn: Conn::Sqlite(conn),
        }
    }

    /// Statements on a PostgreSQL connection (inside the caller's transaction).
    pub fn postgres(conn: &'a mut pg::PgConn) -> Tx<'a> {
        Tx {
            conn: Conn::Postgres(RefCell::new(conn)),
        }
    }

    /// The engine behind this connection.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs one statement; answers the rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, SqlError> {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Conn::Postgres(c) => c.borrow_mut().execute(sql, &values),
        }
    }

    /// Runs statements separated by `;`, with no values (schema, savepoints).
    pub fn execute_batch(&self, sql: &str) -> Result<(), SqlError> {
        match &self.conn {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.borrow_mut().batch(sql),
        }
    }

    /// Every row of a query.
    pub fn rows<P: Params>(&self, sql: &str, params: P) -> Result<Vec<Row>, SqlError> {
        let values = params.values();
        match &self.conn {
            Conn::Sqlite(c) => sqlite_rows(c, sql, &values),
            Conn::Postgres(c) => c.borrow_mut().query(sql, &values),
        }
    }

    /// The first row of a query read by `f`; [`SqlError::NoRows`] when there is none.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T, SqlError>
    where
        P: Params,
        F: FnOnce(&Row) -> Result<T, SqlError>,
    {
        let rows = self.rows(sql, params)?;
        match rows.first() {
            Some(row) => f(row),
            None => Err(SqlError::NoRows),
        }
    }

    /// Every row of a query read by `f`.
    pub fn query_map<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<Vec<T>, SqlError>
    where
        P: Params,
        F: FnMut(&Row) -> Result<T, SqlError>,
    {
        self.rows(sql, params)?.iter().map(f).collect()
    }

    /// A statement to run (and, on SQLite, to keep prepared); as rusqlite's.
    pub fn prepare_cached<'s>(&'s self, sql: &'s str) -> Result<Stmt<'s, 'a>, SqlError> {
        Ok(Stmt { tx: self, sql })
    }

    /// A statement to run; as rusqlite's.
    pub fn prepare<'s>(&'s self, sql: &'s str) -> Result<Stmt<'s, 'a>, SqlError> {
        Ok(Stmt { tx: self, sql })
    }
}

fn sqlite_rows(
    c: &rusqlite::Connection,
    sql: &str,
    values: &[Value],
) -> Result<Vec<Row>, SqlError> {
    let mut stmt = c.prepare_cached(sql)?;
    let names: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(stmt.column_names().map(str::to_owned).collect());
    let width = names.len();
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut vals = Vec::with_capacity(width);
        for i in 0..width {
            vals.push(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                rusqlite::types::ValueRef::Real(v) => Value::Real(v),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::Text(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            });
        }
        out.push(Row::new(names.clone(), vals));
    }
    Ok(out)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// A statement of a [`Tx`], run with its values.
pub struct Stmt<'s, 'a> {
    tx: &'s Tx<'a>,
    sql: &'s str,
}

impl Stmt<'_, '_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize, SqlError> {
        self.tx.execute(self.sql, params)
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows, SqlError> {
        Ok(Rows {
            rows: self.tx.rows(self.sql, params)?.into_iter(),
            current: None,
        })
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T, SqlError>
    where
        P: Params,
        F: FnOnce(&Row) -> Result<T, SqlError>,
    {
        self.tx.query_row(self.sql, params, f)
    }

    /// Every row read by `f`, as an iterator of results (as rusqlite's).
    pub fn query_map<T, P, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T, SqlError>>, SqlError>
    where
        P: Params,
        F: FnMut(&Row) -> Result<T, SqlError>,
    {
        let rows = self.tx.rows(self.sql, params)?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool, SqlError> {
        Ok(!self.tx.rows(self.sql, params)?.is_empty())
    }
}

#[cfg(test)]
mod tests;
