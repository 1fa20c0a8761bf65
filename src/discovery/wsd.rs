//! ONVIF WS-Discovery: a multicast Probe on each attached interface chosen for the scan, plus a
//! unicast Probe to port 3702 of each live host (some cameras answer one and not the other,
//! sr99622/libonvif#102; multicast never crosses a router).
//!
//! SOAP-over-UDP asks for repeats: the multicast Probe goes out `REPEATS` (2) times, 100 ms apart
//! (python-ws-discovery repeats 4 times from 50-250 ms; nmap sends 2). Replies come unicast to our
//! socket; each is parsed by [`crate::proto::wsd`] and kept only if it answers our MessageID (or
//! says nothing about it) and its sender is a scan target.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::proto::wsd::{self, ProbeMatch};

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
