//! The scan plan as the report and stderr show it ([`model::plan::Plan`]): made from what
//! [`super::plan`] decided (targets, interfaces, methods, ports, pool) and what the machine says of
//! itself ([`net::host`]), before anything is sent. Pure: every rule here is a function of
//! its inputs, tested on fixed ones.
//!
//! The estimate is a model, not a measurement, and says which: the port probes make `addresses x
//! ports` connects, `concurrency` at a time (fewer when few hosts: at most `per_host` to one). A
//! closed port answers within a round trip on a LAN (a RST), a filtered one costs the whole connect
//! deadline; so the probes take from `connects / FASTEST_CONNECTS` (every port answering at once:
//! then opening the sockets is what costs) to `ceil(connects / parallel) x connect timeout`, after
//! ARP's sweep (raw: two passes at the broadcast budget, `--arp-rate`, and their waits;
//! unprivileged: 800 ms a chunk of 512 addresses, `discovery/arp.rs`). A routed range asked on a
//! few likely ports first (`discovery/hosts.rs`) costs, when nobody answers, those ports' connects
//! only. Beside them, from the scan's start, the discovery stages listen until
//! `--discovery-wait` (`discovery::Scope::window`), and their unicast queries to the hosts ARP
//! found at least their floor after the sweep (0.9 s, WS-Discovery's `UNICAST_FLOOR`).
//! What analysing each open port costs (logins, stream checks) is not in it.

use std::net::IpAddr;
use std::time::Duration;

use crate::discovery::arp::{ARP_RATE, CHUNK, DEFAULT_WAIT, expected_duration};
use crate::discovery::targets::TargetSet;
use crate::discovery::{DiscoveryMethod, Links};
use crate::probe::ProbeSettings;
use model::addr::from_u128;
use model::plan::{Estimate, Plan, PlanInterface, PlanMethod, PlanRange, Warning};

/// The most connects a second the port probes make when every port answers at once: the cost of
/// opening, refusing and closing a socket, not the network's. Measured: 85,974 connects to closed
/// loopback ports (4,094 addresses x 21 ports, `--discovery ports --no-detect`) in 1.11 s, a debug
/// build on a 2-core machine, i.e. about 77,000 a second; a LAN's round trip (well under 1 ms, with
/// 1,024 at once) allows more than that, so the socket cost is the floor.
pub const FASTEST_CONNECTS: f64 = 100_000.0;

/// A worst case longer than this earns the `large-range` warning.
pub const LARGE_RANGE: Duration = Duration::from_secs(5 * 60);

/// Why a multicast or broadcast method cannot run: it reaches only attached networks.
const NOT_ATTACHED: &str = "no target on an attached network";

/// What the plan is made of.
pub struct Inputs<'a> {
    pub set: &'a TargetSet,
    pub links: &'a Links,
    pub methods: &'a [DiscoveryMethod],
    pub ports: &'a [u16],
    pub probe: &'a ProbeSettings,
    /// The per-host gate of analysis traffic (`--host-connections`, `--host-rate`).
    pub gates: net::host_gate::GateSettings,
    pub discovery_wait: Duration,
    /// Whether raw sockets are allowed ([`net::host::raw_sockets`]); `None`: unknown.
    pub raw: Option<bool>,
    /// What [`net::host::warnings`] said of where camscan runs.
    pub host: Vec<Warning>,
    /// The interfaces (indexes) of the scan's zoned IPv6 link-local targets: WS-Discovery and
    /// mDNS go out on them over IPv6 ([`crate::discovery::wsd::v6_links`]).
    pub v6_links: &'a [u32],
    /// The declared scan settings (ARP's broadcast budget).
    pub settings: &'a input::setting::Settings,
    /// `--probe-all`: no host discovery of routed ranges.
    pub probe_all: bool,
    /// The kernel's neighbour table where it can be read ([`net::neigh::limits`]).
    pub neighbours: Option<net::neigh::Limits>,
}

