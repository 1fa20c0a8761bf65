//! OS networking: the open-file limit, the connect call with its errno classification, the
//! multicast socket of discovery, the ARP packet socket ([`packet`]), TLS ([`tls`]), reverse
//! DNS ([`rdns`]) and the camera clients (HTTP, RTSP, RTMP, STUN, a camera's snapshot:
//! [`snapshot`]).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use input::setting::{Repeat, Setting, duration};

/// 1 s: a LAN host answers a SYN in well under 10 ms; Strix's 100 ms misses slow Wi-Fi cameras.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// 3 s per request/reply, between Cameradar's 2 s and go2rtc's 5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// `--connect-timeout`: how long every TCP connect of a scan waits.
pub static CONNECT_TIMEOUT: Setting<Duration> = Setting {
    key: "connect_timeout",
    flag: "--connect-timeout",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_CONNECT_TIMEOUT",
    value_name: "DURATION",
    help: "TCP connect timeout per probe, e.g. 800ms, 1s (a bare number is seconds) \
           [default: 1s]",
    default: DEFAULT_CONNECT_TIMEOUT,
    choices: None,
    parse: duration,
};

/// `--timeout`: how long every protocol step of a scan (a request and its reply) waits.
pub static TIMEOUT: Setting<Duration> = Setting {
    key: "timeout",
    flag: "--timeout",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_TIMEOUT",
    value_name: "DURATION",
    help: "Timeout for each protocol step (one request and its reply) [default: 3s]",
    default: DEFAULT_TIMEOUT,
    choices: None,
    parse: duration,
};

/// Upper bound on the derived default concurrency: beyond this a LAN's ARP tables overflow
/// (gc_thresh3 is 1024 by default) before the scan gets faster.
pub const MAX_DEFAULT_CONCURRENCY: usize = 1024;
use error::NetError;

/// File descriptors kept back for stdio, the runtime, DNS, output files and analysis connections.
const FD_RESERVE: u64 = 128;

/// Fill `buf` with unpredictable bytes for protocol nonces and ids (RTMP C1, STUN transaction ids,
/// WS-UsernameToken nonces, SADP Uuids, random RTSP paths): the std hasher's per-process random keys
/// over a counter and the clock. Not for secrets; none of these are.
pub fn random_bytes(buf: &mut [u8]) {
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    let seed = state.hash_one(std::time::SystemTime::now());
    for (i, chunk) in buf.chunks_mut(8).enumerate() {
        let v = state.hash_one((seed, i)).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// One random `u64` (see [`random_bytes`]).
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    random_bytes(&mut b);
    u64::from_le_bytes(b)
}

/// Raise RLIMIT_NOFILE's soft limit to the hard limit; return the limit now in force.
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("cannot raise the open-file limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    }
}

/// Default probe concurrency from the open-file limit: 3/4 of what is left after the reserve, at most
/// [`MAX_DEFAULT_CONCURRENCY`], at least 16.
pub fn default_concurrency(fd_limit: u64) -> usize {
    let usable = fd_limit.saturating_sub(FD_RESERVE) * 3 / 4;
    (usable as usize).clamp(16, MAX_DEFAULT_CONCURRENCY)
}

/// Most port analyses at once ([`analysis_slots`]).
pub const MAX_ANALYSES: usize = 128;

/// Port analyses (detection, path walk, PLAY checks) at once beside `probes` connects in flight:
/// an eighth of the probes, within the quarter of the open-file limit the probes leave (two
/// connections an analysis, its walk's and a PLAY check's, and as many again for analyses that
/// lent their slot while they wait: `analyze::slot`), between 16 and [`MAX_ANALYSES`].
/// An analysis mostly waits (a keyframe), so 64 slots left a 1,000-host site waiting for them
/// (issue 83: 600 cameras' analyses, about one second each, took 12 s of a scan whose hosts were
/// all found in 3 s); what one device is asked at once is bounded by its gate ([`host_gate`]).
/// Not more: the scale lab's one GStreamer RTSP server, playing 600 cameras, once stopped
/// answering (every connection left in CLOSE-WAIT) under 256 analyses at once.
pub fn analysis_slots(probes: usize, fd_limit: u64) -> usize {
    let room = (fd_limit.saturating_sub(FD_RESERVE) / 16) as usize;
    (probes / 8).min(room).clamp(16, MAX_ANALYSES)
}

/// Whether `concurrency` sockets fit in the open-file limit after the reserve (and the analysis stage).
pub fn fits_fd_limit(concurrency: usize, fd_limit: u64) -> bool {
    (concurrency as u64).saturating_add(FD_RESERVE) <= fd_limit
}

/// A UDP socket on `port` of every address, which receives what devices send to that port: unicast,
/// broadcast, and (when `group` is given) what is multicast to `group` on each of `locals`. For vendor
/// protocols whose devices answer to a port rather than to the asking socket: to the multicast group
/// (SADP, DHIP), to the asker's own port 34569 (DVRIP), to another port (Hanwha 7701 -> 7711).
/// SO_REUSEADDR lets several listeners (another scanner, a vendor tool) share the port.
pub fn reply_listener(
    group: Option<std::net::Ipv4Addr>,
    port: u16,
    locals: &[std::net::Ipv4Addr],
) -> io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, port)).into())?;
    if let Some(group) = group {
        for local in locals {
            s.join_multicast_v4(&group, local)?;
        }
    }
    tokio::net::UdpSocket::from_std(s.into())
}

