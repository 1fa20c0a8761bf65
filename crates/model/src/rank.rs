//! Which of a device's streams is its main stream, and how a maker and model read together: one
//! rule for the table, the exports, the inventory and the web page. Pure functions of the model.

use super::{Device, Protocol, Stream};

/// The picture size: measured from the media when the PLAY check read it, else described.
pub fn size(s: &Stream) -> Option<(u32, u32)> {
    let measured = s.measured.as_ref().and_then(|m| m.width.zip(m.height));
    let described = s.video.as_ref().and_then(|v| v.width.zip(v.height));
    measured.or(described).filter(|&(w, h)| w > 0 && h > 0)
}

/// The picture area in pixels, 0 when the size is unknown.
pub fn area(s: &Stream) -> u64 {
    size(s).map_or(0, |(w, h)| u64::from(w) * u64::from(h))
}

/// What kind of picture a protocol gives, best first: moving video, Motion JPEG, a still image,
/// anything else (an HTTP page, a WebRTC signalling endpoint with nothing verified).
fn kind(p: Protocol) -> u8 {
    match p {
        Protocol::Rtsp
        | Protocol::Rtmp
        | Protocol::Hls
        | Protocol::Dash
        | Protocol::Webrtc
        | Protocol::Flv
        | Protocol::Ts => 0,
        Protocol::Mjpeg => 1,
        Protocol::Jpeg => 2,
        Protocol::Http | Protocol::Telnet | Protocol::Ftp | Protocol::Ssh => 3,
    }
}

/// Among equals, the protocol a user would rather open: RTSP (what cameras and NVRs are built
/// around), then RTMP, HLS, the others.
fn preference(p: Protocol) -> u8 {
    match p {
        Protocol::Rtsp => 0,
        Protocol::Rtmp => 1,
        Protocol::Hls => 2,
        Protocol::Flv | Protocol::Ts => 3,
        Protocol::Dash => 4,
        Protocol::Webrtc => 5,
        Protocol::Mjpeg => 6,
        Protocol::Jpeg => 7,
        Protocol::Http => 8,
        Protocol::Telnet | Protocol::Ftp | Protocol::Ssh => 9,
    }
}

/// The sort key of a stream as a main-stream candidate, smallest best: streams that opened first;
/// then video whose media the PLAY check received, video not (or not yet) verified, MJPEG, JPEG
/// snapshots, the rest; then the larger picture; then RTSP before the other protocols; then a
/// stream of its own before an alias of another (`same_as`). A stable sort keeps report order
/// for ties.
pub fn stream_rank(s: &Stream) -> (bool, u8, std::cmp::Reverse<u64>, u8, bool) {
    let k = kind(s.protocol);
    // Verified video first; unverified video after it but still before MJPEG and snapshots.
    let tier = match (k, s.verified) {
        (0, true) => 0,
        (0, false) => 1,
        (k, _) => k + 1,
    };
    (
        !s.status.answers(),
        tier,
        std::cmp::Reverse(area(s)),
        preference(s.protocol),
        s.same_as.is_some(),
    )
}

/// The streams in main-stream order (best first; report order breaks ties).
pub fn ranked<'a>(streams: impl IntoIterator<Item = &'a Stream>) -> Vec<&'a Stream> {
    let mut v: Vec<&Stream> = streams.into_iter().collect();
    v.sort_by_key(|s| stream_rank(s));
    v
}

/// The stream a user would open first: [`stream_rank`]'s best.
pub fn main_stream<'a>(streams: impl IntoIterator<Item = &'a Stream>) -> Option<&'a Stream> {
    streams.into_iter().min_by_key(|s| stream_rank(s))
}

impl Device {
    /// The device's main stream ([`main_stream`]).
    pub fn main_stream(&self) -> Option<&Stream> {
        main_stream(&self.streams)
    }
}

/// `vendor model` as a person reads it, without the vendor twice when the model already starts
/// with it (`AXIS M1065-L` by Axis reads `AXIS M1065-L`, not `Axis AXIS M1065-L`).
pub fn maker_and_model(vendor: Option<&str>, model: Option<&str>) -> Option<String> {
    let vendor = vendor.map(str::trim).filter(|v| !v.is_empty());
    let model = model.map(str::trim).filter(|m| !m.is_empty());
    match (vendor, model) {
        (Some(v), Some(m)) if model_names_vendor(v, m) => Some(m.to_string()),
        (Some(v), Some(m)) => Some(format!("{v} {m}")),
        (Some(v), None) => Some(v.to_string()),
        (None, Some(m)) => Some(m.to_string()),
        (None, None) => None,
    }
}

