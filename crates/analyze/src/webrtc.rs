//! WebRTC infrastructure a camera or video server exposes: a STUN/TURN server (a Binding request over
//! TCP and UDP, RFC 5389; its `SOFTWARE` attribute names it), WebRTC gateway APIs that answer a
//! plain GET (Janus `/janus/info`, go2rtc `/api/streams`), and WHEP endpoints (an `OPTIONS`
//! preflight, then an SDP offer POSTed and the session deleted at once; `proto::whep`). Reported as
//! `webrtc` services and streams with what they reveal.

use std::net::SocketAddr;
use std::time::Duration;

use error::{AnalyzeError, NetError};
use input::setting::Repeat;
pub use net::stun::{binding_tcp, binding_udp};
use proto::stun::StunResponse;

/// The STUN/TURN port (RFC 5389 §18.4).
pub const STUN_PORT: u16 = 3478;

/// `--stun-ports`: more STUN/TURN ports, asked over UDP of every host with an open TCP port and
/// over TCP first (the resolution adds them to the probed ports).
pub static STUN_PORTS: input::setting::Setting<Vec<u16>> = input::setting::Setting {
    key: "stun_ports",
    flag: "--stun-ports",
    short: None,
    repeat: Repeat::Once,
    env: "CAMSCAN_STUN_PORTS",
    value_name: "PORTS",
    help: "More STUN/TURN ports (e.g. 3479,5349,19302): a STUN Binding is sent over UDP to each \
           host with an open TCP port, and tried first over TCP (they are added to --ports). 3478 \
           is always checked [default: none]",
    default: Vec::new(),
    choices: None,
    parse: |t| match t.trim() {
        "" => Ok(Vec::new()),
        t => input::setting::ports(t),
    },
};

/// WHEP endpoints asked with `OPTIONS` on every HTTP port (beside `.../whep` links on its root page
/// and go2rtc's streams). Kept short: each is one request.
pub const WHEP_PATHS: &[&str] = &[
    // The bare endpoint some gateways and WHEP test servers use.
    "/whep",
    // bluenviron/mediamtx: `http://host:8889/<path>/whep`, with the path names its README and
    // camera setups use most.
    "/cam/whep",
    "/stream/whep",
    "/live/whep",
    "/mystream/whep",
    // ossrs/srs: `/rtc/v1/whep/?app=<app>&stream=<stream>`, default app/stream names.
    "/rtc/v1/whep/?app=live&stream=livestream",
];

/// Most go2rtc streams offered to (`/api/webrtc?src=<name>`).
pub const MAX_GO2RTC_STREAMS: usize = 8;

/// How a WHEP candidate was found: a guessed path's 404 is no news, a named one's is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhepCandidate {
    /// From [`WHEP_PATHS`]: asked with `OPTIONS` first.
    Guessed,
    /// Named by the server (a root-page link, a go2rtc stream list): asked with `OPTIONS` first
    /// unless the server is known to take offers without one.
    Named { preflight: bool },
}

/// Where the HTTP exchanges of a WHEP probe go.
#[derive(Debug, Clone, Copy)]
pub struct WhepTarget {
    pub addr: SocketAddr,
    pub tls: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl WhepTarget {
    fn host(&self) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<net::rtsp::Reply, NetError> {
        let host = self.host();
        let req = net::http::Request {
            method,
            host: &host,
            path,
            content_type: "application/sdp",
            body,
            authorization: None,
        };
        net::http::send_over(
            self.addr,
            &req,
            self.tls,
            self.connect_timeout,
            self.timeout,
        )
        .await
    }

    /// The URL of `path` on this port.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.host())
    }
}

/// Ask `path` whether it is a WHEP endpoint: `OPTIONS` (unless `candidate` says to skip it), then
/// an SDP offer; a session is deleted again at once (`DELETE` of its `Location`, when that is on
/// the same port). `Ok(None)`: not an endpoint; `Err`: an endpoint that failed in a way worth
/// recording.
pub async fn whep(
    t: &WhepTarget,
    path: &str,
    candidate: WhepCandidate,
) -> Result<Option<model::Stream>, AnalyzeError> {
    use model::{Protocol, Stream, StreamStatus};
    use proto::whep::{self, PostReply};
    let preflight = !matches!(candidate, WhepCandidate::Named { preflight: false });
    if preflight {
        match t.send("OPTIONS", path, "").await {
            Ok(r) if whep::accepts_offers(&r.head) => {}
            _ => return Ok(None),
        }
    }
    let mut random = [0u8; 64];
    net::random_bytes(&mut random);
    let offer = whep::offer(&whep::OfferKeys::from_random(&random));
    let reply = match t.send("POST", path, &offer).await {
        Ok(r) => r,
        Err(e) if candidate == WhepCandidate::Guessed => {
            tracing::debug!(addr = %t.addr, path, error = %e, "WHEP offer failed");
            return Ok(None);
        }
        Err(e) => return Err(AnalyzeError::from(e).within(format!("WHEP offer to {path}"))),
    };
    let mut stream = Stream::new(t.url(path), Protocol::Webrtc, t.addr.port());
    match whep::read_post_reply(&reply.head, &reply.body) {
        PostReply::Session { answer, location } => {
            let accepted = |kind: &str| {
                answer
                    .media
                    .iter()
                    .find(|m| m.kind == kind && m.port != Some(0))
            };
            stream.video = accepted("video").map(crate::rtsp::video_from_sdp);
            stream.audio = accepted("audio").map(crate::rtsp::audio_from_sdp);
            if let Some(loc) = location {
                end_session(t, &loc).await;
            }
            Ok(Some(stream))
        }
        PostReply::Refused {
            status: 401 | 403, ..
        } => {
            stream.status = StreamStatus::AuthRequired;
            stream.auth = detect::head::service(t.addr.port(), Protocol::Http, &reply.head).auth;
            Ok(Some(stream))
        }
        PostReply::Refused { status: 404, .. } if candidate == WhepCandidate::Guessed => Ok(None),
        PostReply::Refused { status, reason } => Err(AnalyzeError::Refused(format!(
            "WHEP endpoint {path} refused a session: {status} {reason}"
        ))),
        PostReply::NotWhep => Ok(None),
    }
}

