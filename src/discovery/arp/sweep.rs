//! The sweep itself: the unprivileged one ([`sweep`], UDP pokes and the kernel's neighbour
//! table) and the raw one ([`sweep_raw`], ARP requests in passes while hosts may hide, paced by
//! the broadcast budget), and the rules of its passes and waits; the ARP stage (`super`) runs it.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::discovery::links::Link;
use crate::discovery::targets::TargetSet;
use model::coverage::ArpCoverage;
use net::packet::ArpSocket;
use net::round_trips::RoundTrips;
use proto::arp;
use proto::neigh::{Neighbour, parse_proc_net_arp};

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
    let mut pace = net::pace::Pace::with_burst(rate, rate / 50, Duration::ZERO);
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
    net::packet::report_full_table(&socket);
    Ok(socket)
}

/// Passes at most, the first included ([`next_pass`]): with 40% of requests lost, six passes
/// leave a host hidden with a chance of 0.4%.
pub const MAX_PASSES: u32 = 6;
/// The budget never falls below this when passes back off.
pub(super) const MIN_RATE: u32 = 50;
/// How long a pass waits for late answers when nobody has answered yet (no delay to measure).
pub(super) const NO_ANSWER_TAIL: Duration = Duration::from_millis(250);
/// Bounds of the wait after a pass ([`tail`]).
pub(super) const MIN_TAIL: Duration = Duration::from_millis(60);
pub(super) const MAX_TAIL: Duration = Duration::from_secs(1);
/// A poke refused because the neighbour table is full is sent again after this pause, this many
/// times at most (the kernel drops failed entries older than 5 s once the table is full).
const FULL_PAUSE: Duration = Duration::from_millis(500);
const FULL_RETRIES: u32 = 12;
/// How long a raw sweep waits before it asks again after the neighbour table was found full: the
/// kernel frees only entries older than 5 s (net/core/neighbour.c, `neigh_forced_gc`).
const NEIGHBOUR_DRAIN: Duration = Duration::from_millis(5500);
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
        let (sent, first_asked) =
            ask_silent(link, &socket, &mut buf, &mut heard, pass_rate, on_found).await?;
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
            && net::neigh::full_now(silent)
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
    Ok((neighbours(heard.found, link), figures))
}

/// One pass: ask every target still silent, paced to `rate` requests a second (0: unpaced),
/// reading answers while the budget holds the next request back. How many were asked, and the
/// first of them.
async fn ask_silent(
    link: &Link,
    socket: &ArpSocket,
    buf: &mut [u8],
    heard: &mut Heard<'_>,
    rate: u32,
    on_found: &mut (dyn FnMut(Ipv4Addr, [u8; 6]) + Send),
) -> std::io::Result<(u64, Option<Ipv4Addr>)> {
    let started = tokio::time::Instant::now();
    let mut pace = net::pace::Pace::with_burst(rate, rate / 50, Duration::ZERO);
    let mut sent = 0u64;
    let mut first_asked = None;
    let targets = heard.targets;
    for ip in v4(targets) {
        if heard.found.contains_key(&ip) || ip == link.ip {
            continue;
        }
        first_asked.get_or_insert(ip);
        if let Some(wait) = pace.take(started.elapsed()) {
            // Answers are read while the budget holds the next request back.
            let until = tokio::time::Instant::now() + wait;
            drain(socket, buf, heard, until, on_found).await;
        } else if sent % 64 == 63 {
            // Unpaced: read what is queued now and then, so the receive buffer never fills.
            drain(socket, buf, heard, tokio::time::Instant::now(), on_found).await;
        }
        socket
            .broadcast(&arp::request(link.mac, link.ip, ip))
            .await?;
        heard.trips.asked(ip);
        sent += 1;
    }
    Ok((sent, first_asked))
}

/// The sweep's answers as neighbours of `link`, by address: each address's first MAC, the others
/// that answered for it beside it.
fn neighbours(found: HashMap<Ipv4Addr, Vec<[u8; 6]>>, link: &Link) -> Vec<Neighbour> {
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
    out
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
