//! Reading the inventory back: devices, one device, events, scans, the difference between two
//! scans (from their snapshots; the comparison itself is pure, [`diff_snapshots`]), what worked
//! last time for a rescan, and the deletions that keep the file bounded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use super::db::{Conn, OptionalExtension, Row, params};

use super::columns::{
    cred_hash, parse_auth, parse_state, parse_status, rfc3339, split_ports, url_path,
};
use super::derive::{Facts, covered_ranges};
use super::identity::normalize_mac;
use super::{
    AddressSeen, Change, DeviceChanges, DeviceQuery, DeviceSummary, DiffDevice, EventKind,
    EventQuery, ScanInfo, ScanSummary, StoreEvent, StreamEntry, StreamRecord, StreamState,
};
use crate::model::Credential;
use crate::model::known::Known;
use crate::model::{Protocol, Service};

pub(crate) fn parse_kind(s: &str) -> Option<EventKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

pub(crate) fn kind_str(k: EventKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

const SUMMARY: &str = "SELECT d.id, d.key, d.state, d.state_since, d.first_seen, d.last_seen, d.ip,
        d.mac, d.vendor, d.model, d.name, COALESCE(s.up, 0), COALESCE(s.total, 0), d.hostname,
        d.is_camera, d.site
    FROM devices d
    LEFT JOIN (SELECT device_id, SUM(CASE WHEN state = 'up' THEN 1 ELSE 0 END) AS up, COUNT(*) AS total FROM streams
               GROUP BY device_id) s ON s.device_id = d.id";

fn summary(r: &Row) -> super::db::Result<DeviceSummary> {
    Ok(DeviceSummary {
        id: r.get(0)?,
        key: r.get(1)?,
        state: parse_state(&r.get::<_, String>(2)?),
        state_since: rfc3339(r.get(3)?),
        first_seen: rfc3339(r.get(4)?),
        last_seen: rfc3339(r.get(5)?),
        address: r.get::<_, Option<String>>(6)?.and_then(|s| s.parse().ok()),
        mac: r.get(7)?,
        vendor: r.get(8)?,
        model: r.get(9)?,
        name: r.get(10)?,
        streams_up: r.get::<_, i64>(11)? as usize,
        streams_total: r.get::<_, i64>(12)? as usize,
        hostname: r.get(13)?,
        is_camera: r.get(14)?,
        site: r.get(15)?,
    })
}

pub(crate) fn devices(conn: &Conn, q: &DeviceQuery) -> super::db::Result<Vec<DeviceSummary>> {
    let sql = format!(
        "{SUMMARY} WHERE (?1 IS NULL OR d.state = ?1) AND (?2 IS NULL OR d.last_seen >= ?2)
           AND (?3 IS NULL OR instr(lower(d.vendor), lower(?3)) > 0)
           AND (?4 = 0 OR d.is_camera <> 0) AND (?5 IS NULL OR d.site = ?5)"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut out: Vec<DeviceSummary> = stmt
        .query_map(
            params![
                q.state.map(super::columns::device_state_str),
                q.since.map(|t| t.as_millisecond()),
                q.vendor,
                q.cameras,
                q.site,
            ],
            summary,
        )?
        .collect::<super::db::Result<_>>()?;
    out.sort_by(|a, b| a.address.cmp(&b.address).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// A page of devices by id: those matching `q` and `text` (a case-insensitive substring of the
/// key, vendor, model, name, host name, MAC or address) with an id above `after`, at most `limit`.
pub(crate) fn devices_page(
    conn: &Conn,
    q: &DeviceQuery,
    text: Option<&str>,
    after: Option<i64>,
    limit: usize,
) -> super::db::Result<Vec<DeviceSummary>> {
    let sql = format!(
        "{SUMMARY} WHERE (?1 IS NULL OR d.state = ?1) AND (?2 IS NULL OR d.last_seen >= ?2)
           AND (?3 IS NULL OR instr(lower(d.vendor), lower(?3)) > 0)
           AND (?4 IS NULL OR instr(lower(d.key || char(31) || COALESCE(d.vendor, '') || char(31)
                 || COALESCE(d.model, '') || char(31) || COALESCE(d.name, '') || char(31)
                 || COALESCE(d.hostname, '') || char(31)
                 || COALESCE(d.mac, '') || char(31) || COALESCE(d.ip, '')), lower(?4)) > 0)
           AND (?5 IS NULL OR d.id > ?5)
           AND (?7 = 0 OR d.is_camera <> 0) AND (?8 IS NULL OR d.site = ?8)
         ORDER BY d.id LIMIT ?6"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(
        params![
            q.state.map(super::columns::device_state_str),
            q.since.map(|t| t.as_millisecond()),
            q.vendor,
            text,
            after,
            limit as i64,
            q.cameras,
            q.site,
        ],
        summary,
    )?
    .collect()
}

/// The device `key` names: an id, an address (its last, else any it had, most recent first), a
/// MAC, or its identity key (`mac:..`, `serial:..`, `uuid:..`, `ip:..`); at `site` when given
/// (addresses and MACs repeat across sites; the most recently seen wins without one).
pub(crate) fn resolve(
    conn: &Conn,
    key: &str,
    site: Option<&str>,
) -> super::db::Result<Option<i64>> {
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

pub(crate) struct DetailParts {
    pub summary: DeviceSummary,
    pub hostname: Option<String>,
    pub firmware: Option<String>,
    pub serial: Option<String>,
    pub ports: Vec<u16>,
    pub services: Vec<Service>,
    pub addresses: Vec<AddressSeen>,
    pub streams: Vec<StreamRecord>,
}

pub(crate) fn detail(conn: &Conn, id: i64) -> super::db::Result<Option<DetailParts>> {
    let Some(summary) = conn
        .query_row(&format!("{SUMMARY} WHERE d.id = ?1"), [id], summary)
        .optional()?
    else {
        return Ok(None);
    };
    let (hostname, firmware, serial, ports, services): (_, _, _, String, Option<String>) = conn
        .query_row(
            "SELECT d.hostname, d.firmware, d.serial, d.ports, t.text FROM devices d
         LEFT JOIN texts t ON t.id = d.services WHERE d.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let mut stmt = conn.prepare(
        "SELECT ip, first_seen, last_seen FROM addresses WHERE device_id = ?1
         ORDER BY last_seen DESC",
    )?;
    let addresses = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?
        .filter_map(|r| match r {
            Ok((ip, f, l)) => ip.parse().ok().map(|ip| {
                Ok(AddressSeen {
                    ip,
                    first_seen: rfc3339(f),
                    last_seen: rfc3339(l),
                })
            }),
            Err(e) => Some(Err(e)),
        })
        .collect::<super::db::Result<_>>()?;
    let mut stmt = conn.prepare(&format!(
        "{STREAM_COLUMNS} WHERE s.device_id = ?1 ORDER BY s.port, s.url"
    ))?;
    let streams = stmt
        .query_map([id], stream_record)?
        .collect::<super::db::Result<_>>()?;
    Ok(Some(DetailParts {
        summary,
        hostname,
        firmware,
        serial,
        ports: split_ports(&ports),
        services: services
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        addresses,
        streams,
    }))
}

/// The columns [`stream_record`] reads, then the stream's id and its device's.
const STREAM_COLUMNS: &str =
    "SELECT s.url, s.protocol, s.port, s.status, s.auth, s.username, t.text,
        s.state, s.state_since, s.first_seen, s.last_seen, s.last_verified, s.measured,
        s.id, s.device_id
    FROM streams s LEFT JOIN texts t ON t.id = s.media";

fn stream_record(r: &Row) -> super::db::Result<StreamRecord> {
    let media: serde_json::Value = r
        .get::<_, Option<String>>(6)?
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default();
    Ok(StreamRecord {
        url: r.get(0)?,
        protocol: serde_json::from_value(serde_json::Value::String(r.get(1)?))
            .unwrap_or(Protocol::Rtsp),
        port: r.get(2)?,
        status: parse_status(&r.get::<_, String>(3)?),
        auth: parse_auth(&r.get::<_, String>(4)?),
        username: r.get(5)?,
        video: serde_json::from_value(media["video"].clone())
            .ok()
            .flatten(),
        audio: serde_json::from_value(media["audio"].clone())
            .ok()
            .flatten(),
        measured: r
            .get::<_, Option<String>>(12)?
            .as_deref()
            .and_then(super::columns::parse_measured),
        state: if r.get::<_, String>(7)? == "up" {
            StreamState::Up
        } else {
            StreamState::Down
        },
        state_since: rfc3339(r.get(8)?),
        first_seen: rfc3339(r.get(9)?),
        last_seen: rfc3339(r.get(10)?),
        last_verified: r.get::<_, Option<i64>>(11)?.map(rfc3339),
    })
}

/// Streams with their ids and their devices', by id: of `device` (any when `None`), in `state`,
/// with an id above `after`, at most `limit`.
pub(crate) fn streams(
    conn: &Conn,
    device: Option<i64>,
    state: Option<StreamState>,
    after: Option<i64>,
    limit: usize,
) -> super::db::Result<Vec<StreamEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{STREAM_COLUMNS} WHERE (?1 IS NULL OR s.device_id = ?1) AND (?2 IS NULL OR s.state = ?2)
           AND (?3 IS NULL OR s.id > ?3)
         ORDER BY s.id LIMIT ?4"
    ))?;
    let state = state.map(|s| match s {
        StreamState::Up => "up",
        StreamState::Down => "down",
    });
    stmt.query_map(params![device, state, after, limit as i64], |r| {
        Ok(StreamEntry {
            id: r.get(13)?,
            device_id: r.get(14)?,
            stream: stream_record(r)?,
        })
    })?
    .collect()
}

fn event_row(r: &Row) -> super::db::Result<StoreEvent> {
    Ok(StoreEvent {
        id: r.get(0)?,
        scan_id: r.get(1)?,
        at: rfc3339(r.get(2)?),
        kind: parse_kind(&r.get::<_, String>(3)?).unwrap_or(EventKind::DeviceNew),
        device_id: r.get(4)?,
        stream_url: r.get(5)?,
        detail: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
        site: r.get(7)?,
    })
}

/// Which credential opened each stream, as group numbers (one per keyed hash, numbered in
/// stream order; the hash itself stays in the store): `(device id, stream URL, group)`, of one
/// site or all.
pub(crate) fn stream_credentials(
    conn: &Conn,
    site: Option<&str>,
) -> super::db::Result<Vec<(i64, String, usize)>> {
    let rows = conn.query_all(
        "SELECT s.device_id, s.url, s.cred FROM streams s JOIN devices d ON d.id = s.device_id
         WHERE s.cred IS NOT NULL AND (?1 IS NULL OR d.site = ?1) ORDER BY s.id",
        params![site],
    )?;
    let mut groups: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let hash: Vec<u8> = r.get(2)?;
        let group = match groups.iter().position(|g| *g == hash) {
            Some(g) => g,
            None => {
                groups.push(hash);
                groups.len() - 1
            }
        };
        out.push((r.get(0)?, r.get(1)?, group));
    }
    Ok(out)
}

/// Events matching `q` (the device already resolved to `device`) with an id below `before`,
/// newest id first: pages that a cursor (the last id of a page) continues exactly.
pub(crate) fn events_by_id(
    conn: &Conn,
    device: Option<i64>,
    q: &EventQuery,
    before: Option<i64>,
) -> super::db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR at >= ?2)
           AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR id < ?4)
           AND (?6 IS NULL OR site = ?6)
         ORDER BY id DESC LIMIT ?5",
    )?;
    let limit = q.limit.map_or(i64::MAX, |l| l as i64);
    stmt.query_map(
        params![
            device,
            q.since.map(|t| t.as_millisecond()),
            q.kind.map(kind_str),
            before,
            limit,
            q.site,
        ],
        event_row,
    )?
    .collect()
}

