//! Address sets as camscan reads them: an inclusive interval of addresses of one family, and one
//! target as the user typed it (a CIDR, a range, an address or a host name). Pure: the scan's
//! target list (`camscan::discovery::targets`), credential scopes and the inventory's "which
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

    /// Whether every address of `other` is in this range (one family: a v4 range holds no v6).
    pub fn contains(&self, other: &AddrRange) -> bool {
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

/// An IPv6 address that means nothing without its zone (RFC 4007 §6): unicast link-local
/// (`fe80::/10`, RFC 4291 §2.5.6) or link-local multicast (`ff02::/16`, RFC 4291 §2.7).
pub fn needs_zone(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    s[0] & 0xffc0 == 0xfe80 || s[0] == 0xff02
}

/// The host of a URL for `ip`: `198.18.0.1`, an IPv6 address in brackets (RFC 3986 §3.2.2,
/// `[fd00::1]`), and a zone in the RFC 6874 §2 form, its `%` escaped as `%25`
/// (`[fe80::1%25eth0]`); a zone character outside RFC 3986's unreserved set is percent-encoded.
pub fn url_host(ip: IpAddr, zone: Option<&str>) -> String {
    match (ip, zone) {
        (IpAddr::V4(v4), _) => v4.to_string(),
        (IpAddr::V6(v6), Some(z)) if needs_zone(v6) && !z.is_empty() => {
            let mut out = format!("[{v6}%25");
            for b in z.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out.push(']');
            out
        }
        (IpAddr::V6(v6), _) => format!("[{v6}]"),
    }
}

/// A target's zone, split off: `fe80::1%eth0` is `fe80::1` on interface `eth0` (RFC 4007 §11.2),
/// `fe80::/64%eth0` the prefix on that interface. The zone must be a plain interface name or
/// index (no `/`, `%`, blanks) and only follows an IPv6 address or prefix.
pub fn split_zone(spec: &str) -> Result<(&str, Option<&str>), String> {
    let s = spec.trim();
    let Some((addr, zone)) = s.split_once('%') else {
        return Ok((s, None));
    };
    if zone.is_empty()
        || zone.len() > 15
        || zone
            .chars()
            .any(|c| c == '/' || c == '%' || c.is_whitespace() || c.is_control())
    {
        return Err("a zone is an interface name, as in fe80::1%eth0".into());
    }
    let ip = addr.split_once('/').map_or(addr, |(a, _)| a);
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => Ok((addr, Some(zone))),
        _ => Err("a zone (%eth0) only follows an IPv6 address or prefix".into()),
    }
}

/// Parse `192.168.1.0/24`, `192.168.1.10-192.168.1.50`, `192.168.1.10-50`, `10.0.0.7`, `::1` or a host name;
/// an IPv6 address or prefix may carry a zone (`fe80::1%eth0`, `fe80::/64%eth0`: [`split_zone`]),
/// which is checked here and left for the caller to resolve.
///
/// For IPv4 prefixes of /30 or shorter the network and broadcast addresses are skipped: they are not
/// hosts, and connecting to them only produces errors.
pub fn parse_spec(spec: &str) -> Result<TargetSpec, String> {
    let (s, zone) = split_zone(spec)?;
    let bad = |reason: &str| reason.to_string();
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if zone.is_some() && s.contains('-') {
        return Err(bad(
            "a zone goes with one IPv6 address or prefix, not a range",
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        let v4: IpAddr = "198.18.0.21".parse().unwrap();
        let ula: IpAddr = "fd00:cafe::21".parse().unwrap();
        let ll: IpAddr = "fe80::21".parse().unwrap();
        assert_eq!(url_host(v4, Some("eth0")), "198.18.0.21");
        assert_eq!(url_host(ula, Some("eth0")), "[fd00:cafe::21]");
        assert_eq!(url_host(ll, None), "[fe80::21]");
        assert_eq!(url_host(ll, Some("eth0")), "[fe80::21%25eth0]");
        assert_eq!(url_host(ll, Some("br-lan.5")), "[fe80::21%25br-lan.5]");
        assert_eq!(url_host(ll, Some("wl@0")), "[fe80::21%25wl%400]");
        assert!(needs_zone("fe80::1".parse().unwrap()));
        assert!(needs_zone("febf::1".parse().unwrap()));
        assert!(needs_zone("ff02::c".parse().unwrap()));
        assert!(!needs_zone("fec0::1".parse().unwrap()));
        assert!(!needs_zone("fd00::1".parse().unwrap()));
        assert!(!needs_zone("::1".parse().unwrap()));
    }
}
