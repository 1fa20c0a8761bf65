//! A Hikvision NVR's channel list and channel status (`proto::isapi_channels`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::isapi_channels;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = isapi_channels::parse_channels(&text);
    let _ = isapi_channels::parse_status(&text);
});
