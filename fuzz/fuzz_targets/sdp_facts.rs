//! The fallback reader of RTSP descriptions: `proto::sdp::parse_for` with its repairs, then
//! `proto::sdp_facts` on each media section (H.264 SPS via h264-reader, H.265 VPS/SPS, MPEG-4
//! Visual config, AAC AudioSpecificConfig and LATM StreamMuxConfig), and the same bytes fed
//! straight to the parameter-set decoders behind those facts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::{h26x, h265, mp4, mp4v, sdp, sdp_facts};

/// The facts a decoder may give: a plausible rate, a non-empty picture.
fn check_video(v: &model::VideoInfo) {
    if let Some(fps) = v.fps {
        assert!(fps.is_finite() && fps > 0.0, "fps {fps}");
    }
    assert!(v.width != Some(0) && v.height != Some(0), "{v:?}");
    assert_eq!(v.fps.is_some(), v.fps_source.is_some(), "{v:?}");
}

fuzz_target!(|data: &[u8]| {
    let sd = sdp::parse_for(data, "rtsp://192.0.2.1:554/live");
    assert!(sd.media.len() <= sdp::MAX_MEDIA);
    for m in &sd.media {
        let v = sdp_facts::video(m);
        check_video(&v);
        let a = sdp_facts::audio(m);
        // Codec names are short ASCII tokens, whatever the device named (`sdp_facts::MAX_CODEC`).
        for codec in [&v.codec, &a.codec] {
            assert!(
                codec.len() <= sdp_facts::MAX_CODEC && codec.is_ascii(),
                "{codec:?}"
            );
        }
    }
    let notes = sdp_facts::repair_notes(&sd, true);
    assert_eq!(notes.len(), sd.repairs.len());
    assert!(sdp_facts::repair_notes(&sd, false).len() <= notes.len());

    // The same bytes as a parameter set or configuration header.
    for facts in [h265::sps(data), h265::vps(data)].into_iter().flatten() {
        let _ = h26x::from_rfc6381(&facts.ptl.rfc6381());
        assert!(facts.fps.is_none_or(|f| f > 0.0 && f <= 1000.0));
    }
    let c = mp4v::parse_config(data);
    assert!(c.fps.is_none_or(|f| f > 0.0 && f <= 1000.0));
    let _ = c.profile_level();
    let _ = mp4::audio_config(data);
    let _ = h26x::h264_sps(data);
});
