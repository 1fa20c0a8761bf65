//! Wires the stages together and owns the run: targets -> probe pool -> detect -> analyze -> registry
//! -> exporter. Stages are joined by bounded channels so a slow stage pushes back. Ctrl-C and SIGTERM
//! stop the scan, and whatever was found is still written (`"complete": false`).

use std::collections::{HashMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};

use crate::analyze::budget::AuthBudget;
use crate::analyze::rtsp;
use crate::cli::{ColorChoice, Discovery, InterfacesArgs, InterfacesFormat};
use crate::config::ScanConfig;
use crate::detect::{self, Detection};
use crate::discovery::targets::{self, LARGE_LIMIT};
use crate::error::Error;
use crate::export::{self, ExportOptions, Format};
use crate::model::{DiscoveryMethod, Failure, Protocol, Report, SCHEMA_VERSION, Stage};
use crate::probe::{self, OpenPort, ProbeSettings, ProbeStats};
use crate::registry::{Event, Registry};

/// Exit codes (ripgrep/fd style): 0 found a camera or stream, 1 found none, 2 error, 130 SIGINT,
/// 143 SIGTERM.
pub mod exit {
    pub const FOUND: u8 = 0;
    pub const NOTHING: u8 = 1;
    pub const ERROR: u8 = 2;
    pub const SIGINT: u8 = 130;
    pub const SIGTERM: u8 = 143;
}

/// Detections and analyses running at once. Each holds one connection and walks paths one request at
/// a time, so this bounds the load camscan puts on a network of cameras.
const ANALYSIS_CONCURRENCY: usize = 64;
/// How long after SADP/DHIP start a channel walk that met a gap waits for the device's announced
/// channel count (at most `--discovery-wait`).
const ANNOUNCE_GRACE: Duration = Duration::from_millis(500);
/// Channel sizes between stages: small, so a slow stage pushes back on the one before it.
const OPEN_CHANNEL: usize = 256;
const EVENT_CHANNEL: usize = 1024;

