//! Stream protocols beyond RTSP, proven on real third-party servers (`tests/servers/media_lab.py`):
//! nginx with libnginx-mod-rtmp fed by ffmpeg (RTMP), ffmpeg-written HLS and DASH served by nginx, a
//! static JPEG, VLC's MJPEG HTTP output at 5 fps, coturn (STUN/TURN), Janus' HTTP API, and a plain
//! nginx site that must not become a camera, HTTPS from nginx and from an old-TLS OpenSSL server, and
//! a WHEP endpoint whose SDP answers come from aiortc, VLC's HTTP-FLV output, and nginx-rtmp with
//! HLS publishing under a stream key no dictionary has (127.0.0.62, scanned on its own). One scan
//! of 127.0.0.51-61 with the default ports; every
//! stream URL camscan reports must open in ffprobe. Needs root (ports 80, 1935) and the Debian
//! packages in `tests/servers/media_lab.packages`: `scripts/test` installs them.

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::schema::{Report, Stream};
use common::{run, stderr, stdout};

fn lab() -> &'static common::Server {
    static LAB: OnceLock<common::Server> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(
            common::is_root(),
            "the media lab needs root: run scripts/test"
        );
        common::media_lab(&["--timeout", "80"], Duration::from_secs(90))
    })
}

fn scan() -> &'static (Report, serde_json::Value) {
    static REPORT: OnceLock<(Report, serde_json::Value)> = OnceLock::new();
    REPORT.get_or_init(|| {
        lab();
        let out = run(
            common::camscan().args(["scan", "127.0.0.51-61", "-f", "json"]),
            Duration::from_secs(120),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        (
            serde_json::from_str(&text).unwrap(),
            serde_json::from_str(&text).unwrap(),
        )
    })
}

/// ffprobe's first video stream of `url`: (codec, width, height).
fn ffprobe_video(url: &str) -> (String, u64, u64) {
    let out = run(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rw_timeout",
            "10000000",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "json",
            url,
        ]),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "ffprobe {url}: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let s = &v["streams"][0];
    (
        s["codec_name"].as_str().unwrap_or_default().to_string(),
        s["width"].as_u64().unwrap_or(0),
        s["height"].as_u64().unwrap_or(0),
    )
}

fn video(s: &Stream) -> (&str, Option<u32>, Option<u32>, Option<f64>) {
    let v = s.video.as_ref().expect("video facts");
    (v.codec.as_str(), v.width, v.height, v.fps)
}

#[test]
fn rtmp_stream_found_described_and_playable() {
    let (report, _) = scan();
    let d = report.device("127.0.0.51");
    assert!(d.is_camera, "a video server");
    assert!(
        d.services
            .iter()
            .any(|s| s.port == 1935 && s.protocol == "rtmp")
    );
    let s = d.stream("rtmp://127.0.0.51:1935/live/stream");
    assert_eq!(s.protocol, "rtmp");
    assert!(s.verified);
    assert_eq!(video(s), ("h264", Some(640), Some(360), Some(15.0)));
    assert_eq!(s.audio.as_ref().unwrap().codec, "aac");
    assert_eq!(ffprobe_video(&s.url), ("h264".into(), 640, 360));
}

