//! Announcements: devices that say on their own that they arrive or leave, heard while `camscan watch`
//! waits for its next scan, so a new camera is scanned at once instead of at the next scheduled scan.
//!
//! Two protocols multicast such messages to 239.255.255.250: ONVIF WS-Discovery (UDP 3702) sends a
//! `Hello` when a device joins the network and a `Bye` when it leaves gracefully (WS-Discovery 2005/04
//! §4.1-4.2), and SSDP (UDP 1900) sends `NOTIFY` `ssdp:alive` at start and every half max-age, and
//! `ssdp:byebye` when leaving (UPnP Device Architecture 1.1 §1.2).
//!
//! [`listen`] joins the group on each interface it is given, one socket per interface and port (so a
//! datagram is known to have arrived on that interface), and only ever reads: nothing is sent. Each
//! datagram is judged by the pure [`judge`]: it must be a `Hello`, `Bye` or `NOTIFY` (our own Probes
//! and M-SEARCHes, other clients' ones and every reply are not), come from an address inside that
//! interface's subnet and not from this host, and the service addresses it names (`XAddrs`,
//! `LOCATION`) must be the sender's own: a message pointing at another host is logged and dropped,
//! so nobody can make camscan scan a host by announcing it. Repeats are folded ([`REPEAT_WINDOW`]) and
//! what is left goes to the caller's channel without waiting ([`tokio::sync::mpsc::Sender::try_send`]):
//! when the caller is busy, announcements are counted and dropped, never queued without bound. The
//! caller (the watch loop) rate-limits the scans it starts.
//!
//! The only await without a deadline is the wait for the next datagram: a listener waits until told
//! to stop (the `stop` watch channel turns `true` or its sender is dropped).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use net::interfaces::LocalNet;
use proto::{ssdp, wsd};

/// The SSDP and WS-Discovery multicast group (UDA 1.1 §1; WS-Discovery 2005/04 §2.4).
pub const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);
/// WS-Discovery's port (IANA `ws-discovery`).
pub const WSD_PORT: u16 = 3702;
/// SSDP's port (IANA `ssdp`).
pub const SSDP_PORT: u16 = 1900;

/// One announcement per (address, kind) within this window. A device repeats itself: PyPI
/// WSDiscovery sends each `Hello`/`Bye` 4 times over about 1.5 s (SOAP-over-UDP repetition, 50-500 ms
/// apart), and an SSDP device sends one `NOTIFY` per device/service type, each 2-3 times (UDA 1.1
/// §1.2.2; GSSDP sends 3 rounds 120 ms per datagram apart). 5 s covers a whole burst with room for a
/// slow link, and is far below SSDP's re-announce period (half max-age, 900 s for GSSDP's 1800).
pub const REPEAT_WINDOW: Duration = Duration::from_secs(5);

/// Largest datagram read whole: a UDP payload over IPv4 is at most 65 507 bytes, so none is cut.
/// The parsers bound what they keep (the XML walk, 16 KiB SSDP heads).
const MAX_DATAGRAM: usize = 64 * 1024;

/// Most (address, kind) pairs remembered for [`REPEAT_WINDOW`]; a flood of senders beyond it makes the
/// listener forget early (some repeats get through) rather than grow.
const MAX_REMEMBERED: usize = 4096;

/// Every how many lost announcements (full channel) a warning is logged.
const LOST_LOG_EVERY: u64 = 100;

/// Which protocol an announcement came by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    WsDiscovery,
    Ssdp,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::WsDiscovery => "ws-discovery",
            Source::Ssdp => "ssdp",
        }
    }

    fn port(self) -> u16 {
        match self {
            Source::WsDiscovery => WSD_PORT,
            Source::Ssdp => SSDP_PORT,
        }
    }
}

/// What a device said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnouncementKind {
    /// WS-Discovery `Hello`: arriving.
    Hello,
    /// WS-Discovery `Bye`: leaving.
    Bye,
    /// SSDP `NOTIFY` `ssdp:alive`: here (at start and every half max-age).
    Alive,
    /// SSDP `NOTIFY` `ssdp:byebye`: leaving.
    ByeBye,
}

