//! Collect: every registry event and progress message of the run, in the order sent, into the
//! [`Registry`]; decides when a device is final (for NDJSON written as the scan runs and the
//! timing log), and stops at Ctrl-C, SIGTERM or a closed output pipe.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::Msg;
use crate::discovery::ledger::Ledger;
use crate::probe::ProbeStats;
use error::exit;
use model::Device;
use registry::{Event, Registry};

/// What the collector keeps beside the registry: when devices are final, for the NDJSON stream
/// (written as they become final) and the timing log (a line per final device).
pub struct Collector<'a> {
    on_final: Option<OnFinal<'a>>,
    /// Which devices the scan reports ([`Scope`]); all when `None`.
    scope: Option<Arc<Scope>>,
    pub finality: Finality,
    /// The consumer of final devices said stop.
    stop: bool,
    /// Only when the `timing` log is on.
    timings: Option<Timings>,
    /// Addresses to look up in DNS ([`Namer`]), until discovery is done.
    names: Option<Namer>,
    /// Where the number of devices found so far is kept (the run's progress).
    stats: Option<Arc<ProbeStats>>,
    /// The scan's board of makers: each discovery answer that names one is put on it as it
    /// comes, for the RTSP walks to order their paths by.
    identities: Option<analyze::identity::Identities>,
}

/// The collector's side of the names stage: each address once.
struct Namer {
    tx: mpsc::UnboundedSender<IpAddr>,
    asked: HashSet<IpAddr>,
}

/// Port timings per address until their device is final, and when the run's stages ended.
#[derive(Debug, Default)]
struct Timings {
    ports: HashMap<IpAddr, Vec<timing::PortTiming>>,
    discovery_done_ms: Option<u64>,
    stages_closed_ms: Option<u64>,
    dispatched_ms: Option<u64>,
    /// When each address's own evidence last came in (an event about it, the end of one of its
    /// analyses or of its name, its probes done), until its device is final: `evidence_ms`.
    evidence_ms: HashMap<IpAddr, u64>,
    /// What each device received ([`net::host_gate`]), for its line.
    gates: Option<Arc<net::host_gate::HostGates>>,
}

impl Timings {
    /// The timing line of a device just final (its addresses `group`); its ports and evidence
    /// are taken out, as a final device's ports get no more timings.
    fn log_final(&mut self, group: &[IpAddr]) {
        let t = self;
        // Taken out: a final device's ports get no more timings.
        let taken: Vec<_> = group.iter().filter_map(|ip| t.ports.remove(ip)).collect();
        let ports: Vec<_> = taken.iter().flatten().collect();
        let analysed_ms = ports.iter().map(|p| p.end_ms).max().unwrap_or(0);
        // The last of its own evidence: analyses, name, probes (what it waited for after
        // that was the discovery stages, or other addresses of the run).
        let evidence_ms = group
            .iter()
            .filter_map(|ip| t.evidence_ms.remove(ip))
            .max()
            .unwrap_or(0)
            .max(analysed_ms);
        let received = t.gates.as_ref().map_or_else(Default::default, |g| {
            group.iter().map(|ip| g.count(*ip)).fold(
                net::host_gate::HostCount::default(),
                net::host_gate::HostCount::merge,
            )
        });
        tracing::debug!(
            target: timing::TARGET,
            ip = %group[0],
            addresses = group.len(),
            final_ms = timing::now_ms(),
            analysed_ms,
            evidence_ms,
            discovery_done_ms = t.discovery_done_ms.unwrap_or(0),
            stages_closed_ms = t.stages_closed_ms.unwrap_or(0),
            dispatched_ms = t.dispatched_ms.unwrap_or(0),
            requests = received.requests,
            peak_per_s = received.peak_per_s,
            peak_connections = received.peak_connections,
            "timing: device {}: {}",
            group[0],
            timing::device_breakdown(ports)
        );
    }
}

