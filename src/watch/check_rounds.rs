//! The stream checks of `camscan watch --check-streams`: every known stream once per interval,
//! gently.
//!
//! * One check session per device at a time: a device's streams are checked one after another;
//!   devices side by side, at most [`DEVICES_AT_ONCE`].
//! * Each device on its own cadence, starting at its own offset in the first half of the interval
//!   (from its id), so 200 cameras are not all asked in the same second, and a slow device (a
//!   look-ahead encoder's first packet comes 1.5 s after PLAY) holds up no other.
//! * A host that does not answer is asked nothing more this round (one `device_offline` after
//!   `down_after` rounds, not a `stream_down` per stream).
//! * A refused credential holds its stream until the next scan (the store's rule): no second
//!   failed login.
//! * Paused while a scan runs: the scan's own PLAY checks are on the same cameras then.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retina::client::SessionGroup;
use tokio::sync::{Notify, watch};

use super::WatchConfig;
use super::stream_check::{self, CheckDeadlines};
use crate::metrics::{Metrics, StreamLabels};
use crate::record::ScanJob;
use credentials::Credential;
use store::SharedStore;
use store::{CheckLayer, CheckTarget, EventKind};

/// Devices checked side by side.
pub const DEVICES_AT_ONCE: usize = 32;

/// What the checker works with (reloaded with the configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    pub every: Duration,
    pub down_after: u32,
    pub credentials: Vec<Credential>,
    pub deadlines: CheckDeadlines,
    /// The site whose streams are checked (`--site`): a hub's other sites are not reachable here.
    pub site: String,
}

impl Settings {
    pub fn of(cfg: &ScanJob, w: &WatchConfig) -> Settings {
        Settings {
            every: w.check_every.unwrap_or(Duration::from_secs(30)),
            down_after: w.down_after.max(1),
            credentials: cfg.scan.credentials.clone(),
            site: cfg.site.clone(),
            deadlines: CheckDeadlines {
                connect: cfg.scan.settings.get(&net::CONNECT_TIMEOUT),
                step: cfg.scan.settings.get(&net::TIMEOUT),
            },
        }
    }
}

