//! Misaddressed cameras: devices heard at layer 2 whose address is outside every subnet attached to
//! the interface they were heard on (a camera still on its factory address, or on a static address
//! from another site). Nothing routes to them, yet three things reach the scanner from them on the
//! shared wire:
//!
//! - a vendor discovery answer sent to a multicast group (SADP answers to 239.255.255.250:37020,
//!   `docs/design/protocols.md`, "Hikvision SADP") or broadcast: [`Sight::vendor_answer`], called
//!   by the vendor stage for every answer it reads, including those from outside the targets;
//! - a WS-Discovery `Hello`, multicast to 239.255.255.250:3702 when a device joins the network
//!   (WS-Discovery 2005/04 §4.1): [`listen_hello`], for the discovery window, beside the Probe;
//! - an ARP request "who has its gateway? tell its own address" (RFC 826; the camera's IP stack
//!   resolves its gateway before it can send anything off-link), or a gratuitous announcement
//!   (RFC 5227 §3): [`listen_arp`], on the raw ARP socket (root or CAP_NET_RAW), for the window.
//!
//! Each sighting becomes an `Event::Misaddressed` with the pure judgement of
//! [`model::misaddressed::judge`] (the device's address, its mask and gateway where the answer
//! says, else /24 assumed, how to reach it). The registry merges the sightings of one address and
//! its MAC. Nothing here sends a packet; the device's settings are never touched.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::sync::mpsc;

use super::links::{Link, Links, Subnet};
use super::reach::Reacher;
use super::scope::{Probes, ScanMessage, Scope};
use model::misaddressed::{self, Attached, Misaddressed};
use model::{Announcement, DiscoveryMethod};
use proto::{arp, wsd};
use registry::Event;

/// Addresses cameras hold out of the box when no DHCP server answers them, asked for on every
/// attached segment (an ARP probe each, within the broadcast budget) when they are outside its
/// subnets: a camera just unpacked answers at once instead of when it next speaks. Each cites the
/// maker's own document; makers whose default address their own material here does not state are
/// left out (Hikvision's 192.168.1.64 and Dahua's 192.168.1.108 are widely repeated, but not in a
/// document of theirs this project has read).
pub const FACTORY_ADDRESSES: [Ipv4Addr; 1] = [
    // Axis: VAPIX "Network settings", parameter Network.IPAddress, default value 192.168.0.90
    // (https://developer.axis.com/vapix/network-video/network-settings).
    Ipv4Addr::new(192, 168, 0, 90),
];

/// Sightings kept per listener: a flood of invented senders is not worth more memory.
const MAX_SIGHTINGS: usize = 1024;

/// The attached subnets, to judge what is heard.
#[derive(Debug, Clone, Default)]
pub struct Sight {
    subnets: Vec<Subnet>,
    /// The interfaces whose subnets hold targets (the multicast methods ask there), first first.
    asked: Vec<String>,
    /// `--reach-misaddressed`: what reaches a device once it is sighted.
    reaching: Option<Reaching>,
}

impl Sight {
    /// The scan's attached subnets, and its temporary addresses when it reaches devices.
    pub fn of<M>(scope: &Scope<M>) -> Self {
        Sight {
            reaching: Reaching::of(scope),
            ..Sight::of_links(&scope.links)
        }
    }

    /// The attached subnets of `links`, reaching nothing.
    pub fn of_links(links: &Links) -> Self {
        let asked = links
            .subnets
            .iter()
            .filter(|s| links.multicast.contains(&s.ip))
            .map(|s| s.interface.clone())
            .collect();
        Sight {
            subnets: links.subnets.clone(),
            asked,
            reaching: None,
        }
    }

