//! Opening the inventory file: the checks that turn a wrong file into one clear error before a
//! scan starts, the pragmas (WAL, foreign keys, a short busy timeout) and the versioned
//! migrations (`PRAGMA user_version` and a list of SQL steps, each run once, in order, in one
//! transaction).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;
use super::db::DbError;

/// How long a write waits for another process's write to finish before [`StoreError::Locked`]:
/// recording a 10 000-device scan takes about a second (benches/store.rs), so two seconds lets a
/// concurrent camscan finish its write without making a stuck lock feel like a hang.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// The fleet's step, the same on both engines but for `scan_requests`' key (`$id`): BIGINT is an
/// integer to SQLite as to PostgreSQL.
macro_rules! fleet_step {
    ($id:literal) => {
        concat!(
            r#"
-- The fleet (store/replica.rs): rows copied from a site's inventory carry their id there
-- (origin_id, unique per site: a batch applied twice changes nothing); streams.site is set on
-- copied streams. `sites`: where the hub stands for each site and when its agent was last heard
-- from. `scan_requests`: scans asked for at the hub, run by the site's agent.
ALTER TABLE scans ADD COLUMN origin_id BIGINT;
ALTER TABLE devices ADD COLUMN origin_id BIGINT;
ALTER TABLE streams ADD COLUMN origin_id BIGINT;
ALTER TABLE streams ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN origin_id BIGINT;
CREATE UNIQUE INDEX scans_origin ON scans(site, origin_id) WHERE origin_id IS NOT NULL;
CREATE UNIQUE INDEX devices_origin ON devices(site, origin_id) WHERE origin_id IS NOT NULL;
CREATE UNIQUE INDEX streams_origin ON streams(site, origin_id) WHERE origin_id IS NOT NULL;
CREATE UNIQUE INDEX events_origin ON events(site, origin_id) WHERE origin_id IS NOT NULL;
CREATE TABLE sites (
    name         TEXT PRIMARY KEY,
    last_event   BIGINT NOT NULL DEFAULT 0,
    last_scan    BIGINT NOT NULL DEFAULT 0,
    last_contact BIGINT,
    agent        TEXT
);
CREATE TABLE scan_requests (
    id           "#,
            $id,
            r#",
    site         TEXT NOT NULL,
    targets      TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    claimed_by   TEXT,
    claimed_at   BIGINT,
    finished_at  BIGINT,
    scan_origin  BIGINT,
    error        TEXT
);
CREATE INDEX scan_requests_site ON scan_requests(site, id);
"#
        )
    };
}

/// Audit findings (store/findings.rs), the same step on both engines but for the key (`$id`).
/// SQLite's version 9 and PostgreSQL's 6 (after the fleet's checks, 8 and 5); the step
/// is self-contained (one new table and its indexes), so it moves as a whole.
macro_rules! findings_step {
    ($id:literal) => {
        concat!(
            r#"
-- Audit findings (camscan audit): one row per finding of a device, its identity the site, the
-- device, the finding's stable id, the port (0: none) and the stream (URL without credentials,
-- '': none). Open while resolved_at is NULL; a finding found again after it was resolved opens
-- its row again. Bounded: at most the findings a device can have (rules x ports x streams), rows
-- go with their device, resolved ones with `camscan prune` (by resolved_at) and beyond the
-- newest 200 resolved per device. Times are Unix ms; `severity_rank` orders severity (0 info .. 4
-- critical) for `?severity=` at least.
CREATE TABLE findings (
    id          "#,
            $id,
            r#",
    site        TEXT NOT NULL,
    device_id   BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    finding     TEXT NOT NULL,
    port        BIGINT NOT NULL DEFAULT 0,
    stream      TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    title       TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    why         TEXT NOT NULL,
    fix         TEXT NOT NULL,
    vendor_fix  TEXT,
    source      TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    resolved_at BIGINT,
    origin_id   BIGINT
);
CREATE UNIQUE INDEX findings_key ON findings(site, device_id, finding, port, stream);
CREATE INDEX findings_device ON findings(device_id, id);
CREATE INDEX findings_open ON findings(site, resolved_at, id);
CREATE UNIQUE INDEX findings_origin ON findings(site, origin_id) WHERE origin_id IS NOT NULL;
"#
        )
    };
}

