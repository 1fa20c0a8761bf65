//! A scan, stage by stage. [`pipeline`] wires the stages and returns the report, writing nothing
//! (long-running commands call it); [`run`] is `camscan scan`: plan, pipeline, output. Each stage
//! is a file with its inputs and outputs in its signature:
//!
//! ```text
//! plan ──> sweep ──open ports──> dispatch ──> open_port ──events──┐
//!             └─────────────────────events───────────────────────┴─> collect ──> output
//!                                           reverse_dns <──new addresses──┘  ^
//!                                                 └────────names─────────────┘
//! ```
//!
//! * [`plan`]: targets, guards, interfaces, pool size and the shared [`ScanContext`], before
//!   anything is sent.
//! * [`sweep`]: the discovery stages ([`crate::discovery::STAGES`]: ARP, WS-Discovery + ONVIF
//!   device API, SSDP, mDNS, SADP, DHIP and the other vendor protocols, each its method's own)
//!   beside the port probes.
//! * [`dispatch`]: each open port to its analysis, bounded.
//! * [`open_port`]: one open port: detect what it speaks, ask that protocol's analyser
//!   ([`analyze`]), make events.
//! * [`collect`]: events into the registry; finality; signals.
//! * [`reverse_dns`]: the reverse DNS name of each address the first time an event names it.
//! * [`output`]: the report (or NDJSON lines as devices become final) and the progress bar.
//!
//! Stages are joined by bounded channels so a slow stage pushes back on the one before it. Ctrl-C
//! and SIGTERM stop the scan, and whatever was found is still written (`"complete": false`).

pub mod collect;
pub mod config;
pub mod dispatch;
pub mod forecast;
pub mod open_port;
pub mod output;
pub mod plan;
pub mod reverse_dns;
pub mod rules;
pub mod settings;
pub mod sweep;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::probe::{ProbeNews, ProbeStats};
use analyze::context::{Known, ScanContext};
use collect::Collector;
pub use collect::{OnFinal, Outcome};
pub use config::ScanConfig;
use error::{Error, exit};
use export::Format;
use model::{Device, Report, SCHEMA_VERSION};
use output::NdjsonStream;
use plan::ScanPlan;
use registry::{Event, Registry};

/// Channel sizes between stages: small, so a slow stage pushes back on the one before it.
const OPEN_CHANNEL: usize = 256;
const EVENT_CHANNEL: usize = 1024;

