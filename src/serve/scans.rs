//! `POST /api/v1/scans`: a scan started over the API, run by the server, recorded in the store
//! like any other (its events go to the event stream and to the watcher's sinks).
//!
//! A remote scan trigger is a risk, so the request is held to the server's rules, not the
//! client's wishes:
//! * only targets inside `--allow-targets` (default: the attached private subnets a target-less
//!   scan covers) are scanned; anything else is 403, and host names are refused (what a name
//!   resolves to is not the client's to choose);
//! * at most one scan runs at a time, whoever started it (a watcher round in the same process
//!   holds the same gate): another request is 409 naming the running job;
//! * a new API scan starts at most every [`MIN_GAP`] (429 with `Retry-After` before that);
//! * credentials are chosen by name from the server's configured sets; none is ever sent by the
//!   client or back to it.
//!
//! The answer is 202 with the job: its id, and `Location: /api/v1/scans/jobs/{id}`. Progress
//! (probes done of total, hosts, devices found) is published as the job changes, at most every
//! [`PROGRESS_EVERY`], to `GET /api/v1/scans/jobs/{id}` and to the event stream as `event: scan`
//! (without an `id:`: progress is not a store event, and a reconnecting client gets the job's
//! state from the jobs route). When it is recorded the job carries the store's `scan_id`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::AppState;
use super::params::{Params, json};
use super::problem::{Kind, Problem};
use crate::config::ScanConfig;
use crate::credentials::Credential;
use crate::discovery::targets::{AddrRange, TargetSpec, parse_spec};
use crate::metrics::Metrics;
use crate::model::sync::lock;
use crate::probe::ProbeStats;
use crate::store::SharedStore;

/// A new API scan starts at most this often. 10 s: a page's button pressed twice, or a script
/// in a loop, does not become a scan storm; a person waits for a scan's end anyway.
pub const MIN_GAP: Duration = Duration::from_secs(10);
/// How often a running job's progress is published. 250 ms: a smooth bar for a few events a
/// second.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Jobs remembered (the newest; older ones are forgotten, their scans stay in the store).
pub const JOBS_KEPT: usize = 32;
/// Target specifications in one request.
pub const MAX_TARGETS: usize = 64;

/// The named credential set that means "send none".
pub const NO_CREDENTIALS: &str = "none";
/// The name of the scan configuration's own credentials (`--credentials`, config `credentials:`).
pub const DEFAULT_CREDENTIALS: &str = "default";

/// A scan asked over the API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// Addresses, CIDRs or ranges, as the CLI takes them (no host names).
    pub targets: Vec<String>,
    /// Ports as `--ports` takes them; the server's when absent.
    #[serde(default)]
    pub ports: Option<String>,
    /// A configured credential set by name ([`ScanOptions::credentials`]); the server's
    /// `default` when absent.
    #[serde(default)]
    pub credentials: Option<String>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Done,
    Failed,
    Interrupted,
}

/// One scan started over the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: u64,
    pub state: JobState,
    pub targets: Vec<String>,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Addresses the targets cover.
    pub hosts_total: u64,
    /// Addresses whose every port has been probed, as probes done ÷ ports (probes run in any
    /// order, so it is a measure, not a list).
    pub hosts_done: u64,
    pub probes_total: u64,
    pub probes_done: u64,
    /// Devices found so far.
    pub devices: u64,
    /// The store's id of the recorded scan, once recorded.
    pub scan_id: Option<i64>,
    pub error: Option<String>,
}

/// What a client may choose from (`GET /api/v1/scans/options`).
#[derive(Debug, Clone, Serialize)]
pub struct ScanOptions {
    /// Names of the credential sets (never their content).
    pub credentials: Vec<String>,
    /// The ranges scans may target.
    pub allow_targets: Vec<String>,
    /// The server's port list, as `--ports` writes it.
    pub ports: String,
}

/// The server's side of API scans: its rules, the jobs, the gate shared with the watcher.
pub struct Scans {
    base: ScanConfig,
    allow: Vec<(String, AddrRange)>,
    credentials: Vec<(String, Vec<Credential>)>,
    store: SharedStore,
    metrics: Metrics,
    /// Held by whatever scan runs (an API job, a watcher round).
    pub gate: Arc<tokio::sync::Mutex<()>>,
    book: Mutex<Book>,
    updates: watch::Sender<Option<Job>>,
}

