//! ONVIF WS-Discovery: multicast Probes on each attached interface chosen for the scan (and on
//! `[ff02::c]:3702` on the interface of each zoned link-local target), plus unicast Probes to port
//! 3702 of each live host (some cameras answer one and not the other, sr99622/libonvif#102;
//! multicast never crosses a router); and the scan's WS-Discovery stage (`STAGE`, `start`), which
//! asks each device that answered for its ONVIF device API ([`super::onvif_device`]) the moment its
//! answer is read.
//!
//! Devices disagree on which Probe they answer (a typed or an untyped one, one line or pretty
//! XML, a MessageID they have not seen), so several variants go out, each with its own MessageID,
//! on a schedule that fits the discovery window (`schedule`, docs/design/protocols.md,
//! "WS-Discovery"). Replies come unicast to our sockets; each is parsed by [`proto::wsd`]
//! and kept only if it answers one of our MessageIDs (or says nothing about it) and its sender is
//! a scan target. An XAddr naming another host than the sender that does not answer is reported
//! as stale (`check_xaddrs`).
//!
//! What the stage yields: an `Event::Onvif` for each answer (its scopes' name, hardware, maker and
//! MAC; its endpoint reference, XAddrs, types and scopes), then the device API's events. The
//! registry takes the scopes' name as a label, their maker and model above a UPnP description,
//! an mDNS record and a web fingerprint but below a vendor protocol's answer and the device API,
//! their MAC only when none was seen on the wire, and marks a NetworkVideoTransmitter as a camera;
//! addresses that share the endpoint reference (or a UPnP UDN with the same UUID) are one device.
//! The collector puts the scopes' maker and MAC on the identity board (`learn`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use tokio::net::UdpSocket;

use super::scope::{Woke, hosts_or_datagram};
use proto::wsd::{self, Layout, ProbeKind, ProbeMatch};

pub const MULTICAST: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), 3702);
pub const PORT: u16 = 3702;
/// The IPv6 group, link-local scope (WS-Discovery 2005/04 §2.4 and 1.1 §2.4: `FF02::C`; also
/// python-ws-discovery `threaded.py` MULTICAST_IPV6_ADDRESS).
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xc);
/// When each multicast round goes out, from the start of the window. SOAP-over-UDP repeats a
/// multicast message: python-ws-discovery (`wsdiscovery/udp.py`, MULTICAST_UDP_REPEAT 4) sends 4
/// copies, the first gap 50-250 ms, doubling up to 500 ms; futomi/node-onvif sends 3 rounds 150 ms
/// apart. We send 4 rounds, 100 ms then doubling (0, 100, 300, 700 ms); a round is sent only when
/// half the window is still ahead of it (a responder waits up to 500 ms before answering,
/// python-ws-discovery `daemon.py` APP_MAX_DELAY), so the window itself never grows.
const MULTICAST_ROUNDS_MS: [u64; 4] = [0, 100, 300, 700];
/// A responder's longest random wait before it answers a multicast Probe (WS-Discovery 1.1 §3.1.3,
/// APP_MAX_DELAY; python-ws-discovery `daemon.py`).
const APP_MAX_DELAY_MS: u64 = 500;
// When the answers to the first two multicast rounds are due (analyze's
// `identity::FIRST_ANSWERS_DUE`, which a device whose maker a clue named waits for): the second
// round, a responder's longest wait, and 100 ms. Held to these rounds when this compiles.
const _: () = assert!(
    analyze::identity::FIRST_ANSWERS_DUE.as_millis()
        == (MULTICAST_ROUNDS_MS[1] + APP_MAX_DELAY_MS + 100) as u128
);
/// How long the unicast Probes and their answers are given when ARP's sweep names the hosts late
/// in the window (or after it): the compact Probes, the pretty retry at 40 % of it (360 ms) and a
/// responder's hold-back of up to 500 ms after it (python-ws-discovery `daemon.py` APP_MAX_DELAY,
/// which it applies to unicast Probes too), with 40 ms to spare.
pub const UNICAST_FLOOR: Duration = Duration::from_millis(900);
/// The compact unicast Probes go out twice, 100 ms apart (python-ws-discovery's
/// UNICAST_UDP_REPEAT is 2).
const UNICAST_REPEAT_MS: u64 = 100;
/// The pretty unicast retry, to the hosts that have not answered yet, at this share of the window
/// (600 ms of the default 1.5 s).
const PRETTY_RETRY_SHARE: f64 = 0.4;
/// The Probes of each multicast round, each with its own MessageID: a responder ignores a
/// MessageID it has already answered (python-ws-discovery does), so a typed and an untyped Probe
/// sharing one would draw one answer.
const MULTICAST_KINDS: [ProbeKind; 3] = [
    ProbeKind::NetworkVideoTransmitter,
    ProbeKind::Device,
    ProbeKind::Untyped,
];
/// The unicast Probes to each live host: typed and untyped.
const UNICAST_KINDS: [ProbeKind; 2] = [ProbeKind::NetworkVideoTransmitter, ProbeKind::Untyped];
/// Largest datagram read.
const MAX_DATAGRAM: usize = 64 * 1024;
/// Most answers kept (a /16 of cameras; a peer inventing endpoints is not worth more memory).
const MAX_FOUND: usize = 65_536;

