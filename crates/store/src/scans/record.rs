//! Writing one scan: the report reduced to observations (credential-free URLs, stream keys that
//! survive an address change, keyed hashes of working credentials), the store's prior state
//! loaded, the plan of [`super::derive`] applied in one transaction, and the scan's compact
//! snapshot kept for `diff`.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::db::{self, Conn, OptionalExtension, params};

use super::derive::{
    Facts, ObsStream, Observed, Plan, Planned, PriorDevice, PriorStream, Who, capability_change,
    plan, stream_state,
};
use super::{Recorded, ScanInfo};
use crate::EventKind;
use crate::columns::{
    clean_url, compact_json, cred_hash, device_state_str, join_ports, measured_text, method_name,
    millis, parse_auth, parse_state, parse_status, parse_stream_state, percent_decode, rfc3339,
    split_ports, status_column, stream_key, stream_state_str,
};
use crate::{DeviceState, StoreEvent};
use model::Credential;
use model::identity::{Identity, merge_observations};
use model::{Device, Report, Stream};

/// The credential that opened `s` on `ip`: from the URL when it carries one
/// (`--show-credentials`), else the entry of `creds` the scan says opened it
/// ([`Stream::credential_entry`]), else the one entry of `creds` for `ip` with the stream's user
/// name (several with that name: unknown).
pub fn working_credential(
    s: &Stream,
    ip: IpAddr,
    creds: &[Credential],
) -> Option<(String, String)> {
    if !s.status.answers() {
        return None;
    }
    if let Ok(u) = url::Url::parse(&s.url)
        && let Some(p) = u.password()
    {
        return Some((percent_decode(u.username()), percent_decode(p)));
    }
    let user = s.username.as_deref()?;
    if let Some(c) = s.credential_entry.and_then(|i| creds.get(i))
        && c.username == user
    {
        return Some((c.username.clone(), c.password.clone()));
    }
    let mut it = creds
        .iter()
        .filter(|c| c.username == user && c.applies_to(ip));
    let first = it.next()?;
    it.next()
        .is_none()
        .then(|| (first.username.clone(), first.password.clone()))
}

/// The report's devices as the store observes them.
pub(crate) fn observe<'a>(
    devices: &'a [Device],
    key: &[u8],
    creds: &[Credential],
) -> Vec<Observed<'a>> {
    devices
        .iter()
        .map(|d| {
            let mut ports = d.open_ports.clone();
            ports.sort_unstable();
            ports.dedup();
            let mut seen = std::collections::HashSet::new();
            let streams = d
                .streams
                .iter()
                .filter_map(|s| {
                    let url = clean_url(&s.url);
                    let skey = stream_key(&url, s.port);
                    if !seen.insert(skey.clone()) {
                        return None;
                    }
                    let cred =
                        working_credential(s, d.ip, creds).map(|(u, p)| cred_hash(key, &u, &p));
                    Some(ObsStream {
                        stream: s,
                        skey,
                        url,
                        facts: Facts::of(s),
                        state: stream_state(s),
                        cred,
                    })
                })
                .collect();
            let mut methods: Vec<String> = d
                .discovered_by
                .iter()
                .map(|m| method_name(*m).to_string())
                .collect();
            methods.sort();
            methods.dedup();
            Observed {
                device: d,
                identity: Identity::of(d),
                ports,
                methods,
                streams,
            }
        })
        .collect()
}

