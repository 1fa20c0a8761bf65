//! One small interface over the two engines the inventory runs on: SQLite (a file, the default,
//! compiled in) and PostgreSQL (a server, the fleet's hub). The store's SQL is written once, in
//! the subset both engines read alike; [`dialect`] turns SQLite's spelling of the few differences
//! (`?N` parameters, `INSERT OR IGNORE`, `instr`, `char`) into PostgreSQL's before a statement
//! is prepared.
//!
//! The shape follows rusqlite's (a statement, rows read by index, `optional()`), so the store's
//! code reads the same on both engines. Values are SQLite's five storage classes ([`Value`]); the
//! PostgreSQL schema uses only `BIGINT`, `DOUBLE PRECISION`, `TEXT` and `BYTEA` so that every
//! column maps to one of them, and no column is a boolean (SQLite has none): the SQL compares
//! flags with `<> 0`.
//!
//! * `sqlite`: rusqlite underneath, each statement prepared once (`prepare_cached`).
//! * `postgres`: tokio-postgres on a thread of its own (the store's callers are synchronous and
//!   often on a runtime's worker thread, where blocking on another runtime would panic); every
//!   round trip has a deadline, statements are prepared once per connection, and a connection the
//!   server closed is opened again on the next statement.

pub(crate) mod dialect;
pub mod location;
mod postgres;

use std::ops::Deref;

pub use location::{DbLocation, PgTarget};

/// One value, as SQLite stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// What went wrong talking to the database; [`crate::StoreError`] says it to the user.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// An error from the PostgreSQL server or its connection; `code` is the SQLSTATE when the
    /// server sent one.
    #[error("{message}")]
    Postgres {
        code: Option<String>,
        message: String,
        /// The connection itself failed (unreachable, closed, timed out), not a statement.
        connection: bool,
    },
    /// `query_row` found no row (see [`OptionalExtension::optional`]).
    #[error("query returned no rows")]
    NoRows,
    /// Anything else that stops a statement from being run (no randomness for a new id).
    #[error("{0}")]
    Other(String),
    /// A column held a value of another kind than the code reads.
    #[error("column {index}: {detail}")]
    Type { index: usize, detail: String },
}

pub(crate) type Result<T, E = DbError> = std::result::Result<T, E>;

/// A Rust value as a parameter.
pub trait ToSql {
    fn to_value(&self) -> Value;
}

/// A column as a Rust value.
pub trait FromSql: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
        impl FromSql for $t {
            fn from_value(v: &Value) -> Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(*i)
                        .map_err(|_| format!("{i} out of range for {}", stringify!($t))),
                    other => Err(format!("expected an integer, found {}", other.kind())),
                }
            }
        }
    )*};
}
int_to_sql!(i64, i32, u32, u16, u8, usize, u64);

impl ToSql for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl FromSql for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i != 0),
            other => Err(format!("expected a flag, found {}", other.kind())),
        }
    }
}
impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl FromSql for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {}", other.kind())),
        }
    }
}
impl ToSql for f32 {
    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }
}
impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl FromSql for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Blob(b) => String::from_utf8(b.clone()).map_err(|e| e.to_string()),
            other => Err(format!("expected text, found {}", other.kind())),
        }
    }
}
impl ToSql for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToSql for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl FromSql for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {}", other.kind())),
        }
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}
impl<T: FromSql> FromSql for Option<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}
impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl FromSql for Value {
    fn from_value(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
}
impl ToSql for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// Parameters of a statement: `params![a, b]`, `[]`, or a slice of values.
pub trait Params {
    fn values(self) -> Vec<Value>;
}
impl Params for &[&dyn ToSql] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}
impl<T: ToSql, const N: usize> Params for [T; N] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}
impl Params for Vec<Value> {
    fn values(self) -> Vec<Value> {
        self
    }
}

/// `params![a, b, ...]`: the statement's parameters, `?1`, `?2`, ... in order.
macro_rules! params {
    () => { &[] as &[&dyn $crate::db::ToSql] };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToSql),+] as &[&dyn $crate::db::ToSql]
    };
}
pub(crate) use params;

/// One row of a result.
#[derive(Debug, Clone)]
pub struct Row {
    values: Vec<Value>,
}

/// A column index (by position).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row {
    /// Column `i` as a `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, i: I) -> Result<T> {
        let index = i.index();
        let v = self.values.get(index).ok_or_else(|| DbError::Type {
            index,
            detail: format!("no such column (the row has {})", self.values.len()),
        })?;
        T::from_value(v).map_err(|detail| DbError::Type { index, detail })
    }
}

/// The rows of a query, read one by one.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    /// The next row, `None` after the last.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// `query_row(...).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}
impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

/// An open database connection.
pub struct Conn {
    inner: Inner,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conn({:?})", self.engine())
    }
}

impl Conn {
    /// A connection over an open SQLite database.
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Conn {
        conn.set_prepared_statement_cache_capacity(64);
        Conn {
            inner: Inner::Sqlite(conn),
        }
    }

