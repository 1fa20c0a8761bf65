//! The PostgreSQL engine: tokio-postgres on a thread of its own.
//!
//! The store is synchronous and its callers are often on a tokio worker thread, where blocking on
//! another runtime panics; so one thread per connection owns a current-thread runtime and the
//! tokio-postgres client, and the store sends it jobs over a channel and waits for the answer
//! (as it waits for SQLite's disk). Every round trip has a deadline ([`ROUND_TRIP`]). Statements
//! are prepared once per connection with the parameters' types given (what PostgreSQL cannot
//! infer, a NULL compared with nothing, it is told), and a connection the server closed (a hub
//! restarted) is opened again before the next statement; the statement that met the closed
//! connection fails, and its transaction with it.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::types::{IsNull, Kind, ToSql as PgToSql, Type, to_sql_checked};

use super::location::{PgTarget, SslMode};
use super::{DbError, Result, Row, Value, dialect};

/// The longest one statement (or connecting) may take before it is an error. A statement of the
/// store touches at most one scan's rows; a slower answer is a server in trouble.
pub const ROUND_TRIP: Duration = Duration::from_secs(60);

/// Prepared statements kept per connection (the store writes a few dozen distinct statements).
const STATEMENT_CACHE: usize = 512;

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// A connection: a handle to its thread.
pub struct Client {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    rt: tokio::runtime::Runtime,
    target: PgTarget,
    client: Option<tokio_postgres::Client>,
    /// Statements prepared per SQL text, each with the parameter types it was declared with
    /// (`0`: a NULL, its type left to the server); `cached` counts them.
    statements: HashMap<String, Vec<(Vec<u32>, tokio_postgres::Statement)>>,
    cached: usize,
    /// Inside `BEGIN` .. `COMMIT`/`ROLLBACK`: a failed prepare would abort the transaction, so a
    /// statement whose NULLs may need guessing is prepared under a savepoint.
    in_tx: bool,
}

impl Client {
    /// Connect to `target` (with its deadline); the connection's thread lives as long as this.
    pub fn connect(target: &PgTarget) -> Result<Client> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<()>>(1);
        let target = target.clone();
        // The runtime is made and the first connection opened on the worker thread: the caller
        // may itself be on a runtime's thread, where blocking on another would panic.
        let thread = std::thread::Builder::new()
            .name("camscan-pg".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(conn_err(format!(
                            "no runtime for the PostgreSQL client: {e}"
                        ))));
                        return;
                    }
                };
                let mut worker = Worker {
                    rt,
                    target,
                    client: None,
                    statements: HashMap::new(),
                    cached: 0,
                    in_tx: false,
                };
                let connected = worker.connect();
                let ok = connected.is_ok();
                let _ = ready_tx.send(connected);
                if !ok {
                    return;
                }
                while let Ok(job) = rx.recv() {
                    job(&mut worker);
                }
            })
            .map_err(|e| conn_err(format!("no thread for the PostgreSQL client: {e}")))?;
        let client = Client {
            jobs: Some(tx),
            thread: Some(thread),
        };
        ready_rx
            .recv()
            .map_err(|_| conn_err("the PostgreSQL client's thread is gone".into()))??;
        Ok(client)
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Worker) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |w| {
            let _ = tx.send(f(w));
        });
        self.jobs
            .as_ref()
            .and_then(|j| j.send(job).ok())
            .ok_or_else(|| conn_err("the PostgreSQL client's thread is gone".into()))?;
        rx.recv()
            .map_err(|_| conn_err("the PostgreSQL client's thread is gone".into()))?
    }

    pub fn query(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        let sql = sql.to_string();
        self.call(move |w| w.query(&sql, &params))
    }

    pub fn execute(&self, sql: &str, params: Vec<Value>) -> Result<usize> {
        let sql = sql.to_string();
        self.call(move |w| w.execute(&sql, &params))
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        let sql = sql.to_string();
        self.call(move |w| w.batch(&sql))
    }
}

