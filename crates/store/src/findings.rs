//! Audit findings in the inventory (`camscan audit` records what it judged; `GET
//! /api/v1/findings` and the page read it back).
//!
//! A finding's identity is its site, its device, its stable id, its port and its stream: the same
//! finding judged again is the same row (its `last_seen` moves, its text is the newest), never a
//! second one. What an audit records, in one transaction with its events (so a process killed
//! with -9 never leaves a finding without its event, or the reverse):
//!
//! * a finding that was not open (never seen, or resolved since): `finding_new`;
//! * an open finding of a device this audit *judged* that it no longer found, when the caller
//!   says the audit could have seen it (the port was looked at, the method ran): resolved,
//!   `finding_resolved`. An incomplete audit (interrupted) resolves nothing, and the findings of a
//!   device it did not judge stay open.
//!
//! Events are the store's outbox, so `camscan watch` delivers them to its sinks. Bounded: rows go
//! with their device; resolved rows go with `camscan prune` (by when they were resolved) and
//! beyond the newest [`RESOLVED_PER_DEVICE`] of a device; open rows are at most what a device can
//! have (rules x ports x streams).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::json;

use super::columns::rfc3339;
use super::db::{Conn, Params, ToSql, params};
use super::events::EventQuery;
use super::{EventKind, Store, StoreError, StoreEvent};

/// Severities, least first: a finding's `severity_rank` is its index (`?severity=` filters by
/// at least one). The audit's own spelling (`camscan::audit::Severity`).
pub const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

/// Resolved findings kept per device (the newest by when they were resolved): a device whose
/// stream URLs keep changing cannot grow the table without bound between prunes.
pub const RESOLVED_PER_DEVICE: i64 = 200;

/// One finding an audit found, of a device the store knows.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    pub device_id: i64,
    /// The stable id (`stream-unauthenticated`).
    pub finding: String,
    /// One of [`SEVERITIES`].
    pub severity: String,
    pub port: Option<u16>,
    /// The stream's URL, without credentials.
    pub stream: Option<String>,
    pub title: String,
    pub evidence: String,
    pub why: String,
    pub fix: String,
    pub vendor_fix: Option<String>,
    pub source: String,
}

impl NewFinding {
    pub fn key(&self) -> FindingKey {
        FindingKey {
            device_id: self.device_id,
            finding: self.finding.clone(),
            port: self.port,
            stream: self.stream.clone(),
        }
    }
}

/// What makes two findings of a site one (the site is the audit's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FindingKey {
    pub device_id: i64,
    pub finding: String,
    pub port: Option<u16>,
    pub stream: Option<String>,
}

/// One audit's result, for [`Store::record_findings`](super::Store::record_findings).
pub struct FindingsAudit<'a> {
    pub site: &'a str,
    /// Every finding the audit found (of devices the store knows).
    pub found: &'a [NewFinding],
    /// The store ids of the devices the audit judged.
    pub judged: &'a [i64],
    /// The audit ran to its end (a scan not interrupted): only then is anything resolved.
    pub complete: bool,
    /// Whether an open finding no longer found may be resolved: the audit could have seen it
    /// (its port was looked at, the discovery method that finds it ran).
    pub may_resolve: &'a dyn Fn(&FindingKey) -> bool,
}

/// What recording an audit's findings did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingsRecorded {
    /// Findings that were not open before (`finding_new`).
    pub new: usize,
    /// Open findings no longer found (`finding_resolved`).
    pub resolved: usize,
    /// Findings open after it (of the site).
    pub open: usize,
    pub events: Vec<StoreEvent>,
}

/// Which findings a query returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingState {
    #[default]
    Open,
    Resolved,
    All,
}

impl FindingState {
    pub const NAMES: &'static [&'static str] = &["open", "resolved", "all"];
}

impl std::str::FromStr for FindingState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "open" => Ok(FindingState::Open),
            "resolved" => Ok(FindingState::Resolved),
            "all" => Ok(FindingState::All),
            _ => Err(format!(
                "{s:?}: expected one of {}",
                FindingState::NAMES.join(", ")
            )),
        }
    }
}

