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
use super::db::{Conn, Engine, Result, params};

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

/// Queue a scan for `site` (whose agent must have reached this inventory at least once); its id.
pub(crate) fn queue(
    tx: &Conn,
    site: &str,
    targets: &[String],
    ports: Option<&str>,
    credentials: Option<&str>,
    now: i64,
) -> Result<std::result::Result<i64, QueueRefusal>> {
    let known: Vec<String> = tx
        .query_all("SELECT name FROM sites ORDER BY name", params![])?
        .into_iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
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
pub(crate) fn claim(tx: &Conn, site: &str, agent: &str, now: i64) -> Result<Option<ClaimedScan>> {
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
) -> Result<bool> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Ok(tx.execute(
        "UPDATE scan_requests SET probes_total = ?3, probes_done = ?4, devices = ?5,
             updated_at = ?6
         WHERE id = ?1 AND claimed_by = ?2 AND state = 'running'",
        params![id, agent, n(probes_total), n(probes_done), n(devices), now],
    )? == 1)
}

/// The claimed request's end (also after its lease ran out: the agent that ran it knows best).
pub(crate) fn finish(tx: &Conn, id: i64, agent: &str, end: &RequestEnd, now: i64) -> Result<()> {
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
) -> Result<Vec<ScanRequestRecord>> {
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
