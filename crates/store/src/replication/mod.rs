//! The fleet: a site's inventory copied to the hub's, at least once and idempotent.
//!
//! A site agent keeps its own inventory (SQLite) as its truth and its spool; the hub (PostgreSQL)
//! holds every site's. The site reads a [`ReplicaBatch`] after the hub's cursor for it
//! ([`HubCursor`], kept in the hub's `sites` row: the newest event, ended scan and stream check
//! it holds), and the hub applies it in one transaction that also moves the cursor. A batch
//! applied twice (the agent killed after the hub committed, a retry after a timeout) changes
//! nothing the second time: every copied row carries its site and its id at the site
//! (`origin_id`), unique per site, and is upserted (scans, devices, streams) or inserted once
//! (events and checks, `ON CONFLICT DO NOTHING`; checks at or before the cursor are not even
//! tried, so one the hub has pruned since never comes back). Events and checks go in site id
//! order, so the hub's ids keep each device's and each stream's order.
//!
//! What is copied: scans (their summary), every device an event, a check or a scan of the batch
//! concerns (its row, addresses, streams, newest description and audit findings: a device's
//! findings come with it, brought by its `finding_new`/`finding_resolved` events), the events,
//! the stream checks (bounded at the hub as at the site: the newest
//! [`super::CHECKS_PER_STREAM`] of each stream), and what each ended scan saw of each device
//! (`scan_devices`, what `diff` compares: the site's stream and text ids inside it turned into the
//! hub's, so `diff --site` at the hub reads what it reads at the site, by the hub's scan ids). Not
//! copied: stored credential hashes (keyed per inventory: meaningless elsewhere). Snapshots of
//! scans a hub took before schema version 5 (the site's 8) stay at the site: the cursor was
//! already past them.

use super::db::{self, Conn, OptionalExtension, Value, params};
use super::scans::{lock, record};
use super::{Store, StoreError};

mod hub;
pub(crate) use hub::{apply, cursor, hello};

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
                && lock::gone(&self.path, id)
        };
        batch(
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
        cursor(&self.conn, site).map_err(|e| self.err(e))
    }

    /// (At the hub.) A site's agent says who it is: `site`'s name is bound to the first inventory
    /// that sends it ([`Store::inventory_id`]); another inventory, or a login that is another
    /// site's, is [`StoreError::SiteRefused`]. Where the hub stands for the site.
    pub fn hub_hello(&mut self, site: &str, inventory: &str) -> Result<HubCursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.write(|tx| hello(tx, site, inventory, now))?
            .map_err(|detail| self.refused(detail))
    }

    /// (At a site.) This inventory's id, made the first time it is asked for (before its first
    /// batch to a hub).
    pub fn inventory_id(&self) -> Result<String, StoreError> {
        inventory_id(&self.conn).map_err(|e| self.err(e))
    }

    /// (At a site.) Where the hub stood for `site` after the last batch this inventory saw it
    /// take.
    pub fn hub_told(&self, site: &str) -> Result<HubCursor, StoreError> {
        told(&self.conn, site).map_err(|e| self.err(e))
    }

    /// (At a site.) The newest ids this inventory holds of `site`.
    pub fn replica_newest(&self, site: &str) -> Result<HubCursor, StoreError> {
        newest(&self.conn, site).map_err(|e| self.err(e))
    }

    /// What the rows `at` names look like: this inventory's own (`hub_site` `None`), or at the
    /// hub its copies of `hub_site`'s.
    pub fn replica_marks(
        &self,
        hub_site: Option<&str>,
        at: HubCursor,
    ) -> Result<Marks, StoreError> {
        marks(&self.conn, hub_site, at).map_err(|e| self.err(e))
    }

    /// (At a site.) Remember where the hub stands for `site`.
    pub fn remember_hub(&self, site: &str, at: HubCursor) -> Result<(), StoreError> {
        remember(&self.conn, site, at).map_err(|e| self.err(e))
    }

    /// (At the hub.) Apply a site's batch in one transaction, idempotent; the new cursor.
    pub fn apply_replica(
        &mut self,
        batch: &ReplicaBatch,
        agent: &str,
    ) -> Result<HubCursor, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        // A refusal comes before the batch writes anything.
        self.write(|tx| apply(tx, batch, agent, now))?
            .map_err(|detail| self.refused(detail))
    }

    /// The hub refused a site's agent, for `detail`.
    fn refused(&self, detail: String) -> StoreError {
        StoreError::SiteRefused {
            path: self.path.clone(),
            detail,
        }
    }
}

