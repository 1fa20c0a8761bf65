//! Address sets as camscan reads them: an inclusive interval of addresses of one family, and one
//! target as the user typed it (a CIDR, a range, an address or a host name). Pure: the scan's
//! target list ([`crate::discovery::targets`]), credential scopes and the inventory's "which
//! devices did this scan cover" all read them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::IpNetwork;

/// An inclusive interval of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddrRange {
    pub v6: bool,
    pub start: u128,
    pub end: u128,
}

impl AddrRange {
    pub fn single(ip: IpAddr) -> Self {
        let (v6, n) = to_u128(ip);
        AddrRange {
            v6,
            start: n,
            end: n,
        }
    }

    /// Addresses in the interval.
    pub fn size(&self) -> u128 {
        self.end.saturating_sub(self.start).saturating_add(1)
    }

    /// The whole interval of an IPv4 network, network and broadcast addresses included.
    pub fn ipv4_net(network: Ipv4Addr, prefix: u8) -> Self {
        let start = u32::from(network) as u128;
        let size = 1u128 << (32 - u32::from(prefix.min(32)));
        AddrRange {
            v6: false,
            start,
            end: start + size - 1,
        }
    }

    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        self.contains(&AddrRange::single(ip))
    }

    pub(crate) fn contains(&self, other: &AddrRange) -> bool {
        self.v6 == other.v6 && self.start <= other.start && other.end <= self.end
    }

    /// Every address of `other` is in this interval.
    pub fn covers(&self, other: &AddrRange) -> bool {
        self.contains(other)
    }
}

pub fn to_u128(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(v4) => (false, u32::from(v4) as u128),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

pub fn from_u128(v6: bool, n: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    }
}

/// One target as the user typed it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    Range(AddrRange),
    Host(String),
}

/// Parse `192.168.1.0/24`, `192.168.1.10-192.168.1.50`, `192.168.1.10-50`, `10.0.0.7`, `::1` or a host name.
///
/// For IPv4 prefixes of /30 or shorter the network and broadcast addresses are skipped: they are not
/// hosts, and connecting to them only produces errors.
pub fn parse_spec(spec: &str) -> Result<TargetSpec, String> {
    let s = spec.trim();
    let bad = |reason: &str| reason.to_string();
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(TargetSpec::Range(AddrRange::single(ip)));
    }
    if s.contains('/') {
        let net: IpNetwork = s
            .parse()
            .map_err(|e: ipnetwork::IpNetworkError| bad(&e.to_string()))?;
        let (v6, first) = to_u128(net.network());
        let (_, last) = to_u128(match net {
            IpNetwork::V4(n) => IpAddr::V4(n.broadcast()),
            IpNetwork::V6(n) => IpAddr::V6(n.broadcast()),
        });
        // `192.168.1.5/24` means the /24 it is in, as nmap reads it.
        let (start, end) = if !v6 && net.prefix() <= 30 {
            (first + 1, last - 1)
        } else {
            (first, last)
        };
        return Ok(TargetSpec::Range(AddrRange { v6, start, end }));
    }
    if let Some((a, b)) = s.split_once('-')
        && let Ok(start) = a.trim().parse::<IpAddr>()
    {
        let b = b.trim();
        let end = match (start, b.parse::<IpAddr>()) {
            (_, Ok(end)) => end,
            // Short form: the last octet only, `192.168.1.10-50`.
            (IpAddr::V4(v4), Err(_)) => {
                let last: u8 = b
                    .parse()
                    .map_err(|_| bad("range end must be an address or a last octet 0-255"))?;
                let o = v4.octets();
                IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], last))
            }
            (IpAddr::V6(_), Err(_)) => return Err(bad("IPv6 range end must be an address")),
        };
        let (v6a, sa) = to_u128(start);
        let (v6b, eb) = to_u128(end);
        if v6a != v6b {
            return Err(bad("range mixes IPv4 and IPv6"));
        }
        if eb < sa {
            return Err(bad("range end is before its start"));
        }
        return Ok(TargetSpec::Range(AddrRange {
            v6: v6a,
            start: sa,
            end: eb,
        }));
    }
    if is_hostname(s) {
        return Ok(TargetSpec::Host(s.to_string()));
    }
    Err(bad("not a CIDR, address range, IP address or host name"))
}

/// RFC 1123 host name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && !s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