    /// Send `ev`, and after it the event that marks its device reached when `--reach-misaddressed`
    /// reached it. `false` when the scan's channel is closed.
    pub async fn send<M: ScanMessage>(&self, ev: Event, tx: &mpsc::Sender<M>) -> bool {
        let followed = match &self.reaching {
            Some(r) => r.follow(&ev).await,
            None => None,
        };
        if tx.send(ev.into()).await.is_err() {
            return false;
        }
        match followed {
            Some(f) => tx.send(f.into()).await.is_ok(),
            None => true,
        }
    }

    /// Whether `interface` holds targets: the passive listeners only listen there.
    pub fn asks_on(&self, interface: &str) -> bool {
        self.asked.iter().any(|i| i == interface)
    }

    /// The subnets of `interface`.
    fn attached(&self, interface: &str) -> Vec<Attached> {
        self.subnets
            .iter()
            .filter(|s| s.interface == interface)
            .map(|s| (s.ip, s.prefix))
            .collect()
    }

    /// Whether `ip` is outside every attached subnet of every interface (a datagram from the
    /// shared multicast or reply socket does not say which interface it came in on).
    fn outside_all(&self, ip: Ipv4Addr) -> bool {
        !self.subnets.is_empty()
            && !self
                .subnets
                .iter()
                .any(|s| misaddressed::inside(ip, (s.ip, s.prefix)))
    }

    /// The interface a datagram came in on, when the socket cannot tell: the first that holds
    /// targets (the line names it; with several, the user may have to pick another).
    fn interface_for(&self) -> Option<&str> {
        self.asked.first().map(String::as_str)
    }

    /// Judge `ip`, heard by `method` on an unknown interface.
    fn judge_any(
        &self,
        ip: Ipv4Addr,
        mask: Option<Ipv4Addr>,
        gateway: Option<Ipv4Addr>,
        method: DiscoveryMethod,
    ) -> Option<Misaddressed> {
        if !self.outside_all(ip) {
            return None;
        }
        let interface = self.interface_for()?;
        misaddressed::judge(
            ip,
            mask,
            gateway,
            interface,
            &self.attached(interface),
            method.name(),
        )
    }

    /// What the ARP listener on `interface` asks for directly: the devices last seen misaddressed
    /// there (`known`), then the makers' [`FACTORY_ADDRESSES`] outside every attached subnet.
    pub fn asks(
        &self,
        interface: &str,
        known: &[model::known::KnownMisaddressed],
    ) -> Vec<Ipv4Addr> {
        let mut ask: Vec<Ipv4Addr> = known
            .iter()
            .filter(|k| k.interface == interface && self.outside_all(k.ip))
            .map(|k| k.ip)
            .collect();
        for ip in FACTORY_ADDRESSES {
            if self.outside_all(ip) && !ask.contains(&ip) {
                ask.push(ip);
            }
        }
        ask
    }

    /// Whether a datagram from `ip` would be judged misaddressed (the vendor stage keeps such
    /// answers although they are not from a target).
    pub fn is_outside(&self, ip: IpAddr) -> bool {
        matches!(ip, IpAddr::V4(v4) if self.outside_all(v4) && misaddressed::usable(v4))
    }

