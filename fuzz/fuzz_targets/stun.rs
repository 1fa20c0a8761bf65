//! STUN Binding responses (`proto::stun`), as `analyze::webrtc` checks them against the
//! transaction ID it sent. Most inputs are checked against their own transaction ID (bytes 8..20),
//! so the fuzzer gets past that check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::stun::{self, HEADER_LEN, MAX_TEXT};

fuzz_target!(|data: &[u8]| {
    let own: [u8; 12] = data
        .get(8..HEADER_LEN)
        .and_then(|t| t.try_into().ok())
        .unwrap_or_default();
    for tid in [own, [0; 12]] {
        if let Ok(r) = stun::parse_response(data, &tid) {
            let _ = r.reflexive();
            if let Some(s) = &r.software {
                assert!(s.chars().count() <= MAX_TEXT);
            }
        }
    }
});
