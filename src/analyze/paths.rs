//! RTSP stream paths per vendor, ordered by evidence, and the channel schemes of multi-channel devices.
//!
//! Sources: `shared/PROTOCOLS.md` §4.10 (vendor manuals, Frigate, go2rtc, nmap and Cameradar route
//! lists). Popularity order follows the ispyconnect-derived model counts Strix publishes (`/11` 1952
//! models, Hikvision 789, Dahua 596, ...). When a device tells us who made it (its RTSP `Server`
//! header or realm today; MAC vendor, HTTP fingerprint and ONVIF answers once discovery supplies them),
//! that vendor's paths go first.

/// A vendor's stream paths, main stream first.
#[derive(Debug, Clone, Copy)]
pub struct VendorPaths {
    pub vendor: &'static str,
    pub paths: &'static [&'static str],
}

/// Every vendor, most common first. Channel 1 only; [`ChannelScheme`] walks the rest.
pub const VENDORS: &[VendorPaths] = &[
    VendorPaths {
        vendor: "hikvision",
        paths: &[
            "/Streaming/Channels/101",
            "/Streaming/Channels/102",
            "/h264/ch1/main/av_stream",
            "/h264/ch1/sub/av_stream",
        ],
    },
    VendorPaths {
        vendor: "xmeye",
        paths: &[
            "/11",
            "/12",
            "/user=admin&password=&channel=1&stream=0.sdp",
            "/ch0_0.264",
            "/live/ch00_0",
        ],
    },
    VendorPaths {
        vendor: "dahua",
        paths: &[
            "/cam/realmonitor?channel=1&subtype=0",
            "/cam/realmonitor?channel=1&subtype=1",
        ],
    },
    VendorPaths {
        vendor: "reolink",
        paths: &[
            "/Preview_01_main",
            "/Preview_01_sub",
            "/h264Preview_01_main",
            "/h264Preview_01_sub",
            "/h265Preview_01_main",
        ],
    },
    VendorPaths {
        vendor: "axis",
        paths: &["/axis-media/media.amp"],
    },
    VendorPaths {
        vendor: "uniview",
        paths: &[
            "/media/video1",
            "/media/video2",
            "/unicast/c1/s0/live",
            "/unicast/c1/s1/live",
        ],
    },
    VendorPaths {
        vendor: "tp-link",
        paths: &["/stream1", "/stream2"],
    },
    VendorPaths {
        vendor: "hanwha",
        paths: &["/profile2/media.smp", "/profile1/media.smp"],
    },
    VendorPaths {
        vendor: "vivotek",
        paths: &["/live.sdp", "/live2.sdp", "/live1s1.sdp"],
    },
    VendorPaths {
        vendor: "foscam",
        paths: &["/videoMain", "/videoSub"],
    },
    VendorPaths {
        vendor: "ubiquiti",
        paths: &["/live/ch0", "/live/ch1"],
    },
    VendorPaths {
        vendor: "bosch",
        paths: &["/?inst=1", "/?inst=2"],
    },
    VendorPaths {
        vendor: "onvif",
        paths: &[
            "/ch0",
            "/ch1",
            "/live/main",
            "/live/sub",
            "/live",
            "/onvif1",
        ],
    },
];

/// Vendor named by an RTSP `Server` header or auth realm (nmap service probes, Cameradar #347).
pub fn vendor_from_evidence(server: Option<&str>, realm: Option<&str>) -> Option<&'static str> {
    let s = server.unwrap_or_default().to_ascii_lowercase();
    let r = realm.unwrap_or_default().to_ascii_lowercase();
    let hit = |needle: &str| s.contains(needle) || r.contains(needle);
    Some(
        if hit("hikvision") || r.starts_with("ip camera(") || r == "hikvision" {
            "hikvision"
        } else if hit("dahua") {
            "dahua"
        } else if s.contains("h264dvr") || s.contains("xmeye") || s.contains("hipcam") {
            "xmeye"
        } else if hit("axis") {
            "axis"
        } else if hit("reolink") {
            "reolink"
        } else if hit("uniview") || hit("unv") {
            "uniview"
        } else if hit("tp-link") || hit("tapo") || hit("vigi") {
            "tp-link"
        } else if hit("samsung") || hit("wisenet") || hit("hanwha") {
            "hanwha"
        } else if hit("vivotek") {
            "vivotek"
        } else if hit("foscam") {
            "foscam"
        } else if hit("ubiquiti") || hit("ubnt") || hit("unifi") {
            "ubiquiti"
        } else if hit("bosch") {
            "bosch"
        } else {
            return None;
        },
    )
}

