//! The kernel's IPv4 neighbour table as `/proc/net/arp` prints it:
//! `IP address  HW type  Flags  HW address  Mask  Device`. Entries with flags 0x0 are unresolved
//! (INCOMPLETE) and are skipped; a complete entry has ATF_COM (0x2).

use std::net::Ipv4Addr;

/// One resolved neighbour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub ip: Ipv4Addr,
    /// Lowercase `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    pub device: String,
    /// Other MACs that answered ARP for the same address (raw ARP only: the kernel's table keeps
    /// one): an address conflict.
    pub also: Vec<String>,
}

/// ATF_COM: the entry is complete (include/uapi/linux/if_arp.h).
const ATF_COM: u32 = 0x2;

pub fn parse_proc_net_arp(text: &str) -> Vec<Neighbour> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [ip, _hw, flags, mac, _mask, device, ..] = f.as_slice() else {
                return None;
            };
            let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok()?;
            let mac = mac.to_ascii_lowercase();
            let valid_mac = mac.len() == 17 && mac != "00:00:00:00:00:00";
            (flags & ATF_COM != 0 && valid_mac).then(|| {
                Some(Neighbour {
                    ip: ip.parse().ok()?,
                    mac,
                    device: device.to_string(),
                    also: Vec::new(),
                })
            })?
        })
        .collect()
}

/// Whether `/proc/net/arp`'s text holds an entry for `ip`: `Some(true)` complete (ATF_COM),
/// `Some(false)` there but unresolved (INCOMPLETE, or FAILED after the kernel's probes), `None`
/// absent.
pub fn entry(text: &str, ip: Ipv4Addr) -> Option<bool> {
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [addr, _hw, flags, ..] = f.as_slice() else {
            return None;
        };
        if addr.parse::<Ipv4Addr>().ok()? != ip {
            return None;
        }
        let flags = u32::from_str_radix(flags.trim_start_matches("0x"), 16).unwrap_or(0);
        Some(flags & ATF_COM != 0)
    })
}

/// The IPv4 neighbour table's totals as `/proc/net/stat/arp_cache` prints them: a header line
/// naming the columns, then one line of hexadecimal counters per CPU. `entries` is the table's
/// (the same on every line), `table_fulls` is per CPU and summed. `None` when the header names
/// neither column.
pub fn parse_neigh_stat(text: &str) -> Option<NeighStat> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    let entries_at = header.iter().position(|c| *c == "entries");
    let fulls_at = header.iter().position(|c| *c == "table_fulls");
    if entries_at.is_none() && fulls_at.is_none() {
        return None;
    }
    let mut stat = NeighStat::default();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        let hex = |i: Option<usize>| {
            i.and_then(|i| f.get(i))
                .and_then(|v| u64::from_str_radix(v, 16).ok())
        };
        if let Some(e) = hex(entries_at) {
            stat.entries = stat.entries.max(e);
        }
        if let Some(t) = hex(fulls_at) {
            stat.table_fulls = stat.table_fulls.saturating_add(t);
        }
    }
    Some(stat)
}

/// The neighbour table's totals ([`parse_neigh_stat`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeighStat {
    /// Entries in the table now (every network namespace's: the table is the kernel's).
    pub entries: u64,
    /// Times an entry could not be made because the table was full, since boot.
    pub table_fulls: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_complete_unresolved_or_absent() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
198.19.0.4       0x1         0x2         44:19:b6:00:00:00     *        eth0\n\
198.19.0.8       0x1         0x0         00:00:00:00:00:00     *        eth0\n";
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(entry(text, ip("198.19.0.4")), Some(true));
        assert_eq!(entry(text, ip("198.19.0.8")), Some(false));
        assert_eq!(entry(text, ip("198.19.0.12")), None);
        assert_eq!(entry("", ip("198.19.0.4")), None);
    }

    /// As kernel 6.18 prints it, two CPUs (read on this project's build machine).
    #[test]
    fn neigh_stat_sums_the_cpus() {
        let text = "entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n\
00000400 00000001 00000000 00000000   00000004 00000000 00000000   00000000         00000000         00000000         00000000       00000000            0000000a\n\
00000400 00000001 00000000 00000000   00000002 00000002 00000000   00000000         00000000         00000011         00000000       00000000            00000005\n";
        let s = parse_neigh_stat(text).unwrap();
        assert_eq!(s.entries, 1024);
        assert_eq!(s.table_fulls, 15);
        assert_eq!(parse_neigh_stat("no such columns\n1 2\n"), None);
        assert_eq!(parse_neigh_stat(""), None);
        // A short or garbled CPU line adds nothing and breaks nothing.
        let s = parse_neigh_stat("entries table_fulls\nzz\n00000002 00000001\n").unwrap();
        assert_eq!((s.entries, s.table_fulls), (2, 1));
    }

    #[test]
    fn complete_entries_only() {
        let text = "IP address       HW type     Flags       HW address            Mask     Device\n\
                    198.18.0.11      0x1         0x2         44:19:B6:00:00:01     *        lab0\n\
                    198.18.0.99      0x1         0x0         00:00:00:00:00:00     *        lab0\n\
                    198.18.0.12      0x1         0x6         02:00:00:00:00:02     *        lab0\n\
                    garbage\n";
        let n = parse_proc_net_arp(text);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].mac, "44:19:b6:00:00:01");
        assert_eq!(n[0].device, "lab0");
        assert_eq!(n[1].ip.to_string(), "198.18.0.12");
        assert!(parse_proc_net_arp("").is_empty());
    }
}

