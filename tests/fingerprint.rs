//! HTTP fingerprints end to end. No camera firmware is installable here, so the positive case is a
//! loopback fake that answers exactly as the cited Hikvision signatures describe (`Server: App-webs/`,
//! a Digest realm naming the model on `/ISAPI/System/deviceInfo`); the negative cases on real servers
//! (nginx's default site) are in `tests/media.rs`. go2rtc (a Go binary from GitHub, not packaged) is
//! likewise a fake answering as its `internal/api` and `internal/webrtc` code does.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::schema::Report;
use common::{run, stderr, stdout};

/// One answer of a fake: status line, extra header lines (each ending in CRLF), body.
type Answer = (&'static str, &'static str, &'static str);

/// A loopback web server that answers each request (method, path, body) with `respond`; records
/// the request lines ("METHOD PATH") and serves until the test process ends.
fn fake_http(
    addr: &str,
    respond: fn(&str, &str, &[u8]) -> Answer,
) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::Read;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let listener = TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                // The head (noting Content-Length), then the body.
                let mut length = 0;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let mut words = request.split_whitespace();
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
                log.lock().unwrap().push(format!("{method} {path}"));
                let (status, extra, answer) = respond(method, path, &body);
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            });
        }
    });
    seen
}

/// A web server that looks like a Hikvision camera's.
fn hikvision_like(addr: &str) {
    fake_http(addr, |_, path, _| match path {
        "/" => (
            "200 OK",
            "Server: App-webs/\r\nContent-Type: text/html\r\n",
            "<html><head><title>Index</title></head><body>web</body></html>",
        ),
        "/ISAPI/System/deviceInfo" => (
            "401 Unauthorized",
            "Server: App-webs/\r\nWWW-Authenticate: Digest qop=\"auth\", realm=\"DS-2CD2143G2-I\", nonce=\"4e5a\", stale=\"FALSE\"\r\n",
            "",
        ),
        _ => ("404 Not Found", "Server: App-webs/\r\n", ""),
    });
}

#[test]
fn a_camera_web_ui_names_vendor_and_model_with_evidence() {
    hikvision_like("127.0.0.71:8081");
    let out = run(
        common::camscan().args(["scan", "127.0.0.71", "-p", "8081", "-f", "json"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.71");
    assert!(d.is_camera, "a camera web UI is a camera");
    assert_eq!(d.vendor.as_deref(), Some("Hikvision"));
    assert_eq!(d.model.as_deref(), Some("DS-2CD2143G2-I"));
    let evidence: Vec<&str> = raw["devices"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("App-webs")),
        "{evidence:?}"
    );
    assert!(evidence.iter().all(|e| e.starts_with("port 8081: ")));
    let s = &d.services[0];
    assert_eq!(s.title.as_deref(), Some("Index"));
    assert!(
        s.product.as_deref().unwrap_or("").starts_with("Hikvision"),
        "{s:?}"
    );
}

/// A web server that answers as go2rtc's API does: its page, `/api` (app info), `/api/streams`
/// (two streams) and a WHEP offer to `/api/webrtc?src=<name>` (201, an SDP answer).
fn go2rtc_like(addr: &str) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    const ANSWER: &str = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=640029\r\na=sendonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8\r\na=rtpmap:8 PCMA/8000\r\n";
    fake_http(addr, |method, path, offer| match (method, path) {
        ("GET", "/") => (
            "200 OK",
            "Content-Type: text/html\r\n",
            "<!DOCTYPE html><html><head><title>go2rtc</title></head></html>",
        ),
        ("GET", "/api") => (
            "200 OK",
            "Content-Type: application/json\r\n",
            r#"{"config_path":"/config/go2rtc.yaml","host":"127.0.0.72:1984","revision":"a1b2c3d","version":"1.9.9"}"#,
        ),
        ("GET", "/api/streams") => (
            "200 OK",
            "Content-Type: application/json\r\n",
            r#"{"front_door":{"producers":[{"url":"rtsp://10.0.0.2/1"}]},"garage":{}}"#,
        ),
        ("POST", "/api/webrtc?src=front_door") if offer.starts_with(b"v=0") => {
            ("201 Created", "Content-Type: application/sdp\r\n", ANSWER)
        }
        ("POST", "/api/webrtc?src=garage") => (
            "404 Not Found",
            "Content-Type: text/plain\r\n",
            "streams: stream not found",
        ),
        _ => (
            "404 Not Found",
            "Content-Type: text/plain\r\n",
            "404 page not found",
        ),
    })
}

#[test]
fn go2rtc_streams_are_offered_to_over_whep() {
    let seen = go2rtc_like("127.0.0.72:1984");
    let out = run(
        common::camscan().args(["scan", "127.0.0.72", "-p", "1984", "-f", "json"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.72");
    let gw = d
        .services
        .iter()
        .find(|s| s.protocol == "webrtc")
        .unwrap_or_else(|| panic!("{:?}", d.services));
    assert_eq!(gw.product.as_deref(), Some("go2rtc 1.9.9"));
    let s = d.stream("http://127.0.0.72:1984/api/webrtc?src=front_door");
    assert_eq!(s.protocol, "webrtc");
    let v = s.video.as_ref().unwrap();
    assert_eq!(
        (v.codec.as_str(), v.profile.as_deref()),
        ("h264", Some("high"))
    );
    assert_eq!(s.audio.as_ref().unwrap().codec, "pcma");
    // The stream go2rtc does not have is a recorded refusal, not a stream.
    assert_eq!(
        d.streams.iter().filter(|s| s.protocol == "webrtc").count(),
        1
    );
    assert!(
        d.errors
            .iter()
            .any(|e| e.message.contains("src=garage") && e.message.contains("404")),
        "{:?}",
        d.errors
    );
    // Offers went straight to the named streams (go2rtc answers no OPTIONS preflight there).
    let seen = seen.lock().unwrap();
    assert!(
        seen.contains(&"POST /api/webrtc?src=front_door".to_string()),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|r| r.starts_with("OPTIONS /api/webrtc")),
        "{seen:?}"
    );
}