#[test]
fn hls_dash_and_snapshot_found_from_the_page_and_playable() {
    let (report, _) = scan();
    let d = report.device("127.0.0.52");
    let hls = d.stream("http://127.0.0.52/hls/cam.m3u8");
    assert_eq!(hls.protocol, "hls");
    // The master playlist's best variant (640x360 of 640x360 and 320x180).
    let (codec, w, h, _) = video(hls);
    assert_eq!((codec, w, h), ("h264", Some(640), Some(360)));
    // CODECS="avc1.4d4016,...": profile from the playlist's codec string.
    assert_eq!(hls.video.as_ref().unwrap().profile.as_deref(), Some("main"));
    // ffmpeg writes no FRAME-RATE: the best variant's first TS segment's SPS has it.
    assert_eq!(hls.video.as_ref().unwrap().fps, Some(15.0));
    assert_eq!(
        hls.video.as_ref().unwrap().fps_source.as_deref(),
        Some("sps")
    );
    assert_eq!(hls.audio.as_ref().unwrap().codec, "aac");
    assert!(
        hls.verified,
        "its best variant's first segment is MPEG-TS media"
    );
    assert_eq!(ffprobe_video(&hls.url), ("h264".into(), 640, 360));

    // A media playlist names nothing: its first TS segment's PMT gives the codecs, the SPS the
    // size, profile and frame rate.
    let media = d.stream("http://127.0.0.52/hls/cam_360p.m3u8");
    assert_eq!(video(media), ("h264", Some(640), Some(360), Some(15.0)));
    assert_eq!(
        media.video.as_ref().unwrap().profile.as_deref(),
        Some("main")
    );
    let a = media.audio.as_ref().unwrap();
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("aac", Some(44100), Some(1)),
        "the first ADTS header"
    );
    assert_eq!(ffprobe_video(&media.url), ("h264".into(), 640, 360));
    assert!(media.verified);

    let dash = d.stream("http://127.0.0.52/dash/cam.mpd");
    assert_eq!(dash.protocol, "dash");
    // The newest segment ffmpeg's SegmentTimeline lists was fetched and is an fMP4 fragment.
    assert!(dash.verified, "{dash:?}");
    assert_eq!(video(dash), ("h264", Some(640), Some(360), Some(15.0)));
    let (codec, _, _) = ffprobe_video(&dash.url);
    assert_eq!(codec, "h264");

    let jpeg = d.stream("http://127.0.0.52/snapshot.jpg");
    assert_eq!(jpeg.protocol, "jpeg");
    assert_eq!(video(jpeg), ("jpeg", Some(320), Some(240), None));
}

/// fMP4 HLS whose master playlist names no codecs (ffmpeg 5.1 writes none for HEVC): the variant's
/// init segment names them, and the first fragment's sample durations give the frame rate.
#[test]
fn fmp4_hls_described_from_its_init_segment() {
    let (report, _) = scan();
    let d = report.device("127.0.0.52");
    let s = d.stream("http://127.0.0.52/hls/cam_hevc.m3u8");
    assert_eq!(s.protocol, "hls");
    assert_eq!(video(s), ("h265", Some(320), Some(240), Some(10.0)));
    let v = s.video.as_ref().unwrap();
    assert_eq!(v.profile.as_deref(), Some("main"));
    assert_eq!(v.fps_source.as_deref(), Some("segment"));
    assert!(s.verified, "its first media segment is a movie fragment");
    let a = s.audio.as_ref().expect("audio from the init segment");
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("opus", Some(48000), Some(2))
    );
    assert_eq!(ffprobe_video(&s.url), ("hevc".into(), 320, 240));
}

/// HTTP-TS from VLC's own TS muxer, on SRS' path: the program map names the codecs, the H.264 SPS
/// gives size and frame rate, the first ADTS header the audio.
#[test]
fn http_ts_found_on_its_path_described_and_playable() {
    let (report, _) = scan();
    let d = report.device("127.0.0.61");
    let s = d.stream("http://127.0.0.61:8080/live/livestream.ts");
    assert_eq!(s.protocol, "ts");
    assert!(s.verified);
    assert_eq!(video(s), ("h264", Some(640), Some(360), Some(15.0)));
    let v = s.video.as_ref().unwrap();
    assert_eq!(v.fps_source.as_deref(), Some("sps"));
    assert_eq!(v.profile.as_deref(), Some("constrained baseline"));
    let a = s.audio.as_ref().expect("audio");
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("aac", Some(44100), Some(1))
    );
    assert_eq!(ffprobe_video(&s.url), ("h264".into(), 640, 360));
}

