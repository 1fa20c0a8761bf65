//! H.264/H.265 profile and level names (`proto::h26x`) from the RFC 6381 codec string retina
//! derives from a stream's SPS, from SDP `profile-level-id`, and from HLS/DASH `CODECS`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{h26x, hls};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = h26x::from_rfc6381(&s);
    let _ = h26x::h264_from_hex(&s);
    let _ = hls::codec_name(&s);
    if let [profile, constraints, level, ..] = *data {
        let _ = h26x::h264_profile_name(profile, constraints);
        let _ = h26x::h264_level(level);
        let _ = h26x::h265_profile_name(profile);
    }
});
