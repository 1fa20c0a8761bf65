//! One IPv4 address of one of the machine's interfaces, and whether a scan without targets covers
//! its subnet (`net::interfaces` lists and plans them; `camscan interfaces` prints them).

use std::net::Ipv4Addr;

use serde::Serialize;

/// One IPv4 address on one interface, and whether its subnet would be scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalNet {
    pub interface: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub mac: Option<String>,
    pub loopback: bool,
    /// Filled by `net::interfaces::plan`.
    pub scan: bool,
    /// Why it is not scanned.
    pub reason: Option<String>,
}

impl LocalNet {
    pub fn network(&self) -> Ipv4Addr {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        };
        Ipv4Addr::from(u32::from(self.ip) & mask)
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network(), self.prefix)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        };
        u32::from(ip) & mask == u32::from(self.ip) & mask
    }
}