impl AnnouncementKind {
    /// Hello and Alive: the device is (still) there.
    pub fn arriving(self) -> bool {
        matches!(self, AnnouncementKind::Hello | AnnouncementKind::Alive)
    }

    /// The kind that undoes this one (Hello and Bye, Alive and ByeBye).
    fn opposite(self) -> AnnouncementKind {
        match self {
            AnnouncementKind::Hello => AnnouncementKind::Bye,
            AnnouncementKind::Bye => AnnouncementKind::Hello,
            AnnouncementKind::Alive => AnnouncementKind::ByeBye,
            AnnouncementKind::ByeBye => AnnouncementKind::Alive,
        }
    }
}

/// A device announcing itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Announcement {
    /// The sender's address: inside the subnet of the interface it was heard on, and the host of
    /// every service address kept in `detail`.
    pub ip: IpAddr,
    pub kind: AnnouncementKind,
    /// `"ws-discovery"` or `"ssdp"`.
    pub source: &'static str,
    /// The `XAddrs` (space-separated) or `LOCATION` naming the sender; `None` when the message has
    /// none (a `Bye`, an `ssdp:byebye`) or names the sender by host name only.
    pub detail: Option<String>,
}

/// Why a datagram was not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    /// Sent from one of this host's own addresses (our own multicast comes back by loopback).
    Own,
    /// The sender is outside the subnet of the interface it arrived on.
    OutsideSubnet,
    /// Not a Hello/Bye/NOTIFY alive/byebye: a Probe, an M-SEARCH, a reply, an `ssdp:update`, junk.
    NotAnAnnouncement,
    /// The message names a service on another host (this address), not the sender.
    NamesOtherHost(Ipv4Addr),
}

/// Judge one datagram from `sender` that arrived on `lan` by `source`; `own` are this host's
/// addresses. Pure: no I/O, so the rules are unit-tested.
pub fn judge(
    source: Source,
    datagram: &[u8],
    sender: Ipv4Addr,
    lan: &LocalNet,
    own: &[Ipv4Addr],
) -> Result<Announcement, Dropped> {
    if sender == lan.ip || own.contains(&sender) {
        return Err(Dropped::Own);
    }
    if !lan.contains(sender) {
        return Err(Dropped::OutsideSubnet);
    }
    let (kind, urls) = match source {
        Source::WsDiscovery => {
            let a = wsd::parse_announcement(&String::from_utf8_lossy(datagram))
                .ok_or(Dropped::NotAnAnnouncement)?;
            let kind = match a.kind {
                wsd::AnnounceKind::Hello => AnnouncementKind::Hello,
                wsd::AnnounceKind::Bye => AnnouncementKind::Bye,
            };
            let urls: Vec<String> = a
                .xaddrs
                .iter()
                .map(|x| wsd::fix_xaddr(x, IpAddr::V4(sender)))
                .collect();
            (kind, urls)
        }
        Source::Ssdp => {
            let n = ssdp::parse_notify(datagram).ok_or(Dropped::NotAnAnnouncement)?;
            let kind = match n.nts {
                ssdp::Nts::Alive => AnnouncementKind::Alive,
                ssdp::Nts::ByeBye => AnnouncementKind::ByeBye,
                ssdp::Nts::Update => return Err(Dropped::NotAnAnnouncement),
            };
            (kind, n.location.into_iter().collect())
        }
    };
    let detail = own_urls(&urls, sender)?;
    Ok(Announcement {
        ip: IpAddr::V4(sender),
        kind,
        source: source.name(),
        detail,
    })
}

