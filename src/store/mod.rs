//! The inventory: what camscan remembers between scans, in one SQLite file.
//!
//! Every scan is recorded ([`Store::record_scan`]): the scan itself, each device under a stable
//! identity that survives an address change, its addresses over time, ports, services and streams,
//! their states (`online`/`offline`/`unknown`, `up`/`down`) and the events that tell what changed
//! since the store last looked. The commands (`devices`, `show`, `history`, `diff`, `scans`,
//! `forget`, `prune`) read it back, and a scan reads [`Store::known`] to try first what worked last
//! time.
//!
//! The store sits above the scan pipeline and only reads its [`Report`]: nothing in `scan/` or the
//! analysers depends on it. Everything here goes through [`Store`]'s small interface, so that a
//! server database could be added later beside SQLite without touching the pipeline.
//!
//! * `schema`: opening the file (0600, parent directories), the checks that make a wrong file one
//!   clear [`StoreError`] before a scan, WAL, foreign keys, versioned migrations.
//! * `identity` (pure): which stored device an observation is. MAC first; then serial (with its
//!   vendor), then ONVIF endpoint / UPnP UDN, as long as no key both sides know disagrees; then
//!   the device last seen at the address. One MAC at two addresses is one device; one address
//!   with another MAC is another device; an address-only device seen later with a MAC at its
//!   address gains that MAC. Every observation is matched by key before any by address.
//! * `derive` (pure): the events and new states a scan implies. A device goes `offline` only
//!   after a complete scan that covered its last address, with a method that saw it last time,
//!   did not see it; an interrupted scan or another range changes nothing it did not see, and
//!   derives nothing negative (no offline, closed, gone, down, changed) even for what it saw.
//! * `record`: the report reduced to observations (URLs without credentials, stream keys that
//!   survive an address change, keyed hashes of working credentials) and written in one
//!   transaction with a compact per-scan snapshot.
//! * `query`: devices, one device, events, scans, diff (pure over two snapshots), known.
//! * `types`: the data of the interface ([`StoreError`], [`ScanInfo`], [`StoreEvent`], the
//!   queries and their answers).
//! * `findings`: audit findings (one row per site, device, finding id, port and stream), recorded
//!   with their `finding_new` / `finding_resolved` events in one transaction; only a complete
//!   audit resolves, and only findings of the devices it judged.
//! * `inspect`: a read-only look at a file for `camscan doctor` (schema version, integrity,
//!   size, each sink's waiting events), changing nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use db::{Conn, OptionalExtension, params};

mod checks;
mod columns;
pub mod cred_key;
pub mod db;
mod dns;
mod events;
mod findings;
mod identity;
pub mod inspect;
pub mod pgpass;
mod query;
mod replication;
mod reports;
pub mod requests;
mod scans;
mod schema;
mod shared;
pub mod site_admin;
mod sites;
#[cfg(test)]
pub(crate) mod testing;
mod timeline;
mod types;

use scans::{derive, lock as scan_lock, record};

pub use checks::{CheckLayer, CheckResult, CheckTarget};
pub use db::{DbError, DbLocation, PgTarget};
pub use dns::DnsAnswer;
pub use events::{CHECKS_PER_STREAM, Cursor, NOTICE_SCHEMA, Notice, NoticeDevice};
pub use findings::{
    FindingDevice, FindingKey, FindingQuery, FindingRecord, FindingState, FindingsAudit,
    FindingsRecorded, NewFinding, RESOLVED_PER_DEVICE, SEVERITIES,
};
pub use identity::Identity;
pub use replication::{HubCursor, Marks, ReplicaBatch};
pub use requests::{ClaimedScan, QueueRefusal, RequestEnd, RequestState, ScanRequestRecord};
pub(crate) use scans::derive::same_rate;
pub(crate) use scans::record::working_credential;
pub use shared::SharedStore;
pub use timeline::{Availability, CheckRecord, DeviceAvailability, Span};
pub use types::{
    AddressSeen, Change, DeviceChanges, DeviceDetail, DeviceQuery, DeviceState, DeviceSummary,
    Diff, DiffDevice, EventKind, EventQuery, Pruned, Recorded, ScanInfo, ScanSummary, SiteSummary,
    StoreError, StoreEvent, StreamEntry, StreamRecord, StreamState,
};

