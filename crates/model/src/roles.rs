//! Which stream is for what: the main stream records, a sub stream detects (when it suits
//! detection), and how a browser plays each stream. One rule for the capability sheet, the
//! exports (Frigate's `record` and `detect` roles) and camscan's own live page. Pure functions of
//! the model.
//!
//! Detection follows Frigate's guidance (`docs/docs/frigate/camera_setup.md`, "Choosing a detect
//! resolution" and "Choosing a detect frame rate"): the detector sees 320x320 regions, so a
//! stream of 640 pixels or more on its long side and at most 1080 on its short side gives it
//! enough to find people in without decoding 4K for nothing; 5 frames per second is "correct
//! for the vast majority of cameras", so a stream slower than that misses motion.
//!
//! Browser playback (what current browsers decode, as camscan's live page plays them):
//! H.264 plays everywhere, through Media Source Extensions (fragmented MP4) or WebRTC; H.265
//! only where the browser decodes it (Safari; Chrome and Edge with hardware HEVC decoding, and
//! over WebRTC from Chrome 136 on such hardware; not Firefox); Motion JPEG over HTTP is shown as
//! an image by every browser; other codecs need transcoding. No browser speaks RTSP or RTMP: the
//! stream reaches it through a relay (camscan serve, go2rtc) that repackages without
//! transcoding, which is what `via` names.

use super::capabilities::{BrowserSupport, Playback, StreamRole, StreamRoles};
use super::{Protocol, Stream, area, ranked, size};

/// Frigate's recommended detection rate, frames per second (see the module docs).
pub const DETECT_FPS: u64 = 5;

/// A stream a recorder or detector could take: it opened, is not an alias of another, carries
/// video, and is not a still image, a WebRTC signalling endpoint or a web page.
pub fn exportable(s: &Stream) -> bool {
    s.status.answers()
        && s.same_as.is_none()
        && s.video.is_some()
        && !matches!(
            s.protocol,
            Protocol::Jpeg | Protocol::Webrtc | Protocol::Http
        )
}

/// The channel a stream URL names in a vendor channel scheme (Hikvision `/Streaming/Channels/201`
/// is 2, Dahua `channel=2`, Uniview `/unicast/c2/`, Reolink `Preview_02_`), else 1. The same rules
/// as `analyze::paths::channel_of`, which walks these channels (a test keeps the two in step).
pub fn channel(url: &str) -> u32 {
    let path = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("", |i| &rest[i..]))
        .unwrap_or(url);
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    let lower = path.to_ascii_lowercase();
    let ch = if let Some(rest) = lower.strip_prefix("/streaming/channels/") {
        digits(rest).filter(|id| *id >= 100).map(|id| id / 100)
    } else if let Some(at) = lower.find("channel=") {
        digits(&lower[at + "channel=".len()..])
    } else if let Some(rest) = lower.strip_prefix("/unicast/c") {
        digits(rest)
    } else {
        ["/preview_", "/h264preview_", "/h265preview_"]
            .iter()
            .find_map(|p| lower.strip_prefix(p).and_then(digits))
    };
    ch.filter(|&c| c > 0).unwrap_or(1)
}

/// The main and sub stream among `streams` (in report order): the main stream by the one
/// main-stream order ([`super::stream_rank`]; stable, report order breaks ties), the sub stream
/// the best after it with a smaller known picture.
pub fn main_and_sub<'a>(streams: &[&'a Stream]) -> Option<(&'a Stream, Option<&'a Stream>)> {
    let sorted = ranked(streams.iter().copied());
    let main = *sorted.first()?;
    let sub = sorted
        .iter()
        .skip(1)
        .find(|s| size(s).is_some() && area(s) < area(main))
        .copied();
    Some((main, sub))
}

/// Whether a picture of this size suits detection (see the module docs).
pub fn detect_capable((w, h): (u32, u32)) -> bool {
    w.max(h) >= 640 && w.min(h) <= 1080
}

/// Why `s` does not suit detection, or `None` when it does: its size (unknown, too small, too
/// large) or a known frame rate below [`DETECT_FPS`].
pub fn unfit_for_detection(s: &Stream) -> Option<String> {
    let Some((w, h)) = size(s) else {
        return Some("its picture size is unknown".into());
    };
    if !detect_capable((w, h)) {
        return Some(if w.max(h) < 640 {
            format!("{w}x{h} is too small to find people in (640 on the long side at least)")
        } else {
            format!("{w}x{h} costs decoding for nothing (1080 on the short side at most)")
        });
    }
    let fps = s
        .measured
        .as_ref()
        .and_then(|m| m.fps)
        .or(s.video.as_ref().and_then(|v| v.fps));
    if let Some(f) = fps.filter(|f| f.is_finite() && *f > 0.0)
        && f < DETECT_FPS as f64 - 0.5
    {
        return Some(format!(
            "{f:.0} fps is below the {DETECT_FPS} fps detection wants"
        ));
    }
    None
}