/// A device's offset in a round of `every`: spread over its first half.
pub fn offset(device_id: i64, every: Duration) -> Duration {
    let half = (every.as_millis() / 2).max(1) as u64;
    // Fibonacci hashing spreads consecutive ids far apart.
    let h = (device_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
    Duration::from_millis(h % half)
}

/// What every device's loop shares.
struct Shared {
    store: SharedStore,
    settings: Arc<Mutex<Settings>>,
    scanning: Arc<AtomicBool>,
    wakes: Arc<Vec<Arc<Notify>>>,
    metrics: Metrics,
    /// Devices being checked at a time ([`DEVICES_AT_ONCE`]).
    slots: tokio::sync::Semaphore,
}

impl Shared {
    fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Check the known streams until `stop`: each device on its own cadence (a slow device, such as a
/// camera whose look-ahead encoder takes 1.5 s to its first packet, does not hold up the
/// others), its stream list refreshed from the inventory every interval (devices a scan added
/// get a loop, devices gone lose theirs).
pub async fn run(
    store: SharedStore,
    settings: Arc<Mutex<Settings>>,
    scanning: Arc<AtomicBool>,
    wakes: Arc<Vec<Arc<Notify>>>,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let shared = Arc::new(Shared {
        store,
        settings,
        scanning,
        wakes,
        metrics,
        slots: tokio::sync::Semaphore::new(DEVICES_AT_ONCE),
    });
    // Dropped with this future (also when it is aborted): every device loop goes with it.
    let mut loops = tokio::task::JoinSet::new();
    let mut devices: HashMap<i64, (tokio::task::AbortHandle, watch::Sender<Vec<CheckTarget>>)> =
        HashMap::new();
    loop {
        let s = shared.settings();
        if !shared.scanning.load(Ordering::Relaxed) {
            let (creds, site) = (s.credentials.clone(), s.site.clone());
            match shared
                .store
                .run(move |st| st.check_targets(Some(&site), &creds))
                .await
            {
                Ok(targets) => {
                    shared
                        .metrics
                        .retain_streams(&targets.iter().map(|t| t.stream_id).collect());
                    let mut by_device: BTreeMap<i64, Vec<CheckTarget>> = BTreeMap::new();
                    for t in targets {
                        by_device.entry(t.device_id).or_default().push(t);
                    }
                    devices.retain(|id, (task, _)| {
                        let keep = by_device.contains_key(id) && !task.is_finished();
                        if !keep {
                            task.abort();
                        }
                        keep
                    });
                    for (id, streams) in by_device {
                        match devices.get(&id) {
                            Some((_, tx)) => {
                                let _ = tx.send(streams);
                            }
                            None => {
                                let (tx, rx) = watch::channel(streams);
                                let task =
                                    loops.spawn(device_loop(id, rx, shared.clone(), stop.clone()));
                                devices.insert(id, (task, tx));
                            }
                        }
                    }
                }
                Err(e) => tracing::error!("stream checks: {e}"),
            }
        }
        // Reap the loops that ended (none do until `stop`; a panic would end one).
        while loops.try_join_next().is_some() {}
        tokio::select! {
            _ = tokio::time::sleep(s.every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// One device's checks, every interval from its offset, until `stop`.
async fn device_loop(
    device_id: i64,
    streams: watch::Receiver<Vec<CheckTarget>>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let first = shared.settings().every;
    tokio::select! {
        _ = tokio::time::sleep(offset(device_id, first)) => {}
        _ = stop.changed() => return,
    }
    loop {
        let s = shared.settings();
        let started = tokio::time::Instant::now();
        let list = streams.borrow().clone();
        {
            let Ok(_slot) = shared.slots.acquire().await else {
                return;
            };
            check_device(list, &s, &shared, &stop).await;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(started + s.every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Check a device's streams once, one after another.
async fn check_device(
    streams: Vec<CheckTarget>,
    s: &Settings,
    shared: &Shared,
    stop: &watch::Receiver<bool>,
) {
    let (store, scanning, wakes, metrics) = (
        &shared.store,
        &shared.scanning,
        &shared.wakes[..],
        &shared.metrics,
    );
    // retina tears a dropped session down in the background: the next check on the device waits
    // for that TEARDOWN (as the scan's session slots do), so the device sees one session at a time.
    let group = Arc::new(SessionGroup::default());
    for t in streams {
        if *stop.borrow() || scanning.load(Ordering::Relaxed) {
            return;
        }
        let result = stream_check::check(&t, s.deadlines, &group).await;
        // A shared-media server (GStreamer) answers TEARDOWN once its media is down, which can
        // take more than a second: wait for it up to a step deadline, not the scan's 1 s.
        let waited = std::time::Instant::now();
        let _ = tokio::time::timeout(s.deadlines.step, group.await_teardown()).await;
        tracing::debug!(url = %t.url, ms = waited.elapsed().as_millis() as u64, "teardown");
        tracing::debug!(url = %t.url, layer = result.layer.as_str(), error = ?result.error, "stream check");
        let (id, down_after, host) = (t.stream_id, s.down_after, result.layer == CheckLayer::Host);
        let r = result.clone();
        let recorded = store
            .run(move |st| st.record_check(id, &r, down_after))
            .await;
        // The stream's state after this check: down once a stream_down is made, up after a success.
        let up = match &recorded {
            Ok(events) if events.iter().any(|e| e.kind == EventKind::StreamDown) => false,
            _ if result.ok() => true,
            _ => t.up,
        };
        let labels = StreamLabels {
            stream_id: t.stream_id,
            device_id: t.device_id,
            url: t.url.clone(),
            protocol: t.protocol.clone(),
        };
        metrics.stream_check(&labels, &result, up);
        match recorded {
            Ok(events) if !events.is_empty() => {
                for e in &events {
                    tracing::info!(kind = ?e.kind, stream = ?e.stream_url, "event");
                    metrics.event(e.kind);
                }
                crate::record::round::refresh_devices(store, metrics).await;
                for w in wakes {
                    w.notify_one();
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!("recording a stream check: {e}"),
        }
        if host {
            return; // the host does not answer: its other streams would not either
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_spread_over_the_first_half_of_the_interval() {
        let every = Duration::from_secs(10);
        let offsets: Vec<Duration> = (1..=200).map(|id| offset(id, every)).collect();
        assert!(offsets.iter().all(|o| *o < Duration::from_secs(5)));
        // About evenly: none of the five seconds holds more than 60 of the 200.
        let mut per_second = [0usize; 5];
        for o in &offsets {
            per_second[o.as_secs() as usize] += 1;
        }
        assert!(per_second.iter().all(|n| *n <= 60), "{per_second:?}");
        assert_eq!(offset(7, every), offset(7, every));
    }
}
