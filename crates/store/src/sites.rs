//! The fleet's sites as the hub sees them: the overview (`GET /api/v1/sites`) and when each
//! site's agent was last heard from. Apart from `replication`, which copies a site's rows: this
//! reads what any inventory holds, a site's own as a hub's.

use serde::Serialize;

use super::db::{self, Conn, params};
use super::{Store, StoreError};

/// One site of the inventory at a glance (`GET /api/v1/sites`): what it holds, its health, when
/// it was last scanned and when its agent was last heard from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteSummary {
    pub name: String,
    pub devices: usize,
    pub cameras: usize,
    pub online: usize,
    pub offline: usize,
    pub streams_up: usize,
    pub streams_down: usize,
    /// RFC 3339: the newest scan's end.
    pub last_scan: Option<String>,
    /// RFC 3339: the last time its agent reached the hub (`None`: no agent sends to this
    /// inventory for it, as at a site's own inventory).
    pub last_contact: Option<String>,
    /// Who sent it (`camscan 0.1.0 on HOST`).
    pub agent: Option<String>,
}

impl Store {
    /// Every site this inventory holds, with its counts, last scan and last contact.
    pub fn sites(&self) -> Result<Vec<SiteSummary>, StoreError> {
        sites(&self.conn).map_err(|e| self.err(e))
    }

    /// (At the hub.) The site's agent is alive: its last contact is now.
    pub fn touch_site(&mut self, site: &str, agent: &str) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        touch(&self.conn, site, agent, now).map_err(|e| self.err(e))
    }
}

/// Every site the inventory holds, by name (`GET /api/v1/sites`): a few grouped counts.
pub(crate) fn sites(conn: &Conn) -> db::Result<Vec<SiteSummary>> {
    use std::collections::BTreeMap;
    let mut by: BTreeMap<String, SiteSummary> = BTreeMap::new();
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    let entry = |by: &mut BTreeMap<String, SiteSummary>, name: String| {
        by.entry(name.clone())
            .or_insert_with(|| SiteSummary {
                name,
                devices: 0,
                cameras: 0,
                online: 0,
                offline: 0,
                streams_up: 0,
                streams_down: 0,
                last_scan: None,
                last_contact: None,
                agent: None,
            })
            .clone()
    };
    let rows = conn.query_all(
        "SELECT site, COUNT(*), SUM(CASE WHEN is_camera <> 0 THEN 1 ELSE 0 END),
                SUM(CASE WHEN state = 'online' THEN 1 ELSE 0 END),
                SUM(CASE WHEN state = 'offline' THEN 1 ELSE 0 END)
         FROM devices GROUP BY site",
        params![],
    )?;
    for r in rows {
        let mut s = entry(&mut by, r.get(0)?);
        s.devices = n(r.get(1)?);
        s.cameras = n(r.get(2)?);
        s.online = n(r.get(3)?);
        s.offline = n(r.get(4)?);
        by.insert(s.name.clone(), s);
    }
    // A hub's copied streams carry their site: counted from the (site, state) index alone (at
    // 100 000 devices, 65 ms against 140 ms for the join on PostgreSQL 15, measured on the
    // fleet bench's shape); a site's own streams (site '') by their device's site.
    let rows = conn.query_all(
        "SELECT site, SUM(up), SUM(down) FROM (
             SELECT site, CASE WHEN state = 'up' THEN 1 ELSE 0 END AS up,
                    CASE WHEN state = 'up' THEN 0 ELSE 1 END AS down
             FROM streams WHERE site <> ''
             UNION ALL
             SELECT d.site, CASE WHEN s.state = 'up' THEN 1 ELSE 0 END,
                    CASE WHEN s.state = 'up' THEN 0 ELSE 1 END
             FROM streams s JOIN devices d ON d.id = s.device_id WHERE s.site = ''
         ) x GROUP BY site",
        params![],
    )?;
    for r in rows {
        let mut s = entry(&mut by, r.get(0)?);
        s.streams_up = n(r.get(1)?);
        s.streams_down = n(r.get(2)?);
        by.insert(s.name.clone(), s);
    }
    for r in conn.query_all(
        "SELECT site, MAX(finished_at) FROM scans GROUP BY site",
        params![],
    )? {
        let mut s = entry(&mut by, r.get(0)?);
        s.last_scan = r.get::<_, Option<i64>>(1)?.map(super::columns::rfc3339);
        by.insert(s.name.clone(), s);
    }
    for r in conn.query_all("SELECT name, last_contact, agent FROM sites", params![])? {
        let mut s = entry(&mut by, r.get(0)?);
        s.last_contact = r.get::<_, Option<i64>>(1)?.map(super::columns::rfc3339);
        s.agent = r.get(2)?;
        by.insert(s.name.clone(), s);
    }
    Ok(by.into_values().collect())
}

