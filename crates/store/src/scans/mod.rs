//! Scans: recording one, whole or device by device as each becomes final, and reading them back:
//! the scan list, what worked last time for a rescan, the difference between two scans, pruning
//! by age.
//!
//! * `record`: the report reduced to observations (URLs without credentials, stream keys that
//!   survive an address change, keyed hashes of working credentials) and written in one
//!   transaction with a compact per-scan snapshot; which stored device each observation is comes
//!   from `model::identity` (pure: MAC first, then serial, ONVIF endpoint or UPnP UDN, then the
//!   address).
//! * `derive` (pure): the events and new states a scan implies. A device goes `offline` only
//!   after a complete scan that covered its last address, with a method that saw it last time,
//!   did not see it; an interrupted scan or another range changes nothing it did not see, and
//!   derives nothing negative (no offline, closed, gone, down, changed) even for what it saw.
//! * `lock`: whether a running scan's process is still there (a lock file beside an SQLite
//!   inventory).
//! * `diff`: what differs between two scans, from their snapshots.
//!
//! A scan recorded in parts ([`Store::begin_scan`], [`Store::record_part`], [`Store::record_end`])
//! is incomplete, with a heartbeat, until its end: a scan whose process is killed keeps what it
//! had recorded, incomplete.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use super::columns::{cred_hash, rfc3339, split_ports, url_path};
use super::db::{self, Conn, OptionalExtension, Row, params};
use super::{Store, StoreError, StoreEvent, schema};
use model::known::Known;
use model::{Credential, Report};

pub(crate) mod derive;
pub(crate) mod diff;
pub(crate) mod lock;
pub(crate) mod record;

use self::derive::covered_ranges;

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
    /// Discovery methods that ran, as [`model::DiscoveryMethod`] spells them (`port`,
    /// `arp`, `onvif`, `ssdp`, `sadp`, `dhip`, `mdns`).
    pub methods: Vec<String>,
    /// camscan version.
    pub version: String,
    /// What the scan asked, heard and lost ([`model::coverage`]); absent for scans recorded
    /// before it was kept, and while a scan runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<model::coverage::Coverage>,
}

impl ScanInfo {
    /// The scan of `report` (times, completeness, targets, version from the report), which
    /// probed `ports` with the discovery `methods` that ran.
    pub fn of_report(
        report: &Report,
        site: &str,
        ports: &[u16],
        methods: &[model::DiscoveryMethod],
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
            coverage: report.coverage.clone(),
        }
    }
}

/// What [`Store::record_scan`] did.
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

/// What [`Store::prune`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    pub scans: usize,
    pub events: usize,
    pub addresses: usize,
    pub devices: usize,
    /// Findings resolved before the cutoff.
    pub findings: usize,
    /// The entries camscan wrote into other tools for the devices removed: left there.
    pub pushed: Vec<crate::PushedAs>,
}