use crate::model::Credential;
use crate::model::Report;
use crate::model::known::Known;

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
    /// ([`scan_lock`]: SQLite only).
    scan_locks: std::collections::HashMap<i64, std::fs::File>,
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
        let conn = schema::open(path)?;
        let key_file = key_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cred_key::beside(path));
        let mut store = Store {
            conn: Conn::sqlite(conn),
            path: path.to_path_buf(),
            key: Vec::new(),
            key_file,
            scan_locks: Default::default(),
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
        let key_file = match key_file
            .map(Path::to_path_buf)
            .or_else(cred_key::in_config_dir)
        {
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

    /// The key of the credential hashes: from the key file (made on first use); an inventory
    /// that still holds its key in `meta.cred_key` (an older camscan's) has it moved out, the
    /// very bytes, so the hashes stored keep matching.
    fn cred_key(&self) -> Result<Vec<u8>, StoreError> {
        let key_err = |e| StoreError::CredentialKey {
            path: self.path.clone(),
            source: e,
        };
        let in_db: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'cred_key'",
                params![],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(old) = in_db else {
            return cred_key::load_or_create(&self.key_file).map_err(key_err);
        };
        // Written unless a key file is there already (another process moved it first, or a
        // move stopped before the row was deleted): then it must be the same key.
        let kept = cred_key::install(&self.key_file, &old).map_err(key_err)?;
        if kept != old {
            return Err(StoreError::KeyMismatch {
                path: self.path.clone(),
                key_file: self.key_file.clone(),
            });
        }
        let sqlite = self.engine() == db::Engine::Sqlite;
        if sqlite {
            // The deleted row's bytes are zeroed in the file rather than left in a free page.
            self.conn
                .execute_batch("PRAGMA secure_delete = ON")
                .map_err(|e| self.err(e))?;
        }
        self.conn
            .execute("DELETE FROM meta WHERE key = 'cred_key'", params![])
            .map_err(|e| self.err(e))?;
        if sqlite {
            // Nor in the write-ahead log: copied into the database and the log emptied. Best
            // effort: a reader holding the log open keeps it until it closes.
            let _ = self
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete = OFF");
        }
        tracing::info!(
            db = %self.path.display(),
            key = %self.key_file.display(),
            "moved the credential hashes' key out of the inventory into its key file"
        );
        Ok(old)
    }

    /// The hub refused a site's agent, for `detail`.
    fn refused(&self, detail: String) -> StoreError {
        StoreError::SiteRefused {
            path: self.path.clone(),
            detail,
        }
    }

    fn err(&self, e: db::DbError) -> StoreError {
        schema::map_err(&self.path, e)
    }

    fn not_found(&self, what: impl Into<String>) -> StoreError {
        StoreError::NotFound {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record one scan in one transaction and derive its events (only what this scan may judge:
    /// the offline rules in the module doc). `creds` are the credentials the scan tried: the
    /// one that opened a stream is remembered by keyed hash, never in clear.
    pub fn record_scan(
        &mut self,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| schema::map_err(&path, e))?;
        let recorded = record::record(&tx, &self.key, scan, report, creds, record::ScanRow::New)
            .map_err(|e| schema::map_err(&path, e))?;
        tx.commit().map_err(|e| schema::map_err(&path, e))?;
        Ok(recorded)
    }

    /// Begin a scan that records its devices as they become final ([`Store::record_part`]), then
    /// its end ([`Store::record_end`]); its id. Until its end the scan is incomplete, with a
    /// heartbeat: a scan whose process is killed keeps what it had recorded, incomplete.
    pub fn begin_scan(&mut self, scan: &ScanInfo) -> Result<i64, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let id = self.write(|tx| record::begin(tx, scan, now))?;
        if self.engine() == db::Engine::Sqlite
            && let Some(lock) = scan_lock::hold(&self.path, id)
        {
            self.scan_locks.insert(id, lock);
        }
        Ok(id)
    }

    /// The running scan `scan_id` ended: its lock file goes.
    fn scan_ended(&mut self, scan_id: i64) {
        if let Some(lock) = self.scan_locks.remove(&scan_id) {
            scan_lock::release(&self.path, scan_id, lock);
        }
    }

    /// Devices of the running scan `scan_id` that became final: recorded as an interrupted scan
    /// records them (nothing else is judged offline), with their events.
    pub fn record_part(
        &mut self,
        scan_id: i64,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let key = self.key.clone();
        self.write(|tx| {
            record::record(
                tx,
                &key,
                scan,
                report,
                creds,
                record::ScanRow::Part(scan_id),
            )
        })
    }

    /// The end of the running scan `scan_id`: its whole report, as [`Store::record_scan`] records
    /// one (a complete scan judges what it did not see), into its row.
    pub fn record_end(
        &mut self,
        scan_id: i64,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let key = self.key.clone();
        let recorded = self.write(|tx| {
            record::record(
                tx,
                &key,
                scan,
                report,
                creds,
                record::ScanRow::Final(scan_id),
            )
        });
        if recorded.is_ok() {
            self.scan_ended(scan_id);
        }
        recorded
    }

    /// Forget the running scan `scan_id` when it recorded nothing (a scan that failed to start).
    pub fn abandon_scan(&mut self, scan_id: i64) -> Result<(), StoreError> {
        self.scan_ended(scan_id);
        self.write(|tx| {
            tx.execute(
                "DELETE FROM scans WHERE id = ?1 AND heartbeat IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM scan_devices WHERE scan_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM events WHERE scan_id = ?1)",
                params![scan_id],
            )
            .map(|_| ())
        })
    }

    /// The running scan `scan_id` is alive (a recorder between two parts).
    pub fn scan_heartbeat(&mut self, scan_id: i64) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.conn
            .execute(
                "UPDATE scans SET heartbeat = ?2 WHERE id = ?1 AND heartbeat IS NOT NULL",
                params![scan_id, now],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
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

    /// For a scan of `targets` (address, CIDR or range specifications; empty = everything): per
    /// address, the stream paths that opened last time per port, and the entry of `creds` whose
    /// keyed hash matches the credential that worked. Offline devices are left out.
    pub fn known(
        &self,
        site: &str,
        targets: &[String],
        creds: &[Credential],
    ) -> Result<HashMap<IpAddr, Known>, StoreError> {
        query::known(&self.conn, &self.key, site, targets, creds).map_err(|e| self.err(e))
    }

    /// Reverse DNS answers still within their time to live (a "no name" too), to seed the scan's
    /// resolver: a rescan asks the DNS only about addresses it has not asked lately.
    pub fn dns_answers(&self) -> Result<Vec<DnsAnswer>, StoreError> {
        dns::answers(&self.conn).map_err(|e| self.err(e))
    }

    /// Keep the reverse DNS answers a scan looked up; expired ones go.
    pub fn record_dns(&mut self, answers: &[DnsAnswer]) -> Result<(), StoreError> {
        dns::record(&mut self.conn, answers).map_err(|e| schema::map_err(&self.path, e))
    }

    /// Known devices, by address.
    pub fn devices(&self, q: &DeviceQuery) -> Result<Vec<DeviceSummary>, StoreError> {
        query::devices(&self.conn, q).map_err(|e| self.err(e))
    }

    /// Up to `limit` devices matching `q`, by id, with an id above `after`; `text` is a
    /// case-insensitive substring of the identity key, vendor, model, name, MAC or address.
    pub fn devices_page(
        &self,
        q: &DeviceQuery,
        text: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeviceSummary>, StoreError> {
        query::devices_page(&self.conn, q, text, after, limit).map_err(|e| self.err(e))
    }

    /// One device by id, address (last or any earlier) or MAC (at `site` when given), with its
    /// streams and events.
    pub fn device(
        &self,
        key: &str,
        site: Option<&str>,
    ) -> Result<Option<DeviceDetail>, StoreError> {
        let Some(id) = query::resolve(&self.conn, key, site).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let Some(d) = query::detail(&self.conn, id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let events =
            query::events(&self.conn, Some(id), &EventQuery::default()).map_err(|e| self.err(e))?;
        // Main stream first, the others in the same order (stable).
        let mut streams = d.streams;
        let ranked: Vec<crate::model::Stream> =
            streams.iter().map(StreamRecord::as_model).collect();
        let main_stream = crate::model::main_stream(&ranked).map(|s| s.url.clone());
        if let Some(i) = streams
            .iter()
            .position(|s| Some(&s.url) == main_stream.as_ref())
        {
            let main = streams.remove(i);
            streams.insert(0, main);
        }
        Ok(Some(DeviceDetail {
            summary: d.summary,
            hostname: d.hostname,
            main_stream,
            firmware: d.firmware,
            serial: d.serial,
            addresses: d.addresses,
            open_ports: d.ports,
            services: d.services,
            streams,
            events,
        }))
    }

    /// The device `id` as the newest scan that saw it described it: the whole report model
    /// (ONVIF profiles, names, errors...), every URL without credentials. `None` for an unknown
    /// id or a device no scan has described since schema version 4.
    pub fn device_report(&self, id: i64) -> Result<Option<crate::model::Device>, StoreError> {
        reports::device(&self.conn, id).map_err(|e| self.err(e))
    }

    /// Which credential opened each stream (`audit --from-db`'s credential-reuse): `(device id,
    /// stream URL, group)`, streams opened by one credential sharing a group number; the
    /// credential is never read back (the store keeps only its keyed hash).
    pub fn stream_credentials(
        &self,
        site: Option<&str>,
    ) -> Result<Vec<(i64, String, usize)>, StoreError> {
        query::stream_credentials(&self.conn, site).map_err(|e| self.err(e))
    }

    /// The inventory as one report: each device matching `q`, as the newest scan that saw it
    /// described it, in id order; dated and targeted as the newest scan. What `camscan serve`
    /// renders its exports from.
    pub fn inventory_report(&self, q: &DeviceQuery) -> Result<Report, StoreError> {
        let filtered = q.state.is_some()
            || q.since.is_some()
            || q.vendor.is_some()
            || q.site.is_some()
            || q.cameras;
        let only = if filtered {
            let ids = query::devices(&self.conn, q).map_err(|e| self.err(e))?;
            Some(ids.into_iter().map(|d| d.id).collect())
        } else {
            None
        };
        let devices = reports::devices(&self.conn, only.as_ref()).map_err(|e| self.err(e))?;
        reports::report(&self.conn, devices).map_err(|e| self.err(e))
    }

    /// The device an event query names, resolved; one that is not known is
    /// [`StoreError::NotFound`].
    fn event_device(&self, q: &EventQuery) -> Result<Option<i64>, StoreError> {
        match &q.device {
            Some(key) => Ok(Some(
                query::resolve(&self.conn, key, q.site.as_deref())
                    .map_err(|e| self.err(e))?
                    .ok_or_else(|| self.not_found(format!("no device {key:?} in the inventory")))?,
            )),
            None => Ok(None),
        }
    }

    /// Events, newest first. A device that is not known is [`StoreError::NotFound`].
    pub fn events(&self, q: &EventQuery) -> Result<Vec<StoreEvent>, StoreError> {
        let device = self.event_device(q)?;
        query::events(&self.conn, device, q).map_err(|e| self.err(e))
    }

    /// Events as [`Store::events`] filters them, but newest id first and only those with an id
    /// below `before`: pages a cursor (the last id of the previous page) continues exactly.
    pub fn events_before(
        &self,
        q: &EventQuery,
        before: Option<i64>,
    ) -> Result<Vec<StoreEvent>, StoreError> {
        let device = self.event_device(q)?;
        query::events_by_id(&self.conn, device, q, before).map_err(|e| self.err(e))
    }

    /// Up to `limit` events with an id above `after`, oldest first: what a live reader that last
    /// saw `after` missed.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoreEvent>, StoreError> {
        query::events_after(&self.conn, after, limit).map_err(|e| self.err(e))
    }

    /// The newest event's id; 0 when there is none.
    pub fn last_event_id(&self) -> Result<i64, StoreError> {
        query::last_event_id(&self.conn).map_err(|e| self.err(e))
    }

    /// Up to `limit` streams with their ids and their devices', by id: of `device` (any when
    /// `None`), in `state` (any when `None`), with an id above `after`.
    pub fn streams(
        &self,
        device: Option<i64>,
        state: Option<StreamState>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, StoreError> {
        query::streams(&self.conn, device, state, after, limit).map_err(|e| self.err(e))
    }

    /// Recorded scans (of `site`, or all), newest first.
    pub fn scans(&self, site: Option<&str>) -> Result<Vec<ScanSummary>, StoreError> {
        query::scans(&self.conn, site).map_err(|e| self.err(e))
    }

    /// Differences from scan `a` to scan `b`; by default the last two complete scans (`b`
    /// alone: the complete scan before it; `a` alone: the last complete scan after it).
    /// Both are scans of one site (`site`, else the site of the newest scan or of the one given).
    pub fn diff(
        &self,
        a: Option<i64>,
        b: Option<i64>,
        site: Option<&str>,
    ) -> Result<Diff, StoreError> {
        let (a, b) = query::diff_pair(&self.conn, a, b, site)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| self.not_found("fewer than two complete scans to compare"))?;
        let summary = |id| {
            query::scan(&self.conn, id)
                .map_err(|e| self.err(e))?
                .ok_or_else(|| self.not_found(format!("no scan {id} in the inventory")))
        };
        let (sa, sb) = (summary(a)?, summary(b)?);
        let snap_a = query::snapshot(&self.conn, a).map_err(|e| self.err(e))?;
        let snap_b = query::snapshot(&self.conn, b).map_err(|e| self.err(e))?;
        let keys = query::device_keys(&self.conn).map_err(|e| self.err(e))?;
        let (added, removed, changed) = query::diff_snapshots(&snap_a, &snap_b, &keys);
        Ok(Diff {
            a: sa,
            b: sb,
            added,
            removed,
            changed,
        })
    }

    /// The streams `camscan watch` checks between scans: those that opened at their last scan and
    /// are not held (a refused credential waits for the next scan), with the entry of `creds`
    /// that opened each.
    pub fn check_targets(
        &self,
        site: Option<&str>,
        creds: &[Credential],
    ) -> Result<Vec<CheckTarget>, StoreError> {
        checks::targets(&self.conn, &self.key, site, creds).map_err(|e| self.err(e))
    }

    /// Device `device_id`'s online/offline spans from `from` to `to`, from its events (see
    /// `store::timeline`); `None` when no such device.
    pub fn availability(
        &self,
        device_id: i64,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Option<DeviceAvailability>, StoreError> {
        timeline::availability(
            &self.conn,
            device_id,
            from.as_millisecond(),
            to.as_millisecond(),
        )
        .map_err(|e| self.err(e))
    }

    /// The newest `limit` recorded checks of stream `stream_id` at or after `since`, oldest
    /// first; `None` when no such stream.
    pub fn checks(
        &self,
        stream_id: i64,
        since: Option<jiff::Timestamp>,
        limit: usize,
    ) -> Result<Option<Vec<CheckRecord>>, StoreError> {
        timeline::checks(
            &self.conn,
            stream_id,
            since.map(|t| t.as_millisecond()),
            limit,
        )
        .map_err(|e| self.err(e))
    }

    /// Record a stream check and the state changes it makes (`down_after` consecutive failures:
    /// `stream_down`; see `store::health`); returns the events written to the outbox.
    pub fn record_check(
        &mut self,
        stream_id: i64,
        result: &CheckResult,
        down_after: u32,
    ) -> Result<Vec<StoreEvent>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let path = self.path.clone();
        checks::record(&mut self.conn, stream_id, result, down_after.max(1), now)
            .map_err(|e| schema::map_err(&path, e))
    }

    /// Where `sink` stands in the outbox; a sink seen for the first time starts at the newest
    /// event.
    pub fn sink_cursor(&self, sink: &str) -> Result<Cursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        events::cursor(&self.conn, sink, now).map_err(|e| self.err(e))
    }

    /// Up to `limit` events waiting for `sink`, oldest first, and how many of the oldest it
    /// skipped now because more than `cap` were waiting.
    pub fn pending(
        &self,
        sink: &str,
        cap: i64,
        limit: i64,
    ) -> Result<(Vec<Notice>, i64), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        events::pending(&self.conn, sink, cap, limit, now).map_err(|e| self.err(e))
    }

    /// `sink` has every event up to `id`.
    pub fn delivered(&self, sink: &str, id: i64) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        events::delivered(&self.conn, sink, id, now).map_err(|e| self.err(e))
    }

    /// Events waiting for `sink`.
    pub fn outbox_depth(&self, sink: &str) -> Result<i64, StoreError> {
        events::depth(&self.conn, sink).map_err(|e| self.err(e))
    }

    /// Delete one device (by id, address or MAC) with its history; returns the devices deleted
    /// (0 when none matched).
    pub fn forget(&mut self, key: &str, site: Option<&str>) -> Result<usize, StoreError> {
        let Some(id) = query::resolve(&self.conn, key, site).map_err(|e| self.err(e))? else {
            return Ok(0);
        };
        self.conn
            .execute("DELETE FROM devices WHERE id = ?1", [id])
            .map_err(|e| self.err(e))
    }

    /// Record an audit's findings and their events in one transaction (see `store::findings`).
    pub fn record_findings(
        &mut self,
        audit: &FindingsAudit<'_>,
    ) -> Result<FindingsRecorded, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.write(|tx| findings::record(tx, audit, now))
    }

    /// Up to `limit` findings matching `q`, by id, with an id above `after`. A device that is not
    /// known is [`StoreError::NotFound`].
    pub fn findings(
        &self,
        q: &FindingQuery,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        let device = self.event_device(&EventQuery {
            device: q.device.clone(),
            site: q.site.clone(),
            ..EventQuery::default()
        })?;
        findings::list(&self.conn, q, device, after, limit).map_err(|e| self.err(e))
    }

    /// The id of the device `key` (an id, address or MAC) names at `site`, if known.
    pub fn device_id(&self, key: &str, site: Option<&str>) -> Result<Option<i64>, StoreError> {
        query::resolve(&self.conn, key, site).map_err(|e| self.err(e))
    }

    /// Delete scans, events and address history older than `older_than` (a device's current
    /// address stays), and devices not seen since.
    /// Resolved findings older than it go too (open ones stay with their device).
    pub fn prune(&mut self, older_than: Duration) -> Result<Pruned, StoreError> {
        let cutoff = jiff::Timestamp::now().as_millisecond()
            - i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX / 2);
        let path = self.path.clone();
        let e = |err| schema::map_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        let events = tx
            .execute("DELETE FROM events WHERE at < ?1", [cutoff])
            .map_err(e)?;
        let devices = tx
            .execute("DELETE FROM devices WHERE last_seen < ?1", [cutoff])
            .map_err(e)?;
        let scans = tx
            .execute("DELETE FROM scans WHERE finished_at < ?1", [cutoff])
            .map_err(e)?;
        let findings = tx
            .execute(
                "DELETE FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
                [cutoff],
            )
            .map_err(e)?;
        let addresses = tx
            .execute(
                "DELETE FROM addresses WHERE last_seen < ?1
                   AND ip != (SELECT d.ip FROM devices d WHERE d.id = addresses.device_id)",
                [cutoff],
            )
            .map_err(e)?;
        prune_texts(&tx).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Pruned {
            scans,
            events,
            addresses,
            devices,
            findings,
        })
    }
}

