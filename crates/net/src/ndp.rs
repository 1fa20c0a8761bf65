//! A link's IPv6 neighbours: an ICMPv6 Echo Request to the all-nodes group `ff02::1` (RFC 4291
//! §2.7.1) on one interface, then the kernel's IPv6 neighbour table for that interface.
//!
//! Every IPv6 node answers an echo to all-nodes (RFC 4443 §4.1 allows a node to ignore an echo to a
//! multicast address, and Linux answers unless `net.ipv6.icmp.echo_ignore_multicast` is set). To
//! send its reply a node resolves the scanner's address with a Neighbor Solicitation carrying its
//! own link-layer address, and the scanner's kernel keeps that address as a STALE entry
//! (RFC 4861 §7.2.3): after the ping, the neighbour table maps each answering address to its MAC.
//! The echo goes out once from each IPv6 address the interface holds: a node answers from the
//! address whose scope matches the source (RFC 6724 §5 rule 2), so the link-local source learns
//! the neighbours' link-local addresses and a unique-local or global source their addresses of
//! that scope.
//!
//! The socket is an unprivileged ICMP socket (`SOCK_DGRAM`, IPPROTO_ICMPV6: allowed when the
//! user's group is in `net.ipv4.ping_group_range`, which also governs IPv6) or else a raw one
//! (root or CAP_NET_RAW); with neither, only the table is read. The table is read with iproute2's
//! `ip -6 neigh show dev IF` (netlink RTM_GETNEIGH underneath; IPv6 has no `/proc/net/arp`), parsed by
//! [`proto::neigh::parse_ip_neigh`].

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use model::addr::needs_zone;
use proto::icmpv6;
use proto::neigh::{Neighbour6, parse_ip_neigh};

/// How long to wait for echo replies: a neighbour on the link answers within milliseconds (its
/// Neighbor Solicitation first, then the reply).
pub const DEFAULT_WAIT: Duration = Duration::from_millis(400);
/// The deadline of the `ip -6 neigh` read.
const TABLE_TIMEOUT: Duration = Duration::from_secs(3);
/// All-nodes, link-local scope (RFC 4291 §2.7.1).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// One IPv6 neighbour on the interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub ip: Ipv6Addr,
    /// Its MAC, from the neighbour table (none when the table had no complete entry).
    pub mac: Option<String>,
}

/// The IPv6 addresses interface `interface` holds, from `/proc/net/if_inet6` (one line per
/// address: 32 hex digits, ifindex, prefix length, scope, flags, name; the if-addrs crate leaves
/// link-local addresses out, and they are the ones every IPv6 interface has).
fn local_addresses(interface: &str) -> io::Result<Vec<Ipv6Addr>> {
    let text = std::fs::read_to_string("/proc/net/if_inet6")?;
    Ok(parse_if_inet6(&text, interface))
}

fn parse_if_inet6(text: &str, interface: &str) -> Vec<Ipv6Addr> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [hex, .., name] = f.as_slice() else {
                return None;
            };
            if *name != interface || hex.len() != 32 {
                return None;
            }
            let ip = Ipv6Addr::from(u128::from_str_radix(hex, 16).ok()?);
            (!ip.is_loopback() && !ip.is_multicast()).then_some(ip)
        })
        .collect()
}

/// An ICMPv6 socket bound to `local` on interface `index`: unprivileged first, raw second.
fn icmp_socket(local: Ipv6Addr, index: u32) -> io::Result<tokio::net::UdpSocket> {
    let s = match Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::ICMPV6)) {
        Ok(s) => s,
        Err(_) => Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?,
    };
    let scope = if needs_zone(local) { index } else { 0 };
    s.bind(&SocketAddr::V6(SocketAddrV6::new(local, 0, 0, scope)).into())?;
    s.set_multicast_if_v6(index)?;
    s.set_nonblocking(true)?;
    tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(s))
}

