//! ARP packets from the packet socket (`proto::arp::parse`) and MAC address text
//! (`proto::arp::parse_mac`, used on SADP, DHIP and neighbour-table values).
#![no_main]

use camscan::proto::arp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = arp::parse(data) {
        assert!(!s.ip.is_unspecified() && !s.ip.is_broadcast() && !s.ip.is_multicast());
    }
    if let Some(mac) = arp::parse_mac(&String::from_utf8_lossy(data)) {
        assert_eq!(arp::parse_mac(&arp::format_mac(mac)), Some(mac));
    }
});