/// One device's answer.
#[derive(Debug, Clone)]
pub struct Found {
    pub sender: IpAddr,
    pub probe_match: ProbeMatch,
}

/// One Probe variant we send: its MessageID and what it is (for the logs).
#[derive(Debug, Clone)]
pub struct Variant {
    pub id: String,
    pub kind: ProbeKind,
    pub layout: Layout,
    pub multicast: bool,
}

impl Variant {
    pub fn describe(&self) -> String {
        format!(
            "{} {} {}",
            if self.multicast {
                "multicast"
            } else {
                "unicast"
            },
            match self.layout {
                Layout::Compact => "compact",
                Layout::Pretty => "pretty",
            },
            self.kind.name()
        )
    }
    fn xml(&self) -> String {
        wsd::probe_with(&self.id, self.kind, self.layout)
    }
}

/// The Probe variants of one scan: multicast (compact) of each of [`MULTICAST_KINDS`], unicast
/// compact and unicast pretty of each of [`UNICAST_KINDS`], each with its own MessageID.
pub fn variants(nonce: u64) -> Vec<Variant> {
    let mut out = Vec::new();
    let mut add = |kind, layout, multicast| {
        let n = out.len() as u16 + 1;
        out.push(Variant {
            id: format!(
                "urn:uuid:{:08x}-ca75-{n:04x}-8000-{:012x}",
                nonce as u32,
                (nonce >> 16) & 0xffff_ffff_ffff
            ),
            kind,
            layout,
            multicast,
        });
    };
    for k in MULTICAST_KINDS {
        add(k, Layout::Compact, true);
    }
    for layout in [Layout::Compact, Layout::Pretty] {
        for k in UNICAST_KINDS {
            add(k, layout, false);
        }
    }
    out
}

/// One step of the send schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Every multicast variant on every interface.
    Multicast,
    /// The compact unicast variants to every live host.
    UnicastCompact,
    /// The pretty unicast variants to the live hosts that have not answered.
    UnicastPretty,
}

/// When each step goes out within a window of `wait`, in order.
fn schedule(wait: Duration, multicast: bool, unicast: bool) -> Vec<(Duration, Step)> {
    let mut steps = Vec::new();
    if multicast {
        for ms in MULTICAST_ROUNDS_MS {
            let at = Duration::from_millis(ms);
            if ms == 0 || at * 2 <= wait {
                steps.push((at, Step::Multicast));
            }
        }
    }
    if unicast {
        steps.push((Duration::ZERO, Step::UnicastCompact));
        let again = Duration::from_millis(UNICAST_REPEAT_MS);
        if again * 2 <= wait {
            steps.push((again, Step::UnicastCompact));
        }
        let retry = wait.mul_f64(PRETTY_RETRY_SHARE);
        if retry > again {
            steps.push((retry, Step::UnicastPretty));
        }
    }
    steps.sort_by_key(|(at, _)| *at);
    steps
}