#[derive(Default)]
struct Book {
    jobs: VecDeque<Job>,
    next_id: u64,
    last_start: Option<Instant>,
}

/// Why a request is refused.
fn refuse(kind: Kind, detail: impl Into<String>) -> Problem {
    Problem::new(kind, detail)
}

impl Scans {
    /// `allow`: target specifications (addresses, CIDRs, ranges). `named`: extra credential sets.
    pub fn new(
        base: ScanConfig,
        allow: &[String],
        named: Vec<(String, Vec<Credential>)>,
        store: SharedStore,
        metrics: Metrics,
    ) -> Result<Scans, String> {
        let mut ranges = Vec::new();
        for spec in allow {
            match parse_spec(spec) {
                Ok(TargetSpec::Range(r)) => ranges.push((spec.trim().to_string(), r)),
                Ok(TargetSpec::Host(_)) => {
                    return Err(format!(
                        "--allow-targets {spec}: give addresses, CIDRs or ranges, not host names"
                    ));
                }
                Err(e) => return Err(format!("--allow-targets: {e}")),
            }
        }
        let mut credentials = vec![(NO_CREDENTIALS.to_string(), Vec::new())];
        if !base.credentials.is_empty() {
            credentials.push((DEFAULT_CREDENTIALS.to_string(), base.credentials.clone()));
        }
        for (name, set) in named {
            if credentials.iter().any(|(n, _)| *n == name) {
                return Err(format!("--scan-credentials: {name:?} given twice"));
            }
            credentials.push((name, set));
        }
        Ok(Scans {
            base,
            allow: ranges,
            credentials,
            store,
            metrics,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            book: Mutex::new(Book::default()),
            updates: watch::channel(None).0,
        })
    }

