//! What the store's interface speaks: its error, the scan it records and what recording it
//! gave, its events and the states of devices and streams (spelled as serde spells them), the
//! queries and what they return (devices, one device, scans, a diff, what pruning removed).
//! Plain serde data over the model; `Store`'s methods (in `mod.rs`) take and return these.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{
    AudioInfo, AuthScheme, Measured, Protocol, Report, Service, StreamStatus, VideoInfo,
};

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
        source: super::db::DbError,
    },
    /// The PostgreSQL server could not be reached (down, wrong address, a firewall, TLS refused).
    #[error("{}: cannot reach the PostgreSQL server ({detail}); is it running, and are --db's host and port right?", path.display())]
    Unreachable { path: PathBuf, detail: String },
    /// The PostgreSQL server refused the login.
    #[error("{}: the PostgreSQL server refused the login ({detail}); check the user and the password ({source_hint})", path.display())]
    Login {
        path: PathBuf,
        detail: String,
        /// Where the password came from, or what camscan looked at.
        source_hint: String,
    },
    /// The PostgreSQL server answered a statement with an error.
    #[error("{}: PostgreSQL: {detail}", path.display())]
    Postgres { path: PathBuf, detail: String },
    /// The hub refused this site's agent: another inventory holds the site's name, the hub holds
    /// more of the site than this inventory has sent, or the login is another site's. Sending
    /// again cannot help: the agent stops ([`crate::error::exit::HUB_REFUSED`]).
    #[error("{}: {detail}", path.display())]
    SiteRefused { path: PathBuf, detail: String },
    /// A scan or device the caller named is not in the inventory, or a diff lacks scans.
    #[error("{}: {what}", path.display())]
    NotFound { path: PathBuf, what: String },
    /// The key file of the credential hashes cannot be read or made.
    #[error("{}: credential key: {source}", path.display())]
    CredentialKey {
        path: PathBuf,
        #[source]
        source: super::cred_key::KeyError,
    },
    /// The inventory still holds a credential key (an older camscan's) and the key file holds
    /// another.
    #[error("{}: the inventory holds a credential key (meta.cred_key, from an older camscan) that differs from the one in {}; one of them belongs to another inventory. Give this inventory its own key file with --credential-key FILE (a file that does not exist yet receives the inventory's key), or move {} away if it is not needed", path.display(), key_file.display(), key_file.display())]
    KeyMismatch { path: PathBuf, key_file: PathBuf },
    /// A PostgreSQL inventory and no place for its key file.
    #[error("{}: no place for the credential key file: neither XDG_CONFIG_HOME nor HOME is set; give --credential-key FILE", path.display())]
    NoKeyPlace { path: PathBuf },
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
    /// The site it was run at (`--site`): identity, offline and events are per site.
    pub site: String,
    /// The target specifications as given (addresses, CIDRs, ranges; host names cover nothing).
    pub targets: Vec<String>,
    /// TCP ports probed. Empty = port probes off.
    pub ports: Vec<u16>,
    /// Discovery methods that ran, as [`crate::model::DiscoveryMethod`] spells them (`port`,
    /// `arp`, `onvif`, `ssdp`, `sadp`, `dhip`, `mdns`).
    pub methods: Vec<String>,
    /// camscan version.
    pub version: String,
}

impl ScanInfo {
    /// The scan of `report` (times, completeness, targets, version from the report), which
    /// probed `ports` with the discovery `methods` that ran.
    pub fn of_report(
        report: &Report,
        site: &str,
        ports: &[u16],
        methods: &[crate::model::DiscoveryMethod],
    ) -> ScanInfo {
        ScanInfo {
            started_at: report.started_at.clone(),
            finished_at: report.finished_at.clone(),
            complete: report.complete,
            site: site.to_string(),
            targets: report.targets.clone(),
            ports: ports.to_vec(),
            methods: methods
                .iter()
                .map(|m| super::columns::method_name(*m).to_string())
                .collect(),
            version: report.camscan_version.clone(),
        }
    }
}

/// What [`Store::record_scan`](super::Store::record_scan) did.
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
    /// The site of the device.
    pub site: String,
    /// RFC 3339.
    pub at: String,
    pub kind: EventKind,
    pub device_id: i64,
    pub stream_url: Option<String>,
    /// What changed: `{"before": .., "after": ..}` or the facts of the kind.
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// An audit found a finding that was not open (`store::findings`).
    FindingNew,
    /// An audit no longer found an open finding of a device it judged.
    FindingResolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Online,
    Offline,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    Up,
    Down,
}

