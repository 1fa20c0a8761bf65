//! The fleet's site agent: this site's inventory copied to the hub's (`--hub URL`), over a link
//! that fails now and then.
//!
//! The site's own inventory stays its truth and its spool: scans and checks are recorded there
//! first, whatever the hub's state. The agent connects out to the hub (the hub never reaches into
//! a site), asks where the hub stands for this site (the hub keeps the cursor, moved in the same
//! transaction that applies a batch: an agent killed between the two resends a batch the hub then
//! ignores), and sends batches of scans (with what each saw of each device, for `diff`), devices,
//! events and stream checks in site order until it has caught up (`store::replication`). While the hub is away it retries with a doubling delay (1 s to
//! [`MAX_BACKOFF`]), logging once when the hub goes and once when it is back; nothing waits on it.
//! Every statement to the hub has the store's deadline (60 s) and connecting has the URL's
//! `connect_timeout` (10 s by default).
//!
//! Scans asked for at the hub for this site (`store::requests`) are claimed by the agent when
//! its host can run them ([`Executor`]: watch's rounds, serve's API scans), held to the site's
//! own rules (its targets, its credential sets: a request outside them is refused, with the
//! reason, at the hub), run one at a time with the host's other scans, their progress written to
//! the hub every [`PROGRESS_EVERY`] and their end after the scan itself has been sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::probe::ProbeStats;
use crate::record::CommandError;
use crate::scan::ScanConfig;
use crate::scan::rules::ScanRules;
pub use store::HubConfig;
use store::InventoryAt;
use store::{
    ClaimedScan, HubCursor, Marks, ReplicaBatch, RequestEnd, SharedStore, Store, StoreError,
};

/// The longest wait between two attempts while the hub is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How often a caught-up agent looks again without being woken (new events wake it at once),
/// tells the hub it is alive, and asks it for a queued scan: a scan asked for at the hub starts
/// within this.
pub const IDLE_PUSH: Duration = Duration::from_secs(5);

/// How often a running requested scan's progress is written to the hub.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// How long a stopping agent waits for a requested scan to end (the host's stop interrupts it).
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// What a requested scan recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    /// The site's scan id.
    pub scan_id: i64,
    pub devices: u64,
    pub interrupted: bool,
}

/// Runs one scan on the host, recorded in the site's inventory, with the host's gate held, its
/// progress counted into the given figures.
pub type RunScan = Arc<
    dyn Fn(ScanConfig, Arc<ProbeStats>) -> Pin<Box<dyn Future<Output = Result<Ran, String>> + Send>>
        + Send
        + Sync,
>;

/// How this site's agent runs scans asked for at the hub: the site's rules and its host's scan.
#[derive(Clone)]
pub struct Executor {
    pub rules: Arc<ScanRules>,
    pub run: RunScan,
}

/// Scans and events per batch (one hub transaction each); as many stream checks as events.
pub const BATCH_SCANS: usize = 20;
pub const BATCH_EVENTS: usize = 500;

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    pub batches: usize,
    pub scans: usize,
    pub events: usize,
    pub devices: usize,
    pub checks: usize,
    /// Where the hub stands now.
    pub cursor: HubCursor,
}

/// Who is sending: this camscan and host, for the hub's `sites.agent`.
pub fn agent_name() -> String {
    format!(
        "camscan {} on {}",
        env!("CARGO_PKG_VERSION"),
        crate::record::default_site()
    )
}

/// Open the hub's inventory (migrating it).
pub fn open_hub(hub: &HubConfig) -> Result<Store, CommandError> {
    match &hub.at {
        InventoryAt::Postgres(url) => Ok(Store::open_hub(&crate::record::pg_target(
            url,
            hub.password_file.as_deref(),
            &hub.env,
        )?)?),
        InventoryAt::File(_) => {
            crate::record::open_db(&hub.at, hub.password_file.as_deref(), None, &hub.env)
        }
    }
}