impl Collector<'_> {
    /// Apply one message: events to the registry, progress to [`Finality`]; then write the devices
    /// that became final to the NDJSON stream and log their timing.
    pub fn collect(&mut self, msg: Msg, registry: &mut Registry) {
        // The makers and MACs a discovery answer names go on the board by its stage's rule
        // (`discovery::learn`); the ARP sweep, the web fingerprint and the ONVIF device API put
        // theirs on the board themselves, earlier.
        if let (Msg::Event(ev), Some(board)) = (&msg, &self.identities) {
            crate::discovery::learn(board, ev);
        }
        match (&msg, self.names.as_mut()) {
            (Msg::Event(ev), Some(n)) => {
                let ip = ev.ip();
                // Its answer ends with `Analysed`: the device waits for its name.
                if n.asked.insert(ip) && n.tx.send(ip).is_ok() {
                    self.finality.port_open(ip);
                }
            }
            // No new address can come from here on: the names stage ends after its last answer.
            (Msg::DiscoveryDone, Some(_)) => self.names = None,
            _ => {}
        }
        if self.on_final.is_none() && self.timings.is_none() {
            if let Msg::Event(ev) = msg {
                registry.apply(ev);
            }
            return;
        }
        // The last of each address's own evidence, for its device's timing line.
        if let Some(t) = self.timings.as_mut() {
            let ip = match &msg {
                Msg::Event(ev) => Some(ev.ip()),
                Msg::Analysed(ip, _) | Msg::HostProbed(ip) => Some(*ip),
                _ => None,
            };
            if let Some(ip) = ip {
                t.evidence_ms.insert(ip, timing::now_ms());
            }
        }
        let f = &mut self.finality;
        match msg {
            Msg::Event(ev) => {
                if let Event::PortOpen { ip, .. } = &ev {
                    f.port_open(*ip);
                }
                f.saw(ev.ip());
                registry.apply(ev);
            }
            Msg::Analysed(ip, timing) => {
                f.analysed(ip);
                if let (Some(t), Some(port)) = (self.timings.as_mut(), timing) {
                    tracing::debug!(target: timing::TARGET, %ip, port = port.port,
                        end_ms = port.end_ms, "timing: port {ip}:{}", port.breakdown());
                    t.ports.entry(ip).or_default().push(port);
                }
            }
            Msg::HostProbed(ip) => f.host_probed(ip),
            Msg::StageClosed => {
                f.stages_closed += 1;
                f.look_at_all = true;
                if let Some(t) = self.timings.as_mut()
                    && f.stages_closed == crate::discovery::STAGES.len()
                {
                    t.stages_closed_ms = Some(timing::now_ms());
                }
            }
            Msg::PortsDispatched => {
                f.ports_dispatched = true;
                f.look_at_all = true;
                if let Some(t) = self.timings.as_mut() {
                    t.dispatched_ms = Some(timing::now_ms());
                }
            }
            Msg::DiscoveryDone => {
                f.discovery_done = true;
                f.look_at_all = true;
                if let Some(t) = self.timings.as_mut() {
                    t.discovery_done_ms = Some(timing::now_ms());
                }
            }
        }
        for group in self.finality.take_final(registry) {
            if let Some(t) = self.timings.as_mut() {
                t.log_final(&group);
            }
            if let Some(on_final) = self.on_final.as_mut()
                && let Some(device) = registry.render(&group)
                && self.scope.as_ref().is_none_or(|s| s.keeps(&device))
                && on_final(&device).is_break()
            {
                self.stop = true;
            }
        }
    }
}

/// Which devices a scan reports and records: those with an address among its targets, and a
/// device heard on the wire with an address outside every attached subnet (misaddressed) when
/// the targets cover the whole subnet of the interface it was heard on. A scan of one address
/// reports what is at that address, not what discovery happened to hear on the segment.
#[derive(Debug, Clone)]
pub struct Scope {
    set: crate::discovery::targets::TargetSet,
    /// Interfaces whose whole attached subnet is among the targets.
    whole: Vec<String>,
}

impl Scope {
    pub fn of(set: &crate::discovery::targets::TargetSet, plan: &model::plan::Plan) -> Scope {
        let whole = plan
            .interfaces
            .iter()
            .filter(|i| {
                let Ok(net) = i.subnet.parse::<ipnetwork::Ipv4Network>() else {
                    return false;
                };
                let range = model::addr::AddrRange::ipv4_net(net.network(), net.prefix());
                // The network and broadcast addresses are never targets of a CIDR.
                let hosts = range
                    .size()
                    .saturating_sub(if net.prefix() < 31 { 2 } else { 0 });
                set.split(&[range]).0.len() >= hosts
            })
            .map(|i| i.name.clone())
            .collect();
        Scope {
            set: set.clone(),
            whole,
        }
    }