    /// Job updates, newest first; the event stream sends each as `event: scan`.
    pub fn subscribe(&self) -> watch::Receiver<Option<Job>> {
        self.updates.subscribe()
    }

    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            credentials: self.credentials.iter().map(|(n, _)| n.clone()).collect(),
            allow_targets: self.allow.iter().map(|(s, _)| s.clone()).collect(),
            ports: self
                .base
                .ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Every configured credential (each set's, in order), for the snapshot proxy.
    pub fn all_credentials(&self) -> Vec<Credential> {
        self.credentials
            .iter()
            .flat_map(|(_, set)| set.iter().cloned())
            .collect()
    }

    pub fn job(&self, id: u64) -> Option<Job> {
        lock(&self.book).jobs.iter().find(|j| j.id == id).cloned()
    }

    /// The jobs remembered, newest first.
    pub fn jobs(&self) -> Vec<Job> {
        lock(&self.book).jobs.iter().rev().cloned().collect()
    }

    /// Check `req` against the rules; the scan configuration it runs with and the addresses
    /// it covers.
    fn plan(&self, req: &ScanRequest) -> Result<(ScanConfig, u64), Problem> {
        if req.targets.is_empty() || req.targets.len() > MAX_TARGETS {
            return Err(refuse(
                Kind::InvalidBody,
                format!("targets: 1 to {MAX_TARGETS} addresses, CIDRs or ranges"),
            ));
        }
        let mut hosts: u128 = 0;
        for spec in &req.targets {
            let shown = crate::sanitize::terminal(spec);
            let range = match parse_spec(spec) {
                Ok(TargetSpec::Range(r)) => r,
                Ok(TargetSpec::Host(_)) => {
                    return Err(refuse(
                        Kind::InvalidBody,
                        format!(
                            "target {shown:?}: give an address, a CIDR or a range, not a host name"
                        ),
                    ));
                }
                Err(e) => {
                    return Err(refuse(
                        Kind::InvalidBody,
                        format!(
                            "target {shown:?}: {}",
                            crate::sanitize::terminal(&e.to_string())
                        ),
                    ));
                }
            };
            if !self.allow.iter().any(|(_, a)| a.covers(&range)) {
                let allowed: Vec<&str> = self.allow.iter().map(|(s, _)| s.as_str()).collect();
                return Err(refuse(
                    Kind::TargetNotAllowed,
                    format!(
                        "target {shown:?} is outside what this server may scan ({}); its \
                         operator sets that with --allow-targets",
                        if allowed.is_empty() {
                            "nothing".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
            hosts = hosts.saturating_add(range.size());
        }
        let mut cfg = self.base.clone();
        cfg.targets = req.targets.iter().map(|t| t.trim().to_string()).collect();
        // The allow list is the operator's decision: public ranges in it may be scanned.
        cfg.allow_public = true;
        if let Some(p) = req.ports.as_deref() {
            cfg.ports = crate::config::parse_ports(p).map_err(|e| {
                refuse(
                    Kind::InvalidBody,
                    format!("ports: {}", crate::sanitize::terminal(&e.to_string())),
                )
            })?;
        }
        let name = req.credentials.as_deref().unwrap_or(
            if self
                .credentials
                .iter()
                .any(|(n, _)| n == DEFAULT_CREDENTIALS)
            {
                DEFAULT_CREDENTIALS
            } else {
                NO_CREDENTIALS
            },
        );
        let Some((_, set)) = self.credentials.iter().find(|(n, _)| n == name) else {
            let names: Vec<&str> = self.credentials.iter().map(|(n, _)| n.as_str()).collect();
            return Err(refuse(
                Kind::InvalidBody,
                format!(
                    "credentials {:?}: not a configured set (one of {})",
                    crate::sanitize::terminal(name),
                    names.join(", ")
                ),
            ));
        };
        cfg.credentials = set.clone();
        Ok((cfg, u64::try_from(hosts).unwrap_or(u64::MAX)))
    }

    /// Start `req` if the rules allow it now.
    pub fn start(self: &Arc<Self>, req: &ScanRequest) -> Result<Job, Problem> {
        let (cfg, hosts_total) = self.plan(req)?;
        let Ok(guard) = self.gate.clone().try_lock_owned() else {
            let running = lock(&self.book)
                .jobs
                .iter()
                .rev()
                .find(|j| j.state == JobState::Running)
                .map(|j| format!(" (job {})", j.id))
                .unwrap_or_else(|| " (a scheduled scan of the watcher)".into());
            return Err(refuse(
                Kind::ScanRunning,
                format!("a scan is running{running}; one runs at a time"),
            ));
        };
        let job = {
            let mut book = lock(&self.book);
            if let Some(wait) = book
                .last_start
                .map(|t| MIN_GAP.saturating_sub(t.elapsed()))
                .filter(|w| !w.is_zero())
            {
                return Err(refuse(
                    Kind::RateLimited,
                    format!(
                        "a scan started less than {} s ago; try again in {} s",
                        MIN_GAP.as_secs(),
                        wait.as_secs() + 1
                    ),
                )
                .retry_after(MIN_GAP));
            }
            book.last_start = Some(Instant::now());
            book.next_id += 1;
            let job = Job {
                id: book.next_id,
                state: JobState::Running,
                targets: cfg.targets.clone(),
                started_at: jiff::Timestamp::now().to_string(),
                finished_at: None,
                hosts_total,
                hosts_done: 0,
                probes_total: 0,
                probes_done: 0,
                devices: 0,
                scan_id: None,
                error: None,
            };
            book.jobs.push_back(job.clone());
            while book.jobs.len() > JOBS_KEPT {
                book.jobs.pop_front();
            }
            job
        };
        self.updates.send_replace(Some(job.clone()));
        tracing::info!(job = job.id, targets = ?job.targets, "serve: a scan asked over the API");
        let this = self.clone();
        let id = job.id;
        tokio::spawn(async move {
            let _guard = guard;
            this.run(id, cfg).await;
        });
        Ok(job)
    }

    /// Run job `id`, publishing its progress, then its end.
    async fn run(&self, id: u64, cfg: ScanConfig) {
        let stats = Arc::new(ProbeStats::default());
        let ports = cfg.ports.len().max(1) as u64;
        let scan = crate::watch::scan_round(
            &cfg,
            &self.store,
            &self.metrics,
            crate::scan::Progress::Into(stats.clone()),
        );
        tokio::pin!(scan);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        let result = loop {
            tokio::select! {
                r = &mut scan => break r,
                _ = tick.tick() => self.update(id, |j| {
                    j.probes_total = ProbeStats::get(&stats.total);
                    j.probes_done = ProbeStats::get(&stats.done);
                    j.hosts_done = (j.probes_done / ports).min(j.hosts_total);
                    j.devices = ProbeStats::get(&stats.devices);
                }),
            }
        };
        self.update(id, |j| {
            j.probes_total = ProbeStats::get(&stats.total);
            j.probes_done = ProbeStats::get(&stats.done);
            j.finished_at = Some(jiff::Timestamp::now().to_string());
            match &result {
                Ok(round) => {
                    j.state = if round.interrupted {
                        JobState::Interrupted
                    } else {
                        JobState::Done
                    };
                    if !round.interrupted {
                        j.hosts_done = j.hosts_total;
                    }
                    j.devices = round.devices;
                    j.scan_id = Some(round.scan_id);
                }
                Err(e) => {
                    j.state = JobState::Failed;
                    j.error = Some(e.to_string());
                }
            }
        });
        match &result {
            Ok(round) => tracing::info!(job = id, scan = round.scan_id, "serve: API scan recorded"),
            Err(e) => tracing::warn!(job = id, "serve: API scan failed: {e}"),
        }
    }

    /// Change job `id` and publish it when it changed.
    fn update(&self, id: u64, f: impl FnOnce(&mut Job)) {
        let changed = {
            let mut book = lock(&self.book);
            let Some(job) = book.jobs.iter_mut().find(|j| j.id == id) else {
                return;
            };
            let before = job.clone();
            f(job);
            (*job != before).then(|| job.clone())
        };
        if let Some(job) = changed {
            self.updates.send_replace(Some(job));
        }
    }
}

/// `POST /api/v1/scans`.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = (|| {
        let Some(scans) = state.scans.as_ref() else {
            return Err(refuse(
                Kind::TargetNotAllowed,
                "this server was started without a scan configuration",
            ));
        };
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(refuse(
                Kind::UnsupportedMediaType,
                "send the scan as JSON (Content-Type: application/json)",
            ));
        }
        let req: ScanRequest = serde_json::from_slice(&body).map_err(|e| {
            refuse(
                Kind::InvalidBody,
                format!(
                    "the body is not a scan request ({}): {{\"targets\": [\"192.168.1.0/24\"], \"ports\": \"80,554\", \"credentials\": \"default\"}}",
                    crate::sanitize::terminal(&e.to_string())
                ),
            )
        })?;
        scans.start(&req)
    })();
    match started {
        Ok(job) => {
            let mut resp = (StatusCode::ACCEPTED, json(&job)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/scans/jobs/{}", job.id)) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            resp
        }
        Err(p) => p.into_response(),
    }
}

/// `GET /api/v1/scans/jobs`: the jobs remembered, newest first.
pub async fn jobs(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Err(p) = Params::parse(query.as_deref(), &[]) {
        return p.into_response();
    }
    let items = state.scans.as_ref().map(|s| s.jobs()).unwrap_or_default();
    json(&serde_json::json!({ "items": items }))
}

/// `GET /api/v1/scans/jobs/{id}`.
pub async fn job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let found = (|| {
        Params::parse(query.as_deref(), &[])?;
        id.parse::<u64>()
            .ok()
            .and_then(|n| state.scans.as_ref()?.job(n))
            .ok_or_else(|| {
                Problem::not_found(format!(
                    "no scan job {:?} (jobs are remembered while the server runs, the newest {JOBS_KEPT})",
                    crate::sanitize::terminal(&id)
                ))
            })
    })();
    match found {
        Ok(j) => json(&j),
        Err(p) => p.into_response(),
    }
}

/// `GET /api/v1/scans/options`.
pub async fn options(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Err(p) = Params::parse(query.as_deref(), &[]) {
        return p.into_response();
    }
    match state.scans.as_ref() {
        Some(s) => json(&s.options()),
        None => json(&ScanOptions {
            credentials: Vec::new(),
            allow_targets: Vec::new(),
            ports: String::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scans(allow: &[&str]) -> (tempfile::TempDir, Arc<Scans>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SharedStore::new(crate::store::Store::open(&dir.path().join("i.db")).unwrap());
        let base = ScanConfig {
            ports: vec![80, 554],
            credentials: vec![Credential::new("admin", "12345")],
            ..ScanConfig::default()
        };
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        let named = vec![("site".to_string(), vec![Credential::new("root", "pass")])];
        let s = Scans::new(base, &allow, named, store, Metrics::new()).unwrap();
        (dir, Arc::new(s))
    }

    fn req(targets: &[&str]) -> ScanRequest {
        ScanRequest {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            ports: None,
            credentials: None,
        }
    }

    #[test]
    fn only_allowed_ranges_are_scanned() {
        let (_d, s) = scans(&["192.168.1.0/24", "10.0.0.5-10.0.0.9"]);
        let (cfg, hosts) = s.plan(&req(&["192.168.1.0/25", "10.0.0.6"])).unwrap();
        assert_eq!(hosts, 126 + 1);
        assert_eq!(cfg.targets, ["192.168.1.0/25", "10.0.0.6"]);
        assert_eq!(cfg.credentials[0].username, "admin");
        for (bad, kind) in [
            ("192.168.2.1", Kind::TargetNotAllowed),
            ("192.168.1.0/23", Kind::TargetNotAllowed),
            ("10.0.0.4-10.0.0.6", Kind::TargetNotAllowed),
            ("0.0.0.0/0", Kind::TargetNotAllowed),
            ("camera.local", Kind::InvalidBody),
            ("10.0.0.300", Kind::InvalidBody),
        ] {
            assert_eq!(s.plan(&req(&[bad])).unwrap_err().kind, kind, "{bad}");
        }
        assert_eq!(s.plan(&req(&[])).unwrap_err().kind, Kind::InvalidBody);
        let many: Vec<&str> = vec!["10.0.0.6"; MAX_TARGETS + 1];
        assert_eq!(s.plan(&req(&many)).unwrap_err().kind, Kind::InvalidBody);
    }

    #[test]
    fn ports_and_credentials_are_chosen_from_the_servers() {
        let (_d, s) = scans(&["10.0.0.0/8"]);
        let mut r = req(&["10.0.0.1"]);
        r.ports = Some("8554,rtsp".into());
        assert_eq!(s.plan(&r).unwrap_err().kind, Kind::InvalidBody);
        r.ports = Some("8554,80".into());
        r.credentials = Some("site".into());
        let (cfg, _) = s.plan(&r).unwrap();
        assert_eq!(cfg.ports, [8554, 80]);
        assert_eq!(cfg.credentials[0].username, "root");
        r.credentials = Some(NO_CREDENTIALS.into());
        assert!(s.plan(&r).unwrap().0.credentials.is_empty());
        r.credentials = Some("../etc/passwd".into());
        assert_eq!(s.plan(&r).unwrap_err().kind, Kind::InvalidBody);
        let o = s.options();
        assert_eq!(o.credentials, ["none", "default", "site"]);
        assert_eq!(o.allow_targets, ["10.0.0.0/8"]);
        assert_eq!(o.ports, "80,554");
        // The body's fields are the ones documented, no others.
        assert!(serde_json::from_str::<ScanRequest>(r#"{"targets":["10.0.0.1"],"x":1}"#).is_err());
    }

    #[test]
    fn host_names_are_no_allow_list() {
        let dir = tempfile::tempdir().unwrap();
        let store = SharedStore::new(crate::store::Store::open(&dir.path().join("i.db")).unwrap());
        let e = Scans::new(
            ScanConfig::default(),
            &["nvr.example".into()],
            Vec::new(),
            store,
            Metrics::new(),
        )
        .err()
        .unwrap();
        assert!(e.contains("not host names"), "{e}");
    }

    /// One at a time, and not again within MIN_GAP. The scan itself is of a loopback address
    /// with no port open (127.0.0.250 is used by no test server).
    #[tokio::test]
    async fn one_scan_at_a_time_and_not_too_often() {
        let (_d, s) = scans(&["127.0.0.250"]);
        let held = s.gate.clone().lock_owned().await;
        let e = s.start(&req(&["127.0.0.250"])).unwrap_err();
        assert_eq!(e.kind, Kind::ScanRunning);
        assert!(e.detail.contains("watcher"), "{}", e.detail);
        drop(held);
        let mut updates = s.subscribe();
        let job = s.start(&req(&["127.0.0.250"])).unwrap();
        assert_eq!(
            (job.id, job.state, job.hosts_total),
            (1, JobState::Running, 1)
        );
        let again = s.start(&req(&["127.0.0.250"])).unwrap_err();
        assert!(matches!(again.kind, Kind::ScanRunning | Kind::RateLimited));
        // Its end is published, with the store's scan id.
        let end = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                updates.changed().await.unwrap();
                let j = updates.borrow_and_update().clone().unwrap();
                if j.state != JobState::Running {
                    return j;
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(end.state, JobState::Done, "{end:?}");
        assert!(end.scan_id.is_some() && end.finished_at.is_some());
        assert_eq!(s.job(1).unwrap(), end);
        let e = s.start(&req(&["127.0.0.250"])).unwrap_err();
        assert_eq!(e.kind, Kind::RateLimited);
    }
}