/// A site's own inventory as the agent reads it: each call locks it for that call only, never
/// while the hub is waited on.
pub trait SiteInventory {
    /// Its id ([`Store::inventory_id`]).
    fn inventory_id(&self) -> Result<String, StoreError>;
    /// Where the hub stood after the last batch this inventory saw it take ([`Store::hub_told`]).
    fn told(&self, site: &str) -> Result<HubCursor, StoreError>;
    /// What this inventory's rows at `at` look like ([`Store::replica_marks`]).
    fn marks(&self, at: HubCursor) -> Result<Marks, StoreError>;
    /// The newest ids it holds of `site` ([`Store::replica_newest`]).
    fn newest(&self, site: &str) -> Result<HubCursor, StoreError>;
    /// The next batch after `cursor`.
    fn batch(&self, site: &str, cursor: HubCursor) -> Result<ReplicaBatch, StoreError>;
    /// The hub took a batch: it stands at `at`.
    fn sent(&self, site: &str, at: HubCursor) -> Result<(), StoreError>;
}

impl SiteInventory for Store {
    fn inventory_id(&self) -> Result<String, StoreError> {
        Store::inventory_id(self)
    }
    fn told(&self, site: &str) -> Result<HubCursor, StoreError> {
        self.hub_told(site)
    }
    fn marks(&self, at: HubCursor) -> Result<Marks, StoreError> {
        self.replica_marks(None, at)
    }
    fn newest(&self, site: &str) -> Result<HubCursor, StoreError> {
        self.replica_newest(site)
    }
    fn batch(&self, site: &str, cursor: HubCursor) -> Result<ReplicaBatch, StoreError> {
        self.replica_batch(site, cursor, BATCH_SCANS, BATCH_EVENTS)
    }
    fn sent(&self, site: &str, at: HubCursor) -> Result<(), StoreError> {
        self.remember_hub(site, at)
    }
}

impl SiteInventory for SharedStore {
    fn inventory_id(&self) -> Result<String, StoreError> {
        self.lock().inventory_id()
    }
    fn told(&self, site: &str) -> Result<HubCursor, StoreError> {
        self.lock().hub_told(site)
    }
    fn marks(&self, at: HubCursor) -> Result<Marks, StoreError> {
        self.lock().replica_marks(None, at)
    }
    fn newest(&self, site: &str) -> Result<HubCursor, StoreError> {
        self.lock().replica_newest(site)
    }
    fn batch(&self, site: &str, cursor: HubCursor) -> Result<ReplicaBatch, StoreError> {
        self.lock()
            .replica_batch(site, cursor, BATCH_SCANS, BATCH_EVENTS)
    }
    fn sent(&self, site: &str, at: HubCursor) -> Result<(), StoreError> {
        self.lock().remember_hub(site, at)
    }
}