/// Probe on each interface address in `interfaces` (multicast) at once, and each host `unicast`
/// names (port 3702) when it has named them (ARP's sweep runs beside this); hand each new answer to
/// `on_found` the moment it is read, for `wait`, and when the hosts came late, for
/// [`UNICAST_FLOOR`] after their first Probe. `accept` says whether a sender is in scope. Returns
/// how many answers were found.
pub async fn discover(
    interfaces: &[Ipv4Addr],
    v6_links: &[u32],
    unicast: impl std::future::Future<Output = Vec<Ipv4Addr>>,
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_found: impl FnMut(Found),
) -> usize {
    let variants = variants(net::random_u64());
    // Link-local scope: a hop limit of 1, as the IPv4 sockets' TTL.
    let (mut sockets, v4_sockets, v6_indexes) =
        net::multicast_senders(interfaces, v6_links, 1, "WS-Discovery");
    let multicast_sockets = sockets.len();
    // The unicast Probes leave from the first IPv4 multicast socket, or from one of their own
    // (opened when the hosts are known, [`arm_unicast`]).
    let mut unicast_from = if v4_sockets > 0 { Some(0) } else { None };
    let mut plan = schedule(wait, multicast_sockets > 0, false);
    // The hosts to ask by unicast: `None` until `unicast` has named them.
    let mut hosts: Option<Vec<Ipv4Addr>> = None;
    let mut unicast = std::pin::pin!(unicast);
    // Senders that answered any of our Probes: the pretty retry skips them.
    let mut answered: std::collections::HashSet<IpAddr> = std::collections::HashSet::new();
    // (sender, endpoint) of the answers handed on: repeats of one answer count once.
    let mut found: Vec<(IpAddr, Option<String>)> = Vec::new();
    let start = tokio::time::Instant::now();
    let mut deadline = start + wait;
    let mut next = 0;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let step_at = plan.get(next).map(|(at, _)| start + *at);
        let until = step_at.map_or(deadline, |t| t.min(deadline));
        // The hosts, or whichever socket has a reply first (with no socket yet, the step's time).
        let named = hosts.is_none().then_some(unicast.as_mut());
        let woke = hosts_or_datagram(named, &sockets, until, &mut buf).await;
        let (n, from) = match woke {
            Woke::Hosts(named) => {
                let now = start.elapsed();
                if let Some(left) = arm_unicast(&named, now, wait, &mut sockets, &mut plan, next) {
                    unicast_from.get_or_insert(sockets.len() - 1);
                    deadline = deadline.max(tokio::time::Instant::now() + left);
                }
                hosts = Some(named);
                if sockets.is_empty() {
                    break; // nothing to multicast on, nobody to ask
                }
                continue;
            }
            Woke::Datagram(Some(got)) => got,
            Woke::Datagram(None) => match plan.get(next) {
                Some((_, step)) if step_at.is_some_and(|t| t < deadline) => {
                    let (v4, v6) = sockets[..multicast_sockets].split_at(v4_sockets);
                    let v6: Vec<(&UdpSocket, u32)> =
                        v6.iter().zip(v6_indexes.iter().copied()).collect();
                    if let (Some(i), Some(h)) = (unicast_from, &hosts) {
                        send_step(*step, &variants, v4, &v6, &sockets[i], h, &answered).await;
                    } else if let Some(first) = sockets.first() {
                        send_step(*step, &variants, v4, &v6, first, &[], &answered).await;
                    }
                    next += 1;
                    continue;
                }
                // The window is over while ARP still sweeps: its hosts are waited for, and get
                // their Probes and the floor from then.
                _ if hosts.is_none() => {
                    let named = unicast.as_mut().await;
                    let now = start.elapsed();
                    let armed = arm_unicast(&named, now, wait, &mut sockets, &mut plan, next);
                    hosts = Some(named);
                    match armed {
                        Some(left) => {
                            unicast_from.get_or_insert(sockets.len() - 1);
                            deadline = tokio::time::Instant::now() + left;
                            continue;
                        }
                        None => break,
                    }
                }
                _ => break,
            },
        };
        if !accept(from.ip()) {
            tracing::debug!(%from, "WS-Discovery reply from outside the targets ignored");
            continue;
        }
        // A link-local sender's zone is the interface its answer came in on (its scope id).
        net::zone::remember_from(from);
        let reply = wsd::parse(&String::from_utf8_lossy(&buf[..n]));
        if let Some(matches) = ours(reply, from, &variants, &mut answered) {
            for m in matches {
                let key = (from.ip(), m.endpoint.clone());
                if !found.contains(&key) && found.len() < MAX_FOUND {
                    found.push(key);
                    on_found(Found {
                        sender: from.ip(),
                        probe_match: m,
                    });
                }
            }
        }
    }
    found.len()
}

/// The matches of `reply` from `from` when it answers one of our Probes (`variants`) or names
/// none; `None` for an answer to someone else's. Its sender is marked in `answered`.
fn ours(
    reply: wsd::ProbeReply,
    from: std::net::SocketAddr,
    variants: &[Variant],
    answered: &mut std::collections::HashSet<IpAddr>,
) -> Option<Vec<ProbeMatch>> {
    let variant = match reply.relates_to.as_deref() {
        Some(r) => Some(variants.iter().find(|v| v.id == r)?),
        None => None,
    };
    if answered.insert(from.ip()) {
        tracing::debug!(
            %from,
            probe = variant.map(Variant::describe).unwrap_or_else(|| "unknown".into()),
            "WS-Discovery: first answer"
        );
    }
    Some(reply.matches)
}

