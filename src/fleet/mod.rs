//! The fleet's site agent: this site's inventory copied to the hub's (`--hub URL`), over a link
//! that fails now and then.
//!
//! The site's own inventory stays its truth and its spool: scans and checks are recorded there
//! first, whatever the hub's state. The agent connects out to the hub (the hub never reaches into
//! a site), asks where the hub stands for this site (the hub keeps the cursor, moved in the same
//! transaction that applies a batch: an agent killed between the two resends a batch the hub then
//! ignores), and sends batches of scans, devices and events in site order until it has caught up
//! (`store::replica`). While the hub is away it retries with a doubling delay (1 s to
//! [`MAX_BACKOFF`]), logging once when the hub goes and once when it is back; nothing waits on it.
//! Every statement to the hub has the store's deadline (60 s) and connecting has the URL's
//! `connect_timeout` (10 s by default).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

pub use crate::config::HubConfig;
use crate::record::CommandError;
use crate::store::{HubCursor, SharedStore, Store, StoreError};

/// The longest wait between two attempts while the hub is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How often a caught-up agent looks again without being woken (new events wake it at once), and
/// tells the hub it is alive.
pub const IDLE_PUSH: Duration = Duration::from_secs(15);

/// Scans and events per batch (one hub transaction each).
pub const BATCH_SCANS: usize = 20;
pub const BATCH_EVENTS: usize = 500;

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    pub batches: usize,
    pub scans: usize,
    pub events: usize,
    pub devices: usize,
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
    crate::record::open_db(&hub.at, hub.password_file.as_deref())
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
        done.cursor = hub.apply_replica(&batch, &agent)?;
        done.batches += 1;
        done.scans += batch.scans.len();
        done.events += batch.events.len();
        done.devices += batch.devices.len();
    }
}

/// The agent: push whenever woken (new events) and every [`IDLE_PUSH`], until `stop`; retry
/// with backoff while the hub is away. The hub connection is opened on first use and again after
/// it failed.
pub async fn run(
    local: SharedStore,
    hub: HubConfig,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conn: Option<Store> = None;
    let mut backoff = Duration::from_secs(1);
    let mut down_since: Option<std::time::Instant> = None;
    while !*stop.borrow() {
        let attempt = attempt(&local, &hub, conn.take()).await;
        let wait = match attempt {
            Ok((store, pushed)) => {
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
                        "sent to the hub"
                    );
                }
                IDLE_PUSH
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
        }
    }
    // Stopping: what the last round recorded goes now, when the hub is there.
    if down_since.is_none() {
        match attempt(&local, &hub, conn.take()).await {
            Ok((_, p)) if p.batches > 0 => tracing::info!(
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

/// One push on the blocking pool: the hub connection (`conn`, else opened now) comes back with
/// what was sent.
async fn attempt(
    local: &SharedStore,
    hub: &HubConfig,
    conn: Option<Store>,
) -> Result<(Store, Pushed), String> {
    let (l, h) = (local.clone(), hub.clone());
    tokio::task::spawn_blocking(move || {
        let mut hub_store = match conn {
            Some(s) => s,
            None => open_hub(&h).map_err(|e| e.to_string())?,
        };
        let site = h.site.clone();
        let read = |c: HubCursor| l.lock().replica_batch(&site, c, BATCH_SCANS, BATCH_EVENTS);
        let pushed = push(&read, &mut hub_store, &h.site).map_err(|e| e.to_string())?;
        Ok::<_, String>((hub_store, pushed))
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
