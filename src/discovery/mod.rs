//! Where targets and devices come from: the list the user gives (CIDRs, ranges, addresses, host
//! names, files of them) and what answers on the LAN: ARP ([`arp`]), ONVIF WS-Discovery ([`wsd`]),
//! SSDP ([`ssdp`]) and the vendor protocols SADP and DHIP ([`vendor`]).

pub mod arp;
pub mod oui;
pub mod ssdp;
pub mod targets;
pub mod vendor;
pub mod wsd;
