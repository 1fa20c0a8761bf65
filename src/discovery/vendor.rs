//! The vendor discovery engine: one query, many answers, for every protocol registered in
//! [`super::protocols`] (SADP, DHIP, DVRIP, Ubiquiti, Hanwha, Vivotek, Sony, Bosch, Foscam).
//!
//! They all work the same way, so one engine serves them: the query goes to the vendor's multicast
//! group (when it has one) and to the subnet broadcast address of each attached interface that holds
//! targets (older firmware listens for one and not the other), and unicast to each host that answered
//! ARP (firmware that ignores multicast, `shared/PROTOCOLS.md` §4.5). Devices answer the asking
//! socket, or the protocol's reply port (the group on the query port for SADP, port 34569 of the
//! asker for DVRIP, 7711 for Hanwha), so we listen on both. Only answers from scan targets are kept;
//! parsing is the protocol's pure function in [`crate::proto`].

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::net::UdpSocket;

use super::links::Interface;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 64 * 1024;

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

/// Send `query` and call `on_answer(sender, bytes)` for every datagram a target sends back within
/// `wait`.
pub async fn query(
    query: &Query,
    interfaces: &[Interface],
    unicast: &[Ipv4Addr],
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_answer: impl FnMut(IpAddr, &[u8]),
) {
    let mut sockets: Vec<UdpSocket> = Vec::new();
    for i in interfaces {
        match crate::net::multicast_socket(i.local).and_then(|s| {
            s.set_broadcast(true)?;
            Ok(s)
        }) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(local = %i.local, "{}: cannot open a socket: {e}", query.name),
        }
    }
    let senders = sockets.len();
    if sockets.is_empty() && !unicast.is_empty() {
        match UdpSocket::bind("0.0.0.0:0").await {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!("{}: cannot open a socket: {e}", query.name),
        }
    }
    if sockets.is_empty() {
        return;
    }
    let locals: Vec<Ipv4Addr> = interfaces.iter().map(|i| i.local).collect();
    if let Some(port) = query.reply_port {
        match crate::net::reply_listener(query.group, port, &locals) {
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
    for ip in unicast {
        for d in &query.datagrams {
            let _ = sockets[0].send_to(d, (*ip, query.port)).await;
        }
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while let Some((n, from)) = crate::net::recv_any(&sockets, deadline, &mut buf).await {
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

/// A fresh random UUID in upper case (the form SADP clients send).
pub fn random_uuid() -> String {
    let (a, b) = (crate::net::random_u64(), crate::net::random_u64());
    format!(
        "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
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
