//! ARP liveness for on-link targets: which hosts answer at layer 2, and their MACs; and the ARP
//! stage of a scan (`STAGE`, `start`), the first of them: the hosts it finds are the on-link
//! hosts the port probes and the other stages ask.
//!
//! [`sweep`](mod@sweep) is the unprivileged method, which needs neither root nor CAP_NET_RAW: one UDP
//! datagram to port 9 (discard) of each address makes the kernel resolve it by ARP; after a short
//! wait the kernel's neighbour table (`/proc/net/arp`) lists every host that answered, even one
//! whose ports are all filtered. Hosts are poked in chunks of [`CHUNK`] so the neighbour table
//! (gc_thresh3, 1024 by default) never overflows.
//!
//! With root or CAP_NET_RAW, [`sweep_raw`] sends the ARP requests itself on an `AF_PACKET` socket
//! ([`net::packet`]) and reads the answers directly: faster (no kernel retransmission timer
//! to respect, no neighbour-table limit) and it sees hosts the kernel would not keep.
//!
//! What the stage yields: an `Event::Host` (method `arp`, the MAC, the camera maker its prefix
//! names) for each host that answered, and an `Event::ArpConflict` when other MACs answered for the
//! same address. The registry takes an ARP MAC over any MAC a device claims (the wire beats a
//! claim), the prefix's maker only as its least trusted source, and merges the addresses that share
//! a MAC into one device. Each MAC goes on the identity board as the host answers (before its
//! event is sent: the host's RTSP walk may start first).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::links::Links;
use super::scope::{About, Hosts, Probes, ScanMessage, Scope, Swept};
use super::tally::Tally;
use crate::discovery::targets::TargetSet;
use analyze::identity::Identities;
use input::setting::{Repeat, Setting};
use model::DiscoveryMethod;
use proto::arp;
use registry::Event;

mod sweep;

pub use sweep::{
    CHUNK, DEFAULT_WAIT, Loss, MAX_PASSES, expected_duration, next_pass, sweep, sweep_raw, tail, v4,
};

/// The broadcast budget's default, requests a second: about 1 Mbit/s on the wire (a request is
/// 60 bytes, 84 with preamble, FCS and the inter-frame gap: 1,500 x 84 x 8 = 1.01 Mbit/s), 1% of a
/// 100 Mbit/s segment. arp-scan's default is 256 kbit/s (about 380 a second); at that pace a /16
/// takes three minutes a pass, at this one 44 s. `--arp-rate` raises or lowers it.
pub const DEFAULT_RATE: u32 = 1_500;

/// `--arp-rate`: the sweep's broadcast budget, ARP requests a second (0: no limit).
pub static ARP_RATE: Setting<u32> = Setting {
    key: "arp_rate",
    flag: "--arp-rate",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_ARP_RATE",
    value_name: "N",
    help: "ARP requests a second at most, the broadcast budget of the sweep of an attached range \
           (about 1 Mbit/s of broadcast at the default); passes over the silent addresses back \
           off from it when requests are lost; 0: no limit [default: 1500]",
    default: DEFAULT_RATE,
    choices: None,
    parse: |t| input::setting::count(t, 0),
};
/// How long the passive ARP listener goes on after the sweep at least (when `--discovery-wait` is
/// shorter than the sweep and this).
const LISTEN_AFTER_SWEEP: Duration = Duration::from_millis(1000);
/// How long it goes on after the sweep when the scan listens for nothing else: the sweep's own
/// late answers.
const SWEEP_TAIL: Duration = Duration::from_millis(200);

/// The ARP stage.
pub(super) const STAGE: About = About {
    name: "ARP",
    serves: |m| m == DiscoveryMethod::Arp,
    announces_channels: false,
    // The stage puts each MAC on the board itself, the moment its host answers.
    learn: |_, _| {},
};

