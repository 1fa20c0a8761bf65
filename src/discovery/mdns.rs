//! mDNS / DNS-SD (RFC 6762, RFC 6763): one query to 224.0.0.251:5353 on each attached interface that
//! holds targets, asking for the service types cameras and NVRs announce
//! ([`crate::proto::mdns::SERVICE_TYPES`]), then every answer read for the discovery window.
//!
//! The query is a one-shot query from an ephemeral port (RFC 6762 §5.1), which responders answer
//! unicast to that port (§6.7; measured in the lab: Avahi 0.8 answers within a millisecond, with
//! the SRV, TXT and A records beside the PTRs). Responders that multicast their answers anyway are
//! heard on the group too (a listener on 5353 that shares the port with a host's own responder:
//! SO_REUSEADDR). Only answers from scan targets are kept; a service whose A record names another
//! address (a responder speaking for another host) is that address's, and dropped when that address
//! is not a target. Parsing is [`crate::proto::mdns`], a pure function.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::proto::mdns::{self, GROUP, PORT, Services};

/// Largest datagram read: RFC 6762 §17 allows mDNS messages up to 9000 bytes.
const MAX_DATAGRAM: usize = 9000;

/// Answers kept per scan: a LAN whose every host answers many times is not worth more memory.
const MAX_ANSWERS: usize = 65_536;

/// Send the query on each interface address in `interfaces` and call `on_answer(host, services)`
/// for what each answer says about a host that `accept` takes, for `wait`.
pub async fn discover(
    interfaces: &[Ipv4Addr],
    wait: Duration,
    accept: impl Fn(IpAddr) -> bool,
    mut on_answer: impl FnMut(Ipv4Addr, Services),
) {
    let mut sockets: Vec<UdpSocket> = Vec::new();
    for local in interfaces {
        match crate::net::multicast_socket(*local) {
            Ok(s) => sockets.push(s),
            Err(e) => tracing::warn!(%local, "mDNS: cannot open a socket: {e}"),
        }
    }
    if sockets.is_empty() {
        return;
    }
    let senders = sockets.len();
    match crate::net::reply_listener(Some(GROUP), PORT, interfaces) {
        Ok(s) => sockets.push(s),
        // Without it we still hear every responder that answers a one-shot query as RFC 6762 asks.
        Err(e) => tracing::debug!("mDNS: cannot listen on the group: {e}"),
    }
    let query = mdns::query(crate::net::random_u64() as u16, mdns::SERVICE_TYPES);
    for s in sockets.iter().take(senders) {
        if let Err(e) = s.send_to(&query, (GROUP, PORT)).await {
            tracing::debug!("mDNS: send failed: {e}");
        }
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut answers = 0usize;
    while let Some((n, from)) = crate::net::recv_any(&sockets, deadline, &mut buf).await {
        let IpAddr::V4(sender) = from.ip() else {
            continue;
        };
        if interfaces.contains(&sender) {
            continue; // our own query, looped back
        }
        if !accept(from.ip()) {
            tracing::debug!(%from, "mDNS answer from outside the targets ignored");
            continue;
        }
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
    sender: Ipv4Addr,
    accept: impl Fn(IpAddr) -> bool,
) -> BTreeMap<Ipv4Addr, Services> {
    let mut out: BTreeMap<Ipv4Addr, Services> = BTreeMap::new();
    let mut own = Services {
        types: found.types,
        hosts: found.hosts,
        services: Vec::new(),
    };
    let mut others: Vec<(Ipv4Addr, mdns::Service)> = Vec::new();
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
        let host = s.address.unwrap_or(sender);
        if host == sender {
            own.services.push(s);
        } else if accept(IpAddr::V4(host)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mdns::Service;

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
        let split = by_host(found, sender, scope);
        assert_eq!(split.len(), 2);
        let own = &split[&sender];
        assert_eq!(own.hosts, ["nvr.local"]);
        assert_eq!(own.services.len(), 2);
        assert_eq!(
            own.types,
            ["_ipp._tcp", "_rtsp._tcp"],
            "not asked for: a type only"
        );
        let other = &split[&Ipv4Addr::new(198, 18, 0, 12)];
        assert_eq!(other.services[0].instance, "a camera behind it");
        assert!(other.hosts.is_empty());
    }
}