/// One entry of the kernel's IPv6 neighbour table as `ip -6 neigh show` (iproute2) prints it:
/// `ADDRESS [dev IFNAME] [lladdr MAC] [router] STATE...`, e.g.
/// `fe80::21 dev eth0 lladdr 02:00:00:00:06:21 router STALE` (the states are the NUD_* names of
/// include/uapi/linux/neighbour.h: INCOMPLETE, REACHABLE, STALE, DELAY, PROBE, FAILED, NOARP,
/// PERMANENT). The table has no procfs file as IPv4's `/proc/net/arp`: netlink (RTM_GETNEIGH) is
/// its interface, and iproute2's text is how camscan reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour6 {
    pub ip: std::net::Ipv6Addr,
    /// Lowercase `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    /// The interface, when the line names it (`ip -6 neigh show dev X` leaves it out).
    pub device: Option<String>,
    /// The NUD states the line ends with (`REACHABLE`, `STALE`, ...).
    pub state: String,
}

/// Parse `ip -6 neigh show` output: entries with a link-layer address, not FAILED or INCOMPLETE
/// (no MAC was learned then); lines that are not IPv6 entries are skipped.
pub fn parse_ip_neigh(text: &str) -> Vec<Neighbour6> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let ip: std::net::Ipv6Addr = f.next()?.parse().ok()?;
            let (mut device, mut mac, mut state) = (None, None, Vec::new());
            while let Some(tok) = f.next() {
                match tok {
                    "dev" => device = f.next().map(str::to_string),
                    "lladdr" => mac = f.next().map(str::to_ascii_lowercase),
                    "router" | "proxy" | "extern_learn" | "offload" => {}
                    t if t.chars().all(|c| c.is_ascii_uppercase() || c == '_') => state.push(t),
                    _ => {}
                }
            }
            let mac = mac.filter(|m| {
                m.len() == 17
                    && m.split(':').count() == 6
                    && m.split(':')
                        .all(|o| o.len() == 2 && o.chars().all(|c| c.is_ascii_hexdigit()))
                    && m != "00:00:00:00:00:00"
            })?;
            if state.iter().any(|s| matches!(*s, "FAILED" | "INCOMPLETE")) {
                return None;
            }
            Some(Neighbour6 {
                ip,
                mac,
                device,
                state: state.join(" "),
            })
        })
        .collect()
}

#[cfg(test)]
mod v6_tests {
    use super::*;

    /// Lines as iproute2 6.1 (Debian 12) printed them in the IPv6 lab (tests/lab/ipv6_lab.sh).
    #[test]
    fn ip_neigh_entries_with_a_mac() {
        let text = "fe80::21 dev eth0 lladdr 02:00:00:00:06:21 STALE\n\
                    fd00:cafe::21 dev eth0 lladdr 02:00:00:00:06:21 REACHABLE\n\
                    fe80::22 lladdr 02:00:00:00:06:22 router DELAY\n\
                    fe80::99 dev eth0  FAILED\n\
                    fe80::98 dev eth0 lladdr 02:00:00:00:06:98 INCOMPLETE\n\
                    198.18.0.21 dev eth0 lladdr 02:00:00:00:06:21 REACHABLE\n\
                    fe80::97 dev eth0 lladdr zz:00:00:00:06:97 STALE\n\
                    garbage line\n";
        let n = parse_ip_neigh(text);
        assert_eq!(n.len(), 3, "{n:?}");
        assert_eq!(n[0].ip.to_string(), "fe80::21");
        assert_eq!(n[0].device.as_deref(), Some("eth0"));
        assert_eq!(n[0].state, "STALE");
        assert_eq!(n[1].mac, "02:00:00:00:06:21");
        assert_eq!(n[2].device, None);
        assert_eq!(n[2].state, "DELAY");
        assert!(parse_ip_neigh("").is_empty());
        assert!(parse_ip_neigh("fe80::1 dev").is_empty());
    }
}
