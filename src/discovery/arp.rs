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
use super::tally::Tally;
use crate::analyze::identity::Identities;
use crate::discovery::targets::TargetSet;
use crate::model::DiscoveryMethod;
use crate::model::coverage::ArpCoverage;
use crate::model::setting::Setting;
use crate::net::packet::ArpSocket;
use crate::net::round_trips::RoundTrips;
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
/// Pokes sent from one socket: 64 pokes of about 1 KiB of kernel memory each stay well under the
/// default send buffer (net.core.wmem_default, 208 KiB), however long they wait for ARP.
const POKES_PER_SOCKET: u64 = 64;

/// Poke every address and return the neighbours that answered, sorted by address, with the
/// sweep's figures. The pokes go out at `rate` a second at most (0: no limit); a poke refused
/// with ENOBUFS found the kernel's neighbour table full (`full` counts each): it is sent again once
/// the table has had time to drop its failed entries, never skipped. When the table was found
/// full, the addresses still silent are poked once more after the first round: their ARP
/// exchange may have been lost to it (the kernel could not keep the answer, or, in a lab that
/// plays its hosts on the same kernel, the host could not answer).
pub async fn sweep(
    targets: &TargetSet,
    wait: Duration,
    rate: u32,
    full: &std::sync::atomic::AtomicU64,
) -> std::io::Result<(Vec<Neighbour>, ArpCoverage)> {
    use std::sync::atomic::Ordering;
    let mut socket = poke_socket().await?;
    let mut found: HashMap<Ipv4Addr, Neighbour> = HashMap::new();
    let mut figures = ArpCoverage {
        mode: "unprivileged".into(),
        rate,
        final_rate: rate,
        ..Default::default()
    };
    let started = tokio::time::Instant::now();
    let mut pace = crate::net::pace::Pace::with_burst(rate, rate / 50, Duration::ZERO);
    for round in 1..=2u32 {
        let full_before = full.load(Ordering::Relaxed);
        let before = found.len();
        let mut chunk: Vec<Ipv4Addr> = Vec::with_capacity(CHUNK);
        let known: HashSet<Ipv4Addr> = found.keys().copied().collect();
        let mut silent = v4(targets).filter(|ip| !known.contains(ip)).peekable();
        let mut sent = 0u64;
        while silent.peek().is_some() {
            chunk.clear();
            chunk.extend(silent.by_ref().take(CHUNK));
            for ip in &chunk {
                if let Some(w) = pace.take(started.elapsed()) {
                    tokio::time::sleep(w).await;
                }
                sent += 1;
                // Each poke to an unresolved address waits in the kernel's ARP queue until the
                // address answers or fails (3 s), charged to the socket's send buffer: a socket
                // whose buffer is full blocks the send for those seconds. A new socket every
                // POKES_PER_SOCKET pokes never fills.
                if sent.is_multiple_of(POKES_PER_SOCKET) {
                    socket = poke_socket().await?;
                }
                for attempt in 0..=FULL_RETRIES {
                    // Errors (EHOSTUNREACH for an address the kernel already knows is dead) are
                    // answers too; ENOBUFS is the neighbour table, full: wait and poke again.
                    match socket
                        .send_to(b"camscan", SocketAddr::from((*ip, POKE_PORT)))
                        .await
                    {
                        Err(e)
                            if e.raw_os_error() == Some(libc::ENOBUFS)
                                && attempt < FULL_RETRIES =>
                        {
                            full.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(FULL_PAUSE).await;
                        }
                        _ => break,
                    }
                }
            }
            tokio::time::sleep(wait).await;
            let wanted: HashSet<Ipv4Addr> = chunk.iter().copied().collect();
            // A procfs read does not block.
            let table = std::fs::read_to_string("/proc/net/arp")?;
            for n in parse_proc_net_arp(&table) {
                if wanted.contains(&n.ip) {
                    found.entry(n.ip).or_insert(n);
                }
            }
        }
        figures.passes = round;
        if round == 1 {
            figures.asked = sent;
        } else {
            figures.asked_again = sent;
            figures.found_on_retry = (found.len() - before) as u64;
        }
        if full.load(Ordering::Relaxed) == full_before || sent == 0 {
            break;
        }
    }
    let mut found: Vec<Neighbour> = found.into_values().collect();
    found.sort_by_key(|n| n.ip);
    figures.answered = found.len() as u64;
    Ok((found, figures))
}