/// ARP on the on-link targets when the scan chose it, in a task of its own beside the other stages:
/// when its sweep is done, `scope.hosts` says whom it found (the off-link targets plus the on-link
/// hosts that answered are probed; those hosts are asked by unicast). Without ARP every target goes
/// to the port probes at once.
pub(super) fn start<M: ScanMessage>(scope: &mut Scope<M>) -> Vec<JoinHandle<()>> {
    let tally = scope.tally.clone();
    let routed = |set: TargetSet, scope: &Scope<M>| {
        let (probes, tally) = (scope.probes.clone(), tally.clone());
        let how = super::hosts::Discovery {
            ports: scope.ports.clone(),
            probe_all: scope.probe_all,
            ping_rate: scope.max_rate,
            connect_timeout: scope.ctx.settings.get(&net::CONNECT_TIMEOUT),
        };
        tokio::spawn(async move { super::hosts::hand(set, probes, how, &tally).await })
    };
    if !scope.chose(DiscoveryMethod::Arp) {
        return vec![routed(scope.set.clone(), scope)];
    }
    // The passive listeners start before the sweep, so they hear it too, and listen for the
    // discovery window from the scan's start (now), through the sweep, and a second after it ends,
    // when a camera that answered it may still ask for its gateway. A scan that listens for
    // nothing else (`--discovery arp,ports`, the fast mode) has no window: they listen through
    // the sweep and a little after, so they do not hold its end.
    let sight = super::misaddressed::Sight::of(scope);
    let others_listen = scope
        .methods
        .iter()
        .any(|m| !matches!(m, DiscoveryMethod::Arp | DiscoveryMethod::Port));
    let (done, hosts) = Swept::pending(&scope.set);
    scope.hosts = hosts.clone();
    let listen = super::misaddressed::Listen {
        window: if others_listen {
            scope.wait
        } else {
            Duration::ZERO
        },
        swept: hosts,
        after: if others_listen {
            LISTEN_AFTER_SWEEP
        } else {
            SWEEP_TAIL
        },
    };
    let mut tasks: Vec<JoinHandle<()>> = scope
        .links
        .arp
        .iter()
        .filter(|link| sight.asks_on(&link.interface))
        .map(|link| {
            let ask = sight.asks(&link.interface, &scope.misaddressed_known);
            tokio::spawn(super::misaddressed::listen_arp(
                link.clone(),
                sight.clone(),
                (listen.clone(), ask, scope.ctx.settings.get(&ARP_RATE)),
                scope.events.clone(),
            ))
        })
        .collect();
    // The targets on no attached network: host discovery first where they are routed, beside
    // the sweep.
    if !scope.links.off_link.is_empty() {
        tasks.push(routed(scope.links.off_link.clone(), scope));
    }
    let (set, links, events, probes, identities) = (
        scope.set.clone(),
        scope.links.clone(),
        scope.events.clone(),
        scope.probes.clone(),
        scope.ctx.identities.clone(),
    );
    let rate = scope.ctx.settings.get(&ARP_RATE);
    tasks.push(tokio::spawn(async move {
        let (probed, alive, macs) =
            find_hosts(&set, &links, &events, &probes, &identities, (rate, &tally)).await;
        // The sweep hands nothing more to the probes: their queue may close without it.
        drop(probes);
        done.send(Hosts { probed, alive });
        if !macs.is_empty() {
            ipv6_addresses(macs, events).await;
        }
    }));
    tasks
}

/// The IPv6 addresses of the hosts that answered ARP, learned on their link: an ICMPv6 echo to
/// all-nodes on each interface, then its neighbour table ([`net::ndp`]). Every IPv6
/// neighbour whose MAC is one of theirs is sent as an `Event::Host` (method `arp`: neighbour
/// discovery is IPv6's ARP, RFC 4861) with that MAC, so the registry merges it into the host's
/// device by MAC: a dual-stack camera is one device listing both addresses. The addresses are not
/// port-probed (the device was, on IPv4); their zone is remembered for URLs and connects.
async fn ipv6_addresses<M: ScanMessage>(macs: Vec<(String, String)>, tx: mpsc::Sender<M>) {
    let mut by_interface: HashMap<String, HashSet<String>> = HashMap::new();
    for (interface, mac) in macs {
        by_interface.entry(interface).or_default().insert(mac);
    }
    for (interface, macs) in by_interface {
        let found = match net::ndp::neighbours(&interface, net::ndp::DEFAULT_WAIT).await {
            Ok(found) => found,
            Err(e) => {
                tracing::debug!("IPv6 neighbours on {interface}: {e}");
                continue;
            }
        };
        let mut learned = 0usize;
        for n in found {
            let Some(mac) = n.mac.filter(|m| macs.contains(m)) else {
                continue;
            };
            learned += 1;
            let ev = Event::Host {
                ip: IpAddr::V6(n.ip),
                method: DiscoveryMethod::Arp,
                vendor: super::camera_macs::vendor(&mac).map(str::to_string),
                mac: Some(mac),
            };
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
        tracing::info!(
            interface = %interface,
            addresses = learned,
            "IPv6 addresses of ARP hosts (all-nodes echo and neighbour table)"
        );
    }
}

/// The MACs of the scan's IPv6 targets, from the kernel's IPv6 neighbour table once the stages
/// and probes are done (by then every target that answered was resolved by neighbour discovery,
/// RFC 4861 §7.2): each target the table lists with a MAC is sent as an `Event::Host` with it, so
/// the registry merges a host's addresses by MAC: an IPv6-only camera's link-local and
/// unique-local addresses (one answering WS-Discovery, the other mDNS) are one device.
pub async fn ipv6_macs<M: ScanMessage>(set: &TargetSet, tx: &mpsc::Sender<M>) {
    if !set.ranges().iter().any(|r| r.v6) {
        return;
    }
    let table = match net::ndp::table().await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!("IPv6 neighbour table: {e}");
            return;
        }
    };
    for n in table {
        let ip = IpAddr::V6(n.ip);
        if !set.contains(ip) {
            continue;
        }
        let ev = Event::Host {
            ip,
            method: DiscoveryMethod::Arp,
            vendor: super::camera_macs::vendor(&n.mac).map(str::to_string),
            mac: Some(n.mac),
        };
        if tx.send(ev.into()).await.is_err() {
            return;
        }
    }
}

