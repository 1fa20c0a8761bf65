//! A tolerant SDP (RFC 8866) reader for the facts camscan reports.
//!
//! retina parses SDP strictly (via sdp-types 0.1) and fails DESCRIBE on SDPs real cameras send: a UTF-8
//! BOM, CR-only line ends, a leading space, Latin-1 in `s=`, a duplicate session `c=` (see
//! `docs/design/crates.md`, "retina's strict SDP parser"). This reader never fails: it keeps what
//! it understands and skips the rest, so a stream is never lost to a formatting quirk. It also
//! reads what retina does not expose: `b=AS`, `a=x-dimensions` (Hikvision) and the raw `a=fmtp`
//! string.

/// Most media sections kept (real cameras send 1-4; a hostile SDP may send 100 000).
pub const MAX_MEDIA: usize = 32;
/// Most `a=rtpmap`/`a=fmtp` lines kept per media section (a WebRTC answer lists about 20 formats).
const MAX_FORMATS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionDescription {
    /// `s=` session name.
    pub name: Option<String>,
    /// `a=tool:`.
    pub tool: Option<String>,
    /// Session-level `b=AS:` in kbit/s.
    pub bandwidth_kbps: Option<u32>,
    pub media: Vec<MediaDescription>,
    /// What this reader had to step over or guess, in the order met, each once. A strict RFC 8866
    /// parser (retina's) rejects the description for any of these; see [`Repair`].
    pub repairs: Vec<Repair>,
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
    /// From `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` for the first payload type (or, when
    /// the camera named no rtpmap for it, the one [`Repair::PayloadTypeWithoutRtpmap`] chose).
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
    /// The section's own `a=sendonly`, `a=recvonly`, `a=sendrecv` or `a=inactive` (RFC 8866
    /// §6.7; the last one given wins), `None` when it names none. An RTSP server's SDP says it
    /// from the client's side: the ONVIF backchannel, media the client sends, is `a=sendonly`
    /// (ONVIF Streaming Specification, 5.3.2 "Connection setup for a bi-directional connection").
    pub direction: Option<Direction>,
}

/// A media section's direction attribute (RFC 8866 §6.7.1-6.7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendOnly,
    RecvOnly,
    SendRecv,
    Inactive,
}

/// A departure from RFC 8866 this reader stepped over. Each names a failure class seen on real
/// cameras (tests/fixtures/sdp/README.md says where); retina's parser (sdp-types 0.1) rejects
/// the whole description for any of them, and then only this reader's facts are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// A UTF-8 byte order mark before `v=0`.
    ByteOrderMark,
    /// Text that is not UTF-8 (Latin-1 session names).
    NotUtf8,
    /// Lines ended by a lone CR.
    CrOnlyLineEnds,
    /// Whitespace before a line's key.
    LeadingWhitespace,
    /// A line that is not `<letter>=<value>`, skipped.
    MalformedLine,
    /// The description does not start with `v=0`.
    MissingVersion,
    /// An `o=` line without its address type and unicast address (Uniview IPC firmware:
    /// `o=- 1001 1 IN `; Altasec NVRs: `o=Channel1 3910280086 3910366486 IN IP4`).
    MissingOriginAddress,
    /// A negative `<sess-version>` (Y-cam: `o=- -1962418793961427 -1962418793961418 ...`).
    NegativeSessionVersion,
    /// A `<sess-version>` beyond 64 bits.
    OverlongSessionVersion,
    /// A `<sess-version>` that is not a number at all (`1.5`).
    MalformedSessionVersion,
    /// A `c=` line with fewer than three fields (Uniview: `c=IN `).
    MalformedConnection,
    /// Two session-level `c=` lines.
    DuplicateSessionConnection,
    /// A `b=` line that is not `<type>:<number>`.
    MalformedBandwidth,
    /// An absolute `a=control` URL on a host other than the one asked; read as that path on the
    /// host asked.
    ControlOnOtherHost,
    /// The `m=` line's payload type has no `a=rtpmap` and no static assignment; the encoding was
    /// taken from the section's other rtpmap, or guessed from its fmtp parameters.
    PayloadTypeWithoutRtpmap,
    /// The only `a=fmtp` of a section names a payload type the `m=` line does not use.
    FmtpForOtherPayloadType,
}

