//! ONVIF WS-Discovery: a multicast Probe on each attached interface chosen for the scan, plus a
//! unicast Probe to port 3702 of each live host (some cameras answer one and not the other,
//! sr99622/libonvif#102; multicast never crosses a router); and the scan's WS-Discovery stage
//! (`STAGE`, `start`), which asks each device that answered for its ONVIF device API
//! ([`super::onvif_device`]) the moment its answer is read.
//!
//! SOAP-over-UDP asks for repeats: the multicast Probe goes out `REPEATS` (2) times, 100 ms apart
//! (python-ws-discovery repeats 4 times from 50-250 ms; nmap sends 2). Replies come unicast to our
//! socket; each is parsed by [`crate::proto::wsd`] and kept only if it answers our MessageID (or
//! says nothing about it) and its sender is a scan target.
//!
//! What the stage yields: an `Event::Onvif` for each answer (its scopes' name, hardware, maker and
//! MAC; its endpoint reference, XAddrs, types and scopes), then the device API's events. The
//! registry takes the scopes' name as a label, their maker and model above a UPnP description,
//! an mDNS record and a web fingerprint but below a vendor protocol's answer and the device API,
//! their MAC only when none was seen on the wire, and marks a NetworkVideoTransmitter as a camera;
//! addresses that share the endpoint reference (or a UPnP UDN with the same UUID) are one device.
//! The collector puts the scopes' maker and MAC on the identity board (`learn`).

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::onvif_device::onvif_device;
use super::scope::{About, ScanMessage, Scope};
use super::targets::TargetSet;
use crate::analyze::context::ScanContext;
use crate::analyze::identity::{ClueSource, Identities};
use crate::model::DiscoveryMethod;
use crate::proto::wsd::{self, ProbeMatch};
use crate::registry::Event;

pub const MULTICAST: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), 3702);
pub const PORT: u16 = 3702;
const REPEATS: u32 = 2;
const REPEAT_GAP: Duration = Duration::from_millis(100);
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

