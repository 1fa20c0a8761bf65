//! Fragmented-MP4 boxes (`proto::mp4`): an init segment's tracks, then the frame rate of each track
//! from the same bytes read as a media segment (as `analyze::http` does with the first segment).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::mp4;

fuzz_target!(|data: &[u8]| {
    let _ = mp4::is_media_segment(data);
    // The same bytes as both halves, and split in two so a moov and a moof can each be whole.
    let split = data.len() / 2;
    for (init, segment) in [(data, data), (&data[..split], &data[split..])] {
        let Ok(parsed) = mp4::parse_init(init) else {
            continue;
        };
        assert!(parsed.tracks.len() <= mp4::MAX_TRACKS);
        for t in &parsed.tracks {
            if let Some(fps) = mp4::fragment_rate(segment, t) {
                assert!(fps.is_finite() && fps > 0.0 && fps <= 1000.0);
            }
        }
    }
});