/// Every device the store holds, with its streams, as [`super::derive::plan`] compares them.
fn load_prior(tx: &Conn, site: &str) -> db::Result<(Vec<PriorDevice>, HashMap<i64, usize>)> {
    let mut stmt = tx.prepare(
        "SELECT id, mac, serial_key, uuid, ip, vendor, model, firmware, state, methods, ports,
                last_seen FROM devices WHERE site = ?1",
    )?;
    let mut prior: Vec<PriorDevice> = stmt
        .query_map(params![site], |r| {
            let vendor: Option<String> = r.get(5)?;
            Ok(PriorDevice {
                id: r.get(0)?,
                identity: Identity {
                    mac: r.get(1)?,
                    serial: r.get(2)?,
                    vendor: vendor.as_deref().map(str::to_ascii_lowercase),
                    uuid: r.get(3)?,
                },
                ip: r.get::<_, Option<String>>(4)?.and_then(|s| s.parse().ok()),
                vendor,
                model: r.get(6)?,
                firmware: r.get(7)?,
                state: parse_state(&r.get::<_, String>(8)?),
                methods: r
                    .get::<_, String>(9)?
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
                ports: split_ports(&r.get::<_, String>(10)?),
                last_seen: r.get(11)?,
                streams: Vec::new(),
            })
        })?
        .collect::<db::Result<_>>()?;
    let by_id: HashMap<i64, usize> = prior.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let mut stmt = tx.prepare(
        "SELECT s.device_id, s.id, s.url, s.port, s.status, s.auth, s.state, t.text, s.cred
         FROM streams s JOIN devices d ON d.id = s.device_id
         LEFT JOIN texts t ON t.id = s.facts WHERE d.site = ?1 ORDER BY s.id",
    )?;
    let mut rows = stmt.query(params![site])?;
    while let Some(r) = rows.next()? {
        let Some(&i) = by_id.get(&r.get::<_, i64>(0)?) else {
            continue;
        };
        let url: String = r.get(2)?;
        let port: u16 = r.get(3)?;
        prior[i].streams.push(PriorStream {
            id: r.get(1)?,
            skey: stream_key(&url, port),
            url,
            port,
            status: parse_status(&r.get::<_, String>(4)?),
            auth: parse_auth(&r.get::<_, String>(5)?),
            state: parse_stream_state(&r.get::<_, String>(6)?),
            facts: Facts::parse(r.get::<_, Option<String>>(7)?.as_deref().unwrap_or("")),
            cred: r.get(8)?,
        });
    }
    Ok((prior, by_id))
}

/// The key `texts` are found by.
fn text_hash(text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(text.as_bytes());
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Strings shared by many snapshot rows, stored once.
pub(crate) struct Texts {
    cache: HashMap<String, i64>,
}

impl Texts {
    pub fn new() -> Self {
        Texts {
            cache: HashMap::new(),
        }
    }

    pub fn id(&mut self, tx: &Conn, text: &str) -> db::Result<i64> {
        if let Some(&id) = self.cache.get(text) {
            return Ok(id);
        }
        let hash = text_hash(text);
        let found: Option<i64> = tx
            .prepare_cached("SELECT id FROM texts WHERE hash = ?1 AND text = ?2")?
            .query_row(params![hash, text], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => tx
                .prepare_cached("INSERT INTO texts (hash, text) VALUES (?1, ?2)")?
                .insert(params![hash, text])?,
        };
        self.cache.insert(text.to_string(), id);
        Ok(id)
    }
}

/// The stream's description (video and audio), the part many streams share.
fn media_json(s: &Stream) -> String {
    compact_json(serde_json::json!({ "video": s.video, "audio": s.audio }))
}

/// Rows written before sites existed (site `''`) belong to the first site that records: the
/// inventory file was that machine's.
fn adopt_unsited(tx: &Conn, site: &str) -> db::Result<()> {
    for table in ["devices", "scans", "events"] {
        tx.execute(
            &format!("UPDATE {table} SET site = ?1 WHERE site = ''"),
            params![site],
        )?;
    }
    Ok(())
}

/// Record `scan` and `report` (the body of [`super::Store::record_scan`]).
/// Which `scans` row a recording writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanRow {
    /// A new row: the whole scan at once.
    New,
    /// Devices that became final while scan `id` (begun with [`begin`]) runs: recorded as an
    /// interrupted scan would record them (nothing taken offline), the row still running.
    Part(i64),
    /// Scan `id`'s end: the whole report, as [`ScanRow::New`] would record it, into its row.
    Final(i64),
}