/// Up to `limit` events with an id above `after`, oldest first (what a live reader missed).
pub(crate) fn events_after(
    conn: &Conn,
    after: i64,
    limit: usize,
) -> super::db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    stmt.query_map(params![after, limit as i64], event_row)?
        .collect()
}

/// The newest event's id (0 when there is none).
pub(crate) fn last_event_id(conn: &Conn) -> super::db::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", params![], |r| {
        r.get(0)
    })
}

/// Events matching `q` (the device already resolved to `device`), newest first.
pub(crate) fn events(
    conn: &Conn,
    device: Option<i64>,
    q: &EventQuery,
) -> super::db::Result<Vec<StoreEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, scan_id, at, kind, device_id, stream_url, detail, site FROM events
         WHERE (?1 IS NULL OR device_id = ?1) AND (?2 IS NULL OR at >= ?2)
           AND (?3 IS NULL OR kind = ?3) AND (?5 IS NULL OR site = ?5)
         ORDER BY at DESC, id DESC LIMIT ?4",
    )?;
    let limit = q.limit.map_or(i64::MAX, |l| l as i64);
    stmt.query_map(
        params![
            device,
            q.since.map(|t| t.as_millisecond()),
            q.kind.map(kind_str),
            limit,
            q.site,
        ],
        event_row,
    )?
    .collect()
}

