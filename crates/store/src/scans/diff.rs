//! What differs between two scans (`camscan diff`, `GET /api/v1/diff`), in the spirit of nmap's
//! ndiff: which two scans (by default the last two complete scans of one site), what each saw of
//! each device (its snapshot, `scan_devices`), and the comparison itself, pure
//! ([`diff_snapshots`], unit-tested below).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use serde::Serialize;

use super::ScanSummary;
use super::derive::Facts;
use crate::columns::split_ports;
use crate::db::{self, Conn, OptionalExtension, params};
use crate::{Store, StoreError};

/// What differs between two scans (`camscan diff`), in the spirit of nmap's ndiff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub a: ScanSummary,
    pub b: ScanSummary,
    /// The two scans are of the same targets; `false`: a device only one of them could see shows
    /// as added or removed.
    pub same_targets: bool,
    pub added: Vec<DiffDevice>,
    /// Devices the older scan saw that the newer one would have seen and did not.
    pub removed: Vec<DiffDevice>,
    pub changed: Vec<DeviceChanges>,
    /// Devices the older scan saw that the newer one could not have seen (an address outside
    /// its targets, none of their open ports probed, an interrupted scan), each with why: not
    /// gone, so not a difference ([`Diff::is_empty`] leaves them out), as the inventory leaves
    /// such a device's state alone.
    pub not_seen: Vec<NotSeen>,
}

/// A device the newer scan could not have seen, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotSeen {
    #[serde(flatten)]
    pub device: DiffDevice,
    pub why: String,
}

impl Diff {
    /// Nothing added, removed or changed (devices the newer scan could not see are no change).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// A device as one scan saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffDevice {
    pub device_id: i64,
    pub key: String,
    pub address: IpAddr,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub ports: Vec<u16>,
    pub streams: Vec<String>,
}

/// A device both scans saw, and what differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceChanges {
    pub device_id: i64,
    pub key: String,
    pub address: IpAddr,
    pub changes: Vec<Change>,
}

/// One difference: `field` is `address`, `firmware`, `vendor`, `model`, `port 554` or
/// `stream rtsp://..`; `before`/`after` are `None` for what was absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Store {
    /// Differences from scan `a` to scan `b`; by default the last two complete scans (`b`
    /// alone: the complete scan before it; `a` alone: the last complete scan after it).
    /// Both are scans of one site (`site`, else the site of the newest scan or of the one given).
    pub fn diff(
        &self,
        a: Option<i64>,
        b: Option<i64>,
        site: Option<&str>,
    ) -> Result<Diff, StoreError> {
        let (a, b) = diff_pair(&self.conn, a, b, site)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| self.not_found("fewer than two complete scans to compare"))?;
        let summary = |id| {
            super::scan(&self.conn, id)
                .map_err(|e| self.err(e))?
                .ok_or_else(|| self.not_found(format!("no scan {id} in the inventory")))
        };
        let (sa, sb) = (summary(a)?, summary(b)?);
        let snap_a = snapshot(&self.conn, a).map_err(|e| self.err(e))?;
        let snap_b = snapshot(&self.conn, b).map_err(|e| self.err(e))?;
        let keys = device_keys(&self.conn).map_err(|e| self.err(e))?;
        let (added, gone, changed) = diff_snapshots(&snap_a, &snap_b, &keys);
        let (removed, not_seen) = judge_unseen(gone, &sb);
        Ok(Diff {
            same_targets: same_targets(&sa.scan.targets, &sb.scan.targets),
            a: sa,
            b: sb,
            added,
            removed,
            changed,
            not_seen,
        })
    }
}

/// Split the devices scan `b` did not see into those it would have seen (removed) and those it
/// could not have (not seen, with why): the inventory's own rule for marking a device offline
/// ([`super::derive`], "What a scan may judge").
fn judge_unseen(gone: Vec<DiffDevice>, b: &ScanSummary) -> (Vec<DiffDevice>, Vec<NotSeen>) {
    let ranges = super::derive::covered_ranges(&b.scan.targets);
    let ports = b.scan.methods.iter().any(|m| m == "port");
    let probed_one = |open: &[u16]| ports && open.iter().any(|p| b.scan.ports.contains(p));
    let (mut removed, mut not_seen) = (Vec::new(), Vec::new());
    for d in gone {
        let why = if !b.scan.complete {
            Some(format!("scan {} was interrupted", b.id))
        } else if !ranges.iter().any(|r| r.contains_ip(d.address)) {
            Some(format!("{} is outside scan {}'s targets", d.address, b.id))
        } else if !d.ports.is_empty() && !probed_one(&d.ports) {
            Some(format!("scan {} probed none of its open ports", b.id))
        } else {
            None
        };
        match why {
            Some(why) => not_seen.push(NotSeen { device: d, why }),
            None => removed.push(d),
        }
    }
    (removed, not_seen)
}

/// Two target lists cover the same specifications, whatever their order and case.
pub fn same_targets(a: &[String], b: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    norm(a) == norm(b)
}

