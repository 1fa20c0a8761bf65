//! Target specifications: parsing, exclusion, scope checks and lazy iteration.
//!
//! A scan of a /16 must not build a 65 536-element list (RustScan's mistake): targets are kept as merged
//! address intervals and walked lazily, so memory is proportional to the number of specs, not addresses.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use error::Error;
use input::setting::Repeat;

/// Most addresses scanned without `--allow-large`: a /16.
pub const LARGE_LIMIT: u128 = 1 << 16;

/// `--exclude`: targets left out of a scan, in the targets' own spellings (each parsed with
/// them when the plan builds the target set, [`build`]).
pub static EXCLUDE: input::setting::Setting<Vec<String>> = input::setting::Setting {
    key: "exclude",
    flag: "--exclude",
    short: None,
    repeat: Repeat::Commas,
    env: "CAMSCAN_EXCLUDE",
    value_name: "TARGETS",
    help: "Skip these targets (same syntax as targets, comma-separated)",
    default: Vec::new(),
    choices: None,
    parse: target_list,
};

/// The config file's `targets:` (a list, or one comma-separated text): the targets when the
/// command line gives none (its positional targets are not a setting). No flag, no variable: the
/// file's only ([`crate::cmds::scan::FILE_KEYS`]).
pub static TARGETS: input::setting::Setting<Vec<String>> = input::setting::Setting {
    key: "targets",
    flag: "",
    short: None,
    repeat: Repeat::Commas,
    env: "",
    value_name: "TARGET",
    help: "What to scan when the command line names nothing: addresses, CIDRs, ranges or host \
           names [default: the attached subnets]",
    default: Vec::new(),
    choices: None,
    parse: target_list,
};

/// Targets as `--exclude` and the file's `targets:` give them: comma-separated, each trimmed,
/// empty pieces left out.
fn target_list(text: &str) -> Result<Vec<String>, String> {
    Ok(text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect())
}

/// `--targets-file`: more targets, read from a file (config `targets_file:`).
pub static TARGETS_FILE: input::setting::Setting<Option<std::path::PathBuf>> =
    input::setting::Setting {
        key: "targets_file",
        flag: "--targets-file",
        short: None,
        repeat: Repeat::Once,
        env: "CAMSCAN_TARGETS_FILE",
        value_name: "FILE",
        help: "Read more targets from FILE, one per line; `#` starts a comment",
        default: None,
        choices: None,
        parse: input::setting::path,
    };