/// `camscan scan`: plan, run the pipeline, write the report as `out` says. Returns what was
/// scanned (its report already written, for the caller to record; [`Scanned::exit_code`] sums it
/// up). `inventory`: the file the scan is recorded in, never written over by `-o`.
/// `progress`: draw a progress bar on stderr (only drawn when stderr is a terminal). `known`: what
/// earlier scans learnt per address (the inventory's), tried first
/// by the analysers unless `--fresh`. `dns`: the reverse DNS answers the inventory still trusts.
/// `also`: given each device as it becomes final (the inventory records it then).
pub async fn run(
    cfg: &ScanConfig,
    out: &output::ReportOutput,
    inventory: Option<&std::path::Path>,
    progress: bool,
    memory: Memory,
    mut also: Option<OnFinal<'_>>,
) -> Result<Scanned, Error> {
    // The output path is checked before minutes of scanning; NDJSON opens its file now and is
    // written device by device as each becomes final.
    if let Some(path) = &out.output {
        output::check_writable(path, inventory)?;
    }
    let mut lines = match out.format {
        Format::Ndjson => Some(NdjsonStream::open(out.output.as_deref())?),
        _ => None,
    };
    // Each final device to the NDJSON output and to `also` (the inventory's live recorder).
    let on_final = match (lines.as_mut(), also.as_mut()) {
        (None, None) => None,
        (mut l, mut a) => Some(Box::new(move |d: &Device| {
            if let Some(a) = a.as_mut() {
                let _ = a(d);
            }
            match l.as_mut() {
                Some(l) => l.write(d),
                None => std::ops::ControlFlow::Continue(()),
            }
        }) as OnFinal<'_>),
    };
    let progress = if progress {
        Progress::Bar
    } else {
        Progress::Quiet
    };
    let scanned = find(cfg, progress, memory, on_final).await?;
    match lines {
        Some(lines) => lines.finish(&scanned.report.devices)?,
        None => output::write_report(out, &scanned.report)?,
    }
    Ok(scanned)
}

/// The scan of `cfg` without its output (what `camscan audit` judges, and the rounds of the
/// long-running hosts record): plan, pipeline, report; `on_final` sees each device as it becomes
/// final. With a progress bar, the plan is printed first.
pub async fn find(
    cfg: &ScanConfig,
    progress: Progress,
    memory: Memory,
    on_final: Option<OnFinal<'_>>,
) -> Result<Scanned, Error> {
    let Memory {
        known,
        logins,
        dns,
        names,
        misaddressed,
    } = memory;
    let mut plan = ScanPlan::build(cfg).await?;
    plan.given_names = names;
    plan.misaddressed_known = misaddressed;
    if matches!(progress, Progress::Bar) {
        output::print_plan(&plan.summary);
    }
    if let Some(names) = &plan.names {
        names.seed(dns);
    }
    let (mut ctx, announced) = plan.context(cfg, known);
    ctx.logins = Arc::new(model::known::KnownLogins::new(logins));
    let ctx = (ctx, announced);
    Ok(pipeline(plan, ctx, progress, on_final).await)
}

/// What the inventory remembers for a scan (all empty without one): per address the paths and
/// login that worked (none with `--fresh`), the reverse DNS answers still trusted, and the names
/// the exports gave each device's cameras (kept even with `--fresh`: a name is fixed once given).
#[derive(Default)]
pub struct Memory {
    pub known: HashMap<IpAddr, Known>,
    /// The login that opened each device, by its identity (none with `--fresh`): tried first on
    /// a device recognised at a new address ([`analyze::followed`]).
    pub logins: Vec<model::known::KnownLogin>,
    pub dns: Vec<net::rdns::DnsAnswer>,
    pub names: Vec<model::known::GivenName>,
    /// The devices last seen misaddressed: asked for directly.
    pub misaddressed: Vec<model::known::KnownMisaddressed>,
}

/// How a run shows its progress.
pub enum Progress {
    Quiet,
    /// A bar over the probes on stderr (hidden when stderr is not a terminal).
    Bar,
    /// Into these counters, which the caller reads (`camscan serve` reports a scan's progress as
    /// events): probes total and done, open ports, devices found.
    Into(Arc<ProbeStats>),
}

/// What one run of the pipeline gave: the report (complete or not) and how it ended.
pub struct Scanned {
    pub report: Report,
    pub outcome: Outcome,
    /// TCP connection attempts the port probes made.
    pub probes: u64,
    /// The reverse DNS answers this run looked up, for the inventory to keep.
    pub dns: Vec<net::rdns::DnsAnswer>,
    /// The scan's login settings, with the failed-login budget as the scan left it: what an
    /// audit's own logins (`--check-defaults`) draw from afterwards.
    pub auth: analyze::context::AuthSettings,
}

impl Scanned {
    /// 0 found a camera or stream, 1 found none, 130/143 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Outcome::Interrupted(code) => code,
            _ if self.report.found_cameras() => exit::FOUND,
            _ => exit::NOTHING,
        }
    }
}