/// Filters of [`Store::findings`](super::Store::findings).
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub site: Option<String>,
    /// Device id, address or MAC (looked up at `site` when given).
    pub device: Option<String>,
    /// At least this severity (one of [`SEVERITIES`]).
    pub severity: Option<String>,
    pub state: FindingState,
}

/// The device a stored finding concerns, as the store knows it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingDevice {
    pub key: String,
    pub address: Option<String>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub name: Option<String>,
}

/// A finding as the store keeps it (`GET /api/v1/findings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRecord {
    /// The row's id (pages are ordered by it).
    pub id: i64,
    pub site: String,
    pub device_id: i64,
    pub device: FindingDevice,
    /// The finding's stable id (`stream-unauthenticated`).
    pub finding: String,
    pub severity: String,
    pub port: Option<u16>,
    pub stream: Option<String>,
    pub title: String,
    pub evidence: String,
    pub why: String,
    pub fix: String,
    pub vendor_fix: Option<String>,
    pub source: String,
    /// `open` or `resolved`.
    pub state: String,
    /// RFC 3339: when it was found (again, after it was resolved).
    pub first_seen: String,
    /// RFC 3339: the last audit that found it.
    pub last_seen: String,
    /// RFC 3339: when an audit no longer found it.
    pub resolved_at: Option<String>,
}

/// The rank of a severity name; unknown names rank as info.
pub fn rank(severity: &str) -> i64 {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0) as i64
}

/// A stored port (0: none) as the key reads it.
fn port_of(v: i64) -> Option<u16> {
    u16::try_from(v).ok().filter(|p| *p != 0)
}

/// A stored stream ('': none) as the key reads it.
fn stream_of(v: String) -> Option<String> {
    (!v.is_empty()).then_some(v)
}

/// An event's detail: what a sink shows without asking the store (never a secret: the title is
/// the rule's, the stream a URL without credentials).
fn detail(
    finding: &str,
    severity: &str,
    title: &str,
    port: Option<u16>,
    stream: Option<&str>,
) -> serde_json::Value {
    json!({
        "finding": finding,
        "severity": severity,
        "title": title,
        "port": port,
        "stream": stream,
    })
}

struct Stored {
    id: i64,
    open: bool,
    severity: String,
    title: String,
}

/// The site's findings as stored, by key.
fn load(tx: &Conn, site: &str) -> super::db::Result<HashMap<FindingKey, Stored>> {
    let mut stored = HashMap::new();
    for r in tx.query_all(
        "SELECT id, device_id, finding, port, stream, resolved_at, severity, title
           FROM findings WHERE site = ?1",
        params![site],
    )? {
        let key = FindingKey {
            device_id: r.get(1)?,
            finding: r.get(2)?,
            port: port_of(r.get(3)?),
            stream: stream_of(r.get(4)?),
        };
        let resolved: Option<i64> = r.get(5)?;
        stored.insert(
            key,
            Stored {
                id: r.get(0)?,
                open: resolved.is_none(),
                severity: r.get(6)?,
                title: r.get(7)?,
            },
        );
    }
    Ok(stored)
}

