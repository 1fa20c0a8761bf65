//! The scan's WS-Discovery stage (`STAGE`, `start`): the Probes of [`super`] in the discovery
//! window, then each device that answered asked for its ONVIF device API
//! ([`crate::discovery::onvif_device`]) the moment its answer is read, its stale XAddrs checked,
//! its events sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::super::onvif_device::{onvif_device, onvif_event};
use super::super::scope::{About, ScanMessage, Scope, Swept};
use super::super::targets::TargetSet;
use analyze::context::ScanContext;
use analyze::identity::{ClueSource, Identities};
use model::DiscoveryMethod;
use proto::wsd::{self};
use registry::Event;

use super::discover;

pub(in crate::discovery) const STAGE: About = About {
    name: "WS-Discovery",
    serves: |m| m == DiscoveryMethod::Onvif,
    announces_channels: false,
    learn,
};

/// WS-Discovery, when the scan chose it: one task, which ends when the window has closed and the
/// device API of every device that answered has been asked.
pub(in crate::discovery) fn start<M: ScanMessage>(scope: &Scope<M>) -> Vec<JoinHandle<()>> {
    if !scope.chose(DiscoveryMethod::Onvif) {
        return Vec::new();
    }
    // Until the window closes any address may still answer, and its device API name its streams:
    // an RTSP walk that found nothing waits for that before it asks other makers' paths.
    let (now, window) = (tokio::time::Instant::now(), scope.window());
    scope.ctx.identities.onvif_window(now + window);
    if !scope.links.multicast.is_empty() {
        // The multicast rounds go out at once: when their first answers are due.
        scope
            .ctx
            .identities
            .onvif_answers(now + analyze::identity::FIRST_ANSWERS_DUE.min(window));
    }
    let mut tasks = Vec::new();
    if !scope.links.multicast.is_empty() {
        // Hellos from devices outside the attached subnets (misaddressed cameras), for the window.
        tasks.push(tokio::spawn(super::super::misaddressed::listen_hello(
            scope.links.multicast.clone(),
            super::super::misaddressed::Sight::of(scope),
            scope.window(),
            scope.events.clone(),
        )));
    }
    tasks.push(tokio::spawn(ask_and_follow(
        scope.links.multicast.clone(),
        v6_links(&scope.set),
        scope.hosts.clone(),
        scope.ctx.clone(),
        scope.window(),
        scope.events.clone(),
    )));
    tasks
}

