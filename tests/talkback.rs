//! Talk-back (the ONVIF RTSP backchannel) on real servers: GStreamer's ONVIF RTSP server with a
//! PCMU backchannel behind Digest (tests/servers/onvif_rtsp_server.py: RTSPOnvifServer and
//! RTSPOnvifMediaFactory from Debian's gir1.2-gst-rtsp-server-1.0) says yes; GStreamer's plain RTSP
//! server (tests/servers/rtsp_server.py) answers `551 Option not supported`. The real binary scans
//! both on 127.0.12.1-2 and reports `capabilities.talkback` for each.

mod common;

use std::time::Duration;

use common::{Server, camscan, run, stderr, stdout};
use serde_json::{Value, json};

const ONVIF: &str = "127.0.12.1";
const PLAIN: &str = "127.0.12.2";
const PATH: &str = "/Streaming/Channels/101";

fn onvif_server() -> Server {
    let script = common::root_dir().join("tests/servers/onvif_rtsp_server.py");
    common::start(
        "/usr/bin/python3",
        &[
            script.to_str().unwrap(),
            ONVIF,
            "8554",
            "--path",
            PATH,
            "--auth",
            "admin:secret",
        ],
        Duration::from_secs(90),
    )
}

fn lines(s: &Server, prefix: &str) -> Vec<String> {
    s.lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .cloned()
        .collect()
}

#[test]
fn talk_back_is_found_on_the_onvif_server_and_refused_by_the_plain_one() {
    let onvif = onvif_server();
    let plain = common::rtsp_servers(&json!([
        {"address": PLAIN, "port": 8554, "auth": null, "mounts": [
            {"path": PATH,
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10, "profile": "baseline"},
             "audio": {"codec": "pcmu", "rate": 8000, "channels": 1}}]}
    ]));
    let creds = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(creds.path(), format!("{ONVIF} admin:secret\n")).unwrap();
    let out = run(
        camscan().args([
            "scan",
            ONVIF,
            PLAIN,
            "-p",
            "8554",
            "--credentials",
            creds.path().to_str().unwrap(),
            "--format",
            "json",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("stdout is the JSON document");
    let device = |ip: &str| -> &Value {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .unwrap_or_else(|| panic!("no device {ip} in {report}"))
    };

    // Yes: the sendonly PCMU section GStreamer adds for the Require tag, asked with the
    // credential that opened the stream and no other.
    let d = device(ONVIF);
    assert_eq!(d["streams"][0]["status"], "ok", "{d}");
    assert_eq!(
        d["capabilities"]["talkback"],
        json!({
            "supported": true,
            "url": format!("rtsp://{ONVIF}:8554{PATH}"),
            "codec": "pcmu",
            "sample_rate": 8000,
            "channels": 1,
            "evidence": "sendonly audio section",
        }),
        "{d}"
    );
    // GStreamer signals a DESCRIBE once it passed the login: one backchannel DESCRIBE (its
    // challenge fetched before, without credentials), and no refused login.
    let asked = lines(&onvif, "DESCRIBE require=www.onvif.org/ver20/backchannel");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(lines(&onvif, "AUTHFAIL"), Vec::<String>::new());

    // No: the plain server refuses the tag.
    let d = device(PLAIN);
    assert_eq!(d["streams"][0]["status"], "ok", "{d}");
    assert_eq!(
        d["capabilities"]["talkback"],
        json!({
            "supported": false,
            "url": format!("rtsp://{PLAIN}:8554{PATH}"),
            "evidence": "551 Option not supported",
        }),
        "{d}"
    );
    drop(plain);
    drop(onvif);
}
