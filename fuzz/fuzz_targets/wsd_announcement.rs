//! WS-Discovery Hello/Bye datagrams (`proto::wsd::parse_announcement`), read as `discovery::listen`
//! does (lossy UTF-8), then judged as the listener judges them (`discovery::listen::judge`).
#![no_main]

use std::net::Ipv4Addr;

use camscan::discovery::listen::{Source, judge};
use libfuzzer_sys::fuzz_target;
use net::interfaces::LocalNet;
use proto::wsd;

fuzz_target!(|data: &[u8]| {
    if let Some(a) = wsd::parse_announcement(&String::from_utf8_lossy(data)) {
        assert!(a.xaddrs.len() <= 64 && a.types.len() <= 64 && a.scopes.len() <= 64);
        assert!(a.endpoint.as_ref().is_none_or(|e| e.chars().count() <= 256));
    }
    let lan = LocalNet {
        interface: "eth0".into(),
        ip: Ipv4Addr::new(198, 18, 16, 1),
        prefix: 24,
        mac: None,
        loopback: false,
        scan: true,
        reason: None,
    };
    if let Ok(a) = judge(
        Source::WsDiscovery,
        data,
        Ipv4Addr::new(198, 18, 16, 11),
        &lan,
        &[],
    ) {
        assert_eq!(a.ip, Ipv4Addr::new(198, 18, 16, 11));
    }
});