/// The fleet (see `store::replica`).
impl Store {
    /// (At a site.) The next batch for the hub, after `cursor`: at most `max_scans` scans and
    /// `max_events` events, with every device they concern.
    pub fn replica_batch(
        &self,
        site: &str,
        cursor: HubCursor,
        max_scans: usize,
        max_events: usize,
    ) -> Result<ReplicaBatch, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        // A scan whose heartbeat is fresh but whose process is gone (its lock free) is sent as
        // ended now, not two minutes later.
        let gone = |id: i64| {
            self.engine() == db::Engine::Sqlite
                && !self.scan_locks.contains_key(&id)
                && scan_lock::gone(&self.path, id)
        };
        replication::batch(
            &self.conn,
            site,
            cursor,
            (max_scans, max_events),
            now,
            &gone,
        )
        .map_err(|e| self.err(e))
    }

    /// (At the hub.) Where the hub stands for `site`.
    pub fn hub_cursor(&self, site: &str) -> Result<HubCursor, StoreError> {
        replication::cursor(&self.conn, site).map_err(|e| self.err(e))
    }

    /// (At the hub.) A site's agent says who it is: `site`'s name is bound to the first inventory
    /// that sends it ([`Store::inventory_id`]); another inventory, or a login that is another
    /// site's, is [`StoreError::SiteRefused`]. Where the hub stands for the site.
    pub fn hub_hello(&mut self, site: &str, inventory: &str) -> Result<HubCursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.write(|tx| replication::hello(tx, site, inventory, now))?
            .map_err(|detail| self.refused(detail))
    }

    /// (At a site.) This inventory's id, made the first time it is asked for (before its first
    /// batch to a hub).
    pub fn inventory_id(&self) -> Result<String, StoreError> {
        replication::inventory_id(&self.conn).map_err(|e| self.err(e))
    }

    /// (At a site.) Where the hub stood for `site` after the last batch this inventory saw it
    /// take.
    pub fn hub_told(&self, site: &str) -> Result<HubCursor, StoreError> {
        replication::told(&self.conn, site).map_err(|e| self.err(e))
    }

    /// (At a site.) The newest ids this inventory holds of `site`.
    pub fn replica_newest(&self, site: &str) -> Result<HubCursor, StoreError> {
        replication::newest(&self.conn, site).map_err(|e| self.err(e))
    }

    /// What the rows `at` names look like: this inventory's own (`hub_site` `None`), or at the
    /// hub its copies of `hub_site`'s.
    pub fn replica_marks(
        &self,
        hub_site: Option<&str>,
        at: HubCursor,
    ) -> Result<Marks, StoreError> {
        replication::marks(&self.conn, hub_site, at).map_err(|e| self.err(e))
    }

    /// (At a site.) Remember where the hub stands for `site`.
    pub fn remember_hub(&self, site: &str, at: HubCursor) -> Result<(), StoreError> {
        replication::remember(&self.conn, site, at).map_err(|e| self.err(e))
    }

    /// (At the hub.) Apply a site's batch in one transaction, idempotent; the new cursor.
    pub fn apply_replica(
        &mut self,
        batch: &ReplicaBatch,
        agent: &str,
    ) -> Result<HubCursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        // A refusal comes before the batch writes anything.
        self.write(|tx| replication::apply(tx, batch, agent, now))?
            .map_err(|detail| self.refused(detail))
    }

    /// Every site this inventory holds, with its counts, last scan and last contact.
    pub fn sites(&self) -> Result<Vec<SiteSummary>, StoreError> {
        sites::sites(&self.conn).map_err(|e| self.err(e))
    }

    /// (At the hub.) Queue a scan for `site`'s agent (`store::requests`).
    pub fn queue_scan(
        &mut self,
        site: &str,
        targets: &[String],
        ports: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<Result<ScanRequestRecord, QueueRefusal>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let path = self.path.clone();
        let e = |err| schema::map_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        let queued = requests::queue(&tx, site, targets, ports, credentials, now).map_err(e)?;
        tx.commit().map_err(e)?;
        match queued {
            Ok(id) => self
                .scan_request(id)?
                .ok_or_else(|| self.not_found(format!("scan request {id}")))
                .map(Ok),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// (At the hub.) The oldest queued scan of `site`, now `agent`'s to run.
    pub fn claim_scan(
        &mut self,
        site: &str,
        agent: &str,
    ) -> Result<Option<ClaimedScan>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        requests::claim(&self.conn, site, agent, now).map_err(|e| self.err(e))
    }

    /// (At the hub.) A claimed scan's progress: probes total, probes done, devices; false when
    /// the request is no longer `agent`'s.
    pub fn scan_progress(
        &mut self,
        id: i64,
        agent: &str,
        progress: (u64, u64, u64),
    ) -> Result<bool, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        requests::progress(&self.conn, id, agent, progress, now).map_err(|e| self.err(e))
    }

    /// (At the hub.) A claimed scan's end.
    pub fn finish_scan(
        &mut self,
        id: i64,
        agent: &str,
        end: &RequestEnd,
    ) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        requests::finish(&self.conn, id, agent, end, now).map_err(|e| self.err(e))
    }

    /// Scans asked for at the hub, newest first (at most `limit`), of `site` or every site.
    pub fn scan_requests(
        &self,
        site: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScanRequestRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        requests::list(&self.conn, site, None, limit).map_err(|e| self.err(e))
    }

    /// One scan asked for at the hub.
    pub fn scan_request(&self, id: i64) -> Result<Option<ScanRequestRecord>, StoreError> {
        Ok(requests::list(&self.conn, None, Some(id), 1)
            .map_err(|e| self.err(e))?
            .into_iter()
            .next())
    }

    /// (At the hub, with its owner's login.) Add site `name` and its agent's login role `role`
    /// with the password whose SCRAM verifier is `verifier`, and make sure row-level security
    /// holds every site role to its own rows (`store::site_admin`); an existing site's role gets
    /// the new password. `Err(reason)` inside: refused, no site or role changed.
    pub fn add_site(
        &mut self,
        name: &str,
        role: &str,
        verifier: &str,
    ) -> Result<Result<site_admin::SiteAdded, String>, StoreError> {
        self.write(|tx| site_admin::add(tx, name, role, verifier))
    }

    /// (At the hub, with its owner's login.) A new password for site `name`'s role: the role, or
    /// why it has none.
    pub fn rotate_site(
        &mut self,
        name: &str,
        verifier: &str,
    ) -> Result<Result<String, String>, StoreError> {
        self.write(|tx| site_admin::rotate(tx, name, verifier))
    }

    /// (At the hub.) Every site with its login role, binding and cursor.
    pub fn site_accounts(&self) -> Result<Vec<site_admin::SiteAccount>, StoreError> {
        site_admin::list(&self.conn).map_err(|e| self.err(e))
    }

    /// (At the hub, with its owner's login.) Remove every row of site `name` and unbind its name;
    /// with `drop_login`, its role and its row as well. `None`: no such site.
    pub fn forget_site(
        &mut self,
        name: &str,
        drop_login: bool,
    ) -> Result<Option<site_admin::SiteForgotten>, StoreError> {
        self.write(|tx| {
            if drop_login {
                site_admin::remove(tx, name)
            } else {
                site_admin::forget(tx, name)
            }
        })
    }

    /// (At the hub.) The site's agent is alive: its last contact is now.
    pub fn touch_site(&mut self, site: &str, agent: &str) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        sites::touch(&self.conn, site, agent, now).map_err(|e| self.err(e))
    }
}