/// Send everything the hub lacks of `site` to `hub`, batch by batch (blocking). The agent first
/// says who it is (the hub refuses another inventory than the one the site's name is bound to,
/// or a login of another site), and a hub holding more of the site than this inventory ever had
/// (an inventory restored from an older copy: its next rows would take ids the hub has, and be
/// skipped) is refused here: both [`StoreError::SiteRefused`], which sending again cannot mend.
pub fn push(local: &dyn SiteInventory, hub: &mut Store, site: &str) -> Result<Pushed, StoreError> {
    let agent = agent_name();
    let inventory = local.inventory_id()?;
    let cursor = hub.hub_hello(site, &inventory)?;
    // The hub beyond what this inventory saw it take: an agent killed after the hub's commit
    // (the rows are this inventory's), or an inventory older than what it sent (restored from a
    // backup: its new rows took ids the hub has, and would be skipped). The rows tell which.
    let told = local.told(site)?;
    if cursor.last_event > told.last_event
        || cursor.last_scan > told.last_scan
        || cursor.last_check > told.last_check
    {
        let (mine, theirs) = (local.marks(cursor)?, hub.replica_marks(Some(site), cursor)?);
        let newest = local.newest(site)?;
        // Whether the site's row with the hub's newest id is not the hub's: another row with
        // that id, or none where this inventory never reached that id (an older copy). A row the
        // hub pruned since, or one this inventory had and pruned, proves nothing.
        let other = |m: &Option<String>, t: &Option<String>, ours: i64, at: i64| match (m, t) {
            (_, None) => false,
            (Some(m), Some(t)) => m != t,
            (None, Some(_)) => ours < at,
        };
        if (cursor.last_event > told.last_event
            && other(
                &mine.event,
                &theirs.event,
                newest.last_event,
                cursor.last_event,
            ))
            || (cursor.last_scan > told.last_scan
                && other(&mine.scan, &theirs.scan, newest.last_scan, cursor.last_scan))
            || (cursor.last_check > told.last_check
                && other(
                    &mine.check,
                    &theirs.check,
                    newest.last_check,
                    cursor.last_check,
                ))
        {
            return Err(StoreError::SiteRefused {
                path: hub.path().to_path_buf(),
                detail: ahead(site, &inventory, cursor, told),
            });
        }
        local.sent(site, cursor)?;
    }
    let mut done = Pushed {
        cursor,
        ..Pushed::default()
    };
    loop {
        let batch = local.batch(site, done.cursor)?;
        if batch.is_empty() {
            hub.touch_site(site, &agent)?;
            return Ok(done);
        }
        let after = hub.apply_replica(&batch, &agent)?;
        // Remembered for the check above (an agent killed before this line is recognised by its
        // rows).
        local.sent(site, after)?;
        done.batches += 1;
        done.scans += batch.scans.len();
        done.events += batch.events.len();
        done.devices += batch.devices.len();
        done.checks += batch.checks.len();
        // Nothing moved: a running scan at the head, sent again until its end.
        if after == done.cursor {
            return Ok(done);
        }
        done.cursor = after;
    }
}

/// Why a hub ahead of this inventory is refused: the figures and the fix.
fn ahead(site: &str, inventory: &str, hub: HubCursor, told: HubCursor) -> String {
    format!(
        "the hub holds site \"{site}\" up to event {}, scan {} and check {}, but this inventory \
         ({inventory}) sent no more than event {}, scan {} and check {}, and its rows with those \
         ids are others: it is an older copy (restored from a backup?), whose new rows took ids \
         the hub already has and would be skipped. Run \
         `camscan hub forget-site {site}` with the hub owner's login (the hub then takes this \
         inventory from the start), or give this agent a new site name",
        hub.last_event,
        hub.last_scan,
        hub.last_check,
        told.last_event,
        told.last_scan,
        told.last_check
    )
}

/// What the agent has to tell the hub beside the push: a requested scan's end, or its progress;
/// else whether it may claim one.
#[derive(Debug, Clone, Default)]
struct HubWork {
    finish: Option<(i64, RequestEnd)>,
    progress: Option<(i64, (u64, u64, u64))>,
    claim: bool,
}

/// What the hub answered to [`HubWork`].
#[derive(Debug, Default)]
struct HubAnswer {
    finished: bool,
    claimed: Option<ClaimedScan>,
}

/// A requested scan running on the host.
struct Asked {
    id: i64,
    stats: Arc<ProbeStats>,
    task: tokio::task::JoinHandle<RequestEnd>,
}

impl Asked {
    fn progress(&self) -> (u64, u64, u64) {
        (
            ProbeStats::get(&self.stats.total),
            ProbeStats::get(&self.stats.done),
            ProbeStats::get(&self.stats.devices),
        )
    }
}