/// A UDP socket that receives what is multicast to `group:port` on the interface holding `local`, and
/// nothing else: bound to the group address (a unicast datagram to the port is not for it), joined on
/// that interface only, and (Linux) IP_MULTICAST_ALL off, without which the kernel hands a socket the
/// group's datagrams from every interface that any socket on the host joined. So each datagram read
/// from it arrived on that interface. SO_REUSEADDR lets it share the port with another WS-Discovery or
/// SSDP listener on the host that sets it too (wsdd, minissdpd, GSSDP, python-wsdiscovery, a second
/// camscan); every one of them gets each datagram. Not SO_REUSEPORT: measured in the namespace lab
/// (Linux 6.18), sockets sharing an address and port with SO_REUSEPORT form a load-balancing group even
/// for multicast: each sender's datagrams went to ONE socket of the group, picked by a hash of the
/// flow and regardless of the interface it had joined on, so a second listener (or our own socket of
/// another interface) would silently take announcements away. Never used to send.
pub fn announcement_listener(
    group: std::net::Ipv4Addr,
    port: u16,
    local: std::net::Ipv4Addr,
) -> io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    s.set_multicast_all_v4(false)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::from((group, port)).into())?;
    s.join_multicast_v4(&group, &local)?;
    tokio::net::UdpSocket::from_std(s.into())
}

/// A UDP socket for multicast discovery on one interface: bound to its address, multicast sent out
/// of it (IP_MULTICAST_IF, which tokio lacks: socket2), TTL 1 so nothing leaves the local segment.
/// The next datagram on any of `sockets` before `deadline`: its length and sender, or `None` at the
/// deadline (at once with no socket). Wake-ups with nothing to read and read errors are skipped.
pub async fn recv_any(
    sockets: &[tokio::net::UdpSocket],
    deadline: tokio::time::Instant,
    buf: &mut [u8],
) -> Option<(usize, SocketAddr)> {
    if sockets.is_empty() {
        return None;
    }
    loop {
        let ready = futures::future::select_all(sockets.iter().map(|s| Box::pin(s.readable())));
        let (res, index, _) = tokio::select! {
            r = ready => r,
            _ = tokio::time::sleep_until(deadline) => return None,
        };
        if res.is_err() {
            continue;
        }
        if let Ok(got) = sockets[index].try_recv_from(buf) {
            return Some(got);
        }
    }
}

pub fn multicast_socket(local: std::net::Ipv4Addr) -> io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_multicast_if_v4(&local)?;
    s.set_multicast_ttl_v4(1)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::from((local, 0)).into())?;
    tokio::net::UdpSocket::from_std(s.into())
}

/// A multicast sender on the IPv6 link `index` (the interface, as a zone), its hop limit `hops`.
pub fn multicast_socket_v6(index: u32, hops: u32) -> io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_only_v6(true)?;
    s.set_multicast_if_v6(index)?;
    s.set_multicast_hops_v6(hops)?;
    s.set_nonblocking(true)?;
    let any = std::net::SocketAddrV6::new(std::net::Ipv6Addr::UNSPECIFIED, 0, 0, index);
    s.bind(&SocketAddr::V6(any).into())?;
    tokio::net::UdpSocket::from_std(s.into())
}