/// Paths to try: the user's first, then the hinted vendor's, then every vendor by popularity;
/// duplicates dropped, each starting with `/`.
pub fn candidates(extra: &[String], vendor: Option<&str>) -> Vec<String> {
    let hinted = VENDORS.iter().filter(|v| Some(v.vendor) == vendor);
    let rest = VENDORS.iter().filter(|v| Some(v.vendor) != vendor);
    let mut out: Vec<String> = Vec::new();
    let all = extra
        .iter()
        .map(String::as_str)
        .chain(hinted.chain(rest).flat_map(|v| v.paths.iter().copied()));
    for p in all {
        let p = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The channel number a path names in a vendor's channel scheme (Hikvision `/Streaming/Channels/201`
/// is 2, Dahua `channel=2`, Uniview `/unicast/c2/`, Reolink `_02_`), if any.
pub fn channel_of(path: &str) -> Option<u32> {
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    let lower = path.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("/streaming/channels/") {
        let id = digits(rest)?;
        return (id >= 100).then_some(id / 100);
    }
    if let Some(at) = lower.find("channel=") {
        return digits(&lower[at + "channel=".len()..]);
    }
    if let Some(rest) = lower.strip_prefix("/unicast/c") {
        return digits(rest);
    }
    for prefix in ["/preview_", "/h264preview_", "/h265preview_"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return digits(rest);
        }
    }
    None
}

/// `true` when both paths name a channel and the channels differ: two channels of an NVR with the
/// same camera model give the same description and are still two streams.
pub fn different_channels(a: &str, b: &str) -> bool {
    matches!((channel_of(a), channel_of(b)), (Some(x), Some(y)) if x != y)
}

/// Most channels walked on one device (large NVRs have 64).
pub const MAX_CHANNELS: u32 = 64;

/// How a vendor numbers channels and streams in its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelScheme {
    /// `/Streaming/Channels/<ch><01|02>`
    Hikvision,
    /// `/cam/realmonitor?channel=<ch>&subtype=<0|1>`
    Dahua,
    /// `/unicast/c<ch>/s<0|1>/live`
    Uniview,
    /// `/Preview_<cc>_main|sub` (and the older `h264Preview_` form)
    Reolink { prefix: &'static str },
}

impl ChannelScheme {
    /// The scheme a found channel-1 path belongs to, if any.
    pub fn of(path: &str) -> Option<ChannelScheme> {
        Some(match path {
            "/Streaming/Channels/101" | "/Streaming/Channels/102" => ChannelScheme::Hikvision,
            p if p.starts_with("/cam/realmonitor?channel=1&subtype=") => ChannelScheme::Dahua,
            p if p.starts_with("/unicast/c1/") => ChannelScheme::Uniview,
            p if p.starts_with("/Preview_01_") => ChannelScheme::Reolink { prefix: "Preview" },
            p if p.starts_with("/h264Preview_01_") => ChannelScheme::Reolink {
                prefix: "h264Preview",
            },
            _ => return None,
        })
    }

    /// Main and sub stream paths of channel `ch` (1-based).
    pub fn paths(self, ch: u32) -> [String; 2] {
        match self {
            ChannelScheme::Hikvision => [
                format!("/Streaming/Channels/{ch}01"),
                format!("/Streaming/Channels/{ch}02"),
            ],
            ChannelScheme::Dahua => [
                format!("/cam/realmonitor?channel={ch}&subtype=0"),
                format!("/cam/realmonitor?channel={ch}&subtype=1"),
            ],
            ChannelScheme::Uniview => [
                format!("/unicast/c{ch}/s0/live"),
                format!("/unicast/c{ch}/s1/live"),
            ],
            ChannelScheme::Reolink { prefix } => [
                format!("/{prefix}_{ch:02}_main"),
                format!("/{prefix}_{ch:02}_sub"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_paths_first_and_deduplicated() {
        let c = candidates(&["my/cam".into(), "/11".into()], None);
        assert_eq!(&c[..3], ["/my/cam", "/11", "/Streaming/Channels/101"]);
        assert_eq!(c.iter().filter(|p| *p == "/11").count(), 1);
    }

    #[test]
    fn evidence_puts_the_vendor_first() {
        let c = candidates(&[], Some("dahua"));
        assert_eq!(c[0], "/cam/realmonitor?channel=1&subtype=0");
        assert_eq!(
            vendor_from_evidence(Some("Dahua Rtsp Server"), None),
            Some("dahua")
        );
        assert_eq!(
            vendor_from_evidence(None, Some("IP Camera(C1234)")),
            Some("hikvision")
        );
        assert_eq!(
            vendor_from_evidence(Some("H264DVR 1.0"), None),
            Some("xmeye")
        );
        assert_eq!(
            vendor_from_evidence(Some("GStreamer RTSP server"), None),
            None
        );
    }

    #[test]
    fn channel_numbers_of_paths() {
        assert_eq!(channel_of("/Streaming/Channels/101"), Some(1));
        assert_eq!(channel_of("/Streaming/Channels/1202"), Some(12));
        assert_eq!(channel_of("/cam/realmonitor?channel=3&subtype=1"), Some(3));
        assert_eq!(channel_of("/unicast/c2/s0/live"), Some(2));
        assert_eq!(channel_of("/Preview_04_sub"), Some(4));
        assert_eq!(channel_of("/stream1"), None);
        assert_eq!(channel_of("/Streaming/Channels/"), None);
        assert!(different_channels(
            "/Streaming/Channels/101",
            "/Streaming/Channels/201"
        ));
        assert!(!different_channels(
            "/Streaming/Channels/101",
            "/Streaming/Channels/102"
        ));
        assert!(!different_channels("/stream1", "/Streaming/Channels/201"));
    }

    #[test]
    fn channel_schemes() {
        assert_eq!(
            ChannelScheme::of("/Streaming/Channels/101"),
            Some(ChannelScheme::Hikvision)
        );
        assert_eq!(
            ChannelScheme::Hikvision.paths(12),
            ["/Streaming/Channels/1201", "/Streaming/Channels/1202"]
        );
        assert_eq!(
            ChannelScheme::of("/cam/realmonitor?channel=1&subtype=0")
                .unwrap()
                .paths(3)[1],
            "/cam/realmonitor?channel=3&subtype=1"
        );
        assert_eq!(
            ChannelScheme::of("/Preview_01_main").unwrap().paths(2)[0],
            "/Preview_02_main"
        );
        assert_eq!(
            ChannelScheme::of("/unicast/c1/s0/live").unwrap().paths(4)[0],
            "/unicast/c4/s0/live"
        );
        assert_eq!(ChannelScheme::of("/11"), None);
    }
}