    /// Connect to the PostgreSQL server `target` names.
    pub(crate) fn postgres(target: &PgTarget) -> Result<Conn> {
        Ok(Conn {
            inner: Inner::Postgres(postgres::Client::connect(target)?),
        })
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            Inner::Sqlite(_) => Engine::Sqlite,
            Inner::Postgres(_) => Engine::Postgres,
        }
    }

    /// A statement (prepared on first use, then reused).
    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_string(),
        })
    }

    /// `prepare`, as rusqlite spells the cached form: every statement here is cached.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare(sql)
    }

    /// Run a statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let values = params.values();
        match &self.inner {
            Inner::Sqlite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values.iter().map(sqlite_value)))?),
            Inner::Postgres(c) => c.execute(sql, values),
        }
    }

    /// Run an `INSERT` into a table whose key is `id`; the new row's id.
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> Result<i64> {
        match &self.inner {
            Inner::Sqlite(c) => {
                self.execute(sql, params)?;
                Ok(c.last_insert_rowid())
            }
            Inner::Postgres(c) => {
                let rows = c.query(&format!("{sql} RETURNING id"), params.values())?;
                rows.first().ok_or(DbError::NoRows)?.get(0)
            }
        }
    }

    /// Every row of a query.
    pub fn query_all<P: Params>(&self, sql: &str, params: P) -> Result<Vec<Row>> {
        let values = params.values();
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows =
                    stmt.query(rusqlite::params_from_iter(values.iter().map(sqlite_value)))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        values.push(from_sqlite(r.get_ref(i)?));
                    }
                    out.push(Row { values });
                }
                Ok(out)
            }
            Inner::Postgres(c) => c.query(sql, values),
        }
    }

    /// The first row of a query through `f`; no row is [`DbError::NoRows`].
    pub fn query_row<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let rows = self.query_all(sql, params)?;
        f(rows.first().ok_or(DbError::NoRows)?)
    }

    /// Statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(c) => c.batch(sql),
        }
    }

    /// A write transaction: one writer at a time (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL a
    /// transaction-scoped advisory lock, so two camscans recording at once take turns as they
    /// do on a file). Rolled back when dropped without [`Tx::commit`].
    pub fn transaction(&mut self) -> Result<Tx<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Inner::Postgres(c) => {
                c.batch("BEGIN")?;
                if let Err(e) = c.batch(&format!("SELECT pg_advisory_xact_lock({WRITER_LOCK})")) {
                    let _ = c.batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        Ok(Tx {
            conn: self,
            done: false,
        })
    }
}

/// The advisory lock key every camscan writer takes on a PostgreSQL inventory ("cams" in ASCII).
const WRITER_LOCK: i64 = 0x6361_6d73;

/// A statement of a connection.
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn insert<P: Params>(&mut self, params: P) -> Result<i64> {
        self.conn.insert(&self.sql, params)
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows> {
        Ok(Rows {
            rows: self.conn.query_all(&self.sql, params)?.into_iter(),
            current: None,
        })
    }

    /// Each row through `f`.
    pub fn query_map<P: Params, T>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.query_all(&self.sql, params)?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    pub fn query_row<P: Params, T>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Whether the query returns a row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(!self.conn.query_all(&self.sql, params)?.is_empty())
    }
}

/// A write transaction; derefs to its connection.
pub struct Tx<'c> {
    conn: &'c mut Conn,
    done: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }
}

impl Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn sqlite_value(v: &Value) -> rusqlite::types::ToSqlOutput<'_> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    ToSqlOutput::Borrowed(match v {
        Value::Null => ValueRef::Null,
        Value::Int(i) => ValueRef::Integer(*i),
        Value::Real(f) => ValueRef::Real(*f),
        Value::Text(s) => ValueRef::Text(s.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    })
}

fn from_sqlite(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use crate::requests;
    use crate::testing::{Engine, TestDb, both_engines};

    both_engines!(a_guessed_null_inside_a_transaction_keeps_it,);

    /// A NULL parameter whose type the server cannot tell, inside a write transaction: guessing
    /// it does not abort the transaction (PostgreSQL prepares such a statement under a
    /// savepoint), and what the transaction wrote before and after is committed.
    fn a_guessed_null_inside_a_transaction_keeps_it(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let tx = s.conn.transaction().unwrap();
        tx.execute("INSERT INTO sites (name) VALUES ('north')", params![])
            .unwrap();
        let none: Option<&str> = None;
        let found = tx
            .query_all(
                "SELECT name FROM sites WHERE (?1 IS NULL OR ?1 = 'x') AND (?2 IS NULL OR ?2 > 1)",
                params![none, none],
            )
            .unwrap();
        assert_eq!(found.len(), 1);
        assert!(requests::list(&tx, None, None, 10).unwrap().is_empty());
        tx.execute("INSERT INTO sites (name) VALUES ('south')", params![])
            .unwrap();
        tx.commit().unwrap();
        assert_eq!(s.sites().unwrap().len(), 2);
    }
}
