//! Media facts from one SDP media section: codec, picture size, frame rate, profile and level,
//! RFC 6381 codec string, audio rate and channels.
//!
//! One function for both ways an RTSP description is read. When retina accepts the SDP, these
//! facts are the base its decoded parameters go on top of; when its strict parser rejects the SDP
//! (a camera's `o=` line without an address, a negative session version...), they are all there
//! is. So everything the SDP itself carries is decoded here, the parameter sets included:
//! H.264 `sprop-parameter-sets` (the SPS via h264-reader, as retina does), H.265 `sprop-sps` and
//! `sprop-vps` ([`h265`]), the MPEG-4 Visual `config=` headers ([`mp4v`]), and the AAC
//! AudioSpecificConfig of `mpeg4-generic` and `MP4A-LATM` ([`mp4::audio_config`]). A broken but
//! common description then loses no fact its well-formed twin gives.
//!
//! Pure: no I/O, never panics, bounded (the fmtp it reads is capped by [`sdp`]).

use crate::sdp::{self, MediaDescription, SessionDescription};
use crate::{h26x, h265, mp4, mp4v};
use base64::Engine;
use model::{AudioInfo, VideoInfo};

/// Longest codec name kept from a device's encoding name, in bytes (ASCII characters).
pub const MAX_CODEC: usize = 32;

/// Our video codec names from SDP encoding names: ours for the ones we know, else the device's
/// name lowercased ([`codec_token`]: at most [`MAX_CODEC`] ASCII characters).
pub fn video_codec(encoding: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "h264" => "h264".into(),
        "h265" | "hevc" => "h265".into(),
        "jpeg" => "mjpeg".into(),
        "mp4v-es" => "mpeg4".into(),
        "mpv" => "mpeg2".into(),
        other => codec_token(other),
    }
}

/// Our audio codec names from SDP encoding names: ours for the ones we know, else the device's
/// name lowercased ([`codec_token`]: at most [`MAX_CODEC`] ASCII characters).
pub fn audio_codec(encoding: &str) -> String {
    let e = encoding.to_ascii_lowercase();
    match e.as_str() {
        "mpeg4-generic" | "mp4a-latm" => "aac".into(),
        "mpa" => "mp3".into(),
        g if g.starts_with("g726") => "g726".into(),
        other => codec_token(other),
    }
}

/// The encoding name a device sent, as the report's codec: its leading characters that a media
/// subtype name may hold (RFC 4855 §3: the rtpmap's encoding name is the subtype's name; RFC 6838
/// §4.2 restricted-name-chars: letters, digits and `!#$&-^_.+`), at most [`MAX_CODEC`]. What
/// follows anything else is not part of a name (`G711 (u-law)` is `g711`), and the name stays one
/// short ASCII token in every export, however long or strange the camera's line.
fn codec_token(name: &str) -> String {
    name.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(*c))
        .take(MAX_CODEC)
        .collect()
}

/// Video facts of one media section. The parameter sets win over `a=x-dimensions` and
/// `a=framerate`, as retina's decoded parameters do on the main path.
pub fn video(m: &MediaDescription) -> VideoInfo {
    let mut v = VideoInfo::new(video_codec(&m.encoding_name().unwrap_or_default()));
    v.width = m.dimensions.map(|d| d.0);
    v.height = m.dimensions.map(|d| d.1);
    v.fps = m.framerate.map(round_fps);
    v.fps_source = v.fps.map(|_| "sdp".into());
    v.bitrate_kbps = m.bandwidth_kbps;
    match v.codec.as_str() {
        "h264" => h264(m, &mut v),
        "h265" => h265_facts(m, &mut v),
        "mpeg4" => mpeg4_visual(m, &mut v),
        _ => {}
    }
    v
}