fn conn_err(message: String) -> DbError {
    DbError::Postgres {
        code: None,
        message,
        connection: true,
    }
}

/// A tokio-postgres error as [`DbError`]: the server's SQLSTATE and message when it sent one.
fn pg_err(e: tokio_postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        return DbError::Postgres {
            code: Some(db.code().code().to_string()),
            message: db.message().to_string(),
            connection: false,
        };
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    DbError::Postgres {
        code: None,
        message,
        connection: true,
    }
}

fn timed_out(what: &str) -> DbError {
    conn_err(format!(
        "{what} took longer than {} s",
        ROUND_TRIP.as_secs()
    ))
}

impl Worker {
    fn connect(&mut self) -> Result<()> {
        /// Settings of every session, as startup options (they hold across reconnections).
        const SERVER_SIDE: &str = "-c idle_in_transaction_session_timeout=20s \
             -c tcp_keepalives_idle=15 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3";
        self.statements.clear();
        self.cached = 0;
        self.in_tx = false;
        self.client = None;
        let t = &self.target;
        let mut config = tokio_postgres::Config::new();
        config
            .host(&t.host)
            .port(t.port)
            .user(&t.user)
            .dbname(&t.dbname)
            .application_name("camscan")
            .connect_timeout(t.connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            // The server's side of a link that dies mid-transaction (a cut, not a closed socket:
            // the hub sees no FIN): it ends a session idle in a transaction after 20 s, releasing
            // its locks (camscan's transactions never wait on anything but the database), and
            // probes an idle connection's peer after 15 s. Else a site cut off mid-batch would hold
            // the hub's locks until the kernel gives up on the peer, hours later.
            .options(SERVER_SIDE);
        if let Some(pw) = t.password() {
            config.password(pw);
        }
        let deadline = t.connect_timeout + Duration::from_secs(1);
        let client = match (&t.tls, t.sslmode) {
            (Some(tls), mode) if mode != SslMode::Disable => {
                config.ssl_mode(match mode {
                    SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                    _ => tokio_postgres::config::SslMode::Require,
                });
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new((**tls).clone());
                let (client, connection) = self
                    .rt
                    .block_on(within(deadline, config.connect(tls)))
                    .map_err(|_| timed_out("connecting"))?
                    .map_err(pg_err)?;
                self.rt.spawn(connection);
                client
            }
            _ => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                let (client, connection) = self
                    .rt
                    .block_on(within(deadline, config.connect(tokio_postgres::NoTls)))
                    .map_err(|_| timed_out("connecting"))?
                    .map_err(pg_err)?;
                self.rt.spawn(connection);
                client
            }
        };
        self.client = Some(client);
        Ok(())
    }

