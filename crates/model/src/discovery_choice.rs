//! The `--discovery` names of [`DiscoveryMethod`] and what choosing each does: the method's
//! [`Choice`], declared beside the type (a trait of another crate is implemented in the crate of
//! its type or of the trait); `discovery::DISCOVERY` declares the setting that takes them.

use input::choice::Choice;

use super::DiscoveryMethod;

/// The `--discovery` choices, in the order `--help` lists them: one enum with the report's
/// names ([`DiscoveryMethod`]), spelled `ports` on the command line for the TCP port probes.
pub const DISCOVERY_CHOICES: [DiscoveryMethod; 14] = [
    DiscoveryMethod::Arp,
    DiscoveryMethod::Onvif,
    DiscoveryMethod::Ssdp,
    DiscoveryMethod::Sadp,
    DiscoveryMethod::Dhip,
    DiscoveryMethod::Dvrip,
    DiscoveryMethod::Ubiquiti,
    DiscoveryMethod::Hanwha,
    DiscoveryMethod::Vivotek,
    DiscoveryMethod::Sony,
    DiscoveryMethod::Bosch,
    DiscoveryMethod::Foscam,
    DiscoveryMethod::Mdns,
    DiscoveryMethod::Port,
];

/// What choosing a method does, for `--help`.
fn help(m: DiscoveryMethod) -> &'static str {
    match m {
        DiscoveryMethod::Arp => {
            "ARP liveness and MACs of on-link targets; then only hosts that answered are port-probed"
        }
        DiscoveryMethod::Onvif => {
            "ONVIF WS-Discovery: multicast Probe on attached interfaces, unicast Probe to live hosts"
        }
        DiscoveryMethod::Ssdp => {
            "SSDP M-SEARCH on attached interfaces, then each device's UPnP description"
        }
        DiscoveryMethod::Sadp => {
            "Hikvision SADP inquiry (UDP 37020): model, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Dhip => {
            "Dahua DHIP search (UDP 37810): model, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Dvrip => {
            "XMeye/Sofia DVRIP search (UDP 34569): name, serial, MAC, firmware, channel count"
        }
        DiscoveryMethod::Ubiquiti => "Ubiquiti discovery (UDP 10001): name, model, MAC, firmware",
        DiscoveryMethod::Hanwha => {
            "Hanwha/Samsung Wisenet search (UDP 7701, answers to 7711): model, MAC"
        }
        DiscoveryMethod::Vivotek => "Vivotek search (UDP 10000): name, model, MAC",
        DiscoveryMethod::Sony => "Sony search (UDP 2380): model, serial, MAC, firmware",
        DiscoveryMethod::Bosch => {
            "Bosch RCP autodetect (UDP 1757, answers to 1758): model, serial, MAC"
        }
        DiscoveryMethod::Foscam => "Foscam search (UDP 10000): name, serial, firmware",
        DiscoveryMethod::Mdns => {
            "mDNS / DNS-SD query (UDP 5353): instance and `.local` names, service ports, TXT facts"
        }
        DiscoveryMethod::Port => "TCP port probes",
    }
}

/// `--discovery` takes the report's names, but `ports` for [`DiscoveryMethod::Port`] (the
/// choice runs the probes; a device found so is reported with `port`).
impl Choice for DiscoveryMethod {
    fn choices() -> &'static [Self] {
        &DISCOVERY_CHOICES
    }

    fn choice(self) -> &'static str {
        match self {
            DiscoveryMethod::Port => "ports",
            m => m.name(),
        }
    }

    fn choice_help(self) -> Option<&'static str> {
        Some(help(self))
    }
}
