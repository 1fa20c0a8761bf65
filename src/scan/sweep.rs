//! Discovery and port probes: ARP first (it decides which on-link hosts get probed), then
//! WS-Discovery (with each device's ONVIF API), SSDP, mDNS and the vendor protocols beside the port
//! probes.
//! In: the [`ScanPlan`]; out: registry events on the collector's channel and open ports on the
//! dispatcher's, both bounded, and [`Msg::DiscoveryDone`] after the last of them.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Msg;
use super::onvif_device::{onvif_device, onvif_event};
use super::plan::ScanPlan;
use crate::analyze::context::{Announcements, ScanContext};
use crate::analyze::rtsp;
use crate::discovery::targets;
use crate::error::AnalyzeError;
use crate::model::{DiscoveryMethod, Failure, Stage};
use crate::probe::{self, OpenPort, ProbeStats};
use crate::registry::Event;

/// How long after the vendor protocols start a channel walk that met a gap waits for the device's announced
/// channel count (at most `--discovery-wait`).
const ANNOUNCE_GRACE: Duration = Duration::from_millis(500);

/// ARP first (it decides which on-link hosts get probed), then WS-Discovery and SSDP beside the port
/// probes. Returns when all of them are done, after sending [`Msg::DiscoveryDone`].
///
/// Port probes start as soon as their targets are known: off-link targets at once, each on-link
/// host the moment it answers a raw ARP request (not when the sweep ends), one shared pool for all.
pub async fn discover_and_probe(
    s: ScanPlan,
    ctx: ScanContext,
    announced: tokio::sync::watch::Sender<bool>,
    stats: Arc<ProbeStats>,
    ev_tx: mpsc::Sender<Msg>,
    open_tx: mpsc::Sender<OpenPort>,
) {
    let (batch_tx, mut batch_rx) = mpsc::unbounded_channel::<Batch>();
    let probing = if s.methods.contains(&DiscoveryMethod::Port) {
        let prober = probe::Prober::new(&s.probe, open_tx, stats);
        let ports = s.ports.clone();
        Some(tokio::spawn(async move {
            while let Some(batch) = batch_rx.recv().await {
                prober
                    .add(&batch.targets, batch.ports.as_deref().unwrap_or(&ports))
                    .await;
            }
            prober.finish().await;
        }))
    } else {
        drop(open_tx);
        None
    };
    let (probe_set, alive) = if s.methods.contains(&DiscoveryMethod::Arp) {
        arp_stage(
            &s.set,
            &s.links.on_link,
            &s.links.arp,
            &ev_tx,
            &batch_tx,
            &ctx.identities,
        )
        .await
    } else {
        let _ = batch_tx.send(s.set.clone().into());
        (s.set.clone(), Vec::new())
    };
    let mdns =
        (s.methods.contains(&DiscoveryMethod::Mdns) && !s.links.multicast.is_empty()).then(|| {
            let probe = MdnsProbe {
                scope: s.set.clone(),
                probed: probe_set.clone(),
                ports: s.ports.clone(),
                batches: probing.is_some().then(|| batch_tx.clone()),
            };
            tokio::spawn(mdns_stage(
                s.links.multicast.clone(),
                probe,
                ctx.clone(),
                s.discovery_wait,
                ev_tx.clone(),
            ))
        });
    drop(batch_tx);
    let onvif = s.methods.contains(&DiscoveryMethod::Onvif).then(|| {
        tokio::spawn(onvif_stage(
            s.links.multicast.clone(),
            alive.clone(),
            probe_set.clone(),
            ctx.clone(),
            s.discovery_wait,
            ev_tx.clone(),
        ))
    });
    let ssdp =
        (s.methods.contains(&DiscoveryMethod::Ssdp) && !s.links.multicast.is_empty()).then(|| {
            tokio::spawn(ssdp_stage(
                s.links.multicast.clone(),
                probe_set.clone(),
                (s.probe.connect_timeout, ctx.timeout),
                s.discovery_wait,
                ev_tx.clone(),
            ))
        });
    // Every vendor protocol chosen, side by side inside the one discovery window.
    let vendor: Vec<_> = crate::discovery::protocols::PROTOCOLS
        .iter()
        .filter(|p| s.methods.contains(&p.method))
        .filter(|_| !(s.links.vendor.is_empty() && alive.is_empty()))
        .map(|protocol| {
            tokio::spawn(vendor_stage(
                protocol,
                s.links.vendor.clone(),
                alive.clone(),
                probe_set.clone(),
                ctx.announcements.clone(),
                s.discovery_wait,
                ev_tx.clone(),
            ))
        })
        .collect();
    // Channel walks waiting at a gap are released when the vendor protocols finish or after
    // ANNOUNCE_GRACE,
    // whichever comes first: LAN devices answer within milliseconds, and the rest of the
    // discovery window is for strangers, not for the hosts being walked.
    let grace = ANNOUNCE_GRACE.min(s.discovery_wait);
    let vendor = tokio::spawn(async move {
        let mut handles = vendor;
        let all = futures::future::join_all(handles.iter_mut());
        tokio::pin!(all);
        let finished = tokio::select! {
            _ = &mut all => true,
            _ = tokio::time::sleep(grace) => false,
        };
        let _ = announced.send(true);
        if !finished {
            all.await;
        }
    });
    if let Some(probing) = probing {
        let _ = probing.await;
    }
    for handle in [onvif, ssdp, mdns].into_iter().flatten() {
        let _ = handle.await;
    }
    let _ = vendor.await;
    // After every stage's events: no discovery fact and no probe result can come any more.
    let _ = ev_tx.send(Msg::DiscoveryDone).await;
}

