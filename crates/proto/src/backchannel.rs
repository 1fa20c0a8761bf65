//! The answer to a DESCRIBE that asked for the ONVIF audio backchannel (talk-back), read.
//!
//! ONVIF Streaming Specification (ver. 21.06), 5.3 "Back channel connection": a client that wants
//! to send audio to the device puts the feature tag [`REQUIRE_TAG`] in a `Require` header of its
//! DESCRIBE (5.3.1 "RTSP Require-Tag", after RFC 2326 §12.32). A server that supports it adds a
//! media section to its SDP for what the client sends, marked `a=sendonly` (the camera's own
//! media are `a=recvonly`); a server that does not understand the tag, or has no backchannel,
//! "shall respond with an error code 551 Option not supported" (5.3.2 "Connection setup for a
//! bi-directional connection"), and RFC 2326 §12.43 has it list the tag in an `Unsupported`
//! header. GStreamer's RTSP server (1.22) answers exactly so: its ONVIF server adds
//! `m=audio ... a=sendonly`, its plain server answers `551 Option not supported` with
//! `Unsupported: www.onvif.org/ver20/backchannel` (docs/design/protocols.md, "Talk-back").
//!
//! [`classify`] is pure: status line, headers and body in, a [`Verdict`] out; it never panics.

use super::response::ResponseHead;
use super::sdp::{self, Direction};
use super::sdp_facts;

/// The feature tag of the ONVIF backchannel (ONVIF Streaming Specification 5.3.1).
pub const REQUIRE_TAG: &str = "www.onvif.org/ver20/backchannel";

/// What the answer says about talk-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A sendonly audio section: the device takes audio from the client.
    Yes {
        /// Our audio codec name (`pcmu`, `pcma`, `aac`, `g726`...), from the section's rtpmap or
        /// static payload type ([`sdp_facts::audio_codec`]): at most [`sdp_facts::MAX_CODEC`]
        /// ASCII characters, however long the name the device sent.
        codec: String,
        sample_rate: Option<u32>,
        channels: Option<u16>,
        evidence: String,
    },
    /// The device said no, and how.
    No { evidence: String },
    /// The answer says nothing about talk-back (401, 404, 5xx other than 551, a 200 without an
    /// SDP...): what to note as the failure.
    Unknown { note: String },
}

/// Read the answer (`head` and its `body`) to a DESCRIBE that carried
/// `Require: www.onvif.org/ver20/backchannel`.
///
/// - 551 (Option not supported, RFC 2326 §7.1.1, the answer ONVIF 5.3.2 names): no, with the
///   status line as evidence (`551 Option not supported`; the `Unsupported` header that comes
///   with it only repeats the tag asked).
/// - 200 with `Unsupported` naming the tag (RFC 2326 §12.43: the server lists the options it does
///   not support): no, evidence `Unsupported: ...`, even if the SDP has a sendonly section.
/// - 200 with an audio section marked `a=sendonly`: yes, with that section's codec.
/// - 200 with an SDP that has media but no sendonly audio: no (a server that ignored the tag).
/// - anything else: unknown.
///
/// What the device wrote (a reason phrase, an `Unsupported` value) is kept to 120 characters,
/// control characters dropped; the codec is a short ASCII token ([`sdp_facts::MAX_CODEC`]).
pub fn classify(head: &ResponseHead, body: &[u8]) -> Verdict {
    match head.status {
        551 => {
            let reason = clip(&head.reason);
            let evidence = if reason.is_empty() {
                "551 Option not supported".into()
            } else {
                format!("551 {reason}")
            };
            Verdict::No { evidence }
        }
        200 => {
            if let Some(u) = head.headers_named("unsupported").find(|v| names_tag(v)) {
                return Verdict::No {
                    evidence: format!("Unsupported: {}", clip(u)),
                };
            }
            let sd = sdp::parse(body);
            if sd.media.is_empty() {
                return Verdict::Unknown {
                    note: "answered 200 without a media description".into(),
                };
            }
            let back = sd
                .media
                .iter()
                .find(|m| m.kind == "audio" && m.direction == Some(Direction::SendOnly));
            match back {
                Some(m) => {
                    let a = sdp_facts::audio(m);
                    Verdict::Yes {
                        codec: a.codec,
                        sample_rate: a.sample_rate,
                        channels: a.channels,
                        evidence: "sendonly audio section".into(),
                    }
                }
                None => Verdict::No {
                    evidence: "no sendonly audio section".into(),
                },
            }
        }
        status => Verdict::Unknown {
            note: format!("answered {status} {}", clip(head.reason.trim())),
        },
    }
}

/// An `Unsupported` value lists the backchannel tag (a comma-separated list of option tags,
/// RFC 2326 §12.43, compared as the literal tokens they are).
fn names_tag(value: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(REQUIRE_TAG))
}

