//! End to end on real servers: GStreamer's RTSP server (three cameras, one with Digest auth) and
//! CPython's http.server, on loopback addresses in 127.0.0.0/28, scanned by the real binary with its
//! default ports. Needs root (port 554) and GStreamer: `scripts/test` provides both.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::schema::{Auth, Report, Status};
use common::{Server, camscan, run, stdout};
use serde_json::json;

struct Lab {
    _rtsp: Server,
    _http: Server,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(common::is_root(), "scan_rtsp needs root to bind port 554: run scripts/test");
        let rtsp = common::rtsp_servers(&json!([
            {"address": "127.0.0.11", "port": 554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 1280, "height": 720, "fps": 25, "profile": "main"},
                 "audio": {"codec": "aac", "rate": 16000, "channels": 1}},
                {"path": "/Streaming/Channels/102",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "baseline"},
                 "audio": {"codec": "pcmu", "rate": 8000, "channels": 1}}]},
            {"address": "127.0.0.12", "port": 8554, "auth": null, "mounts": [
                {"path": "/stream1",
                 "video": {"codec": "h265", "width": 1920, "height": 1080, "fps": 15},
                 "audio": {"codec": "pcma", "rate": 8000, "channels": 1}},
                {"path": "/stream2",
                 "video": {"codec": "mjpeg", "width": 640, "height": 480, "fps": 10},
                 "audio": null}]},
            {"address": "127.0.0.13", "port": 8554,
             "auth": {"method": "digest", "user": "admin", "password": "secret"}, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 1280, "height": 720, "fps": 25, "profile": "main"},
                 "audio": null}]}
        ]));
        let http = common::http_server("127.0.0.14", 80);
        Lab {
            _rtsp: rtsp,
            _http: http,
        }
    })
}

fn scan(format: &str) -> (std::process::Output, String) {
    scan_with(format, &[])
}

fn scan_with(format: &str, extra: &[&str]) -> (std::process::Output, String) {
    lab();
    let out = run(
        camscan()
            .args(["scan", "127.0.0.0/28", "--format", format])
            .args(extra),
        Duration::from_secs(60),
    );
    let text = stdout(&out);
    (out, text)
}

