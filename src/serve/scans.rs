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
use crate::metrics::Metrics;
use crate::probe::ProbeStats;
use crate::record::ScanJob;
use crate::scan::ScanConfig;
use crate::scan::rules::{Refusal, ScanRules};
use credentials::Credential;
use model::sync::lock;
use store::{QueueRefusal, SharedStore};

/// A new API scan starts at most this often. 10 s: a page's button pressed twice, or a script
/// in a loop, does not become a scan storm; a person waits for a scan's end anyway.
pub const MIN_GAP: Duration = Duration::from_secs(10);
/// How often a running job's progress is published. 250 ms: a smooth bar for a few events a
/// second.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Jobs remembered (the newest; older ones are forgotten, their scans stay in the store).
pub const JOBS_KEPT: usize = 32;
pub use crate::scan::rules::{DEFAULT_CREDENTIALS, MAX_TARGETS, NO_CREDENTIALS};

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
    /// The fleet's site to scan at: at a hub, a site other than the server's own is queued for
    /// that site's agent (`store::requests`), which holds it to its own rules.
    #[serde(default)]
    pub site: Option<String>,
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
    /// The set a scan asked without one runs with: `default` (the server's `--credentials`)
    /// when it has one, else `none`; the page's form starts on it.
    pub default_credentials: String,
    /// The ranges scans may target.
    pub allow_targets: Vec<String>,
    /// The server's port list, as `--ports` writes it.
    pub ports: String,
    /// The server's own site: scans asked for another are queued for that site's agent.
    pub site: String,
}

/// The server's side of API scans: its rules, the jobs, the gate shared with the watcher.
pub struct Scans {
    rules: ScanRules,
    /// The server's scan as its command resolved it: how an API scan is recorded (its site, the
    /// format options), its plan replaced by the request's.
    job: ScanJob,
    /// The server's own site: a request for another is queued for that site's agent.
    site: String,
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
        base: ScanJob,
        allow: &[String],
        named: Vec<(String, Vec<Credential>)>,
        store: SharedStore,
        metrics: Metrics,
    ) -> Result<Scans, String> {
        let site = base.site.clone();
        let rules = ScanRules::new(
            base.scan.clone(),
            allow,
            ("this server", "--allow-targets"),
            named,
        )?;
        Ok(Scans {
            rules,
            job: base,
            site,
            store,
            metrics,
            gate: Arc::new(tokio::sync::Mutex::new(())),
            book: Mutex::new(Book::default()),
            updates: watch::channel(None).0,
        })
    }

    /// The rules API scans are held to (the fleet's agent inside serve holds the hub's to them).
    pub fn rules(&self) -> &ScanRules {
        &self.rules
    }

    /// Job updates, newest first; the event stream sends each as `event: scan`.
    pub fn subscribe(&self) -> watch::Receiver<Option<Job>> {
        self.updates.subscribe()
    }

    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            credentials: self.rules.credential_names(),
            default_credentials: self.rules.default_credentials().to_string(),
            allow_targets: self.rules.allowed(),
            ports: self.rules.ports(),
            site: self.site.clone(),
        }
    }

    /// Every configured credential (each set's, in order), for the snapshot proxy.
    pub fn all_credentials(&self) -> Vec<Credential> {
        self.rules.all_credentials()
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
        self.rules
            .plan(
                &req.targets,
                req.ports.as_deref(),
                req.credentials.as_deref(),
            )
            .map_err(|r| match r {
                Refusal::Invalid(d) => refuse(Kind::InvalidBody, d),
                Refusal::NotAllowed(d) => refuse(Kind::TargetNotAllowed, d),
            })
    }

    /// A scan the hub queues for this server's site (`serve --hub`: the fleet's agent runs it,
    /// held to [`Scans::rules`]), one at a time with API scans and the watcher's rounds.
    pub fn turn(self: &Arc<Self>) -> crate::record::round::Turn {
        let this = self.clone();
        Arc::new(move |scan, progress| {
            let this = this.clone();
            Box::pin(async move {
                let held = this.gate.lock().await;
                let job = this.job_of(scan);
                let r =
                    crate::record::round::scan_round(&job, &this.store, &this.metrics, progress)
                        .await;
                drop(held);
                r
            })
        })
    }

    /// A scan of the rules' planning, recorded as this server's scans are (its site).
    fn job_of(&self, scan: ScanConfig) -> ScanJob {
        ScanJob {
            scan,
            ..self.job.clone()
        }
    }

    /// Whether `req` is for another site than this server's (then it is queued at the hub).
    pub fn is_for_another_site(&self, req: &ScanRequest) -> bool {
        req.site.as_deref().is_some_and(|s| s != self.site)
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
        let job = self.job_of(cfg);
        let scan = crate::record::round::scan_round(
            &job,
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

/// `POST /api/v1/scans`: run here, or, for another site than the server's, queued for that
/// site's agent.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match request(&state, &headers, &body) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let Some(scans) = state.scans.as_ref() else {
        return refuse(Kind::TargetNotAllowed, "no scans here").into_response();
    };
    if scans.is_for_another_site(&req) {
        return queue(&state, req)
            .await
            .unwrap_or_else(|p| p.into_response());
    }
    match scans.start(&req) {
        Ok(job) => accepted(&job, &format!("/api/v1/scans/jobs/{}", job.id)),
        Err(p) => p.into_response(),
    }
}

