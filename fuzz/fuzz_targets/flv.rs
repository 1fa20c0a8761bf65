//! The start of an HTTP-FLV stream (`proto::flv::parse`), as `analyze::http` reads it: any prefix
//! of the bytes, and the facts it gives stay bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::flv::{self, FPS_FRAMES, MAX_TAGS};

fuzz_target!(|data: &[u8]| {
    let Ok(info) = flv::parse(data) else {
        return;
    };
    assert!(info.tags <= MAX_TAGS);
    assert!(info.frame_times.len() <= FPS_FRAMES);
    let _ = info.complete();
    if let Some(fps) = info.measured_fps() {
        assert!(fps > 0.0 && fps <= 1000.0);
    }
    let _ = (info.metadata.video_codec(), info.metadata.audio_codec());
    // A shorter read never knows more tags.
    let half = flv::parse(&data[..data.len() / 2])
        .map(|i| i.tags)
        .unwrap_or(0);
    assert!(half <= info.tags);
});
