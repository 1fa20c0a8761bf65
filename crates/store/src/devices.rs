//! Devices as the inventory knows them: the list (`camscan devices`) and its pages by id (`GET
//! /api/v1/devices`), one device with its addresses, ports, services, streams and events
//! (`camscan show`), forgetting one, and its availability over a window of time, as the web page
//! draws it (online and offline spans from its `device_new`/`device_online`/`device_offline`
//! events).
//!
//! The spans are a pure function of the events ([`spans`], unit-tested below), so the page and
//! any other client read the same answer instead of each re-deriving it from the event list.
//! Which device a key names is `lookup`'s; a device's newest whole description is `reports`'.

use std::net::IpAddr;

use serde::Serialize;

use super::columns::{parse_state, rfc3339, split_ports};
use super::db::{self, Conn, OptionalExtension, Row, params};
use super::events::{self, EventQuery};
use super::streams::{STREAM_COLUMNS, StreamRecord, stream_record};
use super::{DeviceState, Store, StoreError, StoreEvent, lookup, reports};
use model::{Report, Service};

/// Filters of [`Store::devices`]; `None` = any.
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

/// [`Store::misaddressed_known`]: the stored descriptions that name a `misaddressed` sighting
/// (a text search first, then the JSON read).
fn misaddressed_known(conn: &Conn, site: &str) -> db::Result<Vec<model::known::KnownMisaddressed>> {
    let mut stmt = conn.prepare(
        "SELECT r.json FROM device_reports r JOIN devices d ON d.id = r.device_id
         WHERE d.site = ?1 AND r.json LIKE '%\"misaddressed\"%'",
    )?;
    let rows = stmt.query_map(params![site], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for json in rows {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&json?) else {
            continue;
        };
        let Ok(m) = serde_json::from_value::<model::Misaddressed>(v["misaddressed"].clone()) else {
            continue;
        };
        let known = model::known::KnownMisaddressed {
            ip: m.address,
            interface: m.interface,
        };
        if !out.contains(&known) {
            out.push(known);
        }
    }
    Ok(out)
}

fn given_names(conn: &Conn, site: &str) -> db::Result<Vec<model::known::GivenName>> {
    // The ledger of `camscan push` (channel 1 is the device's base name). A fleet site's role has
    // no grant on it: then there is nothing to fall back on, which is no error.
    let mut pushed: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    let ledger = conn.prepare(
        "SELECT device_id, name FROM pushes WHERE channel = 1 AND tool IN ('frigate', 'go2rtc')
         ORDER BY written_at DESC",
    );
    if let Ok(mut stmt) = ledger
        && let Ok(rows) = stmt.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))
    {
        // Newest first: a device's newest name wins.
        for (id, name) in rows.flatten() {
            pushed.entry(id).or_insert(name);
        }
    }
    let mut stmt = conn.prepare(
        "SELECT id, mac, serial_key, vendor, uuid, ip, last_seen, camera_name FROM devices
         WHERE site = ?1",
    )?;
    let rows = stmt.query_map(params![site], |r| {
        let vendor: Option<String> = r.get(3)?;
        Ok((
            r.get::<_, i64>(0)?,
            model::known::GivenName {
                identity: model::identity::Identity {
                    mac: r.get(1)?,
                    serial: r.get(2)?,
                    vendor: vendor.map(|v| v.to_ascii_lowercase()),
                    uuid: r.get(4)?,
                },
                ip: r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()),
                last_seen: r.get(6)?,
                name: String::new(),
            },
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, mut given, name) = row?;
        if let Some(name) = name.or_else(|| pushed.remove(&id)) {
            given.name = name;
            out.push(given);
        }
    }
    Ok(out)
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
    /// The names camscan pushed its cameras under, each `tool:name` (`frigate:front_door`), in
    /// order; omitted when none (`camscan push`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pushed: Vec<String>,
}

/// An address a device had, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressSeen {
    pub ip: IpAddr,
    pub first_seen: String,
    pub last_seen: String,
}

/// Everything known about one device (`camscan show`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceDetail {
    #[serde(flatten)]
    pub summary: DeviceSummary,
    /// The summary's `hostname` (the same column): serialised once, by the summary.
    #[serde(skip)]
    pub hostname: Option<String>,
    /// The URL of its main stream, by the one ranking of every output ([`model::stream_rank`]):
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
    /// What it can do, as the newest scan that described it found (the report's `capabilities`);
    /// absent when no scan learned any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<model::Capabilities>,
    /// The newest scan's `misaddressed`: the device was heard on the wire in another subnet
    /// (its address, mask, gateway and how to reach it); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misaddressed: Option<model::Misaddressed>,
    /// The entries camscan pushed for it into Frigate, go2rtc or MediaMTX, with their names
    /// there; empty when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pushed: Vec<super::PushedAs>,
    /// The newest scan's `nvr_channels`: the cameras an NVR lists behind it; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nvr_channels: Vec<model::NvrChannel>,
}