    /// A vendor discovery answer from `from`: the event when its sender is misaddressed. The mask
    /// and gateway the answer gives are taken when the address it claims is the sender's.
    pub fn vendor_answer(
        &self,
        from: IpAddr,
        info: &Announcement,
        method: DiscoveryMethod,
    ) -> Option<Event> {
        let IpAddr::V4(ip) = from else { return None };
        let claims_sender = info
            .ipv4
            .as_deref()
            .and_then(|a| a.parse::<Ipv4Addr>().ok())
            .is_none_or(|a| a == ip);
        let parse = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| t.parse::<Ipv4Addr>().ok())
                .filter(|_| claims_sender)
        };
        let mut m = self.judge_any(
            ip,
            parse(&info.ipv4_mask),
            parse(&info.ipv4_gateway),
            method,
        )?;
        m.reach.ipv6_link_local = info.ipv6.as_deref().and_then(misaddressed::link_local);
        Some(Event::Misaddressed {
            ip: from,
            method,
            sighting: Box::new(m),
            mac: info.mac.clone(),
        })
    }

    /// An ARP message read on `interface`: the event when its sender is outside the interface's
    /// subnets. A request's target in the sender's own /24 (not the sender itself: that is an
    /// announcement) is taken as its gateway.
    pub fn arp_message(&self, interface: &str, msg: &arp::Sender) -> Option<Event> {
        let attached = self.attached(interface);
        if attached.is_empty() {
            return None;
        }
        let gateway = (!msg.reply && msg.target != msg.ip).then_some(msg.target);
        let m = misaddressed::judge(
            msg.ip,
            None,
            gateway,
            interface,
            &attached,
            DiscoveryMethod::Arp.name(),
        )?;
        Some(Event::Misaddressed {
            ip: IpAddr::V4(msg.ip),
            method: DiscoveryMethod::Arp,
            sighting: Box::new(m),
            mac: Some(arp::format_mac(msg.mac)),
        })
    }

    /// A WS-Discovery `Hello` from `from`: the misaddressed event and the ONVIF event of what it
    /// announces (endpoint, types, scopes, XAddrs), or nothing when the sender is reachable.
    pub fn hello(&self, from: IpAddr, hello: wsd::Announcement) -> Option<[Event; 2]> {
        let IpAddr::V4(ip) = from else { return None };
        if hello.kind != wsd::AnnounceKind::Hello {
            return None;
        }
        let mut m = self.judge_any(ip, None, None, DiscoveryMethod::Onvif)?;
        m.reach.ipv6_link_local = hello.xaddrs.iter().find_map(|x| {
            let host = x.split("//").nth(1)?.split('/').next()?;
            misaddressed::link_local(host.strip_prefix('[')?.split(']').next()?)
        });
        Some([
            Event::Misaddressed {
                ip: from,
                method: DiscoveryMethod::Onvif,
                sighting: Box::new(m),
                mac: None,
            },
            super::onvif_device::onvif_event(from, hello.into_match(), Vec::new(), None),
        ])
    }
}

/// `--reach-misaddressed` as the listeners use it: the scan's temporary addresses and the port
/// probes a reached device is handed to.
#[derive(Debug, Clone)]
pub struct Reaching {
    reacher: Reacher,
    probes: Probes,
}

impl Reaching {
    /// `None` unless the scan reaches misaddressed devices.
    pub fn of<M>(scope: &Scope<M>) -> Option<Reaching> {
        Some(Reaching {
            reacher: scope.reach.clone()?,
            probes: scope.probes.clone(),
        })
    }

    /// After `ev` was sent: when it is a misaddressed sighting of a device not reached yet, add
    /// the temporary address, hand the device to the port probes and return the event that marks
    /// it reached.
    pub async fn follow(&self, ev: &Event) -> Option<Event> {
        let Event::Misaddressed {
            ip,
            method,
            sighting,
            ..
        } = ev
        else {
            return None;
        };
        // Each device once: its first sighting decides (a failed add is not tried again).
        if !self.reacher.first_time(*ip) {
            return None;
        }
        // Anyone on the wire can claim any address: only a subnet no public route leads to
        // (RFC 1918, link-local, CGNAT, the benchmarking range...) gets an address of ours.
        if super::targets::TargetSet::default()
            .with_addresses([*ip])
            .first_public()
            .is_some()
        {
            tracing::warn!(%ip, "--reach-misaddressed: a public address; no temporary address added");
            return None;
        }
        self.reacher.reach(sighting).await?;
        self.probes.hand_address(*ip);
        let mut reached = (**sighting).clone();
        reached.reached = true;
        Some(Event::Misaddressed {
            ip: *ip,
            method: *method,
            sighting: Box::new(reached),
            mac: None,
        })
    }
}