/// A device's text, bounded, as evidence.
fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::parse_head;

    fn answer(bytes: &[u8]) -> Verdict {
        let (head, n) = parse_head(bytes).unwrap().unwrap();
        classify(&head, &bytes[n..])
    }

    /// The example answer of the ONVIF Streaming Specification, 5.3.2 "Connection setup for a
    /// bi-directional connection" (the SDP as printed there; the status line and headers are
    /// the spec's too, Content-Length left out as it prints `xxx`).
    #[test]
    fn the_onvif_specification_example_talks_back() {
        let reply = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\n\r\n\
v=0\r\no= 2890842807 IN IP4 192.168.0.1\r\ns=RTSP Session with audiobackchannel\r\n\
m=video 0 RTP/AVP 26\r\na=control:rtsp://192.168.0.1/video\r\na=recvonly\r\n\
m=audio 0 RTP/AVP 0\r\na=control:rtsp://192.168.0.1/audio\r\na=recvonly\r\n\
m=audio 0 RTP/AVP 0\r\na=control:rtsp://192.168.0.1/audioback\r\na=rtpmap:0 PCMU/8000\r\n\
a=sendonly\r\n";
        let (head, n) = parse_head(reply).unwrap().unwrap();
        // No Content-Length: the body is what follows the head.
        assert_eq!(
            classify(&head, &reply[n..]),
            Verdict::Yes {
                codec: "pcmu".into(),
                sample_rate: Some(8000),
                channels: Some(1),
                evidence: "sendonly audio section".into(),
            }
        );
        // The spec's "not supported" answer.
        let no = b"RTSP/1.0 551 Option not supported\r\nCSeq: 1\r\nUnsupported: www.onvif.org/ver20/backchannel\r\n\r\n";
        assert_eq!(
            answer(no),
            Verdict::No {
                evidence: "551 Option not supported".into()
            }
        );
    }

    /// GStreamer 1.22's RTSPOnvifServer with a PCMU backchannel
    /// (tests/servers/onvif_rtsp_server.py), captured by hand: see
    /// tests/fixtures/backchannel/README.md.
    #[test]
    fn gstreamer_onvif_server_talks_back() {
        let reply =
            include_bytes!("../../../tests/fixtures/backchannel/gstreamer-onvif-require.rtsp");
        assert_eq!(
            answer(reply),
            Verdict::Yes {
                codec: "pcmu".into(),
                sample_rate: Some(8000),
                channels: Some(1),
                evidence: "sendonly audio section".into(),
            }
        );
        // The same server asked without the tag: its own audio is recvonly, no sendonly section.
        let plain =
            include_bytes!("../../../tests/fixtures/backchannel/gstreamer-onvif-plain.rtsp");
        assert_eq!(
            answer(plain),
            Verdict::No {
                evidence: "no sendonly audio section".into()
            }
        );
    }

    /// GStreamer 1.22's plain RTSPServer (tests/servers/rtsp_server.py) refuses the tag.
    #[test]
    fn gstreamer_plain_server_refuses_the_tag() {
        let reply = include_bytes!("../../../tests/fixtures/backchannel/gstreamer-plain-551.rtsp");
        assert_eq!(
            answer(reply),
            Verdict::No {
                evidence: "551 Option not supported".into()
            }
        );
    }

    #[test]
    fn other_answers() {
        // A 200 that lists the tag as unsupported (RFC 2326 §12.43) is a no, whatever its SDP.
        let v = answer(
            b"RTSP/1.0 200 OK\r\nUnsupported: x.y, www.onvif.org/ver20/backchannel\r\n\r\nv=0\r\nm=audio 0 RTP/AVP 8\r\na=sendonly\r\n\r\n",
        );
        assert_eq!(
            v,
            Verdict::No {
                evidence: "Unsupported: x.y, www.onvif.org/ver20/backchannel".into()
            }
        );
        // 551 without a reason phrase still says what it is.
        assert_eq!(
            answer(b"RTSP/1.0 551\r\n\r\n"),
            Verdict::No {
                evidence: "551 Option not supported".into()
            }
        );
        assert!(matches!(
            answer(b"RTSP/1.0 401 Unauthorized\r\n\r\n"),
            Verdict::Unknown { note } if note == "answered 401 Unauthorized"
        ));
        assert!(matches!(
            answer(b"RTSP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nv=0\n"),
            Verdict::Unknown { .. }
        ));
        // A sendonly video section is not talk-back; AAC and G.726 are named as elsewhere.
        let v = answer(
            b"RTSP/1.0 200 OK\r\n\r\nm=video 0 RTP/AVP 96\r\na=sendonly\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\na=sendonly\r\n",
        );
        assert!(
            matches!(&v, Verdict::Yes { codec, sample_rate: Some(16000), .. } if codec == "aac"),
            "{v:?}"
        );
        let v = answer(
            b"RTSP/1.0 200 OK\r\n\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 G726-32/8000\r\na=sendonly\r\n",
        );
        assert!(
            matches!(&v, Verdict::Yes { codec, .. } if codec == "g726"),
            "{v:?}"
        );
    }

    /// Found by the `backchannel` fuzz target (`scripts/fuzz 8`, after about 30,000 runs): a
    /// sendonly section whose rtpmap names a long codec of characters that are not ASCII gave a
    /// codec of 32 characters but more than 32 bytes (here U+FFFD, three bytes each, for bytes
    /// that are not UTF-8). The device's name is cut to the token a media subtype may be, at most
    /// `sdp_facts::MAX_CODEC` bytes. The seed `fuzz/seeds/backchannel/long-codec.rtsp` holds it.
    #[test]
    fn a_long_codec_name_stays_short() {
        let mut reply = b"RTSP/1.0 200 OK\r\n\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 ".to_vec();
        reply.extend(std::iter::repeat_n(0xffu8, 40));
        reply.extend_from_slice(b"/8000\r\na=sendonly\r\n");
        assert!(matches!(answer(&reply), Verdict::Yes { codec, .. } if codec.is_empty()));
        let long = format!(
            "RTSP/1.0 200 OK\r\n\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 {}/8000\r\na=sendonly\r\n",
            "OPUS-".repeat(20)
        );
        let v = answer(long.as_bytes());
        assert!(
            matches!(&v, Verdict::Yes { codec, sample_rate: Some(8000), .. }
                if codec.len() == sdp_facts::MAX_CODEC && codec.starts_with("opus-opus-")),
            "{v:?}"
        );
    }
}