/// The scan itself, which returns its report and writes nothing: discovery and probes feed the
/// dispatcher, whose analyses and discovery's facts go to the collector, until every stage is done,
/// a signal arrives, or `on_final` (given each device as it becomes final) says stop. What was
/// found before a stop is in the report (`complete: false`).
pub async fn pipeline(
    mut plan: ScanPlan,
    (ctx, announced): (ScanContext, tokio::sync::watch::Sender<bool>),
    progress: Progress,
    on_final: Option<OnFinal<'_>>,
) -> Scanned {
    let started = Instant::now();
    let media = ctx.verify.media.clone();
    timing::start();
    let started_at = plan.started_at;
    let target_specs = plan.target_specs.clone();
    let summary = plan.summary.clone();
    let auth = ctx.auth.clone();
    let mut registry = Registry::new(plan.set.hostnames().clone())
        .with_mac_lookup(crate::discovery::camera_macs::facts)
        .with_zone_lookup(net::zone::zone_name)
        .with_name_rules(knowledge::placeholders::name_rules());
    let (detect, analyses) = (plan.detect, plan.analyses);
    let names = plan.names.clone();
    // The temporary addresses of `--reach-misaddressed` go when the pipeline ends, however it ends.
    let reach = plan.reach.clone();
    let given_names = std::mem::take(&mut plan.given_names);
    let scope = Arc::new(collect::Scope::of(&plan.set, &plan.summary));

    let (open_tx, open_rx) = mpsc::channel::<ProbeNews>(OPEN_CHANNEL);
    let (ev_tx, mut ev_rx) = mpsc::channel::<Msg>(EVENT_CHANNEL);
    let stats = match &progress {
        Progress::Into(stats) => stats.clone(),
        _ => Arc::new(ProbeStats::default()),
    };
    // Which addresses the probes were handed and which are done: a device is final without
    // waiting for the probes of the rest of the range.
    let ledger = Arc::new(crate::discovery::ledger::Ledger::default());
    // The MACs of IPv6 targets come after every stage and probe (`sweep`): their devices wait.
    let v6_targets = plan.set.ranges().iter().any(|r| r.v6);
    let tally = Arc::new(crate::discovery::tally::Tally::default());
    // The neighbour table's count of the times it was full, before anything is sent (where this
    // namespace can read it): the difference at the end is this scan's (and whatever else ran).
    let fulls_before = net::neigh::stat().map(|s| s.table_fulls);
    let discovery = tokio::spawn(sweep::discover_and_probe(
        plan,
        ctx.clone(),
        announced,
        stats.clone(),
        (ledger.clone(), tally.clone()),
        ev_tx.clone(),
        open_tx,
    ));
    let mut collector = Collector::new(on_final);
    collector.keep_only(scope.clone());
    collector.finality.watch_probes(ledger, v6_targets);
    collector.count_devices(stats.clone());
    collector.tell_identities(ctx.identities.clone());
    collector.count_requests(ctx.gates.clone());
    let naming = names.clone().map(|resolver| {
        let (ip_tx, ip_rx) = mpsc::unbounded_channel();
        collector.set_names(ip_tx);
        tokio::spawn(reverse_dns::name_hosts(resolver, ip_rx, ev_tx.clone()))
    });
    let gates = ctx.gates.clone();
    let dispatcher = tokio::spawn(dispatch::dispatch(open_rx, ev_tx, ctx, (detect, analyses)));
    let bar = matches!(progress, Progress::Bar).then(|| output::progress_bar(stats.clone()));

    let outcome = collector.run(&mut ev_rx, &mut registry).await;
    if let Some((bar, task)) = bar {
        output::end_progress(bar, task).await;
    }
    if outcome != Outcome::Complete {
        for task in [&discovery, &dispatcher].into_iter().chain(naming.as_ref()) {
            task.abort();
        }
        // Take what is already queued: it was found before the signal.
        while let Ok(msg) = ev_rx.try_recv() {
            if let Msg::Event(ev) = msg {
                registry.apply(ev);
            }
        }
    }
    if let Some(reach) = reach {
        reach.release().await;
    }
    let devices = found(&registry, &scope, &given_names, &outcome);
    let mut coverage = scan_coverage(&stats, &tally, fulls_before, &registry, &media);
    coverage.requests = devices
        .iter()
        .filter_map(|d| {
            let mut ips = vec![d.ip];
            ips.extend(d.addresses.iter().filter(|a| **a != d.ip));
            gates.device_requests(&ips)
        })
        .collect();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        camscan_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started_at.to_string(),
        finished_at: jiff::Timestamp::now().to_string(),
        complete: outcome == Outcome::Complete && coverage.whole(),
        targets: target_specs,
        plan: Some(summary),
        coverage: Some(coverage),
        devices,
    };
    log_summary(&stats, &report, started);
    Scanned {
        report,
        outcome,
        probes: ProbeStats::get(&stats.done),
        dns: names.map(|r| r.answers()).unwrap_or_default(),
        auth,
    }
}

/// The devices the report holds: the registry's within the scan's scope, named (the names given
/// before kept); an interrupted scan says how many it writes.
fn found(
    registry: &Registry,
    scope: &collect::Scope,
    given_names: &[model::known::GivenName],
    outcome: &Outcome,
) -> Vec<model::Device> {
    let mut devices = registry.devices();
    devices.retain(|d| scope.keeps(d));
    export::names::settle(&mut devices, given_names);
    if let Outcome::Interrupted(_) = outcome {
        // The report's count: what is written, not what the registry held before merging.
        tracing::warn!(
            "interrupted: writing the {} device(s) found so far",
            devices.len()
        );
    }
    devices
}

