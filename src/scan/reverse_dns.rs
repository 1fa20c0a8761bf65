//! Names: the reverse DNS name of every address the scan finds. The collector hands this stage each
//! address the first time an event names it (until discovery is done: later events only concern
//! addresses already known); each lookup goes through the run's [`Resolver`] (one lookup per
//! address, cached, with a deadline) and its answer comes back as an [`Event::Name`], followed by
//! [`Msg::Analysed`] so the device is not final before its name is known.

use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::Msg;
use model::{DeviceName, NameKind};
use net::rdns::Resolver;
use registry::Event;

/// Whether a reverse lookup of `ip` can name anything: not for an IPv6 link-local address
/// (`fe80::/10`: its `ip6.arpa` name exists on no DNS server, RFC 4291 §2.5.6, and asking only
/// tells the resolver which hosts share our link).
fn named_in_dns(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        IpAddr::V4(_) => true,
    }
}

/// Look up every address that arrives on `ips` until it closes, then wait for the last answers.
pub async fn name_hosts(
    resolver: Arc<Resolver>,
    mut ips: mpsc::UnboundedReceiver<IpAddr>,
    tx: mpsc::Sender<Msg>,
) {
    let mut lookups = JoinSet::new();
    loop {
        tokio::select! {
            ip = ips.recv() => match ip {
                Some(ip) => {
                    let (resolver, tx) = (resolver.clone(), tx.clone());
                    lookups.spawn(async move {
                        if !named_in_dns(ip) {
                            let _ = tx.send(Msg::Analysed(ip, None)).await;
                            return;
                        }
                        if let Some(name) = resolver.name(ip).await.name() {
                            let name = DeviceName {
                                name: name.to_string(),
                                kind: NameKind::Host,
                                source: "dns".into(),
                            };
                            let _ = tx.send(Msg::Event(Event::Name { ip, name })).await;
                        }
                        let _ = tx.send(Msg::Analysed(ip, None)).await;
                    });
                }
                None => break,
            },
            Some(_) = lookups.join_next(), if !lookups.is_empty() => {}
        }
    }
    while lookups.join_next().await.is_some() {}
    tracing::debug!(lookups = resolver.lookups(), "reverse DNS finished");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_addresses_are_not_looked_up() {
        for (ip, asked) in [
            ("198.18.0.11", true),
            ("fd00:cafe::21", true),
            ("2001:db8::1", true),
            ("fe80::4619:b6ff:fe00:11", false),
            ("febf::1", false),
        ] {
            assert_eq!(named_in_dns(ip.parse().unwrap()), asked, "{ip}");
        }
    }
}