/// The URLs among `urls` whose host is `sender`, space-separated. Another IPv4 host with none naming
/// the sender is a message about someone else: dropped. IPv6 and host names cannot be checked against
/// an IPv4 sender, so they are neither kept nor held against the message.
fn own_urls(urls: &[String], sender: Ipv4Addr) -> Result<Option<String>, Dropped> {
    let mut mine = Vec::new();
    let mut other = None;
    for u in urls {
        let Ok(parsed) = url::Url::parse(u) else {
            continue;
        };
        match parsed.host() {
            Some(url::Host::Ipv4(h)) if h == sender => mine.push(parsed.as_str().to_string()),
            Some(url::Host::Ipv4(h)) => {
                other.get_or_insert(h);
            }
            _ => {}
        }
    }
    match (mine.is_empty(), other) {
        (true, Some(h)) => Err(Dropped::NamesOtherHost(h)),
        (true, None) => Ok(None),
        (false, _) => Ok(Some(mine.join(" "))),
    }
}

/// Remembers what was reported for [`REPEAT_WINDOW`] (at most [`MAX_REMEMBERED`] keys).
#[derive(Debug)]
pub struct Repeats<K> {
    seen: HashMap<K, Instant>,
    window: Duration,
}

impl<K: Hash + Eq + Clone> Repeats<K> {
    pub fn new(window: Duration) -> Self {
        Repeats {
            seen: HashMap::new(),
            window,
        }
    }

    /// Whether `key` was not seen within the window before `now` (then it is remembered from `now`).
    pub fn first(&mut self, key: &K, now: Instant) -> bool {
        if let Some(t) = self.seen.get(key)
            && now.saturating_duration_since(*t) < self.window
        {
            return false;
        }
        if self.seen.len() >= MAX_REMEMBERED {
            let window = self.window;
            self.seen
                .retain(|_, t| now.saturating_duration_since(*t) < window);
            if self.seen.len() >= MAX_REMEMBERED {
                self.seen.clear();
            }
        }
        self.seen.insert(key.clone(), now);
        true
    }

    pub fn forget(&mut self, key: &K) {
        self.seen.remove(key);
    }
}

impl Repeats<(IpAddr, AnnouncementKind)> {
    /// Whether `a` is news: the first of its (address, kind) within the window. A device that comes
    /// back right after leaving (or leaves right after coming) is news again: reporting one kind
    /// forgets the opposite one of that address.
    pub fn news(&mut self, a: &Announcement, now: Instant) -> bool {
        if !self.first(&(a.ip, a.kind), now) {
            return false;
        }
        self.forget(&(a.ip, a.kind.opposite()));
        true
    }
}

/// The joined sockets, one per interface and protocol.
pub struct Listener {
    sockets: Vec<(UdpSocket, Source, LocalNet)>,
    own: Vec<Ipv4Addr>,
}

/// What a listener did, logged when it stops.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub reported: u64,
    pub repeats: u64,
    /// Not announcements, our own, from outside the subnet, naming another host.
    pub dropped: u64,
    /// Lost because the channel was full.
    pub lost: u64,
}