/// Probe on each interface address in `interfaces` (multicast) and each of `unicast` (port 3702);
/// hand each new answer to `on_found` the moment it is read, for `wait`. `accept` says whether a
/// sender is in scope. Returns how many answers were found.
pub async fn discover(
    interfaces: &[Ipv4Addr],
    unicast: &[Ipv4Addr],
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_found: impl FnMut(Found),
) -> usize {
    let nonce = crate::net::random_u64();
    // Multicast and unicast Probes need different MessageIDs: a responder ignores a MessageID it
    // has already answered (repeats of one Probe keep theirs, as SOAP-over-UDP intends).
    let id = |kind: u16| {
        format!(
            "urn:uuid:{:08x}-ca75-{kind:04x}-8000-{:012x}",
            nonce as u32,
            (nonce >> 16) & 0xffff_ffff_ffff
        )
    };
    let (multicast_id, unicast_id) = (id(1), id(2));
    let probe = wsd::probe(&multicast_id);
    let unicast_probe = wsd::probe(&unicast_id);
    let mut sockets = Vec::new();
    for local in interfaces {
        match crate::net::multicast_socket(*local) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(%local, "WS-Discovery: cannot open a socket: {e}"),
        }
    }
    if sockets.is_empty() && !unicast.is_empty() {
        match UdpSocket::bind("0.0.0.0:0").await {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!("WS-Discovery: cannot open a socket: {e}"),
        }
    }
    let Some(first) = sockets.first() else {
        return 0;
    };
    for round in 0..REPEATS {
        if round > 0 {
            tokio::time::sleep(REPEAT_GAP).await;
        }
        for s in sockets.iter().take(interfaces.len()) {
            let _ = s.send_to(probe.as_bytes(), MULTICAST).await;
        }
        if round == 0 {
            for ip in unicast {
                let _ = first.send_to(unicast_probe.as_bytes(), (*ip, PORT)).await;
            }
        }
    }
    // (sender, endpoint) of the answers handed on: repeats of one answer count once.
    let mut found: Vec<(IpAddr, Option<String>)> = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    // Whichever socket has a reply first.
    while let Some((n, from)) = crate::net::recv_any(&sockets, deadline, &mut buf).await {
        if !accept(from.ip()) {
            tracing::debug!(%from, "WS-Discovery reply from outside the targets ignored");
            continue;
        }
        let reply = wsd::parse(&String::from_utf8_lossy(&buf[..n]));
        if reply
            .relates_to
            .as_deref()
            .is_some_and(|r| r != multicast_id && r != unicast_id)
        {
            continue; // an answer to someone else's probe
        }
        for m in reply.matches {
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
    found.len()
}

/// The WS-Discovery stage.
pub(super) const STAGE: About = About {
    name: "WS-Discovery",
    serves: |m| m == DiscoveryMethod::Onvif,
    announces_channels: false,
    learn,
};

/// WS-Discovery, when the scan chose it: one task, which ends when the window has closed and the
/// device API of every device that answered has been asked.
pub(super) fn start<M: ScanMessage>(scope: &Scope<M>) -> Vec<JoinHandle<()>> {
    if !scope.chose(DiscoveryMethod::Onvif) {
        return Vec::new();
    }
    let mut tasks = Vec::new();
    if !scope.links.multicast.is_empty() {
        // Hellos from devices outside the attached subnets (misaddressed cameras), for the window.
        tasks.push(tokio::spawn(super::misaddressed::listen_hello(
            scope.links.multicast.clone(),
            super::misaddressed::Sight::of(scope),
            scope.wait,
            scope.events.clone(),
        )));
    }
    tasks.push(tokio::spawn(ask_and_follow(
        scope.links.multicast.clone(),
        scope.alive.clone(),
        scope.probed.clone(),
        scope.ctx.clone(),
        scope.wait,
        scope.events.clone(),
    )));
    tasks
}

/// The scopes' maker and model, and their MAC, on the identity board.
fn learn(board: &Identities, ev: &Event) {
    if let Event::Onvif {
        ip,
        vendor,
        model,
        mac,
        ..
    } = ev
    {
        board.learn_maker(
            *ip,
            ClueSource::OnvifScopes,
            vendor.as_deref(),
            model.as_deref(),
        );
        if let Some(m) = mac {
            board.learn_mac(*ip, m);
        }
    }
}

/// WS-Discovery, and the device API of every device that answered, asked the moment its answer
/// is read (one task each): a device's ONVIF facts do not wait for the discovery window to close.
async fn ask_and_follow<M: ScanMessage>(
    ifs: Vec<Ipv4Addr>,
    alive: Vec<Ipv4Addr>,
    scope: TargetSet,
    ctx: ScanContext,
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    if ifs.is_empty() && alive.is_empty() {
        return;
    }
    let (found_tx, mut found_rx) = mpsc::unbounded_channel();
    let ask = async move {
        let n = discover(
            &ifs,
            &alive,
            wait,
            |ip| scope.contains(ip),
            |f| {
                let _ = found_tx.send(f);
            },
        )
        .await;
        tracing::info!(devices = n, "WS-Discovery finished");
    };
    let follow = async {
        let mut device_api = tokio::task::JoinSet::new();
        while let Some(f) = found_rx.recv().await {
            let ip = f.sender;
            let xaddr = f
                .probe_match
                .xaddrs
                .iter()
                .map(|x| wsd::fix_xaddr(x, ip))
                .find(|x| x.starts_with("http://"));
            // The ONVIF profiles the scopes claim, on the capability sheet.
            let claimed = crate::proto::onvif_caps::profiles_from_scopes(&f.probe_match.scopes);
            if tx.send(onvif_event(f).into()).await.is_err() {
                return;
            }
            if !claimed.is_empty() && tx.send(profiles_event(ip, claimed).into()).await.is_err() {
                return;
            }
            if let Some(xaddr) = xaddr {
                let (tx, ctx) = (tx.clone(), ctx.clone());
                device_api.spawn(async move {
                    for ev in onvif_device(ip, &xaddr, &ctx).await {
                        if tx.send(ev.into()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
        while device_api.join_next().await.is_some() {}
    };
    // `ask` owns the answers' sender: when the window ends, `follow` takes the last answers,
    // waits for their device APIs and ends too.
    tokio::join!(ask, follow);
}

/// The ONVIF profiles (`S`, `T`...) a WS-Discovery answer's scopes claim, as capabilities; the
/// registry merges them with the services the device API lists.
fn profiles_event(ip: std::net::IpAddr, profiles: Vec<String>) -> Event {
    Event::Capabilities {
        ip,
        capabilities: Box::new(crate::model::Capabilities {
            onvif: Some(crate::model::capabilities::OnvifServices {
                profiles,
                services: Vec::new(),
            }),
            ..Default::default()
        }),
    }
}

/// The registry event for one WS-Discovery answer.
fn onvif_event(f: Found) -> Event {
    let m = f.probe_match;
    let scopes = wsd::scope_info(&m.scopes);
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
                .map(|x| wsd::fix_xaddr(x, f.sender))
                .collect(),
            types: m.types,
            scopes: m.scopes,
            ..crate::model::OnvifInfo::default()
        }),
    }
}
