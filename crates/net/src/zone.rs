//! IPv6 zones: which interface a link-local address is reached through.
//!
//! A link-local address (`fe80::/10`) means nothing without its zone (RFC 4007 §6, §11: the textual
//! form is `fe80::1%eth0`): the same address may exist on every link, so a socket address needs the
//! interface's index as its scope id (`sin6_scope_id`, ipv6(7)) or the kernel refuses to connect
//! (EINVAL). camscan learns a zone three ways and keeps it here, for the whole process, by address:
//! from a target the user typed (`fe80::1%eth0`), from the interface a neighbour answered on
//! ([`crate::ndp`]), and from the scope id of a packet that arrived (WS-Discovery over IPv6).
//! [`crate::connect`] puts it back on every connect, whichever analyser built the address, and
//! the URL builders print it ([`authority`]).
//!
//! One zone per address: were the same link-local address found on two interfaces in one run, the
//! last one learned wins (a scan sweeps one link at a time in practice; the case is logged).

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Mutex;

use model::addr::{needs_zone, url_host};

/// A zone: the interface's index (the scope id) and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub index: u32,
    pub name: String,
}

static ZONES: Mutex<BTreeMap<Ipv6Addr, Zone>> = Mutex::new(BTreeMap::new());

fn zones() -> std::sync::MutexGuard<'static, BTreeMap<Ipv6Addr, Zone>> {
    ZONES.lock().unwrap_or_else(|e| e.into_inner())
}

/// The index of interface `name` (`/sys/class/net/NAME/ifindex`, what if_nametoindex(3) answers,
/// read without a libc call: the crate keeps its one `unsafe` module for packet sockets); a
/// numeric zone (`fe80::1%2`, RFC 4007 §11.2) is taken as the index itself when such an interface
/// exists.
pub fn index_of(name: &str) -> io::Result<u32> {
    let not_found = || {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no network interface named {name:?}"),
        )
    };
    if let Ok(n) = name.parse::<u32>() {
        return name_of(n).map(|_| n).ok_or_else(not_found);
    }
    if name.is_empty() || name.contains(['/', '\0']) || name == "." || name == ".." {
        return Err(not_found());
    }
    std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(not_found)
}

/// The name of interface `index` (as if_indextoname(3), from `/sys/class/net/*/ifindex`).
pub fn name_of(index: u32) -> Option<String> {
    std::fs::read_dir("/sys/class/net")
        .ok()?
        .flatten()
        .find(|e| {
            std::fs::read_to_string(e.path().join("ifindex"))
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                == Some(index)
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
}

/// Remember that `ip` is reached through interface `name`; its index, or why the name is no
/// interface. Addresses that need no zone are not kept.
pub fn remember(ip: Ipv6Addr, name: &str) -> io::Result<u32> {
    let index = index_of(name)?;
    let name = name_of(index).unwrap_or_else(|| name.to_string());
    keep(ip, Zone { index, name });
    Ok(index)
}

/// Remember the zone of a packet's source address (its scope id), when it needs one.
pub fn remember_from(from: SocketAddr) {
    if let SocketAddr::V6(a) = from
        && a.scope_id() != 0
        && let Some(name) = name_of(a.scope_id())
    {
        keep(
            *a.ip(),
            Zone {
                index: a.scope_id(),
                name,
            },
        );
    }
}

fn keep(ip: Ipv6Addr, zone: Zone) {
    if !needs_zone(ip) {
        return;
    }
    if let Some(old) = zones().insert(ip, zone.clone())
        && old != zone
    {
        tracing::info!(
            "{ip} is on interface {} as well as {}: using {}",
            zone.name,
            old.name,
            zone.name
        );
    }
}

/// The zone learned for `ip`, if it needs one and one was learned.
pub fn zone_of(ip: IpAddr) -> Option<Zone> {
    match ip {
        IpAddr::V6(v6) if needs_zone(v6) => zones().get(&v6).cloned(),
        _ => None,
    }
}

/// The name of `ip`'s zone (`eth0`), if learned.
pub fn zone_name(ip: IpAddr) -> Option<String> {
    zone_of(ip).map(|z| z.name)
}

/// `addr` with its scope id set from the learned zone (an address that carries one, or needs
/// none, is returned as it is).
pub fn scoped(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(a) if a.scope_id() == 0 => match zone_of(IpAddr::V6(*a.ip())) {
            Some(z) => SocketAddr::V6(SocketAddrV6::new(*a.ip(), a.port(), a.flowinfo(), z.index)),
            None => addr,
        },
        _ => addr,
    }
}

/// The host of a URL for `ip`: `198.18.0.1`, `[fd00::1]`, or with the learned zone in the RFC 6874
/// form `[fe80::1%25eth0]` ([`url_host`]).
pub fn host(ip: IpAddr) -> String {
    url_host(ip, zone_name(ip).as_deref())
}

/// The `host:port` of a URL for `addr`, the zone included as [`host`] prints it (the scope id the
/// address carries, else the learned zone).
pub fn authority(addr: SocketAddr) -> String {
    let zone = match addr {
        SocketAddr::V6(a) if a.scope_id() != 0 && needs_zone(*a.ip()) => name_of(a.scope_id()),
        _ => zone_name(addr.ip()),
    };
    format!("{}:{}", url_host(addr.ip(), zone.as_deref()), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_zone_round_trip() {
        let lo = index_of("lo").unwrap();
        assert_eq!(name_of(lo).as_deref(), Some("lo"));
        assert_eq!(index_of(&lo.to_string()).unwrap(), lo);
        assert!(index_of("no-such-if0").is_err());
        let ip: Ipv6Addr = "fe80::7:1".parse().unwrap();
        assert_eq!(remember(ip, "lo").unwrap(), lo);
        let a = scoped(SocketAddr::new(IpAddr::V6(ip), 554));
        assert!(matches!(a, SocketAddr::V6(v) if v.scope_id() == lo));
        assert_eq!(authority(a), "[fe80::7:1%25lo]:554");
        assert_eq!(host(IpAddr::V6(ip)), "[fe80::7:1%25lo]");
        // A global address keeps no zone.
        let g: Ipv6Addr = "fd00::7".parse().unwrap();
        assert!(remember(g, "lo").is_ok());
        assert_eq!(zone_name(IpAddr::V6(g)), None);
        assert_eq!(host(IpAddr::V6(g)), "[fd00::7]");
    }
}