impl Listener {
    /// Join 239.255.255.250 on UDP 3702 and 1900 on the interface of each address in `interfaces`
    /// (addresses this host holds; their prefix is read from the interface list). Another listener on
    /// the host shares the ports if it sets SO_REUSEADDR as we do ([`net::announcement_listener`]);
    /// a socket that cannot be opened (a listener that holds the port without it) is logged and
    /// skipped; it is an error only when none can.
    pub fn bind(interfaces: &[Ipv4Addr]) -> std::io::Result<Listener> {
        let nets = net::interfaces::list()?;
        let own: Vec<Ipv4Addr> = nets.iter().map(|n| n.ip).collect();
        let mut sockets = Vec::new();
        let mut last_error = None;
        for ip in interfaces {
            let Some(lan) = nets.iter().find(|n| n.ip == *ip && !n.loopback) else {
                tracing::warn!(%ip, "announcements: no interface that is up holds {ip}; not listened on");
                continue;
            };
            for source in [Source::WsDiscovery, Source::Ssdp] {
                match net::announcement_listener(GROUP, source.port(), lan.ip) {
                    Ok(s) => sockets.push((s, source, lan.clone())),
                    Err(e) => {
                        tracing::warn!(
                            "announcements: cannot join {GROUP}:{} on {} ({}): {e}",
                            source.port(),
                            lan.interface,
                            lan.ip
                        );
                        last_error = Some(e);
                    }
                }
            }
        }
        if sockets.is_empty() {
            return Err(last_error.unwrap_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::AddrNotAvailable,
                    "announcements: no interface to listen on",
                )
            }));
        }
        for (_, source, lan) in &sockets {
            tracing::info!(
                "listening for {} announcements on {} ({}, {})",
                source.name(),
                lan.interface,
                lan.ip,
                lan.cidr()
            );
        }
        Ok(Listener { sockets, own })
    }

    /// The interfaces and protocols joined.
    pub fn joined(&self) -> impl Iterator<Item = (&LocalNet, Source)> {
        self.sockets.iter().map(|(_, s, lan)| (lan, *s))
    }

    /// Read until `stop` turns true (or its sender is dropped) or nobody receives from `tx`.
    pub async fn run(
        self,
        tx: mpsc::Sender<Announcement>,
        mut stop: watch::Receiver<bool>,
    ) -> std::io::Result<Counts> {
        let mut counts = Counts::default();
        let mut repeats = Repeats::new(REPEAT_WINDOW);
        // Drop reasons logged once per sender per window, so a hostile peer cannot flood the log.
        let mut logged: Repeats<Ipv4Addr> = Repeats::new(REPEAT_WINDOW);
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while !*stop.borrow_and_update() {
            let ready = futures::future::select_all(
                self.sockets.iter().map(|(s, _, _)| Box::pin(s.readable())),
            );
            let (res, index, _) = tokio::select! {
                r = ready => r,
                changed = stop.changed() => {
                    if changed.is_err() {
                        break; // the watch loop is gone
                    }
                    continue;
                }
            };
            let (socket, source, lan) = &self.sockets[index];
            if let Err(e) = res {
                tracing::warn!(interface = %lan.interface, "announcements: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let (n, from) = match socket.try_recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => {
                    tracing::debug!(interface = %lan.interface, "announcements: {e}");
                    continue;
                }
            };
            let IpAddr::V4(sender) = from.ip() else {
                continue;
            };
            match judge(*source, &buf[..n], sender, lan, &self.own) {
                Ok(a) => {
                    if !repeats.news(&a, Instant::now()) {
                        counts.repeats += 1;
                        continue;
                    }
                    tracing::debug!(ip = %a.ip, kind = ?a.kind, source = a.source, "announcement");
                    match tx.try_send(a) {
                        Ok(()) => counts.reported += 1,
                        Err(mpsc::error::TrySendError::Full(a)) => {
                            counts.lost += 1;
                            if counts.lost % LOST_LOG_EVERY == 1 {
                                tracing::warn!(
                                    ip = %a.ip,
                                    "announcements: the watch loop is busy; {} lost so far",
                                    counts.lost
                                );
                            }
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => break,
                    }
                }
                Err(why) => {
                    counts.dropped += 1;
                    let quiet = matches!(why, Dropped::Own | Dropped::NotAnAnnouncement);
                    if quiet || !logged.first(&sender, Instant::now()) {
                        tracing::trace!(%sender, ?why, "announcement dropped");
                    } else {
                        tracing::info!(
                            %sender,
                            interface = %lan.interface,
                            "{} announcement dropped: {}",
                            source.name(),
                            match why {
                                Dropped::OutsideSubnet => format!("sender outside {}", lan.cidr()),
                                Dropped::NamesOtherHost(h) => format!("it names another host, {h}"),
                                _ => String::new(),
                            }
                        );
                    }
                }
            }
        }
        tracing::info!(
            "announcement listener stopped: {} reported, {} repeats, {} dropped, {} lost to a busy watch loop",
            counts.reported,
            counts.repeats,
            counts.dropped,
            counts.lost
        );
        Ok(counts)
    }
}