/// The site's agent was heard from at `now`.
/// An `UPDATE` first: a site's own login (`camscan hub add-site`) may update its row, not insert
/// one.
pub(crate) fn touch(tx: &Conn, site: &str, agent: &str, now: i64) -> db::Result<()> {
    let updated = tx.execute(
        "UPDATE sites SET last_contact = ?2, agent = ?3 WHERE name = ?1",
        params![site, now, agent],
    )?;
    if updated == 0 {
        tx.execute(
            "INSERT INTO sites (name, last_contact, agent) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET last_contact = excluded.last_contact,
                 agent = excluded.agent",
            params![site, now, agent],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::{Engine, TestDb, both_engines, camera, kinds, report, scan};
    use crate::{DeviceQuery, DeviceState, EventKind, EventQuery, ScanInfo};
    use model::Credential;

    both_engines!(sites_are_told_apart,);

    /// Identity is per site: the same address and the same MAC at two sites are two devices; a
    /// complete scan at one site takes nothing at the other offline; every query filters by site
    /// and every record carries it.
    fn sites_are_told_apart(engine: Engine) {
        let db = TestDb::new(engine);
        let mut s = db.open();
        let at = |site: &str, n: u32| ScanInfo {
            site: site.into(),
            targets: vec!["192.168.1.0/24".into()],
            ..scan(n, true)
        };
        let creds = [Credential::new("admin", "12345")];
        let one = |mac: &str| report(vec![camera(mac, "192.168.1.10", 1920)]);
        let a1 = s
            .record_scan(&at("a", 1), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        // Same address and same MAC at site b: a device of its own, new there.
        let b1 = s
            .record_scan(&at("b", 1), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        assert_eq!(kinds(&a1), kinds(&b1));
        assert!(kinds(&b1).contains(&EventKind::DeviceNew));
        let all = s.devices(&DeviceQuery::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all.iter().map(|d| d.site.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        // A complete scan of the same range at a, without the camera: offline at a only.
        let a2 = s.record_scan(&at("a", 2), &report(vec![]), &creds).unwrap();
        assert_eq!(kinds(&a2), [EventKind::DeviceOffline]);
        let state = |site: &str| {
            let q = DeviceQuery {
                site: Some(site.into()),
                ..DeviceQuery::default()
            };
            let list = s.devices(&q).unwrap();
            assert_eq!(list.len(), 1, "{site}");
            list[0].state
        };
        assert_eq!(state("a"), DeviceState::Offline);
        assert_eq!(state("b"), DeviceState::Online);
        // The inventory as a report, and which credential opened what, by site.
        let site_q = |site: &str| DeviceQuery {
            site: Some(site.into()),
            ..DeviceQuery::default()
        };
        assert_eq!(s.inventory_report(&site_q("b")).unwrap().devices.len(), 1);
        let creds_of = |site| s.stream_credentials(site).unwrap();
        assert_eq!(creds_of(Some("b")).len(), 1);
        let all = creds_of(None);
        assert_eq!(all.len(), 2);
        assert!(
            all.iter().all(|(_, _, group)| *group == 0),
            "one credential: {all:?}"
        );
        // Lookups by address resolve at the site asked for.
        let at_b = s.device("192.168.1.10", Some("b")).unwrap().unwrap();
        assert_eq!(at_b.summary.site, "b");
        assert_eq!(at_b.summary.state, DeviceState::Online);
        // Events, scans and diffs by site.
        let ev = |site: &str| {
            s.events(&EventQuery {
                site: Some(site.into()),
                ..EventQuery::default()
            })
            .unwrap()
        };
        assert!(ev("a").iter().all(|e| e.site == "a"));
        assert_eq!(ev("a").len(), a1.events.len() + 1);
        assert_eq!(ev("b").len(), b1.events.len());
        assert_eq!(s.scans(Some("a")).unwrap().len(), 2);
        assert_eq!(s.scans(Some("b")).unwrap()[0].scan.site, "b");
        let d = s.diff(None, None, Some("a")).unwrap();
        assert_eq!((d.a.id, d.b.id), (a1.scan_id, a2.scan_id));
        assert_eq!(d.removed.len(), 1);
        // With no site, the newest scan's site is compared with itself: b has one scan only.
        s.record_scan(&at("b", 3), &one("aa:bb:cc:00:00:01"), &creds)
            .unwrap();
        let d = s.diff(None, None, None).unwrap();
        assert_eq!((d.a.scan.site.as_str(), d.b.scan.site.as_str()), ("b", "b"));
        // What a scan at a site tries first is that site's.
        assert!(s.known("a", &[], &creds).unwrap().is_empty());
        assert_eq!(s.known("b", &[], &creds).unwrap().len(), 1);
    }
}
