//! mDNS / DNS-SD (RFC 6762, RFC 6763): one query to 224.0.0.251:5353 on each attached interface that
//! holds targets, asking for the service types cameras and NVRs announce
//! ([`proto::mdns::SERVICE_TYPES`]), then every answer read for the discovery window; and the
//! scan's mDNS stage (`STAGE`, `start`).
//!
//! The query is a one-shot query from an ephemeral port (RFC 6762 §5.1), which responders answer
//! unicast to that port (§6.7; measured in the lab: Avahi 0.8 answers within a millisecond, with
//! the SRV, TXT and A records beside the PTRs). Responders that multicast their answers anyway are
//! heard on the group too (a listener on 5353 that shares the port with a host's own responder:
//! SO_REUSEADDR). Only answers from scan targets are kept; a service whose A record names another
//! address (a responder speaking for another host) is that address's, and dropped when that address
//! is not a target. Parsing is [`proto::mdns`], a pure function.
//!
//! What the stage yields: while the window is open, each answer's RTSP paths go to that port's
//! analysis (stream hints) and its service ports to the port probes (with the scan's ports for a
//! host only mDNS found); after it, per device, one `Event::Mdns` (its services, types, the MAC and
//! model its TXT records name, whether a service marks it as a camera) and an `Event::Name` for
//! each instance (a label) and `.local` host name, then an `Event::Stream` (or `Failure`) for each
//! announced RTSP path no analysis took. The registry takes the TXT model above a UPnP
//! description and below a web fingerprint, the TXT MAC only when none was seen on the wire (so
//! addresses that share it are one device), and merges services by type and instance whatever the
//! order of the answers. The collector puts the TXT MAC on the identity board (`learn`).

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::scope::{About, Batch, Probes, ScanMessage, Scope, Swept};
use super::targets::TargetSet;
use analyze::context::ScanContext;
use analyze::identity::Identities;
use analyze::rtsp;
use error::AnalyzeError;
use model::{DiscoveryMethod, Stage};
use proto::mdns::{self, GROUP, PORT, Services};

/// The mDNS IPv6 group, link-local scope (RFC 6762 §3).
const GROUP_V6: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
use registry::Event;

/// Largest datagram read: RFC 6762 §17 allows mDNS messages up to 9000 bytes.
const MAX_DATAGRAM: usize = 9000;

/// Answers kept per scan: a LAN whose every host answers many times is not worth more memory.
const MAX_ANSWERS: usize = 65_536;

