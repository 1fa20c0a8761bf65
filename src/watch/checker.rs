//! The stream checks of `camscan watch --check-streams`: every known stream once per interval,
//! gently.
//!
//! * One check session per device at a time: a device's streams are checked one after another;
//!   devices side by side, at most [`DEVICES_AT_ONCE`].
//! * Spread: each device starts at its own offset in the first half of the interval (from its id),
//!   so 200 cameras are not all asked in the same second, and each is asked at the same point of
//!   every round.
//! * A host that does not answer is asked nothing more this round (one `device_offline` after
//!   `down_after` rounds, not a `stream_down` per stream).
//! * A refused credential holds its stream until the next scan (the store's rule): no second
//!   failed login.
//! * Paused while a scan runs: the scan's own PLAY checks are on the same cameras then.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use retina::client::SessionGroup;
use tokio::sync::{Notify, watch};

use super::WatchConfig;
use super::check::{self, CheckDeadlines};
use crate::config::ScanConfig;
use crate::credentials::Credential;
use crate::metrics::{Metrics, StreamLabels};
use crate::notify::with_store;
use crate::store::{CheckLayer, CheckTarget, EventKind, Store};

/// Devices checked side by side.
pub const DEVICES_AT_ONCE: usize = 32;

/// What the checker works with (reloaded with the configuration).
#[derive(Debug, Clone)]
pub struct Settings {
    pub every: Duration,
    pub down_after: u32,
    pub credentials: Vec<Credential>,
    pub deadlines: CheckDeadlines,
}

impl Settings {
    pub fn of(cfg: &ScanConfig, w: &WatchConfig) -> Settings {
        Settings {
            every: w.check_every.unwrap_or(Duration::from_secs(30)),
            down_after: w.down_after.max(1),
            credentials: cfg.credentials.clone(),
            deadlines: CheckDeadlines {
                connect: cfg.connect_timeout,
                step: cfg.timeout,
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

/// Check rounds until `stop`.
pub async fn run(
    store: Arc<Mutex<Store>>,
    settings: Arc<Mutex<Settings>>,
    scanning: Arc<AtomicBool>,
    wakes: Arc<Vec<Arc<Notify>>>,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let s = settings.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let round = tokio::time::Instant::now();
        if !scanning.load(Ordering::Relaxed) {
            let creds = s.credentials.clone();
            match with_store(&store, move |st| st.check_targets(&creds)).await {
                Ok(targets) => {
                    metrics.retain_streams(&targets.iter().map(|t| t.stream_id).collect());
                    let device_stop = stop.clone();
                    let mut by_device: BTreeMap<i64, Vec<CheckTarget>> = BTreeMap::new();
                    for t in targets {
                        by_device.entry(t.device_id).or_default().push(t);
                    }
                    let work = futures::stream::iter(by_device.into_iter().map(|(id, streams)| {
                        check_device(
                            id,
                            streams,
                            &s,
                            round,
                            &store,
                            &scanning,
                            &wakes,
                            &metrics,
                            device_stop.clone(),
                        )
                    }))
                    .buffer_unordered(DEVICES_AT_ONCE)
                    .collect::<Vec<()>>();
                    tokio::select! {
                        _ = work => {}
                        _ = stop.changed() => return,
                    }
                }
                Err(e) => tracing::error!("stream checks: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(round + s.every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn check_device(
    device_id: i64,
    streams: Vec<CheckTarget>,
    s: &Settings,
    round: tokio::time::Instant,
    store: &Arc<Mutex<Store>>,
    scanning: &AtomicBool,
    wakes: &[Arc<Notify>],
    metrics: &Metrics,
    mut stop: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = tokio::time::sleep_until(round + offset(device_id, s.every)) => {}
        _ = stop.changed() => return,
    }
    // retina tears a dropped session down in the background: the next check on the device waits
    // for that TEARDOWN (as the scan's session slots do), so the device sees one session at a time.
    let group = Arc::new(SessionGroup::default());
    for t in streams {
        if *stop.borrow() || scanning.load(Ordering::Relaxed) {
            return;
        }
        let result = check::check(&t, s.deadlines, &group).await;
        // A shared-media server (GStreamer) answers TEARDOWN once its media is down, which can
        // take more than a second: wait for it up to a step deadline, not the scan's 1 s.
        let waited = std::time::Instant::now();
        let _ = tokio::time::timeout(s.deadlines.step, group.await_teardown()).await;
        tracing::debug!(url = %t.url, ms = waited.elapsed().as_millis() as u64, "teardown");
        tracing::debug!(url = %t.url, layer = result.layer.as_str(), error = ?result.error, "stream check");
        let (id, down_after, host) = (t.stream_id, s.down_after, result.layer == CheckLayer::Host);
        let r = result.clone();
        let recorded = with_store(store, move |st| st.record_check(id, &r, down_after)).await;
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
                super::refresh_devices(store, metrics).await;
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