/// The sub stream when it suits detection, else `None` (the main stream does both roles).
pub fn detecting_sub(sub: Option<&Stream>) -> Option<&Stream> {
    sub.filter(|s| unfit_for_detection(s).is_none())
}

/// `1920x1080 h264 25 fps`, what is known of a stream's picture.
fn described(s: &Stream) -> String {
    let mut parts = Vec::new();
    if let Some((w, h)) = size(s) {
        parts.push(format!("{w}x{h}"));
    }
    if let Some(v) = &s.video {
        parts.push(v.codec.clone());
        if let Some(f) = v.fps.filter(|f| f.is_finite() && *f > 0.0) {
            parts.push(format!("{} fps", (f * 100.0).round() / 100.0));
        }
    }
    if parts.is_empty() {
        s.protocol.as_str().to_string()
    } else {
        parts.join(" ")
    }
}

/// The record and detect streams of a device's first camera (the channel of its main stream),
/// each with its reason; `None` without a stream a recorder could take.
pub fn roles(streams: &[Stream]) -> Option<StreamRoles> {
    let candidates: Vec<&Stream> = streams.iter().filter(|s| exportable(s)).collect();
    let first = ranked(candidates.iter().copied()).first().copied()?;
    let ch = channel(&first.url);
    let same_channel: Vec<&Stream> = candidates
        .into_iter()
        .filter(|s| channel(&s.url) == ch)
        .collect();
    let (main, sub) = main_and_sub(&same_channel)?;
    let record = StreamRole {
        url: main.url.clone(),
        reason: format!(
            "the main stream: the largest picture{} ({})",
            if main.verified {
                ", its media received"
            } else {
                ""
            },
            described(main)
        ),
    };
    let detect = match (sub, detecting_sub(sub)) {
        (_, Some(s)) => StreamRole {
            url: s.url.clone(),
            reason: format!(
                "the sub stream ({}): enough to detect in, cheap to decode",
                described(s)
            ),
        },
        (Some(s), None) => StreamRole {
            url: main.url.clone(),
            reason: format!(
                "the main stream: the sub stream does not suit detection ({})",
                unfit_for_detection(s).unwrap_or_default()
            ),
        },
        (None, None) => StreamRole {
            url: main.url.clone(),
            reason: match unfit_for_detection(main) {
                None => "the main stream: no smaller stream was found".into(),
                Some(why) => format!("the main stream, though {why}: no smaller stream was found"),
            },
        },
    };
    Some(StreamRoles {
        record: Some(record),
        detect: Some(detect),
    })
}

/// Set `d`'s stream roles and browser playback from its streams (the registry when a scan ends,
/// and whoever changes a report's streams afterwards).
pub fn derive(d: &mut super::Device) {
    d.capabilities.roles = roles(&d.streams);
    d.capabilities.playback = d.streams.iter().filter_map(playback).collect();
}