/// Scans asked for at the hub (store/requests.rs): what was asked beyond the targets and where
/// the site agent's run stands; scans recording their devices as they become final (a heartbeat
/// while they run); the same step on both engines (SQLite's version 7, PostgreSQL's 4).
const SCAN_REQUESTS_STEP: &str = r#"
-- A scan that records its devices as they become final has a heartbeat (Unix ms) while it runs:
-- NULL once it has ended; one older than two minutes is a scan whose process is gone (it ended,
-- incomplete, with the devices it had recorded).
ALTER TABLE scans ADD COLUMN heartbeat BIGINT;
-- Scans asked for at the hub, run by the site's agent: the ports and credential set's name asked
-- for, the request's state (queued, running, done, interrupted, failed, refused), the run's
-- progress and when the agent last wrote it.
ALTER TABLE scan_requests ADD COLUMN ports TEXT;
ALTER TABLE scan_requests ADD COLUMN credentials TEXT;
ALTER TABLE scan_requests ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE scan_requests ADD COLUMN probes_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scan_requests ADD COLUMN probes_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scan_requests ADD COLUMN devices BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scan_requests ADD COLUMN updated_at BIGINT;
CREATE INDEX scan_requests_state ON scan_requests(site, state, id);
"#;

/// The fleet copies stream checks and per-scan snapshots too (store/replication/mod.rs); the same step on
/// both engines (SQLite's version 8, PostgreSQL's 5). It touches only `checks` and `sites`, so it
/// stays right in whichever order it is run with later steps.
const REPLICA_CHECKS_STEP: &str = r#"
-- A check copied from a site keeps its site and its id there (origin_id, unique per site: a batch
-- applied twice adds nothing); the site's own checks keep '' and NULL. `sites.last_check`: the
-- newest site check id the hub holds. (Per-scan snapshots need no column: scan_devices' key is
-- the hub's scan and device ids.)
ALTER TABLE checks ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN origin_id BIGINT;
CREATE UNIQUE INDEX checks_origin ON checks(site, origin_id) WHERE origin_id IS NOT NULL;
ALTER TABLE sites ADD COLUMN last_check BIGINT NOT NULL DEFAULT 0;
"#;

/// The hub's sites overview counts each site's streams by `streams.site` (set on every copied
/// stream), reading this index alone; the same step on both engines (SQLite's version 10,
/// PostgreSQL's 7).
const STREAMS_BY_SITE_STEP: &str = r#"
-- GET /api/v1/sites: each site's streams up and down, counted from this index only (a hub's
-- copied streams carry their site; a site's own streams have '' and are counted by their device).
CREATE INDEX streams_site_state ON streams(site, state);
"#;

/// Sites that prove who they are (store/replication/hub.rs): the hub binds a site's name to the
/// inventory that first sent it, and a site made with `camscan hub add-site` has its own login
/// role (`role`, PostgreSQL only); the same columns on both engines (SQLite's version 11,
/// PostgreSQL's 8, which adds the role's site lookup as well: `pg_site_roles_step!`).
macro_rules! site_identity_step {
    () => {
        r#"
-- sites.inventory_id: the random id of the inventory the site's name is bound to (the first one
-- that sent it; NULL until then, or after `camscan hub forget-site`), bound_at when it was bound.
-- sites.role: the PostgreSQL login role of the site's agent (`camscan hub add-site`).
ALTER TABLE sites ADD COLUMN inventory_id TEXT;
ALTER TABLE sites ADD COLUMN bound_at BIGINT;
ALTER TABLE sites ADD COLUMN role TEXT;
CREATE UNIQUE INDEX sites_role ON sites(role) WHERE role IS NOT NULL;
"#
    };
}
const SITE_IDENTITY_STEP: &str = site_identity_step!();