    pub fn keeps(&self, d: &Device) -> bool {
        std::iter::once(&d.ip)
            .chain(&d.addresses)
            .any(|a| self.set.contains(*a))
            || d.misaddressed
                .as_ref()
                .is_some_and(|m| self.whole.contains(&m.interface))
    }
}

/// Decides when a device is final: when no event can change it any more (docs/reference/formats.md, "NDJSON output").
///
/// Events about an address come from discovery (ARP, WS-Discovery and the ONVIF device API, SSDP,
/// mDNS, SADP, DHIP), from the probes (`PortOpen`, sent when an open port is handed to analysis)
/// and from each port's analysis. So an address is final once every discovery stage has closed
/// (each sends [`Msg::StageClosed`] after its last event), its own probes are done (the probes'
/// [`Ledger`] and [`Msg::HostProbed`], which comes behind its `PortOpen`s) and the analyses of all
/// its ports have finished. It does not wait for the probes of other addresses (a firewalled
/// host's connect timeouts, the rest of a large range). What merges addresses into one device (MAC,
/// serial, ONVIF endpoint, UPnP UDN) comes from discovery, so once the stages have closed the
/// merging is fixed (an address that appears later is a device of its own), and a device is final
/// when all of its addresses are.
///
/// Two cases wait for the end of everything ([`Msg::DiscoveryDone`]) as before: a scan with IPv6
/// targets (their MACs are read from the neighbour table after every stage and probe), and one
/// that handed the probes more addresses than the ledger counts one by one (then no address's
/// probes are known to be done before all are: [`Msg::PortsDispatched`]).
#[derive(Debug, Default)]
pub struct Finality {
    /// Port analyses handed out and not yet finished, per address.
    running: HashMap<IpAddr, usize>,
    discovery_done: bool,
    ports_dispatched: bool,
    /// Discovery stages that have closed.
    stages_closed: usize,
    /// The probes' ledger (`None`: each address waits for the end of all probes).
    ledger: Option<Arc<Ledger>>,
    /// How many [`Msg::HostProbed`] each address has had.
    probed: HashMap<IpAddr, u32>,
    /// The scan has IPv6 targets: every device waits for [`Msg::DiscoveryDone`].
    wait_for_all: bool,
    /// Which addresses make one device, taken from the registry once the stages have closed
    /// (an address first seen later is added as a device of its own).
    groups: Option<Groups>,
    /// Addresses whose last running analysis or whose probes finished since the last look.
    idle: Vec<IpAddr>,
    /// Addresses of the devices already final.
    written: HashSet<IpAddr>,
    /// Something that holds every device changed (the probes or a stage ended): look at all.
    look_at_all: bool,
}

/// Each device's addresses (its own first), and the device of each address.
#[derive(Debug)]
struct Groups {
    list: Vec<Vec<IpAddr>>,
    of: HashMap<IpAddr, usize>,
}

impl Finality {
    /// Know each address's probes by `ledger`; `wait_for_all`: the scan has IPv6 targets.
    pub fn watch_probes(&mut self, ledger: Arc<Ledger>, wait_for_all: bool) {
        self.ledger = Some(ledger);
        self.wait_for_all = wait_for_all;
    }

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

    /// An event named `ip`: an address first seen after the groups were read (an open port the
    /// probes found later) is a device of its own (what merges addresses comes from discovery,
    /// which has ended). O(1) a event, so a large range's late addresses cost no re-reading.
    fn saw(&mut self, ip: IpAddr) {
        if let Some(g) = self.groups.as_mut()
            && !g.of.contains_key(&ip)
        {
            g.of.insert(ip, g.list.len());
            g.list.push(vec![ip]);
            self.idle.push(ip);
        }
    }

    fn host_probed(&mut self, ip: IpAddr) {
        *self.probed.entry(ip).or_default() += 1;
        self.idle.push(ip);
    }

    /// No discovery event can come any more.
    fn discovery_closed(&self) -> bool {
        self.discovery_done
            || (!self.wait_for_all && self.stages_closed >= crate::discovery::STAGES.len())
    }