/// A scan that records its devices as they become final: its row, complete = 0 and a heartbeat
/// (`now`) until its end. Heartbeats older than [`STALE_MS`] (a recording process killed) are
/// cleared first: those scans ended, incomplete.
pub(crate) fn begin(tx: &Conn, scan: &ScanInfo, now: i64) -> db::Result<i64> {
    adopt_unsited(tx, &scan.site)?;
    tx.execute(
        "UPDATE scans SET heartbeat = NULL WHERE heartbeat < ?1",
        params![now - STALE_MS],
    )?;
    tx.insert(
        "INSERT INTO scans (started_at, finished_at, complete, targets, ports, methods, version,
             site, heartbeat)
         VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            millis(&scan.started_at),
            now,
            serde_json::to_string(&scan.targets).unwrap_or_default(),
            join_ports(&scan.ports),
            serde_json::to_string(&scan.methods).unwrap_or_default(),
            scan.version,
            scan.site,
            now,
        ],
    )
}

/// A running scan's heartbeat older than this (ms): its recording process is gone, the scan
/// ended incomplete. Recorders beat at least every 30 s.
pub(crate) const STALE_MS: i64 = 2 * 60 * 1000;

/// The scan's row: a new one, or the running scan's, moved on (a part) or ended (its end).
fn scan_row(tx: &Conn, scan: &ScanInfo, row: ScanRow, now: i64) -> db::Result<i64> {
    Ok(match row {
        ScanRow::New => tx.insert(
            "INSERT INTO scans (started_at, finished_at, complete, targets, ports, methods, version,
                 site, coverage)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                millis(&scan.started_at),
                now,
                scan.complete,
                serde_json::to_string(&scan.targets).unwrap_or_default(),
                join_ports(&scan.ports),
                serde_json::to_string(&scan.methods).unwrap_or_default(),
                scan.version,
                scan.site,
                coverage(scan),
            ],
        )?,
        ScanRow::Part(id) => {
            tx.execute(
                "UPDATE scans SET finished_at = ?2, heartbeat = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            id
        }
        ScanRow::Final(id) => {
            tx.execute(
                "UPDATE scans SET finished_at = ?2, complete = ?3, heartbeat = NULL,
                     coverage = ?4 WHERE id = ?1",
                params![id, now, scan.complete, coverage(scan)],
            )?;
            id
        }
    })
}

/// The scan's coverage record as the `coverage` column keeps it (JSON; NULL when unknown).
fn coverage(scan: &ScanInfo) -> Option<String> {
    scan.coverage
        .as_ref()
        .and_then(|c| serde_json::to_string(c).ok())
}

/// The scan's devices and events: this recording's (a new row), or all its parts' and end's.
fn count_scan(
    tx: &Conn,
    scan_id: i64,
    row: ScanRow,
    (devices, events): (usize, usize),
) -> db::Result<()> {
    if row == ScanRow::New {
        tx.execute(
            "UPDATE scans SET devices = ?2, events = ?3 WHERE id = ?1",
            params![scan_id, devices as i64, events as i64],
        )?;
    } else {
        tx.execute(
            "UPDATE scans SET
                 devices = (SELECT COUNT(*) FROM scan_devices WHERE scan_id = ?1),
                 events = (SELECT COUNT(*) FROM events WHERE scan_id = ?1)
             WHERE id = ?1",
            params![scan_id],
        )?;
    }
    Ok(())
}