/// The same FLV and TS streams through nginx, which sends them chunked (VLC gives no length): the
/// chunk framing is taken off before they are read.
#[test]
fn chunked_live_streams_through_a_proxy_are_described() {
    let (report, _) = scan();
    let d = report.device("127.0.0.52");
    for (path, protocol) in [
        ("/live/livestream.flv", "flv"),
        ("/live/livestream.ts", "ts"),
    ] {
        let s = d.stream(&format!("http://127.0.0.52{path}"));
        assert_eq!(s.protocol, protocol);
        assert!(s.verified, "{path}");
        let (codec, w, h, fps) = video(s);
        assert_eq!((codec, w, h), ("h264", Some(640), Some(360)), "{path}");
        // FLV: measured from tag timestamps; TS: the SPS timing.
        assert!((fps.expect("fps") - 15.0).abs() <= 0.5, "{path}: {fps:?}");
        assert_eq!(s.audio.as_ref().expect("audio").codec, "aac", "{path}");
    }
}

#[test]
fn mjpeg_frame_rate_is_measured_not_assumed() {
    let (report, _) = scan();
    let d = report.device("127.0.0.53");
    let s = d.stream("http://127.0.0.53:8080/mjpg/video.mjpg");
    assert_eq!(s.protocol, "mjpeg");
    assert!(s.verified);
    let (codec, w, h, fps) = video(s);
    assert_eq!((codec, w, h), ("mjpeg", Some(320), Some(240)));
    let fps = fps.expect("measured fps");
    assert!(
        (4.5..=5.5).contains(&fps),
        "VLC serves 5 fps, measured {fps}"
    );
    assert_eq!(
        s.video.as_ref().unwrap().fps_source.as_deref(),
        Some("parts")
    );
    assert!(s.measured.as_ref().unwrap().packets >= 3);
    assert_eq!(ffprobe_video(&s.url), ("mjpeg".into(), 320, 240));
    // VLC's HTTP port answers RTSP too, 404 to every path: once its HTTP side serves live media,
    // the RTSP walk asks no more guesses, and says why it stopped. Its first round was asked
    // whole before (42 DESCRIBEs here); 6 now, the HTTP side marking the port within its first
    // requests.
    let (_, raw) = scan();
    let walk = raw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "127.0.0.53")
        .and_then(|d| {
            d["services"]
                .as_array()?
                .iter()
                .find(|s| s["port"] == 8080 && s["protocol"] == "rtsp")
        })
        .map(|s| s["path_walk"].clone());
    if let Some(walk) = walk {
        let asked = walk["asked"].as_u64().unwrap();
        assert!(asked <= 20, "{walk:#}");
        assert_eq!(walk["stopped"], "live-over-http", "{walk:#}");
    }
}

#[test]
fn stun_turn_and_janus_are_webrtc_services() {
    let (report, _) = scan();
    let turn = report.device("127.0.0.54");
    for transport in ["tcp", "udp"] {
        let s = turn
            .services
            .iter()
            .find(|s| s.port == 3478 && s.protocol == "webrtc" && s.transport == transport)
            .unwrap_or_else(|| panic!("STUN over {transport}: {:?}", turn.services));
        assert!(
            s.server.as_deref().unwrap_or("").starts_with("Coturn-"),
            "{s:?}"
        );
    }
    assert!(!turn.is_camera, "a TURN server is not a camera");
    let janus = report.device("127.0.0.56");
    let s = janus
        .services
        .iter()
        .find(|s| s.port == 8088 && s.protocol == "webrtc")
        .unwrap_or_else(|| panic!("{:?}", janus.services));
    assert_eq!(s.product.as_deref(), Some("Janus WebRTC Server 1.1.2"));
}

#[test]
fn a_plain_web_site_is_not_a_camera() {
    let (report, _) = scan();
    let web = report.device("127.0.0.55");
    assert!(!web.is_camera);
    assert!(web.streams.is_empty(), "{:?}", web.streams);
    assert_eq!(web.services.len(), 1);
    assert_eq!(web.services[0].protocol, "http");
}

