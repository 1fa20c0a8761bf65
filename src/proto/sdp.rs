//! A tolerant SDP (RFC 8866) reader for the facts camscan reports.
//!
//! retina parses SDP strictly (via sdp-types 0.1) and fails DESCRIBE on SDPs real cameras send: a UTF-8
//! BOM, CR-only line ends, a leading space, Latin-1 in `s=`, a duplicate session `c=` (see
//! `shared/CRATES.md` §1.5). This reader never fails: it keeps what it understands and skips the rest, so
//! a stream is never lost to a formatting quirk. It also reads what retina does not expose: `b=AS`,
//! `a=x-dimensions` (Hikvision) and the raw `a=fmtp` string.

/// Most media sections kept (real cameras send 1-4; a hostile SDP may send 100 000).
pub const MAX_MEDIA: usize = 32;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionDescription {
    /// `s=` session name.
    pub name: Option<String>,
    /// `a=tool:`.
    pub tool: Option<String>,
    /// Session-level `b=AS:` in kbit/s.
    pub bandwidth_kbps: Option<u32>,
    pub media: Vec<MediaDescription>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaDescription {
    /// `video`, `audio`, `application`...
    pub kind: String,
    pub port: Option<u16>,
    /// e.g. `RTP/AVP`.
    pub proto: String,
    /// First payload type of the `m=` line.
    pub payload_type: Option<u8>,
    /// From `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` for the first payload type.
    pub encoding: Option<String>,
    pub clock_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Raw `a=fmtp:` parameters for the first payload type.
    pub fmtp: Option<String>,
    /// `a=framerate:`.
    pub framerate: Option<f64>,
    /// `a=x-dimensions:W,H` (Hikvision).
    pub dimensions: Option<(u32, u32)>,
    /// Media-level `b=AS:` in kbit/s.
    pub bandwidth_kbps: Option<u32>,
    /// `a=control:`.
    pub control: Option<String>,
}

impl MediaDescription {
    /// Encoding name, from rtpmap or else the static payload type table (RFC 3551 §6).
    pub fn encoding_name(&self) -> Option<String> {
        if let Some(e) = &self.encoding {
            return Some(e.to_ascii_lowercase());
        }
        let name = match self.payload_type? {
            0 => "pcmu",
            8 => "pcma",
            9 => "g722",
            10 | 11 => "l16",
            14 => "mpa",
            26 => "jpeg",
            32 => "mpv",
            33 => "mp2t",
            _ => return None,
        };
        Some(name.to_string())
    }

    /// Clock rate, from rtpmap or else the static payload table.
    pub fn clock(&self) -> Option<u32> {
        self.clock_rate.or(match self.payload_type? {
            0 | 8 | 9 => Some(8000),
            10 | 11 => Some(44100),
            14 | 26 | 32 | 33 => Some(90000),
            _ => None,
        })
    }

    /// One fmtp parameter by name (case-insensitive), e.g. `profile-level-id`.
    pub fn fmtp_param(&self, name: &str) -> Option<&str> {
        self.fmtp.as_deref()?.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Parse an SDP body. Never fails; an empty or foreign body gives an empty description.
pub fn parse(body: &[u8]) -> SessionDescription {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = String::from_utf8_lossy(body);
    let mut sd = SessionDescription::default();
    // Split on CR, LF or CRLF: CR-only line ends are seen on some cameras.
    for raw in text.split(['\r', '\n']) {
        let line = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\0');
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "m" => {
                if sd.media.len() >= MAX_MEDIA {
                    // Keep reading session-level facts? Anything after belongs to ignored media.
                    break;
                }
                sd.media.push(parse_m_line(value));
            }
            "s" if sd.media.is_empty() && sd.name.is_none() => sd.name = Some(clip(value)),
            "b" => {
                if let Some(kbps) = value
                    .strip_prefix("AS:")
                    .and_then(|v| v.trim().parse().ok())
                {
                    match sd.media.last_mut() {
                        Some(m) => m.bandwidth_kbps = Some(kbps),
                        None => sd.bandwidth_kbps = Some(kbps),
                    }
                }
            }
            "a" => parse_attribute(&mut sd, value),
            _ => {}
        }
    }
    sd
}

fn parse_m_line(value: &str) -> MediaDescription {
    let mut f = value.split_whitespace();
    let kind = f.next().unwrap_or_default().to_ascii_lowercase();
    let port = f
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok());
    let proto = f.next().unwrap_or_default().to_string();
    let payload_type = f.next().and_then(|pt| pt.parse().ok());
    MediaDescription {
        kind: clip(&kind),
        port,
        proto: clip(&proto),
        payload_type,
        ..Default::default()
    }
}

fn parse_attribute(sd: &mut SessionDescription, value: &str) {
    let (name, arg) = match value.split_once(':') {
        Some((n, a)) => (n.trim(), a.trim()),
        None => (value, ""),
    };
    let Some(m) = sd.media.last_mut() else {
        if name.eq_ignore_ascii_case("tool") {
            sd.tool = Some(clip(arg));
        }
        return;
    };
    match name.to_ascii_lowercase().as_str() {
        "rtpmap" => {
            let (pt, rest) = arg.split_once([' ', '\t']).unwrap_or((arg, ""));
            if pt.trim().parse::<u8>().ok() != m.payload_type || m.encoding.is_some() {
                return;
            }
            let mut parts = rest.trim().split('/');
            m.encoding = parts.next().filter(|e| !e.is_empty()).map(clip);
            m.clock_rate = parts.next().and_then(|c| c.trim().parse().ok());
            m.channels = parts.next().and_then(|c| c.trim().parse().ok());
        }
        "fmtp" => {
            let (pt, rest) = arg.split_once([' ', '\t']).unwrap_or((arg, ""));
            if pt.trim().parse::<u8>().ok() == m.payload_type && m.fmtp.is_none() {
                m.fmtp = Some(rest.trim().chars().take(4096).collect());
            }
        }
        "framerate" => {
            m.framerate = arg
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f > 0.0)
        }
        "x-dimensions" => {
            let mut it = arg.split(',').map(|v| v.trim().parse::<u32>().ok());
            if let (Some(Some(w)), Some(Some(h))) = (it.next(), it.next()) {
                m.dimensions = Some((w, h));
            }
        }
        "control" => m.control = Some(clip(arg)),
        _ => {}
    }
}