    /// The live client: connect again when the server closed the last one.
    fn client(&mut self) -> Result<&tokio_postgres::Client> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.connect()?;
        }
        self.client
            .as_ref()
            .ok_or_else(|| conn_err("not connected".into()))
    }

    fn statement(&mut self, sql: &str, params: &[Value]) -> Result<tokio_postgres::Statement> {
        // A closed connection is opened again (and its statements forgotten) first.
        self.client()?;
        let types: Vec<Type> = params.iter().map(param_type).collect();
        // One prepared for other NULLs serves when every value fits it: a statement whose NULLs
        // move about (a multi-row INSERT) is prepared once, not once per pattern.
        if let Some(s) = self.statements.get(sql).and_then(|v| {
            v.iter()
                .find(|(declared, s)| fits(declared, s.params(), params))
        }) {
            return Ok(s.1.clone());
        }
        let declared: Vec<u32> = types.iter().map(Type::oid).collect();
        let (rt, client) = (&self.rt, self.client.as_ref());
        let client = client.ok_or_else(|| conn_err("not connected".into()))?;
        let pg_sql = dialect::to_postgres(sql);
        // A NULL that only `?N IS NULL` and a comparison use tells the server nothing of its
        // type ("could not determine data type of parameter $N"): declare it text, then an
        // integer, then a real, and prepare again, until one fits. A NULL is any of them.
        const GUESSES: [Type; 4] = [Type::TEXT, Type::INT8, Type::FLOAT8, Type::BYTEA];
        let mut types = types;
        let mut guess = vec![0usize; types.len()];
        let savepoint = self.in_tx && params.contains(&Value::Null);
        let run = |sql: &str| {
            rt.block_on(within(ROUND_TRIP, client.batch_execute(sql)))
                .map_err(|_| timed_out("a savepoint"))?
                .map_err(pg_err)
        };
        let stmt = loop {
            if savepoint {
                run("SAVEPOINT camscan_prepare")?;
            }
            let prepared = rt
                .block_on(within(ROUND_TRIP, client.prepare_typed(&pg_sql, &types)))
                .map_err(|_| timed_out("preparing a statement"))?;
            if savepoint {
                run(if prepared.is_ok() {
                    "RELEASE SAVEPOINT camscan_prepare"
                } else {
                    "ROLLBACK TO SAVEPOINT camscan_prepare"
                })?;
            }
            let e = match prepared {
                Ok(stmt) => break stmt,
                Err(e) => e,
            };
            // The parameter to guess again: the one named, else the last one guessed.
            let n = untyped_parameter(&e).or_else(|| guess.iter().rposition(|&g| g > 0));
            match n.filter(|&n| params.get(n) == Some(&Value::Null)) {
                Some(n) if guess[n] < GUESSES.len() => {
                    types[n] = GUESSES[guess[n]].clone();
                    guess[n] += 1;
                }
                _ => return Err(pg_err(e)),
            }
        };
        if self.cached >= STATEMENT_CACHE {
            self.statements.clear();
            self.cached = 0;
        }
        self.statements
            .entry(sql.to_string())
            .or_default()
            .push((declared, stmt.clone()));
        self.cached += 1;
        Ok(stmt)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.query_inner(sql, params)
            .map_err(|e| in_statement(e, sql))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        self.execute_inner(sql, params)
            .map_err(|e| in_statement(e, sql))
    }

    fn query_inner(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let stmt = self.statement(sql, params)?;
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| conn_err("not connected".into()))?;
        let args: Vec<PgValue<'_>> = params.iter().map(PgValue).collect();
        let refs: Vec<&(dyn PgToSql + Sync)> =
            args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let rows = self
            .rt
            .block_on(within(ROUND_TRIP, client.query(&stmt, &refs)))
            .map_err(|_| timed_out("a query"))?
            .map_err(pg_err)?;
        rows.iter().map(row_values).collect()
    }

    fn execute_inner(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        let stmt = self.statement(sql, params)?;
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| conn_err("not connected".into()))?;
        let args: Vec<PgValue<'_>> = params.iter().map(PgValue).collect();
        let refs: Vec<&(dyn PgToSql + Sync)> =
            args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let n = self
            .rt
            .block_on(within(ROUND_TRIP, client.execute(&stmt, &refs)))
            .map_err(|_| timed_out("a statement"))?
            .map_err(pg_err)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client()?;
        match sql.trim() {
            "BEGIN" => self.in_tx = true,
            "COMMIT" | "ROLLBACK" => self.in_tx = false,
            _ => {}
        }
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| conn_err("not connected".into()))?;
        let pg_sql = dialect::to_postgres(sql);
        self.rt
            .block_on(within(ROUND_TRIP, client.batch_execute(&pg_sql)))
            .map_err(|_| timed_out("a statement"))?
            .map_err(pg_err)
    }
}

/// A statement's error names the statement (its first words), for the log and the bug report.
fn in_statement(e: DbError, sql: &str) -> DbError {
    match e {
        DbError::Postgres {
            code,
            message,
            connection: false,
        } => {
            let words: String = sql.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
            DbError::Postgres {
                code,
                message: format!("{message} (in: {words} ...)"),
                connection: false,
            }
        }
        other => other,
    }
}