/// Filters of [`Store::devices`](super::Store::devices); `None` = any.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    pub state: Option<DeviceState>,
    /// Seen at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Case-insensitive substring of the vendor.
    pub vendor: Option<String>,
    /// Cameras only (devices camscan found to be a camera or to serve a stream).
    pub cameras: bool,
    /// Of this site only.
    pub site: Option<String>,
}

/// One line of `camscan devices`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceSummary {
    pub id: i64,
    /// The site it is at (identity is per site).
    pub site: String,
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
    /// The best host name (user's, DNS, mDNS): what a person reads when there is no label.
    pub hostname: Option<String>,
    /// A camera, NVR or video server (or any device serving a stream).
    pub is_camera: bool,
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

impl StreamRecord {
    /// The stream as the scan model describes it, for the model's main-stream ranking
    /// ([`crate::model::stream_rank`]): verified once media was received from it.
    pub fn as_model(&self) -> crate::model::Stream {
        let mut s = crate::model::Stream::new(self.url.clone(), self.protocol, self.port);
        s.status = self.status;
        s.auth = self.auth;
        s.verified = self.last_verified.is_some();
        s.video.clone_from(&self.video);
        s.measured.clone_from(&self.measured);
        s
    }
}

/// A stream with its id and its device's (the API's `GET /api/v1/streams`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamEntry {
    pub id: i64,
    pub device_id: i64,
    #[serde(flatten)]
    pub stream: StreamRecord,
}

/// Everything known about one device (`camscan show`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceDetail {
    #[serde(flatten)]
    pub summary: DeviceSummary,
    /// The summary's `hostname` (the same column): serialised once, by the summary.
    #[serde(skip)]
    pub hostname: Option<String>,
    /// The URL of its main stream, by the one ranking of every output ([`crate::model::stream_rank`]):
    /// verified video by picture size, then MJPEG, then snapshots. `streams` lists it first.
    pub main_stream: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub addresses: Vec<AddressSeen>,
    pub open_ports: Vec<u16>,
    pub services: Vec<Service>,
    pub streams: Vec<StreamRecord>,
    /// Newest first.
    pub events: Vec<StoreEvent>,
}

/// Filters of [`Store::events`](super::Store::events); `None` = any.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Device id, address or MAC.
    pub device: Option<String>,
    pub since: Option<jiff::Timestamp>,
    pub kind: Option<EventKind>,
    pub limit: Option<usize>,
    /// Of this site only (and the device, when named, is looked up at it).
    pub site: Option<String>,
}

/// One site of the inventory at a glance (`GET /api/v1/sites`): what it holds, its health, when
/// it was last scanned and when its agent was last heard from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteSummary {
    pub name: String,
    pub devices: usize,
    pub cameras: usize,
    pub online: usize,
    pub offline: usize,
    pub streams_up: usize,
    pub streams_down: usize,
    /// RFC 3339: the newest scan's end.
    pub last_scan: Option<String>,
    /// RFC 3339: the last time its agent reached the hub (`None`: no agent sends to this
    /// inventory for it, as at a site's own inventory).
    pub last_contact: Option<String>,
    /// Who sent it (`camscan 0.1.0 on HOST`).
    pub agent: Option<String>,
}

/// One recorded scan (`camscan scans`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    /// What the scan was (its fields sit beside `id` in JSON and YAML).
    #[serde(flatten)]
    pub scan: ScanInfo,
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

/// What [`Store::prune`](super::Store::prune) deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    pub scans: usize,
    pub events: usize,
    pub addresses: usize,
    pub devices: usize,
    /// Findings resolved before the cutoff.
    pub findings: usize,
}

/// `as_str` and `FromStr` in the serde spelling (`device_new`, `online`, `up`), for filters.
macro_rules! spelled {
    ($t:ty) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(s)) => {
                        Self::NAMES.iter().find(|n| **n == s).copied().unwrap_or("")
                    }
                    _ => "",
                }
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase()))
                    .map_err(|_| format!("{s:?}: expected one of {}", Self::NAMES.join(", ")))
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

impl EventKind {
    pub const NAMES: &'static [&'static str] = &[
        "device_new",
        "device_offline",
        "device_online",
        "address_changed",
        "firmware_changed",
        "identity_changed",
        "port_opened",
        "port_closed",
        "stream_new",
        "stream_gone",
        "stream_down",
        "stream_up",
        "stream_changed",
        "auth_changed",
        "finding_new",
        "finding_resolved",
    ];
}

impl DeviceState {
    pub const NAMES: &'static [&'static str] = &["online", "offline", "unknown"];
}

impl StreamState {
    pub const NAMES: &'static [&'static str] = &["up", "down"];
}

spelled!(EventKind);
spelled!(DeviceState);
spelled!(StreamState);

impl Diff {
    /// Nothing added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}