#[test]
fn json_inventory_of_the_loopback_lab() {
    let (out, text) = scan("json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        common::stderr(&out)
    );
    let report: Report = serde_json::from_str(&text).expect("stdout is the JSON document");
    assert_eq!(report.schema_version, 2);
    assert_eq!(report.camscan_version, env!("CARGO_PKG_VERSION"));
    assert!(report.complete);
    assert_eq!(report.targets, ["127.0.0.0/28"]);
    assert!(report.started_at.ends_with('Z') && report.finished_at >= report.started_at);

    // Camera 1: Hikvision-style paths, H.264 main + AAC and H.264 baseline + PCMU.
    let cam = report.device("127.0.0.11");
    assert!(cam.is_camera);
    assert_eq!(cam.discovered_by, ["port"]);
    assert!(cam.open_ports.contains(&554));
    let svc = cam.services.iter().find(|s| s.port == 554).unwrap();
    assert_eq!(svc.protocol, "rtsp");
    assert_eq!(svc.transport, "tcp");
    assert_eq!(svc.auth, Auth::None);
    assert!(
        svc.server.as_deref().unwrap_or("").contains("GStreamer"),
        "{svc:?}"
    );
    let main = cam.stream("rtsp://127.0.0.11:554/Streaming/Channels/101");
    // Verified by a PLAY: media flowed, and the measured frame rate agrees with the SPS.
    let m = main.measured.as_ref().expect("PLAY check ran");
    assert!(m.keyframe && m.packets > 0, "{m:?}");
    assert!((m.fps.unwrap() - 25.0).abs() <= 1.25, "{m:?}");
    assert_eq!(
        (main.status, main.auth, main.verified),
        (Status::Ok, Auth::None, true)
    );
    assert_eq!(main.protocol, "rtsp");
    let v = main.video.as_ref().unwrap();
    assert_eq!(
        (v.codec.as_str(), v.width, v.height, v.fps),
        ("h264", Some(1280), Some(720), Some(25.0))
    );
    assert_eq!(v.profile.as_deref(), Some("main"));
    let a = main.audio.as_ref().unwrap();
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("aac", Some(16000), Some(1))
    );
    let sub = cam.stream("rtsp://127.0.0.11:554/Streaming/Channels/102");
    let v = sub.video.as_ref().unwrap();
    assert_eq!(
        (v.codec.as_str(), v.width, v.height, v.fps),
        ("h264", Some(640), Some(360), Some(15.0))
    );
    assert!(
        v.profile.as_deref().unwrap_or("").contains("baseline"),
        "{v:?}"
    );
    let a = sub.audio.as_ref().unwrap();
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("pcmu", Some(8000), Some(1))
    );
    assert_eq!(
        cam.streams.len(),
        2,
        "no stream invented beyond the two mounts"
    );
    // What it can do: the main stream records, the 640x360 15 fps sub stream detects; both play
    // in any browser (H.264); GStreamer's plain server has no talk-back and says so (551).
    let caps = cam.capabilities.as_ref().expect("a capability sheet");
    assert_eq!(caps.version, 1);
    let roles = caps.roles.as_ref().unwrap();
    assert_eq!(roles.record.as_ref().unwrap().url, main.url);
    assert_eq!(roles.detect.as_ref().unwrap().url, sub.url);
    assert!(
        roles
            .detect
            .as_ref()
            .unwrap()
            .reason
            .starts_with("the sub stream (640x360"),
        "{roles:?}"
    );
    assert!(
        caps.playback.len() == 2 && caps.playback.iter().all(|p| p.browsers == "everywhere"),
        "{:?}",
        caps.playback
    );
    let talk = caps.talkback.as_ref().unwrap();
    assert_eq!(
        (talk.supported, talk.evidence.as_str()),
        (false, "551 Option not supported")
    );

    // Camera 2: H.265 + PCMA and MJPEG on 8554.
    let cam = report.device("127.0.0.12");
    let s1 = cam.stream("rtsp://127.0.0.12:8554/stream1");
    let v = s1.video.as_ref().unwrap();
    assert_eq!(
        (v.codec.as_str(), v.width, v.height, v.fps),
        ("h265", Some(1920), Some(1080), Some(15.0))
    );
    assert_eq!(v.profile.as_deref(), Some("main"));
    let a = s1.audio.as_ref().unwrap();
    assert_eq!(
        (a.codec.as_str(), a.sample_rate, a.channels),
        ("pcma", Some(8000), Some(1))
    );
    let s2 = cam.stream("rtsp://127.0.0.12:8554/stream2");
    assert_eq!(s2.video.as_ref().unwrap().codec, "mjpeg");
    assert!(s2.audio.is_none());
    assert_eq!(cam.streams.len(), 2);
    // H.265 plays only where the browser decodes it; Motion JPEG over RTSP in none.
    let caps = cam.capabilities.as_ref().unwrap();
    let browsers = |url: &str| {
        caps.playback
            .iter()
            .find(|p| p.url == url)
            .map(|p| p.browsers.as_str())
    };
    assert_eq!(browsers(&s1.url), Some("some"));
    assert_eq!(browsers(&s2.url), Some("none"));

    // Camera 3: Digest auth is a finding, not an error.
    let cam = report.device("127.0.0.13");
    assert!(cam.is_camera);
    let svc = cam.services.iter().find(|s| s.port == 8554).unwrap();
    assert_eq!(svc.auth, Auth::Digest);
    let s = cam.stream("rtsp://127.0.0.13:8554/Streaming/Channels/101");
    assert_eq!((s.status, s.auth), (Status::AuthRequired, Auth::Digest));
    assert!(cam.errors.is_empty(), "{:?}", cam.errors);

    // The plain web site is a device with an HTTP service, not a camera.
    let web = report.device("127.0.0.14");
    assert!(!web.is_camera);
    assert!(web.streams.is_empty());
    assert_eq!(web.open_ports, [80]);
    assert_eq!(web.services[0].protocol, "http");

    // No credentials in any URL, and nothing else claimed to be a camera.
    assert!(!text.contains('@'));
    for d in &report.devices {
        if !["127.0.0.11", "127.0.0.12", "127.0.0.13"].contains(&d.ip.as_str()) {
            assert!(!d.is_camera, "{} called a camera", d.ip);
        }
    }
}

#[test]
fn table_and_csv_render_the_same_inventory() {
    let urls = [
        "rtsp://127.0.0.11:554/Streaming/Channels/101",
        "rtsp://127.0.0.11:554/Streaming/Channels/102",
        "rtsp://127.0.0.12:8554/stream1",
        "rtsp://127.0.0.12:8554/stream2",
        "rtsp://127.0.0.13:8554/Streaming/Channels/101",
    ];
    // The compact table: one row per device, with its main stream (the first that opened).
    let (out, table) = scan("table");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !table.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    for u in [urls[0], urls[2], urls[4]] {
        assert!(table.contains(u), "table lacks {u}:\n{table}");
    }
    // The compact table's spellings; -v gives the long ones. A cell may be wrapped over lines:
    // its words are read back column by column.
    let lines: Vec<String> = table.lines().map(str::to_string).collect();
    assert_eq!(
        common::drawn::parse(&lines).cell("127.0.0.12", "Video"),
        Some("H.265 1080p15 Main"),
        "{table}"
    );
    assert!(table.contains("not a camera"), "{table}");
    // -v: one row per stream.
    let (out, table) = scan_with("table", &["-v"]);
    assert_eq!(out.status.code(), Some(0));
    for u in urls {
        assert!(table.contains(u), "table -v lacks {u}:\n{table}");
    }
    let lines: Vec<String> = table.lines().map(str::to_string).collect();
    assert!(
        common::drawn::parse(&lines)
            .cell("127.0.0.12", "Video")
            .is_some_and(|v| v.contains("h265 1920x1080 15fps")),
        "{table}"
    );

    let (out, csv_text) = scan("csv");
    assert_eq!(out.status.code(), Some(0));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut csv_urls: Vec<&str> = rows
        .iter()
        .map(|r| &r[col("url")])
        .filter(|u| !u.is_empty())
        .collect();
    csv_urls.sort();
    assert_eq!(csv_urls, urls);
    let h265 = rows.iter().find(|r| &r[col("url")] == urls[2]).unwrap();
    assert_eq!(
        (
            &h265[col("video_codec")],
            &h265[col("width")],
            &h265[col("height")],
            &h265[col("fps")]
        ),
        ("h265", "1920", "1080", "15")
    );
    assert_eq!(&h265[col("audio_codec")], "pcma");
    let web = rows.iter().find(|r| &r[col("ip")] == "127.0.0.14").unwrap();
    assert_eq!(&web[col("is_camera")], "false");
}

