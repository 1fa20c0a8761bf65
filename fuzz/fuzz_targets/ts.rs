//! MPEG-TS segments (`proto::ts`): the PMT's streams, the first ADTS header, and the first H.264 SPS
//! decoded by `proto::h26x::h264_sps` (h264-reader), as `analyze::http` reads an HLS segment's first
//! 64 KiB.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{h26x, ts};

fuzz_target!(|data: &[u8]| {
    let _ = ts::looks_like_ts(data);
    let streams = ts::streams(data);
    assert!(streams.len() <= 32);
    for (t, _) in &streams {
        let _ = ts::codec(*t);
    }
    if let Some(sps) = ts::h264_sps(data) {
        assert_eq!(sps[0] & 0x1f, 7);
        if let Some(f) = h26x::h264_sps(&sps)
            && let Some(fps) = f.fps
        {
            assert!(fps.is_finite() && fps > 0.0 && fps <= 1000.0);
        }
    }
    if let Some(a) = ts::adts(data) {
        assert!(a.sample_rate >= 7350 && a.sample_rate <= 96000);
        assert!(a.channels.is_none_or(|c| (1..=8).contains(&c)));
    }
    // The SPS decoder on its own, for inputs that are one NAL unit.
    let _ = h26x::h264_sps(data);
});