#[test]
fn https_banner_and_a_clear_error_for_old_tls() {
    let (report, _) = scan();
    let secure = report.device("127.0.0.57");
    let s = secure
        .services
        .iter()
        .find(|s| s.port == 443)
        .unwrap_or_else(|| panic!("{:?}", secure.services));
    assert_eq!(s.protocol, "http");
    assert!(
        s.server.as_deref().unwrap_or("").starts_with("nginx"),
        "{s:?}"
    );
    assert!(
        s.tls.as_deref().unwrap_or("").starts_with("TLS 1."),
        "{s:?}"
    );
    // WHEP over HTTPS (nginx in front of the lab's endpoint): offer and answer over TLS; the
    // session's DELETE too (the WHEP test checks that every session created was deleted).
    let whep = secure.stream("https://127.0.0.57:443/cam/whep");
    assert_eq!(whep.protocol, "webrtc");
    // Offer and answer exchanged, no media asked for: answers, not known to play.
    assert_eq!(whep.status, common::schema::Status::Unverified);
    assert_eq!(whep.video.as_ref().expect("video").codec, "h264");
    let old = report.device("127.0.0.58");
    assert!(old.services.is_empty(), "{:?}", old.services);
    let e = old
        .errors
        .iter()
        .find(|e| e.port == Some(8443))
        .expect("the failed handshake is recorded");
    assert!(e.message.contains("TLS handshake"), "{}", e.message);
    assert!(
        e.message.contains("TLS 1.0/1.1 or RSA key exchange"),
        "{}",
        e.message
    );
}

/// The WHEP server's own count of sessions (tests/servers/whep_server.py `/_lab/sessions`).
fn whep_sessions() -> serde_json::Value {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect("127.0.0.60:8889").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /_lab/sessions HTTP/1.0\r\nHost: lab\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let body = text.split("\r\n\r\n").nth(1).expect("a body");
    serde_json::from_str(body).unwrap()
}

#[test]
fn whep_endpoint_found_with_its_codecs_and_its_session_deleted() {
    let (report, _) = scan();
    let d = report.device("127.0.0.60");
    let s = d.stream("http://127.0.0.60:8889/cam/whep");
    assert_eq!(s.protocol, "webrtc");
    // It answered the offer; camscan receives no media over WebRTC: `unverified`, not `ok`.
    assert_eq!(s.status, common::schema::Status::Unverified);
    // aiortc answers with the first codecs of our offer it can send: H.264 constrained baseline
    // (profile-level-id 42e01f) and Opus 48 kHz stereo.
    let v = s.video.as_ref().expect("video from the SDP answer");
    assert_eq!(v.codec, "h264");
    assert_eq!(v.profile.as_deref(), Some("constrained baseline"));
    let a = s.audio.as_ref().expect("audio from the SDP answer");
    assert_eq!((a.codec.as_str(), a.sample_rate), ("opus", Some(48000)));
    // The guessed paths the server has no stream for (its JSON 404s) are neither streams nor
    // errors; the one endpoint is a webrtc service on the port.
    let webrtc: Vec<_> = d
        .streams
        .iter()
        .filter(|s| s.protocol == "webrtc")
        .collect();
    assert_eq!(webrtc.len(), 1, "{webrtc:?}");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    let svc = d
        .services
        .iter()
        .find(|s| s.port == 8889 && s.protocol == "webrtc")
        .unwrap_or_else(|| panic!("{:?}", d.services));
    assert_eq!(svc.product.as_deref(), Some("WHEP endpoint"));
    // camscan ended the session it opened (DELETE of the Location).
    let n = whep_sessions();
    assert!(n["created"].as_u64().unwrap() >= 1, "{n}");
    assert_eq!(n["open"], 0, "{n}");
    assert_eq!(n["deleted"], n["created"], "{n}");
    // Nobody else offers WHEP: the plain site and nginx's media host answer OPTIONS with 405.
    for ip in ["127.0.0.52", "127.0.0.55"] {
        let d = report.device(ip);
        assert!(
            d.streams.iter().all(|s| s.protocol != "webrtc"),
            "{:?}",
            d.streams
        );
    }
}