/// This inventory's id (`meta.inventory_id`): 128 random bits in hex, made the first time the
/// inventory sends to a hub, so that a copy made before then is an inventory of its own. The hub
/// binds a site's name to the first id it sees ([`hello`]).
pub(crate) fn inventory_id(conn: &Conn) -> super::db::Result<String> {
    let read = || {
        conn.query_row(
            "SELECT value FROM meta WHERE key = 'inventory_id'",
            params![],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()
    };
    if let Some(v) = read()? {
        return Ok(String::from_utf8_lossy(&v).into_owned());
    }
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw)
        .map_err(|e| super::db::DbError::Other(format!("no random inventory id: {e}")))?;
    let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('inventory_id', ?1)",
        params![id.as_bytes().to_vec()],
    )?;
    // Another process may have won the race: use what is stored.
    Ok(read()?.map_or(id, |v| String::from_utf8_lossy(&v).into_owned()))
}

/// Where the hub stood for `site` after the last batch this inventory saw it take (`meta`;
/// zeros before the first).
pub(crate) fn told(conn: &Conn, site: &str) -> super::db::Result<HubCursor> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![format!("hub_cursor:{site}")],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()?
        .and_then(|v| parse_cursor(&String::from_utf8_lossy(&v)))
        .unwrap_or_default())
}

/// The newest ids this inventory holds of `site` (each 0 when it holds none).
pub(crate) fn newest(conn: &Conn, site: &str) -> super::db::Result<HubCursor> {
    let max = |sql: &str| -> super::db::Result<i64> {
        Ok(conn
            .query_row(sql, params![site], |r| r.get::<_, Option<i64>>(0))?
            .unwrap_or(0))
    };
    Ok(HubCursor {
        last_event: max("SELECT MAX(id) FROM events WHERE site = ?1")?,
        last_scan: max("SELECT MAX(id) FROM scans WHERE site = ?1")?,
        last_check: max(
            "SELECT MAX(c.id) FROM checks c JOIN streams s ON s.id = c.stream_id
               JOIN devices d ON d.id = s.device_id WHERE d.site = ?1",
        )?,
    })
}

/// What the rows a cursor names look like (the event's time and kind, the scan's start, the
/// check's time): the same rows at the site and at the hub, or two rows that took the same id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub event: Option<String>,
    pub scan: Option<String>,
    pub check: Option<String>,
}

/// The [`Marks`] of the rows `at` names: the site's own rows by id (`hub_site` `None`), or the
/// hub's copies of `hub_site`'s rows by their id at the site.
pub(crate) fn marks(
    conn: &Conn,
    hub_site: Option<&str>,
    at: HubCursor,
) -> super::db::Result<Marks> {
    let one = |table: &str, cols: &str, id: i64| -> super::db::Result<Option<String>> {
        if id <= 0 {
            return Ok(None);
        }
        let sql = match hub_site {
            Some(_) => format!("SELECT {cols} FROM {table} WHERE site = ?1 AND origin_id = ?2"),
            None => format!("SELECT {cols} FROM {table} WHERE ?1 = ?1 AND id = ?2"),
        };
        conn.query_row(&sql, params![hub_site.unwrap_or(""), id], |r| {
            let n: i64 = r.get(0)?;
            let text: Option<String> = r.get(1)?;
            Ok(format!("{n} {}", text.unwrap_or_default()))
        })
        .optional()
    };
    Ok(Marks {
        event: one("events", "at, kind", at.last_event)?,
        scan: one("scans", "started_at, targets", at.last_scan)?,
        check: one("checks", "at, layer", at.last_check)?,
    })
}

/// Remember where the hub stands for `site` after a batch it took.
pub(crate) fn remember(conn: &Conn, site: &str, at: HubCursor) -> super::db::Result<()> {
    let text = format!("{} {} {}", at.last_event, at.last_scan, at.last_check);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![format!("hub_cursor:{site}"), text.into_bytes()],
    )?;
    Ok(())
}

/// `event scan check`, as [`remember`] writes it.
fn parse_cursor(text: &str) -> Option<HubCursor> {
    let mut n = text.split(' ').map(|p| p.parse::<i64>().ok());
    let c = HubCursor {
        last_event: n.next()??,
        last_scan: n.next()??,
        last_check: n.next()??,
    };
    n.next().is_none().then_some(c)
}

/// Where the hub stands for one site: the newest site ids it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubCursor {
    pub last_event: i64,
    pub last_scan: i64,
    pub last_check: i64,
}

/// One copied row: its id at the site and its columns (in the order of the statement that reads
/// them).
#[derive(Debug, Clone, PartialEq)]
pub struct Copied {
    pub origin: i64,
    pub values: Vec<Value>,
}