/// The senders of a multicast query: one on each IPv4 address of `interfaces`, then one on each
/// IPv6 link of `v6_links` (hop limit `hops_v6`). A socket that cannot be opened is logged (`what`
/// names the protocol) and left out. Returns the sockets, how many of them are IPv4 (the first),
/// and the link of each IPv6 one.
pub fn multicast_senders(
    interfaces: &[std::net::Ipv4Addr],
    v6_links: &[u32],
    hops_v6: u32,
    what: &str,
) -> (Vec<tokio::net::UdpSocket>, usize, Vec<u32>) {
    let mut sockets = Vec::new();
    for local in interfaces {
        match multicast_socket(*local) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(%local, "{what}: cannot open a socket: {e}"),
        }
    }
    let v4 = sockets.len();
    let mut v6_indexes = Vec::new();
    for index in v6_links {
        match multicast_socket_v6(*index, hops_v6) {
            Ok(s) => {
                sockets.push(s);
                v6_indexes.push(*index);
            }
            Err(e) => tracing::warn!(
                interface = zone::name_of(*index).unwrap_or_default(),
                "{what} over IPv6: cannot open a socket: {e}"
            ),
        }
    }
    (sockets, v4, v6_indexes)
}

/// How a connect attempt ended.
#[derive(Debug)]
pub enum ConnectOutcome {
    Open(TcpStream),
    /// RST: the host is up, the port is closed.
    Refused,
    /// No answer within the timeout: filtered, or no host.
    Timeout,
    /// The network says the host cannot be reached (ICMP unreachable, no ARP answer).
    Unreachable(io::Error),
    /// A local, transient failure worth retrying after a pause (EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL,
    /// EAGAIN, ENOMEM).
    Transient(io::Error),
    /// Anything else.
    Failed(io::Error),
}

/// Classify a connect error by errno, never by message text.
pub fn classify_connect_error(e: io::Error) -> ConnectOutcome {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => ConnectOutcome::Refused,
        Some(
            libc::EMFILE
            | libc::ENFILE
            | libc::ENOBUFS
            | libc::EADDRNOTAVAIL
            | libc::EAGAIN
            | libc::ENOMEM,
        ) => ConnectOutcome::Transient(e),
        Some(libc::EHOSTUNREACH | libc::ENETUNREACH | libc::EHOSTDOWN | libc::ENETDOWN) => {
            ConnectOutcome::Unreachable(e)
        }
        Some(libc::ETIMEDOUT) => ConnectOutcome::Timeout,
        _ => match e.kind() {
            io::ErrorKind::ConnectionRefused => ConnectOutcome::Refused,
            _ => ConnectOutcome::Failed(e),
        },
    }
}

/// One TCP connect with a deadline. The socket is set to reset on close (zero linger) so a scan does not
/// leave thousands of sockets in TIME_WAIT. A link-local IPv6 address gets its zone's scope id
/// ([`zone::scoped`]): without it the kernel cannot tell which link is meant.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> ConnectOutcome {
    let addr = zone::scoped(addr);
    let socket = match if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    } {
        Ok(s) => s,
        Err(e) => return classify_connect_error(e),
    };
    match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Err(_) => ConnectOutcome::Timeout,
        Ok(Err(e)) => classify_connect_error(e),
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            ConnectOutcome::Open(stream)
        }
    }
}