/// Send the query on each interface address in `interfaces` and call `on_answer(host, services)`
/// for what each answer says about a host that `accept` takes, for `wait`.
pub async fn discover(
    interfaces: &[Ipv4Addr],
    v6_links: &[u32],
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_answer: impl FnMut(IpAddr, Services),
) {
    // IPv6: the same query to [ff02::fb]:5353 on each link of the scan's zoned targets (RFC 6762
    // §3: FF02::FB), from a socket of its own per interface, hop limit 255 (RFC 6762 §11).
    let (mut sockets, v4_senders, v6_indexes) =
        net::multicast_senders(interfaces, v6_links, 255, "mDNS");
    if sockets.is_empty() {
        return;
    }
    let senders = sockets.len();
    match net::reply_listener(Some(GROUP), PORT, interfaces) {
        Ok(s) => sockets.push(s),
        // Without it we still hear every responder that answers a one-shot query as RFC 6762 asks.
        Err(e) => tracing::debug!("mDNS: cannot listen on the group: {e}"),
    }
    let query = mdns::query(net::random_u64() as u16, mdns::SERVICE_TYPES);
    for s in sockets.iter().take(v4_senders) {
        if let Err(e) = s.send_to(&query, (GROUP, PORT)).await {
            tracing::debug!("mDNS: send failed: {e}");
        }
    }
    for (s, index) in sockets[v4_senders..senders].iter().zip(&v6_indexes) {
        let to = std::net::SocketAddrV6::new(GROUP_V6, PORT, 0, *index);
        if let Err(e) = s.send_to(&query, to).await {
            tracing::debug!("mDNS over IPv6: send failed: {e}");
        }
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut answers = 0usize;
    while let Some((n, from)) = net::recv_any(&sockets, deadline, &mut buf).await {
        let sender = from.ip();
        if let IpAddr::V4(v4) = sender
            && interfaces.contains(&v4)
        {
            continue; // our own query, looped back
        }
        if !accept(from.ip()) {
            tracing::debug!(%from, "mDNS answer from outside the targets ignored");
            continue;
        }
        // A link-local sender's zone: the interface its answer came in on.
        net::zone::remember_from(from);
        let msg = match mdns::parse(&buf[..n]) {
            Ok(m) => m,
            Err(e) => {
                tracing::trace!(%from, "mDNS: {e}");
                continue;
            }
        };
        if msg.cut {
            tracing::debug!(%from, "mDNS: answer cut short; the records before the cut are kept");
        }
        tracing::debug!(
            %from,
            after_ms = (wait.saturating_sub(deadline - tokio::time::Instant::now())).as_millis() as u64,
            records = msg.records.len(),
            "mDNS answer"
        );
        for (host, services) in by_host(mdns::services(&msg.records, sender), sender, &accept) {
            on_answer(host, services);
        }
        answers += 1;
        if answers >= MAX_ANSWERS {
            break;
        }
    }
}

/// Split what one answer says by the host each service is on: the sender, or the address its
/// host name's A record gives when that is another target (a responder speaking for another host).
fn by_host(
    found: Services,
    sender: IpAddr,
    accept: impl Fn(IpAddr) -> bool,
) -> BTreeMap<IpAddr, Services> {
    let mut out: BTreeMap<IpAddr, Services> = BTreeMap::new();
    let mut own = Services {
        types: found.types,
        hosts: found.hosts,
        services: Vec::new(),
    };
    let mut others: Vec<(IpAddr, mdns::Service)> = Vec::new();
    for s in found.services {
        // A service camscan did not ask for (a printer's `_ipp._tcp` Avahi adds to its answer) is
        // only a type the device offers.
        if !mdns::asked(&s.service) {
            if !own.types.contains(&s.service) {
                own.types.push(s.service);
                own.types.sort();
            }
            continue;
        }
        let host = s.address.map_or(sender, IpAddr::V4);
        if host == sender || sender.is_ipv6() {
            // An IPv6 sender's services are its own: their A record names its IPv4 address.
            own.services.push(s);
        } else if accept(host) {
            others.push((host, s));
        }
    }
    out.insert(sender, own);
    for (host, s) in others {
        out.entry(host).or_default().services.push(s);
    }
    out.retain(|_, s| !s.services.is_empty() || !s.types.is_empty() || !s.hosts.is_empty());
    out
}

/// The mDNS stage.
pub(super) const STAGE: About = About {
    name: "mDNS",
    serves: |m| m == DiscoveryMethod::Mdns,
    announces_channels: false,
    learn,
};

/// mDNS, when the scan chose it and an attached interface holds targets: one task.
pub(super) fn start<M: ScanMessage>(scope: &Scope<M>) -> Vec<JoinHandle<()>> {
    // IPv6: the links of the scan's zoned link-local targets, as WS-Discovery has them.
    let v6_ifs = super::wsd::v6_links(&scope.set);
    if !scope.chose(DiscoveryMethod::Mdns)
        || (scope.links.multicast.is_empty() && v6_ifs.is_empty())
    {
        return Vec::new();
    }
    let probe = ServiceProbe::of(scope);
    // The requests that describe an answer go through each device's gate (`net::host_gate`).
    vec![tokio::spawn(net::host_gate::scope(
        scope.ctx.gates.clone(),
        ask_and_describe(
            scope.links.multicast.clone(),
            v6_ifs,
            probe,
            scope.ctx.clone(),
            scope.window(),
            scope.events.clone(),
        ),
    ))]
}

/// The MAC a TXT record names on the identity board.
fn learn(board: &Identities, ev: &Event) {
    if let Event::Mdns {
        ip, mac: Some(mac), ..
    } = ev
    {
        board.learn_mac(*ip, mac);
    }
}

/// What the mDNS stage (and SSDP's, the port of a device's LOCATION) may hand to the port probes:
/// a device found only by mDNS is probed like any other target, and the port of each service it
/// announced is probed too.
pub(super) struct ServiceProbe {
    /// The scan's targets: answers from other addresses are ignored.
    scope: TargetSet,
    /// Whom the probes have (with the scan's ports): ARP's sweep says, when it is done.
    hosts: Swept,
    ports: Vec<u16>,
    /// Closed without `--discovery ports`.
    batches: Probes,
}

impl ServiceProbe {
    /// What `scope` lets a discovery stage hand to its port probes.
    pub(super) fn of<M: ScanMessage>(scope: &Scope<M>) -> ServiceProbe {
        ServiceProbe {
            scope: scope.set.clone(),
            hosts: scope.hosts.clone(),
            ports: scope.ports.clone(),
            batches: scope.probes.clone(),
        }
    }

    /// Hand `ip` to the probes (the scan's ports, if it has not had them) with `service_ports`
    /// not probed yet. `handed` remembers what was handed.
    pub(super) fn hand(
        &self,
        ip: IpAddr,
        service_ports: impl IntoIterator<Item = u16>,
        handed: &mut HashSet<(IpAddr, u16)>,
    ) {
        if !self.batches.open() {
            return;
        }
        let addr = ip;
        let mut ports = Vec::new();
        // While ARP still sweeps, whether the probes have it is decided after the window.
        let probed = self
            .hosts
            .known()
            .is_none_or(|hosts| hosts.probed.contains(addr));
        if !probed && handed.insert((ip, 0)) {
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
            self.batches.hand(Batch {
                ports: Some(ports),
                ..Batch::from(TargetSet::default().with_addresses([addr]))
            });
        }
    }
}

/// Service types, services and host names kept per device from mDNS (a camera announces a handful).
const MDNS_MAX_PER_HOST: usize = 64;

/// mDNS / DNS-SD: each answer's RTSP paths go to that port's analysis and its service ports to
/// the probes at once; after the window, one `Mdns` event and the names of each device, then the
/// announced RTSP paths no analysis took, described here (as ONVIF stream URIs are).
async fn ask_and_describe<M: ScanMessage>(
    ifs: Vec<Ipv4Addr>,
    v6_ifs: Vec<u32>,
    probe: ServiceProbe,
    ctx: ScanContext,
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    let started = tokio::time::Instant::now();
    let mut found: BTreeMap<IpAddr, Services> = Default::default();
    let mut handed: HashSet<(IpAddr, u16)> = HashSet::new();
    let mut hinted: Vec<SocketAddr> = Vec::new();
    let on_answer = |ip: IpAddr, answer: Services| {
        for sv in &answer.services {
            if let (Some(path), Some(port)) = (mdns::rtsp_path(sv), sv.port) {
                let addr = SocketAddr::new(ip, port);
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
    discover(
        &ifs,
        &v6_ifs,
        wait,
        |ip| probe.scope.contains(ip),
        on_answer,
    )
    .await;
    tracing::info!(
        devices = found.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "mDNS finished"
    );
    // Hosts that answered while ARP still swept, and that it did not find: the scan's ports.
    probe.hosts.get().await;
    for ip in found.keys() {
        probe.hand(*ip, [], &mut handed);
    }
    for (ip, services) in found {
        for ev in mdns_events(ip, services) {
            if tx.send(ev.into()).await.is_err() {
                return;
            }
        }
    }
    // Announced streams whose port's analysis did not take them.
    for addr in hinted {
        for path in ctx.stream_hints.take(addr) {
            if !ctx.claim(&net::rtsp::url(addr, &path)) {
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
fn mdns_events(ip: IpAddr, found: Services) -> Vec<Event> {
    use model::{DeviceName, MdnsInfo, MdnsService, NameKind};
    let maker = |m: &str| knowledge::get().is_camera_maker(m);
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
    use proto::mdns::Service;

    #[test]
    fn services_go_to_the_host_their_address_names_when_it_is_a_target() {
        let sender = Ipv4Addr::new(198, 18, 0, 11);
        let at = |ip: Option<Ipv4Addr>, instance: &str| Service {
            service: "_rtsp._tcp".into(),
            instance: instance.into(),
            address: ip,
            ..Default::default()
        };
        let found = Services {
            types: vec!["_rtsp._tcp".into()],
            hosts: vec!["nvr.local".into()],
            services: vec![
                Service {
                    service: "_ipp._tcp".into(),
                    instance: "printer".into(),
                    ..Default::default()
                },
                at(None, "own"),
                at(Some(sender), "own too"),
                at(Some(Ipv4Addr::new(198, 18, 0, 12)), "a camera behind it"),
                at(Some(Ipv4Addr::new(10, 0, 0, 9)), "not a target"),
            ],
        };
        let scope = |ip: IpAddr| ip.to_string().starts_with("198.18.0.");
        let split = by_host(found, sender.into(), scope);
        assert_eq!(split.len(), 2);
        let own = &split[&IpAddr::V4(sender)];
        assert_eq!(own.hosts, ["nvr.local"]);
        assert_eq!(own.services.len(), 2);
        assert_eq!(
            own.types,
            ["_ipp._tcp", "_rtsp._tcp"],
            "not asked for: a type only"
        );
        let other = &split[&IpAddr::V4(Ipv4Addr::new(198, 18, 0, 12))];
        assert_eq!(other.services[0].instance, "a camera behind it");
        assert!(other.hosts.is_empty());
    }

    /// A service announced over HTTP on `box.local:80`.
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
            events[1..].iter().all(
                |e| matches!(e, Event::Name { name, .. } if name.kind == model::NameKind::Host)
            ),
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
        let probe = ServiceProbe {
            scope: TargetSet::default(),
            hosts: Swept::ready(&TargetSet::default().with_addresses([known])),
            ports: vec![80, 554],
            batches: Probes::new(Some(tx)),
        };
        let mut handed = HashSet::new();
        let new = Ipv4Addr::new(198, 18, 0, 12);
        probe.hand(new.into(), [8554, 80], &mut handed);
        probe.hand(
            Ipv4Addr::new(198, 18, 0, 11).into(),
            [554, 8554],
            &mut handed,
        );
        probe.hand(new.into(), [8554], &mut handed);
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[80, 554, 8554][..]));
        assert!(batch.targets.contains(IpAddr::V4(new)));
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[8554][..]));
        assert!(batch.targets.contains(known));
        assert!(rx.try_recv().is_err(), "nothing twice");
    }

    /// An answer that comes while ARP still sweeps gets only its service ports at once; whether
    /// the probes have its host is decided when the sweep is done.
    #[test]
    fn a_host_heard_during_the_sweep_is_handed_once_it_is_done() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let known: IpAddr = "198.18.0.11".parse().unwrap();
        let stranger: IpAddr = "198.18.0.12".parse().unwrap();
        let (done, hosts) = Swept::pending(&TargetSet::default().with_addresses([known, stranger]));
        let probe = ServiceProbe {
            scope: TargetSet::default(),
            hosts,
            ports: vec![80, 554],
            batches: Probes::new(Some(tx)),
        };
        let mut handed = HashSet::new();
        probe.hand(stranger, [8554], &mut handed);
        probe.hand(known, [], &mut handed);
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[8554][..]));
        assert!(
            rx.try_recv().is_err(),
            "the scan's ports wait for the sweep"
        );
        done.send(crate::discovery::scope::Hosts {
            probed: TargetSet::default().with_addresses([known]),
            alive: Vec::new(),
        });
        probe.hand(stranger, [], &mut handed);
        probe.hand(known, [], &mut handed);
        let batch = rx.try_recv().unwrap();
        assert_eq!(batch.ports.as_deref(), Some(&[80, 554][..]));
        assert!(batch.targets.contains(stranger));
        assert!(rx.try_recv().is_err(), "ARP's host is probed already");
    }
}
