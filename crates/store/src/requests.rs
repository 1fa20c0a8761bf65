//! Scans asked for at the hub (`POST /api/v1/scans` with a `site`), run by that site's agent.
//!
//! The hub never reaches into a site: a request waits in the hub's `scan_requests` until an agent
//! of its site, polling, claims it. Claiming is one statement that moves the oldest queued request
//! of the site to `running`; on PostgreSQL its row is picked with `FOR UPDATE SKIP LOCKED`, so two
//! agents polling at once never claim one request twice and never wait on each other (SQLite has
//! one writer at a time, which gives the same). The agent writes the run's progress while it
//! scans ([`progress`], which is also its lease: a running request not written to for
//! [`LEASE_MS`] is given up as interrupted when its site next claims), then its end ([`finish`]):
//! done with the site's scan id (the scan itself arrives through the agent's push, and the
//! request's `scan_id` is the hub's copy of it), failed, or refused by the site's own rules.
//! Requests are bounded: at most [`MAX_QUEUED`] waiting per site, the newest [`KEPT`] per site
//! kept.

use serde::Serialize;

use super::columns::rfc3339;
use super::db::{self, Conn, Engine, params};
use super::{Store, StoreError, schema};

/// Queued (not yet claimed) requests a site may have.
pub const MAX_QUEUED: i64 = 16;
/// Requests kept per site (the newest); older ones are deleted as new ones come (their scans
/// stay).
pub const KEPT: i64 = 200;
/// A running request whose agent has not written for this long (ms) is given up.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for the site's agent.
    Queued,
    /// Claimed; the agent is scanning.
    Running,
    Done,
    /// The scan was stopped (the agent stopping, a signal), or the agent went silent.
    Interrupted,
    Failed,
    /// The site's rules do not allow it (targets outside the site's own, an unknown credential
    /// set).
    Refused,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Queued => "queued",
            RequestState::Running => "running",
            RequestState::Done => "done",
            RequestState::Interrupted => "interrupted",
            RequestState::Failed => "failed",
            RequestState::Refused => "refused",
        }
    }

    fn parse(s: &str) -> RequestState {
        match s {
            "queued" => RequestState::Queued,
            "running" => RequestState::Running,
            "done" => RequestState::Done,
            "interrupted" => RequestState::Interrupted,
            "refused" => RequestState::Refused,
            _ => RequestState::Failed,
        }
    }

    /// Whether the request has ended.
    pub fn is_final(self) -> bool {
        !matches!(self, RequestState::Queued | RequestState::Running)
    }
}

/// A request as the API shows it (`GET /api/v1/scans/requests/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRequestRecord {
    pub id: i64,
    pub site: String,
    pub state: RequestState,
    pub targets: Vec<String>,
    /// As `--ports` writes them; the site's own when absent.
    pub ports: Option<String>,
    /// The site's credential set by name; the site's `default` when absent.
    pub credentials: Option<String>,
    /// RFC 3339.
    pub requested_at: String,
    /// The agent that claimed it (`camscan 0.1.0 on HOST`).
    pub claimed_by: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub probes_total: u64,
    pub probes_done: u64,
    /// Devices found so far (at the end: recorded).
    pub devices: u64,
    /// The hub's id of the recorded scan, once the agent has sent it.
    pub scan_id: Option<i64>,
    pub error: Option<String>,
}

/// What a claiming agent runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedScan {
    pub id: i64,
    pub targets: Vec<String>,
    pub ports: Option<String>,
    pub credentials: Option<String>,
}

/// How a claimed request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestEnd {
    /// Recorded as the site's scan `scan`; `interrupted`: stopped before its end.
    Recorded {
        scan: i64,
        devices: u64,
        interrupted: bool,
    },
    Failed(String),
    Refused(String),
}

/// Why a request was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueRefusal {
    /// No agent of the site has reached this inventory.
    UnknownSite { known: Vec<String> },
    /// [`MAX_QUEUED`] requests of the site wait already.
    Full,
}

