//! The vendor discovery engine: one query, many answers, for every protocol registered in
//! [`super::protocols`] (SADP, DHIP, DVRIP, Ubiquiti, Hanwha, Vivotek, Sony, Bosch, Foscam); and the
//! scan's vendor stage (`STAGE`, `start`), which runs every chosen protocol side by side.
//!
//! They all work the same way, so one engine serves them: the query goes to the vendor's multicast
//! group (when it has one) and to the subnet broadcast address of each attached interface that holds
//! targets (older firmware listens for one and not the other), and unicast to each host that answered
//! ARP (firmware that ignores multicast and broadcast queries still answers one sent to it). Devices
//! answer the asking socket, or the protocol's reply port (the group on the query port for SADP,
//! port 34569 of the asker for DVRIP, 7711 for Hanwha), so we listen on both. Only answers from scan
//! targets are kept; parsing is the protocol's pure function in [`proto`].
//!
//! What the stage yields: an `Event::Announce` for each new answer, the moment it is read (the
//! method that found it, what the answer says, the maker it names or else the protocol's, and
//! whether only video devices speak the protocol); the channel count it announces goes to the
//! RTSP channel walk at once. The registry takes its maker, model, firmware and serial above
//! ONVIF scopes and below the device API, its MAC only when none was seen on the wire, its channel
//! count and its name (as a label); addresses that share a MAC or a serial are one device. The
//! collector puts its maker, model and MAC on the identity board (`learn`).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::links::Interface;
use super::misaddressed::Sight;
use super::protocols::{PROTOCOLS, VendorProtocol};
use super::scope::{About, ScanMessage, Scope, Swept, Woke, hosts_or_datagram};
use analyze::context::Announcements;
use analyze::identity::{ClueSource, Identities};
use model::{Announcement, DiscoveryMethod};
use registry::Event;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 64 * 1024;
/// How long the unicast queries to the hosts ARP's sweep found are given when the sweep names them
/// late in the window (or after it): a second chance for a device whose multicast or broadcast
/// query was lost. Their devices answer at once (the captures in `docs/design/protocols.md` show
/// replies within milliseconds of the query); 800 ms leaves room for a busy device and a slow
/// link.
const UNICAST_FLOOR: Duration = Duration::from_millis(800);

/// One protocol's query.
#[derive(Debug, Clone)]
pub struct Query {
    /// For logs: `SADP`, `DVRIP`.
    pub name: &'static str,
    /// Where the query goes.
    pub port: u16,
    /// Where devices send answers besides the asking socket (often `port` itself); `None`: the
    /// asking socket only.
    pub reply_port: Option<u16>,
    /// The multicast group the query also goes to, joined on `reply_port`.
    pub group: Option<Ipv4Addr>,
    /// Datagrams sent to every destination, in order.
    pub datagrams: Vec<Vec<u8>>,
}

/// Send `query` to every interface at once (multicast and broadcast), and to each host `unicast`
/// names when it has named them (ARP's sweep runs beside this); call `on_answer(sender, bytes)`
/// for every datagram a target sends back within `wait`, and when the hosts came late, within
/// [`UNICAST_FLOOR`] of their query.
pub async fn query(
    query: &Query,
    interfaces: &[Interface],
    unicast: impl std::future::Future<Output = Vec<Ipv4Addr>>,
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_answer: impl FnMut(IpAddr, &[u8]),
) {
    let mut sockets: Vec<UdpSocket> = Vec::new();
    for i in interfaces {
        match net::multicast_socket(i.local).and_then(|s| {
            s.set_broadcast(true)?;
            Ok(s)
        }) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(local = %i.local, "{}: cannot open a socket: {e}", query.name),
        }
    }
    let senders = sockets.len();
    let locals: Vec<Ipv4Addr> = interfaces.iter().map(|i| i.local).collect();
    if let Some(port) = query.reply_port {
        match net::reply_listener(query.group, port, &locals) {
            Ok(s) => sockets.push(s),
            // Without it we still hear devices that answer the asking socket.
            Err(e) => tracing::debug!(port, "{}: cannot listen on the reply port: {e}", query.name),
        }
    }
    for (s, i) in sockets.iter().take(senders).zip(interfaces) {
        for d in &query.datagrams {
            for to in query.group.into_iter().chain([i.broadcast]) {
                if let Err(e) = s.send_to(d, (to, query.port)).await {
                    tracing::debug!(%to, "{}: send failed: {e}", query.name);
                }
            }
        }
    }
    let start = tokio::time::Instant::now();
    let mut deadline = start + wait;
    let mut unicast = std::pin::pin!(unicast);
    let mut asked = false;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let hosts = (!asked).then_some(unicast.as_mut());
        let woke = hosts_or_datagram(hosts, &sockets, deadline, &mut buf).await;
        let (n, from) = match woke {
            Woke::Hosts(named) => {
                asked = true;
                if ask_unicast(query, &named, senders, &mut sockets).await {
                    deadline = deadline.max(tokio::time::Instant::now() + UNICAST_FLOOR);
                } else if senders == 0 {
                    break; // nothing sent anywhere
                }
                continue;
            }
            // The window is over while ARP still sweeps: its hosts are waited for, and asked.
            Woke::Datagram(None) if !asked => {
                asked = true;
                let named = unicast.as_mut().await;
                if ask_unicast(query, &named, senders, &mut sockets).await {
                    deadline = tokio::time::Instant::now() + UNICAST_FLOOR;
                    continue;
                }
                break;
            }
            Woke::Datagram(None) => break,
            Woke::Datagram(Some(got)) => got,
        };
        if locals.contains(&match from.ip() {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        }) {
            continue; // our own query, looped back
        }
        if !accept(from.ip()) {
            tracing::debug!(%from, "{} answer from outside the targets ignored", query.name);
            continue;
        }
        on_answer(from.ip(), &buf[..n]);
    }
}