pub(crate) fn record(
    tx: &Conn,
    key: &[u8],
    scan: &ScanInfo,
    report: &Report,
    creds: &[Credential],
    row: ScanRow,
) -> db::Result<Recorded> {
    let now = millis(&scan.finished_at);
    adopt_unsited(tx, &scan.site)?;
    let scan_id = scan_row(tx, scan, row, now)?;
    // A part records as an interrupted scan: nothing unseen is judged.
    let part;
    let scan = if matches!(row, ScanRow::Part(_)) {
        part = ScanInfo {
            complete: false,
            ..scan.clone()
        };
        &part
    } else {
        scan
    };

    let devices = merge_observations(&report.devices);
    let obs = observe(&devices, key, creds);
    let (prior, _) = load_prior(tx, &scan.site)?;
    let mut plan = plan(&prior, scan, &obs);
    let mut ids = Vec::with_capacity(obs.len());
    let mut texts = Texts::new();
    let mut changed_capabilities = Vec::new();
    for (o, seen) in obs.iter().zip(&plan.seen) {
        let prior = seen.prior.map(|i| &prior[i]);
        let id = write_device(tx, now, &scan.site, o, prior, &seen.ports, &mut texts)?;
        ids.push(id);
        // What the device can do, against its stored description (complete scans only: an
        // analysis cut short proves nothing).
        if let (Some(pi), true) = (seen.prior, scan.complete)
            && let Some(before) =
                crate::reports::field::<model::Capabilities>(tx, id, "capabilities")?
            && let Some(detail) = capability_change(&before, &o.device.capabilities)
        {
            changed_capabilities.push(Planned {
                who: Who::Prior(pi),
                kind: EventKind::CapabilitiesChanged,
                stream_url: None,
                detail,
            });
        }
        crate::reports::write(tx, id, scan_id, scan.complete, o.device)?;
        let mut snap = Vec::with_capacity(o.streams.len());
        for ((s, &write), &ps) in o
            .streams
            .iter()
            .zip(&seen.write_stream)
            .zip(&seen.prior_streams)
        {
            let prior_id = prior.zip(ps).map(|(p, i)| p.streams[i].id);
            let fid = texts.id(tx, &s.facts.to_text())?;
            let sid = match prior_id {
                Some(sid) if !write => sid,
                _ => write_stream(tx, now, id, s, prior_id, fid, &mut texts)?,
            };
            snap.push(format!("{sid} {} {fid}", s.stream.status.as_str()));
        }
        if let Some(p) = prior {
            for u in &seen.unlisted {
                tx.prepare_cached("UPDATE streams SET state = ?2, state_since = ?3 WHERE id = ?1")?
                    .execute(params![
                        p.streams[u.prior_stream].id,
                        stream_state_str(u.state),
                        now
                    ])?;
            }
        }
        let d = o.device;
        let info = texts.id(
            tx,
            &format!(
                "{}\t{}\t{}",
                d.vendor.as_deref().unwrap_or(""),
                d.model.as_deref().unwrap_or(""),
                d.firmware.as_deref().unwrap_or("")
            ),
        )?;
        let seen = texts.id(
            tx,
            &format!("{}|{}|{}", d.ip, join_ports(&o.ports), snap.join(";")),
        )?;
        tx.prepare_cached(
            "INSERT INTO scan_devices (scan_id, device_id, info, seen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scan_id, device_id) DO UPDATE SET info = excluded.info,
                 seen = excluded.seen",
        )?
        .execute(params![scan_id, id, info, seen])?;
    }
    for &(pi, state) in &plan.unseen {
        let id = prior[pi].id;
        tx.prepare_cached("UPDATE devices SET state = ?2, state_since = ?3 WHERE id = ?1")?
            .execute(params![id, device_state_str(state), now])?;
        if state == DeviceState::Offline {
            tx.prepare_cached(
                "UPDATE streams SET state = 'down', state_since = ?2
                 WHERE device_id = ?1 AND state <> 'down'",
            )?
            .execute(params![id, now])?;
        }
    }
    plan.events.extend(changed_capabilities);
    let events = write_events(tx, scan_id, &scan.site, now, &plan, &prior, &ids)?;
    count_scan(tx, scan_id, row, (obs.len(), events.len()))?;
    let (new, gone, changed) = plan.counts();
    Ok(Recorded {
        scan_id,
        events,
        new,
        gone,
        changed,
    })
}