/// How long the passive ARP listener listens: at least `window` from its start, through ARP's
/// sweep (`swept`), and `after` past the sweep's end.
#[derive(Debug, Clone)]
pub struct Listen {
    pub window: Duration,
    pub swept: super::scope::Swept,
    pub after: Duration,
}

/// Listen on `link`'s raw ARP socket for `listen`'s time and send an event for each new
/// misaddressed sender (once per address and gateway). Does nothing without root or CAP_NET_RAW.
///
/// `ask`: addresses of devices last seen misaddressed on this segment (the inventory's), asked for
/// directly, so a scan need not wait for such a device to speak (a camera asks for its gateway
/// only every few seconds): an ARP probe for each (RFC 5227 §2.1.1: sender address 0.0.0.0, so
/// the device answers whatever subnet it is on, and nobody's cache learns anything) as the
/// listener starts and again when the sweep ends, paced at `rate` (the broadcast budget,
/// 0: no limit). The answer, from an address of no attached subnet, is a sighting like any other.
pub async fn listen_arp<M: ScanMessage>(
    link: Link,
    sight: Sight,
    (listen, ask, rate): (Listen, Vec<Ipv4Addr>, u32),
    tx: mpsc::Sender<M>,
) {
    let socket = match net::packet::ArpSocket::open(&link.interface) {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(interface = %link.interface, "passive ARP: cannot listen ({e})");
            return;
        }
    };
    let started = tokio::time::Instant::now();
    ask_for(&socket, &link, &ask, rate).await;
    // Unknown until the sweep ends (it always does: its passes are bounded, and a sweep task
    // that fails ends the wait too).
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut seen: Vec<(Ipv4Addr, Ipv4Addr)> = Vec::new();
    let mut buf = [0u8; 128];
    loop {
        let received = match deadline {
            Some(at) => tokio::time::timeout_at(at, socket.recv(&mut buf)).await,
            None => tokio::select! {
                r = socket.recv(&mut buf) => Ok(r),
                _ = listen.swept.get() => {
                    let end = (started + listen.window)
                        .max(tokio::time::Instant::now() + listen.after);
                    deadline = Some(end);
                    // Once more: one lost frame must not hide the device.
                    ask_for(&socket, &link, &ask, rate).await;
                    continue;
                }
            },
        };
        let n = match received {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::debug!("passive ARP receive: {e}");
                return;
            }
            Err(_) => return, // the discovery window closed
        };
        let Some(msg) = buf.get(..n).and_then(arp::parse) else {
            continue;
        };
        let key = (msg.ip, msg.target);
        if seen.contains(&key) || seen.len() >= MAX_SIGHTINGS {
            continue;
        }
        if let Some(ev) = sight.arp_message(&link.interface, &msg) {
            seen.push(key);
            tracing::info!(
                sender = %msg.ip,
                asks = %msg.target,
                interface = %link.interface,
                "ARP from outside the attached subnets: a misaddressed device"
            );
            if !sight.send(ev, &tx).await {
                return;
            }
        }
    }
}