/// The newest complete scan of the same site and the same targets as scan `id`, before it
/// (`before`) or after it: what `diff` compares a scan with, since a scan of other targets would
/// show every device outside them as removed. With none of the same targets, the newest
/// complete one of the site (the diff then says their targets differ).
fn same_targets_scan(conn: &Conn, id: i64, before: bool) -> db::Result<Option<i64>> {
    let targets = |text: String| serde_json::from_str::<Vec<String>>(&text).unwrap_or_default();
    let Some(own) = conn
        .query_row("SELECT targets FROM scans WHERE id = ?1", [id], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .map(targets)
    else {
        return Ok(None);
    };
    let sql = if before {
        "SELECT id, targets FROM scans WHERE complete <> 0 AND id < ?1
           AND site = (SELECT site FROM scans WHERE id = ?1) ORDER BY id DESC"
    } else {
        "SELECT id, targets FROM scans WHERE complete <> 0 AND id > ?1
           AND site = (SELECT site FROM scans WHERE id = ?1) ORDER BY id DESC"
    };
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([id])?;
    let mut newest = None;
    while let Some(r) = rows.next()? {
        let other: i64 = r.get(0)?;
        if same_targets(&targets(r.get(1)?), &own) {
            return Ok(Some(other));
        }
        newest.get_or_insert(other);
    }
    Ok(newest)
}

/// The two scans `diff` compares by default ([`Store::diff`]): the one not given is the newest
/// complete scan of the same targets as the other. Both scans are of one site: `site`'s, else
/// the site of the scan given or of the newest.
pub(crate) fn diff_pair(
    conn: &Conn,
    a: Option<i64>,
    b: Option<i64>,
    site: Option<&str>,
) -> db::Result<Option<(i64, i64)>> {
    let complete_before = |id: i64| same_targets_scan(conn, id, true);
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some((a, b)),
        (None, Some(b)) => complete_before(b)?.map(|a| (a, b)),
        (Some(a), None) => same_targets_scan(conn, a, false)?.map(|b| (a, b)),
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
pub(crate) fn snapshot(conn: &Conn, scan_id: i64) -> db::Result<HashMap<i64, Snap>> {
    use std::collections::hash_map::Entry;
    let mut stmt = conn.prepare(
        "SELECT sd.device_id, i.text, s.text FROM scan_devices sd
           LEFT JOIN texts i ON i.id = sd.info LEFT JOIN texts s ON s.id = sd.seen
         WHERE sd.scan_id = ?1",
    )?;
    let rows: Vec<(i64, Option<String>, Option<String>)> = stmt
        .query_map([scan_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<db::Result<_>>()?;
    let mut urls: HashMap<i64, Option<String>> = conn
        .prepare(
            "SELECT id, url FROM streams
             WHERE device_id IN (SELECT device_id FROM scan_devices WHERE scan_id = ?1)",
        )?
        .query_map([scan_id], |r| Ok((r.get(0)?, Some(r.get(1)?))))?
        .collect::<db::Result<_>>()?;
    // Facts texts by id, read as the scan names them (a site's cameras share a few).
    let mut facts_texts: HashMap<i64, String> = HashMap::new();
    let mut out = HashMap::with_capacity(rows.len());
    for (device, info, seen) in rows {
        let seen = seen.unwrap_or_default();
        let Some(seen) = crate::columns::parse_seen(&seen) else {
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
        let rest = |u: &str| crate::columns::stream_key(u, 0);
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

pub(crate) fn device_keys(conn: &Conn) -> db::Result<HashMap<i64, String>> {
    conn.prepare("SELECT id, key FROM devices")?
        .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, TestDb, both_engines, camera, report, scan};

    both_engines!(a_device_the_scan_could_not_see_is_not_seen_not_removed,);

    /// A camera heard misaddressed (outside the scan's targets, no port of its own) and a camera
    /// at a target address: the next scan of the same targets without either says the first is
    /// not seen (outside its targets: never asked, so not gone), the second removed. The
    /// inventory names the first as one to ask for directly.
    fn a_device_the_scan_could_not_see_is_not_seen_not_removed(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let mut heard = camera("aa:bb:cc:00:00:09", "10.9.1.64", 1920);
        heard.open_ports.clear();
        heard.streams.clear();
        heard.discovered_by = vec![model::DiscoveryMethod::Arp];
        heard.misaddressed = Some(model::Misaddressed {
            address: "10.9.1.64".parse().unwrap(),
            mask: "255.255.255.0".into(),
            prefix: 24,
            mask_assumed: false,
            gateway: Some("10.9.1.1".parse().unwrap()),
            interface: "eth0".into(),
            seen_by: vec!["arp".into()],
            reach: model::misaddressed::Reach {
                ipv6_link_local: None,
                temporary_address: "10.9.1.253".parse().unwrap(),
                ip_addr_add: "ip addr add 10.9.1.253/24 dev eth0".into(),
                ip_addr_del: "ip addr del 10.9.1.253/24 dev eth0".into(),
            },
            reached: false,
        });
        let kept = camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920);
        let gone = camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920);
        s.record_scan(
            &scan(1, true),
            &report(vec![heard, kept.clone(), gone]),
            &[],
        )
        .unwrap();
        assert_eq!(
            s.misaddressed_known("lab").unwrap(),
            [model::known::KnownMisaddressed {
                ip: "10.9.1.64".parse().unwrap(),
                interface: "eth0".into(),
            }]
        );
        s.record_scan(&scan(2, true), &report(vec![kept]), &[])
            .unwrap();
        let d = s.diff(None, None, None).unwrap();
        let removed: Vec<String> = d.removed.iter().map(|x| x.address.to_string()).collect();
        assert_eq!(removed, ["10.0.0.6"]);
        assert_eq!(d.not_seen.len(), 1, "{:?}", d.not_seen);
        assert_eq!(d.not_seen[0].device.address.to_string(), "10.9.1.64");
        assert!(
            d.not_seen[0].why.contains("outside scan"),
            "{}",
            d.not_seen[0].why
        );
    }

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