/// A socket for pokes whose sends say when the neighbour table is full (ENOBUFS).
async fn poke_socket() -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind("0.0.0.0:0").await?;
    crate::net::packet::report_full_table(&socket);
    Ok(socket)
}

/// The broadcast budget's default, requests a second: about 1 Mbit/s on the wire (a request is
/// 60 bytes, 84 with preamble, FCS and the inter-frame gap: 1,500 x 84 x 8 = 1.01 Mbit/s), 1% of a
/// 100 Mbit/s segment. arp-scan's default is 256 kbit/s (about 380 a second); at that pace a /16
/// takes three minutes a pass, at this one 44 s. `--arp-rate` raises or lowers it.
pub const DEFAULT_RATE: u32 = 1_500;

/// `--arp-rate`: the sweep's broadcast budget, ARP requests a second (0: no limit).
pub static ARP_RATE: Setting<u32> = Setting {
    key: "arp_rate",
    flag: "--arp-rate",
    env: "CAMSCAN_ARP_RATE",
    value_name: "N",
    help: "ARP requests a second at most, the broadcast budget of the sweep of an attached range \
           (about 1 Mbit/s of broadcast at the default); passes over the silent addresses back \
           off from it when requests are lost; 0: no limit [default: 1500]",
    default: DEFAULT_RATE,
    parse: |t| crate::model::setting::count(t, 0),
};
/// Passes at most, the first included ([`next_pass`]): with 40% of requests lost, six passes
/// leave a host hidden with a chance of 0.4%.
pub const MAX_PASSES: u32 = 6;
/// The budget never falls below this when passes back off.
const MIN_RATE: u32 = 50;
/// How long a pass waits for late answers when nobody has answered yet (no delay to measure).
const NO_ANSWER_TAIL: Duration = Duration::from_millis(250);
/// Bounds of the wait after a pass ([`tail`]).
const MIN_TAIL: Duration = Duration::from_millis(60);
const MAX_TAIL: Duration = Duration::from_secs(1);
/// A poke refused because the neighbour table is full is sent again after this pause, this many
/// times at most (the kernel drops failed entries older than 5 s once the table is full).
const FULL_PAUSE: Duration = Duration::from_millis(500);
const FULL_RETRIES: u32 = 12;
/// How long a raw sweep waits before it asks again after the neighbour table was found full: the
/// kernel frees only entries older than 5 s (net/core/neighbour.c, `neigh_forced_gc`).
const NEIGHBOUR_DRAIN: Duration = Duration::from_millis(5500);
/// How long the passive ARP listener goes on after the sweep at least (when `--discovery-wait` is
/// shorter than the sweep and this).
const LISTEN_AFTER_SWEEP: Duration = Duration::from_millis(1000);
/// How long it goes on after the sweep when the scan listens for nothing else: the sweep's own
/// late answers.
const SWEEP_TAIL: Duration = Duration::from_millis(200);
/// MACs kept per address that answered ARP (the first is the device's; the others conflict).
const MAX_MACS: usize = 4;

/// What the next pass of a raw sweep does, from what the passes so far did (pure): `None` ends
/// the sweep, else the next pass's rate. The silent addresses are always asked a second time (one
/// lost frame must not hide a camera). After that the sweep goes on while it expects a host to
/// be still hidden among them ([`Loss::hidden`] at least a half), as nmap's retransmissions go on
/// while probes are being dropped; at half the `budget` once the loss is above 1% (the segment or
/// the hosts may drop requests at this pace), and never past [`MAX_PASSES`].
pub fn next_pass(pass: u32, sent: u64, loss: &Loss, budget: u32) -> Option<u32> {
    if sent == 0 || pass >= MAX_PASSES {
        return None;
    }
    if pass == 1 {
        return Some(budget);
    }
    if loss.hidden(pass) < 0.5 {
        return None;
    }
    Some(if loss.rate() > 0.01 && budget > 0 {
        (budget / 2).max(MIN_RATE)
    } else {
        budget
    })
}

/// What a raw sweep learns of the segment's loss: the hosts that answered in all, and how many
/// times one of them was asked in vain before it answered (a host first heard in pass 3 was
/// missed twice).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Loss {
    pub found: u64,
    pub misses: u64,
}

