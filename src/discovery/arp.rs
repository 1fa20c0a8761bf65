//! ARP liveness for on-link targets: which hosts answer at layer 2, and their MACs; and the ARP
//! stage of a scan (`STAGE`, `start`), the first of them: the hosts it finds are the on-link
//! hosts the port probes and the other stages ask.
//!
//! [`sweep`] is the unprivileged method, which needs neither root nor CAP_NET_RAW: one UDP
//! datagram to port 9 (discard) of each address makes the kernel resolve it by ARP; after a short
//! wait the kernel's neighbour table (`/proc/net/arp`) lists every host that answered, even one
//! whose ports are all filtered. Hosts are poked in chunks of [`CHUNK`] so the neighbour table
//! (gc_thresh3, 1024 by default) never overflows.
//!
//! With root or CAP_NET_RAW, [`sweep_raw`] sends the ARP requests itself on an `AF_PACKET` socket
//! ([`crate::net::packet`]) and reads the answers directly: faster (no kernel retransmission timer
//! to respect, no neighbour-table limit) and it sees hosts the kernel would not keep.
//!
//! What the stage yields: an `Event::Host` (method `arp`, the MAC, the camera maker its prefix
//! names) for each host that answered, and an `Event::ArpConflict` when other MACs answered for the
//! same address. The registry takes an ARP MAC over any MAC a device claims (the wire beats a
//! claim), the prefix's maker only as its least trusted source, and merges the addresses that share
//! a MAC into one device. Each MAC goes on the identity board as the host answers (before its
//! event is sent: the host's RTSP walk may start first).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::links::{Link, Links};
use super::scope::{About, Hosts, Probes, ScanMessage, Scope, Swept};
use crate::analyze::identity::Identities;
use crate::discovery::targets::TargetSet;
use crate::model::DiscoveryMethod;
use crate::net::packet::ArpSocket;
use crate::proto::arp;
use crate::proto::neigh::{Neighbour, parse_proc_net_arp};
use crate::registry::Event;

/// Hosts poked before the table is read: half the kernel's default gc_thresh3.
pub const CHUNK: usize = 512;
/// How long to wait for ARP answers after a chunk: a LAN host answers within milliseconds; the
/// kernel's first retransmission comes after 1 s, which we do not need to wait for.
pub const DEFAULT_WAIT: Duration = Duration::from_millis(800);
/// The discard port: a poke there asks for nothing.
const POKE_PORT: u16 = 9;

/// Poke every address and return the neighbours that answered, sorted by address.
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    wait: Duration,
) -> std::io::Result<Vec<Neighbour>> {
    let socket = UdpSocket::bind("0.0.0.0:0").await?;
    let mut found = Vec::new();
    let mut chunk: Vec<Ipv4Addr> = Vec::with_capacity(CHUNK);
    let mut targets = targets.peekable();
    while targets.peek().is_some() {
        chunk.clear();
        chunk.extend(targets.by_ref().take(CHUNK));
        for ip in &chunk {
            // Errors (EHOSTUNREACH for an address the kernel already knows is dead) are answers too.
            let _ = socket
                .send_to(b"camscan", SocketAddr::from((*ip, POKE_PORT)))
                .await;
        }
        tokio::time::sleep(wait).await;
        let wanted: HashSet<Ipv4Addr> = chunk.iter().copied().collect();
        // A procfs read does not block.
        let table = std::fs::read_to_string("/proc/net/arp")?;
        found.extend(
            parse_proc_net_arp(&table)
                .into_iter()
                .filter(|n| wanted.contains(&n.ip)),
        );
    }
    found.sort_by_key(|n| n.ip);
    found.dedup_by_key(|n| n.ip);
    Ok(found)
}

