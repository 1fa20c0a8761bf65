//! User knowledge files end to end, on real servers: GStreamer's RTSP server serving a camera at a
//! path no built-in dictionary has, and CPython's http.server, whose page no built-in signature
//! knows. With the built-in data alone the scan cannot find the one or name the other; with a
//! knowledge file (from the knowledge directory or `--signatures`) it does. Needs GStreamer
//! (`scripts/test` installs it); addresses 127.0.3.1-2, no privileges.

mod common;

use std::path::Path;
use std::time::Duration;

use common::schema::{Report, Status};
use common::{camscan, free_port, run, stderr, stdout};
use serde_json::json;

/// Scan `target` (JSON), with `XDG_CONFIG_HOME` at `xdg` when given and `extra` flags.
fn scan(target: &str, port: &str, xdg: Option<&Path>, extra: &[&str]) -> Report {
    let mut cmd = camscan();
    if let Some(xdg) = xdg {
        cmd.env("XDG_CONFIG_HOME", xdg);
    }
    let out = run(
        cmd.args(["scan", target, "-p", port, "-f", "json"])
            .args(extra),
        Duration::from_secs(60),
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("stdout is the JSON document")
}

/// A camera whose stream path (`/acme/live`) is in no dictionary: a user's `rtsp_paths` entry
/// finds it, from the knowledge directory or from `--signatures`.
#[test]
fn a_user_rtsp_path_finds_a_camera_the_dictionary_misses() {
    let _rtsp = common::rtsp_servers(&json!([
        {"address": "127.0.3.1", "port": 8554, "auth": null, "mounts": [
            {"path": "/acme/live",
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10, "profile": "baseline"},
             "audio": null}]}
    ]));
    let url = "rtsp://127.0.3.1:8554/acme/live";
    let report = scan("127.0.3.1", "8554", None, &[]);
    let d = report.device("127.0.3.1");
    assert!(
        d.streams.iter().all(|s| s.url != url),
        "the path is guessable without the file: {:#?}",
        d.streams
    );

    let xdg = tempfile::tempdir().unwrap();
    let dir = xdg.path().join("camscan/knowledge.d");
    std::fs::create_dir_all(&dir).unwrap();
    let text = "vendors:\n  - id: acme\n    name: ACME\n    source: our lab\n\
                rtsp_paths:\n  - vendor: acme\n    paths: [/acme/live]\n    source: ACME manual p.3\n";
    std::fs::write(dir.join("acme.yaml"), text).unwrap();
    let report = scan("127.0.3.1", "8554", Some(xdg.path()), &[]);
    let s = report.device("127.0.3.1").stream(url);
    assert_eq!(s.status, Status::Ok, "{s:#?}");
    assert!(s.verified, "PLAYed: {s:#?}");
    let video = s.video.as_ref().unwrap();
    assert_eq!((video.width, video.height), (Some(320), Some(240)));

    // The same file through --signatures (and an empty knowledge directory).
    let file = xdg.path().join("acme.yaml");
    std::fs::write(&file, text).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let report = scan(
        "127.0.3.1",
        "8554",
        Some(empty.path()),
        &["--signatures", file.to_str().unwrap(), "--no-verify"],
    );
    // Found and opened; --no-verify: not played, so `unverified`.
    assert_eq!(
        report.device("127.0.3.1").stream(url).status,
        Status::Unverified
    );
}

/// A web server no built-in signature names (CPython's http.server with a plain page) is a camera
/// of the user's own vendor once a user signature says so.
#[test]
fn a_user_signature_names_a_web_server() {
    let port = free_port("127.0.3.2");
    let _web = common::http_server("127.0.3.2", port);
    let port = port.to_string();
    let report = scan("127.0.3.2", &port, None, &["--no-verify"]);
    let d = report.device("127.0.3.2");
    assert!(!d.is_camera && d.vendor.is_none(), "{d:#?}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.yaml");
    std::fs::write(
        &file,
        "vendors:\n  - id: acme-lab\n    name: ACME Lab\n    source: our bench\n\
         signatures:\n  - vendor: acme-lab\n    product: ACME Lab camera UI\n    kind: camera-ui\n    \
         confidence: 90\n    all:\n      - server_prefix: SimpleHTTP\n      - title_is: Plain site\n    \
         source: our bench's camera simulator\n",
    )
    .unwrap();
    let report = scan(
        "127.0.3.2",
        &port,
        None,
        &["--signatures", file.to_str().unwrap(), "--no-verify"],
    );
    let d = report.device("127.0.3.2");
    assert!(d.is_camera, "{d:#?}");
    assert_eq!(d.vendor.as_deref(), Some("ACME Lab"));
    assert_eq!(d.model.as_deref(), Some("ACME Lab camera UI"));
}