impl Store {
    /// (At the hub.) Queue a scan for `site`'s agent, or why not (an unknown site, a full queue).
    pub fn queue_scan(
        &mut self,
        site: &str,
        targets: &[String],
        ports: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<Result<ScanRequestRecord, QueueRefusal>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        let path = self.path.clone();
        let e = |err| schema::map_err(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        let queued = queue(&tx, site, targets, ports, credentials, now).map_err(e)?;
        tx.commit().map_err(e)?;
        match queued {
            Ok(id) => self
                .scan_request(id)?
                .ok_or_else(|| self.not_found(format!("scan request {id}")))
                .map(Ok),
            Err(refused) => Ok(Err(refused)),
        }
    }

    /// (At the hub.) The oldest queued scan of `site`, now `agent`'s to run.
    pub fn claim_scan(
        &mut self,
        site: &str,
        agent: &str,
    ) -> Result<Option<ClaimedScan>, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        claim(&self.conn, site, agent, now).map_err(|e| self.err(e))
    }

    /// (At the hub.) A claimed scan's progress: probes total, probes done, devices; false when
    /// the request is no longer `agent`'s.
    pub fn scan_progress(
        &mut self,
        id: i64,
        agent: &str,
        progress: (u64, u64, u64),
    ) -> Result<bool, StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self::progress(&self.conn, id, agent, progress, now).map_err(|e| self.err(e))
    }

    /// (At the hub.) A claimed scan's end.
    pub fn finish_scan(
        &mut self,
        id: i64,
        agent: &str,
        end: &RequestEnd,
    ) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        finish(&self.conn, id, agent, end, now).map_err(|e| self.err(e))
    }

    /// Scans asked for at the hub, newest first (at most `limit`), of `site` or every site.
    pub fn scan_requests(
        &self,
        site: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScanRequestRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        list(&self.conn, site, None, limit).map_err(|e| self.err(e))
    }

    /// One scan asked for at the hub.
    pub fn scan_request(&self, id: i64) -> Result<Option<ScanRequestRecord>, StoreError> {
        Ok(list(&self.conn, None, Some(id), 1)
            .map_err(|e| self.err(e))?
            .into_iter()
            .next())
    }
}

/// Queue a scan for `site` (whose agent must have reached this inventory at least once); its id.
pub(crate) fn queue(
    tx: &Conn,
    site: &str,
    targets: &[String],
    ports: Option<&str>,
    credentials: Option<&str>,
    now: i64,
) -> db::Result<Result<i64, QueueRefusal>> {
    let known: Vec<String> = tx
        .query_all("SELECT name FROM sites ORDER BY name", params![])?
        .into_iter()
        .map(|r| r.get(0))
        .collect::<db::Result<_>>()?;
    if !known.iter().any(|k| k == site) {
        return Ok(Err(QueueRefusal::UnknownSite { known }));
    }
    let waiting: i64 = tx.query_row(
        "SELECT COUNT(*) FROM scan_requests WHERE site = ?1 AND state = 'queued'",
        params![site],
        |r| r.get(0),
    )?;
    if waiting >= MAX_QUEUED {
        return Ok(Err(QueueRefusal::Full));
    }
    let targets_json = serde_json::to_string(targets).unwrap_or_else(|_| "[]".into());
    let id = tx.insert(
        "INSERT INTO scan_requests (site, targets, ports, credentials, requested_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued')",
        params![site, targets_json, ports, credentials, now],
    )?;
    // Bounded: the newest KEPT of the site stay (ended ones only are deleted).
    tx.execute(
        "DELETE FROM scan_requests WHERE site = ?1 AND state NOT IN ('queued', 'running')
           AND id < (SELECT id FROM scan_requests WHERE site = ?1 ORDER BY id DESC
                     LIMIT 1 OFFSET ?2)",
        params![site, KEPT - 1],
    )?;
    Ok(Ok(id))
}

/// Claim the oldest queued request of `site` for `agent`; first give up the site's running
/// requests whose lease ran out, and those `agent` itself had claimed (an agent that claims is not
/// running any: what it had claimed before died with its previous run).
pub(crate) fn claim(
    tx: &Conn,
    site: &str,
    agent: &str,
    now: i64,
) -> db::Result<Option<ClaimedScan>> {
    tx.execute(
        "UPDATE scan_requests SET state = 'interrupted', finished_at = ?2,
             error = 'the site''s agent stopped during the scan'
         WHERE site = ?1 AND state = 'running' AND (claimed_by = ?3 OR updated_at < ?4)",
        params![site, now, agent, now - LEASE_MS],
    )?;
    let skip_locked = match tx.engine() {
        Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "UPDATE scan_requests SET state = 'running', claimed_by = ?2, claimed_at = ?3,
             updated_at = ?3
         WHERE state = 'queued' AND id = (SELECT id FROM scan_requests
             WHERE site = ?1 AND state = 'queued' ORDER BY id LIMIT 1{skip_locked})
         RETURNING id, targets, ports, credentials"
    );
    let Some(r) = tx
        .query_all(&sql, params![site, agent, now])?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let targets: String = r.get(1)?;
    Ok(Some(ClaimedScan {
        id: r.get(0)?,
        targets: serde_json::from_str(&targets).unwrap_or_default(),
        ports: r.get(2)?,
        credentials: r.get(3)?,
    }))
}

