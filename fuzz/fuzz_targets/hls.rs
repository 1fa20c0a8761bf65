//! HLS playlists (`proto::hls`), read as `analyze::http` does (lossy UTF-8), with the variant
//! codecs and URIs it goes on to use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proto::h26x;
use proto::hls::{self, Playlist};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert!(hls::attribute_list(&text).len() <= hls::MAX_ATTRIBUTES);
    let Ok(playlist) = hls::parse(&text) else {
        return;
    };
    match playlist {
        Playlist::Master { variants } => {
            assert!(variants.len() <= hls::MAX_VARIANTS);
            for v in &variants {
                assert!(v.uri.len() <= hls::MAX_LINE);
                assert!(v.codecs.len() <= hls::MAX_CODECS);
                for c in &v.codecs {
                    let _ = hls::codec_name(c);
                    let _ = h26x::from_rfc6381(c);
                }
                let _ = hls::resolve("http://198.18.0.11/hls/live.m3u8", &v.uri);
            }
        }
        Playlist::Media {
            segments,
            segment_count,
            map,
            ..
        } => {
            if let Some(m) = &map {
                assert!(m.len() <= hls::MAX_LINE);
                let _ = hls::resolve("http://198.18.0.11/hls/live.m3u8", m);
            }
            assert!(segments.len() <= hls::MAX_SEGMENTS);
            assert!(segments.len() <= segment_count);
            for s in &segments {
                assert!(s.uri.len() <= hls::MAX_LINE);
                let _ = hls::resolve("http://198.18.0.11/hls/live.m3u8", &s.uri);
            }
        }
    }
});