/// How a browser plays `s` (see the module docs); `None` for a stream that did not open or is an
/// alias of another.
pub fn playback(s: &Stream) -> Option<Playback> {
    if !s.status.answers() || s.same_as.is_some() {
        return None;
    }
    let codec = s
        .video
        .as_ref()
        .map(|v| v.codec.trim().to_ascii_lowercase());
    let (browsers, via, reason): (BrowserSupport, &[&str], String) =
        match (s.protocol, codec.as_deref()) {
            (Protocol::Mjpeg, _) => (
                BrowserSupport::Everywhere,
                &["image"],
                "Motion JPEG over HTTP: every browser shows it as an image".into(),
            ),
            (Protocol::Jpeg, _) => (
                BrowserSupport::Everywhere,
                &["image"],
                "a still image".into(),
            ),
            (Protocol::Http | Protocol::Telnet | Protocol::Ftp | Protocol::Ssh, _) => return None,
            (_, Some("h265" | "hevc")) => (
                BrowserSupport::Some,
                &["mse", "webrtc"],
                "H.265: only where the browser decodes it (Safari; Chrome and Edge with hardware \
                 decoding, over WebRTC from Chrome 136); not Firefox"
                    .into(),
            ),
            (Protocol::Webrtc, None | Some("h264" | "vp8" | "vp9" | "av1")) => (
                BrowserSupport::Everywhere,
                &["webrtc"],
                "a WebRTC endpoint: browsers play it as it is".into(),
            ),
            (p, None | Some("h264")) => (
                BrowserSupport::Everywhere,
                if matches!(p, Protocol::Rtsp | Protocol::Rtmp) {
                    &["mse", "webrtc"]
                } else {
                    &["mse"]
                },
                if matches!(p, Protocol::Rtsp | Protocol::Rtmp) {
                    format!(
                        "H.264: every browser, through a relay that repackages {} (MSE or WebRTC)",
                        p.as_str().to_ascii_uppercase()
                    )
                } else {
                    "H.264: every browser, through Media Source Extensions".into()
                },
            ),
            (Protocol::Rtsp, Some("mjpeg" | "jpeg")) => (
                BrowserSupport::None,
                &[],
                "Motion JPEG over RTSP: no browser decodes it as video; a relay can serve its \
                 frames as MJPEG over HTTP"
                    .into(),
            ),
            (_, Some(other)) => (
                BrowserSupport::None,
                &[],
                format!("{other} video: no browser decodes it without transcoding"),
            ),
        };
    Some(Playback {
        url: s.url.clone(),
        browsers,
        via: via.iter().map(|v| v.to_string()).collect(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StreamStatus;
    use crate::{Measured, VideoInfo};

    fn stream(url: &str, codec: &str, size: (u32, u32), fps: Option<f64>) -> Stream {
        let mut s = Stream::new(url.into(), Protocol::Rtsp, 554);
        let mut v = VideoInfo::new(codec.into());
        v.width = Some(size.0);
        v.height = Some(size.1);
        v.fps = fps;
        s.video = Some(v);
        s.verified = true;
        s
    }

    #[test]
    fn the_main_stream_records_and_a_fit_sub_stream_detects() {
        let main = stream(
            "rtsp://c/Streaming/Channels/101",
            "h265",
            (2560, 1440),
            Some(25.0),
        );
        let sub = stream(
            "rtsp://c/Streaming/Channels/102",
            "h264",
            (640, 360),
            Some(15.0),
        );
        let r = roles(&[sub.clone(), main.clone()]).unwrap();
        assert_eq!(r.record.as_ref().unwrap().url, main.url);
        assert!(r.record.unwrap().reason.contains("2560x1440 h265 25 fps"));
        let d = r.detect.unwrap();
        assert_eq!(d.url, sub.url);
        assert!(
            d.reason.starts_with("the sub stream (640x360 h264 15 fps)"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn a_sub_stream_too_small_or_too_slow_leaves_detection_to_the_main_stream() {
        let main = stream("rtsp://c/main", "h264", (1920, 1080), Some(25.0));
        let cif = stream("rtsp://c/sub", "h264", (352, 288), Some(15.0));
        let d = roles(&[main.clone(), cif]).unwrap().detect.unwrap();
        assert_eq!(d.url, main.url);
        assert!(d.reason.contains("352x288 is too small"), "{}", d.reason);

        let mut slow = stream("rtsp://c/sub", "h264", (640, 360), Some(1.0));
        slow.measured = Some(Measured {
            transport: "tcp".into(),
            packets: 10,
            bytes: 1000,
            fps: Some(1.0),
            bitrate_kbps: None,
            keyframe: true,
            duration_ms: 2000,
            width: None,
            height: None,
        });
        let d = roles(&[main.clone(), slow]).unwrap().detect.unwrap();
        assert_eq!(d.url, main.url);
        assert!(
            d.reason.contains("1 fps is below the 5 fps"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn roles_stay_within_the_main_streams_channel() {
        let ch1 = stream(
            "rtsp://n/Streaming/Channels/101",
            "h264",
            (1920, 1080),
            None,
        );
        let ch2_sub = stream("rtsp://n/Streaming/Channels/202", "h264", (640, 360), None);
        let d = roles(&[ch1.clone(), ch2_sub]).unwrap().detect.unwrap();
        assert_eq!(d.url, ch1.url, "channel 2's sub stream is another camera's");
        assert!(roles(&[]).is_none());
    }

    #[test]
    fn playback_follows_the_codec_and_protocol() {
        let h264 = playback(&stream("rtsp://c/a", "h264", (1280, 720), None)).unwrap();
        assert_eq!(h264.browsers, BrowserSupport::Everywhere);
        assert_eq!(h264.via, ["mse", "webrtc"]);
        let h265 = playback(&stream("rtsp://c/b", "h265", (1280, 720), None)).unwrap();
        assert_eq!(h265.browsers, BrowserSupport::Some);
        assert!(h265.reason.contains("Safari"));
        let rtsp_mjpeg = playback(&stream("rtsp://c/c", "mjpeg", (640, 480), None)).unwrap();
        assert_eq!(rtsp_mjpeg.browsers, BrowserSupport::None);
        let mut http_mjpeg = stream("http://c/video.mjpg", "mjpeg", (640, 480), None);
        http_mjpeg.protocol = Protocol::Mjpeg;
        assert_eq!(playback(&http_mjpeg).unwrap().via, ["image"]);
        let mut refused = stream("rtsp://c/d", "h264", (1, 1), None);
        refused.status = StreamStatus::AuthRequired;
        assert!(playback(&refused).is_none());
    }
}