/// Audio facts of one media section: the rtpmap's clock and channels (one when not given), or
/// for AAC what its AudioSpecificConfig says.
pub fn audio(m: &MediaDescription) -> AudioInfo {
    let encoding = m.encoding_name().unwrap_or_default();
    let mut a = AudioInfo {
        codec: audio_codec(&encoding),
        sample_rate: m.clock(),
        channels: m.channels.or(Some(1)),
    };
    let config = match encoding.as_str() {
        "mpeg4-generic" => m.fmtp_param("config").and_then(mp4v::from_hex),
        // cpresent=0: the StreamMuxConfig is out of band, in `config=` (RFC 6416 §7.3).
        "mp4a-latm" => m
            .fmtp_param("config")
            .and_then(mp4v::from_hex)
            .and_then(|smc| latm_audio_specific_config(&smc)),
        _ => None,
    };
    if let Some(asc) = config.as_deref().and_then(mp4::audio_config) {
        a.sample_rate = asc.sample_rate.or(a.sample_rate);
        a.channels = asc.channels.or(a.channels);
    }
    a
}

/// The stream notes for the repairs an SDP needed: every repair when the strict parser rejected
/// the description (the facts then came from this reader alone), otherwise only those that
/// changed what was read. Each reads `sdp_repaired: <what>`.
pub fn repair_notes(sd: &SessionDescription, strict_parser_rejected: bool) -> Vec<String> {
    sd.repairs
        .iter()
        .filter(|r| strict_parser_rejected || r.changes_reading())
        .map(|r| format!("sdp_repaired: {r}"))
        .collect()
}

/// Frame rates to 3 decimals (29.97), as everywhere else in camscan.
fn round_fps(f: f64) -> f64 {
    (f * 1000.0).round() / 1000.0
}

/// RFC 6184 §8.1: `profile-level-id`, and the SPS in `sprop-parameter-sets`.
fn h264(m: &MediaDescription, v: &mut VideoInfo) {
    if let Some(hex) = m.fmtp_param("profile-level-id") {
        (v.profile, v.level) = h26x::h264_from_hex(hex);
    }
    let sps = m
        .fmtp_param("sprop-parameter-sets")
        .into_iter()
        .flat_map(|sets| sets.split(','))
        .filter_map(base64_nal)
        .find_map(|nal| h26x::h264_sps(&nal));
    let Some(sps) = sps else {
        return;
    };
    v.profile = sps.profile.or(v.profile.take());
    v.level = Some(sps.level);
    v.rfc6381 = Some(sps.rfc6381);
    if let (Some(w), Some(h)) = (sps.width, sps.height) {
        (v.width, v.height) = (Some(w), Some(h));
    }
    if let Some(fps) = sps.fps {
        v.fps = Some(fps);
        v.fps_source = Some("sps".into());
    }
}

/// RFC 7798 §7.1: `profile-id`, `tier-flag`, `level-id`, and the parameter sets in `sprop-sps`
/// and `sprop-vps`.
fn h265_facts(m: &MediaDescription, v: &mut VideoInfo) {
    let param = |name: &str| m.fmtp_param(name).and_then(|p| p.parse::<u8>().ok());
    if let Some(profile) = param("profile-id") {
        v.profile = h26x::h265_profile_name(profile).map(str::to_string);
    }
    if let Some(level) = param("level-id") {
        v.level = Some(h26x::h265_level(level));
    }
    let decode = |name: &str| m.fmtp_param(name).and_then(base64_nal);
    let sps = decode("sprop-sps").and_then(|nal| h265::sps(&nal));
    let vps = decode("sprop-vps").and_then(|nal| h265::vps(&nal));
    let Some(ptl) = sps.as_ref().or(vps.as_ref()).map(|f| &f.ptl) else {
        return;
    };
    let rfc6381 = ptl.rfc6381();
    let (profile, level) = h26x::from_rfc6381(&rfc6381);
    v.profile = profile.or(v.profile.take());
    v.level = level.or(v.level.take());
    v.rfc6381 = Some(rfc6381);
    if let Some((Some(w), Some(h))) = sps.as_ref().map(|s| (s.width, s.height)) {
        (v.width, v.height) = (Some(w), Some(h));
    }
    let fps = sps.as_ref().and_then(|s| s.fps).or(vps.and_then(|s| s.fps));
    if let Some(fps) = fps {
        v.fps = Some(fps);
        v.fps_source = Some("sps".into());
    }
}

