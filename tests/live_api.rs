//! The live preview's routes without a browser, against real servers: GStreamer RTSP cameras
//! (`tests/servers/rtsp_server.py`: H.264 with x264's B-frames and AAC, H.265, a camera asking
//! for Digest credentials, one more for counting sessions, one whose password changes after the
//! scan) on 127.0.2.1-5:8554 and VLC's
//! MJPEG over HTTP (`tests/servers/media_lab.py`) on 127.0.2.3:8080, scanned into an inventory
//! that the real `camscan serve --credentials` on 127.0.2.9 plays from.
//!
//! The MSE feed is read over a plain WebSocket client (a `TcpStream`, RFC 6455 framing by hand)
//! and what it carries is handed to ffprobe, which must read H.264 with reordered frames and AAC
//! from it. The browser side (Chromium playing it) is `tests/live.rs`.

#![allow(clippy::print_stderr)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Serve, Server, camscan_with_db, run, stderr};
use serde_json::{Value, json};

const SERVE: &str = "127.0.2.9:8750";
const SHARED_CAMERA: &str = "127.0.2.4";
/// A camera whose password changes after the scan.
const CHANGED_CAMERA: &str = "127.0.2.5";

fn digest_camera(ip: &str, password: &str) -> Server {
    common::rtsp_servers(&json!([
        {"address": ip, "port": 8554,
         "auth": {"method": "digest", "user": "admin", "password": password}, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 320, "height": 180, "fps": 15,
                       "profile": "main"},
             "audio": null}]}
    ]))
}

struct Lab {
    _cameras: Vec<Server>,
    shared: Server,
    /// `CHANGED_CAMERA` as it runs after the scan: with another password.
    changed: Server,
    _mjpeg: Server,
    _serve: Serve,
    _dir: tempfile::TempDir,
    /// Stream id by URL.
    streams: Vec<(i64, String)>,
}

fn lab() -> Lab {
    {
        assert!(
            common::is_root(),
            "the media lab needs root: run scripts/test"
        );
        let plain = common::rtsp_servers(&json!([
            {"address": "127.0.2.1", "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15,
                           "profile": "main", "bframes": 2},
                 "audio": {"codec": "aac", "rate": 16000, "channels": 1}},
                {"path": "/Streaming/Channels/102",
                 "video": {"codec": "h265", "width": 640, "height": 360, "fps": 15},
                 "audio": null}]},
            {"address": "127.0.2.2", "port": 8554,
             "auth": {"method": "digest", "user": "viewer", "password": "s3cret!"}, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 320, "height": 180, "fps": 15,
                           "profile": "main"},
                 "audio": {"codec": "pcmu", "rate": 8000, "channels": 1}}]}
        ]));
        let shared = common::rtsp_servers(&json!([
            {"address": SHARED_CAMERA, "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 320, "height": 180, "fps": 15,
                           "profile": "main"},
                 "audio": null}]}
        ]));
        let before_change = digest_camera(CHANGED_CAMERA, "admin");
        let mjpeg = common::media_lab(
            &[
                "--only",
                "mjpeg",
                "--bind",
                "mjpeg=127.0.2.3",
                // The launcher's snapshot server (lab plumbing) on an address of this file's own
                // too: other test files run media labs at the same time.
                "--bind",
                "hls=127.0.2.6",
                "--timeout",
                "60",
            ],
            Duration::from_secs(70),
        );
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds.txt");
        std::fs::write(&creds, "admin:admin\nviewer:s3cret!\n").unwrap();
        let db = dir.path().join("inventory.db");
        let out = run(
            camscan_with_db(&db).args([
                "scan",
                "127.0.2.1-5",
                "-p",
                "8554,8080",
                "--credentials",
                creds.to_str().unwrap(),
                "-f",
                "json",
            ]),
            Duration::from_secs(120),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        drop(before_change);
        let changed = digest_camera(CHANGED_CAMERA, "changed-since");
        let serve = Serve::start(&db, SERVE, &["--credentials", creds.to_str().unwrap()]);
        let list = get_json("/api/v1/streams?limit=100").1;
        let streams = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_i64().unwrap(),
                    s["url"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        Lab {
            _cameras: vec![plain],
            shared,
            changed,
            _mjpeg: mjpeg,
            _serve: serve,
            _dir: dir,
            streams,
        }
    }
}

fn stream(lab: &Lab, url: &str) -> i64 {
    lab.streams
        .iter()
        .find(|(_, u)| u == url)
        .unwrap_or_else(|| panic!("{url} not in the inventory: {:?}", lab.streams))
        .0
}