/// 202 with the job and its `Location`.
fn accepted<T: Serialize>(job: &T, location: &str) -> Response {
    let mut resp = (StatusCode::ACCEPTED, json(job)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// The request's body, when the server takes scans and it is one.
fn request(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<ScanRequest, Problem> {
    if state.scans.is_none() {
        return Err(refuse(
            Kind::TargetNotAllowed,
            "this server was started without a scan configuration",
        ));
    }
    if !super::params::is_json(headers) {
        return Err(refuse(
            Kind::UnsupportedMediaType,
            "send the scan as JSON (Content-Type: application/json)",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        refuse(
            Kind::InvalidBody,
            format!(
                "the body is not a scan request ({}): {{\"targets\": [\"192.168.1.0/24\"], \"ports\": \"80,554\", \"credentials\": \"default\", \"site\": \"north\"}}",
                sanitize::terminal(&e.to_string())
            ),
        )
    })
}

/// A scan for another site, queued at this hub for the site's agent (which holds it to the
/// site's own rules: its targets, its credential sets). 202 with the request; 404 for a site no
/// agent has reached this hub for; 429 when the site has `MAX_QUEUED` waiting.
async fn queue(state: &AppState, req: ScanRequest) -> Result<Response, Problem> {
    crate::scan::rules::well_formed(&req.targets, req.ports.as_deref())
        .map_err(|r| refuse(Kind::InvalidBody, r.to_string()))?;
    let site = req.site.clone().unwrap_or_default();
    let queued = {
        let site = site.clone();
        state
            .store
            .run(move |s| {
                s.queue_scan(
                    &site,
                    &req.targets,
                    req.ports.as_deref(),
                    req.credentials.as_deref(),
                )
            })
            .await?
    };
    let shown = sanitize::terminal(&site);
    match queued {
        Ok(r) => {
            tracing::info!(request = r.id, site = %shown, targets = ?r.targets,
                "serve: a scan queued for a site's agent");
            Ok(accepted(&r, &format!("/api/v1/scans/requests/{}", r.id)))
        }
        Err(QueueRefusal::UnknownSite { known }) => Err(Problem::not_found(format!(
            "no agent of site {shown:?} has reached this inventory, so none would run the scan \
             (sites with an agent: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))),
        Err(QueueRefusal::Full) => Err(refuse(
            Kind::RateLimited,
            format!(
                "{} scans wait for site {shown:?}'s agent already; try again when it has taken one",
                store::requests::MAX_QUEUED
            ),
        )
        .retry_after(MIN_GAP)),
    }
}

/// `GET /api/v1/scans/requests?site=`: scans queued at this hub for sites' agents, newest first
/// (the newest 200 of each site are kept).
pub async fn requests(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let listed = async {
        let p = Params::parse(query.as_deref(), &["site"])?;
        let site = p.get("site").map(str::to_string);
        let items = state
            .store
            .run(move |s| s.scan_requests(site.as_deref(), 100))
            .await?;
        Ok::<_, Problem>(json(&serde_json::json!({ "items": items })))
    };
    listed.await.unwrap_or_else(|p| p.into_response())
}

/// `GET /api/v1/scans/requests/{id}`.
pub async fn request_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let found = async {
        Params::parse(query.as_deref(), &[])?;
        let missing =
            || Problem::not_found(format!("no queued scan {:?}", sanitize::terminal(&id)));
        let n: i64 = id.parse().map_err(|_| missing())?;
        let r = state.store.run(move |s| s.scan_request(n)).await?;
        r.map(|r| json(&r)).ok_or_else(missing)
    };
    found.await.unwrap_or_else(|p| p.into_response())
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
                    sanitize::terminal(&id)
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
            default_credentials: crate::scan::rules::NO_CREDENTIALS.to_string(),
            allow_targets: Vec::new(),
            ports: String::new(),
            site: String::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scans(allow: &[&str]) -> (tempfile::TempDir, Arc<Scans>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SharedStore::new(store::Store::open(&dir.path().join("i.db")).unwrap());
        let base = ScanJob {
            scan: ScanConfig {
                ports: vec![80, 554],
                credentials: vec![Credential::new("admin", "12345")],
                ..ScanConfig::default()
            },
            ..ScanJob::default()
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
            site: None,
        }
    }

    /// The rules themselves are scan::rules' (tested there); the server maps their refusals to
    /// its problems.
    #[test]
    fn refusals_are_the_apis_problems() {
        let (_d, s) = scans(&["192.168.1.0/24"]);
        assert_eq!(
            s.plan(&req(&["192.168.2.1"])).unwrap_err().kind,
            Kind::TargetNotAllowed
        );
        assert_eq!(
            s.plan(&req(&["camera.local"])).unwrap_err().kind,
            Kind::InvalidBody
        );
        let o = s.options();
        assert_eq!(o.credentials, ["none", "default", "site"]);
        assert_eq!(
            o.default_credentials, "default",
            "the server's own --credentials"
        );
        assert_eq!(o.ports, "80,554");
        // The body's fields are the ones documented, no others.
        assert!(serde_json::from_str::<ScanRequest>(r#"{"targets":["10.0.0.1"],"x":1}"#).is_err());
        let mut r = req(&["10.0.0.1"]);
        assert!(!s.is_for_another_site(&r));
        r.site = Some(s.site.clone());
        assert!(!s.is_for_another_site(&r));
        r.site = Some("elsewhere".into());
        assert!(s.is_for_another_site(&r));
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
