//! Answers to a DESCRIBE that asked for the ONVIF backchannel (`proto::backchannel::classify`):
//! the reply head as `proto::response` reads it, and whatever follows as the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{backchannel, response, sdp_facts};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((head, n))) = response::parse_head(data) {
        let body = data.get(n..).unwrap_or_default();
        match backchannel::classify(&head, body) {
            backchannel::Verdict::Yes {
                evidence, codec, ..
            } => {
                assert!(!evidence.is_empty());
                // The device's encoding name as a short ASCII token (`sdp_facts::audio_codec`).
                assert!(
                    codec.len() <= sdp_facts::MAX_CODEC && codec.is_ascii(),
                    "{codec:?}"
                );
            }
            // The device's reason phrase or `Unsupported` value is kept to 120 characters, after
            // `551 ` or `Unsupported: `; an unknown answer's after `answered <status> `.
            backchannel::Verdict::No { evidence } => {
                assert!(
                    evidence.chars().count() <= "Unsupported: ".len() + 120,
                    "{evidence:?}"
                );
            }
            backchannel::Verdict::Unknown { note } => {
                assert!(
                    note.chars().count() <= "answered 65535 ".len() + 120,
                    "{note:?}"
                );
            }
        }
    }
});