/// PostgreSQL's version 8 beyond [`SITE_IDENTITY_STEP`]: the site of the role connected
/// (`camscan_site()`, '' for any other role), which row-level security compares each row's site
/// with (store/site_admin.rs), and shared texts stamped with the site that wrote them, so that a
/// site's role reads only its own.
macro_rules! pg_site_roles_step {
    () => {
        r#"
CREATE OR REPLACE FUNCTION camscan_site() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT COALESCE((SELECT name FROM sites WHERE role = current_user), '') $$;
ALTER TABLE texts ADD COLUMN site TEXT NOT NULL DEFAULT camscan_site();
"#
    };
}

/// Each scan's coverage record, the same step on both engines (SQLite's version 12,
/// PostgreSQL's 9).
pub(crate) const SCAN_COVERAGE_STEP: &str = r#"
-- What the scan asked, heard and lost on its own side (the report's `coverage`, JSON); NULL for
-- scans recorded before, and while a scan runs.
ALTER TABLE scans ADD COLUMN coverage TEXT;
"#;

/// The name the exports give a device's cameras, fixed once given, and a stream's `up` only
/// when it plays (SQLite's version 14, PostgreSQL's 11).
pub(crate) const CAMERA_NAME_STEP: &str = r#"
-- The name the exports and `camscan push` give the device's cameras (export/names.rs): set
-- when first given, never changed by a scan. NULL for devices with no camera or stream.
ALTER TABLE devices ADD COLUMN camera_name TEXT;
-- streams.state was `up` whenever the server answered; now `up` is "it played", and a stream
-- that answered without playing is `refused` (a login needed or refused) or `unverified`.
UPDATE streams SET state = 'refused'
 WHERE state = 'up' AND status IN ('auth_required', 'auth_failed', 'auth_locked');
UPDATE streams SET state = 'unverified'
 WHERE state = 'up' AND status = 'ok' AND last_verified IS NULL;
"#;

/// Sites, the same step on both engines (SQLite's version 5, PostgreSQL's 2).
const SITES_STEP: &str = r#"
-- Sites (the fleet): every scan, device and event carries the site it was seen at; identity is
-- per site (private ranges overlap between sites). Rows written before are the first recording
-- site's ('' until then: store/record.rs adopts them).
ALTER TABLE scans ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN site TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_site ON devices(site, id);
CREATE INDEX scans_site ON scans(site, id);
CREATE INDEX events_site ON events(site, id);
"#;

/// `camscan push`'s ledger, the same on both engines but for the secret's type (`$blob`):
/// SQLite's version 13, PostgreSQL's 10.
macro_rules! pushes_step {
    ($blob:literal) => {
        concat!(
            r#"
-- camscan push (src/push, store/pushes.rs): what camscan wrote into another tool (Frigate,
-- go2rtc, MediaMTX), so that a later push changes only what it wrote and leaves what a person
-- wrote or edited alone. One row per entry camscan owns in one tool. No foreign key on the
-- device: a forgotten device's entries stay owned (and `push --prune` may remove them).
CREATE TABLE pushes (
    tool       TEXT NOT NULL,       -- frigate, go2rtc, mediamtx
    target     TEXT NOT NULL,       -- the tool's URL, without credentials
    name       TEXT NOT NULL,       -- the entry's name in the tool
    device_id  BIGINT NOT NULL,     -- devices.id of the camera
    channel    BIGINT NOT NULL,     -- its channel (1 but on an NVR)
    written    TEXT NOT NULL,       -- JSON of what camscan wrote, every password masked
    hash       TEXT NOT NULL,       -- SHA-256 (hex) of the tool's read-back of it, passwords masked
    secret     "#,
            $blob,
            r#",                  -- HMAC-SHA256(credential key, the passwords written); NULL: none
    written_at BIGINT NOT NULL,     -- Unix ms
    pending    TEXT,                -- what is being written now (as `written`), until read back
    PRIMARY KEY (tool, target, name)
);
CREATE INDEX pushes_device ON pushes(device_id, channel);
"#
        )
    };
}
pub(crate) use pushes_step;

/// The passwords' MAC of a push's pending write (SQLite's version 15, PostgreSQL's 12), the same
/// but for its type (`$blob`).
macro_rules! push_pending_secret_step {
    ($blob:literal) => {
        concat!(
            r#"
-- HMAC of the passwords a pending write carries (as `secret`), taken with it once it is read
-- back: an update killed between its request and its record keeps the login it sent.
ALTER TABLE pushes ADD COLUMN pending_secret "#,
            $blob,
            r#";
"#
        )
    };
}
pub(crate) use push_pending_secret_step;

/// The push ledger's own key of an entry (Home Assistant's `entry_id`), the same on both engines
/// (SQLite's version 16, PostgreSQL's 13).
macro_rules! push_tool_key_step {
    () => {
        r#"
-- The tool's own key of an entry camscan wrote, where the tool has one beside the name people see
-- (Home Assistant's config entry id; NULL for the tools whose name is the key): a person's rename
-- in the tool leaves the entry camscan's.
ALTER TABLE pushes ADD COLUMN tool_key TEXT;
"#
    };
}
pub(crate) use push_tool_key_step;

/// Device ids never given twice (SQLite's version 16 beyond `push_tool_key_step!`; PostgreSQL's
/// identity column never gives one twice). A rowid table gives its next row `max(id) + 1`, so the
/// newest device forgotten freed its id for the next new device, which the push ledger then took
/// for the forgotten camera (`pushes.device_id`): `id_marks` keeps the highest device id ever
/// deleted, raised by a trigger on every delete (forget, prune, a site forgotten), and a new
/// device is given an id above it ([`new_device_sql`]).
macro_rules! device_id_mark_step {
    () => {
        r#"
CREATE TABLE id_marks (
    name TEXT PRIMARY KEY,
    high INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_marks (name, high) VALUES ('devices', MAX(
    COALESCE((SELECT MAX(id) FROM devices), 0),
    COALESCE((SELECT MAX(device_id) FROM pushes), 0)));
CREATE TRIGGER devices_id_mark AFTER DELETE ON devices
  WHEN old.id > COALESCE((SELECT high FROM id_marks WHERE name = 'devices'), 0)
BEGIN
  INSERT OR REPLACE INTO id_marks (name, high) VALUES ('devices', old.id);
END;
"#
    };
}

/// The id a new device row takes on SQLite: above every id given or deleted before (`id_marks`,
/// `device_id_mark_step!`); PostgreSQL's identity column gives its own.
const NEXT_DEVICE_ID: &str = "(SELECT MAX(COALESCE((SELECT MAX(id) FROM devices), 0),
    COALESCE((SELECT high FROM id_marks WHERE name = 'devices'), 0)) + 1)";

/// A new device row's insert: on SQLite with an id above every id given or deleted before
/// ([`NEXT_DEVICE_ID`]: the push ledger names cameras by id, and a
/// forgotten camera's id must never name another).
pub(crate) fn new_device_sql(engine: super::db::Engine) -> String {
    let (id, value) = match engine {
        super::db::Engine::Sqlite => ("id, ", format!("{NEXT_DEVICE_ID}, ")),
        super::db::Engine::Postgres => ("", String::new()),
    };
    format!(
        "INSERT INTO devices ({id}key, mac, serial_key, uuid, ip, hostname, vendor, model,
             firmware, serial, name, is_camera, methods, ports, services, first_seen,
             last_seen, state, state_since, site)
         VALUES ({value}?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
             ?16, 'online', ?16, ?17)"
    )
}