/// DELETE the session resource `location` names, when it is on the same port (scope: nothing
/// else is contacted). Best effort: the server times the session out anyway.
async fn end_session(t: &WhepTarget, location: &str) {
    let Ok(base) = url::Url::parse(&t.url("/")) else {
        return;
    };
    let Ok(u) = base.join(location) else {
        return;
    };
    let same = u.scheme() == base.scheme()
        && u.host_str() == base.host_str()
        && u.port_or_known_default() == base.port_or_known_default();
    if !same {
        tracing::debug!(addr = %t.addr, location, "WHEP session on another host not deleted");
        return;
    }
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    if let Err(e) = t.send("DELETE", &path, "").await {
        tracing::debug!(addr = %t.addr, path, error = %e, "WHEP session DELETE failed");
    }
}

/// What a STUN answer says about the server, for the service's `product`.
pub fn describe(r: &StunResponse) -> String {
    match &r.software {
        Some(s) => format!(
            "STUN/TURN server ({})",
            s.chars().take(128).collect::<String>()
        ),
        None => "STUN/TURN server".to_string(),
    }
}

/// Janus' `/janus/info` answer: `Janus WebRTC Server 1.1.2`.
pub fn janus_info(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if v.get("janus")?.as_str()? != "server_info" {
        return None;
    }
    let name = v
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("Janus WebRTC Server");
    let version = v.get("version_string").and_then(|n| n.as_str());
    let name: String = name.chars().take(64).collect();
    Some(match version {
        Some(ver) => format!("{name} {}", ver.chars().take(32).collect::<String>()),
        None => name,
    })
}