/// ARP on the on-link part of the targets: raw frames on each interface when the process may open
/// packet sockets, else the unprivileged poke. Returns the addresses to port-probe (off-link
/// targets plus on-link hosts that answered) and the live on-link hosts. The on-link hosts also go
/// to `probes` as soon as they are known: each as it answers (raw mode) or all of them after the
/// sweep (unprivileged mode); the off-link targets go beside the sweep, through host discovery
/// ([`start`]).
async fn find_hosts<M: ScanMessage>(
    set: &TargetSet,
    links: &Links,
    tx: &mpsc::Sender<M>,
    probes: &Probes,
    identities: &Identities,
    (rate, tally): (u32, &Tally),
) -> (TargetSet, Vec<Ipv4Addr>, Vec<(String, String)>) {
    let (on_link, raw_links) = (&links.on_link, &links.arp);
    // The targets off every attached network went to the probes beside the sweep ([`start`]).
    let (inside, outside) = (&links.attached, &links.off_link);
    if inside.is_empty() {
        return (set.clone(), Vec::new(), Vec::new());
    }
    // Hosts handed to the probes already (a raw sweep that fails half-way is followed by the
    // unprivileged one, which finds them again).
    let mut handed: HashSet<Ipv4Addr> = HashSet::new();
    let mut hand = |ip: Ipv4Addr, mac: Option<[u8; 6]>| {
        // The MAC's maker goes on the board at once: the host's RTSP walk may start before the
        // sweep ends and its events are sent.
        if let Some(mac) = mac {
            identities.learn_mac(IpAddr::V4(ip), &arp::format_mac(mac));
        }
        if handed.insert(ip) {
            probes.hand_alive(IpAddr::V4(ip));
        }
    };
    let mut alive = Vec::new();
    let mut raw_ok = raw_links.len() == on_link.len();
    // Counted once every link's raw sweep has worked (a failure falls back to the unprivileged
    // sweep of all of them, which counts its own).
    let mut raw_figures = Vec::new();
    for (net, link) in on_link.iter().zip(raw_links) {
        if !raw_ok {
            break;
        }
        let here = inside.split(std::slice::from_ref(net)).0;
        if here.is_empty() {
            continue;
        }
        match sweep_raw(
            link,
            &here,
            (rate, &tally.neighbour_full),
            &mut |ip, mac| hand(ip, Some(mac)),
        )
        .await
        {
            Ok((found, figures)) => {
                tracing::info!(
                    hosts = %here.len(),
                    interface = %link.interface,
                    answered = found.len(),
                    passes = figures.passes,
                    asked_again = figures.asked_again,
                    found_on_retry = figures.found_on_retry,
                    rate = figures.final_rate,
                    "ARP: raw mode (AF_PACKET requests and replies)"
                );
                raw_figures.push(figures);
                alive.extend(found);
            }
            Err(e) => {
                tracing::debug!("raw ARP on {}: {e}", link.interface);
                raw_ok = false;
                alive.clear();
            }
        }
    }
    if raw_ok {
        for figures in &raw_figures {
            tally.add_arp(figures);
        }
    } else {
        tracing::info!(
            hosts = %inside.len(),
            "ARP: unprivileged mode (UDP poke, then the kernel neighbour table; root or CAP_NET_RAW allows raw ARP)"
        );
        alive = match sweep(inside, DEFAULT_WAIT, rate, &tally.neighbour_full).await {
            Ok((alive, figures)) => {
                tally.add_arp(&figures);
                alive
            }
            Err(e) => {
                tracing::warn!("ARP sweep failed ({e}); probing every on-link address");
                probes.hand(inside.clone());
                return (set.clone(), Vec::new(), Vec::new());
            }
        };
    }
    for n in &alive {
        hand(n.ip, None);
        identities.learn_mac(IpAddr::V4(n.ip), &n.mac);
    }
    let live: Vec<Ipv4Addr> = alive.iter().map(|n| n.ip).collect();
    let macs: Vec<(String, String)> = alive
        .iter()
        .map(|n| (n.device.clone(), n.mac.clone()))
        .collect();
    send_hosts(tx, alive).await;
    // Port probes go only to on-link hosts that answered ARP.
    (
        outside.with_addresses(live.iter().map(|ip| IpAddr::V4(*ip))),
        live,
        macs,
    )
}