fn scan_summary(r: &Row) -> super::db::Result<ScanSummary> {
    Ok(ScanSummary {
        id: r.get(0)?,
        scan: ScanInfo {
            started_at: rfc3339(r.get(1)?),
            finished_at: rfc3339(r.get(2)?),
            complete: r.get(3)?,
            site: r.get(10)?,
            targets: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
            ports: split_ports(&r.get::<_, String>(5)?),
            methods: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
            version: r.get(7)?,
        },
        devices: r.get::<_, i64>(8)? as usize,
        events: r.get::<_, i64>(9)? as usize,
    })
}

const SCANS: &str = "SELECT s.id, s.started_at, s.finished_at, s.complete, s.targets, s.ports,
        s.methods, s.version, s.devices,
        s.events, s.site
    FROM scans s";

/// Recorded scans (of `site`, or all), newest first.
pub(crate) fn scans(conn: &Conn, site: Option<&str>) -> super::db::Result<Vec<ScanSummary>> {
    let mut stmt = conn.prepare(&format!(
        "{SCANS} WHERE (?1 IS NULL OR s.site = ?1) ORDER BY s.id DESC"
    ))?;
    stmt.query_map(params![site], scan_summary)?.collect()
}

pub(crate) fn scan(conn: &Conn, id: i64) -> super::db::Result<Option<ScanSummary>> {
    conn.query_row(&format!("{SCANS} WHERE s.id = ?1"), [id], scan_summary)
        .optional()
}

