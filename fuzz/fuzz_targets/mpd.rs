//! MPEG-DASH manifests (`proto::mpd`), read as `analyze::http` does (lossy UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{hls, mpd};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mpd::frame_rate(&text);
    let _ = mpd::duration(&text);
    let Some(m) = mpd::parse(&text) else {
        return;
    };
    assert!(m.representations.len() <= mpd::MAX_REPRESENTATIONS);
    for r in &m.representations {
        let _ = (r.is_video(), r.is_audio());
        if let Some(c) = &r.codecs {
            let _ = hls::codec_name(c);
        }
        if let Some(t) = &r.template {
            assert!(t.timeline.len() <= mpd::MAX_TIMELINE);
        }
        let _ = r.newest_segment();
    }
});