/// Targets handed to the port probes, with the ports to probe on them (`None`: the scan's).
struct Batch {
    targets: targets::TargetSet,
    ports: Option<Vec<u16>>,
}

impl From<targets::TargetSet> for Batch {
    fn from(targets: targets::TargetSet) -> Self {
        Batch {
            targets,
            ports: None,
        }
    }
}

/// ARP on the on-link part of the targets: raw frames on each interface when the process may open
/// packet sockets, else the unprivileged poke. Returns the addresses to port-probe (off-link
/// targets plus on-link hosts that answered) and the live on-link hosts. The addresses to probe also
/// go to `probe` as soon as they are known: the off-link ones first, then each host as it answers
/// (raw mode) or all of them after the sweep (unprivileged mode).
async fn arp_stage(
    set: &targets::TargetSet,
    on_link: &[targets::AddrRange],
    links: &[crate::discovery::links::Link],
    tx: &mpsc::Sender<Msg>,
    probe: &mpsc::UnboundedSender<Batch>,
    identities: &crate::analyze::identity::Identities,
) -> (targets::TargetSet, Vec<Ipv4Addr>) {
    use crate::discovery::arp;
    let (inside, outside) = set.split(on_link);
    if inside.is_empty() {
        let _ = probe.send(set.clone().into());
        return (set.clone(), Vec::new());
    }
    if !outside.is_empty() {
        let _ = probe.send(outside.clone().into());
    }
    // Hosts handed to the probes already (a raw sweep that fails half-way is followed by the
    // unprivileged one, which finds them again).
    let mut handed: HashSet<Ipv4Addr> = HashSet::new();
    let mut hand = |ip: Ipv4Addr, mac: Option<[u8; 6]>| {
        // The MAC's maker goes on the board at once: the host's RTSP walk may start before the
        // sweep ends and its events are sent.
        if let Some(mac) = mac {
            identities.learn_mac(IpAddr::V4(ip), &crate::proto::arp::format_mac(mac));
        }
        if handed.insert(ip) {
            let _ = probe.send(
                targets::TargetSet::default()
                    .with_addresses([IpAddr::V4(ip)])
                    .into(),
            );
        }
    };
    let mut alive = Vec::new();
    let mut raw_ok = links.len() == on_link.len();
    for (net, link) in on_link.iter().zip(links) {
        if !raw_ok {
            break;
        }
        let here = inside.split(std::slice::from_ref(net)).0;
        if here.is_empty() {
            continue;
        }
        match arp::sweep_raw(link, &here, &mut |ip, mac| hand(ip, Some(mac))).await {
            Ok(found) => {
                tracing::info!(
                    hosts = %here.len(),
                    interface = %link.interface,
                    answered = found.len(),
                    "ARP: raw mode (AF_PACKET requests and replies)"
                );
                alive.extend(found);
            }
            Err(e) => {
                tracing::debug!("raw ARP on {}: {e}", link.interface);
                raw_ok = false;
                alive.clear();
            }
        }
    }
    if !raw_ok {
        tracing::info!(
            hosts = %inside.len(),
            "ARP: unprivileged mode (UDP poke, then the kernel neighbour table; root or CAP_NET_RAW allows raw ARP)"
        );
        alive = match arp::sweep(arp::v4(&inside), arp::DEFAULT_WAIT).await {
            Ok(alive) => alive,
            Err(e) => {
                tracing::warn!("ARP sweep failed ({e}); probing every on-link address");
                let _ = probe.send(inside.clone().into());
                return (set.clone(), Vec::new());
            }
        };
    }
    for n in &alive {
        hand(n.ip, None);
        identities.learn_mac(IpAddr::V4(n.ip), &n.mac);
    }
    let live: Vec<Ipv4Addr> = alive.iter().map(|n| n.ip).collect();
    for n in alive {
        let vendor = crate::discovery::camera_macs::vendor(&n.mac).map(str::to_string);
        let conflict = (!n.also.is_empty()).then(|| Event::ArpConflict {
            ip: n.ip.into(),
            macs: n.also,
        });
        let ev = Event::Host {
            ip: n.ip.into(),
            method: DiscoveryMethod::Arp,
            mac: Some(n.mac),
            vendor,
        };
        if tx.send(ev.into()).await.is_err() {
            break;
        }
        if let Some(c) = conflict
            && tx.send(c.into()).await.is_err()
        {
            break;
        }
    }
    // Port probes go only to on-link hosts that answered ARP.
    (
        outside.with_addresses(live.iter().map(|ip| IpAddr::V4(*ip))),
        live,
    )
}