#[allow(clippy::too_many_arguments)]
fn write_device(
    tx: &Conn,
    now: i64,
    site: &str,
    o: &Observed<'_>,
    prior: Option<&PriorDevice>,
    ports: &[u16],
    texts: &mut Texts,
) -> db::Result<i64> {
    let d = o.device;
    let mut identity = o.identity.clone();
    if let Some(p) = prior {
        identity.absorb(&p.identity);
    }
    let key = identity.key(Some(d.ip));
    let services = if d.services.is_empty() {
        None
    } else {
        let json = compact_json(serde_json::to_value(&d.services).unwrap_or_default());
        Some(texts.id(tx, &json)?)
    };
    let id = match prior {
        None => tx
            .prepare_cached(&crate::schema::new_device_sql(tx.engine()))?
            .insert(params![
                key,
                identity.mac,
                identity.serial,
                identity.uuid,
                d.ip.to_string(),
                d.hostname,
                d.vendor,
                d.model,
                d.firmware,
                d.serial,
                d.name,
                d.is_camera,
                o.methods.join(","),
                join_ports(ports),
                services,
                now,
                site,
            ])?,
        Some(p) => {
            tx.prepare_cached(
                "UPDATE devices SET key = ?2, mac = ?3, serial_key = ?4, uuid = ?5, ip = ?6,
                     hostname = COALESCE(?7, hostname), vendor = COALESCE(?8, vendor),
                     model = COALESCE(?9, model), firmware = COALESCE(?10, firmware),
                     serial = COALESCE(?11, serial), name = COALESCE(?12, name),
                     is_camera = CASE WHEN ?13 <> 0 THEN 1 ELSE is_camera END, methods = ?14, ports = ?15,
                     services = COALESCE(?16, services),
                     last_seen = CASE WHEN last_seen > ?17 THEN last_seen ELSE ?17 END,
                     state_since = CASE WHEN state = 'online' THEN state_since ELSE ?17 END,
                     state = 'online'
                 WHERE id = ?1",
            )?
            .execute(params![
                p.id,
                key,
                identity.mac,
                identity.serial,
                identity.uuid,
                d.ip.to_string(),
                d.hostname,
                d.vendor,
                d.model,
                d.firmware,
                d.serial,
                d.name,
                d.is_camera,
                o.methods.join(","),
                join_ports(ports),
                services,
                now,
            ])?;
            p.id
        }
    };
    if let Some(name) = &d.camera_name {
        // Fixed once given: a scan sets it only where there is none.
        tx.prepare_cached(
            "UPDATE devices SET camera_name = ?2 WHERE id = ?1 AND camera_name IS NULL",
        )?
        .execute(params![id, name])?;
    }
    let mut addrs = vec![d.ip];
    for a in &d.addresses {
        if !addrs.contains(a) {
            addrs.push(*a);
        }
    }
    for a in addrs {
        tx.prepare_cached(
            "INSERT INTO addresses (device_id, ip, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (device_id, ip) DO UPDATE SET last_seen = CASE
                 WHEN addresses.last_seen > excluded.last_seen THEN addresses.last_seen
                 ELSE excluded.last_seen END",
        )?
        .execute(params![id, a.to_string(), now])?;
    }
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
fn write_stream(
    tx: &Conn,
    now: i64,
    device: i64,
    s: &ObsStream<'_>,
    prior: Option<i64>,
    facts: i64,
    texts: &mut Texts,
) -> db::Result<i64> {
    let st = s.stream;
    // An undescribed stream (asks for credentials, not opened) keeps its last description.
    let described = s.facts.described();
    let media = match described || st.video.is_some() || st.audio.is_some() {
        true => Some(texts.id(tx, &media_json(st))?),
        false => None,
    };
    let facts = described.then_some(facts);
    let measured = st.measured.as_ref().map(measured_text);
    let verified = st.verified.then_some(now);
    let Some(id) = prior else {
        let p = params![
            device,
            s.url,
            st.protocol.as_str(),
            st.port,
            status_column(st.status),
            st.auth.as_str(),
            st.username,
            s.cred,
            facts,
            media,
            measured,
            now,
            verified,
            stream_state_str(s.state),
        ];
        return tx
            .prepare_cached(
                "INSERT INTO streams (device_id, url, protocol, port, status, auth, username, cred,
                 facts, media, measured, first_seen, last_seen, last_verified, state, state_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?12)",
            )?
            .insert(p);
    };
    tx.prepare_cached(
        "UPDATE streams SET
             url = ?2, protocol = ?3, port = ?4, status = ?5, auth = ?6,
             username = COALESCE(?7, username),
             cred = CASE WHEN ?5 IN ('ok', 'auth_failed', 'auth_locked') THEN ?8 ELSE cred END,
             facts = COALESCE(?9, facts), media = COALESCE(?10, media),
             measured = COALESCE(?11, measured),
             last_seen = CASE WHEN last_seen > ?12 THEN last_seen ELSE ?12 END,
             last_verified = COALESCE(?13, last_verified),
             state_since = CASE WHEN state = ?14 THEN state_since ELSE ?12 END,
             state = ?14, fails = 0, held = NULL
         WHERE id = ?15",
    )?
    .execute(params![
        device,
        s.url,
        st.protocol.as_str(),
        st.port,
        status_column(st.status),
        st.auth.as_str(),
        st.username,
        s.cred,
        facts,
        media,
        measured,
        now,
        verified,
        stream_state_str(s.state),
        id,
    ])?;
    Ok(id)
}