/// One HTTP request; (status, head, body).
fn request(method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(SERVE).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {SERVE}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{path}: no head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..at]).to_string();
    let status = head[9..12].parse().unwrap();
    (status, head, raw[at + 4..].to_vec())
}

fn get_json(path: &str) -> (u16, Value) {
    let (status, head, body) = request("GET", path, "", b"");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&body)));
    (status, v)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(at) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&b[..at]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[at + 2..at + 2 + n]);
        b = &b[at + 2 + n + 2..];
    }
    out
}

/// A WebSocket client of the MSE feed (RFC 6455; the server's frames are not masked).
struct Ws(TcpStream);

enum Frame {
    Text(String),
    Binary(Vec<u8>),
    Close,
}

impl Ws {
    fn open(path: &str) -> Result<Ws, (u16, String)> {
        let mut s = TcpStream::connect(SERVE).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {SERVE}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let status: u16 = head[9..12].parse().unwrap();
        if status != 101 {
            return Err((status, head));
        }
        // RFC 6455 §1.3's example key and its accept value.
        assert!(
            head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "no Sec-WebSocket-Accept: {head}"
        );
        Ok(Ws(s))
    }

    fn next(&mut self) -> Frame {
        let mut h = [0u8; 2];
        self.0.read_exact(&mut h).unwrap();
        assert_eq!(h[1] & 0x80, 0, "a server frame is never masked");
        let len = match h[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.0.read_exact(&mut b).unwrap();
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.0.read_exact(&mut b).unwrap();
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        assert!(len < 8 << 20, "a frame of {len} bytes");
        let mut payload = vec![0u8; len as usize];
        self.0.read_exact(&mut payload).unwrap();
        match h[0] & 0x0f {
            1 => Frame::Text(String::from_utf8(payload).unwrap()),
            2 => Frame::Binary(payload),
            8 => Frame::Close,
            op => panic!("unexpected opcode {op}"),
        }
    }
}

fn shots_dir() -> PathBuf {
    let d = common::root_dir().join("target/live-api");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// H.264 with B-frames and AAC: the preview offers MSE only, and the feed is fMP4 that ffprobe
/// reads as H.264 (reordered: presentation order differs from decode order) plus AAC, starting at
/// a keyframe, at the camera's rate.
fn the_mse_feed_carries_h264_with_b_frames_and_aac_as_fmp4(lab: &Lab) {
    let id = stream(lab, "rtsp://127.0.2.1:8554/Streaming/Channels/101");
    let (status, p) = get_json(&format!("/api/v1/streams/{id}/preview"));
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["codec"], "h264", "{p}");
    assert_eq!(p["b_frames"], true, "{p}");
    assert_eq!(p["modes"], json!(["mse"]), "{p}");
    assert_eq!(p["audio"], "aac", "{p}");
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(640), Some(360))
    );

    let mut ws = Ws::open(&format!("/api/v1/streams/{id}/live")).unwrap();
    let mut params = None;
    let mut bytes = Vec::new();
    let mut stats = 0;
    let until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < until {
        match ws.next() {
            Frame::Text(t) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                match m["type"].as_str() {
                    Some("params") => params = Some(m),
                    Some("stats") => stats += 1,
                    other => panic!("unexpected message {other:?}: {m}"),
                }
            }
            Frame::Binary(b) => {
                assert!(params.is_some(), "binary before params");
                bytes.extend_from_slice(&b);
            }
            Frame::Close => panic!("the feed closed"),
        }
    }
    let params = params.expect("a params message");
    let mime = params["mime"].as_str().unwrap();
    assert!(
        mime.starts_with("video/mp4; codecs=\"avc1.") && mime.contains("mp4a.40.2"),
        "{mime}"
    );
    assert!(stats >= 5, "a stats message each second: {stats}");
    let file = shots_dir().join("mse-feed.mp4");
    std::fs::write(&file, &bytes).unwrap();
    let probe = |entries: &str, stream: &str| {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                stream,
                "-show_entries",
                entries,
            ])
            .args(["-of", "json"])
            .arg(&file)
            .output()
            .expect("ffprobe (Debian ffmpeg)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let streams = probe("stream=codec_name,width,height,sample_rate", "a:0");
    assert_eq!(streams["streams"][0]["codec_name"], "aac", "{streams}");
    let video = probe("packet=pts,dts,flags", "v:0");
    let packets = video["packets"].as_array().unwrap();
    // ~8 s at 15 fps less the wait for the first keyframe (2 s GOP) and x264's look-ahead.
    assert!(packets.len() >= 50, "{} video frames", packets.len());
    assert!(
        packets[0]["flags"].as_str().unwrap().starts_with('K'),
        "starts at a keyframe"
    );
    let pts: Vec<i64> = packets.iter().map(|p| p["pts"].as_i64().unwrap()).collect();
    let dts: Vec<i64> = packets.iter().map(|p| p["dts"].as_i64().unwrap()).collect();
    assert!(dts.windows(2).all(|w| w[0] < w[1]), "decode times increase");
    assert!(
        pts.windows(2).any(|w| w[1] < w[0]),
        "B-frames: some frame is presented before the one decoded ahead of it"
    );
    assert!(
        pts.iter().zip(&dts).all(|(p, d)| p >= d),
        "never shown before decoded"
    );
    // Presentation order covers the time at the camera's 15 fps (within 5%).
    let mut sorted = pts.clone();
    sorted.sort_unstable();
    let span = (sorted[sorted.len() - 1] - sorted[0]) as f64 / 90_000.0;
    let fps = (sorted.len() - 1) as f64 / span;
    eprintln!("FIGURE mse_feed_fps {fps:.2} over {span:.1} s");
    assert!((fps - 15.0).abs() < 0.75, "{fps} fps");
}