/// Keep device strings to a sane length.
fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GSTREAMER_H264_AAC: &str = "v=0\r\no=- 1188340656180883 1 IN IP4 127.0.0.11\r\ns=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\na=tool:GStreamer\r\na=type:broadcast\r\na=range:npt=now-\r\na=control:rtsp://127.0.0.11:554/Streaming/Channels/101\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\na=framerate:25\r\na=fmtp:96 packetization-mode=1;profile-level-id=4d401f;sprop-parameter-sets=Z01AH6tAUAW6EAAAAwAQAAADAyjxgxlg,aO48gA==\r\na=control:stream=0\r\nm=audio 0 RTP/AVP 97\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\na=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1408\r\na=control:stream=1\r\n";

    #[test]
    fn gstreamer_h264_aac() {
        let sd = parse(GSTREAMER_H264_AAC.as_bytes());
        assert_eq!(sd.tool.as_deref(), Some("GStreamer"));
        assert_eq!(sd.media.len(), 2);
        let v = &sd.media[0];
        assert_eq!(v.kind, "video");
        assert_eq!(v.encoding_name().as_deref(), Some("h264"));
        assert_eq!(v.clock(), Some(90000));
        assert_eq!(v.framerate, Some(25.0));
        assert_eq!(v.fmtp_param("PROFILE-LEVEL-ID"), Some("4d401f"));
        assert_eq!(v.control.as_deref(), Some("stream=0"));
        let a = &sd.media[1];
        assert_eq!(a.encoding_name().as_deref(), Some("mpeg4-generic"));
        assert_eq!((a.clock_rate, a.channels), (Some(16000), Some(1)));
    }

    #[test]
    fn hikvision_x_dimensions_and_bandwidth() {
        // Hikvision DS-2CD2xxx style: b=AS and a=x-dimensions on the video section.
        let sdp = "v=0\r\ns=Media Presentation\r\nb=AS:5100\r\nm=video 0 RTP/AVP 96\r\nb=AS:5000\r\na=rtpmap:96 H264/90000\r\na=x-dimensions:1920,1080\r\n";
        let sd = parse(sdp.as_bytes());
        assert_eq!(sd.bandwidth_kbps, Some(5100));
        assert_eq!(sd.media[0].bandwidth_kbps, Some(5000));
        assert_eq!(sd.media[0].dimensions, Some((1920, 1080)));
    }

    #[test]
    fn static_payload_types_without_rtpmap() {
        let sd = parse(b"v=0\nm=audio 0 RTP/AVP 0\nm=video 0 RTP/AVP 26\n");
        assert_eq!(sd.media[0].encoding_name().as_deref(), Some("pcmu"));
        assert_eq!(sd.media[0].clock(), Some(8000));
        assert_eq!(sd.media[1].encoding_name().as_deref(), Some("jpeg"));
    }

    #[test]
    fn bom_cr_only_leading_space_latin1() {
        // Variants that make retina's strict parser fail DESCRIBE (shared/CRATES.md §1.5).
        let mut sdp =
            b"\xEF\xBB\xBFv=0\rs=C\xe1mara\r c=IN IP4 0.0.0.0\rc=IN IP4 0.0.0.0\r".to_vec();
        sdp.extend_from_slice(b" m=video 0 RTP/AVP 96\r a=rtpmap:96 H265/90000\r");
        let sd = parse(&sdp);
        assert_eq!(sd.name.as_deref(), Some("C\u{fffd}mara"));
        assert_eq!(sd.media[0].encoding_name().as_deref(), Some("h265"));
    }

    #[test]
    fn fixture_broken_bom_cr_latin1_dup_c() {
        let sd = parse(include_bytes!(
            "../../tests/fixtures/sdp/broken_bom_cr_latin1_dup_c.sdp"
        ));
        assert_eq!(sd.media.len(), 2);
        assert_eq!(sd.media[0].dimensions, Some((1920, 1080)));
        assert_eq!(sd.media[0].framerate, Some(12.0));
        assert_eq!(sd.media[1].encoding_name().as_deref(), Some("pcma"));
    }

    #[test]
    fn fixture_tplink_seven_field_origin() {
        let sd = parse(include_bytes!(
            "../../tests/fixtures/sdp/tplink_seven_field_origin.sdp"
        ));
        assert_eq!(sd.media[0].bandwidth_kbps, Some(2048));
        assert_eq!(sd.media[0].control.as_deref(), Some("track1"));
    }

    #[test]
    fn hostile_input_is_bounded() {
        let mut sdp = String::from("v=0\n");
        for _ in 0..10_000 {
            sdp.push_str("m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\n");
        }
        assert_eq!(parse(sdp.as_bytes()).media.len(), MAX_MEDIA);
        for junk in [
            &b""[..],
            b"=",
            b"m=",
            b"a=rtpmap:",
            b"a=rtpmap:96",
            b"m=video x y z",
            b"\xff\xfe",
        ] {
            let _ = parse(junk);
        }
    }
}
