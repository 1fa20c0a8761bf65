//! SSDP: an M-SEARCH for `ssdp:all` and `upnp:rootdevice` (MX 1) on each attached interface that
//! holds targets, then each device's description, fetched from its LOCATION with a size cap and a
//! deadline. A LOCATION whose host is not the replying device, or is outside the targets, is not
//! fetched (a hostile reply must not make camscan contact another host).
//!
//! The scan's SSDP stage (`STAGE`, `start`) yields, after the window and the descriptions, an
//! `Event::Upnp` for each device that answered (its description, and whether a camera device type
//! or a camera maker marks it as a camera), after an `Event::Failure` when its description could
//! not be fetched. The registry takes the friendlyName as a label, and the manufacturer, model and
//! serial from the least trusted source but the MAC's prefix (a UPnP description often names a
//! SoC vendor); addresses whose descriptions share a UDN (or a WS-Discovery endpoint with the same
//! UUID), or a serial, are one device. The collector puts the manufacturer and model on the
//! identity board (`learn`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::scope::{About, ScanMessage, Scope, Swept};
use analyze::identity::{ClueSource, Identities};
use model::UpnpInfo as Description;
use model::{DiscoveryMethod, Failure, Stage};
use net::http;
use proto::ssdp::{self, SsdpReply};
use registry::Event;

pub const MULTICAST: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(239, 255, 255, 250), 1900);
/// MX 1: devices spread replies over one second.
const MX: u8 = 1;
const MAX_DATAGRAM: usize = 8 * 1024;

/// One device that answered, with its description if it could be fetched.
#[derive(Debug, Clone)]
pub struct Found {
    pub sender: IpAddr,
    pub reply: SsdpReply,
    pub description: Option<Description>,
    pub error: Option<String>,
}

/// M-SEARCH on each interface address; collect one reply per (sender, LOCATION); fetch descriptions.
pub async fn discover(
    interfaces: &[Ipv4Addr],
    wait: Duration,
    connect_timeout: Duration,
    timeout: Duration,
    accept: impl Fn(IpAddr) -> bool,
) -> Vec<Found> {
    let mut sockets = Vec::new();
    for local in interfaces {
        match net::multicast_socket(*local) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(%local, "SSDP: cannot open a socket: {e}"),
        }
    }
    if sockets.is_empty() {
        return Vec::new();
    }
    for st in ["ssdp:all", "upnp:rootdevice"] {
        let m = ssdp::msearch(st, MX);
        for s in &sockets {
            let _ = s.send_to(m.as_bytes(), MULTICAST).await;
        }
    }
    let mut replies: Vec<(IpAddr, SsdpReply)> = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while let Some((n, from)) = net::recv_any(&sockets, deadline, &mut buf).await {
        if !accept(from.ip()) {
            tracing::debug!(%from, "SSDP reply from outside the targets ignored");
            continue;
        }
        let Some(r) = ssdp::parse_reply(&buf[..n]) else {
            continue;
        };
        if r.location.is_some()
            && !replies
                .iter()
                .any(|(ip, x)| *ip == from.ip() && x.location == r.location)
        {
            replies.push((from.ip(), r));
        }
        if replies.len() >= 1024 {
            break;
        }
    }
    // One description per device: prefer the root device's reply.
    replies.sort_by_key(|(ip, r)| (*ip, r.st.as_deref() != Some("upnp:rootdevice")));
    replies.dedup_by_key(|(ip, _)| *ip);
    describe_all(replies, connect_timeout, timeout).await
}

/// Descriptions fetched at the same time. One at a time, every device whose LOCATION is a tarpit
/// would add a whole step timeout to discovery.
const DESCRIPTIONS_IN_PARALLEL: usize = 16;

/// Fetch the description of each replying device, [`DESCRIPTIONS_IN_PARALLEL`] at a time, each under
/// its own deadline; in the order of `replies`.
async fn describe_all(
    replies: Vec<(IpAddr, SsdpReply)>,
    connect_timeout: Duration,
    timeout: Duration,
) -> Vec<Found> {
    use futures::StreamExt;
    futures::stream::iter(replies)
        .map(|(sender, reply)| async move {
            let (description, error) = match fetch(&reply, sender, connect_timeout, timeout).await {
                Ok(d) => (d, None),
                Err(e) => (None, Some(e)),
            };
            Found {
                sender,
                reply,
                description,
                error,
            }
        })
        .buffered(DESCRIPTIONS_IN_PARALLEL)
        .collect()
        .await
}

async fn fetch(
    reply: &SsdpReply,
    sender: IpAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<Option<Description>, String> {
    let Some(location) = reply.location.as_deref() else {
        return Ok(None);
    };
    let u = url::Url::parse(location).map_err(|e| format!("SSDP LOCATION {location}: {e}"))?;
    let host: Option<IpAddr> = u
        .host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse().ok());
    if u.scheme() != "http" || host != Some(sender) {
        return Err(format!(
            "SSDP LOCATION {location} is not http:// on the replying device; not fetched"
        ));
    }
    let addr = SocketAddr::new(sender, u.port().unwrap_or(80));
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    let host_header = format!("{}:{}", u.host_str().unwrap_or_default(), addr.port());
    let req = http::Request {
        method: "GET",
        host: &host_header,
        path: &path,
        content_type: "",
        body: "",
        authorization: None,
    };
    let r = http::send(addr, &req, connect_timeout, timeout)
        .await
        .map_err(|e| e.to_string())?;
    if r.head.status != 200 {
        return Err(format!(
            "SSDP description {location}: HTTP {}",
            r.head.status
        ));
    }
    Ok(ssdp::parse_description(&String::from_utf8_lossy(&r.body)))
}

