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

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::analyze::context::Known;
use crate::credentials::Credential;
use crate::model::{
    AudioInfo, AuthScheme, Measured, Protocol, Report, Service, StreamStatus, VideoInfo,
};

/// An open inventory database.
pub struct Store {
    conn: rusqlite::Connection,
    path: PathBuf,
}

/// Why the inventory could not be opened or written. `Display` is one line naming the file and
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: not an SQLite database; give another --db path (or --no-db), or move this file away", path.display())]
    NotSqlite { path: PathBuf },
    #[error("{}: written by a newer camscan (schema version {found}, this camscan knows up to {supported}); upgrade camscan or give another --db", path.display())]
    Newer {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{}: locked by another process (another camscan writing it?); try again when it is done, or give another --db", path.display())]
    Locked { path: PathBuf },
    #[error("{}: damaged database ({detail}); move it away to start a new inventory", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A scan or device the caller named is not in the inventory, or a diff lacks scans.
    #[error("{}: {what}", path.display())]
    NotFound { path: PathBuf, what: String },
}

/// One scan as the store records it (the [`Report`] carries the devices).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanInfo {
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// `false` for an interrupted scan: it derives no offline and no gone.
    pub complete: bool,
    /// The target specifications as given (addresses, CIDRs, ranges; host names cover nothing).
    pub targets: Vec<String>,
    /// TCP ports probed. Empty = port probes off.
    pub ports: Vec<u16>,
    /// Discovery methods that ran, as [`crate::model::DiscoveryMethod`] spells them (`port`,
    /// `arp`, `onvif`, `ssdp`, `sadp`, `dhip`).
    pub methods: Vec<String>,
    /// camscan version.
    pub version: String,
}

/// What [`Store::record_scan`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    pub scan_id: i64,
    pub events: Vec<StoreEvent>,
    /// Devices never seen before.
    pub new: usize,
    /// Devices that went offline with this scan.
    pub gone: usize,
    /// Devices seen before with any other event.
    pub changed: usize,
}

/// One thing that changed, as the store derived it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreEvent {
    pub id: i64,
    pub scan_id: Option<i64>,
    /// RFC 3339.
    pub at: String,
    pub kind: EventKind,
    pub device_id: i64,
    pub stream_url: Option<String>,
    /// What changed: `{"before": .., "after": ..}` or the facts of the kind.
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DeviceNew,
    DeviceOffline,
    DeviceOnline,
    AddressChanged,
    FirmwareChanged,
    IdentityChanged,
    PortOpened,
    PortClosed,
    StreamNew,
    StreamGone,
    StreamDown,
    StreamUp,
    StreamChanged,
    AuthChanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Online,
    Offline,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    Up,
    Down,
}

/// Filters of [`Store::devices`]; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    pub state: Option<DeviceState>,
    /// Seen at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Case-insensitive substring of the vendor.
    pub vendor: Option<String>,
}

/// One line of `camscan devices`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceSummary {
    pub id: i64,
    /// The identity the device is known by: `mac:..`, `serial:..`, `onvif:..`, `upnp:..` or `ip:..`.
    pub key: String,
    pub state: DeviceState,
    /// RFC 3339: when the state began.
    pub state_since: String,
    pub first_seen: String,
    pub last_seen: String,
    pub address: Option<IpAddr>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub name: Option<String>,
    pub streams_up: usize,
    pub streams_total: usize,
}

/// An address a device had, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressSeen {
    pub ip: IpAddr,
    pub first_seen: String,
    pub last_seen: String,
}

/// A stream as the store remembers it. The URL never carries credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamRecord {
    pub url: String,
    pub protocol: Protocol,
    pub port: u16,
    pub status: StreamStatus,
    pub auth: AuthScheme,
    pub username: Option<String>,
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
    pub measured: Option<Measured>,
    pub state: StreamState,
    pub state_since: String,
    pub first_seen: String,
    pub last_seen: String,
    /// RFC 3339: the last time media packets were received from it.
    pub last_verified: Option<String>,
}

/// Everything known about one device (`camscan show`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceDetail {
    #[serde(flatten)]
    pub summary: DeviceSummary,
    pub hostname: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub addresses: Vec<AddressSeen>,
    pub open_ports: Vec<u16>,
    pub services: Vec<Service>,
    pub streams: Vec<StreamRecord>,
    /// Newest first.
    pub events: Vec<StoreEvent>,
}

