//! Asking each device only what it needs (issue 83), on loopback: a silent RTSP port of a device
//! that has shown no sign of life costs one detection deadline; a media server busy at first keeps
//! the start patience beside a web admin that answered (CI's GStreamer case, commit 618b55f); a real RTSP server that exits on a request line of another protocol
//! (rtsp-streaming-server from npm) is never sent one, and the report counts the requests each
//! device was sent. The ONVIF camera that names its streams is in `tests/lab_discovery.rs` (it
//! needs WS-Discovery's multicast, in a namespace lab).
//!
//! Addresses: 127.0.65.1-9 (`tests/common/mod.rs`); rtsp-streaming-server listens on every
//! address (it takes no host), on 25554 and 26554.

mod common;

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{run, stderr, stdout};
use serde_json::Value;

/// `--detect-timeout`'s default, and the start patience of an RTSP port (three of it).
const DETECT: Duration = Duration::from_secs(2);
const PATIENCE: Duration = Duration::from_secs(6);

/// `tests/servers/hostile.py`'s peers of this file.
fn hostile() -> &'static common::Server {
    static SERVERS: OnceLock<common::Server> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let script = common::root_dir().join("tests/servers/hostile.py");
        common::start(
            "/usr/bin/python3",
            &[
                script.to_str().unwrap(),
                "tarpit@127.0.65.1:8554",
                "latestart@127.0.65.2:8554",
            ],
            Duration::from_secs(60),
        )
    })
}

/// `camscan scan TARGET -p PORTS --discovery ports -f json`, its wall time and its JSON.
fn scan(target: &str, ports: &str, extra: &[&str]) -> (Duration, Value, String) {
    let started = Instant::now();
    let out = run(
        common::camscan()
            .env("CAMSCAN_NO_DB", "true")
            .args([
                "scan",
                target,
                "-p",
                ports,
                "--discovery",
                "ports",
                "-f",
                "json",
            ])
            .args(extra),
        Duration::from_secs(90),
    );
    let took = started.elapsed();
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    let report: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {err}"));
    (took, report, err)
}

fn device<'a>(report: &'a Value, ip: &str) -> &'a Value {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == ip)
        .unwrap_or_else(|| panic!("no device {ip}: {report:#}"))
}

/// The messages of `d`'s errors on `port`.
fn errors_on(d: &Value, port: u16) -> Vec<String> {
    d["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["port"] == port)
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A port that accepts and never answers, on RTSP's port 8554 of a device that shows nothing
/// else (no other port, no discovery, no inventory): it costs one detection deadline, not the
/// start patience a media server gets (before issue 83 it cost 6 s, `within 6s`).
#[test]
fn a_silent_rtsp_port_on_an_unsigned_device_costs_one_deadline() {
    hostile();
    let (took, report, err) = scan("127.0.65.1", "8554", &[]);
    let d = device(&report, "127.0.65.1");
    let errors = errors_on(d, 8554);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("no complete answer within 2s")),
        "{errors:?} {err}"
    );
    assert!(took >= DETECT, "{took:?}");
    assert!(
        took < PATIENCE,
        "a silent port with no sign costs one deadline: the scan took {took:?}"
    );
}

/// The CI case of commit 618b55f: a media server that answers no client for its first 3.5 s
/// (GStreamer preparing or tearing down a shared media), on RTSP's port 8554 of a device whose
/// only other sign is a login-walled web admin (CPython's http.server behind Basic, as the table
/// lab's 127.0.11.1 has): its detection keeps the start patience, and the port is found speaking
/// RTSP. (This passes before issue 83 too, where every RTSP port got the patience: it holds the
/// patience where the device has shown it is alive.)
#[test]
fn a_busy_media_server_keeps_its_patience_beside_a_web_admin() {
    hostile();
    let _web = common::http_server_with_login("127.0.65.2", 8080, "admin:Web-83");
    let (_, report, err) = scan("127.0.65.2", "8080,8554", &[]);
    let d = device(&report, "127.0.65.2");
    let rtsp = d["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["port"] == 8554 && s["protocol"] == "rtsp");
    assert!(rtsp.is_some(), "{d:#} {err}");
    let errors = errors_on(d, 8554);
    assert!(
        !errors.iter().any(|e| e.contains("no complete answer")),
        "{errors:?}"
    );
}

/// rtsp-streaming-server (npm, `target/rtsp-node`, pinned in scripts/test) on 26554, with a
/// stream ffmpeg publishes at `/live`, `started` when it describes it.
struct NodeRtsp {
    server: common::Server,
    _publisher: common::Proc,
}

fn node_rtsp() -> NodeRtsp {
    let modules = common::root_dir().join("target/rtsp-node/node_modules");
    assert!(
        modules.join("rtsp-streaming-server/package.json").exists(),
        "rtsp-streaming-server is missing from {}: run scripts/test",
        modules.display()
    );
    let script = common::root_dir().join("tests/servers/rtsp_streaming_server.js");
    let server = common::start(
        "node",
        &[
            script.to_str().unwrap(),
            modules.to_str().unwrap(),
            "25554",
            "26554",
            "30600",
        ],
        Duration::from_secs(30),
    );
    let publisher = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
        .args(["-i", "testsrc=size=320x240:rate=10"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
        ])
        .args(["-pix_fmt", "yuv420p", "-g", "10", "-f", "rtsp"])
        .arg("rtsp://127.0.65.5:25554/live")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("ffmpeg runs");
    let publisher = common::Proc(publisher);
    // Published once a DESCRIBE of it is answered 200.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !describes("127.0.65.5:26554", "/live") {
        assert!(Instant::now() < deadline, "ffmpeg did not publish /live");
        std::thread::sleep(Duration::from_millis(200));
    }
    NodeRtsp {
        server,
        _publisher: publisher,
    }
}

/// Whether `DESCRIBE rtsp://ADDR/PATH` is answered 200 (one connection, RTSP only).
fn describes(addr: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("DESCRIBE rtsp://{addr}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    buf[..n].starts_with(b"RTSP/1.0 200")
}

/// rtsp-streaming-server exits on `GET / HTTP/1.0` (issue 83: camscan asked every RTSP port's
/// HTTP side "for VLC's shared port", and the server's publishers and viewers were gone each
/// scan). Two scans of it: it is still running after both, each found its stream, and the report
/// counts the requests it was sent, all of them RTSP.
#[test]
fn a_server_that_exits_on_a_non_rtsp_request_line_is_never_sent_one() {
    let mut node = node_rtsp();
    for round in 1..=2 {
        let (_, report, err) = scan("127.0.65.5", "26554", &["--no-verify"]);
        let alive = node.server.child.try_wait().unwrap();
        assert!(
            alive.is_none(),
            "scan {round}: rtsp-streaming-server exited ({alive:?}): camscan sent it a request \
             line that is not RTSP; camscan said: {err}"
        );
        let d = device(&report, "127.0.65.5");
        let urls: Vec<&str> = d["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["url"].as_str())
            .collect();
        assert!(
            urls.contains(&"rtsp://127.0.65.5:26554/live"),
            "scan {round}: {urls:?} {d:#}"
        );
        let counted = report["coverage"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ip"] == "127.0.65.5")
            .unwrap_or_else(|| panic!("no request count: {:#}", report["coverage"]));
        assert_eq!(counted["http"], 0, "{counted}");
        assert!(counted["rtsp"].as_u64().unwrap() > 0, "{counted}");
        assert_eq!(counted["total"], counted["rtsp"], "{counted}");
    }
}
