//! SSDP `NOTIFY` datagrams (`proto::ssdp::parse_notify`), as `discovery::listen` reads them, then judged
//! as the listener judges them (`discovery::listen::judge`).
#![no_main]

use std::net::Ipv4Addr;

use camscan::discovery::listen::{Source, judge};
use libfuzzer_sys::fuzz_target;
use net::interfaces::LocalNet;
use proto::ssdp;

fuzz_target!(|data: &[u8]| {
    if let Some(n) = ssdp::parse_notify(data) {
        for v in [&n.nt, &n.usn, &n.location, &n.server]
            .into_iter()
            .flatten()
        {
            assert!(v.chars().count() <= 512);
        }
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
        Source::Ssdp,
        data,
        Ipv4Addr::new(198, 18, 16, 11),
        &lan,
        &[],
    ) {
        assert_eq!(a.ip, Ipv4Addr::new(198, 18, 16, 11));
        assert!(a.detail.is_none_or(|d| d.contains("198.18.16.11")));
    }
});
