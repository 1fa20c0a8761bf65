//! The hub's side of [`super`]: its cursor for a site, and a batch applied in one transaction
//! (rows upserted or inserted once by their site and `origin_id`, the site's ids turned into the
//! hub's).

use super::*;

/// The hub's cursor for `site` (nothing yet: zeros).
pub(crate) fn cursor(conn: &Conn, site: &str) -> crate::db::Result<HubCursor> {
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

/// A site's agent says who it is (in the caller's transaction): the site's name is bound to the
/// first inventory that sends it, and a batch from another inventory is refused, as is a login
/// that belongs to another site (`camscan hub add-site`). The hub's cursor for the site, or why
/// it refuses (one line: both inventory ids and the fix).
pub(crate) fn hello(
    tx: &Conn,
    site: &str,
    inventory: &str,
    now: i64,
) -> crate::db::Result<Result<HubCursor, String>> {
    let pg = tx.engine() == crate::db::Engine::Postgres;
    if pg {
        let (role, own): (String, String) = tx.query_row(
            "SELECT current_user::text, camscan_site()",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if !own.is_empty() && own != site {
            return Ok(Err(format!(
                "this hub login ({role}) is site \"{own}\"'s, not \"{site}\"'s: give this agent \
                 --site {own}, or the login `camscan hub add-site {site}` made"
            )));
        }
    }
    if let Err(refused) = bind(tx, site, inventory, now)? {
        return Ok(Err(refused));
    }
    Ok(Ok(cursor(tx, site)?))
}

/// Bind `site`'s name to `inventory` when it is bound to none (the row locked first on
/// PostgreSQL), or why it is another's. Nothing is written when it is.
fn bind(tx: &Conn, site: &str, inventory: &str, now: i64) -> crate::db::Result<Result<(), String>> {
    let lock = if tx.engine() == crate::db::Engine::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let found: Option<(Option<String>, Option<i64>)> = tx
        .query_row(
            &format!("SELECT inventory_id, bound_at FROM sites WHERE name = ?1{lock}"),
            params![site],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match found {
        None => {
            tx.execute(
                "INSERT INTO sites (name, inventory_id, bound_at) VALUES (?1, ?2, ?3)",
                params![site, inventory, now],
            )?;
        }
        Some((None, _)) => {
            tx.execute(
                "UPDATE sites SET inventory_id = ?2, bound_at = ?3 WHERE name = ?1",
                params![site, inventory, now],
            )?;
        }
        Some((Some(bound), at)) if bound != inventory => {
            return Ok(Err(taken(site, &bound, at, inventory)));
        }
        Some(_) => {}
    }
    Ok(Ok(()))
}

/// Why a site's name is not this inventory's.
fn taken(site: &str, bound: &str, at: Option<i64>, inventory: &str) -> String {
    let since = at
        .map(|t| format!(" since {}", crate::columns::rfc3339(t)))
        .unwrap_or_default();
    format!(
        "the hub's site \"{site}\" belongs to inventory {bound}{since}, and this is inventory \
         {inventory}: two agents with one site name (a cloned image, a default host name) or this \
         site's inventory made again. Give this agent a site name of its own (--site NAME), or, \
         if inventory {bound} is gone for good, run `camscan hub forget-site {site}` with the hub \
         owner's login"
    )
}

/// The hub's side: apply `batch` (in the caller's transaction) and move the site's cursor; rows
/// already there are updated or left as they are. `agent` says who sent it; `now` is Unix ms.
pub(crate) fn apply(
    tx: &Conn,
    batch: &ReplicaBatch,
    agent: &str,
    now: i64,
) -> crate::db::Result<Result<HubCursor, String>> {
    let site = batch.site.as_str();
    // The binding again, in this transaction: a `forget-site` or another inventory since the
    // agent's hello.
    if let Err(refused) = bind(tx, site, &batch.inventory, now)? {
        return Ok(Err(refused));
    }
    let before = cursor(tx, site)?;
    // A batch read after another cursor than the hub's (the site forgotten at the hub, another
    // agent of the site sending meanwhile) would leave a gap or skip: the agent reads again.
    if before != batch.after {
        let to = batch.cursor(batch.after);
        if to.last_event <= before.last_event
            && to.last_scan <= before.last_scan
            && to.last_check <= before.last_check
            && batch.scans.iter().all(|s| s.origin <= before.last_scan)
        {
            // Applied already (an agent that lost the hub's answer sends it again): nothing to do.
            return Ok(Ok(before));
        }
        return Err(crate::db::DbError::Other(format!(
            "the hub's cursor for site \"{site}\" moved while this batch was read; reading again"
        )));
    }
    crate::sites::touch(tx, site, agent, now)?;
    let mut texts = crate::scans::record::Texts::new();
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
    Ok(Ok(after))
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
    fn stream(&mut self, tx: &Conn, site: &str, origin: i64) -> crate::db::Result<Option<i64>> {
        if let Some(id) = self.streams.get(&origin) {
            return Ok(*id);
        }
        let id = hub_id(tx, "streams", site, origin).optional()?;
        self.streams.insert(origin, id);
        Ok(id)
    }

    fn scan(&mut self, tx: &Conn, site: &str, origin: i64) -> crate::db::Result<Option<i64>> {
        if let Some(id) = self.scans.get(&origin) {
            return Ok(*id);
        }
        let id = hub_id(tx, "scans", site, origin).optional()?;
        self.scans.insert(origin, id);
        Ok(id)
    }

    fn device(&mut self, tx: &Conn, site: &str, origin: i64) -> crate::db::Result<Option<i64>> {
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
) -> crate::db::Result<()> {
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
fn insert_rows(tx: &Conn, into: &str, width: usize, rows: &[Vec<Value>]) -> crate::db::Result<()> {
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
/// ([`crate::checks::prune_checks`]). The hub's ids follow the site's, so "the newest" is the
/// same checks at both.
fn apply_checks(
    tx: &Conn,
    site: &str,
    checks: &[Copied],
    after: i64,
    ids: &mut HubIds,
) -> crate::db::Result<()> {
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
        crate::checks::prune_checks(tx, stream)?;
    }
    Ok(())
}

/// A batch's per-scan snapshots at the hub, in the hub's terms: its scan, device, stream and
/// text ids; one there already is written again (the same).
fn apply_snapshots(
    tx: &Conn,
    site: &str,
    snapshots: &[CopiedSnapshot],
    texts: &mut crate::scans::record::Texts,
    ids: &mut HubIds,
) -> crate::db::Result<()> {
    for snap in snapshots {
        let (Some(scan), Some(device)) = (
            ids.scan(tx, site, snap.scan)?,
            ids.device(tx, site, snap.device)?,
        ) else {
            continue;
        };
        let seen = match crate::columns::parse_seen(&snap.seen) {
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
    texts: &mut crate::scans::record::Texts,
    ids: &mut HubIds,
) -> crate::db::Result<i64> {
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
) -> crate::db::Result<()> {
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
fn hub_id(tx: &Conn, table: &str, site: &str, origin: i64) -> crate::db::Result<i64> {
    tx.query_row(
        &format!("SELECT id FROM {table} WHERE site = ?1 AND origin_id = ?2"),
        params![site, origin],
        |r| r.get(0),
    )
}