/// The two scans `diff` compares by default (module doc of [`super::Store::diff`]).
/// Both scans are of one site: `site`'s, else the site of the scan given or of the newest.
pub(crate) fn diff_pair(
    conn: &Conn,
    a: Option<i64>,
    b: Option<i64>,
    site: Option<&str>,
) -> super::db::Result<Option<(i64, i64)>> {
    let complete_before = |id: i64| {
        conn.query_row(
            "SELECT id FROM scans WHERE complete <> 0 AND id < ?1
               AND site = (SELECT site FROM scans WHERE id = ?1) ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get::<_, i64>(0),
        )
        .optional()
    };
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some((a, b)),
        (None, Some(b)) => complete_before(b)?.map(|a| (a, b)),
        (Some(a), None) => conn
            .query_row(
                "SELECT id FROM scans WHERE complete <> 0 AND id > ?1
                   AND site = (SELECT site FROM scans WHERE id = ?1) ORDER BY id DESC LIMIT 1",
                [a],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|b| (a, b)),
        (None, None) => {
            let last = conn
                .query_row(
                    "SELECT id FROM scans WHERE complete <> 0 AND (?1 IS NULL OR site = ?1)
                     ORDER BY id DESC LIMIT 1",
                    params![site],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?;
            match last {
                Some(b) => complete_before(b)?.map(|a| (a, b)),
                None => None,
            }
        }
    })
}

/// What one scan saw of one device.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snap {
    pub ip: IpAddr,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub ports: Vec<u16>,
    /// Stream (its URL) to `status facts`.
    pub streams: BTreeMap<String, String>,
}

