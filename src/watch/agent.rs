//! What `camscan watch --hub` gives the fleet's agent that runs beside its rounds (the command
//! layer starts it): the scans the hub queues for this site take the rounds' turn, and a hub that
//! refuses the site stops the watch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::metrics::Metrics;
use crate::record::round::{Turn, scan_round};
use store::SharedStore;

/// What the watch shares with the scans the hub asks for.
pub(super) struct Host<'a> {
    pub store: &'a SharedStore,
    pub metrics: &'a Metrics,
    /// Held by each scan (the rounds', the host's).
    pub gate: &'a Arc<tokio::sync::Mutex<()>>,
    /// True while a scan runs: the stream checker waits.
    pub scanning: &'a Arc<AtomicBool>,
    /// The sinks, woken after each scan.
    pub wakes: &'a Arc<Vec<Arc<Notify>>>,
    /// The watch's own scan: where the hub's scans are recorded (the site, the ports left out).
    pub job: &'a crate::record::ScanJob,
}

/// A scan the hub asked for, in the rounds' turn: one at a time with the rounds (the gate, the
/// checker told), the sinks woken after it.
pub(super) fn turn(host: Host<'_>) -> Turn {
    let (store, metrics, gate, scanning, wakes) = (
        host.store.clone(),
        host.metrics.clone(),
        host.gate.clone(),
        host.scanning.clone(),
        host.wakes.clone(),
    );
    let base = host.job.clone();
    Arc::new(move |scan, progress| {
        let job = crate::record::ScanJob {
            scan,
            ..base.clone()
        };
        let (store, metrics, gate, scanning, wakes) = (
            store.clone(),
            metrics.clone(),
            gate.clone(),
            scanning.clone(),
            wakes.clone(),
        );
        Box::pin(async move {
            scanning.store(true, Ordering::Relaxed);
            let held = gate.lock().await;
            let r = scan_round(&job, &store, &metrics, progress).await;
            drop(held);
            scanning.store(false, Ordering::Relaxed);
            for w in wakes.iter() {
                w.notify_one();
            }
            r
        })
    })
}

/// A hub that refuses this site stops the watch (exit 5): its reason goes to `slot`, to be the
/// command's error.
pub(super) fn on_refused(
    slot: &Arc<std::sync::Mutex<Option<String>>>,
    (state, stop_tx, wake): (
        Arc<std::sync::Mutex<super::Stop>>,
        tokio::sync::watch::Sender<bool>,
        Arc<Notify>,
    ),
) -> Arc<dyn Fn(String) + Send + Sync> {
    let slot = slot.clone();
    Arc::new(move |why| {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        super::stop_with(&state, &stop_tx, &wake, error::exit::HUB_REFUSED);
    })
}
