//! ICMP Echo to every address of a routed range ([`sweep`]): the cheapest way to find a host behind a
//! router, beside host discovery's connects to a few likely ports (`camscan::discovery::hosts`).
//! A host that drops those ports but answers ping is found; one that drops both is not.
//!
//! The socket is a ping socket (`SOCK_DGRAM`, IPPROTO_ICMP), allowed when the process's group is
//! in `net.ipv4.ping_group_range`, else a raw ICMP socket (root or CAP_NET_RAW), else none: then
//! the sweep says so once and host discovery asks the ports only. Requests go out paced (the
//! scan's `--max-rate`); answers are read while they go, and for [`REPLY_WAIT`] after the last.
//! The first [`SECOND_LOOK`] hosts to answer are asked once more as soon as they have: a first
//! answer behind a router includes the router's resolution of the host, the second travels the
//! path alone, and the wait for silent addresses is taken from those
//! ([`super::round_trips::path_wait`]).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::round_trips::{Estimate, RoundTrips};
use proto::icmp;

/// How long answers are awaited after the last request: a routed LAN's round trip is a few
/// milliseconds; a slow Wi-Fi bridge's a few hundred.
pub const REPLY_WAIT: Duration = Duration::from_millis(800);

/// Hosts asked a second time once they have answered (the first to answer): enough answers to
/// describe the path ([`super::round_trips::MIN_LATER`] are needed), few enough to cost nothing.
pub const SECOND_LOOK: usize = 64;

/// What a sweep measured.
#[derive(Debug, Default)]
pub struct Answers {
    /// Each host's first answer's round trip, by address.
    pub hosts: HashMap<Ipv4Addr, Duration>,
    /// The first answers' round trips.
    pub first: Option<Estimate>,
    /// The second look's round trips.
    pub later: Option<Estimate>,
}

impl Answers {
    /// How long to wait for an address that has not answered
    /// ([`super::round_trips::path_wait`]; `None`: nobody answered).
    pub fn silent_wait(&self) -> Option<Duration> {
        super::round_trips::path_wait(self.first, self.later)
    }
}

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

/// Ping each of `targets` at `rate` a second at most (0: no limit), and the first
/// [`SECOND_LOOK`] hosts to answer once more; `on_reply` hears each address the first time it
/// answers. Returns the round trips ([`Answers`]), or an error when no ICMP socket can be had
/// (not allowed: host discovery then asks the ports only).
pub async fn sweep(
    targets: impl Iterator<Item = Ipv4Addr>,
    rate: u32,
    on_reply: &mut (dyn FnMut(Ipv4Addr) + Send),
) -> std::io::Result<Answers> {
    let (sock, raw) = socket()?;
    let mut heard = Heard {
        id: (super::random_u64() & 0xffff) as u16,
        raw,
        hosts: HashMap::new(),
        trips: RoundTrips::new(REPLY_WAIT),
        again: VecDeque::new(),
        looked: 0,
        later: RoundTrips::new(REPLY_WAIT),
    };
    let mut buf = [0u8; 1500];
    let started = tokio::time::Instant::now();
    let mut pace = super::pace::Pace::new(rate, Duration::ZERO);
    let mut seq = 0u16;
    for ip in targets {
        if let Some(wait) = pace.take(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        echo(&sock, heard.id, ip, &mut seq).await;
        heard.trips.asked(ip);
        // Whatever is queued now, without waiting.
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            heard.take(&buf[..n], from, on_reply);
        }
        heard.look_again(&sock, &mut seq).await;
    }
    let until = tokio::time::Instant::now() + REPLY_WAIT;
    while let Ok(Ok((n, from))) = tokio::time::timeout_at(until, sock.recv_from(&mut buf)).await {
        heard.take(&buf[..n], from, on_reply);
        heard.look_again(&sock, &mut seq).await;
    }
    let answers = Answers {
        hosts: heard.hosts,
        first: heard.trips.estimate(),
        later: heard.later.estimate(),
    };
    tracing::debug!(
        answers = answers.first.map_or(0, |e| e.samples()),
        mean = ?answers.first.map(|e| e.mean()),
        slowest = ?heard.trips.slowest(),
        wait = ?answers.first.map(|e| e.wait()),
        later = answers.later.map_or(0, |e| e.samples()),
        later_mean = ?answers.later.map(|e| e.mean()),
        later_wait = ?answers.later.map(|e| e.wait()),
        silent_wait = ?answers.silent_wait(),
        "ping round trips (first answers; the second look's)"
    );
    Ok(answers)
}