/// What a device was during one span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Offline,
    /// Before the inventory first saw it.
    Unknown,
}

/// One span of [`DeviceAvailability`]. Times are RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
    pub state: Availability,
}

/// A device's availability from `from` to `to` (`GET /api/v1/devices/{id}/availability`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceAvailability {
    pub device_id: i64,
    pub from: String,
    pub to: String,
    /// Consecutive, covering `from` to `to`, oldest first.
    pub spans: Vec<Span>,
    /// Online time over the time the device was known (not `unknown`) in the window; `null` when
    /// it was not known at all.
    pub online_ratio: Option<f64>,
}

impl Store {
    /// The names the exports gave devices' cameras at `site`, each with what recognises its
    /// device, for the next scan to give back ([`model::Device::camera_name`]). A device
    /// pushed into Frigate or go2rtc before the inventory kept names keeps the name it was
    /// pushed under.
    pub fn given_names(&self, site: &str) -> Result<Vec<model::known::GivenName>, StoreError> {
        given_names(&self.conn, site).map_err(|e| self.err(e))
    }

    /// The devices of `site` whose newest description says they were misaddressed, with the
    /// interface they were heard on: the next scan asks for them directly.
    pub fn misaddressed_known(
        &self,
        site: &str,
    ) -> Result<Vec<model::known::KnownMisaddressed>, StoreError> {
        misaddressed_known(&self.conn, site).map_err(|e| self.err(e))
    }

    /// Known devices, by address.
    pub fn devices(&self, q: &DeviceQuery) -> Result<Vec<DeviceSummary>, StoreError> {
        let list = devices(&self.conn, q).map_err(|e| self.err(e))?;
        Ok(with_pushed(&self.conn, list))
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
        devices_page(&self.conn, q, text, after, limit).map_err(|e| self.err(e))
    }

    /// One device by id, address (last or any earlier) or MAC (at `site` when given), with its
    /// streams and events.
    pub fn device(
        &self,
        key: &str,
        site: Option<&str>,
    ) -> Result<Option<DeviceDetail>, StoreError> {
        let Some(id) = lookup::resolve(&self.conn, key, site).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let Some(d) = detail(&self.conn, id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let events =
            events::list(&self.conn, Some(id), &EventQuery::default()).map_err(|e| self.err(e))?;
        // What only the newest description holds: read once.
        let described = super::reports::device(&self.conn, id).map_err(|e| self.err(e))?;
        let (capabilities, misaddressed, nvr_channels) = match described {
            Some(d) => (
                Some(d.capabilities).filter(|c| !c.is_empty()),
                d.misaddressed,
                d.nvr_channels,
            ),
            None => (None, None, Vec::new()),
        };
        // Main stream first, the others in the same order (stable).
        let mut streams = d.streams;
        for s in &mut streams {
            s.state = s.state.shown(s.status, d.summary.state);
        }
        let ranked: Vec<model::Stream> = streams.iter().map(StreamRecord::as_model).collect();
        let main_stream = model::main_stream(&ranked).map(|s| s.url.clone());
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
            capabilities,
            misaddressed,
            nvr_channels,
            pushed: super::pushes::pushed_as(&self.conn, id).map_err(|e| self.err(e))?,
        }))
    }

    /// Delete one device (by id, address or MAC) with its history; returns the devices deleted
    /// (0 when none matched).
    pub fn forget(&mut self, key: &str, site: Option<&str>) -> Result<usize, StoreError> {
        let Some(id) = lookup::resolve(&self.conn, key, site).map_err(|e| self.err(e))? else {
            return Ok(0);
        };
        self.conn
            .execute("DELETE FROM devices WHERE id = ?1", [id])
            .map_err(|e| self.err(e))
    }

    /// The device `id` as the newest scan that saw it described it: the whole report model
    /// (ONVIF profiles, names, errors...), every URL without credentials. `None` for an unknown
    /// id or a device no scan has described since schema version 4.
    pub fn device_report(&self, id: i64) -> Result<Option<model::Device>, StoreError> {
        reports::device(&self.conn, id).map_err(|e| self.err(e))
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
            let ids = devices(&self.conn, q).map_err(|e| self.err(e))?;
            Some(ids.into_iter().map(|d| d.id).collect())
        } else {
            None
        };
        let devices = reports::devices(&self.conn, only.as_ref()).map_err(|e| self.err(e))?;
        reports::report(&self.conn, devices).map_err(|e| self.err(e))
    }

    /// Device `device_id`'s online/offline spans from `from` to `to`, from its events (see
    /// `spans`); `None` when no such device.
    pub fn availability(
        &self,
        device_id: i64,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Option<DeviceAvailability>, StoreError> {
        availability(
            &self.conn,
            device_id,
            from.as_millisecond(),
            to.as_millisecond(),
        )
        .map_err(|e| self.err(e))
    }
}