/// The schema, one step per version: step `i` takes `user_version` from `i` to `i + 1`. Never edit
/// a released step; add one.
pub(crate) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- Times are Unix milliseconds (UTC); lists of ports are "80,554".
CREATE TABLE scans (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    complete    INTEGER NOT NULL,
    targets     TEXT NOT NULL,      -- JSON array of strings
    ports       TEXT NOT NULL,
    methods     TEXT NOT NULL,      -- JSON array of strings
    version     TEXT NOT NULL,
    devices     INTEGER NOT NULL DEFAULT 0,
    events      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_finished ON scans(finished_at);

CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,      -- the identity shown: mac:.., serial:.., uuid:.., ip:..
    mac         TEXT,
    serial_key  TEXT,               -- serial, lowercase
    uuid        TEXT,               -- ONVIF endpoint reference / UPnP UDN, lowercase, no urn:/uuid:
    ip          TEXT,               -- last address
    hostname    TEXT,
    vendor      TEXT,
    model       TEXT,
    firmware    TEXT,
    serial      TEXT,
    name        TEXT,
    is_camera   INTEGER NOT NULL DEFAULT 0,
    methods     TEXT NOT NULL DEFAULT '',   -- discovery methods of the last sighting, "arp,port"
    ports       TEXT NOT NULL DEFAULT '',   -- open TCP ports
    services    INTEGER,            -- texts.id of the JSON array of model::Service
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    state       TEXT NOT NULL,
    state_since INTEGER NOT NULL
);
CREATE INDEX devices_mac ON devices(mac);
CREATE INDEX devices_ip ON devices(ip);