/// GStreamer's RTSP server tunnels RTSP over HTTP on its own port: a plain `GET` gets `503`, no
/// length and `Connection: close`, and the connection stays open. A server whose paths cannot be
/// guessed is asked in HTTP too; no HTTP probe may wait for that body, and the tunnel is no web
/// service: the port is listed once, as rtsp. With `--paths` the path is found.
#[test]
fn rtsp_server_with_unguessable_paths_is_one_rtsp_service() {
    let _server = common::rtsp_servers(&json!([
        {"address": "127.0.0.20", "port": 8554, "auth": null, "mounts": [
            {"path": "/x7/private-feed",
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10, "profile": "main"},
             "audio": null}]}
    ]));
    let scan = |extra: &[&str]| {
        let out = run(
            camscan()
                .args(["scan", "127.0.0.20", "-p", "8554", "-f", "json"])
                .args(extra),
            Duration::from_secs(60),
        );
        let report: Report = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
        report
    };
    let report = scan(&[]);
    let d = report.device("127.0.0.20");
    let services: Vec<(u16, &str)> = d
        .services
        .iter()
        .map(|s| (s.port, s.protocol.as_str()))
        .collect();
    assert_eq!(services, [(8554, "rtsp")]);
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    // No HTTP request waited out its deadline (each would be recorded as a timeout).
    assert!(
        !d.errors
            .iter()
            .any(|e| e.message.contains("HTTP") || e.message.contains("within")),
        "{:?}",
        d.errors
    );

    let dir = std::env::temp_dir().join(format!("camscan-rtsp-hints-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hints = dir.join("paths.txt");
    std::fs::write(&hints, "/x7/private-feed\n").unwrap();
    let report = scan(&["--paths", hints.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let d = report.device("127.0.0.20");
    let s = d.stream("rtsp://127.0.0.20:8554/x7/private-feed");
    assert_eq!(s.status, Status::Ok);
    assert_eq!(s.video.as_ref().unwrap().width, Some(320));
    assert_eq!(d.services.len(), 1, "{:?}", d.services);
}

/// The `timing` log says where each device's time went: one line per analysed port and one
/// per device when it is final, with the RTSP phases (path walk, session slots, sessions) of the
/// camera's two streams, in milliseconds since the scan started, on stderr only.
#[test]
fn timing_log_breaks_down_each_device() {
    lab();
    let out = run(
        camscan()
            .args(["scan", "127.0.0.11", "--format", "json"])
            .env("CAMSCAN_LOG", "warn,timing=debug"),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    let report: Report =
        serde_json::from_str(&stdout(&out)).expect("stdout stays the JSON document");
    assert_eq!(report.devices.len(), 1);
    let port = err
        .lines()
        .find(|l| l.contains("timing: port 127.0.0.11:554 rtsp "))
        .unwrap_or_else(|| panic!("no port line in {err}"));
    let device = err
        .lines()
        .find(|l| l.contains("timing: device 127.0.0.11: "))
        .unwrap_or_else(|| panic!("no device line in {err}"));
    // Each stream's retina session (facts, then the PLAY check) is `play`, after its `slot`.
    for phase in ["detect ", "rtsp ", "paths ", "slot ", "play "] {
        assert!(port.contains(phase), "{phase} in {port}");
    }
    assert!(device.contains("554 rtsp "), "{device}");
    assert!(
        device.contains("play ") && device.contains(" x2"),
        "two streams' sessions: {device}"
    );
    let field = |name: &str| -> u64 {
        let at = device
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("{name} in {device}"));
        device[at + name.len() + 1..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} value in {device}"))
    };
    let (final_ms, analysed_ms) = (field("final_ms"), field("analysed_ms"));
    assert!(analysed_ms > 0 && final_ms >= analysed_ms, "{device}");
}
