//! The fleet's site agent: this site's inventory copied to the hub's (`--hub URL`), over a link
//! that fails now and then.
//!
//! The site's own inventory stays its truth and its spool: scans and checks are recorded there
//! first, whatever the hub's state. The agent connects out to the hub (the hub never reaches into
//! a site), asks where the hub stands for this site (the hub keeps the cursor, moved in the same
//! transaction that applies a batch: an agent killed between the two resends a batch the hub then
//! ignores), and sends batches of scans (with what each saw of each device, for `diff`), devices,
//! events and stream checks in site order until it has caught up (`store::replica`). While the hub is away it retries with a doubling delay (1 s to
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

pub use crate::config::HubConfig;
use crate::config::ScanConfig;
use crate::probe::ProbeStats;
use crate::record::CommandError;
use crate::scan::rules::ScanRules;
use crate::store::{ClaimedScan, HubCursor, RequestEnd, SharedStore, Store, StoreError};

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
        crate::config::default_site()
    )
}

/// Open the hub's inventory (migrating it).
pub fn open_hub(hub: &HubConfig) -> Result<Store, CommandError> {
    crate::record::open_db(&hub.at, hub.password_file.as_deref(), None)
}

/// Send everything the hub lacks of `site` to `hub`, batch by batch (blocking); `batch` reads
/// the site's next batch after a cursor (from its own inventory, which is locked only while a
/// batch is read, never while the hub is waited on).
pub fn push(
    batch: &dyn Fn(HubCursor) -> Result<crate::store::ReplicaBatch, StoreError>,
    hub: &mut Store,
    site: &str,
) -> Result<Pushed, StoreError> {
    let agent = agent_name();
    let mut done = Pushed {
        cursor: hub.hub_cursor(site)?,
        ..Pushed::default()
    };
    loop {
        let batch = batch(done.cursor)?;
        if batch.is_empty() {
            hub.touch_site(site, &agent)?;
            return Ok(done);
        }
        let after = hub.apply_replica(&batch, &agent)?;
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
pub async fn run(
    local: SharedStore,
    hub: HubConfig,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
    executor: Option<Executor>,
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
            Err(e) => {
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
    // Stopping: a requested scan ends (the host's stop interrupts it) or is given up.
    if let Some(a) = asked.take() {
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
    // What the last round recorded goes now, when the hub is there.
    if down_since.is_none() || ended.is_some() {
        let work = HubWork {
            finish: ended,
            ..HubWork::default()
        };
        match attempt(&local, &hub, conn.take(), work).await {
            Ok((_, p, _)) if p.batches > 0 => tracing::info!(
                hub = %hub_display(&hub),
                events = p.events,
                "sent to the hub before stopping"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(
                hub = %hub_display(&hub),
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
) -> Result<(Store, Pushed, HubAnswer), String> {
    let (l, h) = (local.clone(), hub.clone());
    tokio::task::spawn_blocking(move || {
        let mut hub_store = match conn {
            Some(s) => s,
            None => open_hub(&h).map_err(|e| e.to_string())?,
        };
        let site = h.site.clone();
        let read = |c: HubCursor| l.lock().replica_batch(&site, c, BATCH_SCANS, BATCH_EVENTS);
        let e = |e: StoreError| e.to_string();
        let pushed = push(&read, &mut hub_store, &h.site).map_err(e)?;
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
        Ok::<_, String>((hub_store, pushed, answer))
    })
    .await
    .unwrap_or_else(|e| Err(format!("the push failed: {e}")))
}

/// The hub as logs name it (never a password).
pub fn hub_display(hub: &HubConfig) -> String {
    let s = hub.at.to_string_lossy();
    if crate::store::db::location::is_postgres_url(&s) {
        crate::store::db::location::redact_url(&s)
    } else {
        s.into_owned()
    }
}
