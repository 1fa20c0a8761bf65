//! The inventory: what camscan remembers between scans, in one SQLite file or a PostgreSQL
//! database.
//!
//! Every scan is recorded ([`Store::record_scan`]): the scan itself, each device under a stable
//! identity that survives an address change, its addresses over time, ports, services and streams,
//! their states (`online`/`offline`/`unknown`, `up`/`down`) and the events that tell what changed
//! since the store last looked. The commands (`devices`, `show`, `history`, `diff`, `scans`,
//! `forget`, `prune`) read it back, and a scan reads [`Store::known`] to try first what worked last
//! time.
//!
//! The store sits beside the scan pipeline and only reads its [`Report`](model::Report): no stage of a scan
//! and no analyser depends on it, and nothing in `scan/` names it: where a scan is recorded
//! (the inventory, the site, the hub) is the command's (`record::ScanJob`), which the commands
//! and `record` read; the pipeline never opens it. Everything here goes through [`Store`]'s small interface, which is how
//! a second engine (PostgreSQL, the fleet's hub) joined SQLite without touching the pipeline.
//!
//! # Map
//!
//! This file is the handle: [`Store`], opening it (a file, a PostgreSQL database, a fleet hub),
//! the transaction and error helpers every topic uses, and the re-exports the rest of camscan
//! names. Each topic holds its part of `impl Store`, its types, its SQL (one text for both
//! engines: [`db`] adapts it) and its tests:
//!
//! * `devices`: the device list and its pages, one device's detail, forgetting one, a device's
//!   availability spans. Beside it `lookup` (which device a key names: an id, an address, a MAC
//!   or an identity key), `identity` (pure: which stored device an observed one is) and `reports`
//!   (each device's newest whole description, and the inventory as one report).
//! * `streams`: streams with their ids, and which credential opened which stream.
//! * `scans/`: recording a scan, whole or device by device as each becomes final (`record`, by
//!   the pure rules of `derive`), a running scan's heartbeat and lock file (`lock`), the scan
//!   list, what worked last time for a rescan, pruning by age, and `diff` between two scans.
//! * `events`: the event list and its pages by id, and the events as an outbox: one cursor per
//!   notification sink.
//! * `checks`: stream health between scans: the streams to check, each check recorded with the
//!   state changes it makes, and a stream's recorded checks.
//! * `findings`: audit findings, recorded with their `finding_new` / `finding_resolved` events.
//! * `sites`: the fleet's sites at a glance and each agent's last contact; `site_admin`: the hub
//!   owner's site logins and PostgreSQL's row-level security.
//! * `requests`: scans asked for at the hub, claimed and run by a site's agent.
//! * `replication`: a site's inventory copied to the hub, at least once and idempotent.
//! * `dns`: the reverse DNS answers a scan looked up, kept for their time to live.
//!
//! Beneath the topics: `types` (what every topic speaks: [`StoreError`], [`StoreEvent`] and
//! [`EventKind`], the device and stream states), `columns` (how values are written to and read
//! from columns), [`db`] (one connection over either engine), `schema` (opening, the checks that
//! make a wrong file one clear [`StoreError`] before a scan, migrations), [`cred_key`] (the key of
//! the credential hashes, in a file of its own), [`pgpass`], `shared` ([`SharedStore`]) and
//! [`inspect`] (`camscan doctor`'s read-only look). `testing` holds the tests' inventories on both
//! engines and the fixtures the topics' tests share.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use db::Conn;

mod backup;
mod checks;
mod columns;
pub mod cred_key;
pub mod db;
mod devices;
mod dns;
mod events;
mod findings;
pub mod inspect;
mod inventory;
mod lookup;
pub mod pgpass;
mod pushes;
mod replication;
mod reports;
pub mod requests;
mod scans;
mod schema;
pub mod settings;
mod shared;
pub mod site_admin;
mod sites;
mod streams;
#[cfg(test)]
pub(crate) mod testing;
mod types;

pub use backup::Backup;
pub use checks::{CHECKS_PER_STREAM, CheckLayer, CheckRecord, CheckResult, CheckTarget};
pub use db::{DbError, DbLocation, PgTarget};
pub use devices::{
    AddressSeen, Availability, DeviceAvailability, DeviceDetail, DeviceQuery, DeviceSummary, Span,
};
pub use dns::DnsAnswer;
pub use events::{Cursor, EventQuery, NOTICE_SCHEMA, Notice, NoticeDevice};
pub use findings::{
    FindingDevice, FindingKey, FindingQuery, FindingRecord, FindingState, FindingsAudit,
    FindingsRecorded, NewFinding, RESOLVED_PER_DEVICE, SEVERITIES,
};
pub use inventory::{HubConfig, Inventory, InventoryAt, default_db_path};
pub use model::identity::Identity;
pub use pushes::{Pending, PushRecord, PushedAs, StoredDevice, StoredLogin};
pub use replication::{HubCursor, Marks, ReplicaBatch};
pub use requests::{ClaimedScan, QueueRefusal, RequestEnd, RequestState, ScanRequestRecord};
pub use scans::derive::same_rate;
pub use scans::diff::{Change, DeviceChanges, Diff, DiffDevice, NotSeen, same_targets};
pub use scans::record::working_credential;
pub use scans::{Pruned, Recorded, ScanInfo, ScanSummary};
pub use schema::mount_of;
pub use shared::SharedStore;
pub use sites::SiteSummary;
pub use streams::{StreamEntry, StreamRecord};
pub use types::{DeviceState, EventKind, StoreError, StoreEvent, StreamState};