/// The routed part of the targets and the ports its host discovery asks (empty: none runs).
fn routed(i: &Inputs) -> (u64, Vec<u16>) {
    use crate::discovery::hosts;
    (
        u64::try_from(i.links.routed.len()).unwrap_or(u64::MAX),
        hosts::first_ports(&i.links.routed, i.ports, i.probe_all),
    )
}

/// The plan of `i`.
pub fn plan(i: &Inputs) -> Plan {
    let interfaces: Vec<PlanInterface> = i
        .links
        .subnets
        .iter()
        .filter(|n| n.targets)
        .map(|n| PlanInterface {
            name: n.interface.clone(),
            address: n.ip.to_string(),
            subnet: n.cidr(),
        })
        .collect();
    let ranges: Vec<PlanRange> = i
        .set
        .ranges()
        .iter()
        .map(|r| PlanRange {
            first: from_u128(r.v6, r.start).to_string(),
            last: from_u128(r.v6, r.end).to_string(),
            addresses: u64::try_from(r.size()).unwrap_or(u64::MAX),
            interface: i
                .links
                .subnets
                .iter()
                .find(|n| n.range().covers(r))
                .map(|n| n.interface.clone()),
        })
        .collect();
    let on_link = !i.links.attached.is_empty();
    let multicast = !i.links.multicast.is_empty();
    let mut methods: Vec<DiscoveryMethod> = i.methods.to_vec();
    methods.sort();
    methods.dedup();
    let discovery: Vec<PlanMethod> = methods
        .iter()
        .map(|&method| {
            let (runs, note) = match method {
                DiscoveryMethod::Port => (true, None),
                DiscoveryMethod::Arp if !on_link => (false, Some(NOT_ATTACHED.to_string())),
                DiscoveryMethod::Arp => (
                    true,
                    Some(match i.raw {
                        Some(true) => "raw".to_string(),
                        _ => "unprivileged".to_string(),
                    }),
                ),
                // Over IPv6 on the interfaces of zoned link-local targets.
                DiscoveryMethod::Onvif | DiscoveryMethod::Mdns if !i.v6_links.is_empty() => {
                    (true, None)
                }
                _ if !multicast => (false, Some(NOT_ATTACHED.to_string())),
                _ => (true, None),
            };
            PlanMethod { method, runs, note }
        })
        .collect();
    let addresses = u64::try_from(i.set.len()).unwrap_or(u64::MAX);
    let estimate = estimate(i, addresses, &discovery);
    let host_discovery = if discovery
        .iter()
        .any(|d| d.method == DiscoveryMethod::Port && d.runs)
    {
        routed(i).1
    } else {
        Vec::new()
    };
    let mut warnings = i.host.clone();
    warnings.extend(scan_warnings(i, &discovery, &estimate));
    Plan {
        interfaces,
        ranges,
        addresses,
        ports: i.ports.to_vec(),
        discovery,
        concurrency: i.probe.concurrency as u64,
        per_host: i.probe.per_host as u64,
        max_rate: u64::from(i.probe.max_rate),
        host_connections: i.gates.connections as u64,
        host_rate: u64::from(i.gates.rate),
        // Set by the plan from the interfaces above (`scan::plan::media_rate`).
        media_rate_kbps: 0,
        arp_rate: u64::from(i.settings.get(&ARP_RATE)),
        host_discovery,
        connect_timeout_ms: u64::try_from(i.probe.connect_timeout.as_millis()).unwrap_or(u64::MAX),
        retries: i.probe.retries,
        estimate,
        warnings,
    }
}