/// The report's coverage of the scan (what was sent, answered and lost, the media pulled), each
/// loss logged. `fulls_before`: the neighbour table's count of times it was full at the start.
fn scan_coverage(
    stats: &ProbeStats,
    tally: &crate::discovery::tally::Tally,
    fulls_before: Option<u64>,
    registry: &Registry,
    media: &net::media_budget::MediaBudget,
) -> model::coverage::Coverage {
    let fulls = match (fulls_before, net::neigh::stat()) {
        (Some(before), Some(after)) => after.table_fulls.saturating_sub(before),
        _ => 0,
    };
    let mut coverage = coverage(stats, tally, fulls, registry.shared_macs());
    coverage.media = Some(media_coverage(media.figures()));
    if !coverage.whole() {
        for why in &coverage.lost {
            tracing::warn!("incomplete: {why}");
        }
    }
    coverage
}

/// The report's figures of the media budget.
fn media_coverage(f: net::media_budget::Figures) -> model::coverage::MediaCoverage {
    let kbps = |bytes_a_second: u64| bytes_a_second * 8 / 1000;
    model::coverage::MediaCoverage {
        budget_kbps: kbps(f.rate),
        checks: f.checks,
        bytes: f.bytes,
        waited: f.waited,
        waited_ms: f.waited_ms,
        peak_kbps: kbps(f.peak),
    }
}

/// The report's coverage record: what discovery and the probes asked, heard and lost.
/// `neighbour_fulls`: the kernel's count of full-table refusals during the scan, where it can be
/// read (0 inside a network namespace, where the probes' own count stands for it).
fn coverage(
    stats: &ProbeStats,
    tally: &crate::discovery::tally::Tally,
    neighbour_fulls: u64,
    shared_macs: Vec<model::coverage::SharedMac>,
) -> model::coverage::Coverage {
    use std::sync::atomic::Ordering;
    let get = ProbeStats::get;
    let seen = tally.neighbour_full.load(Ordering::Relaxed);
    let mut c = model::coverage::Coverage {
        arp: tally.arp(),
        host_discovery: tally.host_discovery(),
        probes: model::coverage::ProbeCoverage {
            connects: get(&stats.done),
            open: get(&stats.open),
            closed: get(&stats.closed),
            timeouts: get(&stats.timeouts),
            unreachable: get(&stats.unreachable),
            retried: get(&stats.retries),
            lost: get(&stats.lost),
        },
        neighbour_overflows: seen.max(neighbour_fulls),
        shared_macs,
        media: None,
        requests: Vec::new(),
        lost: Vec::new(),
    };
    c.judge();
    c
}

/// The scan's figures, on the info log.
fn log_summary(stats: &ProbeStats, report: &Report, started: Instant) {
    tracing::info!(
        probes = ProbeStats::get(&stats.done),
        open = ProbeStats::get(&stats.open),
        closed = ProbeStats::get(&stats.closed),
        timeouts = ProbeStats::get(&stats.timeouts),
        peak_in_flight = ProbeStats::get(&stats.peak_in_flight),
        devices = report.devices.len(),
        elapsed = ?started.elapsed(),
        "scan finished"
    );
}

/// What the collector receives: evidence for the registry, and news of the run's progress that tells
/// when a device is final (for NDJSON). One channel for both, so news arrives after the evidence its
/// sender sent before it.
#[derive(Debug)]
pub enum Msg {
    Event(Event),
    /// One open port of this address has been analysed: all its events were sent. With its timing
    /// when it was analysed (not with `--no-detect`).
    Analysed(IpAddr, Option<timing::PortTiming>),
    /// Every open port the probes found has been handed to analysis (its `PortOpen` sent).
    PortsDispatched,
    /// Every connect to this address handed so far has finished, and the `PortOpen`s of its open
    /// ports were sent before this ([`crate::discovery::ledger`]).
    HostProbed(IpAddr),
    /// One discovery stage of [`crate::discovery::STAGES`] has ended: every task it started
    /// (its window, its follow-up requests) is done and every event of it was sent before this.
    StageClosed,
    /// ARP, the discovery protocols (with their ONVIF device API calls) and the probes have finished.
    DiscoveryDone,
}

impl From<Event> for Msg {
    fn from(ev: Event) -> Self {
        Msg::Event(ev)
    }
}