impl Repair {
    /// What the stream note says after `sdp_repaired: `.
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::ByteOrderMark => "byte order mark",
            Repair::NotUtf8 => "text not UTF-8",
            Repair::CrOnlyLineEnds => "CR-only line ends",
            Repair::LeadingWhitespace => "leading whitespace",
            Repair::MalformedLine => "line not in key=value form",
            Repair::MissingVersion => "missing v=0 line",
            Repair::MissingOriginAddress => "missing origin address",
            Repair::NegativeSessionVersion => "negative session version",
            Repair::OverlongSessionVersion => "overlong session version",
            Repair::MalformedSessionVersion => "malformed session version",
            Repair::MalformedConnection => "malformed c= line",
            Repair::DuplicateSessionConnection => "duplicate session c= line",
            Repair::MalformedBandwidth => "malformed b= line",
            Repair::ControlOnOtherHost => "a=control on another host",
            Repair::PayloadTypeWithoutRtpmap => "payload type without rtpmap",
            Repair::FmtpForOtherPayloadType => "fmtp for another payload type",
        }
    }

    /// Whether the repair changed what is read, as opposed to skipping something no fact comes
    /// from. A repair that changed a fact is reported even when retina accepted the description
    /// (retina drops a media section whose payload type has no rtpmap, and reads no parameters
    /// from an fmtp for another payload type).
    pub fn changes_reading(self) -> bool {
        matches!(
            self,
            Repair::PayloadTypeWithoutRtpmap | Repair::FmtpForOtherPayloadType
        )
    }
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SessionDescription {
    fn repaired(&mut self, r: Repair) {
        if !self.repairs.contains(&r) {
            self.repairs.push(r);
        }
    }
}

/// Encoding and clock of the static payload types (RFC 3551 §6) camscan reports.
fn static_payload(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("pcmu", 8000),
        8 => ("pcma", 8000),
        9 => ("g722", 8000),
        10 | 11 => ("l16", 44100),
        14 => ("mpa", 90000),
        26 => ("jpeg", 90000),
        32 => ("mpv", 90000),
        33 => ("mp2t", 90000),
        _ => return None,
    })
}

impl MediaDescription {
    /// Encoding name, from rtpmap or else the static payload type table (RFC 3551 §6).
    pub fn encoding_name(&self) -> Option<String> {
        if let Some(e) = &self.encoding {
            return Some(e.to_ascii_lowercase());
        }
        static_payload(self.payload_type?).map(|(name, _)| name.to_string())
    }

    /// Clock rate, from rtpmap or else the static payload table.
    pub fn clock(&self) -> Option<u32> {
        self.clock_rate
            .or_else(|| static_payload(self.payload_type?).map(|(_, clock)| clock))
    }

