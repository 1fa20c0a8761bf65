//! SSDP M-SEARCH replies and UPnP device descriptions (`proto::ssdp`), as `discovery::ssdp` reads
//! them: the datagram as bytes, the description as lossy UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::ssdp;

fuzz_target!(|data: &[u8]| {
    let _ = ssdp::parse_reply(data);
    if let Some(d) = ssdp::parse_description(&String::from_utf8_lossy(data)) {
        let _ = ssdp::is_camera(&d, |m| m.contains("axis"));
    }
});