/// RFC 6416 §7.1: `profile-level-id` (decimal) and the `config=` headers.
fn mpeg4_visual(m: &MediaDescription, v: &mut VideoInfo) {
    let config = m
        .fmtp_param("config")
        .and_then(mp4v::from_hex)
        .map(|c| mp4v::parse_config(&c))
        .unwrap_or_default();
    let pli = config
        .profile_and_level
        .or_else(|| m.fmtp_param("profile-level-id")?.parse().ok());
    if let Some(pli) = pli {
        (v.profile, v.level) = mp4v::profile_level(pli);
        v.rfc6381 = Some(format!("mp4v.20.{pli}"));
    }
    if let (Some(w), Some(h)) = (config.width, config.height) {
        (v.width, v.height) = (Some(w), Some(h));
    }
    if let Some(fps) = config.fps {
        v.fps = Some(fps);
        v.fps_source = Some("sps".into());
    }
}

/// One base64 NAL unit of an fmtp parameter. Padding is optional: some cameras leave it off.
fn base64_nal(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let nal = LENIENT.decode(s.trim()).ok()?;
    (!nal.is_empty()).then_some(nal)
}

/// The AudioSpecificConfig inside a LATM `StreamMuxConfig` (ISO/IEC 14496-3 §1.7.3.1), for
/// `audioMuxVersion` 0 with one program and one layer (what encoders and cameras send):
/// audioMuxVersion(1) allStreamsSameTimeFraming(1) numSubFrames(6) numProgram(4) numLayer(3),
/// then the config, not byte aligned. Returned realigned to a byte boundary.
fn latm_audio_specific_config(smc: &[u8]) -> Option<Vec<u8>> {
    let mut r = crate::bits::BitReader::new(smc);
    if r.bit()? {
        return None; // audioMuxVersion 1: a LatmGetValue-framed config, not seen from cameras
    }
    r.skip(1 + 6)?;
    let (programs, layers) = (r.bits(4)?, r.bits(3)?);
    if programs != 0 || layers != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(smc.len());
    while let Some(byte) = r.bits(8) {
        out.push(byte as u8);
    }
    let rest = r.remaining() as u32; // fewer than 8
    if rest > 0 {
        out.push((r.bits(rest)? << (8 - rest)) as u8);
    }
    Some(out)
}