/// The estimate of the module docs.
fn estimate(i: &Inputs, addresses: u64, discovery: &[PlanMethod]) -> Estimate {
    let runs = |m: DiscoveryMethod| discovery.iter().any(|d| d.method == m && d.runs);
    let probes = if runs(DiscoveryMethod::Port) {
        addresses.saturating_mul(i.ports.len() as u64)
    } else {
        0
    };
    let parallel = (i.probe.concurrency as u64)
        .min(addresses.saturating_mul(i.probe.per_host as u64))
        .max(1);
    // When every port is filtered, a routed range asked on a few ports first costs those only.
    let (routed, first) = routed(i);
    let slow_probes = if first.is_empty() || !runs(DiscoveryMethod::Port) {
        probes
    } else {
        probes.saturating_sub(routed.saturating_mul((i.ports.len() - first.len()) as u64))
    };
    let rounds = slow_probes.div_ceil(parallel);
    let slow = rounds as f64 * i.probe.connect_timeout.as_secs_f64();
    // The connect rate: `--max-rate` when it is below what sockets allow.
    let rate = match i.probe.max_rate {
        0 => FASTEST_CONNECTS,
        r => f64::from(r).min(FASTEST_CONNECTS),
    };
    let fast = probes as f64 / rate;
    let on_link: u64 = u64::try_from(i.links.attached.len()).unwrap_or(u64::MAX);
    let arp = if !runs(DiscoveryMethod::Arp) {
        0.0
    } else if i.raw == Some(true) {
        expected_duration(on_link, i.settings.get(&ARP_RATE)).as_secs_f64()
    } else {
        on_link.div_ceil(CHUNK as u64) as f64 * DEFAULT_WAIT.as_secs_f64()
    };
    let listens = discovery
        .iter()
        .any(|d| d.runs && !matches!(d.method, DiscoveryMethod::Port | DiscoveryMethod::Arp));
    // When the listening ends, from the scan's start: the window, or the unicast queries to the
    // hosts ARP found (WS-Discovery's floor is the longer of the two that send them).
    let wait = if listens {
        let unicast = discovery.iter().any(|d| {
            d.runs
                && !matches!(
                    d.method,
                    DiscoveryMethod::Port
                        | DiscoveryMethod::Arp
                        | DiscoveryMethod::Ssdp
                        | DiscoveryMethod::Mdns
                )
        }) && runs(DiscoveryMethod::Arp);
        let after_sweep = if unicast {
            arp + crate::discovery::wsd::UNICAST_FLOOR.as_secs_f64()
        } else {
            0.0
        };
        i.discovery_wait.as_secs_f64().max(after_sweep)
    } else {
        0.0
    };
    Estimate {
        probes,
        min_seconds: wait.max(arp + fast),
        max_seconds: wait.max(arp + slow.max(fast)),
        model: format!(
            "{probes} connects ({addresses} addresses x {} ports), {parallel} at a time: from \
             {} ms when every port answers at once (closed ports refuse within a round trip on a \
             LAN; then the connect rate is what counts, {} a second) to {rounds} rounds x \
             {} ms connect timeout when every port is filtered, after ARP's sweep ({} ms); beside \
             them the discovery window, until {} ms after the start; analysing open ports comes \
             on top",
            i.ports.len(),
            (fast * 1000.0).round(),
            rate as u64,
            i.probe.connect_timeout.as_millis(),
            (arp * 1000.0).round(),
            (wait * 1000.0).round(),
        ),
    }
}

/// `neighbour-table`: the attached range holds more addresses than the kernel's neighbour table
/// has room for (its `gc_thresh3` less the entries it holds; unknown inside a network namespace,
/// where the kernel's default is assumed): connects to more hosts than that within a few seconds
/// find it full. The scan waits such connects out and asks again (the coverage record counts
/// them), which is slow; the warning gives the `sysctl` line that makes room.
fn neighbour_warning(i: &Inputs) -> Option<Warning> {
    let on_link = u64::try_from(i.links.attached.len()).unwrap_or(u64::MAX);
    let (room, known) = match i.neighbours {
        Some(l) => (l.room(), true),
        None => (net::neigh::KERNEL_DEFAULT_THRESH3, false),
    };
    if on_link <= room {
        return None;
    }
    let entries = i.neighbours.map_or(0, |l| l.entries);
    let table = if known {
        format!(
            "the kernel's neighbour table has room for {room} more entries (gc_thresh3 {}, {entries} in use)",
            i.neighbours.map_or(0, |l| l.thresh3)
        )
    } else {
        format!(
            "the kernel's neighbour table limit cannot be read here (a network namespace hides \
             it; the kernel's default is {room} entries for every namespace together)"
        )
    };
    let who = if i.raw == Some(true) {
        "if more hosts than that answer ARP, connects"
    } else {
        "the unprivileged sweep pokes every address, and pokes and connects"
    };
    Some(Warning::new(
        "neighbour-table",
        format!(
            "{on_link} addresses on attached networks, and {table}: {who} find it full, and are \
             waited out and asked again (slow; counted in the report's coverage); `sudo {}` \
             makes room",
            net::neigh::sysctl_line(on_link, entries)
        ),
    ))
}

