//! A look at an inventory file without changing it, for `camscan doctor`: the header check of
//! `schema`, then a read-only connection for the schema version, `PRAGMA integrity_check`, the
//! size on disk and the events each sink still has to take. Nothing is created, migrated or
//! locked for writing, so a doctor run beside a running `watch` or `serve` disturbs neither.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::db::{OptionalExtension, params};
use serde::Serialize;

use super::StoreError;
use super::schema;

/// Lines of `PRAGMA integrity_check` kept: the first few say what is wrong, and SQLite can list
/// thousands on a badly damaged file.
const INTEGRITY_LINES: u32 = 5;

/// What [`inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    pub path: PathBuf,
    /// `PRAGMA user_version`.
    pub schema_version: i64,
    /// The version this camscan migrates to.
    pub current_version: i64,
    /// `PRAGMA integrity_check`: `["ok"]` when sound, else its first lines.
    pub integrity: Vec<String>,
    /// Bytes of the file and of its write-ahead log.
    pub size: u64,
    /// Each sink the store has a cursor for, and the events after it.
    pub sinks: Vec<SinkDepth>,
    /// Events in the store (what a sink seen for the first time would not be sent: it starts at
    /// the newest).
    pub events: i64,
    /// Devices whose RTSP port served no stream the last time they were seen, with the reason
    /// the scan gave (`192.0.2.7:554 no stream path found: ...`), at most [`MAX_NO_PATH`].
    pub no_path: Vec<String>,
}

/// Most devices with no stream path that [`Inspection::no_path`] lists.
pub const MAX_NO_PATH: usize = 20;

impl Inspection {
    pub fn is_sound(&self) -> bool {
        self.integrity.len() == 1 && self.integrity[0] == "ok"
    }
}

/// One sink's place in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinkDepth {
    /// As `--notify` gave it (a webhook's URL may hold a token: show it with
    /// `notify::shown_name`).
    pub name: String,
    pub waiting: i64,
    /// Events skipped because more than the outbox cap were waiting.
    pub dropped: i64,
}

/// Inspect the inventory at `path` read-only. `StoreError::Io` with `NotFound` when there is no
/// file; `NotSqlite`/`Corrupt` when its header is wrong or SQLite finds it damaged on the first
/// read; a damaged file that still opens comes back with [`Inspection::integrity`] saying so.
pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    let wal = wal_path(path);
    let size = meta.len() + std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // Through the one way into the file (`schema::connect`): its header checked first, unless
    // this process already holds a connection on it (then a plain open and close would drop
    // that connection's locks).
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let (_held, conn) = schema::connect(path, flags, schema::Missing::Fail)?;
    conn.busy_timeout(schema::BUSY_TIMEOUT)
        .map_err(|e| schema::map_sqlite(path, e))?;
    let err = |e| schema::map_sqlite(path, e);
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    // A page so damaged that the check itself stops is its answer too.
    let integrity = match integrity_check(&conn) {
        Ok(lines) => lines,
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            vec![e.to_string()]
        }
        Err(e) => return Err(err(e)),
    };
    let mut found = Inspection {
        path: path.to_path_buf(),
        schema_version,
        current_version: schema::current_version(),
        integrity,
        size,
        sinks: Vec::new(),
        events: 0,
        no_path: Vec::new(),
    };
    if !found.is_sound() {
        // Counting rows of a damaged file would only fail on the damage again.
        return Ok(found);
    }
    let conn = super::db::Conn::sqlite(conn);
    let err = |e| schema::map_err(path, e);
    let has = |table: &str| -> super::db::Result<bool> {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
    };
    let events = if has("events").map_err(err)? {
        conn.query_row("SELECT COUNT(*) FROM events", params![], |r| r.get(0))
            .map_err(err)?
    } else {
        0
    };
    let sinks = if has("sinks").map_err(err)? {
        sinks(&conn).map_err(err)?
    } else {
        Vec::new()
    };
    found.sinks = sinks;
    found.events = events;
    if has("devices").map_err(err)? && has("texts").map_err(err)? {
        found.no_path = no_path(&conn).map_err(err)?;
    }
    Ok(found)
}