/// The parameter (0-based) PostgreSQL could not find a type for ("could not determine data type
/// of parameter $N").
fn untyped_parameter(e: &tokio_postgres::Error) -> Option<usize> {
    let db = e.as_db_error()?;
    // indeterminate_datatype, ambiguous_parameter
    if !matches!(db.code().code(), "42P18" | "42P08") {
        return None;
    }
    let n: usize = db.message().rsplit('$').next()?.trim().parse().ok()?;
    n.checked_sub(1)
}

/// Whether a statement prepared with `declared` parameter types (the server settled on
/// `server`) takes `params` as they would have been declared: a NULL fits anything, a value fits
/// its own declared type, or the type the server chose for a NULL if it is sent as that.
fn fits(declared: &[u32], server: &[Type], params: &[Value]) -> bool {
    declared.len() == params.len()
        && server.len() == params.len()
        && params.iter().zip(declared).zip(server).all(|((v, &d), t)| {
            if *v == Value::Null {
                return true;
            }
            if d != 0 {
                return d == param_type(v).oid();
            }
            match v {
                Value::Int(_) => {
                    [Type::INT8, Type::INT4, Type::INT2, Type::FLOAT8, Type::BOOL].contains(t)
                }
                Value::Real(_) => [Type::FLOAT8, Type::FLOAT4].contains(t),
                Value::Text(_) => [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(t),
                Value::Blob(_) => *t == Type::BYTEA,
                Value::Null => true,
            }
        })
}

/// The type a parameter is declared with: what the value is, or left to the server for NULL.
fn param_type(v: &Value) -> Type {
    match v {
        Value::Null => Type::new("unknown".into(), 0, Kind::Simple, "pg_catalog".into()),
        Value::Int(_) => Type::INT8,
        Value::Real(_) => Type::FLOAT8,
        Value::Text(_) => Type::TEXT,
        Value::Blob(_) => Type::BYTEA,
    }
}

/// A value sent as the type the server settled on.
#[derive(Debug)]
struct PgValue<'a>(&'a Value);

impl PgToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), t) if *t == Type::INT8 => i.to_sql(ty, out),
            (Value::Int(i), t) if *t == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), t) if *t == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), t) if *t == Type::FLOAT8 => (*i as f64).to_sql(ty, out),
            (Value::Int(i), t) if *t == Type::BOOL => (*i != 0).to_sql(ty, out),
            (Value::Int(i), t) if *t == Type::TEXT => i.to_string().to_sql(ty, out),
            (Value::Real(f), t) if *t == Type::FLOAT8 => f.to_sql(ty, out),
            (Value::Real(f), t) if *t == Type::FLOAT4 => (*f as f32).to_sql(ty, out),
            (Value::Text(s), t) if *t == Type::BYTEA => s.as_bytes().to_sql(ty, out),
            (Value::Text(s), _) => s.as_str().to_sql(&Type::TEXT, out),
            (Value::Blob(b), _) => b.as_slice().to_sql(&Type::BYTEA, out),
            (v, t) => Err(format!("cannot send {v:?} as {t}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A result row as values; columns the store never declares are an error, not a guess.
fn row_values(row: &tokio_postgres::Row) -> Result<Row> {
    let mut values = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let t = col.type_();
        let get_err = |e: tokio_postgres::Error| DbError::Type {
            index: i,
            detail: e.to_string(),
        };
        let v = if *t == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)
                .map_err(get_err)?
                .map(Value::Int)
        } else if *t == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)
                .map_err(get_err)?
                .map(|v| Value::Int(v.into()))
        } else if *t == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)
                .map_err(get_err)?
                .map(|v| Value::Int(v.into()))
        } else if *t == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)
                .map_err(get_err)?
                .map(|v| Value::Int(v.into()))
        } else if *t == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)
                .map_err(get_err)?
                .map(Value::Real)
        } else if *t == Type::FLOAT4 {
            row.try_get::<_, Option<f32>>(i)
                .map_err(get_err)?
                .map(|v| Value::Real(v.into()))
        } else if *t == Type::NUMERIC {
            row.try_get::<_, Option<Numeric>>(i)
                .map_err(get_err)?
                .map(|n| n.0)
        } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::NAME || *t == Type::BPCHAR
        {
            row.try_get::<_, Option<String>>(i)
                .map_err(get_err)?
                .map(Value::Text)
        } else if *t == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)
                .map_err(get_err)?
                .map(Value::Blob)
        } else {
            return Err(DbError::Type {
                index: i,
                detail: format!(
                    "column {:?} has type {t}, which the store does not read",
                    col.name()
                ),
            });
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row { values })
}