    /// One fmtp parameter by name (case-insensitive), e.g. `profile-level-id`.
    pub fn fmtp_param(&self, name: &str) -> Option<&str> {
        self.fmtp.as_deref()?.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// What one media section said about its formats, resolved once the section ends.
#[derive(Debug, Default)]
struct Formats {
    /// Payload types of the `m=` line, in order.
    listed: Vec<u8>,
    /// `a=rtpmap` values by payload type: `H264/90000`.
    rtpmaps: Vec<(u8, String)>,
    /// `a=fmtp` parameters by payload type.
    fmtps: Vec<(u8, String)>,
}

/// Parse an SDP body. Never fails; an empty or foreign body gives an empty description. What it
/// had to step over is listed in [`SessionDescription::repairs`].
pub fn parse(body: &[u8]) -> SessionDescription {
    let mut sd = SessionDescription::default();
    let body = match body.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            sd.repaired(Repair::ByteOrderMark);
            rest
        }
        None => body,
    };
    let text = String::from_utf8_lossy(body);
    if std::str::from_utf8(body).is_err() {
        sd.repaired(Repair::NotUtf8);
    }
    if body
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\r' && body.get(i + 1) != Some(&b'\n'))
    {
        sd.repaired(Repair::CrOnlyLineEnds);
    }
    let mut formats: Vec<Formats> = Vec::new();
    let mut session_connections = 0;
    let mut first_line = true;
    // Split on CR, LF or CRLF: CR-only line ends are seen on some cameras.
    for raw in text.split(['\r', '\n']) {
        let junk = |c: char| c == ' ' || c == '\t' || c == '\0';
        let start = raw.trim_start_matches(junk);
        let line = start.trim_end_matches(junk);
        if line.is_empty() {
            continue;
        }
        if start.len() != raw.len() {
            sd.repaired(Repair::LeadingWhitespace);
        }
        let Some((key, value)) = line.split_once('=') else {
            sd.repaired(Repair::MalformedLine);
            continue;
        };
        if key.len() != 1 {
            sd.repaired(Repair::MalformedLine);
        }
        if std::mem::take(&mut first_line) && (key != "v" || value.trim() != "0") {
            sd.repaired(Repair::MissingVersion);
        }
        // The value as sent, trailing whitespace included (the strict grammar rejects it in b=).
        let sent = &start[line.find('=').map_or(0, |i| i + 1)..];
        let value = value.trim();
        match key.trim() {
            "m" => {
                if sd.media.len() >= MAX_MEDIA {
                    // Keep reading session-level facts? Anything after belongs to ignored media.
                    break;
                }
                let (m, listed) = parse_m_line(value);
                sd.media.push(m);
                formats.push(Formats {
                    listed,
                    ..Formats::default()
                });
            }
            "s" if sd.media.is_empty() && sd.name.is_none() => sd.name = Some(clip(value)),
            "o" if sd.media.is_empty() => check_origin(&mut sd, value),
            "c" => {
                if value.split_whitespace().count() < 3 {
                    sd.repaired(Repair::MalformedConnection);
                }
                if sd.media.is_empty() {
                    session_connections += 1;
                    if session_connections == 2 {
                        sd.repaired(Repair::DuplicateSessionConnection);
                    }
                }
            }
            "b" => {
                let strict = sent.split_once(':').is_some_and(|(t, v)| {
                    !t.is_empty() && !t.contains(' ') && v.parse::<u64>().is_ok()
                });
                if !strict {
                    sd.repaired(Repair::MalformedBandwidth);
                }
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
            "a" => parse_attribute(&mut sd, formats.last_mut(), value),
            _ => {}
        }
    }
    let mut repairs = Vec::new();
    for (m, f) in sd.media.iter_mut().zip(formats) {
        resolve_formats(m, f, &mut repairs);
    }
    for r in repairs {
        sd.repaired(r);
    }
    sd
}

/// [`parse`], then check each media section's `a=control` against the URL the description was
/// asked for: an absolute control URL on another host (a camera behind NAT naming its LAN
/// address, an NVR naming the camera behind it) becomes the same path on the host asked.
pub fn parse_for(body: &[u8], request_url: &str) -> SessionDescription {
    let mut sd = parse(body);
    let Ok(asked) = url::Url::parse(request_url) else {
        return sd;
    };
    let mut moved = false;
    for m in &mut sd.media {
        let Some(Ok(mut control)) = m.control.as_deref().map(url::Url::parse) else {
            continue;
        };
        let (Some(host), Some(asked_host)) = (control.host_str(), asked.host_str()) else {
            continue;
        };
        if host.eq_ignore_ascii_case(asked_host) {
            continue;
        }
        if control.set_host(Some(asked_host)).is_ok() && control.set_port(asked.port()).is_ok() {
            m.control = Some(clip(control.as_str()));
            moved = true;
        }
    }
    if moved {
        sd.repaired(Repair::ControlOnOtherHost);
    }
    sd
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866
/// §5.2). Nothing is read from it; it is only checked so the repair can be reported.
fn check_origin(sd: &mut SessionDescription, value: &str) {
    let fields: Vec<&str> = value.split_whitespace().take(7).collect();
    if fields.len() < 6 {
        sd.repaired(Repair::MissingOriginAddress);
    }
    let Some(version) = fields.get(2) else {
        return;
    };
    if version.parse::<u64>().is_ok() {
        return;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    sd.repaired(match version.strip_prefix('-') {
        Some(rest) if digits(rest) => Repair::NegativeSessionVersion,
        None if digits(version) => Repair::OverlongSessionVersion,
        _ => Repair::MalformedSessionVersion,
    });
}

fn parse_m_line(value: &str) -> (MediaDescription, Vec<u8>) {
    let mut f = value.split_whitespace();
    let kind = f.next().unwrap_or_default().to_ascii_lowercase();
    let port = f
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok());
    let proto = f.next().unwrap_or_default().to_string();
    let listed: Vec<u8> = f
        .take(MAX_FORMATS)
        .map_while(|pt| pt.parse().ok())
        .collect();
    let m = MediaDescription {
        kind: clip(&kind),
        port,
        proto: clip(&proto),
        payload_type: listed.first().copied(),
        ..Default::default()
    };
    (m, listed)
}

fn parse_attribute(sd: &mut SessionDescription, formats: Option<&mut Formats>, value: &str) {
    let (name, arg) = match value.split_once(':') {
        Some((n, a)) => (n.trim(), a.trim()),
        None => (value, ""),
    };
    let (Some(m), Some(formats)) = (sd.media.last_mut(), formats) else {
        if name.eq_ignore_ascii_case("tool") {
            sd.tool = Some(clip(arg));
        }
        return;
    };
    match name.to_ascii_lowercase().as_str() {
        "rtpmap" | "fmtp" => {
            let (pt, rest) = arg.split_once([' ', '\t']).unwrap_or((arg, ""));
            let Ok(pt) = pt.trim().parse::<u8>() else {
                return;
            };
            let list = if name.eq_ignore_ascii_case("rtpmap") {
                &mut formats.rtpmaps
            } else {
                &mut formats.fmtps
            };
            if list.len() < MAX_FORMATS && !list.iter().any(|(p, _)| *p == pt) {
                list.push((pt, rest.trim().chars().take(4096).collect()));
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
            if let (Some(Some(w)), Some(Some(h))) = (it.next(), it.next())
                && w > 0
                && h > 0
            {
                m.dimensions = Some((w, h));
            }
        }
        "control" => m.control = Some(clip(arg)),
        "sendonly" => m.direction = Some(Direction::SendOnly),
        "recvonly" => m.direction = Some(Direction::RecvOnly),
        "sendrecv" => m.direction = Some(Direction::SendRecv),
        "inactive" => m.direction = Some(Direction::Inactive),
        _ => {}
    }
}

/// Pick the encoding and fmtp of a media section: those of the `m=` line's first payload type
/// when the camera named them, else the repairs real cameras need.
fn resolve_formats(m: &mut MediaDescription, f: Formats, repairs: &mut Vec<Repair>) {
    let rtpmap_of = |pt: u8| f.rtpmaps.iter().find(|(p, _)| *p == pt);
    let first = m.payload_type;
    let mut chosen = first.and_then(rtpmap_of);
    let unassigned = first.is_none_or(|pt| static_payload(pt).is_none());
    if chosen.is_none() && unassigned {
        // Another listed payload type with an rtpmap, else an rtpmap the m= line does not list.
        chosen = f
            .listed
            .iter()
            .find_map(|pt| rtpmap_of(*pt))
            .or_else(|| f.rtpmaps.first());
        if chosen.is_some() {
            repairs.push(Repair::PayloadTypeWithoutRtpmap);
        }
    }
    let pt = chosen.map(|(p, _)| *p).or(first);
    if let Some((_, rtpmap)) = chosen {
        let mut parts = rtpmap.split('/');
        m.encoding = parts
            .next()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(clip);
        m.clock_rate = parts.next().and_then(|c| c.trim().parse().ok());
        m.channels = parts.next().and_then(|c| c.trim().parse().ok());
    }
    m.fmtp = pt
        .and_then(|pt| f.fmtps.iter().find(|(p, _)| *p == pt))
        .map(|(_, v)| v.clone());
    if m.fmtp.is_none() {
        // An fmtp whose payload type has no rtpmap and is not the one used: the camera numbered
        // one of the two lines wrong. Taken only when it is the section's only such line.
        let mut orphans = f.fmtps.iter().filter(|(p, _)| rtpmap_of(*p).is_none());
        if let (Some((_, v)), None) = (orphans.next(), orphans.next()) {
            m.fmtp = Some(v.clone());
            repairs.push(Repair::FmtpForOtherPayloadType);
        }
    }
    if m.encoding.is_none()
        && unassigned
        && let Some((name, clock)) = m.fmtp.as_deref().and_then(|v| guess_encoding(&m.kind, v))
    {
        m.encoding = Some(name.to_string());
        m.clock_rate = clock;
        repairs.push(Repair::PayloadTypeWithoutRtpmap);
    }
}

/// The encoding an fmtp's parameters belong to, for a section with no rtpmap at all: the
/// parameter names are each defined by one payload format (RFC 6184 §8.1 H.264, RFC 7798 §7.1
/// H.265, RFC 3640 §4.1 mpeg4-generic, RFC 6416 §7.1 MP4V-ES).
fn guess_encoding(kind: &str, fmtp: &str) -> Option<(&'static str, Option<u32>)> {
    let has = |name: &str| {
        fmtp.split(';').any(|kv| {
            kv.split_once('=')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        })
    };
    let value = |name: &str| {
        fmtp.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    match kind {
        "video" if has("sprop-vps") || has("sprop-sps") => Some(("H265", Some(90000))),
        "video" if has("sprop-parameter-sets") || has("packetization-mode") => {
            Some(("H264", Some(90000)))
        }
        "video" if value("config").is_some_and(|c| c.starts_with("000001")) => {
            Some(("MP4V-ES", Some(90000)))
        }
        "audio"
            if value("mode").is_some_and(|m| {
                m.eq_ignore_ascii_case("AAC-hbr") || m.eq_ignore_ascii_case("AAC-lbr")
            }) =>
        {
            Some(("MPEG4-GENERIC", None))
        }
        _ => None,
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
        // Variants that make retina's strict parser fail DESCRIBE (docs/design/crates.md, "retina's
        // strict SDP parser").
        let mut sdp =
            b"\xEF\xBB\xBFv=0\rs=C\xe1mara\r c=IN IP4 0.0.0.0\rc=IN IP4 0.0.0.0\r".to_vec();
        sdp.extend_from_slice(b" m=video 0 RTP/AVP 96\r a=rtpmap:96 H265/90000\r");
        let sd = parse(&sdp);
        assert_eq!(sd.name.as_deref(), Some("C\u{fffd}mara"));
        assert_eq!(sd.media[0].encoding_name().as_deref(), Some("h265"));
    }

    #[test]
    fn fixture_broken_bom_cr_latin1_dup_c() {
        let sd = parse(&crate::test_fixture("sdp/broken_bom_cr_latin1_dup_c.sdp"));
        assert_eq!(sd.media.len(), 2);
        assert_eq!(sd.media[0].dimensions, Some((1920, 1080)));
        assert_eq!(sd.media[0].framerate, Some(12.0));
        assert_eq!(sd.media[1].encoding_name().as_deref(), Some("pcma"));
    }

    #[test]
    fn fixture_tplink_seven_field_origin() {
        let sd = parse(&crate::test_fixture("sdp/tplink_seven_field_origin.sdp"));
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

    /// Shapes a strict parser accepts earn no repair: GStreamer's answer, TP-Link's seven-field
    /// origin, and a WebRTC answer whose rtx format has its own fmtp (`apt=`) beside a VP8 format
    /// without one.
    #[test]
    fn well_formed_shapes_need_no_repair() {
        let webrtc = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
        let tplink = crate::test_fixture("sdp/tplink_seven_field_origin.sdp");
        for body in [GSTREAMER_H264_AAC.as_bytes(), &tplink, webrtc.as_bytes()] {
            let sd = parse(body);
            assert_eq!(sd.repairs, [], "{}", String::from_utf8_lossy(body));
        }
        let sd = parse(webrtc.as_bytes());
        assert_eq!(sd.media[0].encoding_name().as_deref(), Some("vp8"));
        assert_eq!(sd.media[0].fmtp, None);
    }

    /// The Uniview camera's description (tests/fixtures/sdp/quoted_uniview_ipc.sdp): each repair
    /// once, in the order met; its absolute control URLs are only a repair when another host was
    /// asked, and then name the host asked.
    #[test]
    fn uniview_repairs_and_control_host() {
        let body = crate::test_fixture("sdp/quoted_uniview_ipc.sdp");
        let sd = parse_for(&body, "rtsp://192.168.1.98:554/media/video1");
        assert_eq!(
            sd.repairs,
            [Repair::MissingOriginAddress, Repair::MalformedConnection]
        );
        let sd = parse_for(&body, "rtsp://127.0.0.37:8554/media/video1");
        assert_eq!(sd.repairs.last(), Some(&Repair::ControlOnOtherHost));
        assert_eq!(
            sd.media[0].control.as_deref(),
            Some("rtsp://127.0.0.37:8554/media/video1/video")
        );
        assert_eq!(sd.media[0].encoding_name().as_deref(), Some("h264"));
    }

    #[test]
    fn origin_versions() {
        let repairs = |o: &str| parse(format!("v=0\r\no={o}\r\ns=x\r\n").as_bytes()).repairs;
        assert_eq!(repairs("- 1 1 IN IP4 10.0.0.2"), []);
        assert_eq!(
            repairs("- 1 -5 IN IP4 10.0.0.2"),
            [Repair::NegativeSessionVersion]
        );
        assert_eq!(
            repairs("- 1 18446744073709551616 IN IP4 10.0.0.2"),
            [Repair::OverlongSessionVersion]
        );
        assert_eq!(
            repairs("- 1 1.5 IN IP4 10.0.0.2"),
            [Repair::MalformedSessionVersion]
        );
        assert_eq!(repairs("- 1 1 IN"), [Repair::MissingOriginAddress]);
        assert_eq!(
            repairs("-"),
            [Repair::MissingOriginAddress],
            "no version to check"
        );
    }

    /// Found by fuzz target `sdp_facts`: `a=x-dimensions:1840,00` gave a picture 0 lines high.
    #[test]
    fn zero_x_dimensions_are_no_size() {
        let sd = parse(b"v=0\r\nm=video 0 RTP/AVP 26\r\na=x-dimensions:1840,00\r\n");
        assert_eq!(sd.media[0].dimensions, None);
        let sd = parse(b"v=0\r\nm=video 0 RTP/AVP 26\r\na=x-dimensions:0,0\r\n");
        assert_eq!(sd.media[0].dimensions, None);
    }
}
