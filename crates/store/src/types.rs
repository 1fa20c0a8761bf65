//! What every topic of the store speaks: its error, an event and its kind, and the states of
//! devices and streams (spelled as serde spells them). The topics' own queries and answers sit
//! with their topic (`devices`, `scans`, ...); these are here because every topic, `columns` and
//! the pure rules of `scans::derive` use them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    /// again cannot help: the agent stops (`error::exit::HUB_REFUSED`).
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
    /// What the device can do changed between two complete scans that both asked: talk-back,
    /// PTZ, events or autotracking readiness (`store::scans::derive::capability_change`).
    CapabilitiesChanged,
    /// An audit found a finding that was not open (`store::findings`).
    FindingNew,
    /// An audit no longer found an open finding of a device it judged.
    FindingResolved,
    /// `watch --push` added or updated the camera in a tool (Frigate, go2rtc, MediaMTX).
    Pushed,
    /// `watch --push`: the tool refused the camera, or did not hold it when read back.
    PushFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    Online,
    Offline,
    Unknown,
}

/// `devices --state`'s names: serde's.
impl input::choice::Choice for DeviceState {
    fn choices() -> &'static [Self] {
        &[
            DeviceState::Online,
            DeviceState::Offline,
            DeviceState::Unknown,
        ]
    }

    fn choice(self) -> &'static str {
        match self {
            DeviceState::Online => "online",
            DeviceState::Offline => "offline",
            DeviceState::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// It plays: media came from it (the scan's PLAY check, or a check of `watch`).
    Up,
    /// Its server answers for it, and no media was received (not checked, `--no-verify`, or the
    /// PLAY check got none): not known to play.
    Unverified,
    /// Its server answers and refuses camscan: a login is needed and none was given, every login
    /// tried was refused, or the device locked it.
    Refused,
    /// Its server does not answer for it.
    Down,
}

impl StreamState {
    /// Its server answers for it (every state but `down`): what `stream_up` and `stream_down`
    /// events follow, so a stream whose PLAY check once got no media is no outage.
    pub fn answers(self) -> bool {
        self != StreamState::Down
    }

    /// The state the inventory's readers give a stored stream (`show`, its JSON): the stored
    /// one, except a stream taken `down` with its device (gone offline) whose last scan found
    /// it refusing camscan: no check looks at such a stream between scans (checks play the
    /// streams that opened), so once its device is online again it is what that scan found,
    /// `refused` ([`StreamState::of`]; `show` said "down (auth_required)").
    pub fn shown(self, status: model::StreamStatus, device: DeviceState) -> StreamState {
        let refused = StreamState::of(status, false) == StreamState::Refused;
        if self == StreamState::Down && refused && device == DeviceState::Online {
            StreamState::Refused
        } else {
            self
        }
    }

    /// The state of a stream of a scan, from its status and whether media came.
    pub fn of(status: model::StreamStatus, verified: bool) -> StreamState {
        use model::StreamStatus;
        match status {
            StreamStatus::Ok | StreamStatus::Unverified if verified => StreamState::Up,
            StreamStatus::Ok | StreamStatus::Unverified => StreamState::Unverified,
            StreamStatus::AuthRequired | StreamStatus::AuthFailed | StreamStatus::AuthLocked => {
                StreamState::Refused
            }
            StreamStatus::NotFound | StreamStatus::Error => StreamState::Down,
        }
    }
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
        "capabilities_changed",
        "finding_new",
        "finding_resolved",
        "pushed",
        "push_failed",
    ];
}

impl DeviceState {
    pub const NAMES: &'static [&'static str] = &["online", "offline", "unknown"];
}

impl StreamState {
    pub const NAMES: &'static [&'static str] = &["up", "unverified", "refused", "down"];
}

spelled!(EventKind);
spelled!(DeviceState);
spelled!(StreamState);

#[cfg(test)]
mod tests {
    use super::*;

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
        // A refused stream taken down with its device is refused again once the device is back.
        use model::StreamStatus;
        let back = |stored: StreamState, status, device| stored.shown(status, device);
        assert_eq!(
            back(
                StreamState::Down,
                StreamStatus::AuthRequired,
                DeviceState::Online
            ),
            StreamState::Refused
        );
        assert_eq!(
            back(
                StreamState::Down,
                StreamStatus::AuthFailed,
                DeviceState::Offline
            ),
            StreamState::Down,
            "its device is still away"
        );
        assert_eq!(
            back(StreamState::Down, StreamStatus::Ok, DeviceState::Online),
            StreamState::Down,
            "a checked stream that stopped playing stays down"
        );
        assert_eq!(
            back(StreamState::Up, StreamStatus::Ok, DeviceState::Online),
            StreamState::Up
        );
        for n in EventKind::NAMES {
            assert_eq!(n.parse::<EventKind>().unwrap().as_str(), *n);
        }
    }
}