/// Send `query` to each of `named` from the first of the `senders` sockets, or from one opened
/// for it (added to `sockets`). Whether anything was sent.
async fn ask_unicast(
    query: &Query,
    named: &[Ipv4Addr],
    senders: usize,
    sockets: &mut Vec<UdpSocket>,
) -> bool {
    if named.is_empty() {
        return false;
    }
    let from = if senders > 0 {
        0
    } else {
        match UdpSocket::bind("0.0.0.0:0").await {
            Ok(s) => {
                sockets.push(s);
                sockets.len() - 1
            }
            Err(e) => {
                tracing::warn!("{}: cannot open a socket: {e}", query.name);
                return false;
            }
        }
    };
    for ip in named {
        for d in &query.datagrams {
            let _ = sockets[from].send_to(d, (*ip, query.port)).await;
        }
    }
    true
}

/// A fresh random UUID in upper case (the form SADP clients send).
pub fn random_uuid() -> String {
    let (a, b) = (net::random_u64(), net::random_u64());
    format!(
        "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// The vendor stage: every protocol of [`PROTOCOLS`].
pub(super) const STAGE: About = About {
    name: "vendor protocols",
    serves: |m| super::protocols::by_method(m).is_some(),
    announces_channels: true,
    learn,
};

/// Every vendor protocol the scan chose, one task each, when an attached interface holds targets
/// or ARP found hosts to ask.
pub(super) fn start<M: ScanMessage>(scope: &Scope<M>) -> Vec<JoinHandle<()>> {
    PROTOCOLS
        .iter()
        .filter(|p| scope.chose(p.method))
        .filter(|_| !scope.links.vendor.is_empty() || scope.chose(DiscoveryMethod::Arp))
        .map(|protocol| {
            tokio::spawn(ask(
                protocol,
                scope.links.vendor.clone(),
                scope.hosts.clone(),
                Sight::of(scope),
                scope.ctx.announcements.clone(),
                scope.window(),
                scope.events.clone(),
            ))
        })
        .collect()
}

/// The answer's maker and model, and its MAC, on the identity board.
fn learn(board: &Identities, ev: &Event) {
    if let Event::Announce {
        ip, info, vendor, ..
    } = ev
    {
        board.learn_maker(
            *ip,
            ClueSource::VendorProtocol,
            vendor.as_deref(),
            info.model.as_deref(),
        );
        if let Some(m) = &info.mac {
            board.learn_mac(*ip, m);
        }
        board.learn_keys(
            *ip,
            &model::identity::Identity {
                serial: info
                    .serial
                    .as_deref()
                    .and_then(model::identity::normalize_serial),
                ..Default::default()
            },
        );
    }
}

/// Vendor protocol answers kept per host (an NVR may answer once per interface) and in all.
const MAX_ANSWERS_PER_HOST: usize = 4;

const MAX_ANSWERS: usize = 65_536;

/// One vendor discovery protocol: each target that answers becomes an `Announce` event as soon as
/// its answer is read, and its channel count goes to the RTSP channel walk.
async fn ask<M: ScanMessage>(
    protocol: &'static VendorProtocol,
    ifs: Vec<Interface>,
    // Whom ARP found (its unicast queries go to them), and whose answers are kept: the targets',
    // and those of misaddressed devices.
    hosts: Swept,
    sight: Sight,
    announcements: Announcements,
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    let token = random_uuid();
    let q = Query {
        name: protocol.name,
        port: protocol.port,
        reply_port: protocol.reply_port,
        group: protocol.group,
        datagrams: (protocol.query)(&token),
    };
    let maker = knowledge::display_name(protocol.vendor);
    let (answers_tx, mut answers_rx) = mpsc::unbounded_channel::<Event>();
    let mut seen: Vec<(IpAddr, Announcement)> = Vec::new();
    let seen_ref = &mut seen;
    let sight_ref = &sight;
    let on_answer = move |ip: IpAddr, bytes: &[u8]| {
        let found = match (protocol.parse)(bytes, &token) {
            Ok(found) => found,
            Err(e) => {
                tracing::debug!(%ip, "{}: {e}", protocol.name);
                return;
            }
        };
        let info = found.info;
        // A sender outside every attached subnet: a misaddressed device (its answer reached us at
        // layer 2). Said once per distinct answer, before its announcement.
        let misaddressed = sight_ref.vendor_answer(ip, &info, protocol.method);
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
            announcements.announce(ip, n);
        }
        if let Some(ev) = misaddressed {
            tracing::info!(%ip, "{}: answer from outside the attached subnets: a misaddressed device", protocol.name);
            let _ = answers_tx.send(ev);
        }
        let _ = answers_tx.send(Event::Announce {
            ip,
            method: protocol.method,
            info: Box::new(info),
            vendor: found.vendor.or_else(|| Some(maker.clone())),
            is_camera: found.is_camera,
        });
    };
    let forward = async {
        while let Some(ev) = answers_rx.recv().await {
            if !sight_ref.send(ev, &tx).await {
                return;
            }
        }
    };
    let keep = |ip: IpAddr| hosts.accepts(ip) || sight_ref.is_outside(ip);
    let ask = async {
        query(&q, &ifs, hosts.alive(), wait, keep, on_answer).await;
    };
    // `ask` owns the answer sender: when it ends, `forward` drains the rest and ends too.
    tokio::join!(ask, forward);
    tracing::info!(devices = seen.len(), "{} finished", protocol.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_fresh_and_well_formed() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{a}");
        assert!(
            a.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
    }
}
