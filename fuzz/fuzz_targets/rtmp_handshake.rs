//! The server's S0+S1 of the RTMP simple handshake (`proto::rtmp::check_s0s1`) and the C2 made
//! from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::rtmp::{self, HANDSHAKE_SIZE};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = rtmp::check_s0s1(data) else {
        return;
    };
    assert_eq!(s.s1.len(), HANDSHAKE_SIZE);
    assert_eq!(s.c2(), s.s1);
    assert!(s.echoes(&data[1..1 + HANDSHAKE_SIZE]));
    let _ = s.echoes(data);
});