/// The port of a reply's LOCATION when it is an `http://` URL on the replying device itself.
fn location_port(reply: &SsdpReply, sender: IpAddr) -> Option<u16> {
    let u = url::Url::parse(reply.location.as_deref()?).ok()?;
    let host: IpAddr = match u.host()? {
        url::Host::Ipv4(a) => a.into(),
        url::Host::Ipv6(a) => a.into(),
        url::Host::Domain(_) => return None,
    };
    (u.scheme() == "http" && host == sender)
        .then(|| u.port_or_known_default())
        .flatten()
}

/// The SSDP stage.
pub(super) const STAGE: About = About {
    name: "SSDP",
    serves: |m| m == DiscoveryMethod::Ssdp,
    announces_channels: false,
    learn,
};

/// SSDP, when the scan chose it and an attached interface holds targets: one task.
pub(super) fn start<M: ScanMessage>(scope: &Scope<M>) -> Vec<JoinHandle<()>> {
    if !scope.chose(DiscoveryMethod::Ssdp) || scope.links.multicast.is_empty() {
        return Vec::new();
    }
    // The description fetches go through each device's gate (`net::host_gate`).
    vec![tokio::spawn(net::host_gate::scope(
        scope.ctx.gates.clone(),
        ask_and_describe(
            scope.links.multicast.clone(),
            super::mdns::ServiceProbe::of(scope),
            scope.hosts.clone(),
            (
                scope.ctx.settings.get(&net::CONNECT_TIMEOUT),
                scope.ctx.settings.get(&net::TIMEOUT),
            ),
            scope.window(),
            scope.events.clone(),
        ),
    ))]
}

/// The description's manufacturer and model on the identity board.
fn learn(board: &Identities, ev: &Event) {
    if let Event::Upnp { ip, info, .. } = ev {
        board.learn_maker(
            *ip,
            ClueSource::Upnp,
            info.manufacturer.as_deref(),
            info.model_name.as_deref(),
        );
    }
}

/// SSDP, and the description of every device that answered.
async fn ask_and_describe<M: ScanMessage>(
    ifs: Vec<Ipv4Addr>,
    probe: super::mdns::ServiceProbe,
    hosts: Swept,
    (connect_timeout, timeout): (Duration, Duration),
    wait: Duration,
    tx: mpsc::Sender<M>,
) {
    let found = discover(&ifs, wait, connect_timeout, timeout, |ip| hosts.accepts(ip)).await;
    tracing::info!(devices = found.len(), "SSDP finished");
    // The web server a device's LOCATION names (GUPnP's on an ephemeral port, a camera's on 49152)
    // is one of its services: its port is probed and analysed like the scan's own ports.
    let mut handed = std::collections::HashSet::new();
    for f in &found {
        if let Some(port) = location_port(&f.reply, f.sender) {
            probe.hand(f.sender, [port], &mut handed);
        }
    }
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
        let is_camera = ssdp::is_camera(&info, |m| knowledge::get().is_camera_maker(m));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// GUPnP's LOCATION (`http://198.18.0.11:48254/...`): its port is the device's web server's;
    /// one on another host, or not HTTP, names none.
    #[test]
    fn the_location_names_the_device_web_port() {
        let reply = |l: &str| SsdpReply {
            location: Some(l.into()),
            server: None,
            usn: None,
            st: None,
        };
        let me: IpAddr = "198.18.0.11".parse().unwrap();
        let port = |l: &str| location_port(&reply(l), me);
        assert_eq!(
            port("http://198.18.0.11:48254/Upnp-BasicDevice-1_0-00408CA45086.xml"),
            Some(48254)
        );
        assert_eq!(port("http://198.18.0.11/description.xml"), Some(80));
        assert_eq!(port("http://198.18.0.12:49152/d.xml"), None);
        assert_eq!(port("https://198.18.0.11:443/d.xml"), None);
        assert_eq!(port("http://camera.local:80/d.xml"), None);
        assert_eq!(port("not a url"), None);
    }

    /// Two devices whose LOCATION is a tarpit (accepts, never answers) cost one step timeout
    /// together, not one each; a LOCATION on another host is not contacted.
    #[tokio::test(start_paused = true)]
    async fn tarpit_descriptions_cost_one_timeout_together() {
        let mut replies = Vec::new();
        let mut held = Vec::new();
        for ip in ["127.0.0.93", "127.0.0.94"] {
            let l = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
            let location = format!("http://{}/description.xml", l.local_addr().unwrap());
            held.push(l); // connections queue in the backlog and are never answered
            let reply = SsdpReply {
                location: Some(location),
                server: None,
                usn: None,
                st: Some("upnp:rootdevice".into()),
            };
            replies.push((ip.parse().unwrap(), reply));
        }
        let away = SsdpReply {
            location: Some("http://127.0.0.99:9/description.xml".into()),
            server: None,
            usn: None,
            st: None,
        };
        replies.push(("127.0.0.95".parse().unwrap(), away));
        let t = Duration::from_secs(3);
        let started = tokio::time::Instant::now();
        let found = describe_all(replies, Duration::from_secs(1), t).await;
        assert!(started.elapsed() < t * 2, "{:?}", started.elapsed());
        assert_eq!(found.len(), 3);
        for f in &found[..2] {
            let e = f.error.as_deref().unwrap();
            assert!(e.contains("no complete answer within 3s"), "{e}");
        }
        assert!(found[2].error.as_deref().unwrap().contains("not fetched"));
    }
}
