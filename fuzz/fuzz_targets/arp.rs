//! ARP packets from the packet socket (`proto::arp::parse`) and MAC address text
//! (`proto::arp::parse_mac`, used on SADP, DHIP and neighbour-table values); what a misaddressed
//! device's ARP request and answer text make of the judgement (`model::misaddressed::judge`,
//! `link_local` on SADP's `IPv6Address`).
#![no_main]

use std::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use model::misaddressed;
use proto::arp;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = arp::parse(data) {
        assert!(!s.ip.is_unspecified() && !s.ip.is_broadcast() && !s.ip.is_multicast());
        let lan = [(Ipv4Addr::new(198, 18, 0, 1), 24)];
        let mask = data
            .get(28..32)
            .map(|m| Ipv4Addr::new(m[0], m[1], m[2], m[3]));
        if let Some(m) = misaddressed::judge(s.ip, mask, Some(s.target), "eth0", &lan, "arp") {
            let t = m.reach.temporary_address;
            assert!(t != m.address && Some(t) != m.gateway, "{m:?}");
            assert!(misaddressed::inside(t, m.subnet()), "{m:?}");
            assert!((8..=29).contains(&m.prefix));
            assert!(!misaddressed::inside(m.address, lan[0]));
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Some(mac) = arp::parse_mac(&text) {
        assert_eq!(arp::parse_mac(&arp::format_mac(mac)), Some(mac));
    }
    if let Some(ll) = misaddressed::link_local(&text) {
        assert_eq!(misaddressed::link_local(&ll).as_deref(), Some(ll.as_str()));
    }
});
