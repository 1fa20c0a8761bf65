//! Login schemes per service and Digest with SHA-256 (RFC 7616), on real servers (loopback,
//! 127.0.43.21-29): Debian's GStreamer RTSP server (no auth of its own: GStreamer 1.22 computes
//! Digest with MD5 only) behind `tests/servers/digest_gate.py`, a stdlib RFC 7616 gate whose hash
//! code is checked against the RFC's §3.9.1 example at start-up, and the same gate as a web server
//! with a real JPEG made by ffmpeg.
//!
//! * Offered SHA-256 then MD5 (the RFC's order of preference), camscan logs in with SHA-256 on
//!   every request it sends (the gate's log names the algorithm each request used), opens and
//!   PLAY-checks the stream, and `capabilities.logins` lists both schemes, strongest first, with
//!   `digest-sha-256` as the one used.
//! * Offered MD5 first, camscan's own requests still answer SHA-256 (its policy: the strongest,
//!   where http-auth alone takes the first).
//! * A web login wall offering the two: logged in with SHA-256, listed for `http://...`.
//!
//! Needs GStreamer and ffmpeg (`scripts/test` installs them); no root (ports 8554 and 8080).

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::{Server, camscan, run, stderr, stdout};
use serde_json::{Value, json};

/// RTSP gate offering SHA-256, then MD5.
const SHA_FIRST: &str = "127.0.43.21";
/// RTSP gate offering MD5, then SHA-256.
const MD5_FIRST: &str = "127.0.43.22";
/// The GStreamer server both gates forward to.
const UPSTREAM: &str = "127.0.43.23";
/// The web gate (SHA-256, then MD5).
const WEB: &str = "127.0.43.24";
const USER: &str = "admin";
const PASSWORD: &str = "s3cret pass";
const PATH: &str = "/Streaming/Channels/101";

struct Lab {
    _rtsp: Server,
    sha_first: Server,
    md5_first: Server,
    web: Server,
}

fn gate(args: &[&str]) -> Server {
    let script = common::root_dir().join("tests/servers/digest_gate.py");
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--user", USER, "--password", PASSWORD]);
    common::start("/usr/bin/python3", &all, Duration::from_secs(20))
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let rtsp = common::rtsp_servers(&json!([
            {"address": UPSTREAM, "port": 8554, "auth": null, "mounts": [
                {"path": PATH,
                 "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10, "profile": "main"},
                 "audio": null}]}
        ]));
        let upstream = format!("{UPSTREAM}:8554");
        let sha_first = gate(&[
            "rtsp",
            &format!("{SHA_FIRST}:8554"),
            &upstream,
            "--algorithms",
            "SHA-256,MD5",
        ]);
        let md5_first = gate(&[
            "rtsp",
            &format!("{MD5_FIRST}:8554"),
            &upstream,
            "--algorithms",
            "MD5,SHA-256",
        ]);
        let jpeg = std::env::temp_dir().join(format!("camscan-logins-{}.jpg", std::process::id()));
        let ffmpeg = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc=size=320x240:rate=1")
            .args(["-frames:v", "1"])
            .arg(&jpeg)
            .status()
            .expect("ffmpeg runs");
        assert!(ffmpeg.success());
        let web = gate(&[
            "http",
            &format!("{WEB}:8080"),
            jpeg.to_str().unwrap(),
            "--algorithms",
            "SHA-256,MD5",
        ]);
        Lab {
            _rtsp: rtsp,
            sha_first,
            md5_first,
            web,
        }
    })
}

fn lines(s: &Server) -> Vec<String> {
    s.lines.lock().unwrap().clone()
}

/// The device's `capabilities.logins`.
fn logins(report: &Value, ip: &str) -> Value {
    let device = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == ip)
        .unwrap_or_else(|| panic!("no device {ip} in {report}"));
    device["capabilities"]["logins"].clone()
}

fn stream<'a>(report: &'a Value, url: &str) -> &'a Value {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["streams"].as_array().unwrap())
        .find(|s| s["url"] == url)
        .unwrap_or_else(|| panic!("no stream {url} in {report}"))
}

#[test]
fn sha256_digest_is_used_where_offered_and_the_schemes_are_listed() {
    let lab = lab();
    let creds = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(creds.path(), format!("{USER}:{PASSWORD}\n")).unwrap();
    let out = run(
        camscan().args([
            "scan",
            SHA_FIRST,
            MD5_FIRST,
            WEB,
            "-p",
            "8554,8080",
            "--credentials",
            creds.path().to_str().unwrap(),
            "-f",
            "json",
        ]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}; stderr: {}", stderr(&out)));

    // SHA-256 offered first: every request camscan sent answered it; none answered MD5.
    let sha = lines(&lab.sha_first);
    let url = format!("rtsp://{SHA_FIRST}:8554{PATH}");
    let s = stream(&report, &url);
    assert_eq!(
        (&s["status"], &s["verified"]),
        (&json!("ok"), &json!(true)),
        "{s}"
    );
    assert_eq!(s["auth"], "digest");
    assert!(
        sha.iter()
            .any(|l| l == &format!("AUTHOK SHA-256 DESCRIBE {url}")),
        "{sha:?}"
    );
    assert!(
        sha.iter().any(|l| l.starts_with("AUTHOK SHA-256 PLAY ")),
        "{sha:?}"
    );
    assert!(
        sha.iter().all(|l| l.starts_with("AUTHOK SHA-256 ")),
        "only SHA-256 answers, no refusal: {sha:?}"
    );
    assert_eq!(
        logins(&report, SHA_FIRST),
        json!([{"service": format!("rtsp://{SHA_FIRST}:8554"),
                "offered": ["digest-sha-256", "digest-md5"],
                "used": "digest-sha-256"}])
    );

    // MD5 offered first: camscan's own DESCRIBE still answers SHA-256, and the stream plays.
    let md5 = lines(&lab.md5_first);
    let url = format!("rtsp://{MD5_FIRST}:8554{PATH}");
    let s = stream(&report, &url);
    assert_eq!(
        (&s["status"], &s["verified"]),
        (&json!("ok"), &json!(true)),
        "{s}"
    );
    assert!(
        md5.iter()
            .any(|l| l == &format!("AUTHOK SHA-256 DESCRIBE {url}")),
        "{md5:?}"
    );
    assert!(!md5.iter().any(|l| l.starts_with("AUTHFAIL")), "{md5:?}");
    assert_eq!(
        logins(&report, MD5_FIRST),
        json!([{"service": format!("rtsp://{MD5_FIRST}:8554"),
                "offered": ["digest-sha-256", "digest-md5"],
                "used": "digest-sha-256"}])
    );

    // The web login wall: logged in with SHA-256, the snapshot read behind it.
    let web = lines(&lab.web);
    assert!(web.iter().any(|l| l == "AUTHOK SHA-256 GET /"), "{web:?}");
    assert!(
        web.iter().all(|l| l.starts_with("AUTHOK SHA-256 ")),
        "only SHA-256 answers, no refusal: {web:?}"
    );
    let s = stream(&report, &format!("http://{WEB}:8080/snapshot.jpg"));
    assert_eq!(s["status"], "ok", "{s}");
    assert_eq!(
        logins(&report, WEB),
        json!([{"service": format!("http://{WEB}:8080"),
                "offered": ["digest-sha-256", "digest-md5"],
                "used": "digest-sha-256"}])
    );
}
