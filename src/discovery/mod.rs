//! Where targets and devices come from: the list the user gives (CIDRs, ranges, addresses, host
//! names, files of them) and what answers on the LAN: ARP ([`arp`]), ONVIF WS-Discovery ([`wsd`]),
//! SSDP ([`ssdp`]), mDNS / DNS-SD ([`mdns`]) and the vendor protocols (SADP, DHIP, DVRIP, Ubiquiti,
//! ...: one engine in [`vendor`], one registration each in [`protocols`]); and, for `camscan watch`, the
//! devices that announce themselves between scans (WS-Discovery Hello/Bye, SSDP NOTIFY: [`listen`]).

pub mod arp;
pub mod camera_macs;
pub mod listen;
pub mod mdns;
pub mod protocols;
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
    /// XMeye/Sofia DVRIP search (UDP 34569): name, serial, MAC, firmware, channel count.
    Dvrip,
    /// Ubiquiti discovery (UDP 10001): name, model, MAC, firmware.
    Ubiquiti,
    /// Hanwha/Samsung Wisenet search (UDP 7701, answers to 7711): model, MAC.
    Hanwha,
    /// Vivotek search (UDP 10000): name, model, MAC.
    Vivotek,
    /// Sony search (UDP 2380): model, serial, MAC, firmware.
    Sony,
    /// Bosch RCP autodetect (UDP 1757, answers to 1758): model, serial, MAC.
    Bosch,
    /// Foscam search (UDP 10000): name, serial, firmware.
    Foscam,
    /// mDNS / DNS-SD query (UDP 5353): instance and `.local` names, service ports, TXT facts.
    Mdns,
    /// TCP port probes.
    Ports,
}

impl Discovery {
    /// The methods a scan runs when none are chosen: every one of them.
    pub fn defaults() -> Vec<Discovery> {
        Discovery::value_variants().to_vec()
    }

    /// The discovery method this choice runs, as reports name it.
    pub fn method(self) -> crate::model::DiscoveryMethod {
        use crate::model::DiscoveryMethod as M;
        match self {
            Discovery::Arp => M::Arp,
            Discovery::Onvif => M::Onvif,
            Discovery::Ssdp => M::Ssdp,
            Discovery::Ports => M::Port,
            Discovery::Mdns => M::Mdns,
            vendor => protocols::by_choice(vendor).map_or(M::Port, |p| p.method),
        }
    }
}
