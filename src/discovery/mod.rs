//! Where targets come from. For now the static list the user gives (CIDRs, ranges, addresses, host
//! names, files of them); ARP, WS-Discovery, SSDP and vendor broadcasts join here later, all producing
//! addresses for the probe pool.

pub mod arp;
pub mod oui;
pub mod ssdp;
pub mod targets;
pub mod wsd;