impl Loss {
    /// The share of requests to a live host that went unanswered (lost on the way there or
    /// back): misses against misses and answers.
    pub fn rate(&self) -> f64 {
        if self.found == 0 {
            0.0
        } else {
            self.misses as f64 / (self.misses + self.found) as f64
        }
    }

    /// How many hosts are expected to be still hidden after `passes` passes: each host is missed
    /// by a pass with the loss's probability, independently, so `found` hosts stand for
    /// `found / (1 - p^passes)` in all.
    pub fn hidden(&self, passes: u32) -> f64 {
        let missed_all = self.rate().powi(passes as i32);
        if missed_all >= 1.0 {
            return f64::INFINITY;
        }
        self.found as f64 * missed_all / (1.0 - missed_all)
    }
}

/// How long a pass waits for late answers: as long as an answer takes (the mean round trip of
/// the answers so far and four deviations, [`RoundTrips::wait`]), within [`MIN_TAIL`,
/// `MAX_TAIL`]; [`NO_ANSWER_TAIL`] while nobody has answered.
pub fn tail(wait: Option<Duration>) -> Duration {
    match wait {
        None => NO_ANSWER_TAIL,
        Some(d) => d.clamp(MIN_TAIL, MAX_TAIL),
    }
}

/// How long a raw sweep of `addresses` should take at `rate`: two passes and their waits.
pub fn expected_duration(addresses: u64, rate: u32) -> Duration {
    let send = if rate == 0 {
        0.0
    } else {
        addresses as f64 / f64::from(rate)
    };
    Duration::from_secs_f64(2.0 * send) + NO_ANSWER_TAIL * 2
}

/// What a raw sweep keeps while it runs.
struct Heard<'a> {
    targets: &'a TargetSet,
    /// Each address's MACs in the order they answered: more than one is an address conflict.
    found: HashMap<Ipv4Addr, Vec<[u8; 6]>>,
    /// How long answers take (send times kept for [`MAX_TAIL`]).
    trips: RoundTrips,
}

