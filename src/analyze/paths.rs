//! The RTSP paths tried on every RTSP port, in order, after the server's answer to `/`.
//!
//! A short list of the commonest vendor paths (`shared/PROTOCOLS.md` §4.10), most popular first by the
//! ispyconnect-derived model counts Strix publishes (`/11` 1952 models, Hikvision 789, Dahua 596, ...).
//! The deeper per-vendor dictionary and evidence-based ordering extend this list; `extra` paths from the
//! user are tried first.

/// Default candidate paths (main stream first, then sub stream, per vendor).
pub const COMMON_PATHS: &[&str] = &[
    // Hikvision (and HiLook, Annke, many OEMs): channel*100 + stream.
    "/Streaming/Channels/101",
    "/Streaming/Channels/102",
    // XMeye/HiSilicon OEMs and many generic cameras.
    "/11",
    "/12",
    // Dahua / Amcrest / Lorex.
    "/cam/realmonitor?channel=1&subtype=0",
    "/cam/realmonitor?channel=1&subtype=1",
    // Reolink (newer, then older firmware).
    "/Preview_01_main",
    "/Preview_01_sub",
    "/h264Preview_01_main",
    "/h264Preview_01_sub",
    // Axis.
    "/axis-media/media.amp",
    // Uniview IPC.
    "/media/video1",
    "/media/video2",
    // TP-Link Tapo / VIGI.
    "/stream1",
    "/stream2",
    // Hanwha / Samsung Wisenet.
    "/profile2/media.smp",
    // Vivotek.
    "/live.sdp",
    // Foscam (port 88).
    "/videoMain",
    // Ubiquiti standalone UVC, generic ONVIF/Thingino.
    "/live/ch0",
    "/ch0",
    "/live/main",
    "/live",
];

/// Paths to try: user paths first, then the defaults, duplicates dropped, each starting with `/`.
pub fn candidates(extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in extra
        .iter()
        .map(String::as_str)
        .chain(COMMON_PATHS.iter().copied())
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_paths_first_and_deduplicated() {
        let c = candidates(&["my/cam".into(), "/11".into()]);
        assert_eq!(&c[..2], ["/my/cam", "/11"]);
        assert_eq!(c.iter().filter(|p| *p == "/11").count(), 1);
        assert_eq!(c.len(), COMMON_PATHS.len() + 1);
    }
}