/// Put the unicast rounds for `named` (found `now` into a window of `wait`) in `plan` after its
/// step `next`, opening a socket for them when `sockets` has no IPv4 one (it is then the last of
/// them). Returns how long from now the rounds and their answers need: what is left of the window,
/// at least [`UNICAST_FLOOR`]; `None` when there is nobody to ask or no socket to ask from.
fn arm_unicast(
    named: &[Ipv4Addr],
    now: Duration,
    wait: Duration,
    sockets: &mut Vec<UdpSocket>,
    plan: &mut Vec<(Duration, Step)>,
    next: usize,
) -> Option<Duration> {
    if named.is_empty() {
        return None;
    }
    let has_v4 = sockets
        .iter()
        .any(|s| s.local_addr().is_ok_and(|a| a.is_ipv4()));
    if !has_v4 {
        let opened = std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .and_then(UdpSocket::from_std);
        match opened {
            Ok(s) => sockets.push(s),
            Err(e) => {
                tracing::warn!("WS-Discovery: cannot open a socket: {e}");
                return None;
            }
        }
    }
    let left = wait.saturating_sub(now).max(UNICAST_FLOOR);
    plan.extend(
        schedule(left, false, true)
            .into_iter()
            .map(|(at, step)| (now + at, step)),
    );
    plan[next..].sort_by_key(|(at, _)| *at);
    Some(left)
}

/// Send one step of the schedule. A send that fails is dropped (a full socket buffer, a host
/// gone): the other copies and variants are its retries.
async fn send_step(
    step: Step,
    variants: &[Variant],
    multicast: &[UdpSocket],
    multicast_v6: &[(&UdpSocket, u32)],
    first: &UdpSocket,
    unicast: &[Ipv4Addr],
    answered: &std::collections::HashSet<IpAddr>,
) {
    match step {
        Step::Multicast => {
            for v in variants.iter().filter(|v| v.multicast) {
                let xml = v.xml();
                for s in multicast {
                    let _ = s.send_to(xml.as_bytes(), MULTICAST).await;
                }
                for (s, index) in multicast_v6 {
                    let to = SocketAddrV6::new(MULTICAST_V6, PORT, 0, *index);
                    let _ = s.send_to(xml.as_bytes(), to).await;
                }
            }
        }
        Step::UnicastCompact | Step::UnicastPretty => {
            let layout = if step == Step::UnicastCompact {
                Layout::Compact
            } else {
                Layout::Pretty
            };
            let xmls: Vec<String> = variants
                .iter()
                .filter(|v| !v.multicast && v.layout == layout)
                .map(Variant::xml)
                .collect();
            for ip in unicast {
                if layout == Layout::Pretty && answered.contains(&IpAddr::V4(*ip)) {
                    continue;
                }
                for xml in &xmls {
                    let _ = first.send_to(xml.as_bytes(), (*ip, PORT)).await;
                }
            }
        }
    }
}

/// The WS-Discovery stage.
mod stage;

pub use stage::v6_links;
pub(super) use stage::{STAGE, start};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_own_message_id() {
        let v = variants(0x1234_5678_9abc_def0);
        assert_eq!(v.len(), 3 + 2 * 2);
        let mut ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), v.len());
        assert!(
            ids.iter()
                .all(|id| id.starts_with("urn:uuid:") && id.len() == 45)
        );
        let names: Vec<String> = v.iter().map(Variant::describe).collect();
        assert!(names.contains(&"multicast compact untyped".to_string()));
        assert!(names.contains(&"unicast pretty typed dn:NetworkVideoTransmitter".to_string()));
    }

    #[test]
    fn the_schedule_fits_the_window() {
        let ms = |p: &[(Duration, Step)], s: Step| -> Vec<u128> {
            p.iter()
                .filter(|(_, x)| *x == s)
                .map(|(d, _)| d.as_millis())
                .collect()
        };
        // The default window (1.5 s): 4 multicast rounds, compact unicast twice, pretty at 600 ms.
        let p = schedule(Duration::from_millis(1500), true, true);
        assert_eq!(ms(&p, Step::Multicast), [0, 100, 300, 700]);
        assert_eq!(ms(&p, Step::UnicastCompact), [0, 100]);
        assert_eq!(ms(&p, Step::UnicastPretty), [600]);
        assert!(p.windows(2).all(|w| w[0].0 <= w[1].0));
        // A short window keeps only the rounds with half of it still ahead.
        let p = schedule(Duration::from_millis(300), true, false);
        assert_eq!(ms(&p, Step::Multicast), [0, 100]);
        let p = schedule(Duration::from_millis(150), false, true);
        assert_eq!(ms(&p, Step::UnicastCompact), [0]);
        assert_eq!(ms(&p, Step::UnicastPretty), []);
        assert!(schedule(Duration::from_secs(1), false, false).is_empty());
    }
}