/// Write one event of a finding into the outbox.
fn event(
    tx: &Conn,
    (site, now): (&str, i64),
    kind: EventKind,
    device_id: i64,
    stream: Option<&str>,
    detail: serde_json::Value,
) -> super::db::Result<StoreEvent> {
    let kind_name = super::events::kind_str(kind);
    let id = tx
        .prepare_cached(
            "INSERT INTO events (scan_id, at, kind, device_id, stream_url, detail, site)
             VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .insert(params![
            now,
            kind_name,
            device_id,
            stream,
            detail.to_string(),
            site
        ])?;
    Ok(StoreEvent {
        id,
        scan_id: None,
        site: site.to_string(),
        at: rfc3339(now),
        kind,
        device_id,
        stream_url: stream.map(str::to_string),
        detail,
    })
}

/// Write a finding found now: its text and `last_seen` when it is open, opened again (a new
/// `first_seen`) when it was resolved, inserted when new. Whether it was not open before.
fn write_found(
    tx: &Conn,
    (site, now): (&str, i64),
    f: &NewFinding,
    stored: Option<&Stored>,
) -> super::db::Result<bool> {
    let text = params![
        f.severity,
        rank(&f.severity),
        f.title,
        f.evidence,
        f.why,
        f.fix,
        f.vendor_fix,
        f.source,
        now
    ];
    let mut p = text.values();
    match stored {
        Some(s) if s.open => {
            p.push(s.id.to_value());
            tx.prepare_cached(
                "UPDATE findings SET severity = ?1, severity_rank = ?2, title = ?3,
                     evidence = ?4, why = ?5, fix = ?6, vendor_fix = ?7, source = ?8,
                     last_seen = ?9 WHERE id = ?10",
            )?
            .execute(p)?;
            return Ok(false);
        }
        Some(s) => {
            p.push(s.id.to_value());
            tx.prepare_cached(
                "UPDATE findings SET severity = ?1, severity_rank = ?2, title = ?3,
                     evidence = ?4, why = ?5, fix = ?6, vendor_fix = ?7, source = ?8,
                     first_seen = ?9, last_seen = ?9, resolved_at = NULL WHERE id = ?10",
            )?
            .execute(p)?;
        }
        None => {
            let port = i64::from(f.port.unwrap_or(0));
            let stream = f.stream.as_deref().unwrap_or("");
            p.extend(params![site, f.device_id, f.finding, port, stream].values());
            tx.prepare_cached(
                "INSERT INTO findings (severity, severity_rank, title, evidence, why, fix,
                     vendor_fix, source, first_seen, last_seen, site, device_id, finding,
                     port, stream)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(p)?;
        }
    }
    Ok(true)
}

/// Keep the newest [`RESOLVED_PER_DEVICE`] resolved findings of `device`.
fn cap(tx: &Conn, device: i64) -> super::db::Result<()> {
    tx.prepare_cached(
        "DELETE FROM findings WHERE device_id = ?1 AND resolved_at IS NOT NULL
           AND id NOT IN (SELECT id FROM findings WHERE device_id = ?1
                            AND resolved_at IS NOT NULL
                          ORDER BY resolved_at DESC, id DESC LIMIT ?2)",
    )?
    .execute(params![device, RESOLVED_PER_DEVICE])?;
    Ok(())
}

/// Record `audit` (see the module's doc), in the caller's transaction.
pub(crate) fn record(
    tx: &Conn,
    audit: &FindingsAudit<'_>,
    now: i64,
) -> super::db::Result<FindingsRecorded> {
    let at = (audit.site, now);
    let stored = load(tx, audit.site)?;
    let mut out = FindingsRecorded::default();
    let mut seen: HashSet<FindingKey> = HashSet::new();
    for f in audit.found {
        let key = f.key();
        if !seen.insert(key.clone()) || !write_found(tx, at, f, stored.get(&key))? {
            continue;
        }
        out.new += 1;
        let (stream, port) = (f.stream.as_deref(), f.port);
        let detail = detail(&f.finding, &f.severity, &f.title, port, stream);
        let e = event(tx, at, EventKind::FindingNew, f.device_id, stream, detail)?;
        out.events.push(e);
    }
    if audit.complete {
        let judged: HashSet<i64> = audit.judged.iter().copied().collect();
        let mut gone: Vec<(&FindingKey, &Stored)> = stored
            .iter()
            .filter(|(k, s)| {
                s.open
                    && judged.contains(&k.device_id)
                    && !seen.contains(*k)
                    && (audit.may_resolve)(k)
            })
            .collect();
        gone.sort_by_key(|(_, s)| s.id);
        let mut capped = HashSet::new();
        for (k, s) in gone {
            tx.prepare_cached("UPDATE findings SET resolved_at = ?2 WHERE id = ?1")?
                .execute(params![s.id, now])?;
            out.resolved += 1;
            let stream = k.stream.as_deref();
            let detail = detail(&k.finding, &s.severity, &s.title, k.port, stream);
            let e = event(
                tx,
                at,
                EventKind::FindingResolved,
                k.device_id,
                stream,
                detail,
            )?;
            out.events.push(e);
            capped.insert(k.device_id);
        }
        // Each device whose findings resolved keeps its newest resolved ones.
        for device in capped {
            cap(tx, device)?;
        }
    }
    out.open = tx.query_row(
        "SELECT COUNT(*) FROM findings WHERE site = ?1 AND resolved_at IS NULL",
        params![audit.site],
        |r| r.get::<_, i64>(0),
    )? as usize;
    Ok(out)
}

/// Up to `limit` findings matching `q` (its device already resolved to `device`), by id, with an
/// id above `after`.
pub(crate) fn list(
    conn: &Conn,
    q: &FindingQuery,
    device: Option<i64>,
    after: Option<i64>,
    limit: usize,
) -> super::db::Result<Vec<FindingRecord>> {
    let state = match q.state {
        FindingState::Open => " AND f.resolved_at IS NULL",
        FindingState::Resolved => " AND f.resolved_at IS NOT NULL",
        FindingState::All => "",
    };
    let sql = format!(
        "SELECT f.id, f.site, f.device_id, f.finding, f.port, f.stream, f.severity, f.title,
                f.evidence, f.why, f.fix, f.vendor_fix, f.source, f.first_seen, f.last_seen,
                f.resolved_at, d.key, d.ip, d.mac, d.vendor, d.model, d.name
           FROM findings f JOIN devices d ON d.id = f.device_id
          WHERE f.id > ?1 AND f.severity_rank >= ?2 AND (?3 IS NULL OR f.site = ?3)
            AND (?4 IS NULL OR f.device_id = ?4){state}
          ORDER BY f.id LIMIT ?5"
    );
    let min = q.severity.as_deref().map(rank).unwrap_or(0);
    let rows = conn.query_all(
        &sql,
        params![
            after.unwrap_or(0),
            min,
            q.site.as_deref(),
            device,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
    )?;
    rows.iter()
        .map(|r| {
            let resolved: Option<i64> = r.get(15)?;
            Ok(FindingRecord {
                id: r.get(0)?,
                site: r.get(1)?,
                device_id: r.get(2)?,
                finding: r.get(3)?,
                port: port_of(r.get(4)?),
                stream: stream_of(r.get(5)?),
                severity: r.get(6)?,
                title: r.get(7)?,
                evidence: r.get(8)?,
                why: r.get(9)?,
                fix: r.get(10)?,
                vendor_fix: r.get(11)?,
                source: r.get(12)?,
                first_seen: rfc3339(r.get(13)?),
                last_seen: rfc3339(r.get(14)?),
                state: if resolved.is_some() {
                    "resolved"
                } else {
                    "open"
                }
                .to_string(),
                resolved_at: resolved.map(rfc3339),
                device: FindingDevice {
                    key: r.get(16)?,
                    address: r.get(17)?,
                    mac: r.get(18)?,
                    vendor: r.get(19)?,
                    model: r.get(20)?,
                    name: r.get(21)?,
                },
            })
        })
        .collect()
}

impl Store {
    /// Record an audit's findings and their events in one transaction (the rules of the module doc).
    pub fn record_findings(
        &mut self,
        audit: &FindingsAudit<'_>,
    ) -> Result<FindingsRecorded, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.write(|tx| record(tx, audit, now))
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
        list(&self.conn, q, device, after, limit).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Engine, TestDb, both_engines};
    use super::super::{EventKind, EventQuery, ScanInfo, Store};
    use super::*;
    use model::{Device, Report};

    both_engines!(
        findings_open_once_and_resolve_only_where_judged,
        prune_and_the_cap_bound_resolved_findings,
        findings_are_copied_to_the_hub_once,
    );

    /// A site's findings reach the hub with their device (brought by their events): the same
    /// rows, a batch applied twice adds nothing, a resolution arrives, and a finding the site
    /// pruned and found again (a new site id, the same key) replaces the hub's old row.
    fn findings_are_copied_to_the_hub_once(engine: Engine) {
        let site_db = TestDb::new(Engine::Sqlite);
        let mut site = site_db.open();
        let (a, b) = record_two(&mut site);
        let url = "rtsp://10.0.0.5:554/live";
        let found = [
            finding(a, "stream-unauthenticated", Some(554), Some(url)),
            finding(b, "upnp-exposed", None, None),
        ];
        audit(&mut site, &found, &[a, b], true);
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        let all = FindingQuery {
            state: FindingState::All,
            ..FindingQuery::default()
        };
        let view = |s: &Store| {
            let mut v: Vec<_> = s
                .findings(&all, None, 100)
                .unwrap()
                .into_iter()
                .map(|f| {
                    (
                        f.device.address,
                        f.finding,
                        f.port,
                        f.stream,
                        f.state,
                        f.first_seen,
                    )
                })
                .collect();
            v.sort();
            v
        };
        let push = |hub: &mut Store, site: &Store| {
            let mut cursor = hub.hub_cursor("lab").unwrap();
            loop {
                let batch = site.replica_batch("lab", cursor, 10, 100).unwrap();
                if batch.is_empty() {
                    break;
                }
                cursor = hub.apply_replica(&batch, "test").unwrap();
                // Applied again: nothing changes.
                let before = view(hub);
                hub.apply_replica(&batch, "test").unwrap();
                assert_eq!(view(hub), before);
            }
        };
        push(&mut hub, &site);
        assert_eq!(view(&hub), view(&site));
        assert_eq!(view(&hub).len(), 2);
        // Resolved at the site: resolved at the hub.
        audit(&mut site, &found[1..], &[a, b], true);
        push(&mut hub, &site);
        assert_eq!(view(&hub), view(&site));
        assert!(view(&hub).iter().any(|f| f.4 == "resolved"));
        // Pruned at the site, then found again: one row at the hub, open.
        site.conn
            .execute(
                "DELETE FROM findings WHERE resolved_at IS NOT NULL",
                params![],
            )
            .unwrap();
        audit(&mut site, &found, &[a, b], true);
        push(&mut hub, &site);
        assert_eq!(view(&hub), view(&site));
        assert!(view(&hub).iter().all(|f| f.4 == "open"));
        assert_eq!(
            hub.hub_cursor("lab").unwrap().last_event,
            site.last_event_id().unwrap()
        );
        // SQLite gives the newest row's id again once it is deleted: the hub's row that had
        // that site id lets go of it, and the new finding is copied beside it.
        let (max, key): (i64, String) = site
            .conn
            .query_row(
                "SELECT id, finding FROM findings ORDER BY id DESC LIMIT 1",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        site.conn
            .execute("DELETE FROM findings WHERE id = ?1", params![max])
            .unwrap();
        let mut next: Vec<NewFinding> =
            found.iter().filter(|f| f.finding != key).cloned().collect();
        next.push(finding(a, "clock-skew", None, None));
        audit(&mut site, &next, &[], true);
        let reused: i64 = site
            .conn
            .query_row(
                "SELECT id FROM findings WHERE finding = 'clock-skew'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(reused, max, "SQLite reused the id");
        push(&mut hub, &site);
        let at_hub = view(&hub);
        assert_eq!(at_hub.len(), 3, "{at_hub:?}");
        assert!(at_hub.iter().any(|f| f.1 == "clock-skew"));
    }

    fn record_two(s: &mut Store) -> (i64, i64) {
        let now = jiff::Timestamp::now().to_string();
        let mut report = Report {
            schema_version: model::SCHEMA_VERSION,
            camscan_version: "0.1.0".into(),
            started_at: now.clone(),
            finished_at: now,
            complete: true,
            targets: vec!["10.0.0.0/24".into()],
            plan: None,
            coverage: None,
            devices: vec![],
        };
        for (ip, mac) in [
            ("10.0.0.5", "aa:bb:cc:00:00:01"),
            ("10.0.0.6", "aa:bb:cc:00:00:02"),
        ] {
            let mut d = Device::new(ip.parse().unwrap());
            d.mac = Some(mac.into());
            d.open_ports = vec![554];
            report.devices.push(d);
        }
        let scan = ScanInfo::of_report(&report, "lab", &[554], &[]);
        s.record_scan(&scan, &report, &[]).unwrap();
        let id = |ip| s.device_id(ip, Some("lab")).unwrap().unwrap();
        (id("10.0.0.5"), id("10.0.0.6"))
    }

    fn finding(device_id: i64, id: &str, port: Option<u16>, stream: Option<&str>) -> NewFinding {
        NewFinding {
            device_id,
            finding: id.into(),
            severity: "high".into(),
            port,
            stream: stream.map(str::to_string),
            title: format!("{id} title"),
            evidence: "DESCRIBE answered 200 without credentials".into(),
            why: "anyone on the LAN can watch".into(),
            fix: "require a password".into(),
            vendor_fix: None,
            source: "a guide".into(),
        }
    }

    fn audit(
        s: &mut Store,
        found: &[NewFinding],
        judged: &[i64],
        complete: bool,
    ) -> FindingsRecorded {
        s.record_findings(&FindingsAudit {
            site: "lab",
            found,
            judged,
            complete,
            may_resolve: &|_: &FindingKey| true,
        })
        .unwrap()
    }

    fn kinds(r: &FindingsRecorded) -> Vec<(EventKind, String)> {
        r.events
            .iter()
            .map(|e| (e.kind, e.detail["finding"].as_str().unwrap().to_string()))
            .collect()
    }

    fn open(s: &Store) -> Vec<(i64, String)> {
        s.findings(&FindingQuery::default(), None, 100)
            .unwrap()
            .into_iter()
            .map(|f| (f.device_id, f.finding))
            .collect()
    }

    /// A finding opens once (a second audit finding it again writes no event), an incomplete
    /// audit resolves nothing, a device not judged keeps its findings, a judged device's finding
    /// no longer found resolves once and opens again when found again; the events are in the
    /// outbox with the finding's id, severity, port, stream and title.
    fn findings_open_once_and_resolve_only_where_judged(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let (a, b) = record_two(&mut s);
        let url = "rtsp://10.0.0.5:554/live";
        let both = [
            finding(a, "stream-unauthenticated", Some(554), Some(url)),
            finding(b, "upnp-exposed", None, None),
        ];
        let r = audit(&mut s, &both, &[a, b], true);
        assert_eq!((r.new, r.resolved, r.open), (2, 0, 2));
        assert_eq!(r.events[0].kind, EventKind::FindingNew);
        assert_eq!(r.events[0].stream_url.as_deref(), Some(url));
        assert_eq!(
            r.events[0].detail,
            json!({"finding": "stream-unauthenticated", "severity": "high",
                   "title": "stream-unauthenticated title", "port": 554, "stream": url})
        );
        let again = audit(&mut s, &both, &[a, b], true);
        assert_eq!((again.new, again.resolved, again.events.len()), (0, 0, 0));

        // Interrupted: nothing resolves. Not judged: b's finding stays open.
        let none = audit(&mut s, &[], &[a, b], false);
        assert_eq!(none.events.len(), 0);
        let only_a = audit(&mut s, &[], &[a], true);
        assert_eq!(
            kinds(&only_a),
            [(EventKind::FindingResolved, "stream-unauthenticated".into())]
        );
        assert_eq!(open(&s), [(b, "upnp-exposed".to_string())]);
        // The caller may keep a finding open (its port was not looked at).
        let kept = s
            .record_findings(&FindingsAudit {
                site: "lab",
                found: &[],
                judged: &[b],
                complete: true,
                may_resolve: &|_: &FindingKey| false,
            })
            .unwrap();
        assert!(kept.events.is_empty());
        assert_eq!(open(&s).len(), 1);
        let resolved = s
            .findings(
                &FindingQuery {
                    state: FindingState::Resolved,
                    ..FindingQuery::default()
                },
                None,
                10,
            )
            .unwrap();
        assert_eq!(resolved.len(), 1);
        assert!(resolved[0].resolved_at.is_some());
        assert_eq!(resolved[0].device.address.as_deref(), Some("10.0.0.5"));
        // Found again: open again, one event, the same row.
        let back = audit(&mut s, &both[..1], &[a], true);
        assert_eq!(
            kinds(&back),
            [(EventKind::FindingNew, "stream-unauthenticated".into())]
        );
        let all = s
            .findings(
                &FindingQuery {
                    state: FindingState::All,
                    ..FindingQuery::default()
                },
                None,
                10,
            )
            .unwrap();
        assert_eq!(all.len(), 2, "one row per finding");
        // Filters: device (by address), severity at least, site.
        let q = |device: Option<&str>, severity: Option<&str>, site: Option<&str>| FindingQuery {
            device: device.map(str::to_string),
            severity: severity.map(str::to_string),
            site: site.map(str::to_string),
            state: FindingState::All,
        };
        assert_eq!(
            s.findings(&q(Some("10.0.0.6"), None, None), None, 10)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.findings(&q(None, Some("critical"), None), None, 10)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            s.findings(&q(None, Some("high"), None), None, 10)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.findings(&q(None, None, Some("elsewhere")), None, 10)
                .unwrap()
                .len(),
            0
        );
        assert!(
            s.findings(&q(Some("10.9.9.9"), None, None), None, 10)
                .is_err()
        );
        // Pages by id.
        let first = s.findings(&q(None, None, None), None, 1).unwrap();
        let next = s
            .findings(&q(None, None, None), Some(first[0].id), 10)
            .unwrap();
        assert_eq!(next.len(), 1);
        assert!(next[0].id > first[0].id);
        // The events are the outbox's: a sink sees them in order.
        let kinds_in_store: Vec<EventKind> = s
            .events(&EventQuery::default())
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| e.kind)
            .filter(|k| matches!(k, EventKind::FindingNew | EventKind::FindingResolved))
            .collect();
        assert_eq!(
            kinds_in_store,
            [
                EventKind::FindingNew,
                EventKind::FindingNew,
                EventKind::FindingResolved,
                EventKind::FindingNew
            ]
        );
    }

    /// Resolved findings go with `prune` and beyond the newest [`RESOLVED_PER_DEVICE`] of a
    /// device; open ones stay.
    fn prune_and_the_cap_bound_resolved_findings(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let (a, _) = record_two(&mut s);
        let many: Vec<NewFinding> = (0..RESOLVED_PER_DEVICE + 5)
            .map(|i| {
                finding(
                    a,
                    "stream-unauthenticated",
                    Some(554),
                    Some(&format!("rtsp://x/{i}")),
                )
            })
            .collect();
        audit(&mut s, &many, &[a], true);
        let keep = finding(a, "clock-skew", None, None);
        let r = audit(&mut s, std::slice::from_ref(&keep), &[a], true);
        assert_eq!(r.resolved as i64, RESOLVED_PER_DEVICE + 5);
        let all = FindingQuery {
            state: FindingState::All,
            ..FindingQuery::default()
        };
        let rows = s.findings(&all, None, 1000).unwrap();
        assert_eq!(
            rows.len() as i64,
            RESOLVED_PER_DEVICE + 1,
            "capped, the open one kept"
        );
        // Prune: resolved findings older than the age go; the open one stays.
        s.conn
            .execute(
                "UPDATE findings SET resolved_at = resolved_at - 86400000
                 WHERE resolved_at IS NOT NULL",
                params![],
            )
            .unwrap();
        let p = s.prune(std::time::Duration::from_secs(3600)).unwrap();
        assert_eq!(p.findings as i64, RESOLVED_PER_DEVICE);
        assert_eq!(open(&s), [(a, "clock-skew".to_string())]);
    }
}