/// The warnings of the scan itself: `no-raw-sockets`, `no-attached-interface`, `large-range`.
fn scan_warnings(i: &Inputs, discovery: &[PlanMethod], estimate: &Estimate) -> Vec<Warning> {
    let mut out = Vec::new();
    let arp_runs = discovery
        .iter()
        .any(|d| d.method == DiscoveryMethod::Arp && d.runs);
    if arp_runs && i.raw == Some(false) {
        out.push(Warning::new(
            "no-raw-sockets",
            "not root and no CAP_NET_RAW: ARP falls back to a UDP poke and the kernel neighbour \
             table (slower, and it misses hosts the kernel does not keep); `sudo setcap \
             cap_net_raw+ep $(command -v camscan)` allows raw ARP (the Debian package sets it)",
        ));
    }
    let not_attached: Vec<&str> = discovery
        .iter()
        .filter(|d| !d.runs && d.note.as_deref() == Some(NOT_ATTACHED))
        .map(|d| d.method.name())
        .collect();
    let all_loopback =
        i.set.ranges().iter().all(|r| {
            from_u128(r.v6, r.start).is_loopback() && from_u128(r.v6, r.end).is_loopback()
        });
    if !not_attached.is_empty() && !all_loopback {
        let hint = match i.set.iter().next() {
            Some(IpAddr::V4(_)) | None => "",
            Some(IpAddr::V6(_)) => " (IPv6 targets are probed, not discovered)",
        };
        out.push(Warning::new(
            "no-attached-interface",
            format!(
                "no target is on a network this machine is attached to{hint}: {} do not cross \
                 routers and are skipped; only the port probes reach the targets",
                not_attached.join(", ")
            ),
        ));
    }
    if arp_runs && let Some(w) = neighbour_warning(i) {
        out.push(w);
    }
    if estimate.max_seconds > LARGE_RANGE.as_secs_f64() {
        out.push(Warning::new(
            "large-range",
            format!(
                "{} addresses x {} ports may take up to {} at {} connects at a time with a {} ms \
                 connect timeout (when every port is filtered); narrow the targets or ports, or \
                 raise --concurrency",
                u64::try_from(i.set.len()).unwrap_or(u64::MAX),
                i.ports.len(),
                model::plan::duration(estimate.max_seconds),
                i.probe.concurrency,
                i.probe.connect_timeout.as_millis()
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::discovery::targets::{TargetSpec, parse_spec};
    use net::interfaces::LocalNet;

    fn set(specs: &[&str]) -> TargetSet {
        let ranges = specs
            .iter()
            .map(|s| match parse_spec(s).unwrap() {
                TargetSpec::Range(r) => r,
                TargetSpec::Host(_) => unreachable!(),
            })
            .collect();
        TargetSet::new(ranges, Vec::new(), BTreeMap::new())
    }

    fn net(name: &str, ip: &str, prefix: u8) -> LocalNet {
        LocalNet {
            interface: name.into(),
            ip: ip.parse().unwrap(),
            prefix,
            mac: (name != "lo").then(|| "02:00:00:00:00:01".into()),
            loopback: name == "lo",
            scan: false,
            reason: None,
        }
    }

    fn probe(concurrency: usize, timeout_ms: u64) -> ProbeSettings {
        ProbeSettings {
            connect_timeout: Duration::from_millis(timeout_ms),
            concurrency,
            per_host: 32,
            retries: 1,
            max_rate: 0,
        }
    }

    fn make(
        targets: &[&str],
        methods: &[DiscoveryMethod],
        ports: &[u16],
        p: ProbeSettings,
        raw: Option<bool>,
    ) -> Plan {
        make_on(targets, methods, ports, p, raw, &[])
    }

    /// [`make`], with the interfaces of zoned link-local targets.
    fn make_on(
        targets: &[&str],
        methods: &[DiscoveryMethod],
        ports: &[u16],
        p: ProbeSettings,
        raw: Option<bool>,
        v6_links: &[u32],
    ) -> Plan {
        let locals = [net("lo", "127.0.0.1", 8), net("eth0", "198.18.0.1", 24)];
        let s = set(targets);
        let links = Links::of(&locals, &s);
        plan(&Inputs {
            set: &s,
            links: &links,
            methods,
            ports,
            probe: &p,
            gates: Default::default(),
            discovery_wait: Duration::from_millis(1500),
            raw,
            host: Vec::new(),
            v6_links,
            settings: &Default::default(),
            probe_all: false,
            neighbours: None,
        })
    }

    /// Each method's name and whether it runs, in the plan's order.
    fn runs(p: &Plan) -> Vec<(&str, bool)> {
        p.discovery
            .iter()
            .map(|d| (d.method.name(), d.runs))
            .collect()
    }

    use DiscoveryMethod::{Arp, Onvif, Port, Ssdp};

    #[test]
    fn attached_subnet() {
        let p = make(
            &["198.18.0.0/24"],
            &[Port, Arp, Onvif, Ssdp],
            &[80, 554, 8554],
            probe(256, 1000),
            Some(true),
        );
        // A CIDR's network and broadcast addresses are not scanned.
        assert_eq!(p.addresses, 254);
        assert_eq!(p.interfaces.len(), 1);
        assert_eq!(p.interfaces[0].subnet, "198.18.0.0/24");
        assert_eq!(p.ranges[0].first, "198.18.0.1");
        assert_eq!(p.ranges[0].last, "198.18.0.254");
        assert_eq!(p.ranges[0].interface.as_deref(), Some("eth0"));
        assert_eq!(
            runs(&p),
            [
                ("arp", true),
                ("onvif", true),
                ("ssdp", true),
                ("port", true)
            ]
        );
        assert_eq!(p.discovery[0].note.as_deref(), Some("raw"));
        // 762 connects, 256 at a time: 3 rounds of 1 s at worst, after raw ARP's two passes over
        // 254 addresses at 1,500 a second and their waits (0.839 s); beside them the window,
        // 1.5 s from the start, and WS-Discovery's unicast Probes to the hosts ARP found, 0.9 s
        // after the sweep: 1.739 s.
        assert_eq!(p.estimate.probes, 762);
        let sweep = 2.0 * 254.0 / 1500.0 + 0.5;
        assert!(
            (p.estimate.min_seconds - (sweep + 0.9)).abs() < 1e-6,
            "{:?}",
            p.estimate
        );
        assert!(
            (p.estimate.max_seconds - (sweep + 3.0)).abs() < 1e-6,
            "{:?}",
            p.estimate
        );
        assert!(
            p.estimate.model.contains("3 rounds x 1000 ms"),
            "{}",
            p.estimate.model
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn unprivileged_arp_warns() {
        let p = make(
            &["198.18.0.0/24"],
            &[Port, Arp],
            &[554],
            probe(256, 1000),
            Some(false),
        );
        assert_eq!(p.discovery[0].note.as_deref(), Some("unprivileged"));
        let codes: Vec<&str> = p.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["no-raw-sockets"]);
        // One chunk of 512: 0.8 s of neighbour-table wait, then 254 connects at 100,000 a second.
        assert!(
            (p.estimate.min_seconds - 0.80254).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        // Unknown privileges: no warning.
        assert!(
            make(
                &["198.18.0.0/24"],
                &[Port, Arp],
                &[554],
                probe(256, 1000),
                None
            )
            .warnings
            .is_empty()
        );
    }

    #[test]
    fn routed_targets_skip_the_local_methods() {
        let p = make(
            &["10.1.0.0/24"],
            &[Port, Arp, Onvif],
            &[554],
            probe(64, 1000),
            Some(true),
        );
        assert!(p.interfaces.is_empty());
        assert_eq!(p.ranges[0].interface, None);
        let skipped: Vec<&str> = p
            .discovery
            .iter()
            .filter(|d| !d.runs)
            .map(|d| d.method.name())
            .collect();
        assert_eq!(skipped, ["arp", "onvif"]);
        assert_eq!(p.warnings[0].code, "no-attached-interface");
        assert!(
            p.warnings[0].message.contains("arp, onvif"),
            "{}",
            p.warnings[0].message
        );
        // 254 connects, 64 at a time: 4 rounds.
        assert!(
            (p.estimate.max_seconds - 4.0).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        // 254 connects at 100,000 a second.
        assert!(
            (p.estimate.min_seconds - 0.00254).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        // Loopback targets are no mistake: no warning.
        let lo = make(
            &["127.0.0.1"],
            &[Port, Arp, Onvif],
            &[554],
            probe(64, 1000),
            Some(true),
        );
        assert!(lo.warnings.is_empty(), "{:?}", lo.warnings);
    }

    /// A routed /20 on the default ports is asked on the five likely ones first: when every
    /// port is filtered (nobody answers), only those connects are made.
    #[test]
    fn a_routed_range_is_asked_on_likely_ports_first() {
        let p = make(
            &["10.9.0.0/20"],
            &[Port],
            &crate::probe::DEFAULT_PORTS,
            probe(1024, 1000),
            Some(true),
        );
        assert_eq!(p.host_discovery, [554, 80, 443, 8000, 8080]);
        assert_eq!(p.estimate.probes, 4094 * 21);
        // 4094 x 5 = 20470 connects, 1024 at a time: 20 rounds of 1 s.
        assert!(
            (p.estimate.max_seconds - 20.0).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        assert!(
            p.lines()[0].contains("routed ranges asked on 554, 80, 443, 8000, 8080 first"),
            "{}",
            p.lines()[0]
        );
        // Loopback and a few named hosts are never discovered first.
        let lo = make(
            &["127.0.0.0/24"],
            &[Port],
            &crate::probe::DEFAULT_PORTS,
            probe(1024, 1000),
            Some(true),
        );
        assert!(lo.host_discovery.is_empty());
    }

    /// An attached range wider than the neighbour table's room is warned about, with the line
    /// that makes room; unknown limits (a namespace) assume the kernel's default.
    #[test]
    fn an_attached_range_wider_than_the_neighbour_table_is_warned_about() {
        let locals = [net("eth0", "198.18.0.1", 20)];
        let s = set(&["198.18.0.0/20"]);
        let links = Links::of(&locals, &s);
        let p = ProbeSettings {
            connect_timeout: Duration::from_millis(1000),
            concurrency: 1024,
            per_host: 32,
            retries: 4,
            max_rate: 0,
        };
        let with = |neighbours| {
            plan(&Inputs {
                set: &s,
                links: &links,
                methods: &[Arp, Port],
                ports: &[554],
                probe: &p,
                gates: Default::default(),
                discovery_wait: Duration::from_millis(1500),
                raw: Some(true),
                host: Vec::new(),
                v6_links: &[],
                settings: &Default::default(),
                probe_all: false,
                neighbours,
            })
        };
        let full = with(Some(net::neigh::Limits {
            thresh3: 1024,
            entries: 24,
        }));
        let w = full
            .warnings
            .iter()
            .find(|w| w.code == "neighbour-table")
            .expect("warned");
        assert!(
            w.message.contains("room for 1000 more entries"),
            "{}",
            w.message
        );
        assert!(
            w.message.contains(
                "sudo sysctl -w net.ipv4.neigh.default.gc_thresh1=2048 \
                 net.ipv4.neigh.default.gc_thresh2=4096 net.ipv4.neigh.default.gc_thresh3=8192"
            ),
            "{}",
            w.message
        );
        let unknown = with(None);
        assert!(
            unknown
                .warnings
                .iter()
                .any(|w| w.code == "neighbour-table" && w.message.contains("cannot be read here"))
        );
        let roomy = with(Some(net::neigh::Limits {
            thresh3: 32768,
            entries: 2000,
        }));
        assert!(roomy.warnings.iter().all(|w| w.code != "neighbour-table"));
    }

    #[test]
    fn a_slash_16_is_large() {
        // Ports host discovery does not ask: every address gets all of them.
        let p = make(
            &["10.1.0.0/16"],
            &[Port],
            &[8554, 10554, 1935, 7447, 34567],
            probe(1024, 1000),
            Some(true),
        );
        assert!(p.host_discovery.is_empty());
        // 65534 x 5 = 327670 connects, 1024 at a time: 320 rounds of 1 s.
        assert!(
            (p.estimate.max_seconds - 320.0).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        // Even when every port answers at once, opening 327670 sockets takes seconds.
        assert!(
            (p.estimate.min_seconds - 3.2767).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
        assert!(
            p.estimate.model.contains("from 3277 ms"),
            "{}",
            p.estimate.model
        );
        assert_eq!(p.warnings.last().unwrap().code, "large-range");
        assert!(
            p.warnings.last().unwrap().message.contains("up to 5 min"),
            "{}",
            p.warnings.last().unwrap().message
        );
    }

    #[test]
    fn the_connect_rate_bounds_the_short_figure() {
        let mut p = probe(1024, 1000);
        p.max_rate = 10_000;
        let plan = make(
            &["10.1.0.0/16"],
            &[Port],
            &[80, 554, 8000, 8080, 8554],
            p,
            Some(true),
        );
        assert_eq!(plan.max_rate, 10_000);
        // 327670 connects at 10,000 a second.
        assert!(
            (plan.estimate.min_seconds - 32.767).abs() < 1e-9,
            "{:?}",
            plan.estimate
        );
        assert!(
            plan.estimate.model.contains("10000 a second"),
            "{}",
            plan.estimate.model
        );
        // A rate above what sockets allow changes nothing.
        let mut fast = probe(1024, 1000);
        fast.max_rate = 1_000_000;
        let plan = make(
            &["10.1.0.0/16"],
            &[Port],
            &[80, 554, 8000, 8080, 8554],
            fast,
            Some(true),
        );
        assert!((plan.estimate.min_seconds - 3.2767).abs() < 1e-9);
    }

    #[test]
    fn zoned_link_local_targets_run_onvif_and_mdns_over_ipv6() {
        let p = make_on(
            &["fe80::21"],
            &[Port, Arp, Onvif, Ssdp, DiscoveryMethod::Mdns],
            &[554],
            probe(64, 1000),
            Some(true),
            &[2],
        );
        assert_eq!(
            runs(&p),
            [
                ("arp", false),
                ("onvif", true),
                ("ssdp", false),
                ("port", true),
                ("mdns", true)
            ]
        );
    }

    #[test]
    fn one_host_is_bounded_by_per_host() {
        // 100 ports on one host, 32 at once to it: 4 rounds, not 1.
        let ports: Vec<u16> = (1..=100).collect();
        let p = make(&["10.1.0.5"], &[Port], &ports, probe(1024, 500), Some(true));
        assert!(
            (p.estimate.max_seconds - 2.0).abs() < 1e-9,
            "{:?}",
            p.estimate
        );
    }
}