#[test]
fn stun_ports_finds_a_udp_only_stun_server() {
    lab();
    // 127.0.0.54: coturn on 3478 (TCP+UDP) and a STUN-only coturn on UDP 19302 alone.
    let out = run(
        common::camscan().args([
            "scan",
            "127.0.0.54",
            "-p",
            "3478",
            "--stun-ports",
            "19302",
            "-f",
            "json",
        ]),
        Duration::from_secs(60),
    );
    // Exit status 1: a STUN server is no camera.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("127.0.0.54");
    let udp = d
        .services
        .iter()
        .find(|s| s.port == 19302 && s.transport == "udp")
        .unwrap_or_else(|| panic!("{:?}", d.services));
    assert_eq!(udp.protocol, "webrtc");
    assert!(
        udp.server.as_deref().unwrap_or("").starts_with("Coturn-"),
        "{udp:?}"
    );
    assert!(
        !d.services
            .iter()
            .any(|s| s.port == 19302 && s.transport == "tcp"),
        "nothing listens on TCP 19302: {:?}",
        d.services
    );
    // Without the option, UDP 19302 is not asked.
    let (report, _) = scan();
    let d = report.device("127.0.0.54");
    assert!(
        !d.services.iter().any(|s| s.port == 19302),
        "{:?}",
        d.services
    );
}

#[test]
fn http_flv_found_on_its_path_described_and_playable() {
    let (report, _) = scan();
    let d = report.device("127.0.0.61");
    let s = d.stream("http://127.0.0.61:8080/live/livestream.flv");
    assert_eq!(s.protocol, "flv");
    assert!(s.verified, "tags arrived");
    let (codec, w, h, fps) = video(s);
    assert_eq!((codec, w, h), ("h264", Some(640), Some(360)));
    // VLC's onMetaData has no framerate: measured from the video tags' timestamps.
    let v = s.video.as_ref().unwrap();
    assert_eq!(v.fps_source.as_deref(), Some("timestamps"));
    assert!((fps.unwrap() - 15.0).abs() <= 0.5, "{fps:?}");
    let a = s.audio.as_ref().expect("audio");
    assert_eq!((a.codec.as_str(), a.sample_rate), ("aac", Some(44100)));
    assert_eq!(ffprobe_video(&s.url), ("h264".into(), 640, 360));
}

/// Kills the processes it holds (by PID) when dropped, a failed assertion included.
struct Busy(Vec<std::process::Child>);

