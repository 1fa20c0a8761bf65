//! What the configuration exports (go2rtc, Frigate, MediaMTX, the Home Assistant sheet) share:
//! which streams a camera has, which is its main and which its sub stream, its name
//! ([`super::names`](mod@super::names)), and how a URL is written into another tool's configuration.
//!
//! A stream is exported when it opened (`status: ok`: described, and verified unless `--no-verify`),
//! is not an alias of another (`same_as`), and carries video; still images (`jpeg`) and WHEP
//! endpoints are not streams these tools pull (a DASH manifest only go2rtc takes, through ffmpeg). A multi-channel device (an NVR) has one
//! camera per channel, told apart by the vendor channel schemes camscan walks. Within a camera the
//! main stream is the largest picture (measured size first, else the described one), RTSP before
//! other protocols at equal size, then report order; the sub stream is the largest one after it
//! with a smaller known picture. Further streams of a camera are left out.
//!
//! Credentials: the report's URLs carry a password only under `--show-credentials`; then they are
//! written as they are. Otherwise a stream opened with a user name gets that user name (percent-
//! encoded, RFC 3986 §3.2.1) and, for the password, the reference the tool expands
//! (`${CAMSCAN_FRONT_DOOR_PASSWORD}` for go2rtc, `{FRIGATE_FRONT_DOOR_PASSWORD}` for Frigate).
//! Every URL is made plain ASCII: bytes RFC 3986 does not allow in a URI (spaces, controls, quotes,
//! `{`, `}`, non-ASCII) and `#` (a fragment is never sent to a camera, but go2rtc reads its own
//! options after `#`) are percent-encoded, so a device-supplied path can neither break a line nor
//! smuggle a `${VARIABLE}` of its own into a configuration that expands them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::names::{self, Names, Wanted};
use model::{Device, OnvifProfile, Protocol, Report, Stream};

/// What a tool with a configuration export can pull, declared by its exporter (`frigate::TOOL`,
/// `go2rtc::TOOL`, `mediamtx::TOOL`, `ha_sheet::TOOL`) and taken by its push tool too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The stream protocols it opens.
    pub accepts: &'static [Protocol],
}

impl Tool {
    /// Whether it opens a stream of protocol `p`.
    pub fn accepts(self, p: Protocol) -> bool {
        self.accepts.contains(&p)
    }
}

pub use model::roles::{channel, exportable, main_and_sub};

/// The stream's video codec as camscan names it (`h264`, `h265`, `mjpeg`, ...), lowercase.
pub fn codec(s: &Stream) -> Option<String> {
    s.video
        .as_ref()
        .map(|v| v.codec.trim().to_ascii_lowercase())
}

/// Motion JPEG: an HTTP multipart stream, or JPEG frames over RTSP (RTP/JPEG).
pub fn is_mjpeg(s: &Stream) -> bool {
    s.protocol == Protocol::Mjpeg || matches!(codec(s).as_deref(), Some("mjpeg" | "jpeg"))
}

/// H.265 video.
pub fn is_h265(s: &Stream) -> bool {
    matches!(codec(s).as_deref(), Some("h265" | "hevc"))
}

/// The RTSP transport the PLAY check received media over (`tcp` or `udp`), for an RTSP stream
/// that was measured; the one transport known to work with this camera.
pub fn rtsp_transport(s: &Stream) -> Option<&'static str> {
    if s.protocol != Protocol::Rtsp {
        return None;
    }
    match s.measured.as_ref()?.transport.as_str() {
        "tcp" => Some("tcp"),
        "udp" => Some("udp"),
        _ => None,
    }
}

/// Whether the device's ONVIF service answered camscan: it listed media profiles. A device that
/// only announced itself over WS-Discovery, and whose device service then refused the connection
/// or every credential, has none (its failures are recorded on the device).
pub fn onvif_answered(d: &Device) -> bool {
    d.onvif.as_ref().is_some_and(|o| !o.profiles.is_empty())
}

/// The picture size: measured from the media when the PLAY check read it, else described.
pub fn size(s: &Stream) -> Option<(u32, u32)> {
    let measured = s.measured.as_ref().and_then(|m| m.width.zip(m.height));
    let described = s.video.as_ref().and_then(|v| v.width.zip(v.height));
    measured.or(described).filter(|&(w, h)| w > 0 && h > 0)
}

/// One camera: a device, or one channel of a multi-channel device.
#[derive(Debug, Clone)]
pub struct Camera<'a> {
    pub device: &'a Device,
    pub names: Names,
    pub main: &'a Stream,
    pub sub: Option<&'a Stream>,
}

