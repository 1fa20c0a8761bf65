//! WHEP (WebRTC-HTTP Egress Protocol, draft-ietf-wish-whep; `docs/design/protocols.md`, "HTTP
//! stream types"): the SDP offer camscan POSTs to a candidate endpoint, and pure readers of what
//! comes back.
//!
//! A WHEP player POSTs an SDP offer (`Content-Type: application/sdp`) to the endpoint URL; the
//! endpoint answers `201 Created` with its SDP answer and a `Location` of the session resource, which
//! the player DELETEs to end the session. The answer names the codecs the server will send, which is
//! what camscan reports. Servers answer `OPTIONS` on the endpoint for CORS preflight, usually with
//! `Accept-Post: application/sdp` (WHIP RFC 9725 §4.1 describes the same for ingest) or an
//! `Access-Control-Allow-Methods` that lists `POST`; camscan POSTs only where that preflight allows
//! it, so an ordinary web site is never sent an offer on a guessed path.
//!
//! The offer is a complete recvonly WebRTC offer (BUNDLE, rtcp-mux, ICE credentials, a DTLS
//! fingerprint) offering the video codecs cameras and gateways send (H.264 baseline and high,
//! H.265, VP8, VP9, AV1) and the audio codecs (Opus, PCMU, PCMA). No ICE or DTLS follows: the
//! session is deleted at once.

use crate::response::ResponseHead;
use crate::sdp::{self, SessionDescription};

/// Most bytes of an SDP answer kept (a real one is 1-4 KiB).
pub const MAX_ANSWER: usize = 64 * 1024;

/// The random parts of an offer: ICE credentials (RFC 8839 §5.4: ufrag 4-256, pwd 22-256
/// characters), the DTLS certificate fingerprint and the session id.
#[derive(Debug, Clone)]
pub struct OfferKeys {
    pub ufrag: String,
    pub pwd: String,
    /// SHA-256 fingerprint, 32 bytes.
    pub fingerprint: [u8; 32],
    pub session_id: u64,
}

impl OfferKeys {
    /// Keys from 64 random bytes (hex-encoded ICE credentials).
    pub fn from_random(r: &[u8; 64]) -> Self {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(&r[24..56]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&r[56..64]);
        OfferKeys {
            ufrag: hex(&r[0..4]),
            pwd: hex(&r[4..24]),
            fingerprint,
            // An SDP session id fits in 63 bits (RFC 8866 §5.2 recommends an NTP-like value).
            session_id: u64::from_be_bytes(id) >> 1,
        }
    }
}

