//! The pure half of `camscan doctor`: the local files it reads turned into facts
//! (`/proc/self/status`, `/proc/net/route`, `ffprobe -version`, a config file's keys) and the
//! verdicts on them. No I/O here, so every rule is unit-tested on fixed text.

use std::net::Ipv4Addr;

pub use net::host::{CAP_NET_ADMIN, CAP_NET_RAW, cap_eff, euid, has_cap};

/// One line of `/proc/net/route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub interface: String,
    pub destination: Ipv4Addr,
    pub gateway: Ipv4Addr,
    /// Prefix length of the mask.
    pub prefix: u8,
    /// `RTF_UP` (0x1) set.
    pub up: bool,
}

impl Route {
    /// Whether this route carries every address of `net`/`prefix`.
    pub fn covers(&self, net: Ipv4Addr, prefix: u8) -> bool {
        self.prefix <= prefix && mask(self.prefix) & u32::from(net) == u32::from(self.destination)
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// The IPv4 routes of `/proc/net/route`: a header line, then per route `Iface Destination
/// Gateway Flags RefCnt Use Metric Mask MTU Window IRTT`, the addresses as the kernel's `__be32`
/// printed with `%08X` on the host, so the host's byte order (little-endian hex on x86 and arm64;
/// net/ipv4/fib_trie.c, `fib_route_seq_show`). Lines that do not parse (or a mask that is not a prefix) are skipped.
pub fn routes(text: &str) -> Vec<Route> {
    let addr = |hex: &str| -> Option<Ipv4Addr> {
        let raw = u32::from_str_radix(hex, 16).ok()?;
        Some(Ipv4Addr::from(raw.to_ne_bytes()))
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let flags = u32::from_str_radix(f[3], 16).ok()?;
            let m = u32::from(addr(f[7])?);
            let prefix = m.leading_ones() as u8;
            if mask(prefix) != m {
                return None;
            }
            Some(Route {
                interface: f[0].to_string(),
                destination: addr(f[1])?,
                gateway: addr(f[2])?,
                prefix,
                up: flags & 0x1 != 0,
            })
        })
        .collect()
}

/// The multicast range, 224.0.0.0/4 (RFC 5771).
pub const MULTICAST: (Ipv4Addr, u8) = (Ipv4Addr::new(224, 0, 0, 0), 4);

/// The route multicast to `interface` leaves by: one for 224.0.0.0/4 (or a wider one, the default
/// route) on that interface, the most specific first.
pub fn multicast_route<'a>(routes: &'a [Route], interface: &str) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| r.up && r.interface == interface && r.covers(MULTICAST.0, MULTICAST.1))
        .max_by_key(|r| r.prefix)
}

/// The version in `ffprobe -version`'s first line (`ffprobe version 5.1.6-0+deb12u1 Copyright
/// ...`, or `ffprobe version n6.1 ...` from builds off git tags).
pub fn ffprobe_version(output: &str) -> Option<&str> {
    let first = output.lines().next()?;
    let rest = first.trim().strip_prefix("ffprobe version ")?;
    rest.split_whitespace().next()
}

/// How the open-file limit serves the probe pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdVerdict {
    /// The scan's concurrency, as it will run.
    Enough { concurrency: usize },
    /// Concurrency held below the most a scan would use by default; `hard_needed` would lift it.
    Low {
        concurrency: usize,
        hard_needed: u64,
    },
    /// `--concurrency`/`concurrency:` asks for more sockets than the limit allows: the scan
    /// uses `concurrency` instead.
    Clamped {
        asked: usize,
        concurrency: usize,
        hard_needed: u64,
    },
}