/// Raw ARP sweep of `targets` (all on `link`'s network), paced to `rate` requests a second (the
/// broadcast budget; 0: no limit), in passes over the addresses still silent ([`next_pass`]),
/// each followed by a wait as long as the answers have been taking ([`tail`]). Fails with
/// `PermissionDenied` when the process may not open packet sockets; the caller then uses
/// [`sweep`]. `on_found` hears each host the moment it first answers (its port probes need not
/// wait for the sweep to end).
pub async fn sweep_raw(
    link: &Link,
    targets: &TargetSet,
    (rate, full): (u32, &std::sync::atomic::AtomicU64),
    on_found: &mut (dyn FnMut(Ipv4Addr, [u8; 6]) + Send),
) -> std::io::Result<(Vec<Neighbour>, ArpCoverage)> {
    let socket = ArpSocket::open(&link.interface)?;
    let mut heard = Heard {
        targets,
        found: HashMap::new(),
        trips: RoundTrips::new(MAX_TAIL),
    };
    let mut buf = [0u8; 128];
    let mut figures = ArpCoverage {
        mode: "raw".into(),
        rate,
        final_rate: rate,
        ..Default::default()
    };
    let mut pass_rate = rate;
    let (mut pass, mut misses) = (0u32, 0u64);
    loop {
        pass += 1;
        let before = heard.found.len() as u64;
        let full_before = full.load(std::sync::atomic::Ordering::Relaxed);
        let started = tokio::time::Instant::now();
        let mut pace =
            crate::net::pace::Pace::with_burst(pass_rate, pass_rate / 50, Duration::ZERO);
        let mut sent = 0u64;
        let mut first_asked = None;
        for ip in v4(targets) {
            if heard.found.contains_key(&ip) || ip == link.ip {
                continue;
            }
            first_asked.get_or_insert(ip);
            if let Some(wait) = pace.take(started.elapsed()) {
                // Answers are read while the budget holds the next request back.
                let until = tokio::time::Instant::now() + wait;
                drain(&socket, &mut buf, &mut heard, until, on_found).await;
            } else if sent % 64 == 63 {
                // Unpaced: read what is queued now and then, so the receive buffer never fills.
                drain(
                    &socket,
                    &mut buf,
                    &mut heard,
                    tokio::time::Instant::now(),
                    on_found,
                )
                .await;
            }
            socket
                .broadcast(&arp::request(link.mac, link.ip, ip))
                .await?;
            heard.trips.asked(ip);
            sent += 1;
        }
        if sent > 0 {
            let until = tokio::time::Instant::now() + tail(heard.trips.wait());
            drain(&socket, &mut buf, &mut heard, until, on_found).await;
        }
        let new = heard.found.len() as u64 - before;
        if pass == 1 {
            figures.asked = sent;
        } else {
            figures.asked_again += sent;
            figures.found_on_retry += new;
        }
        figures.passes = pass;
        figures.final_rate = pass_rate;
        misses += new * u64::from(pass - 1);
        let loss = Loss {
            found: heard.found.len() as u64,
            misses,
        };
        figures.loss_percent = (loss.rate() * 1000.0).round() / 10.0;
        tracing::debug!(
            pass,
            sent,
            new,
            answered = heard.found.len(),
            rate = pass_rate,
            slowest_ms = heard.trips.slowest().map(|d| d.as_millis() as u64),
            wait_ms = heard.trips.wait().map(|d| d.as_millis() as u64),
            "raw ARP pass"
        );
        // The neighbour table was found full while this pass ran: the hosts' own answers may
        // have been lost with it (a host that cannot keep the asker's entry does not answer;
        // in a lab whose hosts share this kernel, every one). Ask the silent again once the
        // kernel may free entries (older than 5 s), whatever the loss says.
        // The probes count what they meet; the hosts' own losses show nowhere else, so the
        // table is also asked directly, with one poke to an address of this pass still silent.
        if let Some(silent) = first_asked.filter(|ip| !heard.found.contains_key(ip))
            && crate::net::neigh::full_now(silent)
        {
            full.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let overflowed = full.load(std::sync::atomic::Ordering::Relaxed) > full_before;
        let next = match next_pass(pass, sent, &loss, rate) {
            None if overflowed && sent > 0 && pass < MAX_PASSES => Some(pass_rate),
            other => other,
        };
        if next.is_some() && overflowed {
            tracing::info!(
                pass,
                "the neighbour table was full during the ARP pass: the silent addresses are asked \
                 again once it has room"
            );
            let until = tokio::time::Instant::now() + NEIGHBOUR_DRAIN;
            drain(&socket, &mut buf, &mut heard, until, on_found).await;
        }
        if pass >= MAX_PASSES && overflowed {
            figures.given_up = sent - new;
        }
        match next {
            Some(r) => pass_rate = r,
            None => {
                if pass >= MAX_PASSES && loss.hidden(pass) >= 0.5 {
                    figures.given_up = sent - new;
                    figures.hidden = (loss.hidden(pass) * 10.0).round() / 10.0;
                }
                break;
            }
        }
    }
    figures.answered = heard.found.len() as u64;
    let mut out: Vec<Neighbour> = heard
        .found
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
    Ok((out, figures))
}

/// Read answers until `until` (what is queued already when it has passed), keeping senders that
/// are targets.
async fn drain(
    socket: &ArpSocket,
    buf: &mut [u8],
    heard: &mut Heard<'_>,
    until: tokio::time::Instant,
    on_found: &mut (dyn FnMut(Ipv4Addr, [u8; 6]) + Send),
) {
    loop {
        // A timeout polls the receive first: a deadline already past still takes what is queued.
        let n = match tokio::time::timeout_at(until, socket.recv(buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::debug!("ARP receive: {e}");
                return;
            }
            Err(_) => return,
        };
        let Some(sender) = buf.get(..n).and_then(arp::parse) else {
            continue;
        };
        if !heard.targets.contains(sender.ip.into()) {
            continue;
        }
        heard.trips.answered(sender.ip);
        match heard.found.get_mut(&sender.ip) {
            None => {
                heard.found.insert(sender.ip, vec![sender.mac]);
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
    let tally = scope.tally.clone();
    let routed = |set: TargetSet, scope: &Scope<M>| {
        let (probes, tally) = (scope.probes.clone(), tally.clone());
        let how = super::hosts::Discovery {
            ports: scope.ports.clone(),
            probe_all: scope.probe_all,
            ping_rate: scope.max_rate,
            connect_timeout: scope.connect_timeout,
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
    let off_link = scope.set.split(&scope.links.on_link).1;
    if !off_link.is_empty() {
        tasks.push(routed(off_link, scope));
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
    let (inside, outside) = set.split(on_link);
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
        alive = match sweep(&inside, DEFAULT_WAIT, rate, &tally.neighbour_full).await {
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

#[cfg(test)]
mod tests {
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