/// Raw sweep: first pass to every target, a short wait, a second pass to those that stayed silent
/// (one lost frame must not hide a camera), then [`RAW_WAIT`] for late answers.
pub const RAW_FIRST_WAIT: Duration = Duration::from_millis(150);
/// Wait after the second raw pass.
pub const RAW_WAIT: Duration = Duration::from_millis(350);
/// How long the passive ARP listener goes on after the sweep at least (when `--discovery-wait` is
/// shorter than the sweep and this).
const LISTEN_AFTER_SWEEP: Duration = Duration::from_millis(1000);
/// How long it goes on after the sweep when the scan listens for nothing else: the sweep's own
/// late answers.
const SWEEP_TAIL: Duration = Duration::from_millis(200);
/// MACs kept per address that answered ARP (the first is the device's; the others conflict).
const MAX_MACS: usize = 4;
/// Frames sent back to back before the sender yields to the receiver, so replies are read while a
/// large range is still being swept and the socket's receive buffer never overflows.
const RAW_BURST: usize = 64;

/// Raw ARP sweep of `targets` (all on `link`'s network). Fails with `PermissionDenied` when the
/// process may not open packet sockets; the caller then uses [`sweep`]. `on_found` hears each host
/// the moment it first answers (its port probes need not wait for the sweep to end).
pub async fn sweep_raw(
    link: &Link,
    targets: &TargetSet,
    on_found: &mut (dyn FnMut(Ipv4Addr, [u8; 6]) + Send),
) -> std::io::Result<Vec<Neighbour>> {
    let socket = ArpSocket::open(&link.interface)?;
    // Each address's MACs in the order they answered: more than one is an address conflict.
    let mut found: HashMap<Ipv4Addr, Vec<[u8; 6]>> = HashMap::new();
    let mut buf = [0u8; 128];
    for (pass, wait) in [RAW_FIRST_WAIT, RAW_WAIT].into_iter().enumerate() {
        let mut sent = 0usize;
        for ip in v4(targets) {
            if found.contains_key(&ip) || ip == link.ip {
                continue;
            }
            socket
                .broadcast(&arp::request(link.mac, link.ip, ip))
                .await?;
            sent += 1;
            if sent.is_multiple_of(RAW_BURST) {
                drain(
                    &socket,
                    &mut buf,
                    &mut found,
                    targets,
                    Duration::ZERO,
                    on_found,
                )
                .await;
            }
        }
        tracing::debug!(pass, sent, answered = found.len(), "raw ARP pass sent");
        if sent == 0 {
            break;
        }
        drain(&socket, &mut buf, &mut found, targets, wait, on_found).await;
    }
    let mut out: Vec<Neighbour> = found
        .into_iter()
        .filter_map(|(ip, macs)| {
            let (first, also) = macs.split_first()?;
            Some(Neighbour {
                ip,
                mac: arp::format_mac(*first),
                device: link.interface.clone(),
                also: also.iter().map(|m| arp::format_mac(*m)).collect(),
            })
        })
        .collect();
    out.sort_by_key(|n| n.ip);
    Ok(out)
}

/// Read answers for `wait` (or only what is already queued, for a zero wait), keeping senders that
/// are targets.
async fn drain(
    socket: &ArpSocket,
    buf: &mut [u8],
    found: &mut HashMap<Ipv4Addr, Vec<[u8; 6]>>,
    targets: &TargetSet,
    wait: Duration,
    on_found: &mut (dyn FnMut(Ipv4Addr, [u8; 6]) + Send),
) {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let n = if wait.is_zero() {
            // Only what is queued now: a receive that is not ready at once ends the drain.
            match tokio::time::timeout(Duration::from_millis(1), socket.recv(buf)).await {
                Ok(Ok(n)) => n,
                _ => return,
            }
        } else {
            match tokio::time::timeout_at(deadline, socket.recv(buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    tracing::debug!("ARP receive: {e}");
                    return;
                }
                Err(_) => return,
            }
        };
        let Some(sender) = buf.get(..n).and_then(arp::parse) else {
            continue;
        };
        if !targets.contains(sender.ip.into()) {
            continue;
        }
        match found.get_mut(&sender.ip) {
            None => {
                found.insert(sender.ip, vec![sender.mac]);
                on_found(sender.ip, sender.mac);
            }
            // A second box answering for the address (kept to a few: a flood is no news).
            Some(macs) if !macs.contains(&sender.mac) && macs.len() < MAX_MACS => {
                macs.push(sender.mac);
            }
            Some(_) => {}
        }
    }
}

