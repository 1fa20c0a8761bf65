//! Discovery and port probes: the discovery stages of [`crate::discovery::STAGES`] all start with
//! the scan (ARP's sweep decides which on-link hosts get probed and asked by unicast, and tells the
//! others when it has; WS-Discovery with each device's ONVIF API, SSDP, mDNS and the vendor
//! protocols multicast at once) beside the port probes. Each
//! stage is its method's own (`discovery/<method>.rs`); this is the loop that runs them.
//! In: the [`ScanPlan`]; out: registry events on the collector's channel and open ports on the
//! dispatcher's, both bounded, and [`Msg::DiscoveryDone`] after the last of them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Msg;
use super::plan::ScanPlan;
use crate::discovery::ledger::Ledger;
use crate::discovery::scope::Swept;
use crate::discovery::tally::Tally;
use crate::discovery::{Batch, Probes, STAGES, Scope};
use crate::probe::{self, ProbeNews, ProbeStats};
use analyze::context::ScanContext;
use model::DiscoveryMethod;

/// How long after the stages that announce channel counts (the vendor protocols) start a channel
/// walk that met a gap waits for the device's announced channel count (at most `--discovery-wait`).
const ANNOUNCE_GRACE: Duration = Duration::from_millis(500);

/// Every discovery stage, all started at once in list order, and the port probes.
/// Returns when all of them are done, after sending [`Msg::DiscoveryDone`].
///
/// Port probes start as soon as their targets are known: off-link targets at once, each on-link
/// host the moment it answers a raw ARP request (not when the sweep ends), one shared pool for all.
pub async fn discover_and_probe(
    s: ScanPlan,
    ctx: ScanContext,
    announced: tokio::sync::watch::Sender<bool>,
    stats: Arc<ProbeStats>,
    (ledger, tally): (Arc<Ledger>, Arc<Tally>),
    ev_tx: mpsc::Sender<Msg>,
    open_tx: mpsc::Sender<ProbeNews>,
) {
    let (batch_tx, mut batch_rx) = mpsc::unbounded_channel::<Batch>();
    let probing = if s.methods.contains(&DiscoveryMethod::Port) {
        let prober = probe::Prober::new(&s.probe, open_tx, stats)
            .with_ledger(ledger.clone())
            .with_tally(tally.clone());
        let ports = s.ports.clone();
        Some(tokio::spawn(async move {
            while let Some(batch) = batch_rx.recv().await {
                prober.add(&batch, &ports).await;
            }
            prober.finish().await;
        }))
    } else {
        drop(open_tx);
        None
    };
    let grace = ANNOUNCE_GRACE.min(s.discovery_wait);
    let probes =
        Probes::new(probing.is_some().then_some(batch_tx)).with_ledger(ledger, s.ports.len());
    let mut scope = Scope {
        methods: s.methods,
        probe_all: s.probe_all,
        max_rate: s.probe.max_rate,
        tally,
        hosts: Swept::ready(&s.set),
        set: s.set,
        links: s.links,
        ports: s.ports,
        wait: s.discovery_wait,
        started: tokio::time::Instant::now(),
        ctx,
        events: ev_tx.clone(),
        probes,
        reach: s.reach,
        misaddressed_known: s.misaddressed_known,
    };
    // Every stage at the scan's start, side by side: each spawns its tasks and returns at once
    // (ARP first: its sweep tells the others through `scope.hosts` whom it found).
    // Each stage says when it has ended (`Msg::StageClosed`, after its last event): a device
    // becomes final once every stage has, without waiting for the probes of other addresses.
    let (mut running, mut announcing) = (Vec::new(), Vec::new());
    let started = scope.started;
    for stage in STAGES {
        let tasks = stage.start(&mut scope);
        let tx = ev_tx.clone();
        let name = stage.about().name;
        let closing = tokio::spawn(async move {
            for task in tasks {
                let _ = task.await;
            }
            tracing::debug!(
                target: timing::TARGET,
                stage = name,
                closed_ms = started.elapsed().as_millis() as u64,
                "timing: stage {name} closed"
            );
            let _ = tx.send(Msg::StageClosed).await;
        });
        if stage.about().announces_channels {
            announcing.push(closing);
        } else {
            running.push(closing);
        }
    }
    // The probes' queue closes when the last stage that may hand them targets (mDNS) ends.
    let set = scope.set.clone();
    drop(scope);
    // Channel walks waiting at a gap are released when the stages that announce channel counts
    // finish or after ANNOUNCE_GRACE, whichever comes first: LAN devices answer within
    // milliseconds, and the rest of the discovery window is for strangers, not for the hosts
    // being walked.
    let announcing = tokio::spawn(async move {
        let mut handles = announcing;
        let all = futures::future::join_all(handles.iter_mut());
        tokio::pin!(all);
        let finished = tokio::select! {
            _ = &mut all => true,
            _ = tokio::time::sleep(grace) => false,
        };
        let _ = announced.send(true);
        if !finished {
            all.await;
        }
    });
    if let Some(probing) = probing {
        let _ = probing.await;
    }
    for handle in running {
        let _ = handle.await;
    }
    let _ = announcing.await;
    // The IPv6 targets' MACs, now that neighbour discovery resolved every one that answered.
    crate::discovery::arp::ipv6_macs(&set, &ev_tx).await;
    // After every stage's events: no discovery fact and no probe result can come any more.
    let _ = ev_tx.send(Msg::DiscoveryDone).await;
}