/// What one export writes: its cameras in report order, and the camera devices it leaves out.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    pub cameras: Vec<Camera<'a>>,
    /// Devices that are cameras or have streams, but no stream this tool can take.
    pub skipped: Vec<IpAddr>,
}

/// The cameras of `report` for `tool`. Names are given over every exportable stream of the
/// report, whatever the tool, so a device has the same name in every export.
pub fn plan(report: &Report, tool: Tool) -> Plan<'_> {
    // Per device: channel -> exportable streams, report order.
    let mut groups: Vec<(&Device, BTreeMap<u32, Vec<&Stream>>)> = Vec::new();
    for d in &report.devices {
        let mut by_channel: BTreeMap<u32, Vec<&Stream>> = BTreeMap::new();
        for s in d.streams.iter().filter(|s| exportable(s)) {
            by_channel.entry(channel(&s.url)).or_default().push(s);
        }
        if !by_channel.is_empty() {
            groups.push((d, by_channel));
        }
    }
    let wanted: Vec<Wanted<'_>> = groups
        .iter()
        .map(|(device, by_channel)| Wanted {
            device,
            channels: by_channel
                .iter()
                .map(|(ch, streams)| (*ch, main_and_sub(streams).is_some_and(|(_, s)| s.is_some())))
                .collect(),
        })
        .collect();
    let mut names = names::assign(&wanted);
    let mut cameras = Vec::new();
    let mut skipped = Vec::new();
    let mut groups = groups.into_iter().enumerate().peekable();
    for d in &report.devices {
        let mut found = false;
        if let Some((i, (_, by_channel))) = groups.next_if(|(_, (g, _))| std::ptr::eq(*g, d)) {
            for (ch, streams) in by_channel {
                let taken: Vec<&Stream> = streams
                    .into_iter()
                    .filter(|s| tool.accepts(s.protocol))
                    .collect();
                if let Some((main, sub)) = main_and_sub(&taken) {
                    let names = names.remove(&(i, ch)).expect("a name for every channel");
                    cameras.push(Camera {
                        device: d,
                        names,
                        main,
                        sub,
                    });
                    found = true;
                }
            }
        }
        if !found && (d.is_camera || !d.streams.is_empty()) {
            skipped.push(d.ip);
        }
    }
    Plan { cameras, skipped }
}

/// RFC 3986 §2: unreserved, gen-delims but `#`, sub-delims, and `%` (already encoded octets).
fn uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?[]@!$&'()*+,;=%".contains(&b)
}

