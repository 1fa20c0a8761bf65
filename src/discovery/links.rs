//! The attached networks as the discovery methods use them ([`Links`]), found once per scan from
//! the host's interfaces and the targets: where ARP can tell who is alive, which interfaces the
//! multicast and broadcast queries go out on.

use std::net::Ipv4Addr;

use super::targets::{self, TargetSet};
use net::interfaces::LocalNet;

/// One attached network to sweep with raw ARP.
#[derive(Debug, Clone)]
pub struct Link {
    pub interface: String,
    pub ip: Ipv4Addr,
    pub mac: [u8; 6],
}

/// An interface address and its subnet's broadcast address.
#[derive(Debug, Clone, Copy)]
pub struct Interface {
    pub local: Ipv4Addr,
    pub broadcast: Ipv4Addr,
}

/// The attached networks as discovery sees them.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// Attached networks where ARP can tell who is alive (not loopback: lo has no ARP).
    pub on_link: Vec<targets::AddrRange>,
    /// The interface of each `on_link` network, in the same order (raw ARP).
    pub arp: Vec<Link>,
    /// Interface addresses for multicast discovery: those whose network holds targets.
    pub multicast: Vec<Ipv4Addr>,
    /// The same interfaces with their subnet broadcast addresses (SADP, DHIP).
    pub vendor: Vec<Interface>,
    /// Every attached subnet (not loopback, with a MAC), each with its interface's name: a device
    /// heard outside all of its interface's is misaddressed ([`model::misaddressed`]).
    pub subnets: Vec<Subnet>,
    /// The targets on an attached network (`on_link`): ARP's sweep asks them, and only those
    /// that answer are probed.
    pub attached: TargetSet,
    /// The targets on no attached network (loopback and routed): probed beside the sweep.
    pub off_link: TargetSet,
    /// The routed part of `off_link` (not loopback): host discovery asks it first
    /// ([`super::hosts`]).
    pub routed: TargetSet,
}

/// One address of an attached interface and its prefix length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub interface: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// Whether its network holds targets of the scan.
    pub targets: bool,
}

impl Subnet {
    /// Its network's first address.
    fn network(&self) -> Ipv4Addr {
        let host_bits = u32::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
        Ipv4Addr::from(u32::from(self.ip) & !host_bits)
    }

    /// Its network as a range of addresses.
    pub fn range(&self) -> targets::AddrRange {
        targets::AddrRange::ipv4_net(self.network(), self.prefix)
    }

    /// `198.18.0.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network(), self.prefix)
    }
}

impl Links {
    /// The attached networks among `locals` (not loopback, with a MAC) as each method uses them
    /// for the targets `set`.
    pub fn of(locals: &[LocalNet], set: &TargetSet) -> Self {
        let attached: Vec<&LocalNet> = locals
            .iter()
            .filter(|n| !n.loopback && n.mac.is_some())
            .collect();
        let on_link: Vec<targets::AddrRange> = attached
            .iter()
            .map(|n| targets::AddrRange::ipv4_net(n.network(), n.prefix))
            .collect();
        let holds_targets: Vec<bool> = on_link
            .iter()
            .map(|net| !set.split(std::slice::from_ref(net)).0.is_empty())
            .collect();
        let vendor: Vec<Interface> = attached
            .iter()
            .zip(&holds_targets)
            .filter(|(_, holds)| **holds)
            .map(|(n, _)| Interface {
                local: n.ip,
                broadcast: broadcast(n.ip, n.prefix),
            })
            .collect();
        let multicast = vendor.iter().map(|i| i.local).collect();
        let arp = attached
            .iter()
            .filter_map(|n| {
                Some(Link {
                    interface: n.interface.clone(),
                    ip: n.ip,
                    mac: proto::arp::parse_mac(n.mac.as_deref()?)?,
                })
            })
            .collect();
        let subnets = attached
            .iter()
            .zip(&holds_targets)
            .map(|(n, holds)| Subnet {
                interface: n.interface.clone(),
                ip: n.ip,
                prefix: n.prefix,
                targets: *holds,
            })
            .collect();
        let (attached, off_link) = set.split(&on_link);
        let routed = split_routed(&off_link).1;
        Links {
            on_link,
            arp,
            multicast,
            vendor,
            subnets,
            attached,
            off_link,
            routed,
        }
    }
}

/// Loopback, IPv4 and IPv6: never routed.
fn loopback() -> [targets::AddrRange; 2] {
    [
        targets::AddrRange::ipv4_net(Ipv4Addr::new(127, 0, 0, 0), 8),
        targets::AddrRange::single(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
    ]
}

/// `off_link` (targets on no attached network) split into its loopback part and its routed one.
pub fn split_routed(off_link: &TargetSet) -> (TargetSet, TargetSet) {
    off_link.split(&loopback())
}

/// The broadcast address of `ip`'s /`prefix` network.
pub fn broadcast(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(u32::from(ip) | host_bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_addresses() {
        let ip = Ipv4Addr::new(198, 18, 0, 1);
        assert_eq!(broadcast(ip, 24), Ipv4Addr::new(198, 18, 0, 255));
        assert_eq!(broadcast(ip, 15), Ipv4Addr::new(198, 19, 255, 255));
        assert_eq!(broadcast(ip, 32), ip);
        assert_eq!(broadcast(ip, 0), Ipv4Addr::BROADCAST);
    }
}