/// A device with what hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct CopiedDevice {
    pub row: Copied,
    /// The service list's text (`devices.services` is a shared text's id).
    pub services: Option<String>,
    pub addresses: Vec<Vec<Value>>,
    /// Each stream, with its facts and description texts.
    pub streams: Vec<(Copied, Option<String>, Option<String>)>,
    /// The newest description: site scan id, complete, JSON.
    pub report: Option<(i64, bool, String)>,
    /// Its audit findings (`store::findings`), open and resolved.
    pub findings: Vec<Copied>,
}

/// What an ended scan saw of one device (its row of `scan_devices`, what `diff` compares), in
/// the site's terms: the hub turns the site's ids into its own.
#[derive(Debug, Clone, PartialEq)]
pub struct CopiedSnapshot {
    /// The site's scan and device ids.
    pub scan: i64,
    pub device: i64,
    /// `vendor\tmodel\tfirmware`.
    pub info: String,
    /// `ip|ports|stream status facts;...`, the stream and facts ids the site's.
    pub seen: String,
    /// The facts texts `seen` names, by their site id.
    pub facts: Vec<(i64, String)>,
}

/// What one push sends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplicaBatch {
    pub site: String,
    /// The sending inventory's id ([`inventory_id`]): the hub refuses a batch from another
    /// inventory than the one its site's name is bound to.
    pub inventory: String,
    /// The hub cursor this batch was read after: the hub applies it only from there.
    pub after: HubCursor,
    /// Scans after the cursor; one still running (recording its devices as they become final)
    /// is sent again with each batch until its end, and holds the cursor before it.
    pub scans: Vec<Copied>,
    /// The newest scan id the hub holds for good after this batch: the scans before the first
    /// running one.
    pub scans_done: i64,
    pub devices: Vec<CopiedDevice>,
    pub events: Vec<Copied>,
    /// Stream checks after the cursor, in site order; the last value is the site's stream id.
    pub checks: Vec<Copied>,
    /// What each ended scan of the batch saw of each device.
    pub snapshots: Vec<CopiedSnapshot>,
}

impl ReplicaBatch {
    pub fn is_empty(&self) -> bool {
        self.scans.is_empty()
            && self.devices.is_empty()
            && self.events.is_empty()
            && self.checks.is_empty()
            && self.snapshots.is_empty()
    }

    /// The cursor after this batch, from `before`.
    pub fn cursor(&self, before: HubCursor) -> HubCursor {
        HubCursor {
            last_event: self
                .events
                .iter()
                .map(|e| e.origin)
                .fold(before.last_event, i64::max),
            last_scan: before.last_scan.max(self.scans_done),
            last_check: self
                .checks
                .iter()
                .map(|c| c.origin)
                .fold(before.last_check, i64::max),
        }
    }
}

const SCAN_COLS: &str = "started_at, finished_at, complete, targets, ports, methods, version, \
     devices, events, coverage, heartbeat";
const DEVICE_COLS: &str = "key, mac, serial_key, uuid, ip, hostname, vendor, model, firmware, \
     serial, name, is_camera, methods, ports, first_seen, last_seen, state, state_since";
const STREAM_COLS: &str = "url, protocol, port, status, auth, username, measured, first_seen, \
     last_seen, last_verified, state, state_since, fails, held";
const EVENT_COLS: &str = "at, kind, stream_url, detail";
const CHECK_COLS: &str = "at, ok, layer, error, first_packet_ms, fps, bitrate_kbps";
const FINDING_COLS: &str = "finding, port, stream, severity, severity_rank, title, evidence, why, \
     fix, vendor_fix, source, first_seen, last_seen, resolved_at";

fn values(r: &super::db::Row, from: usize, n: usize) -> super::db::Result<Vec<Value>> {
    (from..from + n).map(|i| r.get::<_, Value>(i)).collect()
}

fn count(cols: &str) -> usize {
    cols.split(',').count()
}

