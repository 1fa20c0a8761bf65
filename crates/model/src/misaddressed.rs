//! A camera on the wire but in another subnet ([`Misaddressed`]): still on its factory address
//! (Hikvision 192.168.1.64, Dahua 192.168.1.108, Axis 192.168.0.90) or a static address from
//! another site. It is heard at layer 2 (a multicast SADP or DHIP answer, a WS-Discovery `Hello`,
//! an ARP request for its old gateway) yet no unicast reaches it: it would answer through a
//! gateway that is not there. [`judge`] decides, purely, from the address the device has, the
//! mask and gateway its answer gives, and the subnets attached to the interface it was heard on;
//! it also says how to reach the device (a temporary address of ours in its subnet). No I/O here.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// The prefix assumed when the answer gives no mask (ARP, WS-Discovery): the factory networks
/// of the makers named above are all /24s.
pub const ASSUMED_PREFIX: u8 = 24;

/// A device heard on the wire whose address is outside every subnet attached to the interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Misaddressed {
    /// The address the device has (the answer's own, else the sender's).
    pub address: Ipv4Addr,
    /// Its subnet mask, dotted (`255.255.255.0`).
    pub mask: String,
    /// Its prefix length (24 for `255.255.255.0`).
    pub prefix: u8,
    /// `true` when the answer gave no usable mask and /24 was assumed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mask_assumed: bool,
    /// The gateway the device uses, when its answer says (SADP `IPv4Gateway`, DHIP
    /// `DefaultGateway`) or its ARP request asks for an address of its own subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Ipv4Addr>,
    /// The scanner's interface it was heard on.
    pub interface: String,
    /// How it was heard: `sadp`, `dhip`, `onvif` (a WS-Discovery Hello), `arp` (an ARP request).
    pub seen_by: Vec<String>,
    /// How to reach it from the scanner.
    pub reach: Reach,
    /// `--reach-misaddressed` gave the scanner a temporary address in the device's subnet and
    /// scanned it through that address.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reached: bool,
}

/// How to reach a misaddressed device without changing its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reach {
    /// Its IPv6 link-local address, when its answer gave one (reachable as `fe80::..%IFACE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_link_local: Option<String>,
    /// A free-looking address of its subnet for the scanner (not the device's, not the
    /// gateway's, not the network or broadcast address).
    pub temporary_address: Ipv4Addr,
    /// The command that gives the scanner that address (root): `ip addr add 198.19.1.253/24 dev eth0`.
    pub ip_addr_add: String,
    /// The command that takes it away again.
    pub ip_addr_del: String,
}

/// A subnet attached to the scanner's interface: its address and prefix length.
pub type Attached = (Ipv4Addr, u8);

/// The mask of a prefix length.
fn mask_of(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(
        u32::MAX
            .checked_shl(32 - u32::from(prefix.min(32)))
            .unwrap_or(0),
    )
}

/// The prefix length of a contiguous mask; `None` for holes.
fn prefix_of(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// Whether `ip` is in `net`/`prefix`.
pub fn inside(ip: Ipv4Addr, (net, prefix): Attached) -> bool {
    let m = u32::from(mask_of(prefix));
    u32::from(ip) & m == u32::from(net) & m
}

/// A device address worth judging: a unicast address a host can have.
pub fn usable(ip: Ipv4Addr) -> bool {
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_broadcast()
        || u32::from(ip) >> 24 == 0)
}

/// Judge a device heard on `interface` as having `address`: misaddressed when the address is
/// outside every subnet in `attached` (the interface's own). `mask` and `gateway` are what its
/// answer says (`None`, a mask with holes or one wider than /8 or narrower than /29: /24 is
/// assumed; a gateway outside the device's subnet is not kept). `None` when the device is in an
/// attached subnet or its address is not a host's.
pub fn judge(
    address: Ipv4Addr,
    mask: Option<Ipv4Addr>,
    gateway: Option<Ipv4Addr>,
    interface: &str,
    attached: &[Attached],
    seen_by: &str,
) -> Option<Misaddressed> {
    if !usable(address) || attached.iter().any(|a| inside(address, *a)) {
        return None;
    }
    // A /30 has no host left beside the device and its gateway: such a mask is taken as unusable.
    let given = mask.and_then(prefix_of).filter(|p| (8..=29).contains(p));
    let prefix = given.unwrap_or(ASSUMED_PREFIX);
    let subnet = (address, prefix);
    let gateway = gateway.filter(|g| usable(*g) && *g != address && inside(*g, subnet));
    let temporary = temporary_address(address, prefix, gateway);
    Some(Misaddressed {
        address,
        mask: mask_of(prefix).to_string(),
        prefix,
        mask_assumed: given.is_none(),
        gateway,
        interface: interface.to_string(),
        seen_by: vec![seen_by.to_string()],
        reach: Reach {
            ipv6_link_local: None,
            temporary_address: temporary,
            ip_addr_add: format!("ip addr add {temporary}/{prefix} dev {interface}"),
            ip_addr_del: format!("ip addr del {temporary}/{prefix} dev {interface}"),
        },
        reached: false,
    })
}

