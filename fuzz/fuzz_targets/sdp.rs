//! SDP bodies of RTSP DESCRIBE replies (`proto::sdp`), and what `analyze::rtsp` reads from each
//! media section: encoding, clock, and the H.264 `profile-level-id`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{h26x, sdp};

fuzz_target!(|data: &[u8]| {
    let sd = sdp::parse(data);
    assert!(sd.media.len() <= sdp::MAX_MEDIA);
    for m in &sd.media {
        let _ = m.encoding_name();
        let _ = m.clock();
        if let Some(hex) = m.fmtp_param("profile-level-id") {
            let _ = h26x::h264_from_hex(hex);
        }
        let _ = m.fmtp_param("sprop-parameter-sets");
    }
});