/// The running request's progress (and its lease); false when it is no longer this agent's.
pub(crate) fn progress(
    tx: &Conn,
    id: i64,
    agent: &str,
    (probes_total, probes_done, devices): (u64, u64, u64),
    now: i64,
) -> db::Result<bool> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Ok(tx.execute(
        "UPDATE scan_requests SET probes_total = ?3, probes_done = ?4, devices = ?5,
             updated_at = ?6
         WHERE id = ?1 AND claimed_by = ?2 AND state = 'running'",
        params![id, agent, n(probes_total), n(probes_done), n(devices), now],
    )? == 1)
}

/// The claimed request's end (also after its lease ran out: the agent that ran it knows best).
pub(crate) fn finish(
    tx: &Conn,
    id: i64,
    agent: &str,
    end: &RequestEnd,
    now: i64,
) -> db::Result<()> {
    let (state, scan, devices, error) = match end {
        RequestEnd::Recorded {
            scan,
            devices,
            interrupted,
        } => (
            if *interrupted {
                RequestState::Interrupted
            } else {
                RequestState::Done
            },
            Some(*scan),
            Some(i64::try_from(*devices).unwrap_or(i64::MAX)),
            None,
        ),
        RequestEnd::Failed(e) => (RequestState::Failed, None, None, Some(e.as_str())),
        RequestEnd::Refused(e) => (RequestState::Refused, None, None, Some(e.as_str())),
    };
    tx.execute(
        "UPDATE scan_requests SET state = ?3, scan_origin = ?4,
             devices = COALESCE(?5, devices), error = ?6, finished_at = ?7, updated_at = ?7,
             probes_done = CASE WHEN ?3 = 'done' THEN probes_total ELSE probes_done END
         WHERE id = ?1 AND claimed_by = ?2",
        params![id, agent, state.as_str(), scan, devices, error, now],
    )?;
    Ok(())
}