impl Store {
    /// Record one scan in one transaction and derive its events (only what this scan may judge:
    /// the offline rules of `derive`). `creds` are the credentials the scan tried: the
    /// one that opened a stream is remembered by keyed hash, never in clear.
    pub fn record_scan(
        &mut self,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| schema::map_err(&path, e))?;
        let recorded = record::record(&tx, &self.key, scan, report, creds, record::ScanRow::New)
            .map_err(|e| schema::map_err(&path, e))?;
        tx.commit().map_err(|e| schema::map_err(&path, e))?;
        Ok(recorded)
    }

    /// Begin a scan that records its devices as they become final ([`Store::record_part`]), then
    /// its end ([`Store::record_end`]); its id. Until its end the scan is incomplete, with a
    /// heartbeat: a scan whose process is killed keeps what it had recorded, incomplete.
    pub fn begin_scan(&mut self, scan: &ScanInfo) -> Result<i64, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let id = self.write(|tx| record::begin(tx, scan, now))?;
        if self.engine() == db::Engine::Sqlite
            && let Some(lock) = lock::hold(&self.path, id)
        {
            self.scan_locks.insert(id, lock);
        }
        Ok(id)
    }

    /// The running scan `scan_id` ended: its lock file goes.
    fn scan_ended(&mut self, scan_id: i64) {
        if let Some(lock) = self.scan_locks.remove(&scan_id) {
            lock::release(&self.path, scan_id, lock);
        }
    }

    /// Devices of the running scan `scan_id` that became final: recorded as an interrupted scan
    /// records them (nothing else is judged offline), with their events.
    pub fn record_part(
        &mut self,
        scan_id: i64,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let key = self.key.clone();
        self.write(|tx| {
            record::record(
                tx,
                &key,
                scan,
                report,
                creds,
                record::ScanRow::Part(scan_id),
            )
        })
    }

    /// The end of the running scan `scan_id`: its whole report, as [`Store::record_scan`] records
    /// one (a complete scan judges what it did not see), into its row.
    pub fn record_end(
        &mut self,
        scan_id: i64,
        scan: &ScanInfo,
        report: &Report,
        creds: &[Credential],
    ) -> Result<Recorded, StoreError> {
        let key = self.key.clone();
        let recorded = self.write(|tx| {
            record::record(
                tx,
                &key,
                scan,
                report,
                creds,
                record::ScanRow::Final(scan_id),
            )
        });
        if recorded.is_ok() {
            self.scan_ended(scan_id);
        }
        recorded
    }

    /// Forget the running scan `scan_id` when it recorded nothing (a scan that failed to start).
    pub fn abandon_scan(&mut self, scan_id: i64) -> Result<(), StoreError> {
        self.scan_ended(scan_id);
        self.write(|tx| {
            tx.execute(
                "DELETE FROM scans WHERE id = ?1 AND heartbeat IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM scan_devices WHERE scan_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM events WHERE scan_id = ?1)",
                params![scan_id],
            )
            .map(|_| ())
        })
    }

    /// The running scan `scan_id` is alive (a recorder between two parts).
    pub fn scan_heartbeat(&mut self, scan_id: i64) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.conn
            .execute(
                "UPDATE scans SET heartbeat = ?2 WHERE id = ?1 AND heartbeat IS NOT NULL",
                params![scan_id, now],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Recorded scans (of `site`, or all), newest first.
    pub fn scans(&self, site: Option<&str>) -> Result<Vec<ScanSummary>, StoreError> {
        list(&self.conn, site).map_err(|e| self.err(e))
    }

    /// For a scan of `targets` (address, CIDR or range specifications; empty = everything): per
    /// address, the stream paths that opened last time per port, and the entry of `creds` whose
    /// keyed hash matches the credential that worked. Offline devices are left out.
    pub fn known(
        &self,
        site: &str,
        targets: &[String],
        creds: &[Credential],
    ) -> Result<HashMap<IpAddr, Known>, StoreError> {
        known(&self.conn, &self.key, site, targets, creds).map_err(|e| self.err(e))
    }

    /// Delete scans, events and address history older than `older_than` (a device's current
    /// address stays), and devices not seen since.
    /// Resolved findings older than it go too (open ones stay with their device).
    pub fn prune(&mut self, older_than: Duration) -> Result<Pruned, StoreError> {
        let cutoff = jiff::Timestamp::now().as_millisecond()
            - i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX / 2);
        let path = self.path.clone();
        let e = |err| schema::map_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        let events = tx
            .execute("DELETE FROM events WHERE at < ?1", [cutoff])
            .map_err(e)?;
        let pushed = crate::pushes::pushed_before(&tx, cutoff).map_err(e)?;
        let devices = tx
            .execute("DELETE FROM devices WHERE last_seen < ?1", [cutoff])
            .map_err(e)?;
        let scans = tx
            .execute("DELETE FROM scans WHERE finished_at < ?1", [cutoff])
            .map_err(e)?;
        let findings = tx
            .execute(
                "DELETE FROM findings WHERE resolved_at IS NOT NULL AND resolved_at < ?1",
                [cutoff],
            )
            .map_err(e)?;
        let addresses = tx
            .execute(
                "DELETE FROM addresses WHERE last_seen < ?1
                   AND ip != (SELECT d.ip FROM devices d WHERE d.id = addresses.device_id)",
                [cutoff],
            )
            .map_err(e)?;
        prune_texts(&tx).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Pruned {
            scans,
            events,
            addresses,
            devices,
            findings,
            pushed,
        })
    }
}

fn scan_summary(r: &Row) -> db::Result<ScanSummary> {
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
            coverage: r
                .get::<_, Option<String>>(11)?
                .and_then(|j| serde_json::from_str(&j).ok()),
        },
        devices: r.get::<_, i64>(8)? as usize,
        events: r.get::<_, i64>(9)? as usize,
    })
}

const SCANS: &str = "SELECT s.id, s.started_at, s.finished_at, s.complete, s.targets, s.ports,
        s.methods, s.version, s.devices,
        s.events, s.site, s.coverage
    FROM scans s";

/// Recorded scans (of `site`, or all), newest first.
pub(crate) fn list(conn: &Conn, site: Option<&str>) -> db::Result<Vec<ScanSummary>> {
    let mut stmt = conn.prepare(&format!(
        "{SCANS} WHERE (?1 IS NULL OR s.site = ?1) ORDER BY s.id DESC"
    ))?;
    stmt.query_map(params![site], scan_summary)?.collect()
}