    /// No open port of `ip` can come any more.
    fn probes_done(&self, ip: IpAddr) -> bool {
        self.ports_dispatched
            || self
                .ledger
                .as_ref()
                .is_some_and(|l| l.settled(ip, self.probed.get(&ip).copied().unwrap_or(0)))
    }

    /// The devices (as address groups, first address first) that became final since the last call.
    fn take_final(&mut self, registry: &Registry) -> Vec<Vec<IpAddr>> {
        if !self.discovery_closed() {
            return Vec::new();
        }
        let fresh = self.groups.is_none();
        if fresh {
            let list = registry.groups();
            let of = list
                .iter()
                .enumerate()
                .flat_map(|(i, g)| g.iter().map(move |ip| (*ip, i)))
                .collect();
            self.groups = Some(Groups { list, of });
        }
        let Some(groups) = self.groups.as_ref() else {
            return Vec::new();
        };
        let mut candidates: Vec<usize> = if fresh || std::mem::take(&mut self.look_at_all) {
            self.idle.clear();
            (0..groups.list.len()).collect()
        } else {
            self.idle
                .drain(..)
                .filter_map(|ip| groups.of.get(&ip).copied())
                .collect()
        };
        candidates.sort_unstable();
        candidates.dedup();
        let mut now_final = Vec::new();
        for i in candidates {
            let group = &groups.list[i];
            let done = group
                .iter()
                .all(|ip| self.running.get(ip).is_none_or(|n| *n == 0) && self.probes_done(*ip));
            // A device once: an address already written (its device gained an address later)
            // is not written again.
            if done && !group.iter().any(|ip| self.written.contains(ip)) {
                self.written.extend(group.iter().copied());
                now_final.push(group.clone());
            }
        }
        now_final
    }
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

/// Called with each device as soon as it is final (no event can change it any more); `Break`
/// stops the scan.
pub type OnFinal<'a> = Box<dyn FnMut(&Device) -> ControlFlow<()> + Send + 'a>;

/// How collecting ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every stage finished: the channel closed.
    Complete,
    /// SIGINT or SIGTERM, with the exit code it asks for.
    Interrupted(u8),
    /// The consumer of final devices asked to stop (NDJSON to a pipe whose reader is gone).
    Stopped,
}

impl<'a> Collector<'a> {
    /// A collector that hands each device to `on_final` as soon as it is final and, when the
    /// `timing` log is on, logs per-device timings.
    pub fn new(on_final: Option<OnFinal<'a>>) -> Self {
        Collector {
            on_final,
            scope: None,
            stop: false,
            finality: Finality::default(),
            timings: timing::enabled().then(Timings::default),
            names: None,
            stats: None,
            identities: None,
        }
    }

    /// Hand `on_final` only the devices `scope` keeps.
    pub fn keep_only(&mut self, scope: Arc<Scope>) {
        self.scope = Some(scope);
    }

    /// Name in each device's timing line what it received through `gates`.
    pub fn count_requests(&mut self, gates: Arc<net::host_gate::HostGates>) {
        if let Some(t) = self.timings.as_mut() {
            t.gates = Some(gates);
        }
    }

    /// Put every maker a discovery answer names on `board`.
    pub fn tell_identities(&mut self, board: analyze::identity::Identities) {
        self.identities = Some(board);
    }

    /// Hand each address to the names stage the first time an event names it.
    pub fn set_names(&mut self, tx: mpsc::UnboundedSender<IpAddr>) {
        self.names = Some(Namer {
            tx,
            asked: HashSet::new(),
        });
    }

    /// Apply messages until every sender is gone, a signal arrives or stdout's reader left.
    /// Keep the number of devices found so far in `stats.devices`.
    pub fn count_devices(&mut self, stats: Arc<ProbeStats>) {
        self.stats = Some(stats);
    }