/// The media section the facts of a stream come from: the first of its kind.
pub fn first<'a>(sd: &'a SessionDescription, kind: &str) -> Option<&'a sdp::MediaDescription> {
    sd.media.iter().find(|m| m.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> SessionDescription {
        sdp::parse(&crate::test_fixture(&format!("sdp/{name}")))
    }

    #[test]
    fn gstreamer_h264_main_and_aac() {
        let sd = fixture("gstreamer_h264_main_aac.sdp");
        assert!(sd.repairs.is_empty(), "{:?}", sd.repairs);
        let v = video(first(&sd, "video").unwrap());
        assert_eq!(
            (v.codec.as_str(), v.width, v.height, v.fps),
            ("h264", Some(1280), Some(720), Some(25.0))
        );
        assert_eq!(v.fps_source.as_deref(), Some("sps"));
        assert_eq!(
            (
                v.profile.as_deref(),
                v.level.as_deref(),
                v.rfc6381.as_deref()
            ),
            (Some("main"), Some("3.1"), Some("avc1.4D401F"))
        );
        let a = audio(first(&sd, "audio").unwrap());
        assert_eq!(
            (a.codec.as_str(), a.sample_rate, a.channels),
            ("aac", Some(16000), Some(1))
        );
    }

    #[test]
    fn latm_stream_mux_config() {
        // GStreamer rtpmp4apay, voaacenc 48 kHz stereo: tests/fixtures/sdp/gstreamer_mpeg4_d1_latm.sdp.
        let asc = latm_audio_specific_config(&mp4v::from_hex("40002320").unwrap()).unwrap();
        let c = mp4::audio_config(&asc).unwrap();
        assert_eq!(
            (c.object_type, c.sample_rate, c.channels),
            (2, Some(48000), Some(2))
        );
        assert_eq!(latm_audio_specific_config(&[0x80]), None, "version 1");
        assert_eq!(latm_audio_specific_config(&[]), None);
    }

    #[test]
    fn unpadded_base64() {
        assert_eq!(base64_nal("aO48gA"), base64_nal("aO48gA=="));
        assert_eq!(base64_nal(""), None);
        assert_eq!(base64_nal("!!"), None);
    }

    /// The request URL the table's descriptions answer (the Uniview camera's own address, so its
    /// absolute control URLs are on the host asked).
    const ASKED: &str = "rtsp://192.168.1.98:554/media/video1";

    type Video = (
        &'static str,
        u32,
        u32,
        f64,
        &'static str,
        &'static str,
        &'static str,
    );
    type Audio = (&'static str, u32, u16);

    /// One broken description and its well-formed twin: the facts both must give, and the notes
    /// the broken one gets when retina rejects it.
    struct Case {
        broken: &'static str,
        twin: &'static str,
        notes: &'static [&'static str],
        video: Option<Video>,
        audio: Option<Audio>,
    }

    const H264_720P: Video = ("h264", 1280, 720, 25.0, "main", "3.1", "avc1.4D401F");
    const H264_1080P: Video = ("h264", 1920, 1080, 29.97, "high", "4", "avc1.640028");
    const H265_1080P: Video = ("h265", 1920, 1080, 20.0, "main", "4", "hvc1.1.6.L120.90");
    const MPEG4_D1: Video = ("mpeg4", 704, 576, 25.0, "simple", "1", "mp4v.20.1");
    const AAC_16K: Audio = ("aac", 16000, 1);
    const AAC_LATM_48K: Audio = ("aac", 48000, 2);
    const PCMA: Audio = ("pcma", 8000, 1);

    /// Where each class was seen: tests/fixtures/sdp/README.md.
    const CASES: &[Case] = &[
        Case {
            broken: "broken_origin_no_address_h264.sdp",
            twin: "gstreamer_h264_main_aac.sdp",
            notes: &["missing origin address"],
            video: Some(H264_720P),
            audio: Some(AAC_16K),
        },
        Case {
            broken: "broken_origin_no_address_h265.sdp",
            twin: "gstreamer_h265_main_1080p.sdp",
            notes: &["missing origin address"],
            video: Some(H265_1080P),
            audio: None,
        },
        Case {
            broken: "broken_negative_version_mpeg4.sdp",
            twin: "gstreamer_mpeg4_d1_latm.sdp",
            notes: &["negative session version"],
            video: Some(MPEG4_D1),
            audio: Some(AAC_LATM_48K),
        },
        Case {
            broken: "broken_overlong_version_h264.sdp",
            twin: "gstreamer_h264_high_1080p_pcma.sdp",
            notes: &["overlong session version"],
            video: Some(H264_1080P),
            audio: Some(PCMA),
        },
        Case {
            broken: "broken_connection_h265.sdp",
            twin: "gstreamer_h265_main_1080p.sdp",
            notes: &["malformed c= line"],
            video: Some(H265_1080P),
            audio: None,
        },
        Case {
            broken: "broken_bandwidth_h264.sdp",
            twin: "gstreamer_h264_main_aac.sdp",
            notes: &["malformed b= line"],
            video: Some(H264_720P),
            audio: Some(AAC_16K),
        },
        Case {
            broken: "broken_control_other_host_h264.sdp",
            twin: "gstreamer_h264_main_aac.sdp",
            notes: &["a=control on another host"],
            video: Some(H264_720P),
            audio: Some(AAC_16K),
        },
        Case {
            broken: "broken_no_rtpmap_h264.sdp",
            twin: "gstreamer_h264_high_1080p_pcma.sdp",
            notes: &["payload type without rtpmap"],
            video: Some(H264_1080P),
            audio: Some(PCMA),
        },
        Case {
            broken: "broken_rtpmap_other_pt_aac.sdp",
            twin: "gstreamer_h264_main_aac.sdp",
            notes: &["payload type without rtpmap"],
            video: Some(H264_720P),
            audio: Some(AAC_16K),
        },
        Case {
            broken: "broken_fmtp_other_pt_h265.sdp",
            twin: "gstreamer_h265_main_1080p.sdp",
            notes: &["fmtp for another payload type"],
            video: Some(H265_1080P),
            audio: None,
        },
        Case {
            broken: "broken_combined_mpeg4.sdp",
            twin: "gstreamer_mpeg4_d1_latm.sdp",
            notes: &[
                "byte order mark",
                "CR-only line ends",
                "negative session version",
                "malformed b= line",
            ],
            video: Some(MPEG4_D1),
            audio: Some(AAC_LATM_48K),
        },
        Case {
            broken: "quoted_uniview_ipc.sdp",
            twin: "quoted_uniview_ipc_twin.sdp",
            notes: &["missing origin address", "malformed c= line"],
            video: Some(("h264", 1280, 720, 25.0, "main", "3.1", "avc1.4D001F")),
            audio: None,
        },
        Case {
            broken: "quoted_altasec_nvr.sdp",
            twin: "quoted_altasec_nvr_twin.sdp",
            notes: &["missing origin address"],
            // 5 fps is what the VUI timing of this NVR channel's SPS says.
            video: Some(("h264", 640, 360, 5.0, "main", "2.2", "avc1.4D4016")),
            audio: Some(("pcmu", 8000, 1)),
        },
        Case {
            broken: "quoted_ycam_bullet_hd.sdp",
            twin: "quoted_ycam_bullet_hd_twin.sdp",
            notes: &["negative session version"],
            video: Some((
                "mpeg4",
                640,
                480,
                30.0,
                "advanced simple",
                "5",
                "mp4v.20.245",
            )),
            audio: None,
        },
    ];

    fn facts(sd: &SessionDescription) -> (Option<VideoInfo>, Option<AudioInfo>) {
        (first(sd, "video").map(video), first(sd, "audio").map(audio))
    }

    fn read(name: &str) -> SessionDescription {
        sdp::parse_for(&crate::test_fixture(&format!("sdp/{name}")), ASKED)
    }

    #[test]
    fn broken_descriptions_give_their_twins_facts() {
        for case in CASES {
            let (broken, twin) = (read(case.broken), read(case.twin));
            assert!(twin.repairs.is_empty(), "{}: {:?}", case.twin, twin.repairs);
            let (bv, ba) = facts(&broken);
            assert_eq!(
                (&bv, &ba),
                (&facts(&twin).0, &facts(&twin).1),
                "{}",
                case.broken
            );
            let got = bv.as_ref().map(|v| {
                (
                    v.codec.as_str(),
                    v.width.unwrap_or(0),
                    v.height.unwrap_or(0),
                    v.fps.unwrap_or(0.0),
                    v.profile.as_deref().unwrap_or(""),
                    v.level.as_deref().unwrap_or(""),
                    v.rfc6381.as_deref().unwrap_or(""),
                )
            });
            assert_eq!(got, case.video, "{}", case.broken);
            let got = ba.as_ref().map(|a| {
                (
                    a.codec.as_str(),
                    a.sample_rate.unwrap_or(0),
                    a.channels.unwrap_or(0),
                )
            });
            assert_eq!(got, case.audio, "{}", case.broken);
            let want: Vec<String> = case
                .notes
                .iter()
                .map(|n| format!("sdp_repaired: {n}"))
                .collect();
            assert_eq!(repair_notes(&broken, true), want, "{}", case.broken);
            // Accepted by retina: only what changed the reading is worth a note.
            let changed: Vec<String> = broken
                .repairs
                .iter()
                .filter(|r| r.changes_reading())
                .map(|r| format!("sdp_repaired: {r}"))
                .collect();
            assert_eq!(repair_notes(&broken, false), changed, "{}", case.broken);
        }
    }

    /// A device's encoding name is our codec name only as far as it is a media subtype's name
    /// (RFC 6838 §4.2), and at most `MAX_CODEC` bytes: what the `backchannel` and `sdp_facts`
    /// fuzz targets assert of every audio and video codec.
    #[test]
    fn codec_names_from_devices_are_short_tokens() {
        assert_eq!(audio_codec("G711 (u-law)"), "g711");
        assert_eq!(audio_codec("X-Vendor.Speex+2"), "x-vendor.speex+2");
        assert_eq!(video_codec("VP9"), "vp9");
        assert_eq!(audio_codec(&"\u{fffd}".repeat(32)), "");
        assert_eq!(video_codec(&"é".repeat(40)), "");
        let long = "AV1X".repeat(20);
        assert_eq!(video_codec(&long).len(), MAX_CODEC);
        assert_eq!(audio_codec(&long), long[..MAX_CODEC].to_ascii_lowercase());
        // Ours are unchanged.
        assert_eq!(audio_codec("G726-32"), "g726");
        assert_eq!(video_codec("JPEG"), "mjpeg");
    }
}
