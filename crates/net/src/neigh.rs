//! The kernel's IPv4 neighbour table (the ARP cache) as a scan of a large attached range meets it.
//!
//! Every host a connect reaches on an attached network needs an entry, and the table holds
//! `gc_thresh3` entries at most (1,024 by default): the kernel frees an entry only once it is
//! older than 5 s (or failed), so a scan that reaches more new hosts than the room left within
//! a few seconds finds the table full. The SYN of a connect then never leaves (the kernel logs
//! "neighbour table overflow" and the connect times out as if the port were filtered), and a
//! datagram's send fails with ENOBUFS. The scan sees it by asking the table whether a host that
//! answered ARP has an entry ([`entry`]), waits, and asks again (`camscan::probe`).
//!
//! The limits live in the first network namespace only: inside any other `/proc/sys/net/ipv4/neigh/
//! default` and `/proc/net/stat/arp_cache` are absent, though the kernel's table and its limit
//! are the same for all of them. [`limits`] then says it does not know.

use std::net::IpAddr;

use proto::neigh::{NeighStat, parse_neigh_stat};

/// The kernel's default `gc_thresh3` (net/ipv4/arp.c).
pub const KERNEL_DEFAULT_THRESH3: u64 = 1024;

/// What the table allows and holds, where this namespace can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `net.ipv4.neigh.default.gc_thresh3`: entries at most.
    pub thresh3: u64,
    /// Entries now, every namespace's ([`NeighStat::entries`]).
    pub entries: u64,
}

impl Limits {
    /// Entries that can still be made.
    pub fn room(&self) -> u64 {
        self.thresh3.saturating_sub(self.entries)
    }
}

/// The table's limit and size, `None` where they cannot be read (a network namespace other than
/// the first, or no procfs).
pub fn limits() -> Option<Limits> {
    let thresh3 = std::fs::read_to_string("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let entries = stat().map(|s| s.entries).unwrap_or(0);
    Some(Limits { thresh3, entries })
}

/// The table's totals, where they can be read.
pub fn stat() -> Option<NeighStat> {
    parse_neigh_stat(&std::fs::read_to_string("/proc/net/stat/arp_cache").ok()?)
}

/// What this namespace's table holds for one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A complete entry: a SYN to it went out.
    Resolved,
    /// An entry still resolving or failed: the kernel's ARP request or its answer was lost (the
    /// host answered the sweep's).
    Unresolved,
    /// No entry at all: the kernel could not make one (the table was full).
    Absent,
}

/// What this namespace's table holds for `ip` (an IPv6 address, or a table that cannot be read:
/// [`Entry::Resolved`], the connect's answer stands).
pub fn entry(ip: IpAddr) -> Entry {
    let IpAddr::V4(v4) = ip else {
        return Entry::Resolved;
    };
    match std::fs::read_to_string("/proc/net/arp") {
        Ok(table) => match proto::neigh::entry(&table, v4) {
            Some(true) => Entry::Resolved,
            Some(false) => Entry::Unresolved,
            None => Entry::Absent,
        },
        Err(_) => Entry::Resolved,
    }
}

/// Whether the table is full now, asked by making an entry: one datagram to the discard port of
/// `ip` (an on-link address nobody answered: the kernel makes an entry to resolve it, and sends one
/// ARP request), refused with ENOBUFS when the table has no room. Works in every namespace, where
/// the limit and the kernel's count cannot be read.
pub fn full_now(ip: std::net::Ipv4Addr) -> bool {
    let Ok(socket) = std::net::UdpSocket::bind("0.0.0.0:0") else {
        return false;
    };
    let _ = socket.set_nonblocking(true);
    super::packet::report_full_table(&socket);
    matches!(
        socket.send_to(b"camscan", (ip, 9)),
        Err(e) if e.raw_os_error() == Some(libc::ENOBUFS)
    )
}

/// The `sysctl` line that makes room for `hosts` more entries above what the table holds now:
/// gc_thresh3 at half as much again as is needed (rounded up to a power of two, at least twice the
/// kernel's default), gc_thresh2 half of it,
/// gc_thresh1 a quarter (the kernel's own proportions are 128 / 512 / 1024).
pub fn sysctl_line(hosts: u64, entries: u64) -> String {
    let want = (hosts.saturating_add(entries))
        .saturating_mul(3)
        .saturating_div(2)
        .max(KERNEL_DEFAULT_THRESH3 * 2)
        .next_power_of_two();
    format!(
        "sysctl -w net.ipv4.neigh.default.gc_thresh1={} net.ipv4.neigh.default.gc_thresh2={} net.ipv4.neigh.default.gc_thresh3={}",
        want / 4,
        want / 2,
        want
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sysctl_line_makes_room_with_a_margin() {
        assert_eq!(
            sysctl_line(4094, 10),
            "sysctl -w net.ipv4.neigh.default.gc_thresh1=2048 net.ipv4.neigh.default.gc_thresh2=4096 net.ipv4.neigh.default.gc_thresh3=8192"
        );
        // Never below twice the kernel's default.
        assert!(sysctl_line(10, 0).ends_with("gc_thresh3=2048"));
        let l = Limits {
            thresh3: 1024,
            entries: 1100,
        };
        assert_eq!(l.room(), 0);
    }
}