/// Send one Echo Request to `ip`. A send that fails (ENOBUFS, unreachable) is an address not
/// asked: it stays silent and its ports are still asked.
async fn echo(sock: &tokio::net::UdpSocket, id: u16, ip: Ipv4Addr, seq: &mut u16) {
    let request = icmp::echo_request(id, *seq, b"camscan");
    if let Err(e) = sock.send_to(&request, SocketAddr::from((ip, 0))).await {
        tracing::debug!("ping {ip}: {e}");
    }
    *seq = seq.wrapping_add(1);
}

/// What a sweep keeps while it runs: the hosts heard with their first round trips (send times
/// kept for [`REPLY_WAIT`]), and the second look's.
struct Heard {
    id: u16,
    raw: bool,
    hosts: HashMap<Ipv4Addr, Duration>,
    trips: RoundTrips,
    /// Hosts to ask again (answered, not asked a second time yet).
    again: VecDeque<Ipv4Addr>,
    /// Hosts taken for the second look so far (at most [`SECOND_LOOK`]).
    looked: usize,
    later: RoundTrips,
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
        if self.hosts.contains_key(&ip) {
            // A host heard before: the second look's answer (or a duplicate, which measures
            // nothing: only an address asked again is measured).
            self.later.answered(ip);
            return;
        }
        let took = self.trips.answered(ip).unwrap_or(REPLY_WAIT);
        self.hosts.insert(ip, took);
        if self.looked < SECOND_LOOK {
            self.looked += 1;
            self.again.push_back(ip);
        }
        on_reply(ip);
    }

    /// Ask the hosts waiting for their second look (outside the sweep's pace: [`SECOND_LOOK`]
    /// requests at most, against the sweep's one per address).
    async fn look_again(&mut self, sock: &tokio::net::UdpSocket, seq: &mut u16) {
        while let Some(ip) = self.again.pop_front() {
            echo(sock, self.id, ip, seq).await;
            self.later.asked(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ping socket's Echo Reply (no IPv4 header) from `ip`.
    fn reply(heard: &mut Heard, ip: Ipv4Addr, heard_of: &mut Vec<Ipv4Addr>) {
        let packet = icmp::echo_message(0, heard.id, 1, b"camscan");
        heard.take(&packet, SocketAddr::from((ip, 0)), &mut |a| {
            heard_of.push(a)
        });
    }

    /// A host's first answer is its own round trip and takes it for the second look; its answer
    /// to the second look measures the path; a host is heard of once; past [`SECOND_LOOK`] hosts
    /// nobody is asked again.
    #[tokio::test(start_paused = true)]
    async fn first_answers_and_the_second_look_are_kept_apart() {
        let mut heard = Heard {
            id: 7,
            raw: false,
            hosts: HashMap::new(),
            trips: RoundTrips::new(REPLY_WAIT),
            again: VecDeque::new(),
            looked: 0,
            later: RoundTrips::new(REPLY_WAIT),
        };
        let mut heard_of = Vec::new();
        let a = Ipv4Addr::new(198, 19, 0, 4);
        heard.trips.asked(a);
        tokio::time::advance(Duration::from_millis(300)).await;
        reply(&mut heard, a, &mut heard_of);
        assert_eq!(heard.hosts[&a], Duration::from_millis(300));
        assert_eq!(heard.again, [a]);
        heard.again.clear();
        heard.later.asked(a);
        tokio::time::advance(Duration::from_millis(2)).await;
        reply(&mut heard, a, &mut heard_of);
        reply(&mut heard, a, &mut heard_of);
        assert_eq!(heard_of, [a], "heard of once");
        assert_eq!(heard.trips.estimate().unwrap().samples(), 1);
        let later = heard.later.estimate().unwrap();
        assert_eq!(
            (later.samples(), later.mean()),
            (1, Duration::from_millis(2))
        );
        for i in 1..=SECOND_LOOK as u32 + 10 {
            reply(&mut heard, Ipv4Addr::from(0xc613_0100 + i), &mut heard_of);
        }
        assert_eq!(heard.again.len(), SECOND_LOOK - 1);
        assert_eq!(heard_of.len(), SECOND_LOOK + 11);
    }
}
