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

use super::db::{Conn, OptionalExtension, Value, params};

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
     devices, events, heartbeat";
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

/// The site's side: the next batch after `cursor`, at most `max_events` events and the scans they
/// need (scans come first, an event never before its scan), and at most `max_events` stream
/// checks. A running scan (its heartbeat newer than `record::STALE_MS` before `now`) is sent
/// without its devices and snapshots (its events bring the devices it has recorded); a stale
/// heartbeat is sent as ended. Each check brings its stream's device (the stream's state moves
/// with its checks).
pub(crate) fn batch(
    conn: &Conn,
    site: &str,
    cursor: HubCursor,
    (max_scans, max_events): (usize, usize),
    now: i64,
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
        let live = matches!(s.values[beat], Value::Int(t) if t >= now - super::record::STALE_MS);
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
    // Events whose scan is at the hub after this batch; one of a later scan waits for it.
    let rows = conn
        .prepare(&format!(
            "SELECT id, scan_id, device_id, {EVENT_COLS} FROM events
             WHERE site = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))?
        .query_map(params![site, cursor.last_event, max_events as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                values(r, 3, count(EVENT_COLS))?,
            ))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    let mut events = Vec::with_capacity(rows.len());
    let mut devices: Vec<i64> = Vec::new();
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
        .query_map(params![site, cursor.last_check, max_events as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                values(r, 3, count(CHECK_COLS))?,
            ))
        })?
        .collect::<super::db::Result<Vec<_>>>()?;
    let checks = checks
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
        .collect();
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