/// Ping all-nodes on `interface` from each of its IPv6 addresses, wait `wait` for replies, then read
/// its neighbour table: every neighbour that answered or that the table lists with a MAC, sorted,
/// the interface's own addresses left out. Every answering link-local address's zone is remembered
/// ([`crate::zone`]). An interface without IPv6 addresses has no IPv6 neighbours to ask.
pub async fn neighbours(interface: &str, wait: Duration) -> io::Result<Vec<Found>> {
    let index = super::zone::index_of(interface)?;
    let locals = local_addresses(interface)?;
    if locals.is_empty() {
        return Ok(Vec::new());
    }
    let id = (super::random_u64() & 0xffff) as u16;
    let request = icmpv6::echo_request(id, 1, b"camscan");
    let mut sockets = Vec::new();
    for local in &locals {
        match icmp_socket(*local, index) {
            Ok(s) => {
                let to = SocketAddr::V6(SocketAddrV6::new(ALL_NODES, 0, 0, index));
                match tokio::time::timeout(TABLE_TIMEOUT, s.send_to(&request, to)).await {
                    Ok(Ok(_)) => sockets.push(s),
                    Ok(Err(e)) => tracing::debug!("echo to ff02::1%{interface} from {local}: {e}"),
                    Err(_) => {
                        tracing::debug!("echo to ff02::1%{interface} from {local}: send timed out")
                    }
                }
            }
            Err(e) => {
                tracing::debug!(
                    "no ICMPv6 socket on {interface} ({e}): reading its neighbour table only"
                );
                break;
            }
        }
    }
    let mut answered: BTreeMap<Ipv6Addr, Option<String>> = BTreeMap::new();
    if !sockets.is_empty() {
        let deadline = tokio::time::Instant::now() + wait;
        let reads = sockets.iter().map(|s| async move {
            let mut from_all = Vec::new();
            let mut buf = [0u8; 1500];
            while let Ok(Ok((n, from))) =
                tokio::time::timeout_at(deadline, s.recv_from(&mut buf)).await
            {
                // An unprivileged socket sees only its own replies (the kernel matches the
                // identifier it chose); a raw one sees every ICMPv6 message: keep echo replies.
                if buf.get(..n).and_then(icmpv6::parse_echo_reply).is_some() {
                    from_all.push(from);
                }
            }
            from_all
        });
        for from in futures::future::join_all(reads).await.into_iter().flatten() {
            if let SocketAddr::V6(a) = from {
                super::zone::remember_from(SocketAddr::V6(SocketAddrV6::new(
                    *a.ip(),
                    0,
                    0,
                    if a.scope_id() != 0 {
                        a.scope_id()
                    } else {
                        index
                    },
                )));
                answered.insert(*a.ip(), None);
            }
        }
    }
    tracing::debug!(
        ?locals,
        sockets = sockets.len(),
        answered = answered.len(),
        "all-nodes echo on {interface}"
    );
    let table = read_table(Some(interface)).await.unwrap_or_else(|e| {
        tracing::debug!("IPv6 neighbour table of {interface}: {e}");
        Vec::new()
    });
    for n in table {
        if n.device.as_deref().is_none_or(|d| d == interface) {
            if needs_zone(n.ip) {
                let _ = super::zone::remember(n.ip, interface);
            }
            answered.insert(n.ip, Some(n.mac));
        }
    }
    Ok(answered
        .into_iter()
        .filter(|(ip, _)| !locals.contains(ip))
        .map(|(ip, mac)| Found { ip, mac })
        .collect())
}

/// The whole IPv6 neighbour table (`ip -6 neigh show`, every interface), parsed, with a deadline:
/// the MACs of the IPv6 hosts this machine has talked to.
pub async fn table() -> io::Result<Vec<Neighbour6>> {
    read_table(None).await
}

/// `ip -6 neigh show [dev IF]`, parsed, with a deadline.
async fn read_table(interface: Option<&str>) -> io::Result<Vec<Neighbour6>> {
    let mut args = vec!["-6", "neigh", "show"];
    if let Some(i) = interface {
        args.extend(["dev", i]);
    }
    let interface = interface.unwrap_or("every interface");
    let out = tokio::time::timeout(
        TABLE_TIMEOUT,
        tokio::process::Command::new("ip")
            .args(&args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "`ip -6 neigh` did not finish within 3 s",
        )
    })??;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`ip -6 neigh show` ({interface}) failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(parse_ip_neigh(&String::from_utf8_lossy(&out.stdout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_addresses_from_if_inet6() {
        let text = "fd00cafe000000000000000000000001 02 40 00 80     eth0\n\
                    fe800000000000000000000000000001 02 40 20 80     eth0\n\
                    00000000000000000000000000000001 01 80 10 80       lo\n\
                    fe800000000000000000000000000009 03 40 20 80     eth1\n";
        assert_eq!(
            parse_if_inet6(text, "eth0"),
            [
                "fd00:cafe::1".parse::<Ipv6Addr>().unwrap(),
                "fe80::1".parse().unwrap()
            ]
        );
        assert!(parse_if_inet6(text, "lo").is_empty());
        assert!(parse_if_inet6("", "eth0").is_empty());
    }
}