/// go2rtc's `/api` answer (AlexxIT/go2rtc `internal/api/api.go`, app info: `version`, `revision`,
/// `config_path`, `host`): `go2rtc 1.9.9`. Only on a port already fingerprinted as go2rtc.
pub fn go2rtc_info(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let version = v.get("version")?.as_str()?;
    let version: String = version
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect();
    Some(format!("go2rtc {version}").trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn go2rtc_info_names_the_version() {
        let body = br#"{"config_path":"/config/go2rtc.yaml","host":"192.168.1.10:1984","revision":"a1b2c3d","version":"1.9.9"}"#;
        assert_eq!(go2rtc_info(body).as_deref(), Some("go2rtc 1.9.9"));
        assert_eq!(go2rtc_info(br#"{"version":7}"#), None);
        assert_eq!(go2rtc_info(b"[]"), None);
        assert_eq!(
            go2rtc_info(br#"{"version":"1.9\n<b>x"}"#).as_deref(),
            Some("go2rtc 1.9<b>x")
        );
    }

    #[test]
    fn janus_info_names_the_server() {
        let body = br#"{"janus":"server_info","name":"Janus WebRTC Server","version":1102,"version_string":"1.1.2","transports":{}}"#;
        assert_eq!(
            janus_info(body).as_deref(),
            Some("Janus WebRTC Server 1.1.2")
        );
        assert_eq!(janus_info(br#"{"janus":"error"}"#), None);
        assert_eq!(janus_info(b"<html>"), None);
        assert_eq!(janus_info(br#"{"janus":7}"#), None);
    }

    #[tokio::test(start_paused = true)]
    async fn tcp_binding_gives_up_at_once_on_a_header_that_is_not_stun() {
        // Garbage whose "length" field announces 65 535 bytes that never come.
        let l = tokio::net::TcpListener::bind("127.0.0.93:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            s.write_all(&[0xff; 20]).await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let started = tokio::time::Instant::now();
        let e = binding_tcp(addr, Duration::from_secs(1), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no magic cookie"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no wait for a body"
        );
    }

    #[tokio::test]
    async fn udp_binding_against_a_loopback_responder() {
        // A minimal STUN responder: echo the transaction id in a Binding success with SOFTWARE.
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(n, 20);
            let mut reply = vec![0x01, 0x01, 0, 12, 0x21, 0x12, 0xa4, 0x42];
            reply.extend_from_slice(&buf[8..20]);
            reply.extend_from_slice(&[0x80, 0x22, 0, 7]);
            reply.extend_from_slice(b"lab-1.0\0");
            server.send_to(&reply, from).await.unwrap();
        });
        let r = binding_udp(addr, Duration::from_secs(2)).await.unwrap();
        assert_eq!(r.software.as_deref(), Some("lab-1.0"));
        assert_eq!(describe(&r), "STUN/TURN server (lab-1.0)");
    }

    /// A WHEP fake on loopback: answers every request with the next scripted reply and records
    /// the request lines it got.
    async fn whep_fake(
        ip: &str,
        replies: Vec<&'static str>,
    ) -> (SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let l = tokio::net::TcpListener::bind(format!("{ip}:0"))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            for reply in replies {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                // Read the head and, for a POST, the offer (Content-Length).
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let cl = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + cl || n == 0 {
                            break;
                        }
                    }
                }
                let text = String::from_utf8_lossy(&got).to_string();
                log.lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
                s.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        (addr, seen)
    }

    const PREFLIGHT: &str =
        "HTTP/1.1 204 No Content\r\nAccept-Post: application/sdp\r\nContent-Length: 0\r\n\r\n";
    const ANSWER: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 99\r\na=rtpmap:99 VP8/90000\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";

    fn target(addr: SocketAddr) -> WhepTarget {
        WhepTarget {
            addr,
            tls: false,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn whep_session_is_described_and_deleted_on_the_same_port_only() {
        let created: &'static str = Box::leak(
            format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: /whep/s1\r\nContent-Length: {}\r\n\r\n{ANSWER}",
                ANSWER.len()
            )
            .into_boxed_str(),
        );
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let (addr, seen) = whep_fake("127.0.0.94", vec![PREFLIGHT, created, ok]).await;
        let s = whep(&target(addr), "/whep", WhepCandidate::Guessed)
            .await
            .unwrap()
            .expect("a WHEP stream");
        assert_eq!(s.url, format!("http://{addr}/whep"));
        assert_eq!(s.video.as_ref().map(|v| v.codec.as_str()), Some("vp8"));
        assert_eq!(s.audio.as_ref().map(|a| a.codec.as_str()), Some("pcmu"));
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "OPTIONS /whep HTTP/1.1",
                "POST /whep HTTP/1.1",
                "DELETE /whep/s1 HTTP/1.1"
            ]
        );

        // A Location on another host is out of scope: nothing is sent there (nor here).
        let elsewhere: &'static str = Box::leak(
            format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: http://198.51.100.7/whep/s1\r\nContent-Length: {}\r\n\r\n{ANSWER}",
                ANSWER.len()
            )
            .into_boxed_str(),
        );
        let (addr, seen) = whep_fake("127.0.0.94", vec![elsewhere, ok]).await;
        let named = WhepCandidate::Named { preflight: false };
        assert!(
            whep(&target(addr), "/api/webrtc?src=cam", named)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(*seen.lock().unwrap(), ["POST /api/webrtc?src=cam HTTP/1.1"]);
    }

    #[tokio::test]
    async fn whep_refusals_and_pages_that_are_not_whep() {
        let locked = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\"\r\nContent-Length: 0\r\n\r\n";
        let (addr, _) = whep_fake("127.0.0.94", vec![PREFLIGHT, locked]).await;
        let s = whep(&target(addr), "/cam/whep", WhepCandidate::Guessed)
            .await
            .unwrap()
            .expect("a locked endpoint is reported");
        assert_eq!(s.status, model::StreamStatus::AuthRequired);
        assert_eq!(s.auth, model::AuthScheme::Basic);

        // An OPTIONS without POST: no offer is sent at all.
        let get_only = "HTTP/1.1 200 OK\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n";
        let (addr, seen) = whep_fake("127.0.0.94", vec![get_only]).await;
        assert!(matches!(
            whep(&target(addr), "/whep", WhepCandidate::Guessed).await,
            Ok(None)
        ));
        assert_eq!(seen.lock().unwrap().len(), 1);

        // A 200 HTML page for anything POSTed (a catch-all web app) is not WHEP.
        let page = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>";
        let (addr, _) = whep_fake("127.0.0.94", vec![PREFLIGHT, page]).await;
        assert!(matches!(
            whep(&target(addr), "/whep", WhepCandidate::Guessed).await,
            Ok(None)
        ));

        // A named endpoint's refusal is recorded; a guessed path's 404 is not news.
        let busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
        let (addr, _) = whep_fake("127.0.0.94", vec![PREFLIGHT, busy]).await;
        let named = WhepCandidate::Named { preflight: true };
        let e = whep(&target(addr), "/cam/whep", named).await.unwrap_err();
        assert!(matches!(e, AnalyzeError::Refused(_)), "{e:?}");
        assert!(e.to_string().contains("503"), "{e}");
    }
}