/// An open inventory database.
pub struct Store {
    conn: Conn,
    /// The file, or the server's URL without its password: what errors name.
    path: PathBuf,
    /// Key of the credential hashes, from [`Store::key_file`].
    key: Vec<u8>,
    /// Where the key is kept ([`cred_key`]): never in the database.
    key_file: PathBuf,
    /// The scans this store began and has not ended, each holding its lock file
    /// (`scans::lock`: SQLite only).
    scan_locks: std::collections::HashMap<i64, std::fs::File>,
    /// This process's hold on the inventory file (`schema::connect`): after `conn`, so that it
    /// is let go only once the connection is closed. `None` on PostgreSQL.
    _held: Option<schema::Held>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open (or create: mode 0600, parent directories made) the inventory at `path`, migrate it
    /// to the current schema, WAL on, foreign keys on; its credential key beside it
    /// ([`cred_key::beside`]). Fails with one clear [`StoreError`] on a file that is not SQLite,
    /// is damaged, is newer than this camscan or is locked: call it before a scan starts.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_keyed(path, None)
    }

    /// [`Store::open`] with the credential key in `key_file` (`--credential-key`) rather than
    /// beside the inventory.
    pub fn open_keyed(path: &Path, key_file: Option<&Path>) -> Result<Store, StoreError> {
        Store::open_file(path, key_file, true)
    }

    /// [`Store::open_keyed`] for a command that reads: an inventory at the current schema is
    /// opened without taking the write lock, so a `watch` writing it never makes a query wait or
    /// fail; a write the command makes later waits for its turn as every write does.
    pub fn open_reading(path: &Path, key_file: Option<&Path>) -> Result<Store, StoreError> {
        Store::open_file(path, key_file, false)
    }

    fn open_file(
        path: &Path,
        key_file: Option<&Path>,
        lock_now: bool,
    ) -> Result<Store, StoreError> {
        let (held, conn) = schema::open_as(path, lock_now)?;
        let key_file = key_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cred_key::beside(path));
        let mut store = Store {
            conn: Conn::sqlite(conn),
            path: path.to_path_buf(),
            key: Vec::new(),
            key_file,
            scan_locks: Default::default(),
            _held: Some(held),
        };
        store.key = store.cred_key()?;
        Ok(store)
    }

    /// Open the inventory `at` names: a file ([`Store::open`]) or a PostgreSQL database
    /// ([`Store::open_postgres`]).
    pub fn open_at(at: &DbLocation) -> Result<Store, StoreError> {
        match at {
            DbLocation::File(path) => Store::open(path),
            DbLocation::Postgres(target) => Store::open_postgres(target),
        }
    }

    /// Connect to the PostgreSQL database `target` names and migrate it to the current schema;
    /// its credential key in the config directory ([`cred_key::in_config_dir`]). An unreachable
    /// server, a refused login or a newer schema is one clear [`StoreError`].
    pub fn open_postgres(target: &PgTarget) -> Result<Store, StoreError> {
        Store::open_postgres_keyed(target, None)
    }

    /// [`Store::open_postgres`] with the credential key in `key_file` (`--credential-key`).
    pub fn open_postgres_keyed(
        target: &PgTarget,
        key_file: Option<&Path>,
    ) -> Result<Store, StoreError> {
        let path = PathBuf::from(target.display());
        // Its default place is the entrance's to resolve (`cmds::inventory::inventory`): none here means none.
        let key_file = match key_file.map(Path::to_path_buf) {
            Some(k) => k,
            None => {
                return Err(StoreError::NoKeyPlace { path });
            }
        };
        let conn = schema::open_postgres(target)?;
        let mut store = Store {
            conn,
            path,
            key: Vec::new(),
            key_file,
            scan_locks: Default::default(),
            _held: None,
        };
        store.key = store.cred_key()?;
        Ok(store)
    }

    /// Connect to a fleet hub as a site's agent: [`Store::open_postgres`] without the key of
    /// credential hashes, which a hub never uses (it holds no site's hashes), so that a site's
    /// login (`camscan hub add-site`: no access to `meta`) and an agent without a config
    /// directory connect. This store records no scan.
    pub fn open_hub(target: &PgTarget) -> Result<Store, StoreError> {
        let conn = schema::open_postgres(target)?;
        Ok(Store {
            conn,
            path: PathBuf::from(target.display()),
            key: Vec::new(),
            key_file: PathBuf::new(),
            scan_locks: Default::default(),
            _held: None,
        })
    }

    /// Which engine this inventory is on.
    pub fn engine(&self) -> db::Engine {
        self.conn.engine()
    }

    /// The file the key of the credential hashes is in ([`cred_key`]).
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `f` in one write transaction.
    fn write<T>(&mut self, f: impl FnOnce(&Conn) -> db::Result<T>) -> Result<T, StoreError> {
        let path = self.path.clone();
        let e = |err| schema::map_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        let out = f(&tx).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(out)
    }

    /// `e` as the [`StoreError`] that names this inventory.
    fn err(&self, e: db::DbError) -> StoreError {
        schema::map_err(&self.path, e)
    }

    /// [`StoreError::NotFound`]: `what` is not in this inventory.
    fn not_found(&self, what: impl Into<String>) -> StoreError {
        StoreError::NotFound {
            path: self.path.clone(),
            what: what.into(),
        }
    }
}