/// The snapshot of `scan_id`, per device id. Only the texts and streams the scan names are read:
/// a hub's inventory holds every site's.
pub(crate) fn snapshot(conn: &Conn, scan_id: i64) -> super::db::Result<HashMap<i64, Snap>> {
    use std::collections::hash_map::Entry;
    let mut stmt = conn.prepare(
        "SELECT sd.device_id, i.text, s.text FROM scan_devices sd
           LEFT JOIN texts i ON i.id = sd.info LEFT JOIN texts s ON s.id = sd.seen
         WHERE sd.scan_id = ?1",
    )?;
    let rows: Vec<(i64, Option<String>, Option<String>)> = stmt
        .query_map([scan_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<super::db::Result<_>>()?;
    let mut urls: HashMap<i64, Option<String>> = conn
        .prepare(
            "SELECT id, url FROM streams
             WHERE device_id IN (SELECT device_id FROM scan_devices WHERE scan_id = ?1)",
        )?
        .query_map([scan_id], |r| Ok((r.get(0)?, Some(r.get(1)?))))?
        .collect::<super::db::Result<_>>()?;
    // Facts texts by id, read as the scan names them (a site's cameras share a few).
    let mut facts_texts: HashMap<i64, String> = HashMap::new();
    let mut out = HashMap::with_capacity(rows.len());
    for (device, info, seen) in rows {
        let seen = seen.unwrap_or_default();
        let Some(seen) = super::columns::parse_seen(&seen) else {
            continue;
        };
        let Ok(ip) = seen.ip.parse() else { continue };
        let info = info.unwrap_or_default();
        let mut parts = info
            .split('\t')
            .map(|s| (!s.is_empty()).then(|| s.to_string()));
        let (vendor, model, firmware) = (
            parts.next().flatten(),
            parts.next().flatten(),
            parts.next().flatten(),
        );
        let mut map = BTreeMap::new();
        for (id, status, facts) in seen.streams {
            // A stream of another device (seldom: devices merged since) is read by its id.
            if let Entry::Vacant(e) = urls.entry(id) {
                e.insert(
                    conn.prepare_cached("SELECT url FROM streams WHERE id = ?1")?
                        .query_row([id], |r| r.get(0))
                        .optional()?,
                );
            }
            let Some(Some(url)) = urls.get(&id) else {
                continue;
            };
            let facts = match facts {
                Some(fid) => {
                    if let Entry::Vacant(e) = facts_texts.entry(fid) {
                        let text: Option<String> = conn
                            .prepare_cached("SELECT text FROM texts WHERE id = ?1")?
                            .query_row([fid], |r| r.get(0))
                            .optional()?;
                        e.insert(text.unwrap_or_default());
                    }
                    facts_texts.get(&fid).map_or("", String::as_str)
                }
                None => "",
            };
            map.insert(url.clone(), format!("{status} {facts}"));
        }
        out.insert(
            device,
            Snap {
                ip,
                vendor,
                model,
                firmware,
                ports: split_ports(seen.ports),
                streams: map,
            },
        );
    }
    Ok(out)
}

fn diff_device(id: i64, key: &str, s: &Snap) -> DiffDevice {
    DiffDevice {
        device_id: id,
        key: key.to_string(),
        address: s.ip,
        vendor: s.vendor.clone(),
        model: s.model.clone(),
        ports: s.ports.clone(),
        streams: s.streams.keys().cloned().collect(),
    }
}

/// Added, removed and changed devices from snapshot `a` to snapshot `b` (`keys`: device id to
/// identity key), sorted by address.
pub(crate) fn diff_snapshots(
    a: &HashMap<i64, Snap>,
    b: &HashMap<i64, Snap>,
    keys: &HashMap<i64, String>,
) -> (Vec<DiffDevice>, Vec<DiffDevice>, Vec<DeviceChanges>) {
    let key = |id: &i64| keys.get(id).map_or("", String::as_str);
    let mut added: Vec<DiffDevice> = b
        .iter()
        .filter(|(id, _)| !a.contains_key(id))
        .map(|(id, s)| diff_device(*id, key(id), s))
        .collect();
    let mut removed: Vec<DiffDevice> = a
        .iter()
        .filter(|(id, _)| !b.contains_key(id))
        .map(|(id, s)| diff_device(*id, key(id), s))
        .collect();
    let mut changed = Vec::new();
    for (id, before) in a {
        let Some(after) = b.get(id) else { continue };
        let mut changes = Vec::new();
        let mut field = |name: String, x: Option<String>, y: Option<String>| {
            if x != y {
                changes.push(Change {
                    field: name,
                    before: x,
                    after: y,
                });
            }
        };
        field(
            "address".into(),
            Some(before.ip.to_string()),
            Some(after.ip.to_string()),
        );
        field("vendor".into(), before.vendor.clone(), after.vendor.clone());
        field("model".into(), before.model.clone(), after.model.clone());
        field(
            "firmware".into(),
            before.firmware.clone(),
            after.firmware.clone(),
        );
        let ports: BTreeSet<u16> = before.ports.iter().chain(&after.ports).copied().collect();
        for p in ports {
            let open = |s: &Snap| s.ports.contains(&p).then(|| "open".to_string());
            field(format!("port {p}"), open(before), open(after));
        }
        // A stream's URL follows its device's address: compare by the part after the host.
        let rest = |u: &str| super::columns::stream_key(u, 0);
        let bs: BTreeMap<String, (&String, &String)> = before
            .streams
            .iter()
            .map(|(u, v)| (rest(u), (u, v)))
            .collect();
        let as_: BTreeMap<String, (&String, &String)> = after
            .streams
            .iter()
            .map(|(u, v)| (rest(u), (u, v)))
            .collect();
        let skeys: BTreeSet<&String> = bs.keys().chain(as_.keys()).collect();
        for k in skeys {
            let x = bs.get(k);
            let y = as_.get(k);
            if let (Some((_, v)), Some((_, w))) = (x, y)
                && same_stream(v, w)
            {
                continue;
            }
            let url = y.or(x).map(|(u, _)| u.as_str()).unwrap_or_default();
            field(
                format!("stream {url}"),
                x.map(|(_, v)| (*v).clone()),
                y.map(|(_, v)| (*v).clone()),
            );
        }
        if !changes.is_empty() {
            changed.push(DeviceChanges {
                device_id: *id,
                key: key(id).to_string(),
                address: after.ip,
                changes,
            });
        }
    }
    added.sort_by(|x, y| {
        x.address
            .cmp(&y.address)
            .then(x.device_id.cmp(&y.device_id))
    });
    removed.sort_by(|x, y| {
        x.address
            .cmp(&y.address)
            .then(x.device_id.cmp(&y.device_id))
    });
    changed.sort_by(|x, y| {
        x.address
            .cmp(&y.address)
            .then(x.device_id.cmp(&y.device_id))
    });
    (added, removed, changed)
}

/// Two scans' `status facts` of one stream say the same: the same status and the same
/// description by the rule watch's `stream_changed` uses ([`Facts::same`]: a measured rate that
/// moved within 5 % is the same rate).
fn same_stream(a: &str, b: &str) -> bool {
    let (sa, fa) = a.split_once(' ').unwrap_or((a, ""));
    let (sb, fb) = b.split_once(' ').unwrap_or((b, ""));
    sa == sb && (fa == fb || Facts::parse(fa).same(&Facts::parse(fb)))
}

pub(crate) fn device_keys(conn: &Conn) -> super::db::Result<HashMap<i64, String>> {
    conn.prepare("SELECT id, key FROM devices")?
        .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Per last address in `targets` (all when empty), what opened last time.
pub(crate) fn known(
    conn: &Conn,
    key: &[u8],
    site: &str,
    targets: &[String],
    creds: &[Credential],
) -> super::db::Result<HashMap<IpAddr, Known>> {
    let ranges = covered_ranges(targets);
    let by_hash: HashMap<Vec<u8>, &Credential> = creds
        .iter()
        .map(|c| (cred_hash(key, &c.username, &c.password), c))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT d.ip, s.url, s.protocol, s.cred FROM streams s JOIN devices d ON d.id = s.device_id
         WHERE s.status = 'ok' AND s.state = 'up' AND d.state != 'offline' AND d.site = ?1
         ORDER BY s.id",
    )?;
    let mut rows = stmt.query(params![site])?;
    let mut out: HashMap<IpAddr, Known> = HashMap::new();
    while let Some(r) = rows.next()? {
        let device_ip: Option<IpAddr> = r.get::<_, Option<String>>(0)?.and_then(|s| s.parse().ok());
        let url: String = r.get(1)?;
        let protocol: String = r.get(2)?;
        let cred: Option<Vec<u8>> = r.get(3)?;
        let Some((scheme, port, path)) = url_path(&url) else {
            continue;
        };
        let host_ip = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()))
            .and_then(|h| h.parse::<IpAddr>().ok());
        let Some(ip) = host_ip.or(device_ip) else {
            continue;
        };
        if !targets.is_empty() && !ranges.iter().any(|r| r.contains_ip(ip)) {
            continue;
        }
        let entry = out.entry(ip).or_default();
        let list = match (protocol.as_str(), scheme.as_str()) {
            ("rtsp", "rtsp") => entry.rtsp_paths.entry(port).or_default(),
            ("hls" | "dash" | "mjpeg" | "jpeg" | "flv" | "ts", "http" | "https") => {
                entry.http_paths.entry(port).or_default()
            }
            _ => continue,
        };
        if !list.contains(&path) {
            list.push(path);
        }
        if entry.credential.is_none()
            && let Some(c) = cred.and_then(|h| by_hash.get(&h).copied())
            && c.applies_to(ip)
        {
            entry.credential = Some(c.clone());
        }
    }
    out.retain(|_, k| !k.rtsp_paths.is_empty() || !k.http_paths.is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(ip: &str, fw: &str, ports: &[u16], streams: &[(&str, &str)]) -> Snap {
        Snap {
            ip: ip.parse().unwrap(),
            vendor: Some("Hikvision".into()),
            model: Some("DS-2CD2143G2-I".into()),
            firmware: Some(fw.into()),
            ports: ports.to_vec(),
            streams: streams
                .iter()
                .map(|(u, v)| (u.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn diff_of_snapshots() {
        let keys: HashMap<i64, String> = [
            (1, "mac:a".to_string()),
            (2, "mac:b".into()),
            (3, "mac:c".into()),
        ]
        .into();
        let a: HashMap<i64, Snap> = [
            (
                1,
                snap(
                    "10.0.0.5",
                    "V5.7",
                    &[80, 554],
                    &[
                        ("rtsp://10.0.0.5/s1", "ok h264 1920x1080 25 -"),
                        ("rtsp://10.0.0.5/s2", "ok h264 640x360 15 -"),
                    ],
                ),
            ),
            (2, snap("10.0.0.6", "V1", &[554], &[])),
        ]
        .into();
        let b: HashMap<i64, Snap> = [
            (
                1,
                snap(
                    "10.0.0.9",
                    "V5.8",
                    &[554, 8000],
                    &[("rtsp://10.0.0.9/s1", "ok h264 1280x720 25 -")],
                ),
            ),
            (3, snap("10.0.0.7", "V1", &[554], &[])),
        ]
        .into();
        let (added, removed, changed) = diff_snapshots(&a, &b, &keys);
        assert_eq!(added.len(), 1);
        assert_eq!((added[0].device_id, added[0].key.as_str()), (3, "mac:c"));
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].device_id, 2);
        assert_eq!(changed.len(), 1);
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = changed[0]
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("address", Some("10.0.0.5"), Some("10.0.0.9")),
                ("firmware", Some("V5.7"), Some("V5.8")),
                ("port 80", Some("open"), None),
                ("port 8000", None, Some("open")),
                (
                    "stream rtsp://10.0.0.9/s1",
                    Some("ok h264 1920x1080 25 -"),
                    Some("ok h264 1280x720 25 -")
                ),
                (
                    "stream rtsp://10.0.0.5/s2",
                    Some("ok h264 640x360 15 -"),
                    None
                ),
            ]
        );
        // The same snapshot twice: nothing.
        let (x, y, z) = diff_snapshots(&a, &a, &keys);
        assert!(x.is_empty() && y.is_empty() && z.is_empty());
    }

    #[test]
    fn a_measured_rate_that_jitters_is_no_change_and_a_real_one_is() {
        let keys: HashMap<i64, String> = [(1, "ip:10.0.0.5".to_string())].into();
        let at = |v: &str| -> HashMap<i64, Snap> {
            [(
                1,
                snap("10.0.0.5", "V1", &[80], &[("http://10.0.0.5/mjpg", v)]),
            )]
            .into()
        };
        // What main's diff showed of VLC's MJPEG scanned twice (4.97 then 5.01 fps).
        let a = at("ok mjpeg 320x240 4.97 -");
        for quiet in ["ok mjpeg 320x240 5.01 -", "ok mjpeg 320x240 5.02 -"] {
            let (_, _, z) = diff_snapshots(&a, &at(quiet), &keys);
            assert!(z.is_empty(), "{quiet}: {z:?}");
        }
        for loud in [
            "ok mjpeg 320x240 15 -",
            "ok mjpeg 640x480 4.97 -",
            "ok h264 320x240 4.97 -",
            "auth_required mjpeg 320x240 4.97 -",
            "ok - - - -",
        ] {
            let (_, _, z) = diff_snapshots(&a, &at(loud), &keys);
            assert_eq!(z.len(), 1, "{loud}");
            assert_eq!(z[0].changes[0].after.as_deref(), Some(loud));
        }
    }
}
