//! RTSP stream paths per vendor, ordered by evidence, and the channel schemes of multi-channel devices.
//!
//! The paths are data: `data/rtsp_paths.yaml` (sources there: `shared/PROTOCOLS.md` §4.10, vendor
//! manuals, Frigate, go2rtc, nmap and Cameradar route lists; popularity order from the
//! ispyconnect-derived model counts Strix publishes), with the user's knowledge files before it
//! ([`crate::knowledge`]). When a device tells us who made it (its RTSP `Server` header or realm
//! today; MAC vendor, HTTP fingerprint and ONVIF answers once discovery supplies them), that
//! vendor's paths go first.

use crate::knowledge::{Knowledge, VendorId};

/// Vendor named by an RTSP `Server` header or auth realm: the registry's aliases and realm
/// prefixes (`data/vendors.yaml`; nmap service probes, Cameradar #347), first match in registry order.
pub fn vendor_from_evidence(server: Option<&str>, realm: Option<&str>) -> Option<VendorId> {
    crate::knowledge::get().vendor_named_in(server, realm)
}

/// Paths to try: the user's first, then the hinted vendor's, then every vendor by popularity;
/// duplicates dropped, each starting with `/`.
pub fn candidates(extra: &[String], vendor: Option<VendorId>) -> Vec<String> {
    candidates_in(crate::knowledge::get(), extra, vendor)
}

/// [`candidates`] from the RTSP paths of `k` (user entries, then the embedded ones).
pub fn candidates_in(k: &Knowledge, extra: &[String], vendor: Option<VendorId>) -> Vec<String> {
    let hinted_vendor = |v: &str| vendor.is_some_and(|h| h == v);
    let hinted = k.rtsp_paths.iter().filter(|v| hinted_vendor(&v.vendor));
    let rest = k.rtsp_paths.iter().filter(|v| !hinted_vendor(&v.vendor));
    let mut out: Vec<String> = Vec::new();
    let all = extra.iter().map(String::as_str).chain(
        hinted
            .chain(rest)
            .flat_map(|v| v.paths.iter().map(String::as_str)),
    );
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

    /// The id of the vendor the evidence names.
    fn named(server: Option<&str>, realm: Option<&str>) -> Option<&'static str> {
        vendor_from_evidence(server, realm).map(VendorId::as_str)
    }

    #[test]
    fn evidence_puts_the_vendor_first() {
        let c = candidates(&[], crate::knowledge::get().vendor("dahua"));
        assert_eq!(c[0], "/cam/realmonitor?channel=1&subtype=0");
        assert_eq!(named(Some("Dahua Rtsp Server"), None), Some("dahua"));
        assert_eq!(named(None, Some("IP Camera(C1234)")), Some("hikvision"));
        assert_eq!(named(Some("H264DVR 1.0"), None), Some("xmeye"));
        assert_eq!(named(Some("GStreamer RTSP server"), None), None);
    }

    #[test]
    fn user_paths_come_before_the_built_in_ones() {
        let file = "rtsp_paths:\n  - vendor: dahua\n    paths: [/dahua/extra]\n    source: our DVR\n  - vendor: axis\n    paths: [/axis/extra]\n    source: our encoder\n";
        let k: &'static Knowledge = Box::leak(Box::new(
            Knowledge::with_user_files(&[("mine.yaml".into(), file.into())]).unwrap(),
        ));
        // No vendor named: the user's paths first, then the built-in dictionary in its order.
        let c = candidates_in(k, &["/hint".into()], None);
        assert_eq!(
            c[..4],
            [
                "/hint",
                "/dahua/extra",
                "/axis/extra",
                "/Streaming/Channels/101"
            ]
        );
        assert_eq!(c.len(), candidates(&[], None).len() + 3);
        // The named vendor's paths, the user's first, then everyone else's.
        let c = candidates_in(k, &[], k.vendor("axis"));
        assert_eq!(
            c[..3],
            ["/axis/extra", "/axis-media/media.amp", "/dahua/extra"]
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