CREATE TABLE addresses (
    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    ip         TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (device_id, ip)
) WITHOUT ROWID;
CREATE INDEX addresses_ip ON addresses(ip);

CREATE TABLE streams (
    id            INTEGER PRIMARY KEY,
    device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    url           TEXT NOT NULL,    -- never with credentials; one per (device, scheme+port+path)
    protocol      TEXT NOT NULL,
    port          INTEGER NOT NULL,
    status        TEXT NOT NULL,
    auth          TEXT NOT NULL,
    username      TEXT,
    cred          BLOB,             -- HMAC-SHA256(meta.cred_key, user ":" password) that opened it
    facts         INTEGER,          -- texts.id of "h264 1920x1080 25 aac": what stream_changed compares
    media         INTEGER,          -- texts.id of the JSON {video, audio} description
    measured      TEXT,             -- the last PLAY check, "tcp 420 512000 25 2048 1 2000 - -"
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    last_verified INTEGER,
    state         TEXT NOT NULL,
    state_since   INTEGER NOT NULL
);
CREATE INDEX streams_device ON streams(device_id);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    scan_id    INTEGER,          -- the scan that derived it (pruned with it: same age)
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    stream_url TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX events_device ON events(device_id, id);
CREATE INDEX events_at ON events(at);

-- Strings many rows share, once: snapshot infos ("Hikvision\tDS-2CD2143G2-I\tV5.7.3"), stream
-- facts ("h264 1920x1080 25 aac"), stream descriptions and service lists (JSON; a site's cameras
-- of one model and configuration describe themselves alike).
CREATE TABLE texts (
    id   INTEGER PRIMARY KEY,
    hash INTEGER NOT NULL,          -- first 8 bytes of SHA-256(text): a small index to find it by
    text TEXT NOT NULL
);
CREATE INDEX texts_hash ON texts(hash);

-- What each scan saw of each device, compactly, so any two scans can be compared (diff):
-- info = texts.id of "vendor\tmodel\tfirmware", seen = texts.id of
-- "ip|ports|streamid status factsid;..". A device unchanged between scans shares both strings.
CREATE TABLE scan_devices (
    scan_id   INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    info      INTEGER NOT NULL,
    seen      INTEGER NOT NULL,
    PRIMARY KEY (scan_id, device_id)
) WITHOUT ROWID;
CREATE INDEX scan_devices_device ON scan_devices(device_id);
"#,
    r#"
