//! ICMP Echo to every address of a routed range ([`sweep`]): the cheapest way to find a host behind a
//! router, beside host discovery's connects to a few likely ports ([`crate::discovery::hosts`]).
//! A host that drops those ports but answers ping is found; one that drops both is not.
//!
//! The socket is a ping socket (`SOCK_DGRAM`, IPPROTO_ICMP), allowed when the process's group is
//! in `net.ipv4.ping_group_range`, else a raw ICMP socket (root or CAP_NET_RAW), else none: then
//! the sweep says so once and host discovery asks the ports only. Requests go out paced (the
//! scan's `--max-rate`); answers are read while they go, and for [`REPLY_WAIT`] after the last.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::round_trips::RoundTrips;
use crate::proto::icmp;

/// How long answers are awaited after the last request: a routed LAN's round trip is a few
/// milliseconds; a slow Wi-Fi bridge's a few hundred.
pub const REPLY_WAIT: Duration = Duration::from_millis(800);

/// An ICMP socket: a ping socket first, a raw one second. `true` with it when raw (its packets
/// carry their IPv4 header).
fn socket() -> std::io::Result<(tokio::net::UdpSocket, bool)> {
    let (s, raw) = match Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)) {
        Ok(s) => (s, false),
        Err(_) => (
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?,
            true,
        ),
    };
    s.set_nonblocking(true)?;
    Ok((
        tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(s))?,
        raw,
    ))
}

/// Ping each of `targets` at `rate` a second at most (0: no limit); `on_reply` hears each address
/// the first time it answers. Returns how long an answer takes ([`RoundTrips::wait`]: the mean
/// round trip and four deviations; `None`: nobody answered),
/// or an error when no ICMP socket can be had (not allowed: host discovery then asks the ports
/// only).
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    rate: u32,
    on_reply: &mut (dyn FnMut(Ipv4Addr) + Send),
) -> std::io::Result<Option<Duration>> {
    let (sock, raw) = socket()?;
    let mut heard = Heard {
        id: (super::random_u64() & 0xffff) as u16,
        raw,
        found: Default::default(),
        trips: RoundTrips::new(REPLY_WAIT),
    };
    let mut buf = [0u8; 1500];
    let started = tokio::time::Instant::now();
    let mut pace = super::pace::Pace::new(rate, Duration::ZERO);
    let mut seq = 0u16;
    for ip in targets {
        if let Some(wait) = pace.take(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        let request = icmp::echo_request(heard.id, seq, b"camscan");
        // A send that fails (ENOBUFS, unreachable) is an address not asked: it stays silent and
        // its ports are still asked.
        if let Err(e) = sock.send_to(&request, SocketAddr::from((ip, 0))).await {
            tracing::debug!("ping {ip}: {e}");
        }
        heard.trips.asked(ip);
        seq = seq.wrapping_add(1);
        // Whatever is queued now, without waiting.
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            heard.take(&buf[..n], from, on_reply);
        }
    }
    let until = tokio::time::Instant::now() + REPLY_WAIT;
    while let Ok(Ok((n, from))) = tokio::time::timeout_at(until, sock.recv_from(&mut buf)).await {
        heard.take(&buf[..n], from, on_reply);
    }
    tracing::debug!(
        answers = heard.trips.estimate().map_or(0, |e| e.samples()),
        mean = ?heard.trips.estimate().map(|e| e.mean()),
        slowest = ?heard.trips.slowest(),
        wait = ?heard.trips.wait(),
        "ping round trips"
    );
    Ok(heard.trips.wait())
}

/// What a sweep keeps while it runs: the addresses heard and how long answers take (send times
/// kept for [`REPLY_WAIT`]).
struct Heard {
    id: u16,
    raw: bool,
    found: std::collections::HashSet<Ipv4Addr>,
    trips: RoundTrips,
}

impl Heard {
    /// One received packet: an Echo Reply with our identifier (a raw socket sees everyone's ICMP;
    /// a ping socket's kernel rewrites the identifier, so there any reply counts).
    fn take(
        &mut self,
        packet: &[u8],
        from: SocketAddr,
        on_reply: &mut (dyn FnMut(Ipv4Addr) + Send),
    ) {
        let Some((got, _)) = icmp::parse_echo_reply(packet, self.raw) else {
            return;
        };
        if self.raw && got != self.id {
            return;
        }
        let IpAddr::V4(ip) = from.ip() else {
            return;
        };
        self.trips.answered(ip);
        if self.found.insert(ip) {
            on_reply(ip);
        }
    }
}