/// Whether to colour output going to a stream that is (or is not) a terminal.
/// `auto` honours NO_COLOR (when non-empty) and TERM=dumb.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Run a scan to the end (or to a signal) and write the report. Returns the exit code.
/// `progress`: draw a progress bar on stderr (only drawn when stderr is a terminal).
pub async fn run(cfg: ScanConfig, progress: bool) -> Result<u8, Error> {
    let started = Instant::now();
    crate::timing::start();
    let started_at = jiff::Timestamp::now();
    let locals = crate::net::interfaces::list().map_err(Error::Interfaces)?;
    let mut target_specs = cfg.targets.clone();
    if target_specs.is_empty() {
        // No targets: the attached private subnets (`camscan interfaces` shows this plan).
        let plan =
            crate::net::interfaces::plan(locals.clone(), cfg.interface.as_deref(), cfg.allow_large);
        target_specs = plan.iter().filter(|n| n.scan).map(|n| n.cidr()).collect();
        if target_specs.is_empty() {
            let why = plan
                .iter()
                .filter_map(|n| {
                    Some(format!(
                        "{} {}: {}",
                        n.interface,
                        n.cidr(),
                        n.reason.as_ref()?
                    ))
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::NoLocalNetworks(if why.is_empty() {
                "no IPv4 interface".into()
            } else {
                why
            }));
        }
        tracing::warn!(
            "no targets given: scanning attached subnets {}",
            target_specs.join(", ")
        );
    }
    let set = targets::build(&target_specs, &cfg.exclude, RESOLVE_TIMEOUT).await?;
    if set.is_empty() {
        return Err(Error::NoTargets);
    }
    if set.len() > LARGE_LIMIT && !cfg.allow_large {
        return Err(Error::TooLarge {
            count: set.len(),
            limit: LARGE_LIMIT,
        });
    }
    if let Some(ip) = set.first_public().filter(|_| !cfg.allow_public) {
        return Err(Error::PublicTarget {
            target: ip.to_string(),
        });
    }
    // Check the output path before spending minutes scanning.
    if let Some(path) = &cfg.output {
        check_writable(path)?;
    }
    // NDJSON is written while the scan runs: open its file (a temporary one until the end) now.
    let mut collector = Collector {
        lines: match cfg.format {
            Format::Ndjson => Some(NdjsonStream::open(cfg.output.as_deref())?),
            _ => None,
        },
        finality: Finality::default(),
        timings: crate::timing::enabled().then(Timings::default),
    };

    let fd_limit = crate::net::raise_fd_limit();
    let derived = crate::net::default_concurrency(fd_limit);
    let concurrency = match cfg.concurrency {
        Some(n) if n > derived && !crate::net::fits_fd_limit(n, fd_limit) => {
            tracing::warn!(
                "concurrency {n} needs more sockets than the open-file limit ({fd_limit}) allows; using {derived}"
            );
            derived
        }
        Some(n) => n,
        None => derived,
    };
    tracing::info!(
        addresses = %set.len(),
        ports = cfg.ports.len(),
        concurrency,
        "scanning"
    );

    let mut registry = Registry::new(set.hostnames().clone());
    let (open_tx, open_rx) = mpsc::channel::<OpenPort>(OPEN_CHANNEL);
    let (ev_tx, mut ev_rx) = mpsc::channel::<Msg>(EVENT_CHANNEL);
    let stats = Arc::new(ProbeStats::default());
    let probe_settings = ProbeSettings {
        connect_timeout: cfg.connect_timeout,
        concurrency,
        per_host: cfg.per_host,
        retries: cfg.retries,
    };
    // Set once SADP/DHIP have finished: channel walks that meet a gap wait for their counts.
    let (announce_tx, announce_rx) = tokio::sync::watch::channel(false);
    let rtsp_settings = rtsp::RtspSettings {
        connect_timeout: cfg.connect_timeout,
        timeout: cfg.timeout,
        detect_timeout: cfg.detect_timeout,
        extra_paths: cfg.hints.rtsp_paths(),
        credentials: Arc::new(cfg.credentials.clone()),
        budget: Arc::new(AuthBudget::new(cfg.auth_budget)),
        use_auth: !cfg.no_auth,
        show_credentials: cfg.show_credentials,
        verify: cfg.verify,
        verify_window: cfg.verify_window,
        ffprobe: cfg.ffprobe.clone(),
        claimed: Default::default(),
        channel_counts: Default::default(),
        announcements_done: announce_rx,
        announced_now: Default::default(),
        stun_ports: cfg.stun_ports.clone(),
        sessions: Arc::new(crate::analyze::sessions::DeviceSessions::new(
            cfg.sessions_per_device,
        )),
        hints: Arc::new(cfg.hints.clone()),
    };
    // Attached networks where ARP can tell who is alive (not loopback: lo has no ARP), and the
    // interface addresses for multicast discovery: those whose network holds targets.
    let attached: Vec<&crate::net::interfaces::LocalNet> = locals
        .iter()
        .filter(|n| !n.loopback && n.mac.is_some())
        .collect();
    let on_link: Vec<targets::AddrRange> = attached
        .iter()
        .map(|n| targets::AddrRange::ipv4_net(n.network(), n.prefix))
        .collect();
    let vendor_ifs: Vec<crate::discovery::vendor::Interface> = attached
        .iter()
        .zip(&on_link)
        .filter(|(_, net)| !set.split(&[**net]).0.is_empty())
        .map(|(n, _)| crate::discovery::vendor::Interface {
            local: n.ip,
            broadcast: crate::discovery::vendor::broadcast(n.ip, n.prefix),
        })
        .collect();
    let multicast_ifs: Vec<Ipv4Addr> = vendor_ifs.iter().map(|i| i.local).collect();
    let links: Vec<crate::discovery::arp::Link> = attached
        .iter()
        .filter_map(|n| {
            Some(crate::discovery::arp::Link {
                interface: n.interface.clone(),
                ip: n.ip,
                mac: crate::proto::arp::parse_mac(n.mac.as_deref()?)?,
            })
        })
        .collect();
    let stages = Stages {
        set,
        on_link,
        links,
        multicast_ifs,
        vendor_ifs,
        methods: cfg.discovery.clone(),
        discovery_wait: cfg.discovery_wait,
        ports: cfg.ports.clone(),
        probe: probe_settings,
        stats: stats.clone(),
        onvif: crate::analyze::onvif::OnvifSettings {
            connect_timeout: cfg.connect_timeout,
            timeout: cfg.timeout,
            credentials: rtsp_settings.credentials.clone(),
            budget: rtsp_settings.budget.clone(),
            use_auth: rtsp_settings.use_auth,
        },
        rtsp: rtsp_settings.clone(),
        announced: announce_tx,
    };
    let prober = tokio::spawn(discover_and_probe(stages, ev_tx.clone(), open_tx));
    let dispatcher = tokio::spawn(dispatch(open_rx, ev_tx, rtsp_settings, cfg.detect));
    let bar = progress.then(|| progress_bar(stats.clone()));

    let mut interrupted: Option<u8> = None;
    // NDJSON to a pipe whose reader is gone: stop scanning, quietly.
    let mut pipe_closed = false;
    let mut sigterm = sigterm_stream();
    loop {
        tokio::select! {
            msg = ev_rx.recv() => match msg {
                Some(msg) => {
                    collector.collect(msg, &mut registry);
                    if collector.lines.as_ref().is_some_and(NdjsonStream::reader_gone) {
                        pipe_closed = true;
                        break;
                    }
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => { interrupted = Some(exit::SIGINT); break; }
            _ = recv_sigterm(&mut sigterm) => { interrupted = Some(exit::SIGTERM); break; }
        }
    }
    if let Some((bar, task)) = bar {
        task.abort();
        bar.finish_and_clear();
    }
    if interrupted.is_some() || pipe_closed {
        if interrupted.is_some() {
            tracing::warn!(
                "interrupted: writing the {} device(s) found so far",
                registry.len()
            );
        }
        prober.abort();
        dispatcher.abort();
        // Take what is already queued: it was found before the signal.
        while let Ok(msg) = ev_rx.try_recv() {
            if let Msg::Event(ev) = msg {
                registry.apply(ev);
            }
        }
    }

    let report = Report {
        schema_version: SCHEMA_VERSION,
        camscan_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started_at.to_string(),
        finished_at: jiff::Timestamp::now().to_string(),
        complete: interrupted.is_none() && !pipe_closed,
        targets: target_specs.clone(),
        devices: registry.devices(),
    };
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
    match collector.lines {
        Some(lines) => lines.finish(&mut collector.finality.written, &report.devices)?,
        None => write_report(&cfg, &report)?,
    }
    Ok(match interrupted {
        Some(code) => code,
        None if report.found_cameras() => exit::FOUND,
        None => exit::NOTHING,
    })
}

/// What the collector receives: evidence for the registry, and news of the run's progress that tells
/// when a device is final (for NDJSON). One channel for both, so news arrives after the evidence its
/// sender sent before it.
#[derive(Debug)]
enum Msg {
    Event(Event),
    /// One open port of this address has been analysed: all its events were sent. With its timing
    /// when it was analysed (not with `--no-detect`).
    Analysed(IpAddr, Option<crate::timing::PortTiming>),
    /// Every open port the probes found has been handed to analysis (its `PortOpen` sent).
    PortsDispatched,
    /// ARP, the discovery protocols (with their ONVIF device API calls) and the probes have finished.
    DiscoveryDone,
}

impl From<Event> for Msg {
    fn from(ev: Event) -> Self {
        Msg::Event(ev)
    }
}

/// What the collector keeps beside the registry: when devices are final, for the NDJSON stream
/// (written as they become final) and the timing log (a line per final device).
struct Collector {
    lines: Option<NdjsonStream>,
    finality: Finality,
    /// Only when the `camscan::timing` log is on.
    timings: Option<Timings>,
}

/// Port timings per address until their device is final, and when the run's stages ended.
#[derive(Debug, Default)]
struct Timings {
    ports: HashMap<IpAddr, Vec<crate::timing::PortTiming>>,
    discovery_done_ms: Option<u64>,
    dispatched_ms: Option<u64>,
}

impl Collector {
    /// Apply one message: events to the registry, progress to [`Finality`]; then write the devices
    /// that became final to the NDJSON stream and log their timing.
    fn collect(&mut self, msg: Msg, registry: &mut Registry) {
        if self.lines.is_none() && self.timings.is_none() {
            if let Msg::Event(ev) = msg {
                registry.apply(ev);
            }
            return;
        }
        let f = &mut self.finality;
        match msg {
            Msg::Event(ev) => {
                if let Event::PortOpen { ip, .. } = &ev {
                    f.port_open(*ip);
                }
                registry.apply(ev);
            }
            Msg::Analysed(ip, timing) => {
                f.analysed(ip);
                if let (Some(t), Some(port)) = (self.timings.as_mut(), timing) {
                    tracing::debug!(target: crate::timing::TARGET, %ip, port = port.port,
                        end_ms = port.end_ms, "timing: port {ip}:{}", port.breakdown());
                    t.ports.entry(ip).or_default().push(port);
                }
            }
            Msg::PortsDispatched => {
                f.ports_dispatched = true;
                if let Some(t) = self.timings.as_mut() {
                    t.dispatched_ms = Some(crate::timing::now_ms());
                }
            }
            Msg::DiscoveryDone => {
                f.discovery_done = true;
                if let Some(t) = self.timings.as_mut() {
                    t.discovery_done_ms = Some(crate::timing::now_ms());
                }
            }
        }
        for group in self.finality.take_final(registry) {
            if let Some(t) = self.timings.as_mut() {
                // Taken out: a final device's ports get no more timings.
                let taken: Vec<_> = group.iter().filter_map(|ip| t.ports.remove(ip)).collect();
                let ports: Vec<_> = taken.iter().flatten().collect();
                let analysed_ms = ports.iter().map(|p| p.end_ms).max().unwrap_or(0);
                tracing::debug!(
                    target: crate::timing::TARGET,
                    ip = %group[0],
                    addresses = group.len(),
                    final_ms = crate::timing::now_ms(),
                    analysed_ms,
                    discovery_done_ms = t.discovery_done_ms.unwrap_or(0),
                    dispatched_ms = t.dispatched_ms.unwrap_or(0),
                    "timing: device {}: {}",
                    group[0],
                    crate::timing::device_breakdown(ports)
                );
            }
            if let Some(lines) = self.lines.as_mut()
                && let Some(device) = registry.render(&group)
            {
                lines.write(&device);
            }
        }
    }
}

/// Decides when a device is final: when no event can change it any more (README "NDJSON output").
///
/// Events about an address come from discovery (ARP, WS-Discovery and the ONVIF device API, SSDP,
/// SADP, DHIP), from the probes (`PortOpen`, sent when an open port is handed to analysis) and from
/// each port's analysis. So once discovery has finished and every open port has been handed out, an
/// address is final when the analyses of all its ports have finished. What merges addresses into
/// one device (MAC, serial, ONVIF endpoint, UPnP UDN) comes only from discovery, so from then on the
/// merging is fixed, and a device is final when all of its addresses are.
#[derive(Debug, Default)]
struct Finality {
    /// Port analyses handed out and not yet finished, per address.
    running: HashMap<IpAddr, usize>,
    discovery_done: bool,
    ports_dispatched: bool,
    /// Which addresses make one device, taken from the registry once discovery and dispatch are done.
    groups: Option<Groups>,
    /// Addresses whose last running analysis finished since the last look.
    idle: Vec<IpAddr>,
    /// Devices already final, by first address.
    written: HashSet<IpAddr>,
}

/// Each device's addresses (its own first), and the device of each address.
#[derive(Debug)]
struct Groups {
    list: Vec<Vec<IpAddr>>,
    of: HashMap<IpAddr, usize>,
}

impl Finality {
    fn port_open(&mut self, ip: IpAddr) {
        *self.running.entry(ip).or_default() += 1;
    }

    fn analysed(&mut self, ip: IpAddr) {
        if let Some(n) = self.running.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.idle.push(ip);
            }
        }
    }

    /// The devices (as address groups, first address first) that became final since the last call.
    fn take_final(&mut self, registry: &Registry) -> Vec<Vec<IpAddr>> {
        if !(self.discovery_done && self.ports_dispatched) {
            return Vec::new();
        }
        let first_look = self.groups.is_none();
        let groups = self.groups.get_or_insert_with(|| {
            let list = registry.groups();
            let of = list
                .iter()
                .enumerate()
                .flat_map(|(i, g)| g.iter().map(move |ip| (*ip, i)))
                .collect();
            Groups { list, of }
        });
        let candidates: Vec<usize> = if first_look {
            self.idle.clear();
            (0..groups.list.len()).collect()
        } else {
            self.idle
                .drain(..)
                .filter_map(|ip| groups.of.get(&ip).copied())
                .collect()
        };
        let mut now_final = Vec::new();
        for i in candidates {
            let group = &groups.list[i];
            let idle = group
                .iter()
                .all(|ip| self.running.get(ip).is_none_or(|n| *n == 0));
            if idle && self.written.insert(group[0]) {
                now_final.push(group.clone());
            }
        }
        now_final
    }
}

/// NDJSON written during the scan: each device once, as soon as it is final, to stdout (flushed
/// after every line, for pipelines) or to the temporary file that becomes `-o FILE` at the end.
struct NdjsonStream {
    out: NdjsonOut,
    /// The first write error; nothing more is written after it, and it is reported at the end.
    error: Option<io::Error>,
}

enum NdjsonOut {
    Stdout,
    File(AtomicFile),
}

impl NdjsonStream {
    fn open(output: Option<&Path>) -> Result<Self, Error> {
        let out =
            match output {
                Some(path) => NdjsonOut::File(AtomicFile::create(path).map_err(|source| {
                    Error::WriteOutput {
                        path: path.to_path_buf(),
                        source,
                    }
                })?),
                None => NdjsonOut::Stdout,
            };
        Ok(NdjsonStream { out, error: None })
    }

    fn write(&mut self, device: &crate::model::Device) {
        if self.error.is_some() {
            return;
        }
        tracing::debug!(ip = %device.ip, "device final: written");
        let written = match &mut self.out {
            NdjsonOut::Stdout => {
                let mut out = io::stdout().lock();
                export::write_ndjson_device(device, &mut out).and_then(|_| out.flush())
            }
            NdjsonOut::File(f) => export::write_ndjson_device(device, f),
        };
        self.error = written.err();
    }

    /// Stdout's reader has gone away (`camscan ... | head -1`).
    fn reader_gone(&self) -> bool {
        matches!(self.out, NdjsonOut::Stdout)
            && self
                .error
                .as_ref()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Write the devices not written yet (those still running at an interrupt; `written` holds the
    /// first addresses of those already written), then put the file in place.
    fn finish(
        mut self,
        written: &mut HashSet<IpAddr>,
        devices: &[crate::model::Device],
    ) -> Result<(), Error> {
        for d in devices {
            if written.insert(d.ip) {
                self.write(d);
            }
        }
        match (self.out, self.error) {
            (NdjsonOut::Stdout, Some(e)) if e.kind() != io::ErrorKind::BrokenPipe => {
                Err(Error::WriteOutput {
                    path: "<stdout>".into(),
                    source: e,
                })
            }
            (NdjsonOut::Stdout, _) => Ok(()),
            (NdjsonOut::File(f), error) => {
                let path = f.path.clone();
                let result = match error {
                    Some(e) => Err(e), // dropping `f` removes the temporary file
                    None => f.commit(),
                };
                result.map_err(|source| Error::WriteOutput { path, source })
            }
        }
    }
}

/// A progress bar over probes on stderr, refreshed by a task; hidden when stderr is not a terminal.
fn progress_bar(stats: Arc<ProbeStats>) -> (indicatif::ProgressBar, tokio::task::JoinHandle<()>) {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} probing [{bar:30}] {pos}/{len} probes, {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let b = bar.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            b.set_length(ProbeStats::get(&stats.total));
            b.set_position(ProbeStats::get(&stats.done));
            b.set_message(format!("{} open", ProbeStats::get(&stats.open)));
        }
    });
    (bar, task)
}