/// The interfaces (indexes) of the scan's IPv6 link targets: the zones of its link-local
/// addresses (`fe80::22%eth0`, and the neighbours a zoned prefix `fe80::/64%eth0` stood for,
/// [`crate::discovery::targets`]). The Probe goes to `[ff02::c]:3702` on each; an answer counts when its
/// sender is a target.
pub fn v6_links(set: &TargetSet) -> Vec<u32> {
    // Neighbours next to each other merge into one range (`fe80::21-fe80::22`); a zone is only
    // learned for single addresses, so a big unzoned range is not walked (a bounded look).
    let mut out: Vec<u32> = set
        .ranges()
        .iter()
        .filter(|r| r.v6)
        .flat_map(|r| (r.start..=r.end).take(4096))
        .filter_map(|n| net::zone::zone_of(IpAddr::V6(Ipv6Addr::from(n))).map(|z| z.index))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The scopes' maker and model, and their MAC and endpoint reference, on the identity board.
fn learn(board: &Identities, ev: &Event) {
    if let Event::Onvif {
        ip,
        info,
        vendor,
        model,
        mac,
        ..
    } = ev
    {
        board.learn_keys(
            *ip,
            &model::identity::Identity {
                uuid: info
                    .endpoint
                    .as_deref()
                    .and_then(model::identity::normalize_uuid),
                ..Default::default()
            },
        );
        board.saw_media(*ip);
        board.learn_maker(
            *ip,
            ClueSource::OnvifScopes,
            vendor.as_deref(),
            model.as_deref(),
        );
        if let Some(m) = mac {
            board.learn_mac(*ip, m);
        }
    }
}

/// WS-Discovery, and the device API of every device that answered, asked the moment its answer
/// is read (one task each): a device's ONVIF facts do not wait for the discovery window to close.
/// Its multicast Probes go out at once; its unicast ones when ARP's sweep has named the hosts.
async fn ask_and_follow<M: ScanMessage>(
    ifs: Vec<Ipv4Addr>,
    v6_ifs: Vec<u32>,
    hosts: Swept,
    ctx: ScanContext,
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    let (found_tx, mut found_rx) = mpsc::unbounded_channel();
    let ask = async move {
        let n = discover(
            &ifs,
            &v6_ifs,
            hosts.alive(),
            wait,
            |ip| hosts.accepts(ip),
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
            let (tx, ctx) = (tx.clone(), ctx.clone());
            let gates = ctx.gates.clone();
            // One task each: an XAddr that must be checked (another host than the sender) costs
            // up to a connect timeout, which the other answers do not wait for. Its requests go
            // through the device's gate like the analysis's (`net::host_gate`).
            device_api.spawn(net::host_gate::scope(gates, async move {
                let ip = f.sender;
                let xaddrs: Vec<String> = f
                    .probe_match
                    .xaddrs
                    .iter()
                    .map(|x| wsd::fix_xaddr(x, ip))
                    .collect();
                let (stale, xaddr) =
                    check_xaddrs(ip, &xaddrs, ctx.settings.get(&net::CONNECT_TIMEOUT)).await;
                let zone = net::zone::zone_name(ip);
                for s in &stale {
                    tracing::warn!("WS-Discovery: {}", s.describe());
                }
                // The ONVIF profiles the scopes claim, on the capability sheet.
                let claimed = proto::onvif_caps::profiles_from_scopes(&f.probe_match.scopes);
                if tx
                    .send(onvif_event(f.sender, f.probe_match, stale, zone.as_deref()).into())
                    .await
                    .is_err()
                {
                    return;
                }
                if !claimed.is_empty() && tx.send(profiles_event(ip, claimed).into()).await.is_err()
                {
                    return;
                }
                if let Some(xaddr) = xaddr {
                    for ev in onvif_device(ip, &xaddr, &ctx).await {
                        if tx.send(ev.into()).await.is_err() {
                            return;
                        }
                    }
                }
            }));
        }
        while device_api.join_next().await.is_some() {}
    };
    // `ask` owns the answers' sender: when the window ends, `follow` takes the last answers,
    // waits for their device APIs and ends too.
    tokio::join!(ask, follow);
}

/// The ONVIF profiles (`S`, `T`...) a WS-Discovery answer's scopes claim, as capabilities; the
/// registry merges them with the services the device API lists.
fn profiles_event(ip: std::net::IpAddr, profiles: Vec<String>) -> Event {
    Event::Capabilities {
        ip,
        capabilities: Box::new(model::Capabilities {
            onvif: Some(model::capabilities::OnvifServices {
                profiles,
                services: Vec::new(),
            }),
            ..Default::default()
        }),
    }
}

/// The XAddrs of an answer from `sender` that are stale, and the device service URL to ask.
///
/// An XAddr naming another host than the sender (an IP literal: a name is not checked) is
/// connected to, under the scan's connect timeout: cameras keep announcing the address they had
/// before they were moved (a static address changed on the web page while the WS-Discovery
/// service kept its configuration, a DHCP lease renewed elsewhere). One that refuses, stays
/// silent or cannot be reached is stale; the same port at the sender's own address is then
/// tried, and used for the device API when it answers. XAddrs naming the sender are used as
/// they are (a closed port there is the device's own business, not an old address).
async fn check_xaddrs(
    sender: IpAddr,
    xaddrs: &[String],
    timeout: Duration,
) -> (Vec<model::StaleXaddr>, Option<String>) {
    use net::ConnectOutcome;
    let mut stale = Vec::new();
    let mut usable: Option<String> = None;
    let mut moved: Option<String> = None;
    for x in xaddrs.iter().filter(|x| x.starts_with("http://")).take(4) {
        let Ok(url) = url::Url::parse(x) else {
            continue;
        };
        let host: Option<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let Some(host) = host.filter(|h| *h != sender) else {
            usable.get_or_insert_with(|| x.clone());
            continue;
        };
        let reason = match net::connect(std::net::SocketAddr::new(host, port), timeout).await {
            ConnectOutcome::Open(_) => {
                usable.get_or_insert_with(|| x.clone());
                continue;
            }
            ConnectOutcome::Refused => "connection refused".to_string(),
            ConnectOutcome::Timeout => format!("no answer within {:.1} s", timeout.as_secs_f64()),
            ConnectOutcome::Unreachable(e) => format!("unreachable: {e}"),
            ConnectOutcome::Transient(e) | ConnectOutcome::Failed(e) => {
                tracing::debug!(%x, "WS-Discovery: XAddr not checked: {e}");
                usable.get_or_insert_with(|| x.clone());
                continue;
            }
        };
        let mut at_sender = url.clone();
        let answers_on = match at_sender.set_ip_host(sender) {
            Ok(()) => match net::connect(std::net::SocketAddr::new(sender, port), timeout).await {
                ConnectOutcome::Open(_) => Some(at_sender.to_string()),
                _ => None,
            },
            Err(()) => None,
        };
        if let Some(u) = &answers_on {
            moved.get_or_insert_with(|| u.clone());
        }
        stale.push(model::StaleXaddr {
            address: x.clone(),
            announced_by: sender.to_string(),
            reason,
            answers_on,
        });
    }
    (stale, usable.or(moved))
}