-- camscan watch (store/outbox.rs): each sink's cursor in the events table (the outbox), and the
-- stream checks between scans.
CREATE TABLE sinks (
    name      TEXT PRIMARY KEY,     -- the --notify specification, e.g. "mqtt=mqtt://host/camscan"
    delivered INTEGER NOT NULL,     -- events.id of the last event it acknowledged
    dropped   INTEGER NOT NULL DEFAULT 0,   -- events skipped past the outbox cap, in all
    updated   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE checks (
    id        INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    ok        INTEGER NOT NULL,
    layer     TEXT NOT NULL,        -- how far it got: host, port, describe, auth, media, rate, ok
    error     TEXT,
    first_packet_ms INTEGER,
    fps       REAL,
    bitrate_kbps REAL
);
CREATE INDEX checks_stream ON checks(stream_id, id);

-- Consecutive failed checks of a stream (0 after a success or a scan that saw it), and why checks
-- of it wait for the next scan ('auth': its credential was refused; a check sends it no more).
ALTER TABLE streams ADD COLUMN fails INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN held TEXT;
"#,
    r#"
-- Reverse DNS answers (net/rdns.rs, store/dns.rs): a rescan within their time to live asks the DNS
-- nothing. Rows older than the longest time to live are deleted as new answers are written.
CREATE TABLE dns_names (
    ip   TEXT PRIMARY KEY,
    name TEXT,                      -- NULL: the DNS said the address has no name
    at   INTEGER NOT NULL           -- when it was looked up (Unix ms)
) WITHOUT ROWID;
"#,
    r#"
-- Each device as the newest scan that saw it described it: the report's JSON of the device, URLs
-- without credentials (store/reports.rs). What `camscan serve` exports and proxies snapshots from;
-- one row per device, so it is as bounded as the devices are.
CREATE TABLE device_reports (
    device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    scan_id   INTEGER NOT NULL,
    complete  INTEGER NOT NULL,     -- 1: written by a complete scan (an interrupted one adds only)
    json      TEXT NOT NULL
);
"#,
    SITES_STEP,
    fleet_step!("INTEGER PRIMARY KEY"),
    SCAN_REQUESTS_STEP,
    REPLICA_CHECKS_STEP,
    findings_step!("INTEGER PRIMARY KEY"),
    STREAMS_BY_SITE_STEP,
    SITE_IDENTITY_STEP,
    SCAN_COVERAGE_STEP,
    pushes_step!("BLOB"),
    CAMERA_NAME_STEP,
    push_pending_secret_step!("BLOB"),
    concat!(push_tool_key_step!(), device_id_mark_step!()),
];

/// The schema version this camscan writes.
pub(crate) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Map a database error on `path` (a file, or a server's URL) to the error an operator can act on.
pub(crate) fn map_err(path: &Path, e: DbError) -> StoreError {
    match e {
        DbError::Sqlite(e) => map_sqlite(path, e),
        DbError::Postgres {
            code,
            message,
            connection,
        } => {
            let path = path.to_path_buf();
            match code.as_deref() {
                // invalid_password, invalid_authorization_specification
                Some("28P01" | "28000") => StoreError::Login {
                    path,
                    detail: message,
                    source_hint: String::new(),
                },
                // lock_not_available, serialization_failure, deadlock_detected
                Some("55P03" | "40001" | "40P01") => StoreError::Locked { path },
                // invalid_catalog_name
                Some("3D000") => StoreError::Postgres {
                    path,
                    detail: format!(
                        "{message}; create it first (createdb -O USER DBNAME, or CREATE DATABASE)"
                    ),
                },
                _ if connection => StoreError::Unreachable {
                    path,
                    detail: message,
                },
                _ => StoreError::Postgres {
                    path,
                    detail: message,
                },
            }
        }
        other => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: other,
        },
    }
}