/// The IPv4 addresses of a target set.
pub fn v4(set: &TargetSet) -> impl Iterator<Item = Ipv4Addr> + '_ {
    set.iter().filter_map(|ip| match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    })
}

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
    if !scope.chose(DiscoveryMethod::Arp) {
        scope.probes.hand(scope.set.clone());
        return Vec::new();
    }
    // The passive listeners start before the sweep, so they hear it too, and listen for the
    // discovery window from the scan's start (now), at least the sweep (about RAW_FIRST_WAIT +
    // RAW_WAIT) and a second after it, when a camera that answered it may still ask for its
    // gateway. A scan that listens for nothing else (`--discovery arp,ports`, the fast mode) has
    // no window: they listen through the sweep and a little after, so they do not hold its end.
    let sight = super::misaddressed::Sight::of(scope);
    let sweep = RAW_FIRST_WAIT + RAW_WAIT;
    let others_listen = scope
        .methods
        .iter()
        .any(|m| !matches!(m, DiscoveryMethod::Arp | DiscoveryMethod::Port));
    let listen_for = if others_listen {
        scope.wait.max(sweep + LISTEN_AFTER_SWEEP)
    } else {
        sweep + SWEEP_TAIL
    };
    let mut tasks: Vec<JoinHandle<()>> = scope
        .links
        .arp
        .iter()
        .filter(|link| sight.asks_on(&link.interface))
        .map(|link| {
            tokio::spawn(super::misaddressed::listen_arp(
                link.clone(),
                sight.clone(),
                listen_for,
                scope.events.clone(),
            ))
        })
        .collect();
    let (done, hosts) = Swept::pending(&scope.set);
    scope.hosts = hosts;
    let (set, links, events, probes, identities) = (
        scope.set.clone(),
        scope.links.clone(),
        scope.events.clone(),
        scope.probes.clone(),
        scope.ctx.identities.clone(),
    );
    tasks.push(tokio::spawn(async move {
        let (probed, alive, macs) = find_hosts(&set, &links, &events, &probes, &identities).await;
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
/// all-nodes on each interface, then its neighbour table ([`crate::net::ndp`]). Every IPv6
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
        let found =
            match crate::net::ndp::neighbours(&interface, crate::net::ndp::DEFAULT_WAIT).await {
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
    let table = match crate::net::ndp::table().await {
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
/// targets plus on-link hosts that answered) and the live on-link hosts. The addresses to probe also
/// go to `probes` as soon as they are known: the off-link ones first, then each host as it answers
/// (raw mode) or all of them after the sweep (unprivileged mode).
async fn find_hosts<M: ScanMessage>(
    set: &TargetSet,
    links: &Links,
    tx: &mpsc::Sender<M>,
    probes: &Probes,
    identities: &Identities,
) -> (TargetSet, Vec<Ipv4Addr>, Vec<(String, String)>) {
    let (on_link, raw_links) = (&links.on_link, &links.arp);
    let (inside, outside) = set.split(on_link);
    if inside.is_empty() {
        probes.hand(set.clone());
        return (set.clone(), Vec::new(), Vec::new());
    }
    if !outside.is_empty() {
        probes.hand(outside.clone());
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
            probes.hand_address(IpAddr::V4(ip));
        }
    };
    let mut alive = Vec::new();
    let mut raw_ok = raw_links.len() == on_link.len();
    for (net, link) in on_link.iter().zip(raw_links) {
        if !raw_ok {
            break;
        }
        let here = inside.split(std::slice::from_ref(net)).0;
        if here.is_empty() {
            continue;
        }
        match sweep_raw(link, &here, &mut |ip, mac| hand(ip, Some(mac))).await {
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
        alive = match sweep(v4(&inside), DEFAULT_WAIT).await {
            Ok(alive) => alive,
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
            break;
        }
        if let Some(c) = conflict
            && tx.send(c.into()).await.is_err()
        {
            break;
        }
    }
    // Port probes go only to on-link hosts that answered ARP.
    (
        outside.with_addresses(live.iter().map(|ip| IpAddr::V4(*ip))),
        live,
        macs,
    )
}