/// Requests, newest first: of `site` (every site when `None`), or the one with `id`.
pub(crate) fn list(
    conn: &Conn,
    site: Option<&str>,
    id: Option<i64>,
    limit: i64,
) -> db::Result<Vec<ScanRequestRecord>> {
    let rows = conn.query_all(
        "SELECT r.id, r.site, r.state, r.targets, r.ports, r.credentials, r.requested_at,
                r.claimed_by, r.claimed_at, r.finished_at, r.probes_total, r.probes_done,
                r.devices, s.id, r.error
         FROM scan_requests r
         LEFT JOIN scans s ON s.site = r.site AND s.origin_id = r.scan_origin
         WHERE (?1 IS NULL OR r.site = ?1) AND (?2 IS NULL OR r.id = ?2)
         ORDER BY r.id DESC LIMIT ?3",
        params![site, id, limit],
    )?;
    let u = |v: i64| u64::try_from(v).unwrap_or(0);
    rows.into_iter()
        .map(|r| {
            let targets: String = r.get(3)?;
            let state: String = r.get(2)?;
            Ok(ScanRequestRecord {
                id: r.get(0)?,
                site: r.get(1)?,
                state: RequestState::parse(&state),
                targets: serde_json::from_str(&targets).unwrap_or_default(),
                ports: r.get(4)?,
                credentials: r.get(5)?,
                requested_at: rfc3339(r.get(6)?),
                claimed_by: r.get(7)?,
                started_at: r.get::<_, Option<i64>>(8)?.map(rfc3339),
                finished_at: r.get::<_, Option<i64>>(9)?.map(rfc3339),
                probes_total: u(r.get(10)?),
                probes_done: u(r.get(11)?),
                devices: u(r.get(12)?),
                scan_id: r.get(13)?,
                error: r.get(14)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Engine, TestDb, both_engines, camera, report, scan};
    use crate::{HubCursor, ScanInfo};

    both_engines!(scans_asked_at_the_hub_are_claimed_once,);

    /// Scans asked for at the hub: queued only for a site whose agent has reached it, at most
    /// `MAX_QUEUED` waiting; two agents polling at once (two connections, two threads) claim
    /// every request exactly once; progress is the claimer's alone; the end names the hub's copy
    /// of the site's scan; an agent that claims again gives up what it had claimed before.
    fn scans_asked_at_the_hub_are_claimed_once(engine: Engine) {
        let hub_db = TestDb::new(engine);
        let mut hub = hub_db.open();
        let t = vec!["10.0.0.0/29".to_string()];
        assert_eq!(
            hub.queue_scan("north", &t, None, None).unwrap(),
            Err(QueueRefusal::UnknownSite { known: vec![] })
        );
        hub.touch_site("north", "agent a").unwrap();
        hub.touch_site("south", "agent s").unwrap();
        let mut ids = Vec::new();
        for i in 0..MAX_QUEUED {
            let ports = (i == 0).then_some("80,554");
            let r = hub
                .queue_scan("north", &t, ports, Some("default"))
                .unwrap()
                .unwrap();
            assert_eq!((r.state, r.site.as_str()), (RequestState::Queued, "north"));
            ids.push(r.id);
        }
        assert_eq!(
            hub.queue_scan("north", &t, None, None).unwrap(),
            Err(QueueRefusal::Full)
        );
        let other = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        // Two agents of north claim side by side, each finishing what it claimed.
        let claimers: Vec<_> = ["agent a", "agent b"]
            .into_iter()
            .map(|agent| {
                let mut conn = hub_db.open();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Some(c) = conn.claim_scan("north", agent).unwrap() {
                        assert_eq!(c.targets, ["10.0.0.0/29"]);
                        assert!(conn.scan_progress(c.id, agent, (10, 5, 1)).unwrap());
                        let end = RequestEnd::Failed(format!("by {agent}"));
                        conn.finish_scan(c.id, agent, &end).unwrap();
                        assert!(!conn.scan_progress(c.id, agent, (10, 6, 1)).unwrap());
                        got.push(c.id);
                    }
                    got
                })
            })
            .collect();
        let mut claimed: Vec<i64> = claimers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        claimed.sort();
        assert_eq!(claimed, ids, "every request claimed once");
        let first = hub.scan_request(ids[0]).unwrap().unwrap();
        assert_eq!(first.ports.as_deref(), Some("80,554"));
        assert_eq!(first.state, RequestState::Failed);
        assert_eq!(
            first.error,
            Some(format!("by {}", first.claimed_by.as_deref().unwrap()))
        );
        assert_eq!(
            hub.scan_request(other.id).unwrap().unwrap().state,
            RequestState::Queued,
            "south's request is south's"
        );
        // Done: the request names the hub's copy of the site's scan once it has arrived.
        let site_db = TestDb::new(Engine::Sqlite);
        let mut site = site_db.open();
        let at = ScanInfo {
            site: "south".into(),
            ..scan(1, true)
        };
        let rec = site
            .record_scan(
                &at,
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 640)]),
                &[],
            )
            .unwrap();
        let c = hub.claim_scan("south", "agent s").unwrap().unwrap();
        assert_eq!(c.id, other.id);
        let end = RequestEnd::Recorded {
            scan: rec.scan_id,
            devices: 1,
            interrupted: false,
        };
        hub.finish_scan(c.id, "agent s", &end).unwrap();
        let r = hub.scan_request(c.id).unwrap().unwrap();
        assert_eq!(
            (r.state, r.devices, r.scan_id),
            (RequestState::Done, 1, None)
        );
        let b = site
            .replica_batch("south", HubCursor::default(), 10, 10)
            .unwrap();
        hub.apply_replica(&b, "agent s").unwrap();
        let r = hub.scan_request(c.id).unwrap().unwrap();
        let copied = hub.scans(Some("south")).unwrap();
        assert_eq!(r.scan_id, Some(copied[0].id));
        // An agent that claims again gives up what it had left running (it died with it).
        let again = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        let third = hub.queue_scan("south", &t, None, None).unwrap().unwrap();
        assert_eq!(
            hub.claim_scan("south", "agent s").unwrap().unwrap().id,
            again.id
        );
        assert_eq!(
            hub.claim_scan("south", "agent s").unwrap().unwrap().id,
            third.id
        );
        let gone = hub.scan_request(again.id).unwrap().unwrap();
        assert_eq!(gone.state, RequestState::Interrupted);
        assert!(gone.error.unwrap().contains("agent stopped"));
        assert_eq!(hub.scan_requests(Some("south"), 10).unwrap().len(), 3);
        assert_eq!(hub.scan_requests(None, 100).unwrap().len(), 19);
    }
}
