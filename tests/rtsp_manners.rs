//! Real devices' manners, on real servers: GStreamer's RTSP server run as deployments run it (shared
//! media: one encoder per mount for every client, so a client arriving while the last one's media
//! is torn down gets `503`; x264/x265 with their default look-ahead and B-frames, so the first frame
//! comes seconds after DESCRIBE and PLAY and RTP timestamps arrive out of order; a sub-stream path
//! that serves the main stream), and a loopback camera that allows two sessions and answers 453/503
//! beyond (tests/servers/session_limit.py: the one fake here, for the cap). Needs GStreamer:
//! `scripts/test` installs it. Addresses 127.0.0.111-113.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::schema::{Report, Status, Stream};
use common::{Server, camscan, run, stderr, stdout};
use serde_json::json;

struct Lab {
    _shared: Server,
    _bframes: Server,
}

/// 127.0.0.111: a Basic-auth camera with shared media, H.264 main with B-frames at 25 fps and AAC
/// on `/Streaming/Channels/101`, which its sub-stream path 102 also serves (an alias).
/// 127.0.0.112: Basic auth, shared media, H.264 high with B-frames at 12 fps and H.265 with
/// B-frames at 25 fps (the second path is found on another connection than the login's).
/// Each in its own server process, as two cameras are two devices.
fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let shared = common::rtsp_servers(&json!([
            {"address": "127.0.0.111", "port": 8554, "shared": true,
             "auth": {"method": "basic", "user": "admin", "password": "secret"}, "mounts": [
                {"path": "/Streaming/Channels/101", "aliases": ["/Streaming/Channels/102"],
                 "video": {"codec": "h264", "width": 1280, "height": 720, "fps": 25,
                           "profile": "main", "bframes": 2},
                 "audio": {"codec": "aac", "rate": 16000, "channels": 1}}]}
        ]));
        let bframes = common::rtsp_servers(&json!([
            {"address": "127.0.0.112", "port": 8554, "shared": true,
             "auth": {"method": "basic", "user": "admin", "password": "secret"}, "mounts": [
                {"path": "/stream1",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 12,
                           "profile": "high", "bframes": 2}, "audio": null},
                {"path": "/stream2",
                 "video": {"codec": "h265", "width": 320, "height": 240, "fps": 25, "bframes": 2},
                 "audio": null}]}
        ]));
        Lab {
            _shared: shared,
            _bframes: bframes,
        }
    })
}

/// The tests here scan the same cameras: one at a time, so that each sees the servers as a lone
/// scanner would (the twenty-scan run is about consecutive scans, not concurrent ones).
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

fn creds() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "admin:secret\n").unwrap();
    f
}

fn scan(targets: &str, extra: &[&str]) -> Report {
    lab();
    let creds = creds();
    let out = run(
        camscan()
            .args(["scan", targets, "-p", "8554", "-f", "json", "--credentials"])
            .arg(creds.path())
            .args(extra),
        Duration::from_secs(120),
    );
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}; stderr: {}", stderr(&out)))
}

fn stream<'a>(r: &'a Report, url: &str) -> &'a Stream {
    let errors: Vec<_> = r.devices.iter().flat_map(|d| &d.errors).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    r.devices
        .iter()
        .flat_map(|d| &d.streams)
        .find(|s| s.url == url)
        .unwrap_or_else(|| panic!("no stream {url} in {r:#?}"))
}

fn assert_rate(s: &Stream, fps: f64) {
    let m = s.measured.as_ref().expect("PLAY check measured");
    let measured = m.fps.expect("a measured rate");
    assert!(
        (measured - fps).abs() <= fps * 0.02,
        "{}: measured {measured} fps, true rate {fps}",
        s.url
    );
    let v = s.video.as_ref().unwrap();
    let declared = v.fps.unwrap();
    assert!(
        (declared - fps).abs() <= fps * 0.02,
        "{}: reported {declared} fps ({:?}), true rate {fps}",
        s.url,
        v.fps_source
    );
    assert!(m.keyframe, "{}: a keyframe arrived", s.url);
}

