//! Deep looks at services found by `detect`: RTSP path discovery, SDP analysis (via retina) and PLAY
//! verification, the ONVIF device API, and the media an HTTP port serves (HLS, DASH, MJPEG, JPEG), RTMP servers' streams, and WebRTC infrastructure (STUN/TURN, gateway APIs).
//! Every network call is under a deadline.

pub mod budget;
pub mod context;
pub mod ffconcat;
pub mod ffprobe;
pub mod followed;
pub mod hints;
pub mod http;
pub mod identity;
pub mod onvif;
pub mod paths;
pub mod rtmp;
pub mod rtsp;
pub mod sessions;
pub mod slot;
pub mod verify;
pub mod webrtc;

/// The bytes of the workspace's `tests/fixtures/<path>`: how this crate's unit tests load captured
/// device answers and media, the files the main crate's tests and the fuzz seeds share (as proto's
/// and export's `test_fixture`: a `#[cfg(test)]` item is not seen from another crate).
#[cfg(test)]
pub(crate) fn test_fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// [`test_fixture`] as text.
#[cfg(test)]
pub(crate) fn test_fixture_str(path: &str) -> String {
    String::from_utf8(test_fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}