/// The hub's cursor for `site` (nothing yet: zeros).
pub(crate) fn cursor(conn: &Conn, site: &str) -> super::db::Result<HubCursor> {
    Ok(conn
        .query_row(
            "SELECT last_event, last_scan, last_check FROM sites WHERE name = ?1",
            params![site],
            |r| {
                Ok(HubCursor {
                    last_event: r.get(0)?,
                    last_scan: r.get(1)?,
                    last_check: r.get(2)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// The hub's side: apply `batch` (in the caller's transaction) and move the site's cursor; rows
/// already there are updated or left as they are. `agent` says who sent it; `now` is Unix ms.
pub(crate) fn apply(
    tx: &Conn,
    batch: &ReplicaBatch,
    agent: &str,
    now: i64,
) -> super::db::Result<HubCursor> {
    let site = batch.site.as_str();
    let before = cursor(tx, site)?;
    super::sites::touch(tx, site, agent, now)?;
    let mut texts = super::record::Texts::new();
    // The hub's ids of the site's rows this batch names: found once each (an upsert returns its
    // row's id), not once per event.
    let mut ids = HubIds::default();
    let ns = count(SCAN_COLS);
    for s in &batch.scans {
        let mut p = vec![Value::Text(site.into()), Value::Int(s.origin)];
        p.extend(s.values.iter().cloned());
        let id = tx.query_row(
            &format!(
                "INSERT INTO scans (site, origin_id, {SCAN_COLS}) VALUES (?1, ?2, {})
                 ON CONFLICT (site, origin_id) WHERE origin_id IS NOT NULL DO UPDATE SET {}
                 RETURNING id",
                placeholders(3, ns),
                excluded(SCAN_COLS)
            ),
            p,
            |r| r.get(0),
        )?;
        ids.scans.insert(s.origin, Some(id));
    }
    for d in &batch.devices {
        let id = apply_device(tx, site, d, &mut texts, &mut ids)?;
        ids.devices.insert(d.row.origin, Some(id));
    }
    apply_snapshots(tx, site, &batch.snapshots, &mut texts, &mut ids)?;
    apply_checks(tx, site, &batch.checks, before.last_check, &mut ids)?;
    apply_events(tx, site, &batch.events, &mut ids)?;
    let after = batch.cursor(before);
    tx.execute(
        "UPDATE sites SET last_event = ?2, last_scan = ?3, last_check = ?4 WHERE name = ?1",
        params![site, after.last_event, after.last_scan, after.last_check],
    )?;
    Ok(after)
}

/// The hub's ids of a site's scans, devices and streams (`None`: not at the hub), as a batch
/// finds them.
#[derive(Default)]
struct HubIds {
    scans: std::collections::HashMap<i64, Option<i64>>,
    devices: std::collections::HashMap<i64, Option<i64>>,
    streams: std::collections::HashMap<i64, Option<i64>>,
}

impl HubIds {
    fn stream(&mut self, tx: &Conn, site: &str, origin: i64) -> super::db::Result<Option<i64>> {
        if let Some(id) = self.streams.get(&origin) {
            return Ok(*id);
        }
        let id = hub_id(tx, "streams", site, origin).optional()?;
        self.streams.insert(origin, id);
        Ok(id)
    }

    fn scan(&mut self, tx: &Conn, site: &str, origin: i64) -> super::db::Result<Option<i64>> {
        if let Some(id) = self.scans.get(&origin) {
            return Ok(*id);
        }
        let id = hub_id(tx, "scans", site, origin).optional()?;
        self.scans.insert(origin, id);
        Ok(id)
    }

    fn device(&mut self, tx: &Conn, site: &str, origin: i64) -> super::db::Result<Option<i64>> {
        if let Some(id) = self.devices.get(&origin) {
            return Ok(*id);
        }
        let id = hub_id(tx, "devices", site, origin).optional()?;
        self.devices.insert(origin, id);
        Ok(id)
    }
}

/// Events per `INSERT` statement at the hub (8 parameters each), at most.
const EVENTS_PER_STATEMENT: usize = 100;

/// A batch's events at the hub, in site order, a statement per [`EVENTS_PER_STATEMENT`]; one
/// already there is left as it is.
fn apply_events(
    tx: &Conn,
    site: &str,
    events: &[Copied],
    ids: &mut HubIds,
) -> super::db::Result<()> {
    let ne = count(EVENT_COLS);
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(events.len());
    for e in events {
        // The site's scan and device ids (the last two values) become the hub's.
        let (cols, site_ids) = e.values.split_at(ne.min(e.values.len()));
        let scan = match site_ids.first() {
            Some(Value::Int(s)) => ids.scan(tx, site, *s)?,
            _ => None,
        };
        let device = match site_ids.get(1) {
            Some(Value::Int(d)) => ids.device(tx, site, *d)?,
            _ => None,
        };
        // An event of a device the site forgot before it was sent has nothing to hang on.
        let Some(device) = device else { continue };
        let mut p = vec![
            Value::Text(site.into()),
            Value::Int(e.origin),
            scan.map_or(Value::Null, Value::Int),
            Value::Int(device),
        ];
        p.extend(cols.iter().cloned());
        rows.push(p);
    }
    insert_rows(
        tx,
        &format!("events (site, origin_id, scan_id, device_id, {EVENT_COLS})"),
        4 + ne,
        &rows,
    )
}

/// `INSERT INTO {into} VALUES ...` of `rows` (each `width` values), in order, a statement per
/// [`EVENTS_PER_STATEMENT`] rows at most; a row whose `(site, origin_id)` is there already is
/// left as it is.
fn insert_rows(tx: &Conn, into: &str, width: usize, rows: &[Vec<Value>]) -> super::db::Result<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        // Three shapes of statement only (100, 10 or 1 rows): each is prepared once.
        let n = [EVENTS_PER_STATEMENT, 10, 1]
            .into_iter()
            .find(|&n| n <= rest.len())
            .unwrap_or(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let values = (0..n)
            .map(|i| format!("({})", placeholders(1 + i * width, width)))
            .collect::<Vec<_>>()
            .join(", ");
        tx.execute(
            &format!(
                "INSERT INTO {into} VALUES {values}
                 ON CONFLICT (site, origin_id) WHERE origin_id IS NOT NULL DO NOTHING"
            ),
            chunk.concat(),
        )?;
    }
    Ok(())
}

/// A batch's stream checks at the hub, after the hub's cursor (`after`: those at or before it
/// were applied by an earlier batch, and some may have been pruned since), in site order, on
/// the hub's copy of their stream; each stream's checks then bounded as the site bounds them
/// ([`super::health::prune_checks`]). The hub's ids follow the site's, so "the newest" is the
/// same checks at both.
fn apply_checks(
    tx: &Conn,
    site: &str,
    checks: &[Copied],
    after: i64,
    ids: &mut HubIds,
) -> super::db::Result<()> {
    let nc = count(CHECK_COLS);
    let mut rows = Vec::with_capacity(checks.len());
    let mut streams: Vec<i64> = Vec::new();
    for c in checks.iter().filter(|c| c.origin > after) {
        let (cols, site_ids) = c.values.split_at(nc.min(c.values.len()));
        let stream = match site_ids.first() {
            Some(Value::Int(s)) => ids.stream(tx, site, *s)?,
            _ => None,
        };
        // A check of a stream the site forgot before it was sent has nothing to hang on.
        let Some(stream) = stream else { continue };
        if !streams.contains(&stream) {
            streams.push(stream);
        }
        let mut p = vec![
            Value::Text(site.into()),
            Value::Int(c.origin),
            Value::Int(stream),
        ];
        p.extend(cols.iter().cloned());
        rows.push(p);
    }
    insert_rows(
        tx,
        &format!("checks (site, origin_id, stream_id, {CHECK_COLS})"),
        3 + nc,
        &rows,
    )?;
    for stream in streams {
        super::health::prune_checks(tx, stream)?;
    }
    Ok(())
}

/// A batch's per-scan snapshots at the hub, in the hub's terms: its scan, device, stream and
/// text ids; one there already is written again (the same).
fn apply_snapshots(
    tx: &Conn,
    site: &str,
    snapshots: &[CopiedSnapshot],
    texts: &mut super::record::Texts,
    ids: &mut HubIds,
) -> super::db::Result<()> {
    for snap in snapshots {
        let (Some(scan), Some(device)) = (
            ids.scan(tx, site, snap.scan)?,
            ids.device(tx, site, snap.device)?,
        ) else {
            continue;
        };
        let seen = match super::columns::parse_seen(&snap.seen) {
            Some(parts) => {
                let mut streams = Vec::with_capacity(parts.streams.len());
                for (sid, status, fid) in parts.streams {
                    // A stream the hub lacks is left out, as `diff` leaves out one the site lacks.
                    let Some(hub_sid) = ids.stream(tx, site, sid)? else {
                        continue;
                    };
                    let facts = fid.and_then(|f| snap.facts.iter().find(|(id, _)| *id == f));
                    let facts = match facts {
                        Some((_, t)) => texts.id(tx, t)?.to_string(),
                        // Not an id: `diff` reads no facts, at the hub as at the site.
                        None => "-".to_string(),
                    };
                    streams.push(format!("{hub_sid} {status} {facts}"));
                }
                format!("{}|{}|{}", parts.ip, parts.ports, streams.join(";"))
            }
            // A text diff cannot read: kept as it is, read as nothing at both.
            None => snap.seen.clone(),
        };
        let info = texts.id(tx, &snap.info)?;
        let seen = texts.id(tx, &seen)?;
        tx.prepare_cached(
            "INSERT INTO scan_devices (scan_id, device_id, info, seen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scan_id, device_id) DO UPDATE SET info = excluded.info,
                 seen = excluded.seen",
        )?
        .execute(params![scan, device, info, seen])?;
    }
    Ok(())
}

/// One copied device at the hub: its row, addresses, streams and newest description, upserted;
/// its hub id.
fn apply_device(
    tx: &Conn,
    site: &str,
    d: &CopiedDevice,
    texts: &mut super::record::Texts,
    ids: &mut HubIds,
) -> super::db::Result<i64> {
    let nd = count(DEVICE_COLS);
    let nst = count(STREAM_COLS);
    let services = d.services.as_deref().map(|t| texts.id(tx, t)).transpose()?;
    let mut p = vec![Value::Text(site.into()), Value::Int(d.row.origin)];
    p.extend(d.row.values.iter().cloned());
    p.push(services.map_or(Value::Null, Value::Int));
    let device_id: i64 = tx.query_row(
        &format!(
            "INSERT INTO devices (site, origin_id, {DEVICE_COLS}, services) VALUES (?1, ?2, {})
             ON CONFLICT (site, origin_id) WHERE origin_id IS NOT NULL
             DO UPDATE SET {}, services = excluded.services
             RETURNING id",
            placeholders(3, nd + 1),
            excluded(DEVICE_COLS)
        ),
        p,
        |r| r.get(0),
    )?;
    for a in &d.addresses {
        let mut p = vec![Value::Int(device_id)];
        p.extend(a.iter().cloned());
        tx.execute(
            "INSERT INTO addresses (device_id, ip, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_id, ip) DO UPDATE SET first_seen = excluded.first_seen,
                 last_seen = excluded.last_seen",
            p,
        )?;
    }
    for (s, facts, media) in &d.streams {
        let facts = facts.as_deref().map(|t| texts.id(tx, t)).transpose()?;
        let media = media.as_deref().map(|t| texts.id(tx, t)).transpose()?;
        let mut p = vec![
            Value::Text(site.into()),
            Value::Int(s.origin),
            Value::Int(device_id),
        ];
        p.extend(s.values.iter().cloned());
        p.push(facts.map_or(Value::Null, Value::Int));
        p.push(media.map_or(Value::Null, Value::Int));
        let id = tx.query_row(
            &format!(
                "INSERT INTO streams (site, origin_id, device_id, {STREAM_COLS}, facts, media)
                 VALUES (?1, ?2, ?3, {})
                 ON CONFLICT (site, origin_id) WHERE origin_id IS NOT NULL
                 DO UPDATE SET device_id = excluded.device_id, {}, facts = excluded.facts,
                     media = excluded.media
                 RETURNING id",
                placeholders(4, nst + 2),
                excluded(STREAM_COLS)
            ),
            p,
            |r| r.get(0),
        )?;
        ids.streams.insert(s.origin, Some(id));
    }
    if let Some((scan, complete, json)) = &d.report {
        let scan = ids.scan(tx, site, *scan)?.unwrap_or(0);
        tx.execute(
            "INSERT INTO device_reports (device_id, scan_id, complete, json)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_id) DO UPDATE SET scan_id = excluded.scan_id,
                 complete = excluded.complete, json = excluded.json",
            params![device_id, scan, *complete, json],
        )?;
    }
    apply_findings(tx, site, device_id, &d.findings)?;
    Ok(device_id)
}

/// A copied device's findings at the hub, upserted by their key (site, device, finding, port,
/// stream): a finding the site pruned and found again (a new site id, the same key) takes over
/// its old row, and a site id the site gave again to another finding is taken from the row that
/// had it. `INSERT` and `UPDATE` only, as every copy (the hub's role needs no `DELETE`); rows the
/// site pruned go with the hub's own `camscan prune`.
fn apply_findings(
    tx: &Conn,
    site: &str,
    device_id: i64,
    findings: &[Copied],
) -> super::db::Result<()> {
    let nf = count(FINDING_COLS);
    for f in findings {
        // finding, port, stream: the first three columns.
        let key = &f.values[..3];
        tx.execute(
            "UPDATE findings SET origin_id = NULL WHERE site = ?1 AND origin_id = ?2
               AND NOT (device_id = ?3 AND finding = ?4 AND port = ?5 AND stream = ?6)",
            [
                vec![
                    Value::Text(site.into()),
                    Value::Int(f.origin),
                    Value::Int(device_id),
                ],
                key.to_vec(),
            ]
            .concat(),
        )?;
        let mut p = vec![
            Value::Text(site.into()),
            Value::Int(f.origin),
            Value::Int(device_id),
        ];
        p.extend(f.values.iter().cloned());
        tx.execute(
            &format!(
                "INSERT INTO findings (site, origin_id, device_id, {FINDING_COLS})
                 VALUES (?1, ?2, ?3, {})
                 ON CONFLICT (site, device_id, finding, port, stream)
                 DO UPDATE SET origin_id = excluded.origin_id, {}",
                placeholders(4, nf),
                excluded(FINDING_COLS)
            ),
            p,
        )?;
    }
    Ok(())
}

/// The hub's id of the row `origin` of `site` in `table`.
fn hub_id(tx: &Conn, table: &str, site: &str, origin: i64) -> super::db::Result<i64> {
    tx.query_row(
        &format!("SELECT id FROM {table} WHERE site = ?1 AND origin_id = ?2"),
        params![site, origin],
        |r| r.get(0),
    )
}