const SUMMARY: &str = "SELECT d.id, d.key, d.state, d.state_since, d.first_seen, d.last_seen, d.ip,
        d.mac, d.vendor, d.model, d.name, COALESCE(s.up, 0), COALESCE(s.total, 0), d.hostname,
        d.is_camera, d.site
    FROM devices d
    LEFT JOIN (SELECT device_id, SUM(CASE WHEN state = 'up' THEN 1 ELSE 0 END) AS up, COUNT(*) AS total FROM streams
               GROUP BY device_id) s ON s.device_id = d.id";

fn summary(r: &Row) -> db::Result<DeviceSummary> {
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
        pushed: Vec::new(),
    })
}

/// `list` with each device's pushed names (`tool:name`, the push ledger's). A fleet hub's site
/// role has no grant on the ledger: then the names are left out, which is no error.
fn with_pushed(conn: &Conn, mut list: Vec<DeviceSummary>) -> Vec<DeviceSummary> {
    let Ok(mut stmt) = conn.prepare("SELECT device_id, tool, name FROM pushes ORDER BY tool, name")
    else {
        return list;
    };
    let mut names: std::collections::HashMap<i64, Vec<String>> = Default::default();
    if let Ok(rows) = stmt.query_map(params![], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    }) {
        for (id, tool, name) in rows.flatten() {
            let v = names.entry(id).or_default();
            let n = format!("{tool}:{name}");
            if !v.contains(&n) {
                v.push(n);
            }
        }
    }
    for d in &mut list {
        if let Some(v) = names.remove(&d.id) {
            d.pushed = v;
        }
    }
    list
}

