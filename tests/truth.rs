//! What a user reads is true (issue 61), on real servers: GStreamer RTSP cameras
//! (`tests/servers/rtsp_server.py`) on 127.0.62.1-9, port 8554, scanned into a real SQLite
//! inventory by the real binary, read back by `devices`, `show`, `diff` and `serve`'s API.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Serve, Server, camscan_with_db, run, stderr, stdout};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(90);

/// A GStreamer RTSP server on `ip`:8554 with one H.264 stream, behind Digest `admin`/`right`
/// when `auth`.
fn camera(ip: &str, auth: bool) -> Server {
    let auth = auth.then(|| json!({"method": "digest", "user": "admin", "password": "right"}));
    common::rtsp_servers(&json!([
        {"address": ip, "port": 8554, "auth": auth, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
             "audio": null}]}
    ]))
}

fn json_of(db: &Path, args: &[&str]) -> Value {
    let out = run(camscan_with_db(db).args(args).args(["-f", "json"]), LIMIT);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// A stream whose login was refused is `refused`, never `up`: in `devices`' count, in `show`, in
/// the API's stream list and its filter. `up` is a stream that played.
#[test]
fn up_only_when_it_plays() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _open = camera("127.0.62.1", false);
    let _locked = camera("127.0.62.2", true);
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:wrong\n").unwrap();
    let out = run(
        camscan_with_db(&db).args([
            "scan",
            "127.0.62.1-2",
            "-p",
            "8554",
            "-f",
            "json",
            "--credentials",
            creds.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let status = |ip: &str| {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .map(|d| d["streams"][0]["status"].clone())
    };
    assert_eq!(status("127.0.62.2"), Some(json!("auth_failed")));

    let devices = json_of(&db, &["devices"]);
    let up = |ip: &str| {
        let d = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["address"] == ip)
            .unwrap_or_else(|| panic!("{ip}: {devices}"));
        (d["streams_up"].clone(), d["streams_total"].clone())
    };
    assert_eq!(up("127.0.62.1"), (json!(1), json!(1)));
    assert_eq!(up("127.0.62.2"), (json!(0), json!(1)), "refused is not up");
    let shown = json_of(&db, &["show", "127.0.62.2"]);
    assert_eq!(shown["streams"][0]["state"], "refused", "{shown}");
    let shown = json_of(&db, &["show", "127.0.62.1"]);
    assert_eq!(shown["streams"][0]["state"], "up", "{shown}");
    let table = stdout(&run(
        camscan_with_db(&db).args(["show", "127.0.62.2"]),
        LIMIT,
    ));
    assert!(table.contains("refused"), "{table}");

    let port = common::free_port("127.0.62.9");
    let serve = Serve::start(&db, &format!("127.0.62.9:{port}"), &[]);
    let list = common::http::get(&serve.addr, "/api/v1/streams").json();
    let mut states: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|s| {
            (
                s["url"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            (
                "rtsp://127.0.62.1:8554/Streaming/Channels/101".to_string(),
                "up".to_string()
            ),
            (
                "rtsp://127.0.62.2:8554/Streaming/Channels/101".to_string(),
                "refused".to_string()
            ),
        ]
    );
    let refused = common::http::get(&serve.addr, "/api/v1/streams?state=refused").json();
    assert_eq!(refused["items"].as_array().map(Vec::len), Some(1), "{refused}");
}