/// H.265: no browser route decodes it; the preview says so and points at the snapshot, and the
/// feed and WHEP refuse it with the same reason.
fn h265_is_shown_as_a_snapshot_with_its_reason(lab: &Lab) {
    let id = stream(lab, "rtsp://127.0.2.1:8554/Streaming/Channels/102");
    let (status, p) = get_json(&format!("/api/v1/streams/{id}/preview"));
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["modes"], json!(["snapshot"]), "{p}");
    assert!(
        p["reason"]
            .as_str()
            .unwrap()
            .contains("this browser cannot decode H.265"),
        "{p}"
    );
    assert_eq!(
        p["snapshot"],
        format!("/api/v1/devices/{}/snapshot", p["device_id"])
    );
    let (status, head) = Ws::open(&format!("/api/v1/streams/{id}/live"))
        .err()
        .unwrap();
    assert_eq!(status, 422, "{head}");
    let (status, _, body) = request(
        "POST",
        &format!("/api/v1/streams/{id}/whep"),
        "Content-Type: application/sdp\r\n",
        b"v=0\r\n",
    );
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
}

/// A camera that asks for Digest credentials plays with the server's `--credentials`, and its
/// G.711 audio is named as unsupported, not silently dropped.
fn a_camera_behind_digest_plays_with_the_servers_credentials(lab: &Lab) {
    let id = stream(lab, "rtsp://127.0.2.2:8554/Streaming/Channels/101");
    // The answer waits up to 7 s for the relay to settle; on a loaded machine the Digest
    // round trip and the first frames can take longer, and the answer then says "connecting",
    // or "live" before 16 frames in order have shown there are no B-frames (`b_frames` null),
    // as the API documents, with MSE as the only mode, which plays either way. A client that
    // wants WebRTC asks again; so does this test, a bounded number of times.
    let started = Instant::now();
    let mut p = Value::Null;
    for _ in 0..4 {
        let (status, answer) = get_json(&format!("/api/v1/streams/{id}/preview"));
        assert_eq!(status, 200, "{answer}");
        p = answer;
        if p["state"] != "connecting" && !p["b_frames"].is_null() {
            break;
        }
    }
    eprintln!(
        "FIGURE digest_preview_live_ms {}",
        started.elapsed().as_millis()
    );
    assert_eq!(p["state"], "live", "{p}");
    assert_eq!(p["b_frames"], false, "{p}");
    // WebRTC is offered only by a build with it (`--features webrtc`, as scripts/test builds).
    let modes = if cfg!(feature = "webrtc") {
        json!(["webrtc", "mse"])
    } else {
        json!(["mse"])
    };
    assert_eq!(p["modes"], modes, "{p}");
    assert!(
        p["audio_note"]
            .as_str()
            .unwrap_or_default()
            .contains("G.711"),
        "{p}"
    );
    assert!(!p.to_string().contains("s3cret"), "no credential in {p}");
}

/// The camera's password changed after the scan: the preview answers 502 with the refusal, and
/// the refused credential is sent once, never again, however often the page asks.
fn a_refused_credential_is_not_sent_again(lab: &Lab) {
    let id = stream(
        lab,
        &format!("rtsp://{CHANGED_CAMERA}:8554/Streaming/Channels/101"),
    );
    for _ in 0..3 {
        let (status, p) = get_json(&format!("/api/v1/streams/{id}/preview"));
        assert_eq!(status, 502, "{p}");
        assert_eq!(p["type"], "urn:camscan:problem:camera-failed", "{p}");
        assert!(p["detail"].as_str().unwrap().contains("refused"), "{p}");
        std::thread::sleep(Duration::from_millis(1500));
    }
    let fails = lab
        .changed
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("AUTHFAIL "))
        .count();
    assert_eq!(fails, 1, "the refused credential was sent {fails} times");
}