/// Map an SQLite error on `path` to the error an operator can act on.
pub(crate) fn map_sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        Some(ErrorCode::NotADatabase) => StoreError::NotSqlite { path },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path,
            detail: e.to_string(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            StoreError::Io {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{e} (is the file and its directory writable?)"),
                ),
            }
        }
        _ => StoreError::Sqlite {
            path,
            source: DbError::Sqlite(e),
        },
    }
}

/// Open, configure and migrate the database at `path`. With `lock_now` the write lock is taken
/// once, so that a process holding it is an error now, before a scan, not after it; without it,
/// a database already at the current schema is opened without the lock (a query command beside
/// a `watch` writing it reads through WAL and never waits).
pub(crate) fn open_as(path: &Path, lock_now: bool) -> Result<(Held, Connection), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let (held, mut conn) = file::connect(path, flags, file::Missing::Create)?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| map_sqlite(path, e))?;
    // Reading the schema version is the first read: a damaged or foreign file fails here.
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| map_sqlite(path, e))?;
    if found > current_version() {
        return Err(StoreError::Newer {
            path: path.to_path_buf(),
            found,
            supported: current_version(),
        });
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| map_sqlite(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::debug!(path = %path.display(), mode, "inventory: WAL not available");
    }
    // synchronous = NORMAL, in WAL mode (sqlite.org/pragma.html#pragma_synchronous, wal.html
    // "Performance Considerations"): a commit is in the WAL before the call returns, so a kill -9
    // or a crash of camscan loses no transaction and never damages the file; only a power cut
    // or a crash of the operating system may roll back the last transactions since the WAL was
    // last synced (at each checkpoint), leaving an older, consistent inventory. What those carried
    // is found again by the next scan, and an outbox cursor rolls back with its events, so a sink
    // may be told twice, never told nothing. FULL would sync the WAL on every commit: a watch
    // records each device as it becomes final, and a thousand fsyncs a round is what NORMAL saves.
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(|e| map_sqlite(path, e))?;
    if !lock_now && found == current_version() {
        return Ok((held, conn));
    }
    // Take the write lock once now: another process holding it is an error before the scan, not
    // after it.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| map_sqlite(path, e))?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| map_sqlite(path, e))?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(step).map_err(|e| map_sqlite(path, e))?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(|e| map_sqlite(path, e))?;
    }
    tx.commit().map_err(|e| map_sqlite(path, e))?;
    Ok((held, conn))
}