/// `url` with every byte a URI does not allow, and `#`, percent-encoded (see the module docs).
pub fn safe_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for &b in url.as_bytes() {
        if uri_char(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub use model::encode_userinfo;

/// `url` as ffmpeg reads it (Frigate's inputs, Home Assistant's stream): an IPv6 zone written
/// `%` in the brackets, not RFC 6874's `%25`. ffmpeg 5.1 refuses `rtsp://[fe80::21%25eth0]:554/`
/// ("Port missing in uri") and plays `rtsp://[fe80::21%eth0]:554/` (measured in camscan's IPv6
/// lab; docs/design/protocols.md), where Go's `net/url` (go2rtc, MediaMTX) wants `%25`.
pub fn for_ffmpeg(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(host_end);
    match (authority.find('['), authority.find(']')) {
        (Some(open), Some(close)) if open < close => {
            let host = authority[open..close].replacen("%25", "%", 1);
            format!(
                "{scheme}://{}{host}{}{tail}",
                &authority[..open],
                &authority[close..]
            )
        }
        _ => url.to_string(),
    }
}

/// The userinfo of `url` (`user:pass` of `rtsp://user:pass@host/`), if it has one.
pub fn userinfo(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

/// The URL to write for `s`: as scanned when it carries credentials (`--show-credentials`) or
/// needs none; else with its user name and `password` (the tool's reference to it), if given
/// (`None`: the user name alone, for a tool that cannot take a reference).
pub fn stream_url(s: &Stream, password: Option<&str>) -> String {
    let url = safe_url(&s.url);
    let Some(user) = s.username.as_deref() else {
        return url;
    };
    if userinfo(&url).is_some() {
        return url;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let user = encode_userinfo(user);
    match password {
        Some(p) => format!("{scheme}://{user}:{p}@{rest}"),
        None => format!("{scheme}://{user}@{rest}"),
    }
}

/// Whether the URL written for `s` needs a password from the user (it was opened with a user
/// name and the report does not show the password).
pub fn needs_password(s: &Stream) -> bool {
    s.username.is_some() && userinfo(&s.url).is_none()
}

/// Where a device's ONVIF device service answered: from the first `http://` XAddr of its
/// WS-Discovery answer (`0.0.0.0` already rewritten to the sender by the scan); `None` where the
/// service did not answer ([`onvif_answered`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnvifService {
    /// Host as a URL writes it (`[fd00::1]` for IPv6).
    pub host: String,
    pub port: u16,
    /// The device service path; `/onvif/device_service` is the ONVIF default.
    pub path: String,
}

pub fn onvif_service(d: &Device) -> Option<OnvifService> {
    if !onvif_answered(d) {
        return None;
    }
    let onvif = d.onvif.as_ref()?;
    onvif.xaddrs.iter().find_map(|x| {
        let u = url::Url::parse(x.trim()).ok()?;
        if u.scheme() != "http" {
            return None;
        }
        let host = match u.host()? {
            url::Host::Ipv6(a) => format!("[{a}]"),
            h => h.to_string(),
        };
        Some(OnvifService {
            host: safe_url(&host),
            port: u.port_or_known_default()?,
            path: safe_url(u.path()),
        })
    })
}

/// The ONVIF profile whose stream URI is `s`'s URL, with its index in the device's list.
pub fn onvif_profile<'a>(d: &'a Device, s: &Stream) -> Option<(usize, &'a OnvifProfile)> {
    let plain = |u: &str| match userinfo(u) {
        Some(info) => u.replacen(&format!("{info}@"), "", 1),
        None => u.to_string(),
    };
    let url = plain(&s.url);
    d.onvif
        .as_ref()?
        .profiles
        .iter()
        .enumerate()
        .find(|(_, p)| {
            p.stream_uri
                .as_deref()
                .is_some_and(|uri| plain(uri.trim()) == url)
        })
}

/// A still image of the camera: the ONVIF snapshot URI of the main stream's profile (else of the
/// first profile that has one), else a JPEG snapshot URL the scan found on the device.
pub fn snapshot(d: &Device, main: &Stream) -> Option<String> {
    let profiles = d
        .onvif
        .as_ref()
        .map(|o| o.profiles.as_slice())
        .unwrap_or(&[]);
    onvif_profile(d, main)
        .and_then(|(_, p)| p.snapshot_uri.clone())
        .or_else(|| profiles.iter().find_map(|p| p.snapshot_uri.clone()))
        .or_else(|| {
            d.streams
                .iter()
                .find(|s| s.protocol == Protocol::Jpeg && s.status.answers())
                .map(|s| s.url.clone())
        })
        .map(|u| safe_url(u.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use model::{Measured, VideoInfo};

    fn stream(url: &str, w: u32, h: u32) -> Stream {
        Stream {
            video: Some(VideoInfo {
                width: Some(w),
                height: Some(h),
                ..VideoInfo::new("h264".into())
            }),
            ..Stream::new(url.into(), Protocol::Rtsp, 554)
        }
    }

    #[test]
    fn ffmpeg_gets_a_bare_zone() {
        assert_eq!(
            for_ffmpeg("rtsp://admin:{P}@[fe80::21%25eth0]:554/live?x=%25"),
            "rtsp://admin:{P}@[fe80::21%eth0]:554/live?x=%25"
        );
        assert_eq!(
            for_ffmpeg("rtsp://[fd00::21]:554/live"),
            "rtsp://[fd00::21]:554/live"
        );
        assert_eq!(for_ffmpeg("rtsp://10.0.0.5/a%25"), "rtsp://10.0.0.5/a%25");
    }

    #[test]
    fn main_is_the_largest_and_sub_the_next_smaller() {
        let a = stream("rtsp://h/Streaming/Channels/102", 640, 360);
        let b = stream("rtsp://h/Streaming/Channels/101", 2688, 1520);
        let c = stream("rtsp://h/Streaming/Channels/103", 352, 288);
        let (main, sub) = main_and_sub(&[&a, &b, &c]).unwrap();
        assert_eq!(
            (main.url.as_str(), sub.unwrap().url.as_str()),
            (b.url.as_str(), a.url.as_str())
        );
        // The measured size wins over the described one (an MJPEG camera whose SDP says nothing
        // true).
        let mut m = stream("rtsp://h/mjpeg", 320, 240);
        m.measured = Some(Measured {
            transport: "tcp".into(),
            packets: 1,
            bytes: 1,
            fps: None,
            bitrate_kbps: None,
            keyframe: true,
            duration_ms: 1,
            width: Some(3840),
            height: Some(2160),
        });
        assert_eq!(main_and_sub(&[&b, &m]).unwrap().0.url, "rtsp://h/mjpeg");
        // Same size in two protocols: the RTSP one is the main, and neither is a sub.
        let mut rtmp = stream("rtmp://h/live/cam", 2688, 1520);
        rtmp.protocol = Protocol::Rtmp;
        let (main, sub) = main_and_sub(&[&rtmp, &b]).unwrap();
        assert_eq!(
            (main.protocol, sub.map(|s| s.url.as_str())),
            (Protocol::Rtsp, None)
        );
        // Unknown sizes: report order, and no sub.
        let mut x = stream("rtsp://h/1", 1, 1);
        let mut y = stream("rtsp://h/2", 1, 1);
        x.video = Some(VideoInfo::new("h264".into()));
        y.video = Some(VideoInfo::new("h264".into()));
        let (main, sub) = main_and_sub(&[&x, &y]).unwrap();
        assert_eq!((main.url.as_str(), sub.is_none()), ("rtsp://h/1", true));
        assert!(main_and_sub(&[]).is_none());
    }

    #[test]
    fn urls_with_user_names_and_references() {
        let mut s = stream("rtsp://198.18.0.5:554/a b{x}\n#frag", 1, 1);
        assert_eq!(
            stream_url(&s, Some("${P}")),
            "rtsp://198.18.0.5:554/a%20b%7Bx%7D%0A%23frag"
        );
        s.username = Some("ad min@site:x".into());
        assert!(needs_password(&s));
        assert_eq!(
            stream_url(&s, Some("${CAMSCAN_X_PASSWORD}")),
            "rtsp://ad%20min%40site%3Ax:${CAMSCAN_X_PASSWORD}@198.18.0.5:554/a%20b%7Bx%7D%0A%23frag"
        );
        assert_eq!(
            stream_url(&s, None),
            "rtsp://ad%20min%40site%3Ax@198.18.0.5:554/a%20b%7Bx%7D%0A%23frag"
        );
        // --show-credentials: the scan already wrote them; nothing is added.
        s.url = "rtsp://admin:p%40ss@198.18.0.5:554/a".into();
        s.username = Some("admin".into());
        assert!(!needs_password(&s));
        assert_eq!(
            stream_url(&s, Some("${P}")),
            "rtsp://admin:p%40ss@198.18.0.5:554/a"
        );
        assert_eq!(
            userinfo("rtsp://198.18.0.5/a@b"),
            None,
            "an @ in the path is no userinfo"
        );
        assert_eq!(safe_url("http://h/é"), "http://h/%C3%A9");
    }

    #[test]
    fn fixture_plan() {
        let report = fixtures::export_report();
        let plan = plan(&report, super::super::go2rtc::TOOL);
        let names: Vec<String> = plan
            .cameras
            .iter()
            .map(|c| c.names.camera(names::Style::Underscore))
            .collect();
        assert_eq!(
            names,
            [
                "camera_198_18_0_10",
                "on",
                "front_door",
                "garage_198_18_0_60",
                "garage_198_18_0_61",
                "entree_cafe",
                "nvr_198_18_0_80_ch2",
            ]
        );
        assert_eq!(plan.skipped, ["198.18.0.30".parse::<IpAddr>().unwrap()]);
        let frigate = super::plan(&report, super::super::frigate::TOOL);
        assert!(
            frigate.skipped.contains(&"198.18.0.70".parse().unwrap()),
            "an HLS-only camera is no Frigate input"
        );
        let door = &plan.cameras[2];
        assert!(door.main.url.ends_with("/101") && door.sub.unwrap().url.ends_with("/102"));
        assert_eq!(
            onvif_service(door.device),
            Some(OnvifService {
                host: "198.18.0.50".into(),
                port: 80,
                path: "/onvif/device_service".into()
            })
        );
        assert_eq!(onvif_profile(door.device, door.main).unwrap().0, 0);
        assert_eq!(onvif_profile(door.device, door.sub.unwrap()).unwrap().0, 1);
        assert_eq!(
            snapshot(door.device, door.main).as_deref(),
            Some("http://198.18.0.50/onvif-http/snapshot?Profile_1")
        );
    }
}
