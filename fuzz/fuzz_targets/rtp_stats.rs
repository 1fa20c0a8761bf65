//! The PLAY check's reading of RTP packets: `analyze::verify::RtpStats` fed device payloads and
//! timestamps in any order (keyframe detection through STAP-A/FU-A/AP/FU, the RFC 2435 JPEG size,
//! the distinct-timestamp frame rate with its gaps left out, the steadiness rule).
//!
//! Input: byte 0 picks the codec rule; then packets of [timestamp: 4 bytes BE][length: 1][payload].
#![no_main]

use analyze::verify::{KeyframeRule, RtpStats};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&rule, mut rest)) = data.split_first() else {
        return;
    };
    let rule = match rule % 4 {
        0 => KeyframeRule::H264,
        1 => KeyframeRule::H265,
        2 => KeyframeRule::Every,
        _ => KeyframeRule::Unknown,
    };
    let mut stats = RtpStats::new(rule, 90_000);
    while rest.len() >= 5 {
        let ts = i64::from(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]));
        let len = usize::from(rest[4]).min(rest.len() - 5);
        stats.push(ts, &rest[5..5 + len]);
        rest = &rest[5 + len..];
        if let Some(fps) = stats.fps() {
            assert!(fps.is_finite() && fps > 0.0, "fps {fps}");
        }
        let _ = stats.steady();
        let _ = stats.enough();
    }
    assert!(stats.frames() as usize <= 512);
});