/// One recorded scan, by id.
pub(super) fn scan(conn: &Conn, id: i64) -> db::Result<Option<ScanSummary>> {
    conn.query_row(&format!("{SCANS} WHERE s.id = ?1"), [id], scan_summary)
        .optional()
}

/// Per last address in `targets` (all when empty), what opened last time.
pub(crate) fn known(
    conn: &Conn,
    key: &[u8],
    site: &str,
    targets: &[String],
    creds: &[Credential],
) -> db::Result<HashMap<IpAddr, Known>> {
    let ranges = covered_ranges(targets);
    let by_hash: HashMap<Vec<u8>, &Credential> = creds
        .iter()
        .map(|c| (cred_hash(key, &c.username, &c.password), c))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT d.ip, s.url, s.protocol, s.cred FROM streams s JOIN devices d ON d.id = s.device_id
         WHERE s.status = 'ok' AND s.state IN ('up', 'unverified') AND d.state != 'offline' AND d.site = ?1
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
        // Whatever its scope: the scan sends it where its scope covers the address, or to the
        // device it opened when recognised there (`analyze::followed`).
        if entry.credential.is_none()
            && let Some(c) = cred.and_then(|h| by_hash.get(&h).copied())
        {
            entry.credential = Some(c.clone());
        }
    }
    out.retain(|_, k| !k.rtsp_paths.is_empty() || !k.http_paths.is_empty());
    Ok(out)
}