/// The model starts with the vendor's name as a word of its own (any case).
pub fn model_names_vendor(vendor: &str, model: &str) -> bool {
    let (v, m) = (vendor.trim(), model.trim());
    m.len() >= v.len()
        && !v.is_empty()
        && m.is_char_boundary(v.len())
        && m[..v.len()].eq_ignore_ascii_case(v)
        && m[v.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StreamStatus;
    use crate::{Measured, VideoInfo};

    fn stream(url: &str, protocol: Protocol, size: Option<(u32, u32)>, verified: bool) -> Stream {
        let mut s = Stream::new(url.into(), protocol, 80);
        s.verified = verified;
        if let Some((w, h)) = size {
            let mut v = VideoInfo::new("h264".into());
            v.width = Some(w);
            v.height = Some(h);
            s.video = Some(v);
        }
        s
    }

    #[test]
    fn video_by_size_then_mjpeg_then_snapshot() {
        // An ONVIF camera as the issue describes it: a snapshot URL found first (lowest port),
        // an MJPEG stream, RTSP sub and main streams.
        let snapshot = stream(
            "http://c/onvif/snapshot.jpg",
            Protocol::Jpeg,
            Some((1920, 1080)),
            true,
        );
        let mjpeg = stream(
            "http://c/mjpg/video.mjpg",
            Protocol::Mjpeg,
            Some((640, 480)),
            true,
        );
        let sub = stream("rtsp://c/sub", Protocol::Rtsp, Some((640, 360)), true);
        let main = stream("rtsp://c/main", Protocol::Rtsp, Some((1920, 1080)), true);
        let all = [snapshot.clone(), mjpeg.clone(), sub.clone(), main.clone()];
        assert_eq!(main_stream(&all).map(|s| &s.url), Some(&main.url));
        let order: Vec<&str> = ranked(&all).iter().map(|s| s.url.as_str()).collect();
        assert_eq!(order, [&main.url, &sub.url, &mjpeg.url, &snapshot.url]);
        // Without RTSP, MJPEG beats a snapshot however large; alone, the snapshot is the main.
        assert_eq!(
            main_stream([&snapshot, &mjpeg]).map(|s| &s.url),
            Some(&mjpeg.url)
        );
        assert_eq!(
            main_stream([&snapshot]).map(|s| &s.url),
            Some(&snapshot.url)
        );
    }

    #[test]
    fn verified_and_open_streams_first() {
        let mut locked = stream("rtsp://c/main", Protocol::Rtsp, Some((1920, 1080)), false);
        locked.status = StreamStatus::AuthRequired;
        let mjpeg = stream("http://c/video.mjpg", Protocol::Mjpeg, None, true);
        // A stream that did not open is never the main while one did.
        assert_eq!(
            main_stream([&locked, &mjpeg]).map(|s| &s.url),
            Some(&mjpeg.url)
        );
        // Video the PLAY check received beats larger video it did not.
        let unverified = stream("rtsp://c/a", Protocol::Rtsp, Some((3840, 2160)), false);
        let verified = stream("rtmp://c/b", Protocol::Rtmp, Some((1280, 720)), true);
        assert_eq!(
            main_stream([&unverified, &verified]).map(|s| &s.url),
            Some(&verified.url)
        );
        // Unverified video still beats MJPEG; equal sizes: RTSP before RTMP; the measured size wins.
        assert_eq!(
            main_stream([&mjpeg, &unverified]).map(|s| &s.url),
            Some(&unverified.url)
        );
        let rtmp = stream("rtmp://c/x", Protocol::Rtmp, Some((1280, 720)), true);
        let mut rtsp = stream("rtsp://c/y", Protocol::Rtsp, Some((640, 360)), true);
        assert_eq!(main_stream([&rtmp, &rtsp]).map(|s| &s.url), Some(&rtmp.url));
        rtsp.measured = Some(Measured {
            transport: "tcp".into(),
            packets: 1,
            bytes: 1,
            fps: None,
            bitrate_kbps: None,
            keyframe: true,
            duration_ms: 1,
            width: Some(1280),
            height: Some(720),
        });
        assert_eq!(main_stream([&rtmp, &rtsp]).map(|s| &s.url), Some(&rtsp.url));
        assert_eq!(main_stream(&[] as &[Stream]), None);
    }

    #[test]
    fn a_model_that_names_its_vendor_is_not_doubled() {
        let mm = |v: Option<&str>, m: Option<&str>| maker_and_model(v, m);
        assert_eq!(
            mm(Some("Axis"), Some("AXIS M1065-L")).as_deref(),
            Some("AXIS M1065-L")
        );
        assert_eq!(
            mm(Some("Axis"), Some("M1065-L")).as_deref(),
            Some("Axis M1065-L")
        );
        assert_eq!(
            mm(Some("Hikvision"), Some("HIKVISION-X")).as_deref(),
            Some("HIKVISION-X")
        );
        // A longer word that merely starts with the name is not the name.
        assert_eq!(
            mm(Some("Axis"), Some("Axisplus 3")).as_deref(),
            Some("Axis Axisplus 3")
        );
        assert_eq!(mm(Some("Axis"), None).as_deref(), Some("Axis"));
        assert_eq!(mm(None, Some(" P3245 ")).as_deref(), Some("P3245"));
        assert_eq!(mm(Some(" "), None), None);
    }
}
