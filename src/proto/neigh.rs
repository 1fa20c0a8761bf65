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

#[cfg(test)]
mod tests {
    use super::*;

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
