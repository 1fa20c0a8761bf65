//! Answers to a DESCRIBE that asked for the ONVIF backchannel (`proto::backchannel::classify`):
//! the reply head as `proto::response` reads it, and whatever follows as the body.
#![no_main]

use camscan::proto::{backchannel, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((head, n))) = response::parse_head(data) {
        let body = data.get(n..).unwrap_or_default();
        match backchannel::classify(&head, body) {
            backchannel::Verdict::Yes {
                evidence, codec, ..
            } => {
                assert!(!evidence.is_empty());
                assert!(codec.len() <= 32);
            }
            backchannel::Verdict::No { evidence } => assert!(evidence.chars().count() <= 300),
            backchannel::Verdict::Unknown { .. } => {}
        }
    }
});