#[test]
fn b_frame_rates_are_measured_exactly() {
    let _one = one_at_a_time();
    let r = scan("127.0.0.111-112", &[]);
    let main = stream(&r, "rtsp://127.0.0.111:8554/Streaming/Channels/101");
    assert!(main.verified);
    assert_rate(main, 25.0);
    let v = main.video.as_ref().unwrap();
    assert_eq!((v.width, v.height), (Some(1280), Some(720)));
    assert_eq!(v.profile.as_deref(), Some("main"));
    let s1 = stream(&r, "rtsp://127.0.0.112:8554/stream1");
    assert!(s1.verified);
    assert_rate(s1, 12.0);
    assert_eq!(s1.video.as_ref().unwrap().profile.as_deref(), Some("high"));
    let s2 = stream(&r, "rtsp://127.0.0.112:8554/stream2");
    assert!(s2.verified);
    assert_eq!(s2.video.as_ref().unwrap().codec, "h265");
    assert_rate(s2, 25.0);
    // Two distinct streams of one server (other size, other parameter sets) are no aliases.
    assert_eq!(s1.same_as, None);
    assert_eq!(s2.same_as, None);
}

/// The PLAY check goes on the connection whose DESCRIBE found the stream, and asks for no range:
/// GStreamer takes `Range: npt=0.000-` as a seek and prepares a shared media again before it
/// answers (a second x264 look-ahead start, ~2 s at 25 fps). Every PLAY the cameras saw from a
/// scan is on a described connection, without a range, and the rates still come out exact. Both
/// cameras ask for Basic: a path found on another connection than the login's answers SETUP and
/// PLAY with the credential too (a Basic login is bound to no connection).
#[test]
fn the_play_check_starts_no_encoder_twice() {
    let _one = one_at_a_time();
    let l = lab();
    let plays = |s: &Server| -> Vec<String> {
        let lines = s.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.starts_with("PLAY "))
            .cloned()
            .collect()
    };
    let before = (plays(&l._shared).len(), plays(&l._bframes).len());
    let r = scan("127.0.0.111-112", &[]);
    for url in [
        "rtsp://127.0.0.111:8554/Streaming/Channels/101",
        "rtsp://127.0.0.112:8554/stream1",
        "rtsp://127.0.0.112:8554/stream2",
    ] {
        assert!(stream(&r, url).verified, "{url}");
    }
    assert_rate(stream(&r, "rtsp://127.0.0.112:8554/stream1"), 12.0);
    let seen: Vec<String> = plays(&l._shared)[before.0..]
        .iter()
        .chain(&plays(&l._bframes)[before.1..])
        .cloned()
        .collect();
    assert_eq!(
        seen.len(),
        3,
        "one PLAY per stream (the alias is not played): {seen:?}"
    );
    for line in &seen {
        assert!(line.ends_with("range=none described=1"), "{seen:?}");
    }
}

#[test]
fn a_sub_stream_path_serving_the_main_stream_is_an_alias() {
    let _one = one_at_a_time();
    let r = scan("127.0.0.111", &[]);
    let main = stream(&r, "rtsp://127.0.0.111:8554/Streaming/Channels/101");
    let alias = stream(&r, "rtsp://127.0.0.111:8554/Streaming/Channels/102");
    assert_eq!(main.same_as, None);
    assert_eq!(alias.same_as.as_deref(), Some(main.url.as_str()));
    assert_eq!(alias.status, Status::Ok);
    assert!(alias.verified, "an alias is verified through its stream");
    let (mv, av) = (main.video.as_ref().unwrap(), alias.video.as_ref().unwrap());
    assert_eq!((mv.width, mv.fps), (av.width, av.fps));
    assert_eq!(
        alias.measured.as_ref().map(|m| m.packets),
        main.measured.as_ref().map(|m| m.packets),
        "one PLAY check for both"
    );
    assert_eq!(r.devices[0].streams.len(), 2);
}