/// `--allow-large`: past the size checks of a scan's plan ([`LARGE_LIMIT`], an
/// attached subnet larger than a /22).
pub static ALLOW_LARGE: input::setting::Setting<bool> = input::setting::Setting {
    key: "allow_large",
    flag: "--allow-large",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_ALLOW_LARGE",
    value_name: input::setting::SWITCH,
    help: "Allow scanning more than 65 536 addresses (a /16), or an attached subnet larger than a /22",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

/// `--allow-public`: past the plan's check for public addresses
/// ([`TargetSet::first_public`]).
pub static ALLOW_PUBLIC: input::setting::Setting<bool> = input::setting::Setting {
    key: "allow_public",
    flag: "--allow-public",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_ALLOW_PUBLIC",
    value_name: input::setting::SWITCH,
    help: "Allow scanning publicly routable addresses",
    default: false,
    choices: None,
    parse: input::setting::switch,
};

pub use model::addr::{AddrRange, TargetSpec};
use model::addr::{from_u128, to_u128};

/// Parse `192.168.1.0/24`, `192.168.1.10-192.168.1.50`, `192.168.1.10-50`, `10.0.0.7`, `::1` or a
/// host name ([`model::addr::parse_spec`]), its reason as the error the CLI prints.
pub fn parse_spec(spec: &str) -> Result<TargetSpec, Error> {
    model::addr::parse_spec(spec).map_err(|reason| Error::InvalidTarget {
        spec: spec.to_string(),
        reason,
    })
}

/// Read a targets file: one spec per line, `#` starts a comment, blank lines ignored.
pub fn parse_targets_file(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .flat_map(|l| l.split([',', ' ', '\t']).filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect()
}

/// Merge overlapping or adjacent intervals of the same family; result sorted.
fn merge(mut ranges: Vec<AddrRange>) -> Vec<AddrRange> {
    ranges.sort();
    let mut out: Vec<AddrRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.v6 == r.v6 && r.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

/// Subtract sorted, merged `exclude` intervals from sorted, merged `ranges`.
fn subtract(ranges: Vec<AddrRange>, exclude: &[AddrRange]) -> Vec<AddrRange> {
    let mut out = Vec::new();
    for r in ranges {
        let mut cur = Some(r);
        for x in exclude.iter().filter(|x| x.v6 == r.v6) {
            let Some(c) = cur else { break };
            if x.end < c.start || x.start > c.end {
                continue;
            }
            if x.start > c.start {
                out.push(AddrRange {
                    end: x.start - 1,
                    ..c
                });
            }
            cur = (x.end < c.end).then(|| AddrRange {
                start: x.end + 1,
                ..c
            });
        }
        if let Some(c) = cur {
            out.push(c);
        }
    }
    out
}

/// The resolved, merged set of addresses to scan.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    ranges: Vec<AddrRange>,
    /// Host names the user typed, by the address they resolved to.
    hostnames: BTreeMap<IpAddr, String>,
}

impl TargetSet {
    /// Build from parsed specs (host names already resolved into `resolved`) minus exclusions.
    pub fn new(
        ranges: Vec<AddrRange>,
        exclude: Vec<AddrRange>,
        hostnames: BTreeMap<IpAddr, String>,
    ) -> Self {
        let exclude = merge(exclude);
        TargetSet {
            ranges: subtract(merge(ranges), &exclude),
            hostnames,
        }
    }

    /// Number of addresses to scan.
    pub fn len(&self) -> u128 {
        self.ranges
            .iter()
            .fold(0u128, |acc, r| acc.saturating_add(r.size()))
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The merged ranges, in order (what the scan plan reports).
    pub fn ranges(&self) -> &[AddrRange] {
        &self.ranges
    }

    /// Split into the addresses inside `nets` and those outside, keeping host names.
    pub fn split(&self, nets: &[AddrRange]) -> (TargetSet, TargetSet) {
        let nets = merge(nets.to_vec());
        let outside = subtract(self.ranges.clone(), &nets);
        let inside = subtract(self.ranges.clone(), &outside);
        let named = |ranges: Vec<AddrRange>| TargetSet {
            ranges,
            hostnames: self.hostnames.clone(),
        };
        (named(inside), named(outside))
    }

    /// These targets plus single addresses.
    pub fn with_addresses(&self, extra: impl IntoIterator<Item = IpAddr>) -> TargetSet {
        let mut ranges = self.ranges.clone();
        ranges.extend(extra.into_iter().map(AddrRange::single));
        TargetSet::new(ranges, Vec::new(), self.hostnames.clone())
    }

    /// Is `ip` one of the targets?
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (v6, n) = to_u128(ip);
        let i = self.ranges.partition_point(|r| (r.v6, r.end) < (v6, n));
        self.ranges
            .get(i)
            .is_some_and(|r| r.v6 == v6 && r.start <= n && n <= r.end)
    }

    /// Host names the user typed, by the address each resolved to.
    pub fn hostnames(&self) -> &BTreeMap<IpAddr, String> {
        &self.hostnames
    }

    pub fn hostname(&self, ip: &IpAddr) -> Option<&str> {
        self.hostnames.get(ip).map(String::as_str)
    }

    /// Every address, in order, lazily.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + Clone + '_ {
        self.ranges
            .iter()
            .flat_map(|r| (r.start..=r.end).map(move |n| from_u128(r.v6, n)))
    }

    /// The first range that reaches outside the non-public address space, if any.
    pub fn first_public(&self) -> Option<IpAddr> {
        self.ranges
            .iter()
            .find(|r| !NON_PUBLIC.iter().any(|np| np.contains(r)))
            .map(|r| {
                // Name an address that really is public, for the error message.
                self.iter_range(r)
                    .find(|ip| {
                        !NON_PUBLIC
                            .iter()
                            .any(|np| np.contains(&AddrRange::single(*ip)))
                    })
                    .unwrap_or_else(|| from_u128(r.v6, r.start))
            })
    }

    fn iter_range<'a>(&self, r: &'a AddrRange) -> impl Iterator<Item = IpAddr> + 'a {
        (r.start..=r.end)
            .take(1 << 16)
            .map(move |n| from_u128(r.v6, n))
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u32) -> AddrRange {
    let start = u32::from_be_bytes([a, b, c, d]) as u128;
    let size = 1u128 << (32 - prefix);
    AddrRange {
        v6: false,
        start,
        end: start + size - 1,
    }
}