/// The agent: push whenever woken (new events) and every [`IDLE_PUSH`], until `stop`; retry
/// with backoff while the hub is away; with an `executor`, run the scans the hub queues for this
/// site. The hub connection is opened on first use and again after it failed.
///
/// A hub that refuses this site ([`StoreError::SiteRefused`]: another inventory holds its name,
/// the hub is ahead of this inventory, the login is another site's) ends the agent: it logs the
/// reason once and calls `refused` with it, which stops the host (exit [`HUB_REFUSED`]).
///
/// [`HUB_REFUSED`]: error::exit::HUB_REFUSED
pub async fn run(
    local: SharedStore,
    hub: HubConfig,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    executor: Option<Executor>,
    refused: OnRefused,
) {
    let mut conn: Option<Store> = None;
    let mut backoff = Duration::from_secs(1);
    let mut down_since: Option<std::time::Instant> = None;
    let mut asked: Option<Asked> = None;
    let mut ended: Option<(i64, RequestEnd)> = None;
    while !*stop.borrow() {
        let work = HubWork {
            finish: ended.clone(),
            progress: asked.as_ref().map(|a| (a.id, a.progress())),
            claim: executor.is_some() && asked.is_none() && ended.is_none(),
        };
        let attempt = attempt(&local, &hub, conn.take(), work).await;
        let wait = match attempt {
            Ok((store, pushed, answer)) => {
                conn = Some(store);
                backoff = Duration::from_secs(1);
                if let Some(since) = down_since.take() {
                    tracing::info!(
                        hub = %hub_display(&hub),
                        after_s = since.elapsed().as_secs(),
                        "hub reachable again"
                    );
                }
                if pushed.batches > 0 {
                    tracing::info!(
                        hub = %hub_display(&hub),
                        site = %hub.site,
                        scans = pushed.scans,
                        devices = pushed.devices,
                        events = pushed.events,
                        checks = pushed.checks,
                        "sent to the hub"
                    );
                }
                if answer.finished {
                    ended = None;
                }
                if let (Some(c), Some(ex)) = (answer.claimed, &executor) {
                    match start(ex, c) {
                        Ok(a) => asked = Some(a),
                        Err(refused) => ended = Some(refused),
                    }
                }
                if ended.is_some() {
                    Duration::ZERO
                } else if asked.is_some() {
                    PROGRESS_EVERY
                } else {
                    IDLE_PUSH
                }
            }
            Err(Failure::Refused(why)) => {
                tracing::error!(hub = %hub_display(&hub), site = %hub.site, "the hub refused this site: {why}");
                refused(why);
                // A requested scan still running ends with the host.
                if let Some(a) = asked.take() {
                    a.task.abort();
                }
                return;
            }
            Err(Failure::Other(e)) => {
                if down_since.is_none() {
                    tracing::warn!(
                        hub = %hub_display(&hub),
                        "hub unreachable, keeping this site's results here and retrying: {e}"
                    );
                    down_since = Some(std::time::Instant::now());
                } else {
                    tracing::debug!(hub = %hub_display(&hub), "hub still unreachable: {e}");
                }
                let w = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                w
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified(), if down_since.is_none() => {}
            _ = stop.changed() => {}
            end = scan_end(&mut asked), if asked.is_some() => {
                let id = asked.take().map(|a| a.id).unwrap_or_default();
                let end = end.unwrap_or_else(|e| RequestEnd::Failed(format!("the scan failed: {e}")));
                ended = Some((id, end));
            }
        }
    }
    stopping(
        &local,
        &hub,
        conn,
        asked,
        ended,
        down_since.is_some(),
        &refused,
    )
    .await;
}

/// The agent stops: a requested scan ends (the host's stop interrupts it) or is given up, and
/// what the last round recorded goes to the hub when it is there (or a scan's end must be told).
async fn stopping(
    local: &SharedStore,
    hub: &HubConfig,
    conn: Option<Store>,
    asked: Option<Asked>,
    mut ended: Option<(i64, RequestEnd)>,
    hub_down: bool,
    refused: &OnRefused,
) {
    if let Some(a) = asked {
        let id = a.id;
        let mut task = a.task;
        let end = match tokio::time::timeout(STOP_WAIT, &mut task).await {
            Ok(Ok(end)) => end,
            _ => {
                task.abort();
                RequestEnd::Failed("the site's agent stopped during the scan".into())
            }
        };
        ended = Some((id, end));
    }
    if !hub_down || ended.is_some() {
        let work = HubWork {
            finish: ended,
            ..HubWork::default()
        };
        match attempt(local, hub, conn, work).await {
            Ok((_, p, _)) if p.batches > 0 => tracing::info!(
                hub = %hub_display(hub),
                events = p.events,
                "sent to the hub before stopping"
            ),
            Ok(_) => {}
            Err(Failure::Refused(why)) => {
                tracing::error!(hub = %hub_display(hub), site = %hub.site, "the hub refused this site: {why}");
                refused(why);
            }
            Err(Failure::Other(e)) => tracing::warn!(
                hub = %hub_display(hub),
                "not sent to the hub before stopping ({e}); the next agent run sends it"
            ),
        }
    }
}

/// The requested scan's end (never, when none runs).
async fn scan_end(asked: &mut Option<Asked>) -> Result<RequestEnd, tokio::task::JoinError> {
    match asked {
        Some(a) => (&mut a.task).await,
        None => std::future::pending().await,
    }
}

/// Start a claimed scan on the host, or the refusal to send back.
fn start(ex: &Executor, c: ClaimedScan) -> Result<Asked, (i64, RequestEnd)> {
    let (cfg, _hosts) = ex
        .rules
        .plan(&c.targets, c.ports.as_deref(), c.credentials.as_deref())
        .map_err(|r| {
            tracing::warn!(request = c.id, "a scan asked for at the hub, refused: {r}");
            (c.id, RequestEnd::Refused(r.to_string()))
        })?;
    tracing::info!(request = c.id, targets = ?c.targets, "a scan asked for at the hub: scanning");
    let stats = Arc::new(ProbeStats::default());
    let run = (ex.run)(cfg, stats.clone());
    let task = tokio::spawn(async move {
        match run.await {
            Ok(r) => RequestEnd::Recorded {
                scan: r.scan_id,
                devices: r.devices,
                interrupted: r.interrupted,
            },
            Err(e) => RequestEnd::Failed(e),
        }
    });
    Ok(Asked {
        id: c.id,
        stats,
        task,
    })
}

/// One push on the blocking pool, then `work`: the hub connection (`conn`, else opened now) comes
/// back with what was sent and what the hub answered.
async fn attempt(
    local: &SharedStore,
    hub: &HubConfig,
    conn: Option<Store>,
    work: HubWork,
) -> Result<(Store, Pushed, HubAnswer), Failure> {
    let (l, h) = (local.clone(), hub.clone());
    tokio::task::spawn_blocking(move || {
        let mut hub_store = match conn {
            Some(s) => s,
            None => open_hub(&h).map_err(|e| Failure::Other(e.to_string()))?,
        };
        let e = Failure::from;
        let pushed = push(&l, &mut hub_store, &h.site).map_err(e)?;
        let agent = agent_name();
        let mut answer = HubAnswer::default();
        if let Some((id, end)) = &work.finish {
            hub_store.finish_scan(*id, &agent, end).map_err(e)?;
            answer.finished = true;
        } else if let Some((id, p)) = work.progress {
            if !hub_store.scan_progress(id, &agent, p).map_err(e)? {
                tracing::debug!(request = id, "the request is no longer this agent's");
            }
        } else if work.claim {
            answer.claimed = hub_store.claim_scan(&h.site, &agent).map_err(e)?;
        }
        Ok::<_, Failure>((hub_store, pushed, answer))
    })
    .await
    .unwrap_or_else(|e| Err(Failure::Other(format!("the push failed: {e}"))))
}

/// Why an attempt failed: the hub refused this site for good, or anything else (tried again).
#[derive(Debug)]
enum Failure {
    Refused(String),
    Other(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::SiteRefused { detail, .. } => Failure::Refused(detail),
            other => Failure::Other(other.to_string()),
        }
    }
}

/// What the host does when the hub refuses this site: stop, and exit with the reason.
pub type OnRefused = Arc<dyn Fn(String) + Send + Sync>;

/// The hub as logs name it (never a password).
pub fn hub_display(hub: &HubConfig) -> String {
    match &hub.at {
        InventoryAt::Postgres(url) => store::db::location::redact_url(url),
        InventoryAt::File(path) => path.display().to_string(),
    }
}