/// Filters of [`Store::events`]; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Device id, address or MAC.
    pub device: Option<String>,
    pub since: Option<jiff::Timestamp>,
    pub kind: Option<EventKind>,
    pub limit: Option<usize>,
}

/// One recorded scan (`camscan scans`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub targets: Vec<String>,
    pub ports: Vec<u16>,
    pub methods: Vec<String>,
    pub version: String,
    /// Devices the scan saw.
    pub devices: usize,
    /// Events it derived.
    pub events: usize,
}

/// What differs between two scans (`camscan diff`), in the spirit of nmap's ndiff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub a: ScanSummary,
    pub b: ScanSummary,
    pub added: Vec<DiffDevice>,
    pub removed: Vec<DiffDevice>,
    pub changed: Vec<DeviceChanges>,
}

/// A device as one scan saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffDevice {
    pub device_id: i64,
    pub key: String,
    pub address: IpAddr,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub ports: Vec<u16>,
    pub streams: Vec<String>,
}

/// A device both scans saw, and what differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceChanges {
    pub device_id: i64,
    pub key: String,
    pub address: IpAddr,
    pub changes: Vec<Change>,
}

/// One difference: `field` is `address`, `firmware`, `vendor`, `model`, `port 554` or
/// `stream rtsp://..`; `before`/`after` are `None` for what was absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What [`Store::prune`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    pub scans: usize,
    pub events: usize,
    pub addresses: usize,
    pub devices: usize,
}

impl Diff {
    /// Nothing added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl Store {
    /// Open (or create: mode 0600, parent directories made) the inventory at `path`, migrate it
    /// to the current schema, WAL on, foreign keys on. Fails with one clear [`StoreError`] on a
    /// file that is not SQLite, is damaged, is newer than this camscan or is locked: call it before
    /// a scan starts.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let _ = path;
        unimplemented!()
    }

    /// `$XDG_STATE_HOME/camscan/inventory.db`, else `~/.local/state/camscan/inventory.db`.
    pub fn default_path() -> Option<PathBuf> {
        unimplemented!()
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record one scan in one transaction and derive its events (only what this scan may judge:
    /// see the offline rules in the module doc). `creds` are the credentials the scan tried: the
    /// one whose user opened a stream is remembered by keyed hash, never in clear.
    pub fn record_scan(
        &mut self,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let _ = (scan, report, creds, &self.conn);
        unimplemented!()
    }

    /// For a scan of `targets` (address, CIDR or range specifications; empty = everything): per
    /// device's last address, the stream paths that worked per port and the entry of `creds`
    /// that worked last time.
    pub fn known(
        &self,
        targets: &[String],
        creds: &[Credential],
    ) -> Result<HashMap<IpAddr, Known>, StoreError> {
        let _ = (targets, creds);
        unimplemented!()
    }

    pub fn devices(&self, q: &DeviceQuery) -> Result<Vec<DeviceSummary>, StoreError> {
        let _ = q;
        unimplemented!()
    }

    /// One device by id, address (last or any earlier) or MAC.
    pub fn device(&self, key: &str) -> Result<Option<DeviceDetail>, StoreError> {
        let _ = key;
        unimplemented!()
    }

    /// Events, newest first.
    pub fn events(&self, q: &EventQuery) -> Result<Vec<StoreEvent>, StoreError> {
        let _ = q;
        unimplemented!()
    }

    /// Recorded scans, newest first.
    pub fn scans(&self) -> Result<Vec<ScanSummary>, StoreError> {
        unimplemented!()
    }

    /// Differences from scan `a` to scan `b`; by default the last two complete scans (`b`
    /// alone: the complete scan before it; `a` alone: the last complete scan after it).
    pub fn diff(&self, a: Option<i64>, b: Option<i64>) -> Result<Diff, StoreError> {
        let _ = (a, b);
        unimplemented!()
    }

    /// Delete one device (by id, address or MAC) with its history; returns the devices deleted.
    pub fn forget(&mut self, key: &str) -> Result<usize, StoreError> {
        let _ = key;
        unimplemented!()
    }

    /// Delete scans, events and address history older than `older_than`, and devices not seen
    /// since.
    pub fn prune(&mut self, older_than: Duration) -> Result<Pruned, StoreError> {
        let _ = older_than;
        unimplemented!()
    }
}