/// Five MSE viewers of one stream: the camera serves one RTSP session (gst-rtsp-server's
/// `client-connected`, one per connection), and each viewer gets the picture.
fn viewers_share_one_camera_session(lab: &Lab) {
    let id = stream(
        lab,
        &format!("rtsp://{SHARED_CAMERA}:8554/Streaming/Channels/101"),
    );
    let before = lab.shared.lines.lock().unwrap().len();
    let mut viewers: Vec<Ws> = (0..5)
        .map(|_| Ws::open(&format!("/api/v1/streams/{id}/live")).unwrap())
        .collect();
    for ws in &mut viewers {
        let until = Instant::now() + Duration::from_secs(15);
        let mut fragments = 0;
        while fragments < 20 {
            assert!(Instant::now() < until, "a viewer got {fragments} fragments");
            if let Frame::Binary(_) = ws.next() {
                fragments += 1;
            }
        }
    }
    let (_, p) = get_json(&format!("/api/v1/streams/{id}/preview"));
    assert_eq!(p["viewers"], 5, "{p}");
    let clients: Vec<String> = lab.shared.lines.lock().unwrap()[before..]
        .iter()
        .filter(|l| l.starts_with("CLIENT "))
        .cloned()
        .collect();
    assert_eq!(clients.len(), 1, "{clients:?}");
}

/// MJPEG over HTTP (VLC): relayed as it comes, part after part, with the camera's boundary.
fn mjpeg_is_relayed_part_by_part(lab: &Lab) {
    let id = stream(lab, "http://127.0.2.3:8080/mjpg/video.mjpg");
    let (_, p) = get_json(&format!("/api/v1/streams/{id}/preview"));
    assert_eq!(p["modes"], json!(["mjpeg"]), "{p}");
    let mut s = TcpStream::connect(SERVE).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /api/v1/streams/{id}/mjpeg HTTP/1.1\r\nHost: {SERVE}\r\n\r\n"
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 16384];
    let until = Instant::now() + Duration::from_secs(10);
    let count = |b: &[u8]| b.windows(3).filter(|w| *w == [0xFF, 0xD8, 0xFF]).count();
    while count(&got) < 3 && Instant::now() < until {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the relay ended");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..80.min(text.len())]
    );
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: multipart/x-mixed-replace; boundary="),
        "{}",
        &text[..400.min(text.len())]
    );
    assert!(count(&got) >= 3, "three JPEG parts");
}

/// What WHEP and the preview refuse, as problem documents with their statuses.
fn refusals_are_problem_documents(lab: &Lab) {
    let id = stream(lab, "rtsp://127.0.2.1:8554/Streaming/Channels/101");
    let (status, p) = get_json("/api/v1/streams/999999/preview");
    assert_eq!(status, 404, "{p}");
    assert_eq!(p["type"], "urn:camscan:problem:not-found");
    let (status, _) = get_json("/api/v1/streams/x/preview");
    assert_eq!(status, 400);
    let whep = format!("/api/v1/streams/{id}/whep");
    let (status, _, _) = request("POST", &whep, "Content-Type: text/plain\r\n", b"v=0\r\n");
    assert_eq!(status, 415);
    let (status, _, body) = request(
        "POST",
        &whep,
        "Content-Type: application/sdp\r\n",
        b"this is not SDP",
    );
    // A build without WebRTC refuses every offer as not playable, before reading it.
    let refused = if cfg!(feature = "webrtc") { 400 } else { 422 };
    assert_eq!(status, refused, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) = request("DELETE", &format!("{whep}/nosuchsession"), "", b"");
    assert_eq!(status, 404);
}

/// One test over one lab and one server: the server lives in this function, so it ends with it
/// (a `camscan serve` kept in a static would outlive the test process).
#[test]
fn the_live_routes_against_real_servers() {
    let lab = lab();
    the_mse_feed_carries_h264_with_b_frames_and_aac_as_fmp4(&lab);
    h265_is_shown_as_a_snapshot_with_its_reason(&lab);
    a_camera_behind_digest_plays_with_the_servers_credentials(&lab);
    viewers_share_one_camera_session(&lab);
    mjpeg_is_relayed_part_by_part(&lab);
    refusals_are_problem_documents(&lab);
    a_refused_credential_is_not_sent_again(&lab);
}
