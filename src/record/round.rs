//! One scan of a long-running camscan, recorded: what `watch`'s rounds, `serve`'s API scans and
//! the scans a fleet hub asks of a site (`--hub`) all run ([`scan_round`]), the device gauges read
//! back from the inventory ([`refresh_devices`]), and how a host hands its turn to a task that
//! runs beside it ([`Turn`], [`Beside`]: the fleet's agent, started by the command layer).
//!
//! A round is the recorded scan ([`super::run_scan`]: the scan's steps in their one order, which
//! `camscan scan` and `audit` run too) with its figures; it sits below the long-running parts that
//! share it (`watch`, `serve`, `fleet`), none of which names another; `cmds` composes them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{Notify, watch};

use super::CommandError;
use super::ScanJob;
use crate::metrics::{DeviceLabels, Metrics};
use store::SharedStore;

/// What one recorded scan gave.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    /// A signal interrupted it (what it had found is recorded).
    pub interrupted: bool,
    pub scan_id: i64,
    pub devices: u64,
}

/// One scan, recorded, its figures in `metrics`: a round of `camscan watch`, a scan asked over
/// `camscan serve`'s API, a scan a fleet hub asked of this site. The steps and their order are
/// [`super::run_scan`]'s; a round adds its figures and the summary in the log.
pub async fn scan_round(
    cfg: &ScanJob,
    store: &SharedStore,
    metrics: &Metrics,
    progress: crate::scan::Progress,
) -> Result<Round, CommandError> {
    let started = std::time::Instant::now();
    let output = super::Output::Return(progress);
    let (scanned, recorded) = super::scan_recorded(cfg, store, output).await?;
    let interrupted = matches!(scanned.outcome, crate::scan::Outcome::Interrupted(_));
    let failed_logins = scanned.auth.budget.total_failures().await;
    let (complete, devices, probes) = (
        scanned.report.complete,
        scanned.report.devices.len() as u64,
        scanned.probes,
    );
    // The report is recorded: let it go before the inventory's devices are read back.
    drop(scanned);
    if let Some(s) = &recorded.summary {
        tracing::info!("{s}");
    }
    metrics.scan_finished(
        started.elapsed().as_secs_f64(),
        complete,
        devices,
        probes,
        failed_logins,
    );
    for e in &recorded.events {
        metrics.event(e.kind);
    }
    refresh_devices(store, metrics).await;
    Ok(Round {
        interrupted,
        scan_id: recorded.scan_id,
        devices,
    })
}

/// Set every known device's `camscan_device_up` from the store, and forget those it no longer has.
pub async fn refresh_devices(store: &SharedStore, metrics: &Metrics) {
    let devices = store
        .run(|s| s.devices(&store::DeviceQuery::default()))
        .await;
    let Ok(devices) = devices else {
        return;
    };
    if let Ok(counts) = store.run(|s| s.stream_counts()).await {
        metrics.streams(&counts);
    }
    let ids: std::collections::HashSet<i64> = devices.iter().map(|d| d.id).collect();
    for d in &devices {
        metrics.device(
            &DeviceLabels {
                id: d.id,
                key: d.key.clone(),
                ip: d.address.map(|a| a.to_string()).unwrap_or_default(),
                vendor: d.vendor.clone().unwrap_or_default(),
                model: d.model.clone().unwrap_or_default(),
            },
            d.state != store::DeviceState::Offline,
        );
    }
    metrics.retain_devices(&ids);
}

/// A recorded scan in a host's turn: one at a time with the host's own scans (its gate held),
/// what the host does around it done (`watch` pauses its stream checker and wakes its sinks).
pub type Turn = Arc<
    dyn Fn(crate::scan::ScanConfig, crate::scan::Progress) -> Task<Result<Round, CommandError>>
        + Send
        + Sync,
>;

/// What a long-running host (`camscan watch`, `camscan serve`) gives the task that runs beside
/// it for `--hub` (the fleet's agent, which the command layer starts).
#[derive(Clone)]
pub struct Beside {
    pub store: SharedStore,
    /// Rung when the host has recorded something new.
    pub wake: Arc<Notify>,
    /// Turns true when the host's own work is over (its last round recorded).
    pub stop: watch::Receiver<bool>,
    /// A scan in the host's turn.
    pub turn: Turn,
    /// Stops the host, the reason its error ([`CommandError::HubRefused`]).
    pub refused: Arc<dyn Fn(String) + Send + Sync>,
}

/// What a watcher running inside another command (`camscan serve`) shares with it: the open
/// store, the metrics it serves, its stop, and the gate that lets one scan run at a time.
#[derive(Clone)]
pub struct Embedded {
    pub store: SharedStore,
    pub metrics: Metrics,
    /// Turns true when the host command stops (it listens for the signals).
    pub stop: watch::Receiver<bool>,
    /// Held by each scan round (and by the host's own scans).
    pub gate: Arc<tokio::sync::Mutex<()>>,
    /// The host's fleet agent, woken with the sinks.
    pub hub_wake: Option<Arc<Notify>>,
}

/// A task started beside a host: the fleet's agent, a watcher inside `camscan serve`.
pub type Task<T = ()> = Pin<Box<dyn Future<Output = T> + Send>>;
