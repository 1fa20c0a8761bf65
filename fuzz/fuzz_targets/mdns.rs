//! mDNS / DNS-SD answers (`proto::mdns::parse`), then what `discovery::mdns` makes of them
//! (`proto::mdns::services` and the TXT readers): compression pointers, loops and messages cut
//! anywhere must neither panic nor grow without bound.
#![no_main]

use std::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use proto::mdns;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = mdns::parse(data) else {
        return;
    };
    // Every record costs at least 11 bytes of input.
    assert!(msg.records.len() <= data.len() / 11);
    let found = mdns::services(&msg.records, Ipv4Addr::new(198, 18, 0, 11).into());
    let _ = mdns::services(
        &msg.records,
        std::net::Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x22).into(),
    );
    for s in &found.services {
        assert!(s.instance.len() <= 4 * 255 && s.txt.len() <= 64);
        let _ = (mdns::mac(s), mdns::model(s), mdns::rtsp_path(s));
        let _ = mdns::is_camera_service(s, |m| m == "axis");
    }
});