/// The SDP offer POSTed to a WHEP endpoint: receive-only audio and video.
pub fn offer(k: &OfferKeys) -> String {
    let fp = k
        .fingerprint
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let transport = format!(
        "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:{}\r\na=ice-pwd:{}\r\n\
         a=ice-options:trickle\r\na=fingerprint:sha-256 {fp}\r\na=setup:actpass\r\n",
        k.ufrag, k.pwd
    );
    let mut s = format!(
        "v=0\r\no=- {} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
         a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n",
        k.session_id
    );
    s.push_str("m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101\r\n");
    s.push_str(&transport);
    s.push_str("a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n");
    for (pt, codec, fmtp) in [
        (
            96,
            "H264/90000",
            Some("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
        ),
        (
            97,
            "H264/90000",
            Some("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032"),
        ),
        (98, "H265/90000", None),
        (99, "VP8/90000", None),
        (100, "VP9/90000", Some("profile-id=0")),
        (101, "AV1/90000", None),
    ] {
        s.push_str(&format!("a=rtpmap:{pt} {codec}\r\n"));
        s.push_str(&format!(
            "a=rtcp-fb:{pt} nack\r\na=rtcp-fb:{pt} nack pli\r\na=rtcp-fb:{pt} ccm fir\r\n"
        ));
        if let Some(f) = fmtp {
            s.push_str(&format!("a=fmtp:{pt} {f}\r\n"));
        }
    }
    s.push_str("m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\n");
    s.push_str(&transport);
    s.push_str("a=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n");
    s.push_str("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
    s.push_str("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
    s
}

/// Whether an `OPTIONS` answer lets a WHEP offer be POSTed: a 2xx whose `Accept-Post` names
/// `application/sdp`, or whose `Allow` / `Access-Control-Allow-Methods` lists `POST`.
pub fn accepts_offers(head: &ResponseHead) -> bool {
    if !(200..300).contains(&head.status) {
        return false;
    }
    let lists = |name: &str, want: &str| {
        head.headers_named(name).any(|v| {
            v.split(',').any(|item| {
                // A media type may carry parameters (`application/sdp; charset=utf-8`).
                let token = item.split(';').next().unwrap_or("").trim();
                token.eq_ignore_ascii_case(want)
            })
        })
    };
    lists("accept-post", "application/sdp")
        || lists("allow", "POST")
        || lists("access-control-allow-methods", "POST")
}

/// What a POST of our offer got back.
#[derive(Debug, Clone, PartialEq)]
pub enum PostReply {
    /// A session: the server's SDP answer, and the session resource to DELETE.
    Session {
        answer: SessionDescription,
        location: Option<String>,
    },
    /// The server understood WHEP and said no (401/403 need credentials, 404/409 no such stream,
    /// 503 busy...), with its status line.
    Refused { status: u16, reason: String },
    /// Not a WHEP answer.
    NotWhep,
}

/// Read the answer to a POSTed offer. A session is a 201 (200 tolerated: some gateways send it)
/// with an `application/sdp` body that is an SDP (`v=0` first) carrying at least one media section
/// the server accepted (port not 0).
pub fn read_post_reply(head: &ResponseHead, body: &[u8]) -> PostReply {
    let sdp_type = head
        .header("content-type")
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/sdp"));
    let body = &body[..body.len().min(MAX_ANSWER)];
    if matches!(head.status, 200 | 201) {
        let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        if !sdp_type || !text.trim_ascii_start().starts_with(b"v=0") {
            return PostReply::NotWhep;
        }
        let answer = sdp::parse(text);
        if !answer.media.iter().any(|m| m.port != Some(0)) {
            return PostReply::NotWhep;
        }
        let location = head
            .header("location")
            .map(|l| l.trim().chars().take(1024).collect());
        return PostReply::Session { answer, location };
    }
    // 404/405/501 from a server that never heard of WHEP are not a refusal of one.
    if matches!(head.status, 401 | 403 | 409 | 503) || (head.status == 404 && sdp_or_text(head)) {
        return PostReply::Refused {
            status: head.status,
            reason: head.reason.chars().take(128).collect(),
        };
    }
    PostReply::NotWhep
}

/// A 404 that a WHEP server sends for a missing stream comes with a plain-text, JSON or SDP body
/// (MediaMTX: JSON `{"error":"no stream is available on path ..."}`), not an HTML error page.
fn sdp_or_text(head: &ResponseHead) -> bool {
    head.header("content-type").is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("application/json")
            || t.starts_with("text/plain")
            || t.starts_with("application/sdp")
    })
}

/// The stream names a go2rtc `/api/streams` answer lists (a JSON object keyed by name), at most
/// `max`, names of at most 128 characters made of URL-safe characters only.
pub fn go2rtc_streams(body: &[u8], max: usize) -> Vec<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Vec::new();
    };
    map.keys()
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 128
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        })
        .take(max)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::parse_head;

    fn head(raw: &str) -> ResponseHead {
        parse_head(raw.as_bytes()).unwrap().unwrap().0
    }

    fn keys() -> OfferKeys {
        let mut r = [0u8; 64];
        for (i, b) in r.iter_mut().enumerate() {
            *b = i as u8;
        }
        OfferKeys::from_random(&r)
    }

    #[test]
    fn the_offer_is_a_recvonly_bundle_our_own_reader_accepts() {
        let o = offer(&keys());
        let parsed = sdp::parse(o.as_bytes());
        assert_eq!(parsed.media.len(), 2);
        assert_eq!(parsed.media[0].kind, "video");
        assert_eq!(parsed.media[0].encoding.as_deref(), Some("H264"));
        assert_eq!(parsed.media[1].kind, "audio");
        assert_eq!(parsed.media[1].encoding.as_deref(), Some("opus"));
        assert!(o.contains("a=ice-ufrag:00010203\r\n"));
        // RFC 8839: ice-pwd of at least 22 characters.
        let pwd = o.split("a=ice-pwd:").nth(1).unwrap().split("\r\n").next();
        assert_eq!(pwd.map(str::len), Some(40));
        assert!(o.contains("a=fingerprint:sha-256 18:19:1A:"));
        assert_eq!(o.matches("a=recvonly").count(), 2);
        assert!(o.ends_with("\r\n") && !o.contains("\n\n"));
    }

    #[test]
    fn options_preflight() {
        let ok = head(
            "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nAccept-Post: application/sdp\r\n\r\n",
        );
        assert!(accepts_offers(&ok));
        let methods = head(
            "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Methods: OPTIONS, GET, POST, PATCH, DELETE\r\n\r\n",
        );
        assert!(accepts_offers(&methods));
        let get_only = head("HTTP/1.1 200 OK\r\nAllow: GET, HEAD, OPTIONS\r\n\r\n");
        assert!(!accepts_offers(&get_only));
        let nginx = head("HTTP/1.1 405 Not Allowed\r\nServer: nginx\r\nAllow: POST\r\n\r\n");
        assert!(!accepts_offers(&nginx));
        // Whole tokens only: "postman" is not POST, "application/sdpx" not SDP.
        let odd = head(
            "HTTP/1.1 200 OK\r\nAllow: postman\r\nAccept-Post: application/sdpx, text/plain\r\n\r\n",
        );
        assert!(!accepts_offers(&odd));
        let params = head("HTTP/1.1 200 OK\r\nAccept-Post: application/sdp; charset=utf-8\r\n\r\n");
        assert!(accepts_offers(&params));
    }

    const ANSWER: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n\
        a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\na=sendonly\r\n\
        m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";

    #[test]
    fn a_201_with_an_sdp_answer_is_a_session() {
        let h = head(
            "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: /cam/whep/abc\r\n\r\n",
        );
        match read_post_reply(&h, ANSWER.as_bytes()) {
            PostReply::Session { answer, location } => {
                assert_eq!(location.as_deref(), Some("/cam/whep/abc"));
                assert_eq!(answer.media[0].encoding.as_deref(), Some("H264"));
                assert_eq!(answer.media[1].port, Some(0), "audio rejected");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_is_not_a_session() {
        let html = head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
        assert_eq!(
            read_post_reply(&html, b"<html>v=0</html>"),
            PostReply::NotWhep
        );
        let sdp_all_rejected =
            head("HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\n\r\n");
        assert_eq!(
            read_post_reply(
                &sdp_all_rejected,
                b"v=0\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
            ),
            PostReply::NotWhep
        );
        let not_sdp = head("HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\n\r\n");
        assert_eq!(read_post_reply(&not_sdp, b"{}"), PostReply::NotWhep);
        let nginx_404 = head("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n");
        assert_eq!(read_post_reply(&nginx_404, b""), PostReply::NotWhep);
        let mediamtx_404 = head(
            "HTTP/1.1 404 Not Found\r\nServer: mediamtx\r\nContent-Type: application/json\r\n\r\n",
        );
        assert_eq!(
            read_post_reply(&mediamtx_404, br#"{"error":"no stream is available"}"#),
            PostReply::Refused {
                status: 404,
                reason: "Not Found".into()
            }
        );
        let auth = head("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n");
        assert!(matches!(
            read_post_reply(&auth, b""),
            PostReply::Refused { status: 401, .. }
        ));
    }

    #[test]
    fn go2rtc_stream_names() {
        let body = br#"{"front_door":{"producers":[{"url":"rtsp://10.0.0.2/1"}]},"garage-2":{},"../x":{},"a b":{}}"#;
        assert_eq!(go2rtc_streams(body, 10), vec!["front_door", "garage-2"]);
        assert_eq!(go2rtc_streams(body, 1), vec!["front_door"]);
        assert!(go2rtc_streams(b"[1,2]", 10).is_empty());
        assert!(go2rtc_streams(b"not json", 10).is_empty());
    }
}