/// The RTSP services of known devices whose note says no stream path was found (see
/// [`Inspection::no_path`]).
fn no_path(conn: &super::db::Conn) -> super::db::Result<Vec<String>> {
    let rows = conn
        .prepare(
            "SELECT d.ip, t.text FROM devices d JOIN texts t ON t.id = d.services \
             WHERE d.services IS NOT NULL AND t.text LIKE '%no stream path found%' ORDER BY d.ip",
        )?
        .query_map(params![], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (ip, text) in rows {
        let Ok(services) = serde_json::from_str::<Vec<model::Service>>(&text) else {
            continue;
        };
        for s in services {
            if let Some(note) = s.note.filter(|n| n.starts_with("no stream path found"))
                && out.len() < MAX_NO_PATH
            {
                out.push(format!(
                    "{}:{} {note}",
                    ip.as_deref().unwrap_or("?"),
                    s.port
                ));
            }
        }
    }
    Ok(out)
}

/// `PRAGMA integrity_check(N)`: "ok", or its first N problems.
fn integrity_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut q = conn.prepare(&format!("PRAGMA integrity_check({INTEGRITY_LINES})"))?;
    let rows = q.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// SQLite's write-ahead log beside the database: the same name with `-wal`.
fn wal_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// Inspect the inventory on the PostgreSQL server `target` names, changing nothing: its schema
/// version (0 before the first camscan wrote it), its size (`pg_database_size`), events and each
/// sink's waiting events. PostgreSQL keeps its own pages sound, so `integrity` is `["ok"]`.
pub fn inspect_postgres(target: &super::db::PgTarget) -> Result<Inspection, StoreError> {
    let path = PathBuf::from(target.display());
    let err = |e| schema::map_err(&path, e);
    let conn = super::db::Conn::postgres(target).map_err(err)?;
    let has = |table: &str| -> super::db::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    let schema_version: i64 = if has("camscan_schema").map_err(err)? {
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM camscan_schema",
            params![],
            |r| r.get(0),
        )
        .map_err(err)?
    } else {
        0
    };
    let size: i64 = conn
        .query_row(
            "SELECT pg_database_size(current_database())",
            params![],
            |r| r.get(0),
        )
        .map_err(err)?;
    let mut found = Inspection {
        path: path.clone(),
        schema_version,
        current_version: schema::pg_current_version(),
        integrity: vec!["ok".into()],
        size: u64::try_from(size).unwrap_or(0),
        sinks: Vec::new(),
        events: 0,
        no_path: Vec::new(),
    };
    if has("events").map_err(err)? {
        found.events = conn
            .query_row("SELECT COUNT(*) FROM events", params![], |r| r.get(0))
            .map_err(err)?;
    }
    if has("sinks").map_err(err)? {
        found.sinks = sinks(&conn).map_err(err)?;
    }
    if has("devices").map_err(err)? && has("texts").map_err(err)? {
        found.no_path = no_path(&conn).map_err(err)?;
    }
    Ok(found)
}

/// Each sink's place in the outbox.
fn sinks(conn: &super::db::Conn) -> super::db::Result<Vec<SinkDepth>> {
    let rows = conn
        .prepare("SELECT name, dropped FROM sinks ORDER BY name")?
        .query_map(params![], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, dropped) = row?;
        out.push(SinkDepth {
            waiting: super::events::depth(conn, &name)?,
            name,
            dropped,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn a_fresh_store_is_sound_and_at_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let store = Store::open(&path).unwrap();
        store.sink_cursor("stdout").unwrap();
        drop(store);
        let before = std::fs::read(&path).unwrap();
        let i = inspect(&path).unwrap();
        assert!(i.is_sound(), "{:?}", i.integrity);
        assert_eq!(i.schema_version, schema::current_version());
        assert_eq!(i.current_version, schema::current_version());
        assert!(i.size > 0);
        assert_eq!(
            i.sinks,
            [SinkDepth {
                name: "stdout".into(),
                waiting: 0,
                dropped: 0
            }]
        );
        // Read-only: the file is as it was.
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn nothing_is_created_and_a_foreign_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.db");
        match inspect(&path) {
            Err(StoreError::Io { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
            }
            other => panic!("{other:?}"),
        }
        assert!(!path.exists());
        std::fs::write(&path, "db: not really\n".repeat(10)).unwrap();
        assert!(matches!(inspect(&path), Err(StoreError::NotSqlite { .. })));
    }
}
