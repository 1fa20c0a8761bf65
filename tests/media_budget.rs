//! The media budget (`--media-rate`, issue 62) on real servers: four GStreamer RTSP cameras
//! (`tests/servers/rtsp_server.py`) on 127.0.63.1-4, each with one H.264 stream, scanned by the
//! real binary. A budget below one stream's rate verifies the streams one at a time (checks wait
//! for room, every stream still plays); the default on loopback (no link says its speed: a tenth
//! of a gigabit) lets them all run at once. The report's `coverage.media` adds up what the checks
//! pulled: each stream's `measured.bytes`.

mod common;

use std::time::Duration;

use common::{Server, camscan, run, stderr, stdout};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(120);
const CAMERAS: [&str; 4] = ["127.0.63.1", "127.0.63.2", "127.0.63.3", "127.0.63.4"];

fn cameras() -> Server {
    let servers: Vec<Value> = CAMERAS
        .iter()
        .map(|ip| {
            json!({"address": ip, "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
                 "audio": null}]})
        })
        .collect();
    common::rtsp_servers(&Value::Array(servers))
}

/// A scan of the four cameras with `extra` flags: its JSON report and its stderr.
fn scan(extra: &[&str]) -> (Value, String) {
    let out = run(
        camscan()
            .args([
                "scan",
                "127.0.63.1-4",
                "-p",
                "8554",
                "-f",
                "json",
                "--no-db",
            ])
            .args(extra),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
}

/// Every stream verified, and the sum of their `measured.bytes`.
fn verified_bytes(report: &Value) -> u64 {
    let mut total = 0;
    for ip in CAMERAS {
        let device = report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .unwrap_or_else(|| panic!("{ip} not found: {report:#}"));
        let streams = device["streams"].as_array().unwrap();
        assert_eq!(streams.len(), 1, "{device:#}");
        assert_eq!(streams[0]["verified"], true, "{device:#}");
        let bytes = streams[0]["measured"]["bytes"].as_u64().unwrap();
        assert!(bytes > 0, "{device:#}");
        total += bytes;
    }
    total
}

#[test]
fn play_checks_wait_for_room_in_the_media_budget() {
    let _cameras = cameras();

    // 1 Mbit/s: less than one stream is assumed to pull (4 Mbit/s), so one check runs at a time
    // and the others wait their turn; every stream is still verified.
    let (report, err) = scan(&["--media-rate", "1"]);
    assert_eq!(
        report["plan"]["media_rate_kbps"], 1000,
        "{:#}",
        report["plan"]
    );
    assert!(err.contains("PLAY checks 1 Mbit/s in all"), "{err}");
    let media = &report["coverage"]["media"];
    assert_eq!(media["budget_kbps"], 1000, "{media:#}");
    assert_eq!(media["checks"], 4, "{media:#}");
    assert!(media["waited"].as_u64().unwrap() >= 1, "{media:#}");
    assert!(media["waited_ms"].as_u64().unwrap() > 0, "{media:#}");
    assert_eq!(
        media["bytes"].as_u64().unwrap(),
        verified_bytes(&report),
        "{media:#}"
    );

    // The default on loopback: a tenth of an assumed gigabit, room for the four at once.
    let (report, err) = scan(&[]);
    assert_eq!(
        report["plan"]["media_rate_kbps"], 100_000,
        "{:#}",
        report["plan"]
    );
    assert!(err.contains("PLAY checks 100 Mbit/s in all"), "{err}");
    let media = &report["coverage"]["media"];
    assert_eq!(media["checks"], 4, "{media:#}");
    assert_eq!(media["waited"], 0, "{media:#}");
    assert_eq!(
        media["bytes"].as_u64().unwrap(),
        verified_bytes(&report),
        "{media:#}"
    );
}