/// A `NUMERIC` (what PostgreSQL's `SUM` of integers gives) as an integer when it has no
/// fraction, else a real. Binary format: ndigits, weight, sign, dscale (i16 each), then ndigits
/// base-10000 digits.
struct Numeric(Value);

impl<'a> tokio_postgres::types::FromSql<'a> for Numeric {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word =
            |i: usize| -> std::result::Result<i16, Box<dyn std::error::Error + Sync + Send>> {
                let b = raw.get(i * 2..i * 2 + 2).ok_or("short NUMERIC")?;
                Ok(i16::from_be_bytes([b[0], b[1]]))
            };
        let ndigits = word(0)?.max(0) as usize;
        let weight = i32::from(word(1)?);
        let sign = word(2)? as u16;
        if sign == 0xC000 {
            return Ok(Numeric(Value::Real(f64::NAN)));
        }
        let mut value = 0f64;
        let mut int: Option<i128> = Some(0);
        for d in 0..ndigits {
            let digit = i32::from(word(4 + d)?);
            let exp = weight - d as i32;
            value += f64::from(digit) * 10000f64.powi(exp);
            int = match (int, exp >= 0) {
                (Some(acc), true) => u32::try_from(exp)
                    .ok()
                    .and_then(|e| 10000i128.checked_pow(e))
                    .and_then(|p| p.checked_mul(i128::from(digit)))
                    .and_then(|v| acc.checked_add(v)),
                (acc, false) if digit == 0 => acc,
                _ => None,
            };
        }
        let negative = sign == 0x4000;
        Ok(Numeric(
            match int.and_then(|i| i64::try_from(if negative { -i } else { i }).ok()) {
                Some(i) => Value::Int(i),
                None => Value::Real(if negative { -value } else { value }),
            },
        ))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// `tokio::time::timeout`, made when first polled (inside the worker's runtime, which its timer
/// needs).
async fn within<F: std::future::Future>(
    limit: Duration,
    f: F,
) -> std::result::Result<F::Output, tokio::time::error::Elapsed> {
    tokio::time::timeout(limit, f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_serves_other_nulls_when_its_values_fit() {
        use Value::{Int, Null, Real, Text};
        let (i8, t) = (Type::INT8.oid(), Type::TEXT.oid());
        // Prepared with (Int, NULL, Text): the server made the NULL an int4 column.
        let declared = [i8, 0, t];
        let server = [Type::INT8, Type::INT4, Type::TEXT];
        let ok = |p: &[Value]| fits(&declared, &server, p);
        assert!(ok(&[Int(1), Null, Text("a".into())]));
        assert!(ok(&[Null, Int(7), Null]), "a NULL fits anything");
        assert!(!ok(&[Text("1".into()), Null, Null]), "declared int8");
        assert!(!ok(&[Int(1), Text("x".into()), Null]), "the server's int4");
        assert!(!ok(&[Int(1), Real(1.5), Null]));
        assert!(!ok(&[Int(1), Null]), "another arity");
        // A NULL the server could not type was guessed text: an integer there is not sent as text.
        assert!(!fits(&[0], &[Type::TEXT], &[Int(3)]));
        assert!(fits(&[0], &[Type::TEXT], &[Text("3".into())]));
    }
}