/// A rescan that knows the camera (the inventory): its paths are re-checked by their media sessions
/// alone, and the sub-stream path serving the main stream is still reported as its alias.
#[test]
fn a_rescan_still_tells_the_alias_from_its_stream() {
    let _one = one_at_a_time();
    lab();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let creds = creds();
    let scan = || {
        let out = run(
            common::camscan_with_db(&db)
                .env("CAMSCAN_LOG", "info")
                .args(["scan", "127.0.0.111", "-p", "8554", "-f", "json"])
                .arg("--credentials")
                .arg(creds.path()),
            Duration::from_secs(120),
        );
        let r: Report = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}; stderr: {}", stderr(&out)));
        (r, stderr(&out))
    };
    let (first, _) = scan();
    let (again, log) = scan();
    assert!(
        log.contains("device unchanged"),
        "the rescan re-checked the known paths: {log}"
    );
    for r in [&first, &again] {
        let main = stream(r, "rtsp://127.0.0.111:8554/Streaming/Channels/101");
        let alias = stream(r, "rtsp://127.0.0.111:8554/Streaming/Channels/102");
        assert_eq!(main.same_as, None);
        assert_eq!(alias.same_as.as_deref(), Some(main.url.as_str()));
        assert!(main.verified && alias.verified, "{:#?}", r.devices[0]);
        assert_eq!(alias.video, main.video);
        assert_eq!(r.devices[0].streams.len(), 2);
    }
}

/// GStreamer with shared media answers 503 to a client that arrives while the previous client's
/// media is being torn down, which every scan after the first does; its look-ahead encoder needs
/// its first frame before answering DESCRIBE and again before PLAY.
#[test]
fn shared_media_verifies_every_stream_twenty_scans_in_a_row() {
    let _one = one_at_a_time();
    let mut failed = Vec::new();
    for i in 0..20 {
        let r = scan("127.0.0.111", &[]);
        let d = &r.devices[0];
        let verified = d.streams.iter().filter(|s| s.verified).count();
        if d.streams.len() != 2 || verified != 2 || !d.errors.is_empty() {
            failed.push(format!(
                "scan {i}: {verified} of {} verified; errors {:?}",
                d.streams.len(),
                d.errors
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// The cap on sessions per device holds on a camera whose channel walk finds 8 streams. Each scan
/// gets a fresh fake (its counts are its own).
#[test]
fn session_cap_holds_on_a_camera_that_allows_two() {
    let _one = one_at_a_time();
    // (report, peak sessions, refusals) of one scan with `extra` flags.
    let scan_fake = |extra: &[&str]| {
        let fake = common::start(
            "/usr/bin/python3",
            &[
                &common::root_dir()
                    .join("tests/servers/session_limit.py")
                    .to_string_lossy(),
                "127.0.0.113",
                "8554",
                "2",
                "4",
            ],
            Duration::from_secs(30),
        );
        let r = scan("127.0.0.113", extra);
        // Wait (bounded) until the fake saw every session end, so its count is complete.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while fake.lines.lock().unwrap().last().map(String::as_str) != Some("SESSIONS 0")
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let lines = fake.lines.lock().unwrap().clone();
        let peak = lines
            .iter()
            .filter_map(|l| l.strip_prefix("SESSIONS "))
            .filter_map(|n| n.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        let refused = lines.iter().filter(|l| l.starts_with("REFUSED")).count();
        let streams = &r.devices[0].streams;
        assert_eq!(streams.len(), 8, "{extra:?}: {streams:#?}");
        assert!(
            streams.iter().all(|s| s.verified),
            "{extra:?}: {:#?}",
            r.devices[0].errors
        );
        (peak, refused)
    };
    // Default cap (2): never more than two of our sessions, and both slots used.
    assert_eq!(scan_fake(&[]).0, 2, "peak sessions with the default cap");
    // --sessions-per-device 1: one at a time.
    assert_eq!(scan_fake(&["--sessions-per-device", "1"]).0, 1);
    // A cap above what the camera allows: its 453/503 answers are waited out, every stream is
    // still verified, and the camera never had more than it allows.
    let (peak, refused) = scan_fake(&["--sessions-per-device", "4"]);
    assert_eq!(peak, 2);
    assert!(refused > 0, "the camera refused sessions beyond its limit");
}