/// Delete the shared strings no row refers to any more.
fn prune_texts(tx: &Conn) -> db::Result<()> {
    let mut used: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for sql in [
        "SELECT info FROM scan_devices",
        "SELECT seen FROM scan_devices",
        "SELECT facts FROM streams WHERE facts IS NOT NULL",
        "SELECT media FROM streams WHERE media IS NOT NULL",
        "SELECT services FROM devices WHERE services IS NOT NULL",
    ] {
        let mut stmt = tx.prepare(sql)?;
        let ids = stmt.query_map(params![], |r| r.get::<_, i64>(0))?;
        for id in ids {
            used.insert(id?);
        }
    }
    let mut stmt = tx.prepare(
        "SELECT t.text FROM texts t WHERE t.id IN (SELECT DISTINCT seen FROM scan_devices)",
    )?;
    let mut rows = stmt.query(params![])?;
    while let Some(r) = rows.next()? {
        let seen: String = r.get(0)?;
        let streams = seen.splitn(3, '|').nth(2).unwrap_or("");
        for entry in streams.split(';') {
            if let Some(id) = entry.rsplit(' ').next().and_then(|f| f.parse().ok()) {
                used.insert(id);
            }
        }
    }
    let all: Vec<i64> = tx
        .prepare("SELECT id FROM texts")?
        .query_map(params![], |r| r.get(0))?
        .collect::<db::Result<_>>()?;
    let mut del = tx.prepare("DELETE FROM texts WHERE id = ?1")?;
    for id in all.into_iter().filter(|id| !used.contains(id)) {
        del.execute([id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, TestDb, both_engines, camera, kinds, report, scan};
    use crate::{DeviceQuery, DeviceState, EventKind, EventQuery, HubCursor, StreamState};
    use model::{DiscoveryMethod, StreamStatus};

    both_engines!(
        a_scan_records_devices_as_they_become_final,
        scans_devices_events_and_diff_round_trip,
        an_address_only_device_gains_its_mac_and_an_interrupted_scan_keeps_states,
        prune_keeps_the_file_bounded,
        a_camera_that_lost_ptz_after_a_firmware_change_is_news,
        last_seen_never_comes_before_first_seen,
        a_refused_stream_is_refused_again_when_its_device_is_back,
        a_forgotten_devices_id_is_never_given_again,
    );

    /// Issue 82: the push ledger names cameras by device id, so an id is never given twice: the
    /// newest device forgotten (SQLite would give its id to the next new row) or pruned leaves
    /// its id unused, and a later device is given another.
    fn a_forgotten_devices_id_is_never_given_again(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let ids = |s: &crate::Store| -> Vec<i64> {
            s.stored_devices().unwrap().iter().map(|d| d.id).collect()
        };
        let a = camera("aa:bb:cc:00:00:61", "10.0.0.61", 640);
        let b = camera("aa:bb:cc:00:00:62", "10.0.0.62", 640);
        s.record_scan(&scan(1, true), &report(vec![a.clone(), b]), &[])
            .unwrap();
        let before = ids(&s);
        assert_eq!(before.len(), 2);
        assert_eq!(s.forget("aa:bb:cc:00:00:62", None).unwrap(), 1);
        let c = camera("aa:bb:cc:00:00:63", "10.0.0.63", 640);
        s.record_scan(&scan(2, true), &report(vec![a.clone(), c]), &[])
            .unwrap();
        let after = ids(&s);
        assert_eq!(after.len(), 2, "{after:?}");
        assert!(after[1] > before[1], "{before:?} then {after:?}");
        // Twice over: the replacement forgotten too, and another after it.
        assert_eq!(s.forget("aa:bb:cc:00:00:63", None).unwrap(), 1);
        let d = camera("aa:bb:cc:00:00:64", "10.0.0.64", 640);
        s.record_scan(&scan(3, true), &report(vec![a, d]), &[])
            .unwrap();
        let last = ids(&s);
        assert!(last[1] > after[1], "{after:?} then {last:?}");
    }

    /// A camera whose stream asks for a login goes offline (its streams `down` with it), then a
    /// scan of other ports finds it again and leaves the stream alone: `show` says `refused`
    /// as its last scan found, never "down (auth_required)" (issue 72).
    fn a_refused_stream_is_refused_again_when_its_device_is_back(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let mac = "aa:bb:cc:00:00:51";
        let mut cam = camera(mac, "10.0.0.51", 640);
        cam.streams[0].status = StreamStatus::AuthRequired;
        cam.streams[0].verified = false;
        cam.streams[0].username = None;
        s.record_scan(&scan(1, true), &report(vec![cam.clone()]), &[])
            .unwrap();
        let state = |s: &crate::Store| {
            let d = s.device(&format!("mac:{mac}"), None).unwrap().unwrap();
            (d.summary.state, d.streams[0].state)
        };
        assert_eq!(state(&s), (DeviceState::Online, StreamState::Refused));
        s.record_scan(&scan(2, true), &report(vec![]), &[]).unwrap();
        assert_eq!(state(&s), (DeviceState::Offline, StreamState::Down));
        // Back, seen on its web port only: 554 was not asked, its stream is left as it was.
        let mut web = camera(mac, "10.0.0.51", 640);
        web.open_ports = vec![80];
        web.streams.clear();
        let only_80 = ScanInfo {
            ports: vec![80],
            ..scan(3, true)
        };
        s.record_scan(&only_80, &report(vec![web]), &[]).unwrap();
        assert_eq!(state(&s), (DeviceState::Online, StreamState::Refused));
    }

    /// A device a running scan records in a part (stamped when the part is written, after the
    /// devices gathered for it), then in the scan's end, whose finish time came a millisecond
    /// before: its `last_seen` (and its address's and stream's) is never before its `first_seen`
    /// (`devices -f json` showed a device seen once last seen 1 ms before it was first seen).
    fn last_seen_never_comes_before_first_seen(engine: Engine) {
        use crate::columns::rfc3339;
        let db = TestDb::new(engine);
        let mut s = db.open();
        let t: i64 = 1_790_000_000_000;
        let at = |finished: i64, complete| ScanInfo {
            started_at: rfc3339(t - 5_000),
            finished_at: rfc3339(finished),
            ..scan(1, complete)
        };
        let cam = camera("aa:bb:cc:00:00:31", "10.0.0.31", 640);
        let id = s.begin_scan(&at(t - 5_000, false)).unwrap();
        s.record_part(id, &at(t + 1, false), &report(vec![cam.clone()]), &[])
            .unwrap();
        s.record_end(id, &at(t, true), &report(vec![cam]), &[])
            .unwrap();
        let d = s.device("mac:aa:bb:cc:00:00:31", None).unwrap().unwrap();
        let ms = |rfc: &str| rfc.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let (first, last) = (ms(&d.summary.first_seen), ms(&d.summary.last_seen));
        assert!(last >= first, "device: first {first}, last {last}");
        assert_eq!(first, t + 1, "first seen when the part was recorded");
        for a in &d.addresses {
            assert!(ms(&a.last_seen) >= ms(&a.first_seen), "{a:?}");
        }
        for st in &d.streams {
            assert!(ms(&st.last_seen) >= ms(&st.first_seen), "{st:?}");
        }
        // A later scan moves it on.
        let later = camera("aa:bb:cc:00:00:31", "10.0.0.31", 640);
        s.record_scan(&at(t + 60_000, true), &report(vec![later]), &[])
            .unwrap();
        let d = s.device("mac:aa:bb:cc:00:00:31", None).unwrap().unwrap();
        assert_eq!(ms(&d.summary.last_seen), t + 60_000);
    }

    /// What a device can do is kept with its description; a complete scan that finds PTZ gone
    /// (the ONVIF services listed both times) is one `capabilities_changed`, an interrupted one
    /// none, and a scan whose ONVIF login failed (no services listed) says nothing of PTZ.
    fn a_camera_that_lost_ptz_after_a_firmware_change_is_news(engine: Engine) {
        use model::capabilities::{OnvifServices, Ptz, Talkback};
        let db = TestDb::new(engine);
        let mut s = db.open();
        let with = |ptz: bool, listed: bool| {
            let mut c = camera("aa:bb:cc:00:00:07", "10.0.0.7", 1920);
            c.capabilities.talkback = Some(Talkback {
                supported: true,
                url: c.streams[0].url.clone(),
                codec: Some("pcmu".into()),
                sample_rate: Some(8000),
                channels: None,
                evidence: "sendonly audio section".into(),
                audio_outputs: None,
            });
            if listed {
                let mut services = vec!["device".to_string(), "media".to_string()];
                if ptz {
                    services.push("ptz".into());
                }
                c.capabilities.onvif = Some(OnvifServices {
                    profiles: vec!["S".into()],
                    services,
                });
            }
            if ptz {
                c.capabilities.ptz = Some(Ptz {
                    nodes: 1,
                    ..Ptz::default()
                });
            }
            c
        };
        s.record_scan(&scan(1, true), &report(vec![with(true, true)]), &[])
            .unwrap();
        let stored = s.device("mac:aa:bb:cc:00:00:07", None).unwrap().unwrap();
        let id = stored.summary.id;
        // The ONVIF login failed this time: nothing to compare, nothing said.
        let r = s
            .record_scan(&scan(2, true), &report(vec![with(false, false)]), &[])
            .unwrap();
        assert!(r.events.is_empty(), "{:?}", r.events);
        // Back with PTZ (scan 3), then an interrupted scan without it: no event.
        s.record_scan(&scan(3, true), &report(vec![with(true, true)]), &[])
            .unwrap();
        let r = s
            .record_scan(&scan(4, false), &report(vec![with(false, true)]), &[])
            .unwrap();
        assert!(r.events.is_empty(), "{:?}", r.events);
        // New firmware, no PTZ service: news, once.
        let r = s
            .record_scan(&scan(5, true), &report(vec![with(false, true)]), &[])
            .unwrap();
        assert_eq!(kinds(&r), [EventKind::CapabilitiesChanged]);
        let e = &r.events[0];
        assert_eq!(e.device_id, id);
        assert_eq!(e.detail["what"], serde_json::json!(["ptz"]));
        assert_eq!(e.detail["before"]["ptz"], serde_json::json!(true));
        assert_eq!(e.detail["after"]["ptz"], serde_json::json!(false));
        let r = s
            .record_scan(&scan(6, true), &report(vec![with(false, true)]), &[])
            .unwrap();
        assert!(r.events.is_empty(), "{:?}", r.events);
    }

    /// A long scan records each device as it becomes final: they are in the inventory (with
    /// their events) while the scan runs, the scan incomplete; its end adds what it judged, and
    /// no event twice. A running scan is copied to the hub without holding its events back, and
    /// the cursor stays before it until its end. A scan whose process died (its heartbeat stale)
    /// is an incomplete scan with the devices it had recorded.
    fn a_scan_records_devices_as_they_become_final(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let now = || jiff::Timestamp::now().to_string();
        let at = |complete| ScanInfo {
            started_at: now(),
            finished_at: now(),
            ..scan(1, complete)
        };
        // An earlier complete scan knows a camera the new one will not see.
        let first = s
            .record_scan(
                &at(true),
                &report(vec![camera("aa:bb:cc:00:00:09", "10.0.0.9", 640)]),
                &[],
            )
            .unwrap();
        let a = camera("aa:bb:cc:00:00:01", "10.0.0.5", 640);
        let b = camera("aa:bb:cc:00:00:02", "10.0.0.6", 640);
        let id = s.begin_scan(&at(false)).unwrap();
        let p1 = s
            .record_part(id, &at(false), &report(vec![a.clone()]), &[])
            .unwrap();
        assert_eq!(p1.scan_id, id);
        assert!(p1.events.iter().any(|e| e.kind == EventKind::DeviceNew));
        let running = &s.scans(Some("lab")).unwrap()[0];
        assert_eq!((running.id, running.scan.complete), (id, false));
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 2);
        let nine = s.device("10.0.0.9", None).unwrap().unwrap();
        assert_eq!(
            nine.summary.state,
            DeviceState::Online,
            "a part judges nothing unseen"
        );

        // The hub: the running scan and its events go, the cursor stays before the scan.
        let b1 = s
            .replica_batch("lab", HubCursor::default(), 10, 100)
            .unwrap();
        assert_eq!(b1.scans.len(), 2);
        assert_eq!(b1.scans_done, first.scan_id);
        assert!(
            b1.events
                .iter()
                .any(|e| e.values.contains(&db::Value::Int(id)))
        );
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        let c1 = hub.apply_replica(&b1, "test").unwrap();
        assert_eq!(c1.last_scan, first.scan_id);

        let p2 = s
            .record_part(id, &at(false), &report(vec![b.clone()]), &[])
            .unwrap();
        let end = s
            .record_end(id, &at(true), &report(vec![a, b]), &[])
            .unwrap();
        let news = p1.events.iter().chain(&p2.events).chain(&end.events);
        let new: Vec<_> = news.filter(|e| e.kind == EventKind::DeviceNew).collect();
        assert_eq!(new.len(), 2, "each device new once: {new:?}");
        assert!(
            end.events
                .iter()
                .any(|e| e.kind == EventKind::DeviceOffline)
        );
        let done = &s.scans(Some("lab")).unwrap()[0];
        assert_eq!((done.id, done.scan.complete, done.devices), (id, true, 2));
        let b2 = s.replica_batch("lab", c1, 10, 100).unwrap();
        let c2 = hub.apply_replica(&b2, "test").unwrap();
        assert_eq!(c2.last_scan, id);
        assert!(hub.scans(Some("lab")).unwrap()[0].scan.complete);
        assert_eq!(
            hub.events(&EventQuery::default()).unwrap().len(),
            s.events(&EventQuery::default()).unwrap().len()
        );

        // A scan whose process died: its heartbeat goes stale, it is ended (incomplete) for the
        // hub and for the next scan.
        let dead = s.begin_scan(&at(false)).unwrap();
        s.record_part(
            dead,
            &at(false),
            &report(vec![camera("aa:bb:cc:00:00:03", "10.0.0.7", 640)]),
            &[],
        )
        .unwrap();
        s.conn
            .execute(
                "UPDATE scans SET heartbeat = heartbeat - ?2 WHERE id = ?1",
                params![dead, record::STALE_MS + 1000],
            )
            .unwrap();
        let b3 = s.replica_batch("lab", c2, 10, 100).unwrap();
        assert_eq!(b3.scans_done, dead, "a stale scan has ended");
        assert!(
            b3.devices
                .iter()
                .any(|d| d.row.values.contains(&db::Value::Text("10.0.0.7".into())))
        );
        s.begin_scan(&at(false)).unwrap();
        let beats: Vec<Option<i64>> = s
            .conn
            .query_all("SELECT heartbeat FROM scans WHERE id = ?1", params![dead])
            .unwrap()
            .iter()
            .map(|r| r.get(0).unwrap())
            .collect();
        assert_eq!(beats, [None], "the next scan clears a stale heartbeat");
        let gone = s.scans(Some("lab")).unwrap();
        let gone = gone.iter().find(|x| x.id == dead).unwrap();
        assert_eq!((gone.scan.complete, gone.devices), (false, 1));
        // A scan that failed to start leaves no row; one that had recorded keeps its row.
        let failed = s.begin_scan(&at(false)).unwrap();
        s.abandon_scan(failed).unwrap();
        s.abandon_scan(dead).unwrap();
        let ids: Vec<i64> = s.scans(Some("lab")).unwrap().iter().map(|x| x.id).collect();
        assert!(!ids.contains(&failed) && ids.contains(&dead), "{ids:?}");
    }

    fn scans_devices_events_and_diff_round_trip(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let creds = [
            Credential::new("admin", "12345"),
            Credential::new("root", "x"),
        ];
        let r1 = s
            .record_scan(
                &scan(1, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920),
                    camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert_eq!(kinds(&r1), vec![EventKind::DeviceNew, EventKind::DeviceNew]);
        assert_eq!((r1.new, r1.gone, r1.changed), (2, 0, 0));

        // The stored URL has no credentials.
        let d = s.device("10.0.0.5", None).unwrap().unwrap();
        assert_eq!(
            d.streams[0].url,
            "rtsp://10.0.0.5:554/Streaming/Channels/101"
        );
        assert_eq!(d.summary.key, "mac:aa:bb:cc:00:00:01");
        assert_eq!(d.summary.state, DeviceState::Online);
        assert_eq!(d.streams[0].state, StreamState::Up);
        assert!(d.streams[0].last_verified.is_some());
        let raw: i64 = s
            .conn
            .query_row(
                "SELECT COUNT(*) FROM streams WHERE url LIKE '%12345%' OR username LIKE '%12345%'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(raw, 0);

        // Known: the paths and the credential entry that worked.
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(
            k.rtsp_paths[&554],
            vec!["/Streaming/Channels/101".to_string()]
        );
        assert_eq!(k.credential.as_ref().unwrap().password, "12345");
        assert!(
            s.known("lab", &["10.0.1.0/24".into()], &creds)
                .unwrap()
                .is_empty()
        );
        let changed_pw = [Credential::new("admin", "54321")];
        let k = s.known("lab", &[], &changed_pw).unwrap();
        assert!(
            k[&"10.0.0.5".parse::<IpAddr>().unwrap()]
                .credential
                .is_none()
        );

        // Second scan: .5 moved to .9 with a new size; .6 gone; a new camera.
        let r2 = s
            .record_scan(
                &scan(2, true),
                &report(vec![
                    camera("aa:bb:cc:00:00:01", "10.0.0.9", 1280),
                    camera("aa:bb:cc:00:00:03", "10.0.0.7", 1920),
                ]),
                &creds,
            )
            .unwrap();
        assert_eq!(
            kinds(&r2),
            vec![
                EventKind::AddressChanged,
                EventKind::StreamChanged,
                EventKind::DeviceNew,
                EventKind::DeviceOffline
            ]
        );
        assert_eq!((r2.new, r2.gone, r2.changed), (1, 1, 1));
        let moved = s.device("aa:bb:cc:00:00:01", None).unwrap().unwrap();
        assert_eq!(moved.summary.address, Some("10.0.0.9".parse().unwrap()));
        assert_eq!(moved.addresses.len(), 2);
        assert_eq!(moved.streams.len(), 1, "the same stream at the new address");
        assert_eq!(
            moved.streams[0].url,
            "rtsp://10.0.0.9:554/Streaming/Channels/101"
        );
        assert_eq!(
            s.device("10.0.0.5", None).unwrap().unwrap().summary.id,
            moved.summary.id
        );
        let gone = s.device("10.0.0.6", None).unwrap().unwrap();
        assert_eq!(gone.summary.state, DeviceState::Offline);
        assert_eq!(gone.summary.streams_up, 0);

        let offline = s
            .devices(&DeviceQuery {
                state: Some(DeviceState::Offline),
                ..DeviceQuery::default()
            })
            .unwrap();
        assert_eq!(offline.len(), 1);
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 3);
        assert_eq!(
            s.devices(&DeviceQuery {
                vendor: Some("hikv".into()),
                ..DeviceQuery::default()
            })
            .unwrap()
            .len(),
            3
        );

        let ev = s
            .events(&EventQuery {
                device: Some("10.0.0.9".into()),
                ..EventQuery::default()
            })
            .unwrap();
        assert_eq!(
            ev.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![
                EventKind::StreamChanged,
                EventKind::AddressChanged,
                EventKind::DeviceNew
            ],
            "newest first"
        );
        let only = s
            .events(&EventQuery {
                kind: Some(EventKind::DeviceOffline),
                ..EventQuery::default()
            })
            .unwrap();
        assert_eq!(only.len(), 1);
        assert!(matches!(
            s.events(&EventQuery {
                device: Some("10.9.9.9".into()),
                ..EventQuery::default()
            }),
            Err(StoreError::NotFound { .. })
        ));

        let scans = s.scans(None).unwrap();
        assert_eq!(scans.len(), 2);
        assert_eq!(
            (scans[0].id, scans[0].events, scans[0].devices),
            (r2.scan_id, 4, 2)
        );

        let diff = s.diff(None, None, None).unwrap();
        assert_eq!((diff.a.id, diff.b.id), (r1.scan_id, r2.scan_id));
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].address, "10.0.0.7".parse::<IpAddr>().unwrap());
        assert_eq!(diff.removed.len(), 1);
        assert_eq!(
            diff.removed[0].address,
            "10.0.0.6".parse::<IpAddr>().unwrap()
        );
        assert_eq!(diff.changed.len(), 1);
        let fields: Vec<&str> = diff.changed[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(
            fields,
            vec![
                "address",
                "stream rtsp://10.0.0.9:554/Streaming/Channels/101"
            ]
        );
        assert!(!diff.is_empty());
        assert!(
            s.diff(Some(r2.scan_id), Some(r2.scan_id), None)
                .unwrap()
                .is_empty()
        );

        // An interrupted third scan that saw nothing changes nothing.
        let r3 = s
            .record_scan(&scan(3, false), &report(vec![]), &creds)
            .unwrap();
        assert!(r3.events.is_empty());
        assert_eq!(
            s.devices(&DeviceQuery {
                state: Some(DeviceState::Online),
                ..DeviceQuery::default()
            })
            .unwrap()
            .len(),
            2
        );
        // The default diff skips it (the last two complete scans).
        assert_eq!(s.diff(None, None, None).unwrap().b.id, r2.scan_id);

        assert_eq!(s.forget("10.0.0.7", None).unwrap(), 1);
        assert_eq!(s.forget("10.0.0.7", None).unwrap(), 0);
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 2);
    }

    fn an_address_only_device_gains_its_mac_and_an_interrupted_scan_keeps_states(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let mut routed = camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920);
        routed.mac = None;
        routed.discovered_by = vec![DiscoveryMethod::Port];
        let r1 = s
            .record_scan(&scan(1, true), &report(vec![routed]), &[])
            .unwrap();
        let id = r1.events[0].device_id;
        assert_eq!(
            s.device("ip:10.0.0.5", None).unwrap().unwrap().summary.id,
            id
        );

        // Seen on its link: the same device, now known by its MAC.
        let r2 = s
            .record_scan(
                &scan(2, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &[],
            )
            .unwrap();
        assert!(r2.events.is_empty(), "{:?}", r2.events);
        let d = s.device("mac:aa:bb:cc:00:00:01", None).unwrap().unwrap();
        assert_eq!(
            (d.summary.id, d.summary.key.as_str()),
            (id, "mac:aa:bb:cc:00:00:01")
        );
        assert_eq!(
            s.device("AA-BB-CC-00-00-01", None)
                .unwrap()
                .unwrap()
                .summary
                .id,
            id
        );

        // Ctrl-C while its stream fails: nothing changes.
        let mut failing = camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920);
        failing.streams[0].status = StreamStatus::Error;
        failing.open_ports = vec![];
        let r3 = s
            .record_scan(&scan(3, false), &report(vec![failing]), &[])
            .unwrap();
        assert!(r3.events.is_empty(), "{:?}", r3.events);
        let d = s.device(&id.to_string(), None).unwrap().unwrap();
        assert_eq!(d.summary.state, DeviceState::Online);
        assert_eq!(d.streams[0].state, StreamState::Up);
        assert_eq!(d.streams[0].status, StreamStatus::Ok);
        assert_eq!(d.open_ports, vec![554]);

        // diff from scan 1 alone: to the last complete scan after it (2, not the interrupted 3).
        let diff = s.diff(Some(r1.scan_id), None, None).unwrap();
        assert_eq!(diff.b.id, r2.scan_id);
        assert!(diff.is_empty(), "{diff:?}");
        assert!(matches!(
            s.diff(Some(r2.scan_id), None, None),
            Err(StoreError::NotFound { .. })
        ));
    }

    fn prune_keeps_the_file_bounded(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let old = ScanInfo {
            started_at: "2020-01-01T00:00:00Z".into(),
            finished_at: "2020-01-01T00:01:00Z".into(),
            ..scan(1, true)
        };
        s.record_scan(
            &old,
            &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
            &[],
        )
        .unwrap();
        let now = jiff::Timestamp::now().to_string();
        let recent = ScanInfo {
            started_at: now.clone(),
            finished_at: now,
            targets: vec!["10.0.1.0/24".into()],
            ..scan(1, true)
        };
        s.record_scan(
            &recent,
            &report(vec![camera("aa:bb:cc:00:00:02", "10.0.1.5", 1920)]),
            &[],
        )
        .unwrap();
        let count = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT COUNT(*) FROM texts", params![], |r| r.get(0))
                .unwrap()
        };
        // Shared: info, facts, description; one sighting each.
        assert_eq!(count(&s), 5);
        let p = s.prune(Duration::from_secs(90 * 86400)).unwrap();
        assert_eq!(
            p,
            Pruned {
                scans: 1,
                events: 1,
                addresses: 0,
                devices: 1,
                findings: 0,
                pushed: Vec::new(),
            }
        );
        assert_eq!(s.devices(&DeviceQuery::default()).unwrap().len(), 1);
        assert_eq!(s.scans(None).unwrap().len(), 1);
        assert_eq!(
            count(&s),
            4,
            "the old sighting went, the shared strings stay"
        );
        let d = s.device("10.0.1.5", None).unwrap().unwrap();
        assert_eq!(d.streams[0].video.as_ref().unwrap().width, Some(1920));
    }

    #[test]
    fn scan_info_of_a_report() {
        let mut r = report(vec![]);
        r.started_at = "2026-01-01T00:00:00Z".into();
        r.complete = false;
        r.targets = vec!["10.0.0.0/24".into()];
        let i = ScanInfo::of_report(
            &r,
            "lab",
            &[554],
            &[DiscoveryMethod::Port, DiscoveryMethod::Arp],
        );
        assert_eq!(i.methods, vec!["port", "arp"]);
        assert!(!i.complete);
        assert_eq!(
            (i.targets, i.ports),
            (vec!["10.0.0.0/24".to_string()], vec![554])
        );
    }
}