/// Each host that answered ARP as an `Event::Host` (its MAC and the MAC's camera maker), and an
/// `Event::ArpConflict` when more than one MAC answered for its address.
async fn send_hosts<M: ScanMessage>(tx: &mpsc::Sender<M>, alive: Vec<proto::neigh::Neighbour>) {
    for n in alive {
        let vendor = super::camera_macs::vendor(&n.mac).map(str::to_string);
        let conflict = (!n.also.is_empty()).then(|| Event::ArpConflict {
            ip: n.ip.into(),
            macs: n.also,
        });
        let ev = Event::Host {
            ip: n.ip.into(),
            method: DiscoveryMethod::Arp,
            mac: Some(n.mac),
            vendor,
        };
        if tx.send(ev.into()).await.is_err() {
            return;
        }
        if let Some(c) = conflict
            && tx.send(c.into()).await.is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sweep::{MAX_TAIL, MIN_RATE, MIN_TAIL, NO_ANSWER_TAIL};
    use super::*;

    /// The silent addresses are always asked once more; after that, again while a host is
    /// expected to be still hidden, at half the rate when the loss is above 1%, and never past
    /// MAX_PASSES.
    #[test]
    fn passes_go_on_while_hosts_may_hide_and_back_off_on_loss() {
        let loss = |found, misses| Loss { found, misses };
        // A second pass always, at the budget, even when nobody answered.
        assert_eq!(next_pass(1, 4096, &loss(1000, 0), 1500), Some(1500));
        assert_eq!(next_pass(1, 4096, &loss(0, 0), 1500), Some(1500));
        // The second found nothing new: nothing is lost, done.
        assert_eq!(next_pass(2, 3096, &loss(1000, 0), 1500), None);
        // It found 5 of 1,000 (0.5% lost): 1000 x 0.005^2 = 0.025 hosts expected still hidden.
        assert_eq!(next_pass(2, 3096, &loss(1000, 5), 1500), None);
        // 300 more (23% of 1,300 requests unanswered): 55 expected hidden: on, at half the
        // budget, and no lower however long it goes on.
        assert!((loss(1000, 300).rate() - 300.0 / 1300.0).abs() < 1e-12);
        assert_eq!(next_pass(2, 3096, &loss(1000, 300), 1500), Some(750));
        assert_eq!(next_pass(4, 3096, &loss(1000, 400), 1500), Some(750));
        assert_eq!(next_pass(MAX_PASSES, 100, &loss(1000, 300), 1500), None);
        // 40 hosts, 24 missed once (the lab test's pattern): p = 24/64; 5 passes leave 0.3.
        let l = loss(40, 24);
        assert!(
            l.hidden(4) >= 0.5 && l.hidden(5) < 0.5,
            "{} {}",
            l.hidden(4),
            l.hidden(5)
        );
        assert_eq!(next_pass(4, 100, &l, 1500), Some(750));
        assert_eq!(next_pass(5, 100, &l, 1500), None);
        assert_eq!(next_pass(3, 100, &loss(100, 900), 60), Some(MIN_RATE));
        // Nothing sent: done. Unpaced stays unpaced.
        assert_eq!(next_pass(1, 0, &loss(0, 0), 1500), None);
        assert_eq!(next_pass(2, 100, &loss(100, 50), 0), Some(0));
    }

    #[test]
    fn the_wait_after_a_pass_follows_the_answers() {
        assert_eq!(tail(None), NO_ANSWER_TAIL);
        assert_eq!(tail(Some(Duration::from_millis(1))), MIN_TAIL);
        assert_eq!(
            tail(Some(Duration::from_millis(160))),
            Duration::from_millis(160)
        );
        assert_eq!(tail(Some(Duration::from_secs(3))), MAX_TAIL);
        // A /20 at the default budget: two passes of 2.7 s and their waits.
        let d = expected_duration(4094, DEFAULT_RATE).as_secs_f64();
        assert!((d - (2.0 * 4094.0 / 1500.0 + 0.5)).abs() < 1e-3, "{d}");
    }
}