/// A free-looking host address of `address`/`prefix`: counting down from the one below the
/// highest host (`.253` in a /24: `.254` and `.1` are where gateways usually sit), skipping the
/// device's own and its gateway's; the highest host when nothing else is left (a /30).
pub fn temporary_address(address: Ipv4Addr, prefix: u8, gateway: Option<Ipv4Addr>) -> Ipv4Addr {
    let m = u32::from(mask_of(prefix));
    let network = u32::from(address) & m;
    let broadcast = network | !m;
    let taken = |c: u32| c == u32::from(address) || Some(c) == gateway.map(u32::from);
    let lowest = network.saturating_add(2);
    let mut c = broadcast.saturating_sub(2);
    while c >= lowest {
        if !taken(c) {
            return Ipv4Addr::from(c);
        }
        c -= 1;
    }
    let highest = broadcast.saturating_sub(1);
    let other = network.saturating_add(1);
    Ipv4Addr::from(if taken(highest) { other } else { highest })
}

impl Misaddressed {
    /// Merge what another sighting of the same device says: the methods that heard it, a mask
    /// or gateway it gave when this one had none.
    pub fn merge(&mut self, other: Misaddressed) {
        for s in &other.seen_by {
            if !self.seen_by.contains(s) {
                self.seen_by.push(s.clone());
            }
        }
        self.seen_by.sort();
        if self.mask_assumed && !other.mask_assumed {
            self.prefix = other.prefix;
            self.mask.clone_from(&other.mask);
            self.mask_assumed = false;
        }
        let subnet = self.subnet();
        self.gateway = self
            .gateway
            .or(other.gateway)
            .filter(|g| inside(*g, subnet));
        if self.reach.ipv6_link_local.is_none() {
            self.reach.ipv6_link_local = other.reach.ipv6_link_local;
        }
        self.reached |= other.reached;
        self.reach = self.rebuilt_reach();
    }

    /// The device's subnet.
    pub fn subnet(&self) -> Attached {
        (self.address, self.prefix)
    }

    /// The reach commands again, after the gateway changed (the temporary address must avoid it).
    fn rebuilt_reach(&self) -> Reach {
        let t = temporary_address(self.address, self.prefix, self.gateway);
        let (p, i) = (self.prefix, &self.interface);
        Reach {
            ipv6_link_local: self.reach.ipv6_link_local.clone(),
            temporary_address: t,
            ip_addr_add: format!("ip addr add {t}/{p} dev {i}"),
            ip_addr_del: format!("ip addr del {t}/{p} dev {i}"),
        }
    }

    /// One line for people: `198.19.1.64/24 (gateway 198.19.1.1), heard by sadp on eth0: reach
    /// it with `ip addr add 198.19.1.253/24 dev eth0``.
    pub fn line(&self) -> String {
        let mut s = format!("{}/{}", self.address, self.prefix);
        if self.mask_assumed {
            s.push_str(" (mask not announced, /24 assumed)");
        }
        if let Some(g) = self.gateway {
            s.push_str(&format!(" (gateway {g})"));
        }
        s.push_str(&format!(
            ", heard by {} on {}: reach it with `{}`",
            self.seen_by.join(", "),
            self.interface,
            self.reach.ip_addr_add
        ));
        if let Some(ll) = &self.reach.ipv6_link_local {
            s.push_str(&format!(" or at {ll}%{}", self.interface));
        }
        if self.reached {
            s.push_str(" (reached: scanned through that address)");
        }
        s
    }
}

