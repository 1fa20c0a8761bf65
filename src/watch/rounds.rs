//! The watch's scan rounds: a complete scan on the schedule, the configuration reloaded between
//! rounds when SIGHUP asked, a device that announces itself scanned at once between them (each
//! at most once per [`super::AnnouncedScans`] window), the inventory pruned once a day, and the
//! exports of `--write` rendered after each scan. Scans take the gate a host (`camscan serve`)
//! shares, and say so to the stream checker (`scanning`), which waits for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};

use super::{AnnouncedScans, PRUNE_EVERY, RETAIN, Reload, Stop, WatchConfig, check_rounds, write};
use crate::discovery::listen::Announcement;
use crate::discovery::targets::TargetSet;
use crate::metrics::Metrics;
use crate::record::CommandError;
use crate::record::ScanJob;
use crate::record::round::scan_round;
use model::sync::lock;
use store::SharedStore;

/// What the rounds run with, and what a reload changes.
pub(super) struct Rounds {
    pub cfg: ScanJob,
    pub w: WatchConfig,
    /// The inventory's path, kept across reloads.
    pub db: store::Inventory,
    pub store: SharedStore,
    pub metrics: Metrics,
    /// Held by each scan (and by the host's own scans).
    pub gate: Option<Arc<tokio::sync::Mutex<()>>>,
    /// True while a scan runs: the stream checker waits.
    pub scanning: Arc<AtomicBool>,
    /// The sinks' delivery tasks, woken after each scan.
    pub wakes: Arc<Vec<Arc<Notify>>>,
    pub writer: Option<write::Writer>,
    /// `--push`'s tools, each with its retry state.
    pub pushers: Vec<super::push::Pusher>,
    pub checker: Arc<Mutex<check_rounds::Settings>>,
    /// The scan's targets: an announcing device outside them is not scanned.
    pub targets: TargetSet,
    pub announced: AnnouncedScans,
}

/// How the rounds are told to stop, reload or wake, and the announcements they hear.
pub(super) struct Control<'a> {
    pub state: &'a Mutex<Stop>,
    pub reload_asked: &'a AtomicBool,
    pub reload: &'a Reload,
    pub wake: &'a Notify,
    pub announcements: mpsc::Receiver<Announcement>,
    pub listening: bool,
}

impl Rounds {
    /// Scan on the schedule until a stop, an interrupted scan or `--rounds`.
    pub(super) async fn run(&mut self, mut c: Control<'_>) {
        let mut round = 0u32;
        // The first prune comes a day after the start (a restart loop does not prune each time).
        let mut last_prune = std::time::Instant::now();
        loop {
            if *lock(c.state) != Stop::Running {
                break;
            }
            if c.reload_asked.swap(false, Ordering::Relaxed) {
                self.reload(c.reload).await;
            }
            let started = jiff::Timestamp::now();
            match self.gated_scan(&self.cfg).await {
                Ok(interrupted) => {
                    self.wake_sinks();
                    if interrupted {
                        break;
                    }
                    self.write_exports().await;
                }
                Err(e) => tracing::error!("scan round failed: {e}"),
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = std::time::Instant::now();
                match self.store.run(|s| s.prune(RETAIN)).await {
                    Ok(p) => tracing::info!(?p, "inventory pruned"),
                    Err(e) => tracing::error!("pruning the inventory: {e}"),
                }
            }
            round += 1;
            if self.w.rounds.is_some_and(|n| round >= n) {
                let mut s = lock(c.state);
                if *s == Stop::Running {
                    *s = Stop::Done;
                }
                break;
            }
            let wait = self.w.schedule.wait(started, &jiff::Zoned::now());
            tracing::info!(next_in_s = wait.as_secs(), "next scan");
            self.wait(tokio::time::Instant::now() + wait, &mut c).await;
        }
    }

    /// Until `next_at`, a wake or a stop: scan each device that announces itself.
    async fn wait(&mut self, next_at: tokio::time::Instant, c: &mut Control<'_>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next_at) => break,
                _ = c.wake.notified() => break,
                Some(a) = c.announcements.recv(), if c.listening => {
                    if !self.targets.contains(a.ip)
                        || !self.announced.take(a.ip, std::time::Instant::now())
                    {
                        continue;
                    }
                    tracing::info!(ip = %a.ip, kind = ?a.kind, source = a.source,
                        "a device announced itself: scanning it now");
                    if self.scan_announced(a.ip).await {
                        break;
                    }
                }
            }
            if *lock(c.state) != Stop::Running {
                break;
            }
        }
    }

    /// Scan one device that announced itself; whether a signal interrupted the scan.
    async fn scan_announced(&mut self, ip: std::net::IpAddr) -> bool {
        let mut one = self.cfg.clone();
        one.scan.targets = vec![ip.to_string()];
        let r = self.gated_scan(&one).await;
        self.wake_sinks();
        match r {
            Ok(true) => return true,
            Ok(false) => self.write_exports().await,
            Err(e) => tracing::error!("scan of an announced device failed: {e}"),
        }
        false
    }

    /// One recorded scan of `cfg`, with the gate held and the checker told; whether a signal
    /// interrupted it.
    async fn gated_scan(&self, cfg: &ScanJob) -> Result<bool, CommandError> {
        self.scanning.store(true, Ordering::Relaxed);
        let held = match &self.gate {
            Some(g) => Some(g.lock().await),
            None => None,
        };
        let scanned = scan_round(
            cfg,
            &self.store,
            &self.metrics,
            crate::scan::Progress::Quiet,
        )
        .await
        .map(|r| r.interrupted);
        drop(held);
        self.scanning.store(false, Ordering::Relaxed);
        scanned
    }

    /// The sinks have new events to deliver.
    fn wake_sinks(&self) {
        for wake in self.wakes.iter() {
            wake.notify_one();
        }
    }

    /// `--write`'s exports, rendered again from the inventory, and `--push`'s tools kept right.
    async fn write_exports(&mut self) {
        if let Some(wr) = &mut self.writer {
            wr.round(&self.store).await;
        }
        let mut pushed = false;
        for p in &mut self.pushers {
            pushed |= p.round(&self.db).await;
        }
        if pushed {
            self.wake_sinks();
        }
    }

    /// SIGHUP: the configuration read again. What fails to reload keeps its old value.
    async fn reload(&mut self, reload: &Reload) {
        match reload() {
            Ok((c, nw)) => {
                tracing::info!("configuration reloaded");
                match crate::scan::plan::ScanPlan::build(&c.scan).await {
                    Ok(p) => self.targets = p.set,
                    Err(e) => tracing::error!("the reloaded targets: {e}"),
                }
                *lock(&self.checker) = check_rounds::Settings::of(&c, &nw);
                self.cfg = c;
                self.cfg.db = Some(self.db.clone());
                match write::Writer::of(&nw, &self.cfg.report.format_options, &self.db) {
                    Ok(wr) => self.writer = wr,
                    Err(e) => tracing::error!("the reloaded writes, keeping the old ones: {e}"),
                }
                self.pushers = super::push::Pusher::all(&nw.pushes);
                self.w.schedule = nw.schedule;
                self.w.rounds = nw.rounds;
            }
            Err(e) => tracing::error!("configuration not reloaded, keeping the old one: {e}"),
        }
    }
}