mod file;
mod postgres;
#[cfg(test)]
pub(crate) use file::locks_held;
pub use file::mount_of;
pub(crate) use file::{Held, Missing, connect};
pub(crate) use postgres::{open_postgres, pg_current_version};

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::db::params;
    use crate::testing::{camera, report, scan};
    use crate::{DeviceQuery, Store};

    #[test]
    fn a_new_file_is_private_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/inventory.db");
        let store = Store::open(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let wal: String = store
            .conn
            .query_row("PRAGMA journal_mode", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(wal, "wal");
        let fk: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let key = store.key.clone();
        let mut store = store;
        store
            .record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .unwrap();
        // SQLite gives its WAL the database file's mode.
        let wal = std::fs::metadata(format!("{}-wal", path.display())).unwrap();
        assert_eq!(wal.permissions().mode() & 0o777, 0o600);
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.key, key, "the credential key is the database's");
        assert_eq!(key.len(), 32);
        let other = Store::open(&dir.path().join("other.db")).unwrap();
        assert_ne!(other.key, key, "each database has its own key");
    }

    #[test]
    fn a_text_file_is_not_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "192.168.1.10 front door\n".repeat(20)).unwrap();
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::NotSqlite { .. }), "{e}");
        let line = e.to_string();
        assert!(
            line.contains("notes.txt") && line.contains("not an SQLite database"),
            "{line}"
        );
        assert!(!line.contains('\n'));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "192.168.1.10 front door\n".repeat(20),
            "left as it was"
        );
    }

    #[test]
    fn a_truncated_database_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        {
            let mut s = Store::open(&path).unwrap();
            let devices = (1..=60)
                .map(|i| {
                    camera(
                        &format!("aa:bb:cc:00:00:{i:02x}"),
                        &format!("10.0.0.{i}"),
                        1920,
                    )
                })
                .collect();
            s.record_scan(&scan(1, true), &report(devices), &[])
                .unwrap();
            s.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192);
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("truncated"), "{e}");
        // Only the header left.
        std::fs::write(&path, &bytes[..40]).unwrap();
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_garbled_database_is_damaged_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        {
            let mut s = Store::open(&path).unwrap();
            s.record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .unwrap();
            s.conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        // Overwrite every page after the first (the schema page stays readable).
        for b in &mut bytes[4096..] {
            *b = 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = match Store::open(&path) {
            Err(e) => e,
            Ok(s) => s
                .devices(&DeviceQuery::default())
                .expect_err("garbage read back"),
        };
        assert!(
            matches!(e, StoreError::Corrupt { .. } | StoreError::NotSqlite { .. }),
            "{e:?}"
        );
    }

    #[test]
    fn a_version_1_database_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        drop(c);
        let mut store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn
            .query_row("PRAGMA user_version", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(v, current_version());
        assert!(store.dns_answers().unwrap().is_empty());
        store
            .record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .unwrap();
        assert_eq!(store.check_targets(None, &[]).unwrap().len(), 1);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        drop(Store::open(&path).unwrap());
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let e = Store::open(&path).err().unwrap();
        assert!(
            matches!(
                e,
                StoreError::Newer {
                    found: 99,
                    supported,
                    ..
                } if supported == current_version()
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("newer camscan"), "{e}");
    }

    #[test]
    fn a_locked_database_is_a_clear_error_after_a_short_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        drop(Store::open(&path).unwrap());
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let t = std::time::Instant::now();
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
        assert!(e.to_string().contains("locked"), "{e}");
        assert!(t.elapsed() < BUSY_TIMEOUT * 3);
        other.execute_batch("COMMIT").unwrap();
        // Unlocked: fine again, and a write held by another process fails the record cleanly.
        let mut s = Store::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let e = s
            .record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .err()
            .unwrap();
        assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
        other.execute_batch("ROLLBACK").unwrap();
        assert!(s.scans(None).unwrap().is_empty(), "nothing half-written");
    }

    #[test]
    fn a_reader_opens_while_another_process_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        drop(Store::open(&path).unwrap());
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        // A query beside a `watch` recording a scan: it reads what was committed, at once.
        let t = std::time::Instant::now();
        let reader = Store::open_reading(&path, None).unwrap();
        assert!(reader.scans(None).unwrap().is_empty());
        assert!(t.elapsed() < BUSY_TIMEOUT);
        // A scan still learns before it starts that it could not record.
        assert!(matches!(
            Store::open(&path).err().unwrap(),
            StoreError::Locked { .. }
        ));
        other.execute_batch("ROLLBACK").unwrap();
    }

    #[test]
    fn a_read_only_directory_is_a_clear_error() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        // root ignores directory modes: then a directory no one may write, sysfs's root.
        let probe = ro.join("probe");
        let ro = if std::fs::write(&probe, b"").is_ok() {
            std::fs::remove_file(&probe).unwrap();
            PathBuf::from("/sys")
        } else {
            ro
        };
        let path = ro.join("camscan-test/inventory.db");
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::Io { .. }), "{e:?}");
        let line = e.to_string();
        assert!(line.contains(&ro.display().to_string()), "{line}");
    }
}
