//! Where targets and devices come from: the list the user gives (CIDRs, ranges, addresses, host
//! names, files of them) and what answers on the LAN: ARP ([`arp`]), ONVIF WS-Discovery ([`wsd`]),
//! SSDP ([`ssdp`]), mDNS / DNS-SD ([`mdns`]) and the vendor protocols SADP and DHIP ([`vendor`]); and, for `camscan watch`, the
//! devices that announce themselves between scans (WS-Discovery Hello/Bye, SSDP NOTIFY: [`listen`]).

pub mod arp;
pub mod listen;
pub mod mdns;
pub mod oui;
pub mod ssdp;
pub mod targets;
pub mod vendor;
pub mod wsd;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// Discovery methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Discovery {
    /// ARP liveness and MACs of on-link targets; then only hosts that answered are port-probed.
    Arp,
    /// ONVIF WS-Discovery: multicast Probe on attached interfaces, unicast Probe to live hosts.
    Onvif,
    /// SSDP M-SEARCH on attached interfaces, then each device's UPnP description.
    Ssdp,
    /// Hikvision SADP inquiry (UDP 37020): model, serial, MAC, firmware, channel count.
    Sadp,
    /// Dahua DHIP search (UDP 37810): model, serial, MAC, firmware, channel count.
    Dhip,
    /// mDNS / DNS-SD query (UDP 5353): instance and `.local` names, service ports, TXT facts.
    Mdns,
    /// TCP port probes.
    Ports,
}