/// An ARP probe (sender address 0.0.0.0) for each of `ask` on `link`, at most `rate` a
/// second. A send that fails is logged: the device is then only heard if it speaks.
async fn ask_for(socket: &net::packet::ArpSocket, link: &Link, ask: &[Ipv4Addr], rate: u32) {
    let started = tokio::time::Instant::now();
    let mut pace = net::pace::Pace::new(rate, Duration::ZERO);
    for &ip in ask {
        if let Some(wait) = pace.take(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        let probe = arp::request(link.mac, Ipv4Addr::UNSPECIFIED, ip);
        match tokio::time::timeout(Duration::from_secs(1), socket.broadcast(&probe)).await {
            Ok(Ok(())) => {
                tracing::debug!(%ip, interface = %link.interface, "ARP probe for a device that may sit on another subnet")
            }
            Ok(Err(e)) => tracing::debug!(%ip, "ARP probe: {e}"),
            Err(_) => tracing::debug!(%ip, "ARP probe: the socket took no frame within 1 s"),
        }
    }
}

/// Listen for WS-Discovery `Hello`s on 239.255.255.250:3702 (joined on `locals`) for `wait`, and
/// send the events of each one from a misaddressed sender. Reads only; nothing is sent.
pub async fn listen_hello<M: ScanMessage>(
    locals: Vec<Ipv4Addr>,
    sight: Sight,
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    // Bound to the group (not 0.0.0.0): only the group's datagrams, no unicast taken from a
    // WS-Discovery responder that shares the port on this host.
    let mut sockets = Vec::new();
    for local in &locals {
        match net::announcement_listener(super::listen::GROUP, super::listen::WSD_PORT, *local) {
            Ok(s) => sockets.push(s),
            Err(e) => {
                tracing::debug!(%local, "WS-Discovery Hello: cannot listen on port 3702 ({e})")
            }
        }
    }
    if sockets.is_empty() {
        return;
    }
    tracing::info!("WS-Discovery: listening for Hellos on port 3702 for {wait:?}");
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen: Vec<IpAddr> = Vec::new();
    while let Some((n, from)) = net::recv_any(&sockets, deadline, &mut buf).await {
        if seen.contains(&from.ip()) || seen.len() >= MAX_SIGHTINGS {
            continue; // the Hello's repeats (SOAP-over-UDP sends it up to 4 times)
        }
        let Some(hello) = buf
            .get(..n)
            .and_then(|b| wsd::parse_announcement(&String::from_utf8_lossy(b)))
        else {
            continue;
        };
        let Some(events) = sight.hello(from.ip(), hello) else {
            continue;
        };
        seen.push(from.ip());
        tracing::info!(%from, "WS-Discovery Hello from outside the attached subnets: a misaddressed device");
        for ev in events {
            if !sight.send(ev, &tx).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sight() -> Sight {
        Sight {
            subnets: vec![Subnet {
                interface: "eth0".into(),
                ip: Ipv4Addr::new(198, 18, 0, 1),
                prefix: 24,
                targets: true,
            }],
            asked: vec!["eth0".into()],
            reaching: None,
        }
    }

    fn sighting(ev: Option<Event>) -> Misaddressed {
        match ev {
            Some(Event::Misaddressed { sighting, .. }) => *sighting,
            other => panic!("{other:?}"),
        }
    }

    /// The listener on eth0 asks for what was last seen misaddressed there (not elsewhere, not
    /// what is now inside an attached subnet), then for the factory addresses outside them; a
    /// segment that holds a factory address asks nobody for it.
    #[test]
    fn what_the_listener_asks_for() {
        use model::known::KnownMisaddressed;
        let known = |ip: [u8; 4], interface: &str| KnownMisaddressed {
            ip: Ipv4Addr::from(ip),
            interface: interface.into(),
        };
        let known = [
            known([198, 19, 1, 64], "eth0"),
            known([198, 19, 2, 64], "eth1"),
            known([198, 18, 0, 20], "eth0"),
            known([192, 168, 0, 90], "eth0"),
        ];
        assert_eq!(
            sight().asks("eth0", &known),
            [
                Ipv4Addr::new(198, 19, 1, 64),
                Ipv4Addr::new(192, 168, 0, 90)
            ]
        );
        let home = Sight {
            subnets: vec![Subnet {
                interface: "eth0".into(),
                ip: Ipv4Addr::new(192, 168, 0, 10),
                prefix: 24,
                targets: true,
            }],
            asked: vec!["eth0".into()],
            reaching: None,
        };
        assert!(
            home.asks("eth0", &[]).is_empty(),
            "192.168.0.90 is a target there"
        );
        assert_eq!(sight().asks("eth0", &[]), [Ipv4Addr::new(192, 168, 0, 90)]);
    }

    #[test]
    fn an_sadp_answer_gives_mask_gateway_and_link_local() {
        let info = Announcement {
            protocol: "sadp".into(),
            ipv4: Some("198.19.1.64".into()),
            ipv4_mask: Some("255.255.255.0".into()),
            ipv4_gateway: Some("198.19.1.1".into()),
            ipv6: Some("fe80::4619:b6ff:fe00:64".into()),
            mac: Some("44:19:b6:00:00:64".into()),
            ..Default::default()
        };
        let from: IpAddr = "198.19.1.64".parse().unwrap();
        let m = sighting(sight().vendor_answer(from, &info, DiscoveryMethod::Sadp));
        assert_eq!(m.gateway, Some(Ipv4Addr::new(198, 19, 1, 1)));
        assert!(!m.mask_assumed);
        assert_eq!(m.reach.ip_addr_add, "ip addr add 198.19.1.253/24 dev eth0");
        assert_eq!(
            m.reach.ipv6_link_local.as_deref(),
            Some("fe80::4619:b6ff:fe00:64")
        );
        assert!(sight().is_outside(from));
        // A device inside the subnet is no news.
        let inside: IpAddr = "198.18.0.11".parse().unwrap();
        assert!(
            sight()
                .vendor_answer(inside, &info, DiscoveryMethod::Sadp)
                .is_none()
        );
        assert!(!sight().is_outside(inside));
        // No attached subnet (loopback scans): nothing is judged.
        assert!(!Sight::default().is_outside(from));
    }

    #[test]
    fn an_arp_request_for_the_gateway_names_it() {
        let req = arp::request(
            [0x44, 0x19, 0xb6, 0, 0, 0x64],
            Ipv4Addr::new(198, 19, 1, 64),
            Ipv4Addr::new(198, 19, 1, 1),
        );
        let msg = arp::parse(&req).unwrap();
        let m = sighting(sight().arp_message("eth0", &msg));
        assert_eq!(m.gateway, Some(Ipv4Addr::new(198, 19, 1, 1)));
        assert!(m.mask_assumed);
        assert_eq!(m.seen_by, ["arp"]);
        // A gratuitous announcement names no gateway; another interface's subnets do not count.
        let ann = arp::request(
            [0x44, 0x19, 0xb6, 0, 0, 0x64],
            Ipv4Addr::new(198, 19, 1, 64),
            Ipv4Addr::new(198, 19, 1, 64),
        );
        let m = sighting(sight().arp_message("eth0", &arp::parse(&ann).unwrap()));
        assert_eq!(m.gateway, None);
        assert!(sight().arp_message("eth1", &msg).is_none());
        let lan = arp::request(
            [2, 0, 0, 0, 0, 9],
            Ipv4Addr::new(198, 18, 0, 9),
            Ipv4Addr::new(198, 18, 0, 1),
        );
        assert!(
            sight()
                .arp_message("eth0", &arp::parse(&lan).unwrap())
                .is_none()
        );
    }

    #[test]
    fn a_hello_becomes_a_device_and_its_onvif_facts() {
        let hello = wsd::Announcement {
            kind: wsd::AnnounceKind::Hello,
            endpoint: Some("urn:uuid:1".into()),
            types: vec!["dn:NetworkVideoTransmitter".into()],
            scopes: vec!["onvif://www.onvif.org/name/Gate".into()],
            xaddrs: vec!["http://198.19.1.64:8000/onvif/device_service".into()],
            metadata_version: None,
        };
        let from: IpAddr = "198.19.1.64".parse().unwrap();
        let [m, onvif] = sight().hello(from, hello.clone()).unwrap();
        assert_eq!(sighting(Some(m)).seen_by, ["onvif"]);
        assert!(matches!(
            onvif,
            Event::Onvif {
                is_camera: true,
                ..
            }
        ));
        let bye = wsd::Announcement {
            kind: wsd::AnnounceKind::Bye,
            ..hello
        };
        assert!(sight().hello(from, bye).is_none());
    }
}
