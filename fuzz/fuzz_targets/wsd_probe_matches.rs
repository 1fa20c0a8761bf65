//! WS-Discovery ProbeMatches and Hello datagrams (`proto::wsd`), read as `discovery::wsd` does
//! (lossy UTF-8), then their scopes and XAddrs as `app` uses them.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use proto::wsd;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    let reply = wsd::parse(&xml);
    assert!(reply.matches.len() <= wsd::MAX_MATCHES);
    for m in &reply.matches {
        let _ = wsd::scope_info(&m.scopes);
        for x in &m.xaddrs {
            let _ = wsd::fix_xaddr(x, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 11)));
            let _ = wsd::fix_xaddr(x, IpAddr::V6(Ipv6Addr::LOCALHOST));
            let _ = wsd::zone_xaddr(x, "eth0");
        }
    }
    let _ = wsd::percent_decode(&xml);
});