const fn v6(top: u128, prefix: u32) -> AddrRange {
    let size = 1u128 << (128 - prefix);
    AddrRange {
        v6: true,
        start: top,
        end: top + (size - 1),
    }
}

/// Address space that is not globally routable and needs no `--allow-public`: RFC 1918 private, loopback,
/// link-local, shared CGN space (RFC 6598), benchmarking (RFC 2544, the lab range), and for IPv6 loopback,
/// link-local and unique-local.
const NON_PUBLIC: [AddrRange; 10] = [
    v4(10, 0, 0, 0, 8),
    v4(172, 16, 0, 0, 12),
    v4(192, 168, 0, 0, 16),
    v4(127, 0, 0, 0, 8),
    v4(169, 254, 0, 0, 16),
    v4(100, 64, 0, 0, 10),
    v4(198, 18, 0, 0, 15),
    v6(1, 128),
    v6(0xfe80 << 112, 10),
    v6(0xfc00 << 112, 7),
];

/// Resolve a host name with a deadline.
pub async fn resolve(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, Error> {
    let err = |reason: String| Error::Resolve {
        host: host.to_string(),
        reason,
    };
    let addrs = tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0)))
        .await
        .map_err(|_| err(format!("no answer within {}", error::fmt_duration(timeout))))?
        .map_err(|e| err(e.to_string()))?;
    let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    ips.sort();
    ips.dedup();
    if ips.is_empty() {
        return Err(err("no addresses".into()));
    }
    Ok(ips)
}

/// The zone a spec names (`fe80::1%eth0`: `eth0`), if any.
fn zoned(spec: &str) -> Result<Option<&str>, Error> {
    model::addr::split_zone(spec)
        .map(|(_, zone)| zone)
        .map_err(|reason| Error::InvalidTarget {
            spec: spec.to_string(),
            reason,
        })
}

/// The addresses a zoned target means. One address (`fe80::1%eth0`): itself, reached through that
/// interface (its zone is remembered for every connect, [`net::zone`]). A prefix
/// (`fe80::/64%eth0`), which no sweep could walk (2^64 addresses): the IPv6 neighbours on that
/// interface inside the prefix, those that answer an ICMPv6 echo to all-nodes or that the kernel's
/// neighbour table lists ([`net::ndp`]).
async fn on_interface(spec: &str, r: AddrRange, zone: &str) -> Result<Vec<AddrRange>, Error> {
    let err = |reason: String| Error::InvalidTarget {
        spec: spec.to_string(),
        reason,
    };
    net::zone::index_of(zone).map_err(|e| err(e.to_string()))?;
    if r.size() == 1 {
        if let IpAddr::V6(v6) = from_u128(true, r.start) {
            net::zone::remember(v6, zone).map_err(|e| err(e.to_string()))?;
        }
        return Ok(vec![r]);
    }
    let found = net::ndp::neighbours(zone, net::ndp::DEFAULT_WAIT)
        .await
        .map_err(|e| err(format!("IPv6 neighbours on {zone}: {e}")))?;
    let inside: Vec<AddrRange> = found
        .iter()
        .map(|n| AddrRange::single(IpAddr::V6(n.ip)))
        .filter(|a| r.contains(a))
        .collect();
    tracing::info!(
        "{spec}: {} IPv6 neighbours on {zone} (all-nodes echo and neighbour table)",
        inside.len()
    );
    for a in &inside {
        if let IpAddr::V6(v6) = from_u128(true, a.start) {
            let _ = net::zone::remember(v6, zone);
        }
    }
    Ok(inside)
}