/// An IPv6 address text that is link-local (`fe80::/10`), as kept in [`Reach::ipv6_link_local`].
pub fn link_local(text: &str) -> Option<String> {
    let ip: std::net::Ipv6Addr = text.trim().split('%').next()?.parse().ok()?;
    (ip.segments()[0] & 0xffc0 == 0xfe80).then(|| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    const LAB: [Attached; 1] = [(Ipv4Addr::new(198, 18, 0, 1), 24)];

    #[test]
    fn a_device_in_another_subnet_is_misaddressed_with_its_mask_and_gateway() {
        let m = judge(
            ip("198.19.1.64"),
            Some(ip("255.255.255.0")),
            Some(ip("198.19.1.1")),
            "eth0",
            &LAB,
            "sadp",
        )
        .unwrap();
        assert_eq!((m.prefix, m.mask.as_str()), (24, "255.255.255.0"));
        assert!(!m.mask_assumed);
        assert_eq!(m.gateway, Some(ip("198.19.1.1")));
        assert_eq!(m.reach.temporary_address, ip("198.19.1.253"));
        assert_eq!(m.reach.ip_addr_add, "ip addr add 198.19.1.253/24 dev eth0");
        assert_eq!(m.reach.ip_addr_del, "ip addr del 198.19.1.253/24 dev eth0");
        assert!(
            m.line().contains("198.19.1.64/24 (gateway 198.19.1.1)"),
            "{}",
            m.line()
        );
    }

    #[test]
    fn a_device_in_an_attached_subnet_is_not() {
        assert!(judge(ip("198.18.0.11"), None, None, "eth0", &LAB, "arp").is_none());
        let wide = [(ip("198.18.0.1"), 15)];
        assert!(judge(ip("198.19.1.64"), None, None, "eth0", &wide, "arp").is_none());
        for nonsense in [
            "0.0.0.0",
            "255.255.255.255",
            "239.255.255.250",
            "127.0.0.1",
            "0.1.2.3",
        ] {
            assert!(judge(ip(nonsense), None, None, "eth0", &LAB, "arp").is_none());
        }
    }

    #[test]
    fn no_mask_or_a_broken_one_assumes_24_and_drops_a_foreign_gateway() {
        for mask in [
            None,
            Some("255.0.255.0"),
            Some("255.255.255.255"),
            Some("0.0.0.0"),
        ] {
            let m = judge(
                ip("198.19.1.64"),
                mask.map(ip),
                Some(ip("198.19.2.1")),
                "br-lan",
                &LAB,
                "onvif",
            )
            .unwrap();
            assert_eq!(m.prefix, 24, "{mask:?}");
            assert!(m.mask_assumed);
            assert_eq!(m.gateway, None, "198.19.2.1 is not in 198.19.1.0/24");
            assert!(m.line().contains("/24 assumed"), "{}", m.line());
        }
        let wider = judge(
            ip("198.19.1.64"),
            Some(ip("255.255.0.0")),
            Some(ip("198.19.2.1")),
            "eth0",
            &LAB,
            "dhip",
        )
        .unwrap();
        assert_eq!((wider.prefix, wider.gateway), (16, Some(ip("198.19.2.1"))));
        assert_eq!(wider.reach.temporary_address, ip("198.19.255.253"));
    }

    #[test]
    fn the_temporary_address_avoids_the_device_and_its_gateway() {
        let t = |a: &str, p: u8, g: Option<&str>| temporary_address(ip(a), p, g.map(ip));
        assert_eq!(
            t("198.19.1.253", 24, Some("198.19.1.252")),
            ip("198.19.1.251")
        );
        assert_eq!(t("198.19.1.1", 30, None), ip("198.19.1.2"));
        assert_eq!(t("198.19.1.2", 30, Some("198.19.1.1")), ip("198.19.1.1"));
        assert_eq!(t("198.19.1.2", 30, None), ip("198.19.1.1"));
    }

    #[test]
    fn sightings_merge() {
        let arp = judge(
            ip("198.19.1.64"),
            None,
            Some(ip("198.19.1.1")),
            "eth0",
            &LAB,
            "arp",
        )
        .unwrap();
        let mut m = judge(ip("198.19.1.64"), None, None, "eth0", &LAB, "onvif").unwrap();
        m.merge(arp);
        assert_eq!(m.gateway, Some(ip("198.19.1.1")));
        let sadp = judge(
            ip("198.19.1.64"),
            Some(ip("255.255.255.128")),
            None,
            "eth0",
            &LAB,
            "sadp",
        )
        .unwrap();
        m.merge(sadp);
        assert_eq!(m.seen_by, ["arp", "onvif", "sadp"]);
        assert_eq!((m.prefix, m.mask_assumed), (25, false));
        assert_eq!(m.gateway, Some(ip("198.19.1.1")), "kept from ARP");
        assert_eq!(m.reach.ip_addr_add, "ip addr add 198.19.1.125/25 dev eth0");
    }

    #[test]
    fn link_local_addresses() {
        assert_eq!(
            link_local("fe80::4619:b6ff:fe00:11").as_deref(),
            Some("fe80::4619:b6ff:fe00:11")
        );
        assert_eq!(link_local("fe80::1%eth0").as_deref(), Some("fe80::1"));
        assert_eq!(link_local("::"), None);
        assert_eq!(link_local("2001:db8::1"), None);
        assert_eq!(link_local("garbage"), None);
    }
}
