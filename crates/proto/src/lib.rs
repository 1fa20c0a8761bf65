//! Pure parsers of bytes that come from devices. No tokio, no sockets: every function here takes a slice
//! and returns a value or a typed error, never panics, and bounds what it keeps. Each is a fuzz target.

#![deny(clippy::print_stdout, clippy::print_stderr)]

/// What camscan calls itself in RTSP, HTTP and SSDP requests.
pub const USER_AGENT: &str = concat!("camscan/", env!("CARGO_PKG_VERSION"));

/// A text field of a binary answer (fixed-size or length-prefixed): lossy UTF-8 without its NUL
/// padding and surrounding white space; `None` when nothing is left.
pub(crate) fn padded_text(v: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(v);
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

pub mod arp;
pub mod auth;
pub mod backchannel;
pub mod bits;
pub mod bosch;
pub mod dahua_remote;
pub mod dhip;
pub mod dvrip;
pub mod ffprobe;
pub mod flv;
pub mod foscam;
pub mod greeting;
pub mod h265;
pub mod h26x;
pub mod hanwha;
pub mod hls;
pub mod html;
pub mod http;
pub mod icmp;
pub mod icmpv6;
pub mod isapi_channels;
pub mod mdns;
pub mod mjpeg;
pub mod mp4;
pub mod mp4v;
pub mod mpd;
pub mod neigh;
pub mod onvif_caps;
pub mod response;
pub mod rtmp;
pub mod rtp;
pub mod sadp;
pub mod sdp;
pub mod sdp_facts;
pub mod snmp;
pub mod soap;
pub mod sony;
pub mod ssdp;
pub mod stun;
pub mod tls_hello;
pub mod ts;
pub mod ubiquiti;
pub mod vivotek;
pub mod whep;
pub mod wsd;
pub mod x509;
pub mod xml;

/// Text a device sent, as a field keeps it: control characters dropped, at most `max` characters,
/// trimmed; `None` when nothing is left.
pub(crate) fn device_text(text: &str, max: usize) -> Option<String> {
    let s: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The bytes of the workspace's `tests/fixtures/<path>`: how this crate's unit tests load captured
/// device answers and media, the files the main crate's tests and the fuzz seeds share (the main
/// crate has its own `test_fixture`: a `#[cfg(test)]` item is not seen from another crate).
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