/// `?1, ?2, ...` from `from`.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a = excluded.a, b = excluded.b, ...`
fn excluded(cols: &str) -> String {
    cols.split(',')
        .map(|c| format!("{0} = excluded.{0}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Up to `max` events after `after`, stopping at the first whose scan comes after `last_scan`
/// (it waits for its scan); each one's device is added to `devices`.
fn events_after(
    conn: &Conn,
    site: &str,
    after: i64,
    max: usize,
    last_scan: i64,
    devices: &mut Vec<i64>,
) -> super::db::Result<Vec<Copied>> {
    // Events whose scan is at the hub after this batch; one of a later scan waits for it.
    let rows = conn
        .prepare(&format!(
            "SELECT id, scan_id, device_id, {EVENT_COLS} FROM events
             WHERE site = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))?
        .query_map(params![site, after, max as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                values(r, 3, count(EVENT_COLS))?,
            ))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    let mut events = Vec::with_capacity(rows.len());
    for (id, scan_id, device_id, mut vals) in rows {
        if scan_id.is_some_and(|s| s > last_scan) {
            break;
        }
        vals.push(scan_id.map_or(Value::Null, Value::Int));
        vals.push(Value::Int(device_id));
        events.push(Copied {
            origin: id,
            values: vals,
        });
        if !devices.contains(&device_id) {
            devices.push(device_id);
        }
    }
    Ok(events)
}

/// Up to `max` checks after `after` of the site's devices, each one's device added to `devices`.
fn checks_after(
    conn: &Conn,
    site: &str,
    after: i64,
    max: usize,
    devices: &mut Vec<i64>,
) -> super::db::Result<Vec<Copied>> {
    let checks = conn
        .prepare(&format!(
            "SELECT c.id, c.stream_id, s.device_id, {} FROM checks c
               JOIN streams s ON s.id = c.stream_id JOIN devices d ON d.id = s.device_id
             WHERE d.site = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
            CHECK_COLS
                .split(',')
                .map(|c| format!("c.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))?
        .query_map(params![site, after, max as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                values(r, 3, count(CHECK_COLS))?,
            ))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    Ok(checks
        .into_iter()
        .map(|(id, stream, device, mut vals)| {
            if !devices.contains(&device) {
                devices.push(device);
            }
            vals.push(Value::Int(stream));
            Copied {
                origin: id,
                values: vals,
            }
        })
        .collect())
}

/// The site's side: the next batch after `cursor`, at most `max_events` events and the scans they
/// need (scans come first, an event never before its scan), and at most `max_events` stream
/// checks. A running scan (its heartbeat newer than `record::STALE_MS` before `now`, and not
/// `gone`: its process known dead) is sent without its devices and snapshots (its events bring
/// the devices it has recorded); a stale heartbeat, or a gone process, is sent as ended. Each check brings its stream's device (the stream's state moves
/// with its checks).
pub(crate) fn batch(
    conn: &Conn,
    site: &str,
    cursor: HubCursor,
    (max_scans, max_events): (usize, usize),
    now: i64,
    gone: &dyn Fn(i64) -> bool,
) -> super::db::Result<ReplicaBatch> {
    let mut scans: Vec<Copied> = conn
        .prepare(&format!(
            "SELECT id, {SCAN_COLS} FROM scans WHERE site = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))?
        .query_map(params![site, cursor.last_scan, max_scans as i64], |r| {
            Ok(Copied {
                origin: r.get(0)?,
                values: values(r, 1, count(SCAN_COLS))?,
            })
        })?
        .collect::<super::db::Result<_>>()?;
    let beat = count(SCAN_COLS) - 1;
    let mut scans_done = cursor.last_scan;
    let mut running = Vec::new();
    for s in &mut scans {
        let live = matches!(s.values[beat], Value::Int(t) if t >= now - record::STALE_MS)
            && !gone(s.origin);
        if live {
            running.push(s.origin);
        } else {
            s.values[beat] = Value::Null;
            if running.is_empty() {
                scans_done = s.origin;
            }
        }
    }
    let last_scan = scans.last().map_or(cursor.last_scan, |s| s.origin);
    let mut devices: Vec<i64> = Vec::new();
    let events = events_after(
        conn,
        site,
        cursor.last_event,
        max_events,
        last_scan,
        &mut devices,
    )?;
    let checks = checks_after(conn, site, cursor.last_check, max_events, &mut devices)?;
    let mut snapshots = Vec::new();
    let mut facts = std::collections::HashMap::new();
    for s in scans.iter().filter(|s| !running.contains(&s.origin)) {
        for snap in scan_snapshots(conn, s.origin, &mut facts)? {
            if !devices.contains(&snap.device) {
                devices.push(snap.device);
            }
            snapshots.push(snap);
        }
    }
    devices.sort_unstable();
    let devices = devices
        .into_iter()
        .map(|id| device(conn, id))
        .filter_map(|d| d.transpose())
        .collect::<super::db::Result<_>>()?;
    Ok(ReplicaBatch {
        site: site.to_string(),
        inventory: inventory_id(conn)?,
        after: cursor,
        scans,
        scans_done,
        devices,
        events,
        checks,
        snapshots,
    })
}

/// What the site's scan `scan` saw of each device, the facts texts named by site id (`facts`:
/// those read so far, shared by the batch's scans).
fn scan_snapshots(
    conn: &Conn,
    scan: i64,
    facts: &mut std::collections::HashMap<i64, Option<String>>,
) -> super::db::Result<Vec<CopiedSnapshot>> {
    // A text gone missing reads as nothing, as `diff` reads it.
    let rows: Vec<(i64, Option<String>, Option<String>)> = conn
        .prepare(
            "SELECT sd.device_id, i.text, s.text FROM scan_devices sd
               LEFT JOIN texts i ON i.id = sd.info LEFT JOIN texts s ON s.id = sd.seen
             WHERE sd.scan_id = ?1 ORDER BY sd.device_id",
        )?
        .query_map(params![scan], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<super::db::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (device, info, seen) in rows {
        let (info, seen) = (info.unwrap_or_default(), seen.unwrap_or_default());
        let mut named = Vec::new();
        if let Some(parts) = super::columns::parse_seen(&seen) {
            for fid in parts.streams.into_iter().filter_map(|(_, _, f)| f) {
                if named.iter().any(|(id, _)| *id == fid) {
                    continue;
                }
                let text = match facts.get(&fid) {
                    Some(t) => t.clone(),
                    None => {
                        let t: Option<String> = conn
                            .prepare_cached("SELECT text FROM texts WHERE id = ?1")?
                            .query_row(params![fid], |r| r.get(0))
                            .optional()?;
                        facts.insert(fid, t.clone());
                        t
                    }
                };
                if let Some(t) = text {
                    named.push((fid, t));
                }
            }
        }
        out.push(CopiedSnapshot {
            scan,
            device,
            info,
            seen,
            facts: named,
        });
    }
    Ok(out)
}

/// One device of the site with its addresses, streams and description; `None` when forgotten.
fn device(conn: &Conn, id: i64) -> super::db::Result<Option<CopiedDevice>> {
    let n = count(DEVICE_COLS);
    let found = conn
        .query_row(
            &format!(
                "SELECT {}, t.text FROM devices d LEFT JOIN texts t ON t.id = d.services
                 WHERE d.id = ?1",
                DEVICE_COLS
                    .split(',')
                    .map(|c| format!("d.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            params![id],
            |r| Ok((values(r, 0, n)?, r.get::<_, Option<String>>(n)?)),
        )
        .optional()?;
    let Some((values_, services)) = found else {
        return Ok(None);
    };
    let addresses = conn
        .prepare("SELECT ip, first_seen, last_seen FROM addresses WHERE device_id = ?1")?
        .query_map(params![id], |r| values(r, 0, 3))?
        .collect::<super::db::Result<_>>()?;
    let m = count(STREAM_COLS);
    let streams = conn
        .prepare(&format!(
            "SELECT s.id, {}, f.text, m.text FROM streams s
             LEFT JOIN texts f ON f.id = s.facts LEFT JOIN texts m ON m.id = s.media
             WHERE s.device_id = ?1 ORDER BY s.id",
            STREAM_COLS
                .split(',')
                .map(|c| format!("s.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))?
        .query_map(params![id], |r| {
            Ok((
                Copied {
                    origin: r.get(0)?,
                    values: values(r, 1, m)?,
                },
                r.get::<_, Option<String>>(m + 1)?,
                r.get::<_, Option<String>>(m + 2)?,
            ))
        })?
        .collect::<super::db::Result<_>>()?;
    let report = conn
        .query_row(
            "SELECT scan_id, complete, json FROM device_reports WHERE device_id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let nf = count(FINDING_COLS);
    let findings = conn
        .prepare(&format!(
            "SELECT id, {FINDING_COLS} FROM findings WHERE device_id = ?1 ORDER BY id"
        ))?
        .query_map(params![id], |r| {
            Ok(Copied {
                origin: r.get(0)?,
                values: values(r, 1, nf)?,
            })
        })?
        .collect::<super::db::Result<_>>()?;
    Ok(Some(CopiedDevice {
        row: Copied {
            origin: id,
            values: values_,
        },
        services,
        addresses,
        streams,
        report,
        findings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, TestDb, both_engines, camera, check, report, scan, stream_of};
    use crate::{
        CHECKS_PER_STREAM, CheckLayer, CheckRecord, DeviceQuery, DeviceSummary, Diff, EventQuery,
        ScanInfo, SiteSummary, StoreEvent,
    };
    use model::{Credential, Protocol, Stream};

    both_engines!(
        a_site_copies_to_the_hub_once,
        checks_and_snapshots_reach_the_hub_once,
    );

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
}