/// Listen for `Hello`/`Bye` (WS-Discovery) and `NOTIFY` alive/byebye (SSDP) on the interfaces holding
/// `interfaces` and send each new [`Announcement`] on `tx` (never waiting: lost when it is full),
/// until `stop` turns true. Listens only; sends nothing. See [`Listener::bind`] for the errors.
pub async fn listen(
    interfaces: &[Ipv4Addr],
    tx: mpsc::Sender<Announcement>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    Listener::bind(interfaces)?.run(tx, stop).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lan() -> LocalNet {
        LocalNet {
            interface: "eth0".into(),
            ip: Ipv4Addr::new(198, 18, 16, 1),
            prefix: 24,
            mac: None,
            loopback: false,
            scan: true,
            reason: None,
        }
    }

    fn hello(xaddrs: &str) -> String {
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</a:Action></s:Header><s:Body><d:Hello><a:EndpointReference><a:Address>urn:uuid:1</a:Address></a:EndpointReference><d:XAddrs>{xaddrs}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:Hello></s:Body></s:Envelope>"#
        )
    }

    fn notify(nts: &str, location: &str) -> Vec<u8> {
        format!("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNTS: {nts}\r\nNT: upnp:rootdevice\r\nLOCATION: {location}\r\n\r\n").into_bytes()
    }

    const CAM: Ipv4Addr = Ipv4Addr::new(198, 18, 16, 11);

    #[test]
    fn a_hello_naming_the_sender() {
        let a = judge(
            Source::WsDiscovery,
            hello("http://198.18.16.11:8000/onvif/device_service http://[fe80::1]/onvif/device_service").as_bytes(),
            CAM,
            &lan(),
            &[],
        )
        .unwrap();
        assert_eq!(
            a,
            Announcement {
                ip: IpAddr::V4(CAM),
                kind: AnnouncementKind::Hello,
                source: "ws-discovery",
                detail: Some("http://198.18.16.11:8000/onvif/device_service".into()),
            }
        );
        // 0.0.0.0 (some cameras) is the sender; no XAddrs at all is fine too.
        let zero = judge(
            Source::WsDiscovery,
            hello("http://0.0.0.0/onvif/device_service").as_bytes(),
            CAM,
            &lan(),
            &[],
        )
        .unwrap();
        assert_eq!(
            zero.detail.as_deref(),
            Some("http://198.18.16.11/onvif/device_service")
        );
        let none = judge(Source::WsDiscovery, hello("").as_bytes(), CAM, &lan(), &[]).unwrap();
        assert_eq!(none.detail, None);
    }

    #[test]
    fn ssdp_alive_and_byebye() {
        let a = judge(
            Source::Ssdp,
            &notify("ssdp:alive", "http://198.18.16.11:49152/description.xml"),
            CAM,
            &lan(),
            &[],
        )
        .unwrap();
        assert_eq!(a.kind, AnnouncementKind::Alive);
        assert_eq!(a.source, "ssdp");
        assert_eq!(
            a.detail.as_deref(),
            Some("http://198.18.16.11:49152/description.xml")
        );
        let bye = b"NOTIFY * HTTP/1.1\r\nNTS: ssdp:byebye\r\nUSN: uuid:x\r\n\r\n";
        let b = judge(Source::Ssdp, bye, CAM, &lan(), &[]).unwrap();
        assert_eq!((b.kind, b.detail), (AnnouncementKind::ByeBye, None));
        let update = notify("ssdp:update", "http://198.18.16.11/d.xml");
        assert_eq!(
            judge(Source::Ssdp, &update, CAM, &lan(), &[]),
            Err(Dropped::NotAnAnnouncement)
        );
    }

    #[test]
    fn hostile_and_foreign_datagrams() {
        let other = "http://198.18.16.12/onvif/device_service";
        assert_eq!(
            judge(
                Source::WsDiscovery,
                hello(other).as_bytes(),
                CAM,
                &lan(),
                &[]
            ),
            Err(Dropped::NamesOtherHost(Ipv4Addr::new(198, 18, 16, 12)))
        );
        assert_eq!(
            judge(
                Source::Ssdp,
                &notify("ssdp:alive", "http://198.19.99.5:80/d.xml"),
                CAM,
                &lan(),
                &[]
            ),
            Err(Dropped::NamesOtherHost(Ipv4Addr::new(198, 19, 99, 5)))
        );
        let good = hello("http://198.18.16.11/");
        assert_eq!(
            judge(
                Source::WsDiscovery,
                good.as_bytes(),
                Ipv4Addr::new(198, 19, 99, 9),
                &lan(),
                &[]
            ),
            Err(Dropped::OutsideSubnet)
        );
        // Our own multicast comes back by loopback: from the interface's address or another of ours.
        assert_eq!(
            judge(Source::WsDiscovery, good.as_bytes(), lan().ip, &lan(), &[]),
            Err(Dropped::Own)
        );
        assert_eq!(
            judge(Source::WsDiscovery, good.as_bytes(), CAM, &lan(), &[CAM]),
            Err(Dropped::Own)
        );
        // Our Probe, an M-SEARCH, a reply, junk, and a message on the other protocol's port.
        let probe = wsd::probe("urn:uuid:abc");
        let msearch = ssdp::msearch("ssdp:all", 1);
        for (source, bytes) in [
            (Source::WsDiscovery, probe.as_bytes()),
            (Source::Ssdp, msearch.as_bytes()),
            (
                Source::Ssdp,
                b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n".as_slice(),
            ),
            (Source::WsDiscovery, &[0xff; 3000]),
            (Source::Ssdp, good.as_bytes()),
            (
                Source::WsDiscovery,
                &notify("ssdp:alive", "http://198.18.16.11/"),
            ),
        ] {
            assert_eq!(
                judge(source, bytes, CAM, &lan(), &[]),
                Err(Dropped::NotAnAnnouncement)
            );
        }
    }

    #[test]
    fn repeats_are_folded_and_a_return_is_news() {
        let t0 = Instant::now();
        let mut r = Repeats::new(REPEAT_WINDOW);
        let a = |kind| Announcement {
            ip: IpAddr::V4(CAM),
            kind,
            source: "ws-discovery",
            detail: None,
        };
        assert!(r.news(&a(AnnouncementKind::Hello), t0));
        for ms in [100, 600, 1500, 4999] {
            assert!(!r.news(&a(AnnouncementKind::Hello), t0 + Duration::from_millis(ms)));
        }
        // Another address, another kind: news.
        let mut b = a(AnnouncementKind::Hello);
        b.ip = IpAddr::V4(Ipv4Addr::new(198, 18, 16, 12));
        assert!(r.news(&b, t0));
        assert!(r.news(&a(AnnouncementKind::Alive), t0));
        // It leaves, then comes back within the window: both are news; the Bye's repeats are not.
        let t1 = t0 + Duration::from_secs(2);
        assert!(r.news(&a(AnnouncementKind::Bye), t1));
        assert!(!r.news(&a(AnnouncementKind::Bye), t1 + Duration::from_millis(300)));
        assert!(r.news(&a(AnnouncementKind::Hello), t1 + Duration::from_secs(1)));
        // After the window, a repeat is news again (a periodic ssdp:alive).
        assert!(r.news(&a(AnnouncementKind::Alive), t0 + REPEAT_WINDOW));
    }

    #[test]
    fn repeats_stay_bounded() {
        let t0 = Instant::now();
        let mut r: Repeats<u32> = Repeats::new(REPEAT_WINDOW);
        for i in 0..(MAX_REMEMBERED as u32 * 3) {
            assert!(r.first(&i, t0));
        }
        assert!(r.seen.len() <= MAX_REMEMBERED);
    }
}