/// Judge `hard` (a scan raises its soft limit to the hard one first, `net::raise_fd_limit`) for
/// the pool: `asked` is the configured concurrency, `None` for the derived default.
pub fn fd_verdict(hard: u64, asked: Option<usize>) -> FdVerdict {
    let derived = net::default_concurrency(hard);
    // The smallest hard limit whose derived default reaches `n` (inverse of default_concurrency).
    let needed_for = |n: usize| (n as u64 * 4).div_ceil(3) + 128;
    match asked {
        Some(n) if n > derived && !net::fits_fd_limit(n, hard) => FdVerdict::Clamped {
            asked: n,
            concurrency: derived,
            hard_needed: (n as u64) + 128,
        },
        Some(n) => FdVerdict::Enough { concurrency: n },
        None if derived < net::MAX_DEFAULT_CONCURRENCY => FdVerdict::Low {
            concurrency: derived,
            hard_needed: needed_for(net::MAX_DEFAULT_CONCURRENCY),
        },
        None => FdVerdict::Enough {
            concurrency: derived,
        },
    }
}

/// Whether a file mode lets anyone but its owner read or write it (the serve token must be 0600).
pub fn too_open(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// The keys of a YAML mapping that `known` does not list, in the file's order.
pub fn unknown_keys(mapping: &serde_yaml::Mapping, known: &[&str]) -> Vec<String> {
    mapping
        .keys()
        .map(|k| match k {
            serde_yaml::Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
        .filter(|k| !known.contains(&k.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // /proc/self/status of a process with CAP_NET_RAW and CAP_NET_ADMIN only (setcap'd binary).
    const STATUS_SETCAP: &str = "Name:\tcamscan\nUmask:\t0022\nState:\tR (running)\n\
        Uid:\t1000\t1000\t1000\t1000\nCapInh:\t0000000000000000\nCapPrm:\t0000000000003000\n\
        CapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";

    #[test]
    fn capabilities_from_proc_status() {
        let eff = cap_eff(STATUS_SETCAP).unwrap();
        assert!(has_cap(eff, CAP_NET_RAW));
        assert!(has_cap(eff, CAP_NET_ADMIN));
        assert!(!has_cap(eff, 21)); // CAP_SYS_ADMIN
        // root's full set, and an unprivileged user's empty one.
        let root = cap_eff("CapEff:\t000001ffffffffff\n").unwrap();
        assert!(has_cap(root, CAP_NET_RAW));
        assert_eq!(cap_eff("CapPrm:\t0\nCapEff:\t0000000000000000\n"), Some(0));
        assert!(!has_cap(0, CAP_NET_RAW));
        assert!(!has_cap(u64::MAX, 64));
        // Missing or damaged line: unknown, not "no capabilities".
        assert_eq!(cap_eff("Name:\tx\n"), None);
        assert_eq!(cap_eff("CapEff:\tzz\n"), None);
        assert_eq!(cap_eff(""), None);
        assert_eq!(euid(STATUS_SETCAP), Some(1000));
        assert_eq!(euid("Uid:\t1000\t0\t0\t0\n"), Some(0));
        assert_eq!(euid("Uid:\t1000\n"), None);
    }

    // A typical host: default route via eth0, the LAN, docker, and a multicast route on eth1.
    const ROUTES: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
        eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n\
        docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n\
        eth1\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0\n\
        eth2\t000000E0\t00000000\t0000\t0\t0\t0\t000000F0\t0\t0\t0\n\
        bad\tnothex\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0\n\
        odd\t00000000\t00000000\t0001\t0\t0\t0\t0000FF0F\t0\t0\t0\n\
        short\t00000000\n";

    #[test]
    #[cfg(target_endian = "little")]
    fn routes_from_proc_net_route() {
        let r = routes(ROUTES);
        let names: Vec<&str> = r.iter().map(|r| r.interface.as_str()).collect();
        assert_eq!(names, ["eth0", "eth0", "docker0", "eth1", "eth2"]);
        assert_eq!(
            r[1],
            Route {
                interface: "eth0".into(),
                destination: Ipv4Addr::new(192, 168, 1, 0),
                gateway: Ipv4Addr::UNSPECIFIED,
                prefix: 24,
                up: true,
            }
        );
        assert_eq!(r[0].gateway, Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(r[0].prefix, 0);
        assert_eq!(
            (r[2].destination, r[2].prefix),
            (Ipv4Addr::new(172, 17, 0, 0), 16)
        );
        assert_eq!(
            (r[3].destination, r[3].prefix),
            (Ipv4Addr::new(224, 0, 0, 0), 4)
        );
        assert!(!r[4].up);
        assert!(routes("").is_empty());
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn multicast_leaves_by_its_own_route_or_the_default() {
        let r = routes(ROUTES);
        // eth0: the default route carries it.
        assert_eq!(multicast_route(&r, "eth0").map(|r| r.prefix), Some(0));
        // eth1: its 224.0.0.0/4 route.
        assert_eq!(multicast_route(&r, "eth1").map(|r| r.prefix), Some(4));
        // docker0: a /16 only; eth2: a route that is down; nothing for an unknown interface.
        assert_eq!(multicast_route(&r, "docker0"), None);
        assert_eq!(multicast_route(&r, "eth2"), None);
        assert_eq!(multicast_route(&r, "wlan0"), None);
        // A /3 containing 224/4 is as good; 239.0.0.0/8 is not all of it.
        let wide = routes("h\nx\t000000E0\t00000000\t0001\t0\t0\t0\t000000E0\t0\t0\t0\n");
        assert!(multicast_route(&wide, "x").is_some());
        let narrow = routes("h\nx\t000000EF\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n");
        assert!(multicast_route(&narrow, "x").is_none());
    }

    #[test]
    fn ffprobe_versions() {
        // Debian 12's ffmpeg package.
        assert_eq!(
            ffprobe_version(
                "ffprobe version 5.1.6-0+deb12u1 Copyright (c) 2007-2024 the FFmpeg developers\nbuilt with gcc 12\n"
            ),
            Some("5.1.6-0+deb12u1")
        );
        assert_eq!(
            ffprobe_version("ffprobe version n6.1 Copyright (c) 2007-2023"),
            Some("n6.1")
        );
        assert_eq!(ffprobe_version("ffmpeg version 6.0"), None);
        assert_eq!(ffprobe_version(""), None);
        assert_eq!(ffprobe_version("ffprobe version "), None);
    }

    #[test]
    fn open_file_limit_verdicts() {
        // 1 048 576 (systemd's default hard limit): the full default pool.
        assert_eq!(
            fd_verdict(1_048_576, None),
            FdVerdict::Enough {
                concurrency: net::MAX_DEFAULT_CONCURRENCY
            }
        );
        // A 1024 hard limit: 672 probes, and the limit that would give 1024.
        let FdVerdict::Low {
            concurrency,
            hard_needed,
        } = fd_verdict(1024, None)
        else {
            panic!()
        };
        assert_eq!(concurrency, 672);
        assert_eq!(
            net::default_concurrency(hard_needed),
            net::MAX_DEFAULT_CONCURRENCY
        );
        assert!(net::default_concurrency(hard_needed - 2) < net::MAX_DEFAULT_CONCURRENCY);
        // Asked for more than fits: the scan clamps it.
        assert_eq!(
            fd_verdict(1024, Some(2000)),
            FdVerdict::Clamped {
                asked: 2000,
                concurrency: 672,
                hard_needed: 2128
            }
        );
        assert_eq!(
            fd_verdict(1024, Some(100)),
            FdVerdict::Enough { concurrency: 100 }
        );
    }

    #[test]
    fn token_modes() {
        assert!(!too_open(0o100600));
        assert!(!too_open(0o400));
        assert!(too_open(0o100644));
        assert!(too_open(0o620));
        assert!(too_open(0o604));
    }

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        // The file's fields and the keys of the declared settings and format options, as doctor
        // knows them.
        let known = &crate::cli::file::keys::<crate::cmds::FileKeys>();
        assert!(
            known.contains(&"ports") && known.contains(&"watch"),
            "{known:?}"
        );
        let watch = crate::cli::file::watch_keys::<crate::cmds::FileKeys>();
        assert!(watch.contains(&"notify"), "{watch:?}");
        let doc: serde_yaml::Mapping =
            serde_yaml::from_str("prots: 554\nports: 80\ncolour: never\nwatch: {}\n").unwrap();
        assert_eq!(unknown_keys(&doc, known), ["prots", "colour"]);
    }
}