impl Drop for Busy {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// VLC flushes the frames it holds when a client connects, then sends at the source rate; on a
/// busy scanning machine parts are also read late and bunched. The rate comes from the steady part
/// of the window: within 5% of VLC's 5 fps while two busy loops load both cores.
#[test]
fn mjpeg_rate_holds_while_the_scanning_machine_is_busy() {
    lab();
    let hogs = Busy(
        (0..2)
            .map(|_| {
                Command::new("/usr/bin/python3")
                    .args(["-c", "while True: pass"])
                    .spawn()
                    .unwrap()
            })
            .collect(),
    );
    let mut rates = Vec::new();
    for _ in 0..3 {
        let out = run(
            common::camscan().args(["scan", "127.0.0.53", "-p", "8080", "-f", "json"]),
            Duration::from_secs(60),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
        let s = report
            .device("127.0.0.53")
            .stream("http://127.0.0.53:8080/mjpg/video.mjpg");
        rates.push(video(s).3.expect("measured fps"));
    }
    drop(hogs);
    for fps in &rates {
        assert!(
            (4.75..=5.25).contains(fps),
            "VLC serves 5 fps; measured {rates:?} under load"
        );
    }
}

/// A scan of the keyless nginx-rtmp host (RTMP 1935, its HLS folder on 8080): its stdout.
fn scan_keyless(format: &str, extra: &[&str]) -> String {
    lab();
    let out = run(
        common::camscan()
            .args(["scan", "127.0.0.62", "-p", "1935,8080", "-f", format])
            .args(extra),
        Duration::from_secs(60),
    );
    // 1 when nothing was found (no stream without the key).
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    stdout(&out)
}

/// nginx-rtmp as its README sets up HLS, publishing under a key no dictionary has: the RTMP
/// service says which application accepted `connect` and that the key is unknown, the HTTP
/// service that its `/hls/` folder exists but no name was found, in JSON and in the table; with
/// `--paths` holding `live/<key>` both the RTMP stream and its HLS playlist are found.
#[test]
fn an_unguessable_stream_key_is_reported_then_found_with_paths() {
    let report: Report = serde_json::from_str(&scan_keyless("json", &[])).unwrap();
    // Unwrapped (--width 0), to find the notes' words on one line.
    let table = scan_keyless("table", &["--width", "0"]);
    let d = report.device("127.0.0.62");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    let note = |port: u16| {
        d.services
            .iter()
            .find(|s| s.port == port)
            .and_then(|s| s.note.clone())
            .unwrap_or_else(|| panic!("a note on port {port}: {:?}", d.services))
    };
    assert_eq!(
        note(1935),
        "application live accepted connect, stream key unknown: give it with --paths (a line live/<key>)"
    );
    let http = note(8080);
    assert!(
        http.starts_with("media folder /hls/ answers (HTTP 403)"),
        "{http}"
    );
    assert!(http.contains("give it with --paths"), "{http}");
    assert!(
        table.contains("rtmp: application live accepted connect, stream key unknown"),
        "{table}"
    );
    assert!(
        table.contains("http: media folder /hls/ answers"),
        "{table}"
    );

    let dir = std::env::temp_dir().join(format!("camscan-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hints = dir.join("paths.txt");
    std::fs::write(&hints, "# the publisher's key\nlive/cam-7Hq2x\n").unwrap();
    let text = scan_keyless("json", &["--paths", hints.to_str().unwrap()]);
    let report: Report = serde_json::from_str(&text).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let d = report.device("127.0.0.62");
    let rtmp = d.stream("rtmp://127.0.0.62:1935/live/cam-7Hq2x");
    assert!(rtmp.verified);
    assert_eq!(video(rtmp), ("h264", Some(320), Some(180), Some(10.0)));
    let hls = d.stream("http://127.0.0.62:8080/hls/cam-7Hq2x.m3u8");
    assert_eq!(hls.protocol, "hls");
    let (codec, w, h, _) = video(hls);
    assert_eq!((codec, w, h), ("h264", Some(320), Some(180)));
    assert!(
        d.services.iter().all(|s| s.note.is_none()),
        "{:?}",
        d.services
    );
    assert_eq!(ffprobe_video(&hls.url), ("h264".into(), 320, 180));
}

/// `camscan watch --check-streams` on these servers: the light check of every stream the scan
/// found (RTMP play, an HLS or DASH manifest, MJPEG, FLV and TS bodies, the snapshot) passes, and
/// the same URLs with a path the server does not have fail at the `describe` layer.
#[test]
fn watch_checks_pass_on_every_stream_and_fail_on_a_missing_path() {
    use camscan::watch::stream_check::{CheckDeadlines, check};
    use store::{CheckLayer, CheckTarget};
    let (report, _) = scan();
    let streams: Vec<&Stream> = report
        .devices
        .iter()
        .flat_map(|d| &d.streams)
        .filter(|s| s.status.answers() && !s.url.starts_with("webrtc"))
        .collect();
    assert!(streams.len() >= 8, "{}", streams.len());
    let target = |url: &str, protocol: &str| CheckTarget {
        stream_id: 1,
        device_id: 1,
        ip: None,
        url: url.to_string(),
        protocol: protocol.to_string(),
        credential: None,
        fps: None,
        up: true,
        media: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        // The stack camscan's own scan runtime gives a port's analysis (one deep future).
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .unwrap();
    let d = CheckDeadlines {
        connect: Duration::from_secs(2),
        step: Duration::from_secs(5),
    };
    let group = std::sync::Arc::new(retina::client::SessionGroup::default());
    for s in &streams {
        let r = rt.block_on(check(&target(&s.url, &s.protocol), d, &group));
        assert_eq!(r.layer, CheckLayer::Ok, "{}: {r:?}", s.url);
        assert!(r.first_packet_ms.is_some(), "{}: {r:?}", s.url);
    }
    let protocols: std::collections::BTreeSet<&str> =
        streams.iter().map(|s| s.protocol.as_str()).collect();
    for p in ["rtmp", "hls", "dash", "mjpeg"] {
        assert!(protocols.contains(p), "{protocols:?}");
    }
    for (url, protocol) in [
        ("http://127.0.0.52/hls/nosuch.m3u8", "hls"),
        ("rtmp://127.0.0.51:1935/live/nosuch", "rtmp"),
    ] {
        let r = rt.block_on(check(&target(url, protocol), d, &group));
        assert_ne!(r.layer, CheckLayer::Ok, "{url}: {r:?}");
        assert!(
            matches!(r.layer, CheckLayer::Describe | CheckLayer::Media),
            "{url}: {r:?}"
        );
    }
}

/// One box with everything a user could open, as an ONVIF camera offers it: GStreamer RTSP main
/// (1280x720) and sub (320x180) streams on 8554 (Hikvision paths), and, from the same address,
/// the lab's nginx (port 80: HLS, DASH and the ffmpeg-made snapshot JPEG) and VLC's MJPEG
/// (port 8080). Its own address (127.0.0.63), so it runs beside the lab above.
#[test]
fn the_main_stream_is_the_best_video_not_the_snapshot() {
    const IP: &str = "127.0.0.63";
    assert!(
        common::is_root(),
        "the media lab needs root: run scripts/test"
    );
    let video = |w: u32, h: u32| json_video(w, h);
    let _rtsp = common::rtsp_servers(&serde_json::json!([
        {"address": IP, "port": 8554, "auth": null, "mounts": [
            {"path": "/Streaming/Channels/101", "video": video(1280, 720), "audio": null},
            {"path": "/Streaming/Channels/102", "video": video(320, 180), "audio": null}]}
    ]));
    let _web = common::media_lab(
        &[
            "--only",
            "hls,mjpeg",
            "--bind",
            &format!("hls={IP}"),
            "--bind",
            &format!("mjpeg={IP}"),
            "--timeout",
            "60",
        ],
        Duration::from_secs(70),
    );
    let scan = |format: &str| {
        let out = run(
            common::camscan().args(["scan", IP, "-p", "80,8080,8554", "-f", format]),
            Duration::from_secs(90),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let report: Report = serde_json::from_str(&scan("json")).unwrap();
    let d = report.device(IP);
    let main = format!("rtsp://{IP}:8554/Streaming/Channels/101");
    // Everything is there to choose from: a snapshot, MJPEG, RTSP main and sub.
    let protocols: Vec<&str> = d.streams.iter().map(|s| s.protocol.as_str()).collect();
    for p in ["jpeg", "mjpeg", "rtsp"] {
        assert!(protocols.contains(&p), "{p} in {protocols:?}");
    }
    assert!(d.stream(&main).verified);
    // The table's Main stream is the RTSP main: the row's URL cell.
    let table = scan("table");
    let row = table
        .lines()
        .find(|l| l.contains(IP) && l.contains("://"))
        .unwrap_or_else(|| panic!("no row for {IP}: {table}"));
    let cells: Vec<&str> = row.split(['│', '┆', '|']).map(str::trim).collect();
    assert!(cells.contains(&main.as_str()), "{row}\n{table}");
}

fn json_video(w: u32, h: u32) -> serde_json::Value {
    serde_json::json!({"codec": "h264", "width": w, "height": h, "fps": 15, "profile": "main"})
}