/// What the discovery-and-probe stage needs.
struct Stages {
    set: targets::TargetSet,
    on_link: Vec<targets::AddrRange>,
    /// The interface of each `on_link` network, in the same order.
    links: Vec<crate::discovery::arp::Link>,
    multicast_ifs: Vec<Ipv4Addr>,
    /// The same interfaces with their subnet broadcast addresses (SADP, DHIP).
    vendor_ifs: Vec<crate::discovery::vendor::Interface>,
    methods: Vec<Discovery>,
    /// How long the multicast/broadcast methods listen.
    discovery_wait: Duration,
    ports: Vec<u16>,
    probe: ProbeSettings,
    stats: Arc<ProbeStats>,
    onvif: crate::analyze::onvif::OnvifSettings,
    rtsp: rtsp::RtspSettings,
    /// Told `true` when SADP and DHIP (which announce channel counts) have finished.
    announced: tokio::sync::watch::Sender<bool>,
}

/// ARP first (it decides which on-link hosts get probed), then WS-Discovery and SSDP beside the port
/// probes. Returns when all of them are done, after sending [`Msg::DiscoveryDone`].
///
/// Port probes start as soon as their targets are known: off-link targets at once, each on-link
/// host the moment it answers a raw ARP request (not when the sweep ends), one shared pool for all.
async fn discover_and_probe(s: Stages, ev_tx: mpsc::Sender<Msg>, open_tx: mpsc::Sender<OpenPort>) {
    let (batch_tx, mut batch_rx) = mpsc::unbounded_channel::<targets::TargetSet>();
    let probing = if s.methods.contains(&Discovery::Ports) {
        let prober = probe::Prober::new(&s.probe, open_tx, s.stats.clone());
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
    let (probe_set, alive) = if s.methods.contains(&Discovery::Arp) {
        arp_stage(&s.set, &s.on_link, &s.links, &ev_tx, &batch_tx).await
    } else {
        let _ = batch_tx.send(s.set.clone());
        (s.set.clone(), Vec::new())
    };
    drop(batch_tx);
    let onvif = s.methods.contains(&Discovery::Onvif).then(|| {
        tokio::spawn(onvif_stage(
            s.multicast_ifs.clone(),
            alive.clone(),
            probe_set.clone(),
            s.onvif.clone(),
            s.rtsp.clone(),
            s.discovery_wait,
            ev_tx.clone(),
        ))
    });
    let ssdp = (s.methods.contains(&Discovery::Ssdp) && !s.multicast_ifs.is_empty()).then(|| {
        tokio::spawn(ssdp_stage(
            s.multicast_ifs.clone(),
            probe_set.clone(),
            (s.probe.connect_timeout, s.rtsp.timeout),
            s.discovery_wait,
            ev_tx.clone(),
        ))
    });
    let vendor = [Discovery::Sadp, Discovery::Dhip].map(|method| {
        (s.methods.contains(&method) && !(s.vendor_ifs.is_empty() && alive.is_empty())).then(|| {
            tokio::spawn(vendor_stage(
                method,
                s.vendor_ifs.clone(),
                alive.clone(),
                probe_set.clone(),
                s.rtsp.clone(),
                s.discovery_wait,
                ev_tx.clone(),
            ))
        })
    });
    // Channel walks waiting at a gap are released when SADP/DHIP finish or after ANNOUNCE_GRACE,
    // whichever comes first: LAN devices answer within milliseconds, and the rest of the
    // discovery window is for strangers, not for the hosts being walked.
    let announced = s.announced;
    let grace = ANNOUNCE_GRACE.min(s.discovery_wait);
    let vendor = tokio::spawn(async move {
        let mut handles: Vec<_> = vendor.into_iter().flatten().collect();
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
    for handle in [onvif, ssdp].into_iter().flatten() {
        let _ = handle.await;
    }
    let _ = vendor.await;
    // After every stage's events: no discovery fact and no probe result can come any more.
    let _ = ev_tx.send(Msg::DiscoveryDone).await;
}

/// ARP on the on-link part of the targets: raw frames on each interface when the process may open
/// packet sockets, else the unprivileged poke. Returns the addresses to port-probe (off-link
/// targets plus on-link hosts that answered) and the live on-link hosts. The addresses to probe also
/// go to `probe` as soon as they are known: the off-link ones first, then each host as it answers
/// (raw mode) or all of them after the sweep (unprivileged mode).
async fn arp_stage(
    set: &targets::TargetSet,
    on_link: &[targets::AddrRange],
    links: &[crate::discovery::arp::Link],
    tx: &mpsc::Sender<Msg>,
    probe: &mpsc::UnboundedSender<targets::TargetSet>,
) -> (targets::TargetSet, Vec<Ipv4Addr>) {
    use crate::discovery::arp;
    let (inside, outside) = set.split(on_link);
    if inside.is_empty() {
        let _ = probe.send(set.clone());
        return (set.clone(), Vec::new());
    }
    if !outside.is_empty() {
        let _ = probe.send(outside.clone());
    }
    // Hosts handed to the probes already (a raw sweep that fails half-way is followed by the
    // unprivileged one, which finds them again).
    let mut handed: HashSet<Ipv4Addr> = HashSet::new();
    let mut hand = |ip: Ipv4Addr| {
        if handed.insert(ip) {
            let _ = probe.send(targets::TargetSet::default().with_addresses([IpAddr::V4(ip)]));
        }
    };
    let mut alive = Vec::new();
    let mut raw_ok = links.len() == on_link.len();
    for (net, link) in on_link.iter().zip(links) {
        if !raw_ok {
            break;
        }
        let here = inside.split(std::slice::from_ref(net)).0;
        if here.is_empty() {
            continue;
        }
        match arp::sweep_raw(link, &here, &mut hand).await {
            Ok(found) => {
                tracing::info!(
                    hosts = %here.len(),
                    interface = %link.interface,
                    answered = found.len(),
                    "ARP: raw mode (AF_PACKET requests and replies)"
                );
                alive.extend(found);
            }
            Err(e) => {
                tracing::debug!("raw ARP on {}: {e}", link.interface);
                raw_ok = false;
                alive.clear();
            }
        }
    }
    if !raw_ok {
        tracing::info!(
            hosts = %inside.len(),
            "ARP: unprivileged mode (UDP poke, then the kernel neighbour table; root or CAP_NET_RAW allows raw ARP)"
        );
        alive = match arp::sweep(arp::v4(&inside), arp::DEFAULT_WAIT).await {
            Ok(alive) => alive,
            Err(e) => {
                tracing::warn!("ARP sweep failed ({e}); probing every on-link address");
                let _ = probe.send(inside.clone());
                return (set.clone(), Vec::new());
            }
        };
    }
    for n in &alive {
        hand(n.ip);
    }
    let live: Vec<Ipv4Addr> = alive.iter().map(|n| n.ip).collect();
    for n in alive {
        let vendor = crate::discovery::oui::vendor(&n.mac).map(str::to_string);
        let ev = Event::Host {
            ip: n.ip.into(),
            method: DiscoveryMethod::Arp,
            mac: Some(n.mac),
            vendor,
        };
        if tx.send(ev.into()).await.is_err() {
            break;
        }
    }
    // Port probes go only to on-link hosts that answered ARP.
    (
        outside.with_addresses(live.iter().map(|ip| IpAddr::V4(*ip))),
        live,
    )
}

/// WS-Discovery, then the device API of every device that answered (one task each).
async fn onvif_stage(
    ifs: Vec<Ipv4Addr>,
    alive: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    os: crate::analyze::onvif::OnvifSettings,
    rs: rtsp::RtspSettings,
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    if ifs.is_empty() && alive.is_empty() {
        return;
    }
    let found = crate::discovery::wsd::discover(&ifs, &alive, wait, |ip| scope.contains(ip)).await;
    tracing::info!(devices = found.len(), "WS-Discovery finished");
    let mut device_api = tokio::task::JoinSet::new();
    for f in found {
        let ip = f.sender;
        let xaddr = f
            .probe_match
            .xaddrs
            .iter()
            .map(|x| crate::proto::wsd::fix_xaddr(x, ip))
            .find(|x| x.starts_with("http://"));
        if tx.send(onvif_event(f).into()).await.is_err() {
            return;
        }
        if let Some(xaddr) = xaddr {
            let (tx, os, rs) = (tx.clone(), os.clone(), rs.clone());
            device_api.spawn(async move {
                for ev in onvif_device(ip, &xaddr, &os, &rs).await {
                    if tx.send(ev.into()).await.is_err() {
                        return;
                    }
                }
            });
        }
    }
    while device_api.join_next().await.is_some() {}
}

/// SADP/DHIP answers kept per host (an NVR may answer once per interface) and in all.
const MAX_ANSWERS_PER_HOST: usize = 4;
const MAX_ANSWERS: usize = 65_536;

/// A vendor discovery protocol (SADP or DHIP): each target that answers becomes an `Announce` event
/// as soon as its answer is read, and its channel count goes to the RTSP channel walk.
async fn vendor_stage(
    method: Discovery,
    ifs: Vec<crate::discovery::vendor::Interface>,
    alive: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    rs: rtsp::RtspSettings,
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    use crate::discovery::vendor::{Query, query};
    use crate::proto::{dhip, sadp};
    let (q, protocol) = match method {
        Discovery::Sadp => {
            let uuid = crate::discovery::vendor::random_uuid();
            let datagrams = sadp::probes(&uuid).map(String::into_bytes).to_vec();
            let q = Query {
                name: "SADP",
                port: sadp::PORT,
                group: sadp::GROUP,
                datagrams,
            };
            (q, Some(uuid))
        }
        _ => {
            let q = Query {
                name: "DHIP",
                port: dhip::PORT,
                group: dhip::GROUP,
                datagrams: vec![dhip::search()],
            };
            (q, None)
        }
    };
    let (answers_tx, mut answers_rx) = mpsc::unbounded_channel::<Event>();
    let mut seen: Vec<(std::net::IpAddr, crate::model::Announcement)> = Vec::new();
    let seen_ref = &mut seen;
    let on_answer = move |ip: std::net::IpAddr, bytes: &[u8]| {
        let (info, vendor) = match &protocol {
            Some(uuid) => match sadp::parse(bytes) {
                // An answer to another SADP client's inquiry is not ours to report.
                Some(r)
                    if r.uuid
                        .as_deref()
                        .is_none_or(|u| u.eq_ignore_ascii_case(uuid)) =>
                {
                    (
                        r.info,
                        Some(crate::knowledge::display_name(
                            crate::knowledge::vendors::HIKVISION,
                        )),
                    )
                }
                _ => return,
            },
            None => match dhip::parse(bytes) {
                Ok(r) => (
                    r.info,
                    r.vendor.or_else(|| {
                        Some(crate::knowledge::display_name(
                            crate::knowledge::vendors::DAHUA,
                        ))
                    }),
                ),
                Err(e) => {
                    tracing::debug!(%ip, "DHIP: {e}");
                    return;
                }
            },
        };
        if seen_ref.iter().any(|(i, a)| *i == ip && *a == info) {
            return; // the same answer to the multicast, broadcast and unicast query
        }
        // A device that keeps sending different answers is not worth more memory.
        let from_ip = seen_ref.iter().filter(|(i, _)| *i == ip).count();
        if from_ip >= MAX_ANSWERS_PER_HOST || seen_ref.len() >= MAX_ANSWERS {
            return;
        }
        seen_ref.push((ip, info.clone()));
        if let Some(n) = info.channels.filter(|n| *n > 0) {
            rs.announce_channels(ip, n);
        }
        let method = match method {
            Discovery::Sadp => DiscoveryMethod::Sadp,
            _ => DiscoveryMethod::Dhip,
        };
        let _ = answers_tx.send(Event::Announce {
            ip,
            method,
            info: Box::new(info),
            vendor,
        });
    };
    let forward = async {
        while let Some(ev) = answers_rx.recv().await {
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
    };
    let ask = async move {
        query(&q, &ifs, &alive, wait, |ip| scope.contains(ip), on_answer).await;
    };
    // `ask` owns the answer sender: when it ends, `forward` drains the rest and ends too.
    tokio::join!(ask, forward);
    tracing::info!(devices = seen.len(), "{method:?} finished");
}

/// SSDP, and the description of every device that answered.
async fn ssdp_stage(
    ifs: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    (connect_timeout, timeout): (Duration, Duration),
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    let found = crate::discovery::ssdp::discover(&ifs, wait, connect_timeout, timeout, |ip| {
        scope.contains(ip)
    })
    .await;
    tracing::info!(devices = found.len(), "SSDP finished");
    for f in found {
        if let Some(message) = f.error {
            let failure = Failure {
                stage: Stage::Probe,
                port: None,
                message,
            };
            if tx
                .send(
                    Event::Failure {
                        ip: f.sender,
                        failure,
                    }
                    .into(),
                )
                .await
                .is_err()
            {
                return;
            }
        }
        let info = f.description.unwrap_or_default();
        let is_camera = crate::proto::ssdp::is_camera(&info);
        let ev = Event::Upnp {
            ip: f.sender,
            info: Box::new(info),
            is_camera,
        };
        if tx.send(ev.into()).await.is_err() {
            return;
        }
    }
}

/// Ask an ONVIF device who it is and analyse the streams it names.
async fn onvif_device(
    ip: std::net::IpAddr,
    xaddr: &str,
    os: &crate::analyze::onvif::OnvifSettings,
    rs: &rtsp::RtspSettings,
) -> Vec<Event> {
    let f = crate::analyze::onvif::analyze(ip, xaddr, os).await;
    let mut events = Vec::new();
    if let Some(info) = f.info {
        events.push(Event::Identity {
            ip,
            vendor: info.manufacturer,
            model: info.model,
            firmware: info.firmware,
            serial: info.serial,
        });
    }
    let fail = |message: String| Event::Failure {
        ip,
        failure: Failure {
            stage: Stage::Analyze,
            port: None,
            message,
        },
    };
    events.extend(f.failures.into_iter().map(fail));
    let uri_of = |list: &[(String, String)], token: &str| {
        list.iter()
            .find(|(t, _)| t == token)
            .map(|(_, u)| u.clone())
    };
    let profiles = f
        .profiles
        .iter()
        .map(|p| crate::model::OnvifProfile {
            token: p.token.clone(),
            name: p.name.clone(),
            encoding: p.encoding.clone(),
            width: p.width,
            height: p.height,
            fps: p.fps,
            service: if f.media2 { "media2" } else { "media" }.to_string(),
            stream_uri: uri_of(&f.stream_uris, &p.token),
            snapshot_uri: uri_of(&f.snapshot_uris, &p.token),
        })
        .collect();
    events.push(Event::OnvifProfiles { ip, profiles });
    // Each stream not already taken by its RTSP port's analysis, within the device's session cap.
    let mut targets = Vec::new();
    for (_token, uri) in f.stream_uris {
        let Some((addr, path)) = crate::analyze::onvif::rtsp_target(&uri) else {
            events.push(fail(format!("ONVIF stream URI {uri} is not rtsp://")));
            continue;
        };
        if rs.claim(&crate::net::rtsp::url(addr, &path)) {
            targets.push((addr, path));
        }
    }
    use futures::StreamExt;
    let described: Vec<_> = futures::stream::iter(targets)
        .map(|(addr, path)| async move { rtsp::describe_stream(addr, &path, rs).await })
        .buffered(rs.sessions.cap())
        .collect()
        .await;
    for d in described {
        match d {
            Ok((stream, note)) => {
                events.push(Event::Stream {
                    ip,
                    stream: Box::new(stream),
                });
                if let Some(n) = note {
                    events.push(fail(n));
                }
            }
            Err(e) => events.push(fail(e.to_string())),
        }
    }
    events
}

/// The registry event for one WS-Discovery answer.
fn onvif_event(f: crate::discovery::wsd::Found) -> Event {
    let m = f.probe_match;
    let scopes = crate::proto::wsd::scope_info(&m.scopes);
    let is_camera = m
        .types
        .iter()
        .any(|t| t.to_ascii_lowercase().ends_with("networkvideotransmitter"));
    Event::Onvif {
        ip: f.sender,
        name: scopes.name,
        model: scopes.hardware,
        vendor: scopes.manufacturer,
        mac: scopes.mac,
        is_camera,
        info: Box::new(crate::model::OnvifInfo {
            endpoint: m.endpoint,
            xaddrs: m
                .xaddrs
                .iter()
                .map(|x| crate::proto::wsd::fix_xaddr(x, f.sender))
                .collect(),
            types: m.types,
            scopes: m.scopes,
            profiles: Vec::new(),
        }),
    }
}

/// Detect and analyse each open port as it arrives, with bounded concurrency. Each port's analysis
/// ends with [`Msg::Analysed`]; [`Msg::PortsDispatched`] follows the last port handed out.
async fn dispatch(
    mut open_rx: mpsc::Receiver<OpenPort>,
    ev_tx: mpsc::Sender<Msg>,
    settings: rtsp::RtspSettings,
    detect: bool,
) {
    let pool = Arc::new(Semaphore::new(ANALYSIS_CONCURRENCY));
    let settings = Arc::new(settings);
    // Hosts whose `--stun-ports` UDP Bindings were handed out (with their first open port).
    let mut stun_hosts: HashSet<IpAddr> = HashSet::new();
    while let Some(OpenPort { addr }) = open_rx.recv().await {
        let ip = addr.ip();
        let opened = Event::PortOpen {
            ip,
            port: addr.port(),
        };
        if ev_tx.send(opened.into()).await.is_err() {
            return;
        }
        if !detect {
            let _ = ev_tx.send(Msg::Analysed(ip, None)).await;
            continue;
        }
        let Ok(permit) = pool.clone().acquire_owned().await else {
            return;
        };
        let tx = ev_tx.clone();
        let settings = settings.clone();
        let udp_stun = !settings.stun_ports.is_empty() && stun_hosts.insert(ip);
        tokio::spawn(async move {
            let udp = async {
                if udp_stun {
                    udp_stun_events(ip, &settings).await
                } else {
                    Vec::new()
                }
            };
            let ((mut events, udp), timing) = crate::timing::port(addr.port(), async {
                tokio::join!(analyze_port(addr, &settings), udp)
            })
            .await;
            events.extend(udp);
            for ev in events {
                if tx.send(ev.into()).await.is_err() {
                    break;
                }
            }
            // After this port's events, on the same channel: the collector sees them first.
            let _ = tx.send(Msg::Analysed(ip, Some(timing))).await;
            drop(permit);
        });
    }
    let _ = ev_tx.send(Msg::PortsDispatched).await;
    let _ = pool.acquire_many(ANALYSIS_CONCURRENCY as u32).await;
}

/// A `webrtc` service for a STUN server's answer on `addr` over `transport`.
fn stun_service(
    addr: std::net::SocketAddr,
    transport: crate::model::Transport,
    r: &crate::proto::stun::StunResponse,
) -> Event {
    Event::Service {
        ip: addr.ip(),
        service: crate::model::Service {
            port: addr.port(),
            transport,
            protocol: Protocol::Webrtc,
            server: r.software.clone(),
            auth: crate::model::AuthScheme::None,
            realm: None,
            methods: Vec::new(),
            title: None,
            product: Some(crate::analyze::webrtc::describe(r)),
            tls: None,
            note: None,
        },
    }
}

/// `--stun-ports` over UDP to one host (one with an open TCP port): a Binding to each port at
/// once. Silence and ICMP port-unreachable are the normal "nothing there"; anything else that
/// fails is recorded.
async fn udp_stun_events(ip: IpAddr, settings: &rtsp::RtspSettings) -> Vec<Event> {
    let asks = settings.stun_ports.iter().map(|&port| async move {
        let addr = std::net::SocketAddr::new(ip, port);
        match crate::analyze::webrtc::binding_udp(addr, settings.timeout).await {
            Ok(r) => Some(stun_service(addr, crate::model::Transport::Udp, &r)),
            Err(
                crate::error::NetError::Timeout { .. } | crate::error::NetError::Connect { .. },
            ) => None,
            Err(e) => Some(Event::Failure {
                ip,
                failure: Failure {
                    stage: Stage::Analyze,
                    port: Some(port),
                    message: e.to_string(),
                },
            }),
        }
    });
    futures::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Everything one open port yields.
async fn analyze_port(addr: std::net::SocketAddr, settings: &rtsp::RtspSettings) -> Vec<Event> {
    let ip = addr.ip();
    let port = addr.port();
    let stun_first =
        port == crate::analyze::webrtc::STUN_PORT || settings.stun_ports.contains(&port);
    let detected = crate::timing::phase(
        "detect",
        detect::detect(
            addr,
            settings.connect_timeout,
            settings.detect_timeout,
            stun_first,
        ),
    )
    .await;
    match detected {
        Err(e) => vec![Event::Failure {
            ip,
            failure: Failure {
                stage: Stage::Detect,
                port: Some(port),
                message: e.to_string(),
            },
        }],
        Ok(None) => {
            tracing::debug!(%addr, "open port speaks no protocol we detect");
            vec![]
        }
        Ok(Some(Detection::Http { reply, tls })) => {
            crate::timing::phase("http", http_events(addr, &reply, tls, settings)).await
        }
        Ok(Some(Detection::Stun { response })) => {
            let service =
                |transport, r: &crate::proto::stun::StunResponse| stun_service(addr, transport, r);
            let mut events = vec![service(crate::model::Transport::Tcp, &response)];
            // STUN servers listen on UDP too, where WebRTC clients use them.
            let udp = crate::analyze::webrtc::binding_udp(addr, settings.timeout);
            match crate::timing::phase("stun", udp).await {
                Ok(r) => events.push(service(crate::model::Transport::Udp, &r)),
                Err(e) => events.push(Event::Failure {
                    ip,
                    failure: Failure {
                        stage: Stage::Analyze,
                        port: Some(port),
                        message: e.to_string(),
                    },
                }),
            }
            events
        }
        Ok(Some(Detection::Rtmp)) => {
            let f = crate::timing::phase(
                "rtmp",
                crate::analyze::rtmp::analyze(
                    addr,
                    settings.connect_timeout,
                    settings.timeout,
                    &settings.hints,
                ),
            )
            .await;
            let mut service = crate::model::Service {
                port,
                transport: crate::model::Transport::Tcp,
                protocol: Protocol::Rtmp,
                server: None,
                auth: crate::model::AuthScheme::None,
                realm: None,
                methods: Vec::new(),
                title: None,
                product: None,
                tls: None,
                note: f.note,
            };
            if f.streams.is_empty() {
                service.auth = crate::model::AuthScheme::Unknown;
            }
            let mut events = vec![Event::Service { ip, service }];
            events.extend(found_events(ip, port, f.streams, f.failures));
            events
        }
        Ok(Some(Detection::Rtsp { client, options })) => {
            let f = crate::timing::phase("rtsp", rtsp::analyze(client, &options, settings)).await;
            let mut events = vec![Event::Service {
                ip,
                service: f.service,
            }];
            events.extend(f.streams.into_iter().map(|stream| Event::Stream {
                ip,
                stream: Box::new(stream),
            }));
            events.extend(
                f.failures
                    .into_iter()
                    .map(|failure| Event::Failure { ip, failure }),
            );
            // Some servers answer RTSP and HTTP on one port (VLC's HTTP output answers OPTIONS in
            // RTSP): with no RTSP stream found, ask the port in HTTP too. An RTSP server's own
            // RTSP-over-HTTP tunnel is no web service: GStreamer's answers a plain `GET` with
            // `503` (no length, connection left open), so a 503 ends it; and what the HTTP side
            // says is kept only when it found a stream (the port is then a web server too).
            if !events.iter().any(|e| matches!(e, Event::Stream { .. }))
                && let Ok(reply) = crate::net::rtsp::http_get(
                    addr,
                    "/",
                    settings.connect_timeout,
                    settings.timeout,
                )
                .await
                && reply.head.protocol == crate::proto::response::HeadProtocol::Http
                && reply.head.status != 503
            {
                let http =
                    crate::timing::phase("http", http_events(addr, &reply, None, settings)).await;
                if http.iter().any(|e| matches!(e, Event::Stream { .. })) {
                    events.extend(http);
                } else {
                    tracing::debug!(%addr, status = reply.head.status, "RTSP port's HTTP side serves no stream");
                }
            }
            events
        }
    }
}

/// `Hikvision DS-2CD2143G2-I (camera-ui)`, `Janus WebRTC Server (video-server)`: the product, with the
/// vendor in front unless the product already names it, and the kind.
fn product_name(vendor: Option<&str>, fp: &crate::detect::fingerprint::Fingerprint) -> String {
    let name = match (vendor, fp.product.as_deref()) {
        (Some(v), Some(p)) if p.to_ascii_lowercase().contains(&v.to_ascii_lowercase()) => p.into(),
        (Some(v), Some(p)) => format!("{v} {p}"),
        (Some(v), None) => v.into(),
        (None, Some(p)) => p.into(),
        (None, None) => "web server".into(),
    };
    format!("{name} ({})", fp.kind.as_str())
}

/// An HTTP port: its service, and the media it serves.
async fn http_events(
    addr: std::net::SocketAddr,
    reply: &crate::net::rtsp::Reply,
    tls: Option<crate::net::tls::TlsInfo>,
    settings: &rtsp::RtspSettings,
) -> Vec<Event> {
    let (ip, port) = (addr.ip(), addr.port());
    let hs = crate::analyze::http::HttpSettings {
        connect_timeout: settings.connect_timeout,
        timeout: settings.timeout,
        window: settings.verify_window,
        tls: tls.is_some(),
        hint_paths: Arc::new(settings.hints.http_paths()),
        verify: settings.verify,
    };
    // Boxed: the HTTP analysis is a large future (many paths, each with its media readers), and
    // inline in every port task it overflowed a worker thread's stack in debug builds.
    let f = Box::pin(crate::analyze::http::analyze(addr, reply, &hs)).await;
    let mut service = detect::head::service(port, Protocol::Http, &reply.head);
    service.tls = tls.as_ref().map(|t| t.summary.clone());
    service.title = f.title.clone();
    service.note = f.note.clone();
    let mut events = Vec::new();
    if let Some(fp) = &f.fingerprint {
        use crate::detect::fingerprint::{CLAIM_CONFIDENCE, Kind};
        let claimed = fp.confidence >= CLAIM_CONFIDENCE && fp.kind != Kind::Generic;
        if claimed {
            let vendor = fp.vendor.map(|v| v.display_name().to_string());
            service.product = Some(product_name(vendor.as_deref(), fp));
            events.push(Event::Fingerprint {
                ip,
                port,
                vendor,
                model: fp.product.clone(),
                is_camera: fp.kind.is_video(),
                evidence: fp.evidence.clone(),
            });
        }
    }
    events.insert(0, Event::Service { ip, service });
    // A WebRTC gateway API or a WHEP endpoint makes the port a `webrtc` service too.
    let whep = f.streams.iter().any(|st| st.protocol == Protocol::Webrtc);
    let webrtc_product = f
        .webrtc_gateway
        .or_else(|| whep.then(|| "WHEP endpoint".to_string()));
    if let Some(product) = webrtc_product {
        let mut service = detect::head::service(port, Protocol::Webrtc, &reply.head);
        service.product = Some(product);
        service.tls = tls.map(|t| t.summary);
        events.push(Event::Service { ip, service });
    }
    events.extend(found_events(ip, port, f.streams, f.failures));
    events
}

/// The streams one port's analysis found and the failures it met, as registry events.
fn found_events(
    ip: IpAddr,
    port: u16,
    streams: Vec<crate::model::Stream>,
    failures: Vec<String>,
) -> impl Iterator<Item = Event> {
    let streams = streams.into_iter().map(move |stream| Event::Stream {
        ip,
        stream: Box::new(stream),
    });
    let failures = failures.into_iter().map(move |message| Event::Failure {
        ip,
        failure: Failure {
            stage: Stage::Analyze,
            port: Some(port),
            message,
        },
    });
    streams.chain(failures)
}

#[cfg(unix)]
type SigTerm = Option<tokio::signal::unix::Signal>;
#[cfg(unix)]
fn sigterm_stream() -> SigTerm {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
}
#[cfg(unix)]
async fn recv_sigterm(s: &mut SigTerm) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}
#[cfg(not(unix))]
type SigTerm = ();
#[cfg(not(unix))]
fn sigterm_stream() -> SigTerm {}
#[cfg(not(unix))]
async fn recv_sigterm(_: &mut SigTerm) {
    std::future::pending().await
}

fn export_options(cfg: &ScanConfig, to_terminal: bool) -> ExportOptions {
    ExportOptions {
        color: cfg.format == Format::Table && use_color(cfg.color, to_terminal),
        width: if to_terminal {
            comfy_table::Table::new().width()
        } else {
            None
        },
        detail: cfg.detail,
        csv_delimiter: cfg.csv_delimiter,
    }
}

/// The directory a file will be written in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn check_writable(path: &Path) -> Result<(), Error> {
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(Error::WriteOutput {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::NotFound, "directory does not exist"),
        });
    }
    Ok(())
}

/// Write the report to `-o FILE` atomically (temp file in the same directory, then rename) or to stdout.
/// A closed stdout pipe (`camscan ... | head`) is not an error.
fn write_report(cfg: &ScanConfig, report: &Report) -> Result<(), Error> {
    match &cfg.output {
        Some(path) => {
            let exporter = export::exporter(cfg.format, export_options(cfg, false));
            write_atomically(path, |w| exporter.write(report, w)).map_err(|source| {
                Error::WriteOutput {
                    path: path.clone(),
                    source,
                }
            })
        }
        None => {
            let stdout = io::stdout();
            let exporter = export::exporter(cfg.format, export_options(cfg, stdout.is_terminal()));
            let mut lock = io::BufWriter::new(stdout.lock());
            match exporter.write(report, &mut lock).and_then(|_| lock.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(source) => Err(Error::WriteOutput {
                    path: "<stdout>".into(),
                    source,
                }),
                Ok(()) => Ok(()),
            }
        }
    }
}

pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(&mut file)?;
    file.commit()
}

