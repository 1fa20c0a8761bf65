//! The fleet's agent inside `camscan watch --hub`: how it runs the scans the hub queues for this
//! site (`crate::fleet`, which claims them and reports their progress and end).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use super::scan_round;
use crate::config::ScanConfig;
use crate::fleet::Executor;
use crate::metrics::Metrics;
use crate::record::CommandError;
use crate::store::SharedStore;

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
}

/// How this site's agent runs the scans the hub queues for it: held to the watch's own targets
/// (`scan::rules::own_ranges`) and credentials (`default`, `none`),
/// one at a time with the rounds (the gate, the checker told), the sinks woken after each.
pub(super) fn executor(cfg: &ScanConfig, host: Host<'_>) -> Result<Executor, CommandError> {
    let allow = crate::scan::rules::own_ranges(cfg)
        .map_err(|e| CommandError::Usage(format!("watch --hub: {e}")))?;
    let rules = crate::scan::rules::ScanRules::new(
        cfg.clone(),
        &allow,
        ("this site's agent", "watch's targets"),
        Vec::new(),
    )
    .map_err(CommandError::Usage)?;
    let (store, metrics, gate, scanning, wakes) = (
        host.store.clone(),
        host.metrics.clone(),
        host.gate.clone(),
        host.scanning.clone(),
        host.wakes.clone(),
    );
    let run: crate::fleet::RunScan = Arc::new(move |cfg, stats| {
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
            let r = scan_round(&cfg, &store, &metrics, crate::scan::Progress::Into(stats)).await;
            drop(held);
            scanning.store(false, Ordering::Relaxed);
            for w in wakes.iter() {
                w.notify_one();
            }
            r.map(|r| crate::fleet::Ran {
                scan_id: r.scan_id,
                devices: r.devices,
                interrupted: r.interrupted,
            })
            .map_err(|e| e.to_string())
        })
    });
    Ok(Executor {
        rules: Arc::new(rules),
        run,
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
) -> crate::fleet::OnRefused {
    let slot = slot.clone();
    Arc::new(move |why| {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        super::stop_with(&state, &stop_tx, &wake, crate::error::exit::HUB_REFUSED);
    })
}