/// WS-Discovery, and the device API of every device that answered, asked the moment its answer
/// is read (one task each): a device's ONVIF facts do not wait for the discovery window to close.
async fn onvif_stage(
    ifs: Vec<Ipv4Addr>,
    alive: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    ctx: ScanContext,
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    if ifs.is_empty() && alive.is_empty() {
        return;
    }
    let (found_tx, mut found_rx) = mpsc::unbounded_channel();
    let ask = async move {
        let n = crate::discovery::wsd::discover(
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
                .map(|x| crate::proto::wsd::fix_xaddr(x, ip))
                .find(|x| x.starts_with("http://"));
            if tx.send(onvif_event(f).into()).await.is_err() {
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

/// Vendor protocol answers kept per host (an NVR may answer once per interface) and in all.
const MAX_ANSWERS_PER_HOST: usize = 4;

const MAX_ANSWERS: usize = 65_536;

/// One vendor discovery protocol: each target that answers becomes an `Announce` event as soon as
/// its answer is read, and its channel count goes to the RTSP channel walk.
async fn vendor_stage(
    protocol: &'static crate::discovery::protocols::VendorProtocol,
    ifs: Vec<crate::discovery::links::Interface>,
    alive: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    announcements: Announcements,
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    use crate::discovery::vendor::{Query, query};
    let token = crate::discovery::vendor::random_uuid();
    let q = Query {
        name: protocol.name,
        port: protocol.port,
        reply_port: protocol.reply_port,
        group: protocol.group,
        datagrams: (protocol.query)(&token),
    };
    let maker = crate::knowledge::display_name(protocol.vendor);
    let (answers_tx, mut answers_rx) = mpsc::unbounded_channel::<Event>();
    let mut seen: Vec<(std::net::IpAddr, crate::model::Announcement)> = Vec::new();
    let seen_ref = &mut seen;
    let on_answer = move |ip: std::net::IpAddr, bytes: &[u8]| {
        let found = match (protocol.parse)(bytes, &token) {
            Ok(found) => found,
            Err(e) => {
                tracing::debug!(%ip, "{}: {e}", protocol.name);
                return;
            }
        };
        let info = found.info;
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
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
    };
    let ask = async move {
        query(&q, &ifs, &alive, wait, |ip| scope.contains(ip), on_answer).await;
    };
    // `ask` owns the answer sender: when it ends, `forward` drains the rest and ends too.
    tokio::join!(ask, forward);
    tracing::info!(devices = seen.len(), "{} finished", protocol.name);
}

/// SSDP, and the description of every device that answered.
async fn ssdp_stage(
    ifs: Vec<Ipv4Addr>,
    scope: targets::TargetSet,
    (connect_timeout, timeout): (Duration, Duration),
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    let found = crate::discovery::ssdp::discover(&ifs, wait, connect_timeout, timeout, |ip| {
        scope.contains(ip)
    })
    .await;
    tracing::info!(devices = found.len(), "SSDP finished");
    for f in found {
        if let Some(message) = f.error {
            let failure = Failure {
                stage: Stage::Probe,
                port: None,
                message,
            };
            if tx
                .send(
                    Event::Failure {
                        ip: f.sender,
                        failure,
                    }
                    .into(),
                )
                .await
                .is_err()
            {
                return;
            }
        }
        let info = f.description.unwrap_or_default();
        let is_camera =
            crate::proto::ssdp::is_camera(&info, |m| crate::knowledge::get().is_camera_maker(m));
        let ev = Event::Upnp {
            ip: f.sender,
            info: Box::new(info),
            is_camera,
        };
        if tx.send(ev.into()).await.is_err() {
            return;
        }
    }
}

/// What the mDNS stage may hand to the port probes: a device found only by mDNS is probed like
/// any other target, and the port of each service it announced is probed too.
struct MdnsProbe {
    /// The scan's targets: answers from other addresses are ignored.
    scope: targets::TargetSet,
    /// Addresses the probes already have (with the scan's ports).
    probed: targets::TargetSet,
    ports: Vec<u16>,
    /// `None` without `--discovery ports`.
    batches: Option<mpsc::UnboundedSender<Batch>>,
}

impl MdnsProbe {
    /// Hand `ip` to the probes (the scan's ports, if it has not had them) with `service_ports`
    /// not probed yet. `handed` remembers what was handed.
    fn hand(
        &self,
        ip: Ipv4Addr,
        service_ports: impl IntoIterator<Item = u16>,
        handed: &mut HashSet<(Ipv4Addr, u16)>,
    ) {
        let Some(batches) = &self.batches else {
            return;
        };
        let addr = IpAddr::V4(ip);
        let mut ports = Vec::new();
        if !self.probed.contains(addr) && handed.insert((ip, 0)) {
            ports.extend(self.ports.iter().copied());
        }
        for p in service_ports {
            if p != 0 && !self.ports.contains(&p) && handed.insert((ip, p)) {
                ports.push(p);
            }
        }
        ports.sort_unstable();
        ports.dedup();
        if !ports.is_empty() {
            let _ = batches.send(Batch {
                targets: targets::TargetSet::default().with_addresses([addr]),
                ports: Some(ports),
            });
        }
    }
}

/// Service types, services and host names kept per device from mDNS (a camera announces a handful).
const MDNS_MAX_PER_HOST: usize = 64;

/// mDNS / DNS-SD: each answer's RTSP paths go to that port's analysis and its service ports to
/// the probes at once; after the window, one `Mdns` event and the names of each device, then the
/// announced RTSP paths no analysis took, described here (as ONVIF stream URIs are).
async fn mdns_stage(
    ifs: Vec<Ipv4Addr>,
    probe: MdnsProbe,
    ctx: ScanContext,
    wait: Duration,
    tx: mpsc::Sender<Msg>,
) {
    use crate::proto::mdns;
    let started = tokio::time::Instant::now();
    let mut found: std::collections::BTreeMap<Ipv4Addr, mdns::Services> = Default::default();
    let mut handed: HashSet<(Ipv4Addr, u16)> = HashSet::new();
    let mut hinted: Vec<std::net::SocketAddr> = Vec::new();
    let on_answer = |ip: Ipv4Addr, answer: mdns::Services| {
        for sv in &answer.services {
            if let (Some(path), Some(port)) = (mdns::rtsp_path(sv), sv.port) {
                let addr = std::net::SocketAddr::new(IpAddr::V4(ip), port);
                ctx.stream_hints.add(addr, &path);
                if !hinted.contains(&addr) {
                    hinted.push(addr);
                }
            }
        }
        probe.hand(
            ip,
            answer.services.iter().filter_map(|s| s.port),
            &mut handed,
        );
        let all = found.entry(ip).or_default();
        // A device that keeps announcing new names is not worth more memory.
        for t in answer.types {
            if !all.types.contains(&t) && all.types.len() < MDNS_MAX_PER_HOST {
                all.types.push(t);
            }
        }
        for h in answer.hosts {
            if !all.hosts.contains(&h) && all.hosts.len() < MDNS_MAX_PER_HOST {
                all.hosts.push(h);
            }
        }
        for sv in answer.services {
            if all.services.len() < MDNS_MAX_PER_HOST
                && !all
                    .services
                    .iter()
                    .any(|x| x.service == sv.service && x.instance == sv.instance)
            {
                all.services.push(sv);
            }
        }
    };
    crate::discovery::mdns::discover(&ifs, wait, |ip| probe.scope.contains(ip), on_answer).await;
    tracing::info!(
        devices = found.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "mDNS finished"
    );
    for (ip, services) in found {
        for ev in mdns_events(ip.into(), services) {
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
    }
    // Announced streams whose port's analysis did not take them.
    for addr in hinted {
        for path in ctx.stream_hints.take(addr) {
            if !ctx.claim(&crate::net::rtsp::url(addr, &path)) {
                continue;
            }
            tracing::debug!(%addr, path, "mDNS: describing an announced stream no analysis took");
            let ev = match rtsp::describe_stream(addr, &path, &ctx).await {
                Ok((stream, notes)) => {
                    for e in notes {
                        let failure = e.failure(Stage::Analyze, Some(addr.port()));
                        let _ = tx
                            .send(
                                Event::Failure {
                                    ip: addr.ip(),
                                    failure,
                                }
                                .into(),
                            )
                            .await;
                    }
                    Event::Stream {
                        ip: addr.ip(),
                        stream: Box::new(stream),
                    }
                }
                Err(e) => Event::Failure {
                    ip: addr.ip(),
                    failure: AnalyzeError::from(e).failure(Stage::Analyze, Some(addr.port())),
                },
            };
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
    }
}

/// The registry events for what one device announced over mDNS: its services (a web interface
/// only when something marks it as a camera's: a printer's web page is not a finding, though the
/// printer answered and is listed), the MAC and model its TXT records name, and its names
/// (instance names as labels, `.local` host names as host names).
fn mdns_events(ip: IpAddr, found: crate::proto::mdns::Services) -> Vec<Event> {
    use crate::model::{DeviceName, MdnsInfo, MdnsService, NameKind};
    use crate::proto::mdns;
    let maker = |m: &str| crate::knowledge::get().is_camera_maker(m);
    let camera: Vec<bool> = found
        .services
        .iter()
        .map(|s| mdns::is_camera_service(s, maker))
        .collect();
    let is_camera = camera.iter().any(|c| *c);
    let kept: Vec<&mdns::Service> = found
        .services
        .iter()
        .zip(&camera)
        .filter(|(s, c)| {
            **c || is_camera || !matches!(s.service.as_str(), "_http._tcp" | "_https._tcp")
        })
        .map(|(s, _)| s)
        .collect();
    let mut events = Vec::new();
    let name = |name: &str, kind| Event::Name {
        ip,
        name: DeviceName {
            name: name.to_string(),
            kind,
            source: "mdns".into(),
        },
    };
    for h in &found.hosts {
        events.push(name(h.trim_end_matches('.'), NameKind::Host));
    }
    for s in &kept {
        if let Some(h) = s
            .host
            .as_deref()
            .filter(|_| s.address.is_none_or(|a| IpAddr::V4(a) == ip))
        {
            events.push(name(h.trim_end_matches('.'), NameKind::Host));
        }
        events.push(name(&s.instance, NameKind::Label));
    }
    let mac = kept.iter().find_map(|s| mdns::mac(s));
    let model = kept.iter().find_map(|s| mdns::model(s)).map(str::to_string);
    let info = MdnsInfo {
        services: kept
            .iter()
            .map(|s| MdnsService {
                service: s.service.clone(),
                instance: s.instance.clone(),
                host: s.host.clone(),
                port: s.port,
                txt: s
                    .txt
                    .iter()
                    .map(|(k, v)| {
                        if v.is_empty() {
                            k.clone()
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect(),
            })
            .collect(),
        types: found.types,
    };
    events.insert(
        0,
        Event::Mdns {
            ip,
            info: Box::new(info),
            mac,
            model,
            is_camera,
        },
    );
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mdns::{Service, Services};

    fn http(instance: &str) -> Service {
        Service {
            service: "_http._tcp".into(),
            instance: instance.into(),
            host: Some("box.local".into()),
            port: Some(80),
            ..Default::default()
        }
    }

    /// A printer's web page is not reported; a camera's is, beside its camera services.
    #[test]
    fn mdns_events_keep_web_interfaces_of_cameras_only() {
        let ip: IpAddr = "198.18.0.12".parse().unwrap();
        let printer = Services {
            services: vec![http("Brother HL-L2350DW")],
            hosts: vec!["box.local".into()],
            types: vec![],
        };
        let events = mdns_events(ip, printer);
        let Event::Mdns {
            info, is_camera, ..
        } = &events[0]
        else {
            panic!("{events:?}");
        };
        assert!(!is_camera);
        assert!(info.services.is_empty(), "{info:?}");
        assert!(
            events[1..]
                .iter()
                .all(|e| matches!(e, Event::Name { name, .. } if name.kind == crate::model::NameKind::Host)),
            "only its host name: {events:?}"
        );
        let rtsp = Service {
            service: "_rtsp._tcp".into(),
            instance: "Porch".into(),
            port: Some(554),
            ..Default::default()
        };
        let camera = Services {
            services: vec![http("Porch"), rtsp],
            hosts: vec![],
            types: vec!["_rtsp._tcp".into()],
        };
        let events = mdns_events(ip, camera);
        let Event::Mdns {
            info,
            is_camera,
            mac,
            ..
        } = &events[0]
        else {
            panic!("{events:?}");
        };
        assert!(is_camera);
        assert_eq!(*mac, None);
        assert_eq!(info.services.len(), 2);
    }

    /// A host found only by mDNS gets the scan's ports and its service ports; a probed one only
    /// the service ports the scan's list lacks; nothing twice.
    #[test]
    fn mdns_hosts_and_service_ports_go_to_the_probes() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let known: IpAddr = "198.18.0.11".parse().unwrap();
        let probe = MdnsProbe {
            scope: targets::TargetSet::default(),
            probed: targets::TargetSet::default().with_addresses([known]),
            ports: vec![80, 554],
            batches: Some(tx),
        };
        let mut handed = HashSet::new();
        let new = Ipv4Addr::new(198, 18, 0, 12);
        probe.hand(new, [8554, 80], &mut handed);
        probe.hand(Ipv4Addr::new(198, 18, 0, 11), [554, 8554], &mut handed);
        probe.hand(new, [8554], &mut handed);
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[80, 554, 8554][..]));
        assert!(batch.targets.contains(IpAddr::V4(new)));
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[8554][..]));
        assert!(batch.targets.contains(known));
        assert!(rx.try_recv().is_err(), "nothing twice");
    }
}
