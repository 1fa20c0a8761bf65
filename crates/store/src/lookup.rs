//! Which stored device a person's key names (`camscan show KEY`, `camscan history KEY`,
//! `camscan forget KEY`, `GET /api/v1/devices/{id}`, a finding's device): an id, an address (its
//! last, else any it had), a MAC in any common spelling, or its identity key, at a site when
//! given. The topics that take a device key (`devices`, `events`, `findings`) resolve it here, so
//! they all read a key the same way.

use std::net::IpAddr;

use super::db::{self, Conn, OptionalExtension, params};
use super::{Store, StoreError};
use model::identity::normalize_mac;

impl Store {
    /// The id of the device `key` (an id, address or MAC) names at `site`, if known.
    pub fn device_id(&self, key: &str, site: Option<&str>) -> Result<Option<i64>, StoreError> {
        resolve(&self.conn, key, site).map_err(|e| self.err(e))
    }
}

/// The device `key` names: an id, an address (its last, else any it had, most recent first), a
/// MAC, or its identity key (`mac:..`, `serial:..`, `uuid:..`, `ip:..`); at `site` when given
/// (addresses and MACs repeat across sites; the most recently seen wins without one).
pub(crate) fn resolve(conn: &Conn, key: &str, site: Option<&str>) -> db::Result<Option<i64>> {
    let key = key.trim();
    if let Ok(id) = key.parse::<i64>() {
        return conn
            .query_row("SELECT id FROM devices WHERE id = ?1", [id], |r| r.get(0))
            .optional();
    }
    if let Ok(ip) = key.parse::<IpAddr>() {
        let ip = ip.to_string();
        let last = conn
            .query_row(
                "SELECT id FROM devices WHERE ip = ?1 AND (?2 IS NULL OR site = ?2)
                 ORDER BY last_seen DESC LIMIT 1",
                params![ip, site],
                |r| r.get(0),
            )
            .optional()?;
        if last.is_some() {
            return Ok(last);
        }
        return conn
            .query_row(
                "SELECT a.device_id FROM addresses a JOIN devices d ON d.id = a.device_id
                 WHERE a.ip = ?1 AND (?2 IS NULL OR d.site = ?2)
                 ORDER BY a.last_seen DESC LIMIT 1",
                params![ip, site],
                |r| r.get(0),
            )
            .optional();
    }
    if let Some(mac) = normalize_mac(key) {
        return conn
            .query_row(
                "SELECT id FROM devices WHERE mac = ?1 AND (?2 IS NULL OR site = ?2)
                 ORDER BY last_seen DESC LIMIT 1",
                params![mac, site],
                |r| r.get(0),
            )
            .optional();
    }
    conn.query_row(
        "SELECT id FROM devices WHERE key = ?1 AND (?2 IS NULL OR site = ?2)
         ORDER BY last_seen DESC LIMIT 1",
        params![key, site],
        |r| r.get(0),
    )
    .optional()
}