/// A file written under a temporary name in its own directory and renamed over `path` by
/// [`AtomicFile::commit`], so readers see the old file or the whole new one. Dropped without a
/// commit, it removes the temporary file.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    /// `None` once committed.
    writer: Option<io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "camscan-output".into());
        let tmp = parent_dir(path).join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            writer: Some(io::BufWriter::new(file)),
        })
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(w) = self.writer.take() else {
            return Ok(());
        };
        let result = w
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .and_then(|_| std::fs::rename(&self.tmp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().map_or(Ok(()), |w| w.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            drop(w);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// `camscan interfaces`: print the interfaces and the scan plan. Sends nothing.
#[allow(clippy::print_stdout)]
pub fn interfaces(args: &InterfacesArgs) -> Result<u8, Error> {
    let nets = crate::net::interfaces::list().map_err(Error::Interfaces)?;
    let plan = crate::net::interfaces::plan(nets, args.interface.as_deref(), args.allow_large);
    let mut out = io::stdout().lock();
    let written = if args.format == InterfacesFormat::Json {
        serde_json::to_writer_pretty(&mut out, &plan)
            .map_err(io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(["Interface", "Address", "Subnet", "MAC", "Scan", "Why not"]);
        for n in &plan {
            t.add_row(vec![
                n.interface.clone(),
                format!("{}/{}", n.ip, n.prefix),
                n.cidr(),
                n.mac.clone().unwrap_or_default(),
                if n.scan { "yes".into() } else { "no".into() },
                n.reason.clone().unwrap_or_default(),
            ]);
        }
        writeln!(out, "{t}")
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "<stdout>".into(),
            source,
        }),
        Ok(()) => Ok(if plan.iter().any(|n| n.scan) {
            exit::FOUND
        } else {
            exit::NOTHING
        }),
    }
}

/// Used by `main` to decide colour of logs before the config file is read.
pub fn log_color(choice: Option<ColorChoice>) -> bool {
    use_color(choice.unwrap_or_default(), io::stderr().is_terminal())
}

/// Timeout for host-name resolution; DNS has its own retries, so this only guards a hung resolver.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choices() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }

    #[test]
    fn a_device_is_final_when_nothing_more_can_come_for_it() {
        let [a, b, c, d] =
            ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].map(|s| s.parse::<IpAddr>().unwrap());
        let mut r = Registry::default();
        let mut f = Finality::default();
        // b and c are one box (same MAC); d only answered ARP.
        for (ip, mac) in [
            (b, "02:00:00:00:00:02"),
            (c, "02:00:00:00:00:02"),
            (d, "02:00:00:00:00:04"),
        ] {
            r.apply(Event::Host {
                ip,
                method: DiscoveryMethod::Arp,
                mac: Some(mac.into()),
                vendor: None,
            });
        }
        for (ip, port) in [(a, 80), (a, 554), (c, 554)] {
            f.port_open(ip);
            r.apply(Event::PortOpen { ip, port });
        }
        f.analysed(a);
        assert!(f.take_final(&r).is_empty(), "discovery still running");
        f.discovery_done = true;
        assert!(f.take_final(&r).is_empty(), "ports still being handed out");
        f.ports_dispatched = true;
        assert_eq!(
            f.take_final(&r),
            [vec![d]],
            "a's second port and c's port are still analysed; b waits for c"
        );
        f.analysed(c);
        assert_eq!(f.take_final(&r), [vec![b, c]]);
        assert_eq!(r.render(&[b, c]).unwrap().addresses, [b, c]);
        f.analysed(a);
        assert_eq!(f.take_final(&r), [vec![a]]);
        f.analysed(a);
        assert!(f.take_final(&r).is_empty(), "each device once");
    }

    #[test]
    fn atomic_write_leaves_no_temp_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, |w| w.write_all(b"{}")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        let err = write_atomically(&path, |_| Err(io::Error::other("boom")));
        assert!(err.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{}",
            "old file kept"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
    }
}