/// Parse every spec; resolve host names (IPv4 answers preferred: cameras rarely serve RTSP on IPv6).
pub async fn build(
    specs: &[String],
    exclude: &[String],
    resolve_timeout: Duration,
) -> Result<TargetSet, Error> {
    let mut ranges = Vec::new();
    let mut hostnames = BTreeMap::new();
    for spec in specs {
        let parsed = parse_spec(spec)?;
        if let (TargetSpec::Range(r), Some(zone)) = (&parsed, zoned(spec)?) {
            ranges.extend(on_interface(spec, *r, zone).await?);
            continue;
        }
        match parsed {
            TargetSpec::Range(r) => ranges.push(r),
            TargetSpec::Host(h) => {
                let ips = resolve(&h, resolve_timeout).await?;
                let ip = ips
                    .iter()
                    .find(|ip| ip.is_ipv4())
                    .copied()
                    .unwrap_or(ips[0]);
                hostnames.insert(ip, h);
                ranges.push(AddrRange::single(ip));
            }
        }
    }
    let mut ex = Vec::new();
    for spec in exclude {
        match parse_spec(spec)? {
            TargetSpec::Range(r) => ex.push(r),
            TargetSpec::Host(h) => {
                for ip in resolve(&h, resolve_timeout).await? {
                    ex.push(AddrRange::single(ip));
                }
            }
        }
    }
    Ok(TargetSet::new(ranges, ex, hostnames))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(specs: &[&str], exclude: &[&str]) -> TargetSet {
        let r = |v: &[&str]| -> Vec<AddrRange> {
            v.iter()
                .map(|s| match parse_spec(s).unwrap() {
                    TargetSpec::Range(r) => r,
                    TargetSpec::Host(h) => panic!("host {h}"),
                })
                .collect()
        };
        TargetSet::new(r(specs), r(exclude), BTreeMap::new())
    }

    fn ips(t: &TargetSet) -> Vec<String> {
        t.iter().map(|i| i.to_string()).collect()
    }

    #[test]
    fn cidr_skips_network_and_broadcast() {
        let t = set(&["192.168.1.0/24"], &[]);
        assert_eq!(t.len(), 254);
        assert_eq!(t.iter().next().unwrap().to_string(), "192.168.1.1");
        assert_eq!(t.iter().last().unwrap().to_string(), "192.168.1.254");
        assert_eq!(set(&["10.0.0.0/31"], &[]).len(), 2);
        assert_eq!(set(&["10.0.0.4/32"], &[]).len(), 1);
        assert_eq!(ips(&set(&["10.0.0.5/30"], &[])), ["10.0.0.5", "10.0.0.6"]);
    }

    #[test]
    fn ranges_long_and_short() {
        assert_eq!(
            ips(&set(&["192.168.1.10-192.168.1.12"], &[])),
            ["192.168.1.10", "192.168.1.11", "192.168.1.12"]
        );
        assert_eq!(set(&["192.168.1.10-50"], &[]).len(), 41);
        assert_eq!(set(&["10.0.0.250-10.0.1.5"], &[]).len(), 12);
    }

    #[test]
    fn single_ips_and_ipv6() {
        assert_eq!(ips(&set(&["127.0.0.1", "::1"], &[])), ["127.0.0.1", "::1"]);
        assert_eq!(set(&["fe80::/120"], &[]).len(), 256);
    }

    #[test]
    fn overlaps_merge_and_excludes_subtract() {
        let t = set(&["10.0.0.0/24", "10.0.0.5", "10.0.0.100-10.0.1.10"], &[]);
        // The range adds 10.0.0.255 (the /24 skipped it as broadcast) and 10.0.1.0-10.0.1.10.
        assert_eq!(t.len(), 254 + 1 + 11);
        let t = set(
            &["10.0.0.0/24"],
            &["10.0.0.10-20", "10.0.0.254", "10.9.9.9"],
        );
        assert_eq!(t.len(), 254 - 11 - 1);
        assert!(!ips(&t).contains(&"10.0.0.15".to_string()));
        assert!(set(&["10.0.0.1"], &["10.0.0.0/24"]).is_empty());
    }

    #[test]
    fn hostnames_and_errors() {
        assert_eq!(
            parse_spec("cam-1.example.lan").unwrap(),
            TargetSpec::Host("cam-1.example.lan".into())
        );
        assert_eq!(
            parse_spec("localhost").unwrap(),
            TargetSpec::Host("localhost".into())
        );
        for bad in [
            "",
            "192.168.1.0/33",
            "10.0.0.9-10.0.0.1",
            "10.0.0.1-300",
            "10.0.0.1-::1",
            "999.1.1.1",
            "-cam",
            "a..b",
            "cam_1",
        ] {
            let err = parse_spec(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[test]
    fn public_and_private_scopes() {
        assert_eq!(
            set(&["192.168.0.0/16", "10.1.2.3", "127.0.0.0/28"], &[]).first_public(),
            None
        );
        assert_eq!(
            set(&["198.18.0.0/15", "100.64.0.1", "::1", "fd00::1"], &[]).first_public(),
            None
        );
        assert_eq!(
            set(&["8.8.8.8"], &[]).first_public().unwrap().to_string(),
            "8.8.8.8"
        );
        // A range that starts private and runs into public space is public.
        assert_eq!(
            set(&["10.255.255.250-11.0.0.2"], &[])
                .first_public()
                .unwrap()
                .to_string(),
            "11.0.0.0"
        );
        assert!(set(&["2001:db8::1"], &[]).first_public().is_some());
    }

    #[test]
    fn split_by_attached_networks() {
        let t = set(&["198.18.0.0/24", "10.0.0.1-10.0.0.3"], &[]);
        // An attached network is its whole interval (198.18.0.0-198.18.0.127).
        let lab = AddrRange {
            v6: false,
            start: 0xC612_0000,
            end: 0xC612_007F,
        };
        let (inside, outside) = t.split(&[lab]);
        assert_eq!(inside.len(), 127); // .1-.127 (.0 was skipped as the /24's network address)
        assert_eq!(outside.len(), 127 + 3);
        let probe = outside.with_addresses(["198.18.0.5".parse().unwrap()]);
        assert_eq!(probe.len(), 131);
        assert!(probe.contains("198.18.0.5".parse().unwrap()));
        assert!(probe.contains("10.0.0.2".parse().unwrap()));
        assert!(!probe.contains("198.18.0.6".parse().unwrap()));
        assert!(!probe.contains("::1".parse().unwrap()));
    }

    #[test]
    fn zoned_targets() {
        assert_eq!(
            parse_spec("fe80::1%eth0").unwrap(),
            parse_spec("fe80::1").unwrap()
        );
        assert_eq!(
            parse_spec("fe80::/64%eth0").unwrap(),
            parse_spec("fe80::/64").unwrap()
        );
        assert_eq!(zoned("fe80::1%eth0").unwrap(), Some("eth0"));
        assert_eq!(zoned("fe80::1").unwrap(), None);
        for bad in [
            "fe80::1%",
            "10.0.0.1%eth0",
            "10.0.0.0/24%eth0",
            "cam.lan%eth0",
            "fe80::1-fe80::5%eth0",
            "fe80::1%eth0%1",
            "fe80::1%a/b",
        ] {
            let err = parse_spec(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[tokio::test]
    async fn a_zone_resolves_from_the_interface_name() {
        let t = build(&["fe80::5:1%lo".into()], &[], Duration::from_secs(1))
            .await
            .unwrap();
        let ip = t.iter().next().unwrap();
        assert_eq!(net::zone::zone_name(ip).as_deref(), Some("lo"));
        let err = build(&["fe80::1%nosuchif9".into()], &[], Duration::from_secs(1))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no network interface"), "{err}");
    }

    #[test]
    fn targets_file_format() {
        let text = "# cameras\n192.168.1.0/24\n\n10.0.0.5  # lobby\n10.0.0.6,10.0.0.7\n";
        assert_eq!(
            parse_targets_file(text),
            ["192.168.1.0/24", "10.0.0.5", "10.0.0.6", "10.0.0.7"]
        );
    }

    #[test]
    fn iteration_is_lazy_for_huge_ranges() {
        let t = set(&["10.0.0.0/8"], &[]);
        assert_eq!(t.len(), (1 << 24) - 2);
        assert_eq!(t.iter().nth(5).unwrap().to_string(), "10.0.0.6");
    }

    #[tokio::test]
    async fn localhost_resolves() {
        let t = build(&["localhost".into()], &[], Duration::from_secs(5))
            .await
            .unwrap();
        let ip = t.iter().next().unwrap();
        assert!(ip.is_loopback());
        assert_eq!(t.hostname(&ip), Some("localhost"));
    }
}