    pub async fn run(&mut self, rx: &mut mpsc::Receiver<Msg>, registry: &mut Registry) -> Outcome {
        let mut sigterm = sigterm_stream();
        // One Ctrl-C listener for the whole loop. A `ctrl_c()` made anew each turn listened only
        // while the loop waited: a Ctrl-C that came while a message was being applied was lost
        // (and, the handler being installed, no longer stopped the process either), so the scan
        // ran on to its timeouts (a CI run: still scanning 10 s after SIGINT).
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => {
                        self.collect(msg, registry);
                        if let Some(stats) = &self.stats {
                            stats.devices.store(registry.len() as u64, Ordering::Relaxed);
                        }
                        if self.stop {
                            return Outcome::Stopped;
                        }
                    }
                    None => return Outcome::Complete,
                },
                _ = &mut ctrl_c => return Outcome::Interrupted(exit::SIGINT),
                _ = recv_sigterm(&mut sigterm) => return Outcome::Interrupted(exit::SIGTERM),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::DiscoveryMethod;

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
        f.look_at_all = true;
        assert!(f.take_final(&r).is_empty(), "ports still being handed out");
        f.ports_dispatched = true;
        f.look_at_all = true;
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

    /// With the probes' ledger, a device is final once every stage has closed, its own probes are
    /// done and its ports analysed: not when the probes of the whole range are.
    #[test]
    fn a_device_does_not_wait_for_other_hosts_probes() {
        use crate::discovery::targets::TargetSet;
        let [a, slow] = ["10.0.0.1", "10.0.0.9"].map(|s| s.parse::<IpAddr>().unwrap());
        let ledger = Arc::new(Ledger::default());
        ledger.expect(&TargetSet::default().with_addresses([a, slow]), 2);
        let mut r = Registry::default();
        let mut f = Finality::default();
        f.watch_probes(ledger.clone(), false);
        for ip in [a, slow] {
            r.apply(Event::Host {
                ip,
                method: DiscoveryMethod::Arp,
                mac: None,
                vendor: None,
            });
        }
        // a: port 554 open and analysed, its other port closed; both connects done.
        f.port_open(a);
        r.apply(Event::PortOpen { ip: a, port: 554 });
        assert!(!ledger.finish_one(a));
        assert!(ledger.finish_one(a));
        f.analysed(a);
        let stages = crate::discovery::STAGES.len();
        for _ in 1..stages {
            f.stages_closed += 1;
            f.look_at_all = true;
            assert!(f.take_final(&r).is_empty(), "a stage is still open");
        }
        f.stages_closed += 1;
        f.look_at_all = true;
        assert!(
            f.take_final(&r).is_empty(),
            "a's probes are done, but the collector has not heard it behind a's open ports"
        );
        f.host_probed(a);
        assert_eq!(
            f.take_final(&r),
            [vec![a]],
            "the slow host's probes still run"
        );
        // The slow host's connects time out later.
        assert!(!ledger.finish_one(slow));
        assert!(ledger.finish_one(slow));
        f.host_probed(slow);
        assert_eq!(f.take_final(&r), [vec![slow]]);
        assert!(f.take_final(&r).is_empty(), "each device once");
        // An address first seen after the stages closed (an off-link host's open port found
        // late): a device of its own, final when its own work is.
        let late: IpAddr = "10.0.1.7".parse().unwrap();
        ledger.expect(&TargetSet::default().with_addresses([late]), 1);
        f.saw(late);
        f.port_open(late);
        r.apply(Event::PortOpen { ip: late, port: 80 });
        assert!(f.take_final(&r).is_empty(), "its analysis runs");
        assert!(ledger.finish_one(late));
        f.host_probed(late);
        f.analysed(late);
        assert_eq!(f.take_final(&r), [vec![late]]);
    }

    /// A scan with IPv6 targets waits for the end of everything: their MACs (which may merge them
    /// into another device) are read after the last stage and probe.
    #[test]
    fn ipv6_targets_wait_for_discovery_done() {
        let a: IpAddr = "fd00::5".parse().unwrap();
        let mut r = Registry::default();
        let mut f = Finality::default();
        f.watch_probes(Arc::new(Ledger::default()), true);
        r.apply(Event::Host {
            ip: a,
            method: DiscoveryMethod::Arp,
            mac: None,
            vendor: None,
        });
        f.stages_closed = crate::discovery::STAGES.len();
        f.look_at_all = true;
        assert!(f.take_final(&r).is_empty());
        f.discovery_done = true;
        f.look_at_all = true;
        assert_eq!(f.take_final(&r), [vec![a]]);
    }
}
