//! A Dahua NVR's remote-device table and camera state (`proto::dahua_remote`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::dahua_remote;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = dahua_remote::parse_remote_devices(&text);
    let _ = dahua_remote::parse_camera_state(&text);
});