pub(crate) fn devices(conn: &Conn, q: &DeviceQuery) -> db::Result<Vec<DeviceSummary>> {
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
        .collect::<db::Result<_>>()?;
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
) -> db::Result<Vec<DeviceSummary>> {
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

pub(crate) fn detail(conn: &Conn, id: i64) -> db::Result<Option<DetailParts>> {
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
        .collect::<db::Result<_>>()?;
    let mut stmt = conn.prepare(&format!(
        "{STREAM_COLUMNS} WHERE s.device_id = ?1 ORDER BY s.port, s.url"
    ))?;
    let streams = stmt
        .query_map([id], stream_record)?
        .collect::<db::Result<_>>()?;
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

/// The online/offline spans from `from` to `to` (Unix ms) of a device first seen at
/// `first_seen`, given its availability events (time, `true` = came online / is new, `false` =
/// went offline) oldest first, with at most one before `from` (the last one, which sets the state
/// the window starts in).
///
/// With no event before the window (pruned, or none ever), the state before the first event
/// inside it is the opposite of that event; with none inside either, it is `current`.
pub(crate) fn spans(
    from: i64,
    to: i64,
    first_seen: i64,
    events: &[(i64, bool)],
    current: Availability,
) -> Vec<(i64, i64, Availability)> {
    let state_of = |online: bool| {
        if online {
            Availability::Online
        } else {
            Availability::Offline
        }
    };
    let before: Option<&(i64, bool)> = events.iter().rev().find(|(at, _)| *at < from);
    let inside: Vec<&(i64, bool)> = events
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .collect();
    let mut state = match (before, inside.first()) {
        (Some((_, online)), _) => state_of(*online),
        (None, Some((_, online))) => state_of(!*online),
        (None, None) => current,
    };
    let mut out: Vec<(i64, i64, Availability)> = Vec::new();
    let mut push = |a: i64, b: i64, s: Availability| {
        if b <= a {
            return;
        }
        match out.last_mut() {
            Some(last) if last.2 == s && last.1 == a => last.1 = b,
            _ => out.push((a, b, s)),
        }
    };
    let mut at = from;
    if first_seen > from {
        let until = first_seen.min(to);
        push(from, until, Availability::Unknown);
        at = until;
        state = Availability::Online;
    }
    for (t, online) in inside {
        let t = (*t).max(at);
        push(at, t, state);
        at = t;
        state = state_of(*online);
    }
    push(at, to, state);
    out
}

/// [`DeviceAvailability`] of `device_id` from `from` to `to` (Unix ms); `None` when no such
/// device.
pub(crate) fn availability(
    conn: &Conn,
    device_id: i64,
    from: i64,
    to: i64,
) -> db::Result<Option<DeviceAvailability>> {
    let Some((first_seen, state)) = conn
        .query_row(
            "SELECT first_seen, state FROM devices WHERE id = ?1",
            [device_id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let current = match state.as_str() {
        "online" => Availability::Online,
        "offline" => Availability::Offline,
        _ => Availability::Unknown,
    };
    const KINDS: &str = "('device_new', 'device_online', 'device_offline')";
    let last_before: Option<(i64, String)> = conn
        .query_row(
            &format!(
                "SELECT at, kind FROM events WHERE device_id = ?1 AND at < ?2 AND kind IN {KINDS}
                 ORDER BY at DESC, id DESC LIMIT 1"
            ),
            params![device_id, from],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT at, kind FROM events WHERE device_id = ?1 AND at >= ?2 AND at < ?3 AND kind IN {KINDS}
         ORDER BY at, id"
    ))?;
    let inside = stmt
        .query_map(params![device_id, from, to], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<db::Result<Vec<_>>>()?;
    let events: Vec<(i64, bool)> = last_before
        .into_iter()
        .chain(inside)
        .map(|(at, kind)| (at, kind != "device_offline"))
        .collect();
    let spans = spans(from, to, first_seen, &events, current);
    let (mut online, mut known) = (0i64, 0i64);
    for (a, b, s) in &spans {
        match s {
            Availability::Online => {
                online += b - a;
                known += b - a;
            }
            Availability::Offline => known += b - a,
            Availability::Unknown => {}
        }
    }
    Ok(Some(DeviceAvailability {
        device_id,
        from: rfc3339(from),
        to: rfc3339(to),
        spans: spans
            .into_iter()
            .map(|(a, b, state)| Span {
                from: rfc3339(a),
                to: rfc3339(b),
                state,
            })
            .collect(),
        online_ratio: (known > 0).then(|| online as f64 / known as f64),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, both_engines, camera, report, scan, two_cameras};
    use model::Credential;

    both_engines!(the_newest_description_of_each_device_is_kept_without_credentials);

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

    use Availability::*;

    const H: i64 = 3_600_000;

    #[test]
    fn a_device_seen_before_the_window_and_never_changed_is_online_throughout() {
        let s = spans(10 * H, 20 * H, 0, &[(0, true)], Online);
        assert_eq!(s, vec![(10 * H, 20 * H, Online)]);
    }

    #[test]
    fn a_device_new_inside_the_window_is_unknown_before() {
        let s = spans(0, 10 * H, 4 * H, &[(4 * H, true)], Online);
        assert_eq!(s, vec![(0, 4 * H, Unknown), (4 * H, 10 * H, Online)]);
    }

    #[test]
    fn offline_and_back_makes_three_spans() {
        let events = [(0, true), (12 * H, false), (15 * H, true)];
        let s = spans(10 * H, 20 * H, 0, &events, Online);
        assert_eq!(
            s,
            vec![
                (10 * H, 12 * H, Online),
                (12 * H, 15 * H, Offline),
                (15 * H, 20 * H, Online)
            ]
        );
    }

    #[test]
    fn the_last_event_before_the_window_sets_its_start() {
        let s = spans(10 * H, 20 * H, 0, &[(5 * H, false)], Online);
        assert_eq!(s, vec![(10 * H, 20 * H, Offline)]);
    }

    #[test]
    fn with_earlier_events_pruned_the_first_inside_tells_the_state_before_it() {
        let s = spans(10 * H, 20 * H, 0, &[(14 * H, true)], Online);
        assert_eq!(s, vec![(10 * H, 14 * H, Offline), (14 * H, 20 * H, Online)]);
        // No event at all: the device's current state.
        assert_eq!(
            spans(10 * H, 20 * H, 0, &[], Offline),
            vec![(10 * H, 20 * H, Offline)]
        );
    }

    #[test]
    fn repeated_states_merge_and_a_device_first_seen_after_the_window_is_unknown() {
        let events = [
            (11 * H, true),
            (12 * H, true),
            (13 * H, false),
            (13 * H, false),
        ];
        let s = spans(10 * H, 20 * H, 11 * H, &events, Offline);
        assert_eq!(
            s,
            vec![
                (10 * H, 11 * H, Unknown),
                (11 * H, 13 * H, Online),
                (13 * H, 20 * H, Offline)
            ]
        );
        assert_eq!(
            spans(10 * H, 20 * H, 30 * H, &[], Online),
            vec![(10 * H, 20 * H, Unknown)]
        );
    }
}