fn write_events(
    tx: &Conn,
    scan_id: i64,
    site: &str,
    now: i64,
    plan: &Plan,
    prior: &[PriorDevice],
    ids: &[i64],
) -> db::Result<Vec<StoreEvent>> {
    let mut out = Vec::with_capacity(plan.events.len());
    let at = rfc3339(now);
    for e in &plan.events {
        let device_id = match e.who {
            Who::Prior(i) => prior[i].id,
            Who::New(i) => ids[i],
        };
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let id = tx
            .prepare_cached(
                "INSERT INTO events (scan_id, at, kind, device_id, stream_url, detail, site)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .insert(params![
                scan_id,
                now,
                kind,
                device_id,
                e.stream_url,
                e.detail.to_string(),
                site
            ])?;
        out.push(StoreEvent {
            id,
            scan_id: Some(scan_id),
            site: site.to_string(),
            at: at.clone(),
            kind: e.kind,
            device_id,
            stream_url: e.stream_url.clone(),
            detail: e.detail.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{CRED_HASH_LEN, parse_measured, url_path};
    use model::StreamStatus;
    use model::{Measured, Protocol};

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            clean_url("rtsp://admin:p%40ss@10.0.0.5:554/Streaming/Channels/101"),
            "rtsp://10.0.0.5:554/Streaming/Channels/101"
        );
        assert_eq!(
            clean_url("http://10.0.0.5/cgi-bin/snapshot.cgi?usr=admin&pwd=secret&chn=1"),
            "http://10.0.0.5/cgi-bin/snapshot.cgi?usr=admin&chn=1"
        );
        assert_eq!(
            clean_url("http://10.0.0.5/video.cgi?password=x"),
            "http://10.0.0.5/video.cgi"
        );
        assert_eq!(
            clean_url("rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0"),
            "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0"
        );
        assert_eq!(clean_url("not a url"), "not a url");
        // The port does not parse: still no password.
        assert_eq!(
            clean_url("rtsp://admin:p@ss@10.0.0.5:99999/live@1"),
            "rtsp://10.0.0.5:99999/live@1"
        );
    }

    #[test]
    fn stream_keys_ignore_the_address() {
        let a = stream_key("rtsp://10.0.0.5/Streaming/Channels/101", 554);
        let b = stream_key("rtsp://10.0.0.9:554/Streaming/Channels/101", 554);
        assert_eq!(a, "rtsp:554/Streaming/Channels/101");
        assert_eq!(a, b);
        assert_ne!(
            a,
            stream_key("rtsp://10.0.0.5:8554/Streaming/Channels/101", 8554)
        );
        assert_eq!(
            url_path("rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0"),
            Some((
                "rtsp".into(),
                554,
                "/cam/realmonitor?channel=1&subtype=0".into()
            ))
        );
    }

    #[test]
    fn the_working_credential_is_found_or_left_unknown() {
        let ip: IpAddr = "10.0.0.5".parse().unwrap();
        let mut s = Stream::new("rtsp://10.0.0.5/s".into(), Protocol::Rtsp, 554);
        s.username = Some("admin".into());
        let one = [
            Credential::new("admin", "12345"),
            Credential::new("root", "pass"),
        ];
        assert_eq!(
            working_credential(&s, ip, &one),
            Some(("admin".into(), "12345".into()))
        );
        let two = [
            Credential::new("admin", "12345"),
            Credential::new("admin", "admin"),
        ];
        assert_eq!(
            working_credential(&s, ip, &two),
            None,
            "which admin: unknown"
        );
        // The scan says which entry opened it.
        s.credential_entry = Some(1);
        assert_eq!(
            working_credential(&s, ip, &two),
            Some(("admin".into(), "admin".into()))
        );
        // An entry of another list (another user name) is not taken.
        assert_eq!(working_credential(&s, ip, &one[1..]), None);
        s.credential_entry = None;
        s.url = "rtsp://admin:p%40ss@10.0.0.5/s".into();
        assert_eq!(
            working_credential(&s, ip, &two),
            Some(("admin".into(), "p@ss".into()))
        );
        s.status = StreamStatus::AuthFailed;
        assert_eq!(working_credential(&s, ip, &two), None);
    }

    #[test]
    fn credential_hashes_are_keyed() {
        let a = cred_hash(b"key-one", "admin", "12345");
        assert_eq!(a.len(), CRED_HASH_LEN);
        assert_eq!(a, cred_hash(b"key-one", "admin", "12345"));
        assert_ne!(a, cred_hash(b"key-two", "admin", "12345"));
        assert_ne!(a, cred_hash(b"key-one", "admin", "12346"));
        // Python: hmac.new(b"Jefe", b"admin:p@ss:w rd", hashlib.sha256).hexdigest()
        assert_eq!(
            cred_hash(b"Jefe", "admin", "p@ss:w rd")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            "ac2f92a954c7c58a84d3f5366e28268575cf39e32545acef3233c09b7e767839"[..CRED_HASH_LEN * 2]
        );
    }

    #[test]
    fn measured_round_trips_and_json_drops_nulls() {
        let m = Measured {
            transport: "udp".into(),
            packets: 420,
            bytes: 512_000,
            fps: Some(12.5),
            bitrate_kbps: None,
            keyframe: true,
            duration_ms: 2000,
            width: Some(640),
            height: Some(480),
        };
        assert_eq!(measured_text(&m), "udp 420 512000 12.5 - 1 2000 640 480");
        assert_eq!(parse_measured(&measured_text(&m)), Some(m));
        assert_eq!(parse_measured("garbage"), None);
        assert_eq!(
            compact_json(serde_json::json!({"a": null, "b": [{"c": null, "d": 1}]})),
            r#"{"b":[{"d":1}]}"#
        );
    }

    #[test]
    fn times_round_trip() {
        let ms = millis("2026-11-23T02:38:36.5Z");
        assert_eq!(rfc3339(ms), "2026-11-23T02:38:36.5Z");
        assert!(millis("2026-11-23T02:38:36Z") < ms);
    }
}