/// Connect for a protocol conversation (detection, analysis): errors become [`NetError`] naming the
/// address and the timeout.
pub async fn connect_stream(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, NetError> {
    match connect(addr, timeout).await {
        ConnectOutcome::Open(s) => Ok(s),
        ConnectOutcome::Timeout => Err(NetError::ConnectTimeout { addr, timeout }),
        ConnectOutcome::Refused => Err(NetError::Connect {
            addr,
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        }),
        ConnectOutcome::Unreachable(e)
        | ConnectOutcome::Transient(e)
        | ConnectOutcome::Failed(e) => Err(NetError::Connect { addr, source: e }),
    }
}

/// What a server that speaks first sends on connecting, recognised ([`proto::greeting`]):
/// up to [`proto::greeting::MAX_GREETING`] bytes, the first within `timeout`, the rest
/// while they keep coming (a Telnet server sends its negotiation and its banner apart). `None`:
/// silent, or not a greeting this knows. Nothing is sent.
pub async fn read_greeting(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<proto::greeting::Greeting>, NetError> {
    use tokio::io::AsyncReadExt;
    /// How long the rest of a greeting may lag its first bytes.
    const MORE: Duration = Duration::from_millis(200);
    // A connection that sends nothing still counts as one request of the device's gate.
    let _slot = host_gate::open(addr.ip(), host_gate::Wire::Other).await;
    let mut stream = connect_stream(addr, connect_timeout).await?;
    let mut buf = vec![0u8; proto::greeting::MAX_GREETING];
    let mut n = 0;
    let mut wait = timeout;
    while n < buf.len() {
        match tokio::time::timeout(wait, stream.read(&mut buf[n..])).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(k)) => n += k,
        }
        wait = MORE;
    }
    Ok(proto::greeting::classify(&buf[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_differ_between_calls_and_positions() {
        let (mut a, mut b) = ([0u8; 1528], [0u8; 1528]);
        random_bytes(&mut a);
        random_bytes(&mut b);
        assert_ne!(a, b);
        assert_ne!(a[..8], a[8..16], "each 8-byte block is its own draw");
        assert_ne!(random_u64(), random_u64());
        let mut odd = [0u8; 12];
        random_bytes(&mut odd); // a length that is not a multiple of 8
        assert_ne!(odd, [0; 12]);
    }

    #[test]
    fn analyses_follow_the_probes_and_the_fd_limit() {
        // The default 1,024 probes with a raised limit: 128 analyses.
        assert_eq!(analysis_slots(1024, 20_000), MAX_ANALYSES);
        // A soft limit of 1,024 that cannot be raised: 672 probes, and 56 analyses (four
        // sockets each at most) in the quarter they leave.
        assert_eq!(analysis_slots(default_concurrency(1024), 1024), 56);
        // `--concurrency 200`: 25, never fewer than 16.
        assert_eq!(analysis_slots(200, 20_000), 25);
        assert_eq!(analysis_slots(16, 20_000), 16);
        assert_eq!(analysis_slots(1024, 10), 16);
    }

    #[test]
    fn concurrency_follows_fd_limit() {
        assert_eq!(default_concurrency(256), 96);
        assert_eq!(default_concurrency(1024), 672);
        assert_eq!(default_concurrency(1_048_576), MAX_DEFAULT_CONCURRENCY);
        assert_eq!(default_concurrency(10), 16);
    }

    #[test]
    fn errno_classification() {
        let e = |n| io::Error::from_raw_os_error(n);
        assert!(matches!(
            classify_connect_error(e(libc::ECONNREFUSED)),
            ConnectOutcome::Refused
        ));
        assert!(matches!(
            classify_connect_error(e(libc::EMFILE)),
            ConnectOutcome::Transient(_)
        ));
        assert!(matches!(
            classify_connect_error(e(libc::EHOSTUNREACH)),
            ConnectOutcome::Unreachable(_)
        ));
        assert!(matches!(
            classify_connect_error(e(libc::EACCES)),
            ConnectOutcome::Failed(_)
        ));
    }

    #[tokio::test]
    async fn loopback_open_and_closed() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        assert!(matches!(
            connect(addr, Duration::from_secs(2)).await,
            ConnectOutcome::Open(_)
        ));
        drop(l);
        assert!(matches!(
            connect(addr, Duration::from_secs(2)).await,
            ConnectOutcome::Refused
        ));
    }
}

pub mod host;
pub mod host_gate;
pub mod http;
pub mod interfaces;
pub mod media_budget;
pub mod ndp;
pub mod neigh;
pub mod pace;
pub mod packet;
pub mod ping;
pub mod rdns;
pub mod round_trips;
pub mod rtmp;
pub mod rtp_udp;
pub mod rtsp;
pub mod snapshot;
pub mod snmp;
pub mod stun;
pub mod tls;
pub mod zone;