/// Delete the shared strings no row refers to any more.
fn prune_texts(tx: &Conn) -> db::Result<()> {
    let mut used: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for sql in [
        "SELECT info FROM scan_devices",
        "SELECT seen FROM scan_devices",
        "SELECT facts FROM streams WHERE facts IS NOT NULL",
        "SELECT media FROM streams WHERE media IS NOT NULL",
        "SELECT services FROM devices WHERE services IS NOT NULL",
    ] {
        let mut stmt = tx.prepare(sql)?;
        let ids = stmt.query_map(params![], |r| r.get::<_, i64>(0))?;
        for id in ids {
            used.insert(id?);
        }
    }
    let mut stmt = tx.prepare(
        "SELECT t.text FROM texts t WHERE t.id IN (SELECT DISTINCT seen FROM scan_devices)",
    )?;
    let mut rows = stmt.query(params![])?;
    while let Some(r) = rows.next()? {
        let seen: String = r.get(0)?;
        let streams = seen.splitn(3, '|').nth(2).unwrap_or("");
        for entry in streams.split(';') {
            if let Some(id) = entry.rsplit(' ').next().and_then(|f| f.parse().ok()) {
                used.insert(id);
            }
        }
    }
    let all: Vec<i64> = tx
        .prepare("SELECT id FROM texts")?
        .query_map(params![], |r| r.get(0))?
        .collect::<db::Result<_>>()?;
    let mut del = tx.prepare("DELETE FROM texts WHERE id = ?1")?;
    for id in all.into_iter().filter(|id| !used.contains(id)) {
        del.execute([id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::testing::{Engine, TestDb, both_engines};
    use super::*;
    use crate::model::{AuthScheme, Protocol, StreamStatus};

    /// A scan whose process was killed (its lock free, its heartbeat still fresh) is ended for
    /// the hub at once, not two minutes later; one whose process is alive holds the cursor.
    #[test]
    fn a_scan_whose_process_died_is_ended_for_the_hub_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.db");
        let now = jiff::Timestamp::now().to_string();
        let info = ScanInfo {
            started_at: now.clone(),
            finished_at: now,
            ..scan(1, false)
        };
        let mut recording = Store::open(&path).unwrap();
        let id = recording.begin_scan(&info).unwrap();
        let agent = Store::open(&path).unwrap();
        let batch = || {
            agent
                .replica_batch("lab", HubCursor::default(), 10, 100)
                .unwrap()
        };
        assert_eq!(batch().scans_done, 0, "its process holds it: running");
        assert_eq!(
            recording
                .replica_batch("lab", HubCursor::default(), 10, 100)
                .unwrap()
                .scans_done,
            0,
            "running for the process recording it"
        );
        // What kill -9 leaves: the row with a fresh heartbeat, the lock let go.
        drop(recording);
        assert_eq!(batch().scans_done, id, "ended: nobody records it");
    }

    both_engines!(
        an_older_inventory_moves_its_key_out_and_its_hashes_still_match,
        a_key_file_that_differs_from_the_inventorys_key_is_an_error_naming_both,
        the_newest_description_of_each_device_is_kept_without_credentials,
        pages_by_id_for_the_api,
        check_history_and_availability_for_the_page,
        a_stream_goes_down_after_n_failed_checks_and_up_after_one_success,
        an_unreachable_host_is_one_device_offline_and_a_refused_credential_one_auth_changed,
        checks_kept_per_stream_are_bounded,
        the_outbox_gives_each_sink_its_events_in_order_from_where_it_joined,
        reverse_dns_answers_are_kept_for_their_time_to_live,
        scans_devices_events_and_diff_round_trip,
        an_address_only_device_gains_its_mac_and_an_interrupted_scan_keeps_states,
        prune_keeps_the_file_bounded,
        sites_are_told_apart,
        a_site_copies_to_the_hub_once,
        checks_and_snapshots_reach_the_hub_once,
        scans_asked_at_the_hub_are_claimed_once,
        a_guessed_null_inside_a_transaction_keeps_it,
        a_scan_records_devices_as_they_become_final,
    );

    /// A long scan records each device as it becomes final: they are in the inventory (with
    /// their events) while the scan runs, the scan incomplete; its end adds what it judged, and
    /// no event twice. A running scan is copied to the hub without holding its events back, and
    /// the cursor stays before it until its end. A scan whose process died (its heartbeat stale)
    /// is an incomplete scan with the devices it had recorded.
    fn a_scan_records_devices_as_they_become_final(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let now = || jiff::Timestamp::now().to_string();
        let at = |complete| ScanInfo {
            started_at: now(),
            finished_at: now(),
            ..scan(1, complete)
        };
        // An earlier complete scan knows a camera the new one will not see.
        let first = s
            .record_scan(
                &at(true),
                &report(vec![camera("aa:bb:cc:00:00:09", "10.0.0.9", 640)]),
                &[],
            )
            .unwrap();
        let a = camera("aa:bb:cc:00:00:01", "10.0.0.5", 640);
        let b = camera("aa:bb:cc:00:00:02", "10.0.0.6", 640);
        let id = s.begin_scan(&at(false)).unwrap();
        let p1 = s
            .record_part(id, &at(false), &report(vec![a.clone()]), &[])
            .unwrap();
        assert_eq!(p1.scan_id, id);
        assert!(p1.events.iter().any(|e| e.kind == EventKind::DeviceNew));
        let running = &s.scans(Some("lab")).unwrap()[0];
        assert_eq!((running.id, running.scan.complete), (id, false));
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 2);
        let nine = s.device("10.0.0.9", None).unwrap().unwrap();
        assert_eq!(
            nine.summary.state,
            DeviceState::Online,
            "a part judges nothing unseen"
        );

        // The hub: the running scan and its events go, the cursor stays before the scan.
        let b1 = s
            .replica_batch("lab", HubCursor::default(), 10, 100)
            .unwrap();
        assert_eq!(b1.scans.len(), 2);
        assert_eq!(b1.scans_done, first.scan_id);
        assert!(
            b1.events
                .iter()
                .any(|e| e.values.contains(&db::Value::Int(id)))
        );
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        let c1 = hub.apply_replica(&b1, "test").unwrap();
        assert_eq!(c1.last_scan, first.scan_id);

        let p2 = s
            .record_part(id, &at(false), &report(vec![b.clone()]), &[])
            .unwrap();
        let end = s
            .record_end(id, &at(true), &report(vec![a, b]), &[])
            .unwrap();
        let news = p1.events.iter().chain(&p2.events).chain(&end.events);
        let new: Vec<_> = news.filter(|e| e.kind == EventKind::DeviceNew).collect();
        assert_eq!(new.len(), 2, "each device new once: {new:?}");
        assert!(
            end.events
                .iter()
                .any(|e| e.kind == EventKind::DeviceOffline)
        );
        let done = &s.scans(Some("lab")).unwrap()[0];
        assert_eq!((done.id, done.scan.complete, done.devices), (id, true, 2));
        let b2 = s.replica_batch("lab", c1, 10, 100).unwrap();
        let c2 = hub.apply_replica(&b2, "test").unwrap();
        assert_eq!(c2.last_scan, id);
        assert!(hub.scans(Some("lab")).unwrap()[0].scan.complete);
        assert_eq!(
            hub.events(&EventQuery::default()).unwrap().len(),
            s.events(&EventQuery::default()).unwrap().len()
        );

        // A scan whose process died: its heartbeat goes stale, it is ended (incomplete) for the
        // hub and for the next scan.
        let dead = s.begin_scan(&at(false)).unwrap();
        s.record_part(
            dead,
            &at(false),
            &report(vec![camera("aa:bb:cc:00:00:03", "10.0.0.7", 640)]),
            &[],
        )
        .unwrap();
        s.conn
            .execute(
                "UPDATE scans SET heartbeat = heartbeat - ?2 WHERE id = ?1",
                params![dead, record::STALE_MS + 1000],
            )
            .unwrap();
        let b3 = s.replica_batch("lab", c2, 10, 100).unwrap();
        assert_eq!(b3.scans_done, dead, "a stale scan has ended");
        assert!(
            b3.devices
                .iter()
                .any(|d| d.row.values.contains(&db::Value::Text("10.0.0.7".into())))
        );
        s.begin_scan(&at(false)).unwrap();
        let beats: Vec<Option<i64>> = s
            .conn
            .query_all("SELECT heartbeat FROM scans WHERE id = ?1", params![dead])
            .unwrap()
            .iter()
            .map(|r| r.get(0).unwrap())
            .collect();
        assert_eq!(beats, [None], "the next scan clears a stale heartbeat");
        let gone = s.scans(Some("lab")).unwrap();
        let gone = gone.iter().find(|x| x.id == dead).unwrap();
        assert_eq!((gone.scan.complete, gone.devices), (false, 1));
        // A scan that failed to start leaves no row; one that had recorded keeps its row.
        let failed = s.begin_scan(&at(false)).unwrap();
        s.abandon_scan(failed).unwrap();
        s.abandon_scan(dead).unwrap();
        let ids: Vec<i64> = s.scans(Some("lab")).unwrap().iter().map(|x| x.id).collect();
        assert!(!ids.contains(&failed) && ids.contains(&dead), "{ids:?}");
    }

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

    /// Scans asked for at the hub: queued only for a site whose agent has reached it, at most
    /// `MAX_QUEUED` waiting; two agents polling at once (two connections, two threads) claim
    /// every request exactly once; progress is the claimer's alone; the end names the hub's copy
    /// of the site's scan; an agent that claims again gives up what it had claimed before.
    fn scans_asked_at_the_hub_are_claimed_once(engine: Engine) {
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        let t = vec!["10.0.0.0/29".to_string()];
        assert_eq!(
            hub.queue_scan("north", &t, None, None).unwrap(),
            Err(QueueRefusal::UnknownSite { known: vec![] })
        );
        hub.touch_site("north", "agent a").unwrap();
        hub.touch_site("south", "agent s").unwrap();
        let mut ids = Vec::new();
        for i in 0..requests::MAX_QUEUED {
            let ports = (i == 0).then_some("80,554");
            let r = hub
                .queue_scan("north", &t, ports, Some("default"))
                .unwrap()
                .unwrap();
            assert_eq!((r.state, r.site.as_str()), (RequestState::Queued, "north"));
            ids.push(r.id);
        }
        assert_eq!(
            hub.queue_scan("north", &t, None, None).unwrap(),
            Err(QueueRefusal::Full)
        );
        let other = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        // Two agents of north claim side by side, each finishing what it claimed.
        let claimers: Vec<_> = ["agent a", "agent b"]
            .into_iter()
            .map(|agent| {
                let mut conn = hub_db.open();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Some(c) = conn.claim_scan("north", agent).unwrap() {
                        assert_eq!(c.targets, ["10.0.0.0/29"]);
                        assert!(conn.scan_progress(c.id, agent, (10, 5, 1)).unwrap());
                        let end = RequestEnd::Failed(format!("by {agent}"));
                        conn.finish_scan(c.id, agent, &end).unwrap();
                        assert!(!conn.scan_progress(c.id, agent, (10, 6, 1)).unwrap());
                        got.push(c.id);
                    }
                    got
                })
            })
            .collect();
        let mut claimed: Vec<i64> = claimers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        claimed.sort();
        assert_eq!(claimed, ids, "every request claimed once");
        let first = hub.scan_request(ids[0]).unwrap().unwrap();
        assert_eq!(first.ports.as_deref(), Some("80,554"));
        assert_eq!(first.state, RequestState::Failed);
        assert_eq!(
            first.error,
            Some(format!("by {}", first.claimed_by.as_deref().unwrap()))
        );
        assert_eq!(
            hub.scan_request(other.id).unwrap().unwrap().state,
            RequestState::Queued,
            "south's request is south's"
        );
        // Done: the request names the hub's copy of the site's scan once it has arrived.
        let site_db = TestDb::new(Engine::Sqlite);
        let mut site = site_db.open();
        let at = ScanInfo {
            site: "south".into(),
            ..scan(1, true)
        };
        let rec = site
            .record_scan(
                &at,
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 640)]),
                &[],
            )
            .unwrap();
        let c = hub.claim_scan("south", "agent s").unwrap().unwrap();
        assert_eq!(c.id, other.id);
        let end = RequestEnd::Recorded {
            scan: rec.scan_id,
            devices: 1,
            interrupted: false,
        };
        hub.finish_scan(c.id, "agent s", &end).unwrap();
        let r = hub.scan_request(c.id).unwrap().unwrap();
        assert_eq!(
            (r.state, r.devices, r.scan_id),
            (RequestState::Done, 1, None)
        );
        let b = site
            .replica_batch("south", HubCursor::default(), 10, 10)
            .unwrap();
        hub.apply_replica(&b, "agent s").unwrap();
        let r = hub.scan_request(c.id).unwrap().unwrap();
        let copied = hub.scans(Some("south")).unwrap();
        assert_eq!(r.scan_id, Some(copied[0].id));
        // An agent that claims again gives up what it had left running (it died with it).
        let again = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        let third = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        assert_eq!(
            hub.claim_scan("south", "agent s").unwrap().unwrap().id,
            again.id
        );
        assert_eq!(
            hub.claim_scan("south", "agent s").unwrap().unwrap().id,
            third.id
        );
        let gone = hub.scan_request(again.id).unwrap().unwrap();
        assert_eq!(gone.state, RequestState::Interrupted);
        assert!(gone.error.unwrap().contains("agent stopped"));
        assert_eq!(hub.scan_requests(Some("south"), 10).unwrap().len(), 3);
        assert_eq!(hub.scan_requests(None, 100).unwrap().len(), 19);
    }

    /// A site's inventory copied into a hub's: scans, devices with their streams and
    /// descriptions, and events, in order; a batch applied twice (a retry, an agent killed after
    /// the hub committed) adds nothing; two sites with the same addresses stay apart.
    fn a_site_copies_to_the_hub_once(engine: Engine) {
        let creds = [Credential::new("admin", "12345")];
        let mut sites = Vec::new();
        for (name, width) in [("north", 1920), ("south", 1280)] {
            let db = TestDb::new(Engine::Sqlite);
            let mut s = db.open();
            let at = |n: u32, complete| ScanInfo {
                site: name.into(),
                ..scan(n, complete)
            };
            s.record_scan(
                &at(1, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", width),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", width),
                ]),
                &creds,
            )
            .unwrap();
            s.record_scan(
                &at(2, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", width * 2)]),
                &creds,
            )
            .unwrap();
            sites.push((name, db, s));
        }
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        for (name, _db, site) in &sites {
            let mut cursor = hub.hub_cursor(name).unwrap();
            assert_eq!(cursor, HubCursor::default());
            // North in small batches (one scan, two events at a time), south in one.
            let (scans, events) = if *name == "north" {
                (1, 2)
            } else {
                (100, 1000)
            };
            loop {
                let b = site.replica_batch(name, cursor, scans, events).unwrap();
                if b.is_empty() {
                    break;
                }
                let after = hub.apply_replica(&b, "test").unwrap();
                // Applied again: the same cursor, nothing added.
                let events = hub.last_event_id().unwrap();
                assert_eq!(hub.apply_replica(&b, "test").unwrap(), after);
                assert_eq!(hub.last_event_id().unwrap(), events);
                assert!(after.last_event >= cursor.last_event);
                cursor = after;
            }
            assert_eq!(hub.hub_cursor(name).unwrap(), cursor);
        }
        for (name, _db, site) in &sites {
            let q = EventQuery {
                site: Some(name.to_string()),
                ..EventQuery::default()
            };
            let local: Vec<_> = site.events(&q).unwrap();
            let copied: Vec<_> = hub.events(&q).unwrap();
            let view =
                |e: &StoreEvent| (e.kind, e.at.clone(), e.stream_url.clone(), e.detail.clone());
            assert_eq!(
                local.iter().map(view).collect::<Vec<_>>(),
                copied.iter().map(view).collect::<Vec<_>>(),
                "{name}"
            );
            let dq = DeviceQuery {
                site: Some(name.to_string()),
                ..DeviceQuery::default()
            };
            let strip = |d: &DeviceSummary| {
                let mut d = d.clone();
                d.id = 0;
                d
            };
            assert_eq!(
                site.devices(&dq)
                    .unwrap()
                    .iter()
                    .map(strip)
                    .collect::<Vec<_>>(),
                hub.devices(&dq)
                    .unwrap()
                    .iter()
                    .map(strip)
                    .collect::<Vec<_>>()
            );
            let d = hub.device("10.0.0.5", Some(name)).unwrap().unwrap();
            assert_eq!(d.streams.len(), 1);
            assert!(d.streams[0].video.is_some());
            let report = hub.device_report(d.summary.id).unwrap().unwrap();
            assert_eq!(report.mac.as_deref(), Some("aa:bb:cc:00:00:01"));
            assert_eq!(hub.scans(Some(name)).unwrap().len(), 2);
        }
        assert_eq!(hub.devices(&DeviceQuery::default()).unwrap().len(), 4);
        // The sites overview counts the same at the hub (copied streams, counted by their own
        // site) as at each site (its own streams, counted by their device's).
        let counts = |s: &SiteSummary| {
            let n = (s.devices, s.cameras, s.online, s.offline);
            (
                s.name.clone(),
                n,
                s.streams_up,
                s.streams_down,
                s.last_scan.clone(),
            )
        };
        let at_hub: Vec<_> = hub.sites().unwrap().iter().map(counts).collect();
        let at_sites: Vec<_> = sites
            .iter()
            .flat_map(|(_, _, s)| s.sites().unwrap())
            .map(|s| counts(&s))
            .collect();
        assert_eq!(at_hub, at_sites);
        assert!(at_hub.iter().all(|s| s.2 + s.3 > 0), "{at_hub:?}");
        if engine == Engine::Postgres {
            // A hub session the server ends when its site's link dies mid-transaction.
            let idle: String = hub
                .conn
                .query_row("SHOW idle_in_transaction_session_timeout", params![], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(idle, "20s");
            // Events whose NULLs differ share their statement: one prepared per shape.
            let prepared = hub
                .conn
                .query_all(
                    "SELECT statement, count(*) FROM pg_prepared_statements
                     WHERE statement LIKE 'INSERT INTO events%' GROUP BY statement",
                    params![],
                )
                .unwrap();
            assert!(!prepared.is_empty());
            for row in &prepared {
                let n: i64 = row.get(1).unwrap();
                assert_eq!(n, 1, "{:?}", row.get::<_, String>(0));
            }
        }
    }

    /// A site's stream checks and per-scan snapshots reach the hub, each batch applied twice:
    /// nothing is added the second time; the hub's checks of a stream are the site's (the same
    /// order and figures), bounded as the site bounds them; `diff` at the hub (by default, and by
    /// the hub's scan ids) says what it says at the site.
    fn checks_and_snapshots_reach_the_hub_once(engine: Engine) {
        let site_db = TestDb::new(Engine::Sqlite);
        let mut site = site_db.open();
        let creds = [Credential::new("admin", "12345")];
        let at = |n: u32| ScanInfo {
            site: "north".into(),
            ..scan(n, true)
        };
        let mut third = camera("aa:bb:cc:00:00:03", "10.0.0.7", 640);
        third.firmware = Some("V5.8.0".into());
        third.open_ports = vec![80, 554];
        for (n, devices) in [
            (
                1,
                vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ],
            ),
            (2, vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1280)]),
            (
                3,
                vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1280), third],
            ),
        ] {
            site.record_scan(&at(n), &report(devices), &creds).unwrap();
        }
        let stream = stream_of(&site, "10.0.0.5").stream_id;
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        // Another site's rows first: the hub's stream and text ids are not north's.
        let south_db = TestDb::new(Engine::Sqlite);
        let mut south = south_db.open();
        let mut cam = camera("aa:bb:cc:00:00:09", "10.0.0.9", 800);
        cam.streams.push(Stream::new(
            "rtsp://10.0.0.9:554/second".into(),
            Protocol::Rtsp,
            554,
        ));
        south
            .record_scan(
                &ScanInfo {
                    site: "south".into(),
                    ..scan(1, true)
                },
                &report(vec![cam]),
                &creds,
            )
            .unwrap();
        let b = south
            .replica_batch("south", HubCursor::default(), 10, 10)
            .unwrap();
        hub.apply_replica(&b, "test").unwrap();
        let rows = |hub: &Store| -> Vec<i64> {
            ["scan_devices", "checks", "texts", "events", "streams"]
                .iter()
                .map(|t| {
                    hub.conn
                        .query_row(&format!("SELECT COUNT(*) FROM {t}"), params![], |r| {
                            r.get(0)
                        })
                        .unwrap()
                })
                .collect()
        };
        // Checks in rounds, each pushed in batches of 7: the hub is sent more than it keeps of
        // the stream and bounds it, as the site does.
        let mut n = 0u32;
        for round in 0..3 {
            for _ in 0..60 {
                n += 1;
                let mut c = check(if n.is_multiple_of(9) {
                    CheckLayer::Media
                } else {
                    CheckLayer::Ok
                });
                c.fps = (!n.is_multiple_of(9)).then_some(20.0 + f64::from(n % 7) / 4.0);
                c.bitrate_kbps = c.fps.map(|f| f * 101.5);
                c.first_packet_ms = Some(u64::from(n));
                site.record_check(stream, &c, 2).unwrap();
            }
            let mut cursor = hub.hub_cursor("north").unwrap();
            loop {
                let b = site.replica_batch("north", cursor, 1, 7).unwrap();
                if b.is_empty() {
                    break;
                }
                assert!(b.checks.len() <= 7);
                if round == 0 && cursor.last_scan == 0 {
                    assert!(!b.snapshots.is_empty(), "an ended scan brings its snapshot");
                }
                let after = hub.apply_replica(&b, "test").unwrap();
                let before = rows(&hub);
                assert_eq!(hub.apply_replica(&b, "test").unwrap(), after);
                assert_eq!(rows(&hub), before, "a batch applied twice adds nothing");
                assert!(after.last_check >= cursor.last_check);
                cursor = after;
            }
        }
        let hub_stream = {
            let d = hub.device("10.0.0.5", Some("north")).unwrap().unwrap();
            hub.streams(Some(d.summary.id), None, None, 10).unwrap()[0].id
        };
        let view = |c: &CheckRecord| {
            (
                c.at.clone(),
                c.ok,
                c.layer.clone(),
                c.error.clone(),
                c.first_packet_ms,
                c.fps,
                c.bitrate_kbps,
            )
        };
        let here: Vec<_> = site
            .checks(stream, None, 1000)
            .unwrap()
            .unwrap()
            .iter()
            .map(view)
            .collect();
        let there: Vec<_> = hub
            .checks(hub_stream, None, 1000)
            .unwrap()
            .unwrap()
            .iter()
            .map(view)
            .collect();
        assert_eq!(here.len(), CHECKS_PER_STREAM as usize);
        assert_eq!(there, here);
        assert_eq!(
            hub.checks(hub_stream, None, 5).unwrap().unwrap().len(),
            5,
            "the newest five"
        );
        let kept: i64 = hub
            .conn
            .query_row(
                "SELECT COUNT(*) FROM checks WHERE stream_id = ?1",
                [hub_stream],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, CHECKS_PER_STREAM, "bounded at the hub");
        // The stream's state came with its checks.
        let state = |s: &Store, id: i64| {
            s.conn
                .query_row(
                    "SELECT measured, fails, last_verified FROM streams WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, Option<String>>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Option<i64>>(2)?,
                        ))
                    },
                )
                .unwrap()
        };
        assert_eq!(state(&hub, hub_stream), state(&site, stream));

        // diff: the same at both but for ids (the hub's own).
        let strip = |d: &Diff| {
            let mut v = serde_json::to_value(d).unwrap();
            for side in ["a", "b"] {
                v[side]["id"] = serde_json::Value::Null;
            }
            for list in ["added", "removed", "changed"] {
                for d in v[list].as_array_mut().unwrap() {
                    d["device_id"] = serde_json::Value::Null;
                }
            }
            v
        };
        let local = site.diff(None, None, Some("north")).unwrap();
        assert!(!local.added.is_empty(), "{local:?}");
        assert_eq!(
            strip(&hub.diff(None, None, Some("north")).unwrap()),
            strip(&local)
        );
        let ids = |s: &Store| -> Vec<i64> {
            let mut v: Vec<i64> = s
                .scans(Some("north"))
                .unwrap()
                .iter()
                .map(|x| x.id)
                .collect();
            v.sort_unstable();
            v
        };
        let (l, h) = (ids(&site), ids(&hub));
        assert_eq!(h.len(), 3);
        let local = site.diff(Some(l[0]), Some(l[1]), None).unwrap();
        assert!(
            !local.removed.is_empty() && !local.changed.is_empty(),
            "{local:?}"
        );
        let copied = hub.diff(Some(h[0]), Some(h[1]), None).unwrap();
        assert_eq!(strip(&copied), strip(&local));
        assert_eq!((copied.a.id, copied.b.id), (h[0], h[1]));
    }

    /// Identity is per site: the same address and the same MAC at two sites are two devices; a
    /// complete scan at one site takes nothing at the other offline; every query filters by site
    /// and every record carries it.
    fn sites_are_told_apart(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let at = |site: &str, n: u32| ScanInfo {
            site: site.into(),
            targets: vec!["192.168.1.0/24".into()],
            ..scan(n, true)
        };
        let creds = [Credential::new("admin", "12345")];
        let one = |mac: &str| report(vec![camera(mac, "192.168.1.10", 1920)]);
        let a1 = s
            .record_scan(&at("a", 1), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        // Same address and same MAC at site b: a device of its own, new there.
        let b1 = s
            .record_scan(&at("b", 1), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        assert_eq!(kinds(&a1), kinds(&b1));
        assert!(kinds(&b1).contains(&EventKind::DeviceNew));
        let all = s.devices(&DeviceQuery::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all.iter().map(|d| d.site.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        // A complete scan of the same range at a, without the camera: offline at a only.
        let a2 = s.record_scan(&at("a", 2), &report(vec![]), &creds).unwrap();
        assert_eq!(kinds(&a2), [EventKind::DeviceOffline]);
        let state = |site: &str| {
            let q = DeviceQuery {
                site: Some(site.into()),
                ..DeviceQuery::default()
            };
            let list = s.devices(&q).unwrap();
            assert_eq!(list.len(), 1, "{site}");
            list[0].state
        };
        assert_eq!(state("a"), DeviceState::Offline);
        assert_eq!(state("b"), DeviceState::Online);
        // The inventory as a report, and which credential opened what, by site.
        let site_q = |site: &str| DeviceQuery {
            site: Some(site.into()),
            ..DeviceQuery::default()
        };
        assert_eq!(s.inventory_report(&site_q("b")).unwrap().devices.len(), 1);
        let creds_of = |site| s.stream_credentials(site).unwrap();
        assert_eq!(creds_of(Some("b")).len(), 1);
        let all = creds_of(None);
        assert_eq!(all.len(), 2);
        assert!(
            all.iter().all(|(_, _, group)| *group == 0),
            "one credential: {all:?}"
        );
        // Lookups by address resolve at the site asked for.
        let at_b = s.device("192.168.1.10", Some("b")).unwrap().unwrap();
        assert_eq!(at_b.summary.site, "b");
        assert_eq!(at_b.summary.state, DeviceState::Online);
        // Events, scans and diffs by site.
        let ev = |site: &str| {
            s.events(&EventQuery {
                site: Some(site.into()),
                ..EventQuery::default()
            })
            .unwrap()
        };
        assert!(ev("a").iter().all(|e| e.site == "a"));
        assert_eq!(ev("a").len(), a1.events.len() + 1);
        assert_eq!(ev("b").len(), b1.events.len());
        assert_eq!(s.scans(Some("a")).unwrap().len(), 2);
        assert_eq!(s.scans(Some("b")).unwrap()[0].scan.site, "b");
        let d = s.diff(None, None, Some("a")).unwrap();
        assert_eq!((d.a.id, d.b.id), (a1.scan_id, a2.scan_id));
        assert_eq!(d.removed.len(), 1);
        // With no site, the newest scan's site is compared with itself: b has one scan only.
        s.record_scan(&at("b", 3), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        let d = s.diff(None, None, None).unwrap();
        assert_eq!((d.a.scan.site.as_str(), d.b.scan.site.as_str()), ("b", "b"));
        // What a scan at a site tries first is that site's.
        assert!(s.known("a", &[], &creds).unwrap().is_empty());
        assert_eq!(s.known("b", &[], &creds).unwrap().len(), 1);
    }
    use crate::model::{Device, DiscoveryMethod, Stream, VideoInfo};

    fn scan(n: u32, complete: bool) -> ScanInfo {
        ScanInfo {
            started_at: format!("2026-01-0{n}T00:00:00Z"),
            finished_at: format!("2026-01-0{n}T00:01:00Z"),
            complete,
            site: "lab".into(),
            targets: vec!["10.0.0.0/24".into()],
            ports: vec![80, 554],
            methods: vec!["port".into(), "arp".into()],
            version: "0.1.0".into(),
        }
    }

    fn camera(mac: &str, ip: &str, width: u32) -> Device {
        let mut d = Device::new(ip.parse().unwrap());
        d.mac = Some(mac.into());
        d.vendor = Some("Hikvision".into());
        d.firmware = Some("V5.7.3".into());
        d.is_camera = true;
        d.open_ports = vec![554];
        d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
        let mut s = Stream::new(
            format!("rtsp://admin:12345@{ip}:554/Streaming/Channels/101"),
            Protocol::Rtsp,
            554,
        );
        s.username = Some("admin".into());
        s.auth = AuthScheme::Digest;
        s.verified = true;
        let mut v = VideoInfo::new("h264".into());
        v.width = Some(width);
        v.height = Some(width * 9 / 16);
        v.fps = Some(25.0);
        s.video = Some(v);
        d.streams = vec![s];
        d
    }

    fn report(devices: Vec<Device>) -> Report {
        Report {
            schema_version: 1,
            camscan_version: "0.1.0".into(),
            started_at: String::new(),
            finished_at: String::new(),
            complete: true,

            targets: vec![],
            devices,
        }
    }

    fn kinds(r: &Recorded) -> Vec<EventKind> {
        r.events.iter().map(|e| e.kind).collect()
    }

    /// A store holding two cameras (one stream each), recorded by a complete scan.
    fn two_cameras(engine: Engine) -> (TestDb, Store) {
        let db = TestDb::new(engine);
        let mut store = db.open();
        store
            .record_scan(
                &scan(1, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ]),
                &[Credential::new("admin", "12345")],
            )
            .unwrap();
        (db, store)
    }

    /// Each device's newest description is kept whole, without credentials; an interrupted scan
    /// does not replace it; the inventory report filters by state; forgetting removes it.
    fn the_newest_description_of_each_device_is_kept_without_credentials(engine: Engine) {
        let (_dir, mut store) = two_cameras(engine);
        let ids: Vec<i64> = store
            .devices_page(&DeviceQuery::default(), None, None, 10)
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        let first = store.device_report(ids[0]).unwrap().unwrap();
        assert_eq!(
            first.streams[0].url,
            "rtsp://10.0.0.5:554/Streaming/Channels/101"
        );
        assert_eq!(first.streams[0].username.as_deref(), Some("admin"));
        assert_eq!(first.firmware.as_deref(), Some("V5.7.3"));
        assert_eq!(store.device_report(9999).unwrap(), None);

        // An interrupted scan that saw the first at another width does not replace it; a
        // complete one does.
        let mut wider = report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 2560)]);
        wider.complete = false;
        store
            .record_scan(
                &scan(2, false),
                &wider,
                &[Credential::new("admin", "12345")],
            )
            .unwrap();
        let width = |s: &Store| {
            s.device_report(ids[0]).unwrap().unwrap().streams[0]
                .video
                .as_ref()
                .unwrap()
                .width
        };
        assert_eq!(width(&store), Some(1920));
        wider.complete = true;
        store
            .record_scan(&scan(3, true), &wider, &[Credential::new("admin", "12345")])
            .unwrap();
        assert_eq!(width(&store), Some(2560));

        // The second camera went offline in the complete scan: the filter leaves it out.
        let all = store.inventory_report(&DeviceQuery::default()).unwrap();
        assert_eq!(all.devices.len(), 2);
        let online = store
            .inventory_report(&DeviceQuery {
                state: Some(DeviceState::Online),
                ..DeviceQuery::default()
            })
            .unwrap();
        assert_eq!(online.devices.len(), 1);
        assert_eq!(online.devices[0].ip.to_string(), "10.0.0.5");
        assert!(online.complete);

        store.forget(&ids[1].to_string(), None).unwrap();
        assert_eq!(store.device_report(ids[1]).unwrap(), None);
    }

    /// The API's reads: pages of devices by id (filters and text in SQL), streams with ids,
    /// events by id before a cursor and after a last-seen id.
    fn pages_by_id_for_the_api(engine: Engine) {
        let (_dir, mut store) = two_cameras(engine);
        store
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                    camera("aa:bb:cc:00:00:03", "10.0.0.7", 1280),
                ]),
                &[Credential::new("admin", "12345")],
            )
            .unwrap();
        let any = DeviceQuery::default();
        let all = store.devices_page(&any, None, None, 100).unwrap();
        let ids: Vec<i64> = all.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let first = store.devices_page(&any, None, None, 2).unwrap();
        let rest = store
            .devices_page(&any, None, Some(first[1].id), 2)
            .unwrap();
        assert_eq!(
            first.iter().chain(&rest).map(|d| d.id).collect::<Vec<_>>(),
            ids
        );
        let text = |t: &str| store.devices_page(&any, Some(t), None, 100).unwrap().len();
        assert_eq!(text("10.0.0.7"), 1);
        assert_eq!(text("AA:BB:CC:00:00:0"), 3);
        assert_eq!(text("HIKVISION"), 3);
        assert_eq!(text("axis"), 0);

        let streams = store.streams(None, None, None, 100).unwrap();
        assert_eq!(streams.len(), 3);
        let first = store.streams(None, Some(StreamState::Up), None, 2).unwrap();
        let rest = store
            .streams(None, Some(StreamState::Up), Some(first[1].id), 2)
            .unwrap();
        assert_eq!(
            first.iter().chain(&rest).cloned().collect::<Vec<_>>(),
            streams
        );
        assert!(
            store
                .streams(None, Some(StreamState::Down), None, 100)
                .unwrap()
                .is_empty()
        );
        let d7 = store.device("10.0.0.7", None).unwrap().unwrap();
        let s7: Vec<_> = streams
            .iter()
            .filter(|s| s.device_id == d7.summary.id)
            .collect();
        assert_eq!(s7.len(), 1);
        assert!(!s7[0].stream.url.contains("12345"), "{}", s7[0].stream.url);
        assert_eq!(s7[0].stream, d7.streams[0]);

        let newest = store.last_event_id().unwrap();
        let events = store.events_before(&EventQuery::default(), None).unwrap();
        assert_eq!(events[0].id, newest);
        assert!(events.windows(2).all(|w| w[0].id > w[1].id));
        let older = store
            .events_before(&EventQuery::default(), Some(events[0].id))
            .unwrap();
        assert_eq!(older, events[1..]);
        let after = store.events_after(events[2].id, 100).unwrap();
        let mut expected = events[..2].to_vec();
        expected.reverse();
        assert_eq!(after, expected);
        assert_eq!(store.events_after(newest, 100).unwrap(), vec![]);
        assert_eq!(store.events_after(0, 1).unwrap().len(), 1);
    }

    fn check(layer: CheckLayer) -> CheckResult {
        CheckResult {
            layer,
            error: (layer != CheckLayer::Ok).then(|| "x".into()),
            first_packet_ms: None,
            fps: None,
            bitrate_kbps: None,
        }
    }

    fn stream_of(store: &Store, ip: &str) -> CheckTarget {
        store
            .check_targets(None, &[Credential::new("admin", "12345")])
            .unwrap()
            .into_iter()
            .find(|t| t.url.contains(ip))
            .unwrap()
    }

    /// The page's history reads: a stream's checks (newest `limit`, oldest first, with their
    /// figures) and a device's availability spans from its events.
    fn check_history_and_availability_for_the_page(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        let start = jiff::Timestamp::now();
        for fps in [24.0, 25.0, 26.0] {
            let mut ok = check(CheckLayer::Ok);
            ok.fps = Some(fps);
            ok.bitrate_kbps = Some(fps * 100.0);
            ok.first_packet_ms = Some(fps as u64);
            store.record_check(t.stream_id, &ok, 2).unwrap();
        }
        let all = store.checks(t.stream_id, None, 100).unwrap().unwrap();
        assert_eq!(
            all.iter().map(|c| c.fps).collect::<Vec<_>>(),
            [Some(24.0), Some(25.0), Some(26.0)]
        );
        assert!(all.iter().all(|c| c.ok && c.layer == "ok"));
        assert_eq!(all[2].bitrate_kbps, Some(2600.0));
        assert_eq!(all[2].first_packet_ms, Some(26));
        let newest = store.checks(t.stream_id, None, 2).unwrap().unwrap();
        assert_eq!(
            newest.iter().map(|c| c.id).collect::<Vec<_>>(),
            [all[1].id, all[2].id]
        );
        let later = start + jiff::SignedDuration::from_hours(1);
        assert!(
            store
                .checks(t.stream_id, Some(later), 100)
                .unwrap()
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.checks(999_999, None, 100).unwrap(), None);

        // Two unreachable checks: offline (device_offline); one that reaches it: online.
        for _ in 0..2 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                .unwrap();
        }
        let day_ago = start - jiff::SignedDuration::from_hours(24);
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
        let a = store
            .availability(t.device_id, day_ago, soon)
            .unwrap()
            .unwrap();
        let states: Vec<Availability> = a.spans.iter().map(|s| s.state).collect();
        // First seen by the scan of 2026-01-01 (device_new), long before the window.
        assert_eq!(
            states,
            [Availability::Online, Availability::Offline],
            "{a:?}"
        );
        assert_eq!(a.spans[0].from, a.from);
        assert_eq!(a.spans.last().unwrap().to, a.to);
        store
            .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
            .unwrap();
        let a = store
            .availability(t.device_id, day_ago, soon)
            .unwrap()
            .unwrap();
        assert_eq!(a.spans.last().unwrap().state, Availability::Online, "{a:?}");
        let ratio = a.online_ratio.unwrap();
        assert!(ratio > 0.99 && ratio <= 1.0, "{ratio}");
        assert_eq!(store.availability(999_999, day_ago, soon).unwrap(), None);
    }

    fn a_stream_goes_down_after_n_failed_checks_and_up_after_one_success(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        assert_eq!(t.credential, Some(Credential::new("admin", "12345")));
        assert_eq!(t.fps, Some(25.0));
        assert!(t.up);
        let kinds = |e: Vec<StoreEvent>| e.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        for _ in 0..2 {
            assert_eq!(
                kinds(
                    store
                        .record_check(t.stream_id, &check(CheckLayer::Media), 3)
                        .unwrap()
                ),
                []
            );
        }
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Media), 3)
                    .unwrap()
            ),
            [EventKind::StreamDown]
        );
        // Still failing: no second stream_down.
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Port), 3)
                    .unwrap()
            ),
            []
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                    .unwrap()
            ),
            [EventKind::StreamUp]
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                    .unwrap()
            ),
            []
        );
        // A failure between successes does not count toward the next run of failures.
        store
            .record_check(t.stream_id, &check(CheckLayer::Media), 2)
            .unwrap();
        store
            .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
            .unwrap();
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Media), 2)
                    .unwrap()
            ),
            []
        );
        // The other camera's stream was never touched.
        assert!(stream_of(&store, "10.0.0.6").up);
    }

    fn an_unreachable_host_is_one_device_offline_and_a_refused_credential_one_auth_changed(
        engine: Engine,
    ) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        let kinds = |e: Vec<StoreEvent>| e.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            []
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            [EventKind::DeviceOffline]
        );
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Host), 2)
                    .unwrap()
            ),
            []
        );
        let d = store.device("10.0.0.5", None).unwrap().unwrap();
        assert_eq!(d.summary.state, DeviceState::Offline);
        // Its stream is not reported down: the device is.
        assert!(stream_of(&store, "10.0.0.5").up);
        assert_eq!(
            kinds(
                store
                    .record_check(t.stream_id, &check(CheckLayer::Ok), 2)
                    .unwrap()
            ),
            [EventKind::DeviceOnline]
        );
        // A refused credential: one auth_changed, and the stream is held until the next scan.
        let u = stream_of(&store, "10.0.0.6");
        assert_eq!(
            kinds(
                store
                    .record_check(u.stream_id, &check(CheckLayer::Auth), 3)
                    .unwrap()
            ),
            [EventKind::AuthChanged]
        );
        let creds = [Credential::new("admin", "12345")];
        assert!(
            !store
                .check_targets(None, &creds)
                .unwrap()
                .iter()
                .any(|t| t.stream_id == u.stream_id)
        );
        store
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert!(
            store
                .check_targets(None, &creds)
                .unwrap()
                .iter()
                .any(|t| t.stream_id == u.stream_id)
        );
    }

    fn checks_kept_per_stream_are_bounded(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        let t = stream_of(&store, "10.0.0.5");
        for _ in 0..(CHECKS_PER_STREAM + 20) {
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 3)
                .unwrap();
        }
        let n: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM checks WHERE stream_id = ?1",
                [t.stream_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, CHECKS_PER_STREAM);
    }

    fn the_outbox_gives_each_sink_its_events_in_order_from_where_it_joined(engine: Engine) {
        let (_d, mut store) = two_cameras(engine);
        // A sink that joins now does not get the history.
        assert_eq!(store.pending("a", 100, 10).unwrap().0, []);
        let t = stream_of(&store, "10.0.0.5");
        for _ in 0..2 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Port), 1)
                .unwrap();
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 1)
                .unwrap();
        }
        let (events, skipped) = store.pending("a", 100, 10).unwrap();
        assert_eq!(skipped, 0);
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        use EventKind::*;
        assert_eq!(kinds, [StreamDown, StreamUp, StreamDown, StreamUp]);
        assert!(events.windows(2).all(|w| w[0].id < w[1].id));
        let n = &events[0];
        assert_eq!(n.schema, NOTICE_SCHEMA);
        assert_eq!(n.device.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(n.device.mac.as_deref(), Some("aa:bb:cc:00:00:01"));
        assert_eq!(
            n.stream.as_deref(),
            Some("rtsp://10.0.0.5:554/Streaming/Channels/101")
        );
        assert_eq!(n.detail["layer"], "port");
        assert_eq!(n.stream_state(), Some(StreamState::Down));
        // Delivered up to the second: the rest stay, across a reopen.
        store.delivered("a", events[1].id).unwrap();
        assert_eq!(store.outbox_depth("a").unwrap(), 2);
        drop(store);
        let mut store = _d.open();
        let (left, _) = store.pending("a", 100, 10).unwrap();
        assert_eq!(left, events[2..]);
        // Over the cap: the oldest are skipped and counted.
        for _ in 0..3 {
            store
                .record_check(t.stream_id, &check(CheckLayer::Port), 1)
                .unwrap();
            store
                .record_check(t.stream_id, &check(CheckLayer::Ok), 1)
                .unwrap();
        }
        let (kept, skipped) = store.pending("a", 3, 10).unwrap();
        assert_eq!((kept.len(), skipped), (3, 5));
        assert_eq!(store.sink_cursor("a").unwrap().dropped, 5);
        assert_eq!(kept.last().unwrap().kind, StreamUp);
    }

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
        c.execute_batch(schema::MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        drop(c);
        let mut store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn
            .query_row("PRAGMA user_version", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::current_version());
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

    fn reverse_dns_answers_are_kept_for_their_time_to_live(engine: Engine) {
        use std::time::{Duration, SystemTime};
        let db = TestDb::new(engine);
        let mut store = db.open();
        let now = SystemTime::now();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        store
            .record_dns(&[
                (ip("198.18.0.11"), Some("cam1.lab".into()), now),
                (ip("198.18.0.12"), None, now - Duration::from_secs(60)),
                // "No name" for longer than its ten minutes: not given back (but kept an hour).
                (ip("198.18.0.13"), None, now - Duration::from_secs(1200)),
                // Older than any time to live: deleted.
                (
                    ip("198.18.0.14"),
                    Some("old".into()),
                    now - Duration::from_secs(7200),
                ),
            ])
            .unwrap();
        let mut got: Vec<(IpAddr, Option<String>)> = store
            .dns_answers()
            .unwrap()
            .into_iter()
            .map(|(ip, name, _)| (ip, name))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (ip("198.18.0.11"), Some("cam1.lab".into())),
                (ip("198.18.0.12"), None)
            ]
        );
        let rows: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM dns_names", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3);
        // A newer answer replaces the older one.
        store.record_dns(&[(ip("198.18.0.11"), None, now)]).unwrap();
        let again = store.dns_answers().unwrap();
        assert!(
            again
                .iter()
                .any(|(i, n, _)| *i == ip("198.18.0.11") && n.is_none()),
            "{again:?}"
        );
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
                } if supported == schema::current_version()
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
        assert!(t.elapsed() < schema::BUSY_TIMEOUT * 3);
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

    /// The credential key the inventory itself holds: `None` once it lives in its key file.
    fn key_in_db(s: &Store) -> Option<Vec<u8>> {
        s.conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'cred_key'",
                params![],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
    }

    /// Put the inventory back as an older camscan left it: its key in `meta.cred_key`.
    fn key_into_db(s: &Store, key: &[u8]) {
        s.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('cred_key', ?1)",
                params![key.to_vec()],
            )
            .unwrap();
    }

    /// An inventory made by an older camscan (its key in `meta`, no key file) has its key moved
    /// to the key file, the very bytes, and deleted from the database; the paths and credential
    /// that worked are still known.
    fn an_older_inventory_moves_its_key_out_and_its_hashes_still_match(engine: Engine) {
        use std::os::unix::fs::PermissionsExt;
        let db = TestDb::new(engine);
        let creds = [Credential::new("admin", "12345")];
        let key = {
            let mut s = db.open();
            assert_eq!(key_in_db(&s), None, "a new inventory keeps no key");
            s.record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &creds,
            )
            .unwrap();
            key_into_db(&s, &s.key);
            s.key.clone()
        };
        std::fs::remove_file(db.key_file()).unwrap();

        let s = db.open();
        assert_eq!(key_in_db(&s), None, "moved out of the inventory");
        assert_eq!(s.key, key);
        assert_eq!(
            cred_key::read(&db.key_file()).unwrap(),
            Some(key.clone()),
            "the key file holds the very bytes"
        );
        let mode = std::fs::metadata(db.key_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(k.credential.as_ref().unwrap().password, "12345");
        assert_eq!(
            k.rtsp_paths[&554],
            vec!["/Streaming/Channels/101".to_string()]
        );
        drop(s);
        if let DbLocation::File(path) = &db.at {
            // Nor are its bytes left anywhere in the file or its log.
            let mut bytes = std::fs::read(path).unwrap();
            bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_slice()),
                "the key's bytes are gone from the inventory file"
            );
        }
        // A move stopped before the row was deleted (the same key in both): finished now.
        let s = db.open();
        key_into_db(&s, &key);
        drop(s);
        let s = db.open();
        assert_eq!((key_in_db(&s), s.key.clone()), (None, key));
    }

    /// The inventory's own key and another in the key file: opening stops, naming both, and
    /// leaves both as they were.
    fn a_key_file_that_differs_from_the_inventorys_key_is_an_error_naming_both(engine: Engine) {
        let db = TestDb::new(engine);
        let s = db.open();
        key_into_db(&s, &[7u8; 32]);
        drop(s);
        let before = std::fs::read(db.key_file()).unwrap();
        let e = db.try_open().err().unwrap();
        assert!(matches!(e, StoreError::KeyMismatch { .. }), "{e:?}");
        let line = e.to_string();
        assert!(
            line.contains(&db.key_file().display().to_string())
                && line.contains("meta.cred_key")
                && line.contains("--credential-key"),
            "{line}"
        );
        assert_eq!(std::fs::read(db.key_file()).unwrap(), before);
        // Given a key file of its own, the inventory moves its key there.
        let own = tempfile::tempdir().unwrap();
        let own = own.path().join("own.key");
        let s = match &db.at {
            DbLocation::File(path) => Store::open_keyed(path, Some(&own)).unwrap(),
            DbLocation::Postgres(t) => Store::open_postgres_keyed(t, Some(&own)).unwrap(),
        };
        assert_eq!(s.key, vec![7u8; 32]);
        assert_eq!(s.key_file(), own.as_path());
        assert_eq!(key_in_db(&s), None);
    }

    /// A copy of the inventory file alone holds no key: opened elsewhere, it makes a key of its
    /// own and none of the stored hashes matches.
    #[test]
    fn a_copied_inventory_has_no_key_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let creds = [Credential::new("admin", "12345")];
        let mut s = Store::open(&path).unwrap();
        s.record_scan(
            &scan(1, true),
            &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
            &creds,
        )
        .unwrap();
        drop(s);
        let elsewhere = tempfile::tempdir().unwrap();
        let copy = elsewhere.path().join("inventory.db");
        std::fs::copy(&path, &copy).unwrap();
        let c = rusqlite::Connection::open(&copy).unwrap();
        let found: Vec<Vec<u8>> = c
            .prepare("SELECT value FROM meta WHERE key='cred_key'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(found.is_empty(), "no key in the copy");
        drop(c);
        let s = Store::open(&copy).unwrap();
        let original = cred_key::read(&cred_key::beside(&path)).unwrap().unwrap();
        assert_ne!(s.key, original);
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(k.credential, None, "the hashes need the original key");
    }

    fn scans_devices_events_and_diff_round_trip(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let creds = [
            Credential::new("admin", "12345"),
            Credential::new("root", "x"),
        ];
        let r1 = s
            .record_scan(
                &scan(1, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert_eq!(kinds(&r1), vec![EventKind::DeviceNew, EventKind::DeviceNew]);
        assert_eq!((r1.new, r1.gone, r1.changed), (2, 0, 0));

        // The stored URL has no credentials.
        let d = s.device("10.0.0.5", None).unwrap().unwrap();
        assert_eq!(
            d.streams[0].url,
            "rtsp://10.0.0.5:554/Streaming/Channels/101"
        );
        assert_eq!(d.summary.key, "mac:aa:bb:cc:00:00:01");
        assert_eq!(d.summary.state, DeviceState::Online);
        assert_eq!(d.streams[0].state, StreamState::Up);
        assert!(d.streams[0].last_verified.is_some());
        let raw: i64 = s
            .conn
            .query_row(
                "SELECT COUNT(*) FROM streams WHERE url LIKE '%12345%' OR username LIKE '%12345%'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(raw, 0);

        // Known: the paths and the credential entry that worked.
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(
            k.rtsp_paths[&554],
            vec!["/Streaming/Channels/101".to_string()]
        );
        assert_eq!(k.credential.as_ref().unwrap().password, "12345");
        assert!(
            s.known("lab", &["10.0.1.0/24".into()], &creds)
                .unwrap()
                .is_empty()
        );
        let changed_pw = [Credential::new("admin", "54321")];
        let k = s.known("lab", &[], &changed_pw).unwrap();
        assert!(
            k[&"10.0.0.5".parse::<IpAddr>().unwrap()]
                .credential
                .is_none()
        );

        // Second scan: .5 moved to .9 with a new size; .6 gone; a new camera.
        let r2 = s
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.9", 1280),
                    camera("aa:bb:cc:00:00:03", "10.0.0.7", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert_eq!(
            kinds(&r2),
            vec![
                EventKind::AddressChanged,
                EventKind::StreamChanged,
                EventKind::DeviceNew,
                EventKind::DeviceOffline
            ]
        );
        assert_eq!((r2.new, r2.gone, r2.changed), (1, 1, 1));
        let moved = s.device("aa:bb:cc:00:00:01", None).unwrap().unwrap();
        assert_eq!(moved.summary.address, Some("10.0.0.9".parse().unwrap()));
        assert_eq!(moved.addresses.len(), 2);
        assert_eq!(moved.streams.len(), 1, "the same stream at the new address");
        assert_eq!(
            moved.streams[0].url,
            "rtsp://10.0.0.9:554/Streaming/Channels/101"
        );
        assert_eq!(
            s.device("10.0.0.5", None).unwrap().unwrap().summary.id,
            moved.summary.id
        );
        let gone = s.device("10.0.0.6", None).unwrap().unwrap();
        assert_eq!(gone.summary.state, DeviceState::Offline);
        assert_eq!(gone.summary.streams_up, 0);

        let offline = s
            .devices(&DeviceQuery {
                state: Some(DeviceState::Offline),
                ..DeviceQuery::default()
            })
            .unwrap();
        assert_eq!(offline.len(), 1);
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 3);
        assert_eq!(
            s.devices(&DeviceQuery {
                vendor: Some("hikv".into()),
                ..DeviceQuery::default()
            })
            .unwrap()
            .len(),
            3
        );

        let ev = s
            .events(&EventQuery {
                device: Some("10.0.0.9".into()),
                ..EventQuery::default()
            })
            .unwrap();
        assert_eq!(
            ev.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![
                EventKind::StreamChanged,
                EventKind::AddressChanged,
                EventKind::DeviceNew
            ],
            "newest first"
        );
        let only = s
            .events(&EventQuery {
                kind: Some(EventKind::DeviceOffline),
                ..EventQuery::default()
            })
            .unwrap();
        assert_eq!(only.len(), 1);
        assert!(matches!(
            s.events(&EventQuery {
                device: Some("10.9.9.9".into()),
                ..EventQuery::default()
            }),
            Err(StoreError::NotFound { .. })
        ));

        let scans = s.scans(None).unwrap();
        assert_eq!(scans.len(), 2);
        assert_eq!(
            (scans[0].id, scans[0].events, scans[0].devices),
            (r2.scan_id, 4, 2)
        );

        let diff = s.diff(None, None, None).unwrap();
        assert_eq!((diff.a.id, diff.b.id), (r1.scan_id, r2.scan_id));
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].address, "10.0.0.7".parse::<IpAddr>().unwrap());
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(
            diff.removed[0].address,
            "10.0.0.6".parse::<IpAddr>().unwrap()
        );
        assert_eq!(diff.changed.len(), 1);
        let fields: Vec<&str> = diff.changed[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(
            fields,
            vec![
                "address",
                "stream rtsp://10.0.0.9:554/Streaming/Channels/101"
            ]
        );
        assert!(!diff.is_empty());
        assert!(
            s.diff(Some(r2.scan_id), Some(r2.scan_id), None)
                .unwrap()
                .is_empty()
        );

        // An interrupted third scan that saw nothing changes nothing.
        let r3 = s
            .record_scan(&scan(3, false), &report(vec![]), &creds)
            .unwrap();
        assert!(r3.events.is_empty());
        assert_eq!(
            s.devices(&DeviceQuery {
                state: Some(DeviceState::Online),
                ..DeviceQuery::default()
            })
            .unwrap()
            .len(),
            2
        );
        // The default diff skips it (the last two complete scans).
        assert_eq!(s.diff(None, None, None).unwrap().b.id, r2.scan_id);

        assert_eq!(s.forget("10.0.0.7", None).unwrap(), 1);
        assert_eq!(s.forget("10.0.0.7", None).unwrap(), 0);
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 2);
    }

    fn an_address_only_device_gains_its_mac_and_an_interrupted_scan_keeps_states(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let mut routed = camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920);
        routed.mac = None;
        routed.discovered_by = vec![DiscoveryMethod::Port];
        let r1 = s
            .record_scan(&scan(1, true), &report(vec![routed]), &[])
            .unwrap();
        let id = r1.events[0].device_id;
        assert_eq!(
            s.device("ip:10.0.0.5", None).unwrap().unwrap().summary.id,
            id
        );

        // Seen on its link: the same device, now known by its MAC.
        let r2 = s
            .record_scan(
                &scan(2, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .unwrap();
        assert!(r2.events.is_empty(), "{:?}", r2.events);
        let d = s.device("mac:aa:bb:cc:00:00:01", None).unwrap().unwrap();
        assert_eq!(
            (d.summary.id, d.summary.key.as_str()),
            (id, "mac:aa:bb:cc:00:00:01")
        );
        assert_eq!(
            s.device("AA-BB-CC-00-00-01", None)
                .unwrap()
                .unwrap()
                .summary
                .id,
            id
        );

        // Ctrl-C while its stream fails: nothing changes.
        let mut failing = camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920);
        failing.streams[0].status = StreamStatus::Error;
        failing.open_ports = vec![];
        let r3 = s
            .record_scan(&scan(3, false), &report(vec![failing]), &[])
            .unwrap();
        assert!(r3.events.is_empty(), "{:?}", r3.events);
        let d = s.device(&id.to_string(), None).unwrap().unwrap();
        assert_eq!(d.summary.state, DeviceState::Online);
        assert_eq!(d.streams[0].state, StreamState::Up);
        assert_eq!(d.streams[0].status, StreamStatus::Ok);
        assert_eq!(d.open_ports, vec![554]);

        // diff from scan 1 alone: to the last complete scan after it (2, not the interrupted 3).
        let diff = s.diff(Some(r1.scan_id), None, None).unwrap();
        assert_eq!(diff.b.id, r2.scan_id);
        assert!(diff.is_empty(), "{diff:?}");
        assert!(matches!(
            s.diff(Some(r2.scan_id), None, None),
            Err(StoreError::NotFound { .. })
        ));
    }

    fn prune_keeps_the_file_bounded(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let old = ScanInfo {
            started_at: "2020-01-01T00:00:00Z".into(),
            finished_at: "2020-01-01T00:01:00Z".into(),
            ..scan(1, true)
        };
        s.record_scan(
            &old,
            &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
            &[],
        )
        .unwrap();
        let now = jiff::Timestamp::now().to_string();
        let recent = ScanInfo {
            started_at: now.clone(),
            finished_at: now,
            targets: vec!["10.0.1.0/24".into()],
            ..scan(1, true)
        };
        s.record_scan(
            &recent,
            &report(vec![camera("aa:bb:cc:00:00:02", "10.0.1.5", 1920)]),
            &[],
        )
        .unwrap();
        let count = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT COUNT(*) FROM texts", params![], |r| r.get(0))
                .unwrap()
        };
        // Shared: info, facts, description; one sighting each.
        assert_eq!(count(&s), 5);
        let p = s.prune(Duration::from_secs(90 * 86400)).unwrap();
        assert_eq!(
            p,
            Pruned {
                scans: 1,
                events: 1,
                addresses: 0,
                devices: 1,
                findings: 0,
            }
        );
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 1);
        assert_eq!(s.scans(None).unwrap().len(), 1);
        assert_eq!(
            count(&s),
            4,
            "the old sighting went, the shared strings stay"
        );
        let d = s.device("10.0.1.5", None).unwrap().unwrap();
        assert_eq!(d.streams[0].video.as_ref().unwrap().width, Some(1920));
    }

    #[test]
    fn scan_info_of_a_report() {
        let mut r = report(vec![]);
        r.started_at = "2026-01-01T00:00:00Z".into();
        r.complete = false;
        r.targets = vec!["10.0.0.0/24".into()];
        let i = ScanInfo::of_report(
            &r,
            "lab",
            &[554],
            &[DiscoveryMethod::Port, DiscoveryMethod::Arp],
        );
        assert_eq!(i.methods, vec!["port", "arp"]);
        assert!(!i.complete);
        assert_eq!(
            (i.targets, i.ports),
            (vec!["10.0.0.0/24".to_string()], vec![554])
        );
    }

    #[test]
    fn names_parse_and_print() {
        assert_eq!(
            "device_offline".parse::<EventKind>(),
            Ok(EventKind::DeviceOffline)
        );
        assert_eq!(EventKind::AuthChanged.as_str(), "auth_changed");
        assert_eq!("ONLINE".parse::<DeviceState>(), Ok(DeviceState::Online));
        assert!(
            "sideways"
                .parse::<DeviceState>()
                .unwrap_err()
                .contains("online, offline")
        );
        assert_eq!(StreamState::Down.to_string(), "down");
        for n in EventKind::NAMES {
            assert_eq!(n.parse::<EventKind>().unwrap().as_str(), *n);
        }
    }
}
