//! `camscan audit` keeps its findings in the inventory and its `finding_new` /
//! `finding_resolved` events reach a running `camscan watch`'s sinks, with real processes: a
//! GStreamer RTSP camera on loopback (127.0.9.41) anyone can watch, a `camscan watch` with an
//! exec sink over the same inventory, and `camscan audit` run three times: the camera's
//! `stream-unauthenticated` is delivered once; a second audit finds it again and delivers
//! nothing new; the camera then asks for a password and the third audit resolves it, delivered
//! once, and an audit interrupted (SIGINT) before that resolves nothing. `GET /api/v1/findings`
//! of `camscan serve` shows the same. A device the audit did not judge is proven in the store's
//! own tests (`store::findings`, both engines).

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Proc, Server, camscan_with_db, free_port, http, run, stderr};
use serde_json::{Value, json};

const CAMERA: &str = "127.0.9.41";
const SERVE_IP: &str = "127.0.9.42";
/// An RTSP server that answers OPTIONS and never anything else: holds an audit (its DESCRIBE
/// waits `--timeout`) until it is interrupted.
const SILENT: &str = "127.0.9.43";
const SITE: &str = "lab";

fn camera(auth: Option<&str>) -> Server {
    let auth =
        auth.map(|method| json!({"method": method, "user": "admin", "password": "s3cret pass"}));
    common::rtsp_servers(&json!([
        {"address": CAMERA, "port": 8554, "auth": auth, "mounts": [
            {"path": "/live",
             "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10}, "audio": null}]}
    ]))
}

/// The notices the exec sink has written, one JSON per line.
fn delivered(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_kind<'a>(notices: &'a [Value], kind: &str, finding: &str) -> Vec<&'a Value> {
    notices
        .iter()
        .filter(|n| n["kind"] == kind && n["detail"]["finding"] == finding)
        .collect()
}

/// Wait (up to 60 s: the watcher reads another process's events at least every 30 s) until
/// `ready` holds of what the sink has written.
fn wait_for(file: &Path, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let got = delivered(file);
        if ready(&got) {
            return got;
        }
        assert!(
            Instant::now() < until,
            "{what}: the sink got {}",
            serde_json::to_string_pretty(&got).unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// [`SILENT`]'s server, on threads of this test.
fn stalling_rtsp(ip: &str) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind((ip, 8554)).unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n) = conn.read(&mut chunk) {
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    if !text.starts_with("OPTIONS") {
                        // Hold the connection, answer nothing.
                        std::thread::sleep(Duration::from_secs(600));
                        return;
                    }
                    let cseq = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("CSeq:").or_else(|| l.strip_prefix("Cseq:")))
                        .unwrap_or("1")
                        .trim()
                        .to_string();
                    let _ = write!(
                        conn,
                        "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n"
                    );
                    buf.drain(..end + 4);
                }
            });
        }
    });
}

fn audit(db: &Path) -> Value {
    let mut c = camscan_with_db(db);
    c.env("CAMSCAN_SITE", SITE)
        .args(["audit", CAMERA, "-p", "8554", "-f", "json"]);
    let out = run(&mut c, Duration::from_secs(120));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "audit: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn audit_findings_reach_watchs_sinks_once_and_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let sink_file = dir.path().join("notices.ndjson");
    let mut open = Some(camera(None));

    // The watcher: one scan of the camera now (its device_new tells the sink is running).
    let sink = format!(
        "exec=sh -c 'cat >> \"$1\"; echo >> \"$1\"' sink '{}'",
        sink_file.display()
    );
    let watch = camscan_with_db(&db)
        .env("CAMSCAN_SITE", SITE)
        .args([
            "watch",
            "--no-listen",
            CAMERA,
            "-p",
            "8554",
            "--every",
            "1h",
            "--notify",
            &sink,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("camscan watch runs");
    let _watch = Proc(watch);
    wait_for(&sink_file, "the watcher's own scan", |n| {
        n.iter().any(|x| x["kind"] == "device_new")
    });

    // First audit: the anonymous stream is a finding, delivered once.
    let doc = audit(&db);
    let found = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "stream-unauthenticated")
        .unwrap_or_else(|| panic!("{doc}"))
        .clone();
    let got = wait_for(&sink_file, "finding_new", |n| {
        !of_kind(n, "finding_new", "stream-unauthenticated").is_empty()
    });
    let new = of_kind(&got, "finding_new", "stream-unauthenticated");
    assert_eq!(new.len(), 1);
    let n = new[0];
    assert_eq!(n["detail"]["severity"], found["severity"]);
    assert_eq!(n["detail"]["title"], found["title"]);
    assert_eq!(n["detail"]["port"], 8554);
    assert_eq!(n["device"]["ip"], CAMERA);
    let stream = n["stream"].as_str().unwrap();
    assert!(stream.starts_with(&format!("rtsp://{CAMERA}:8554/")), "{n}");
    assert_eq!(n["detail"]["stream"], stream);
    assert!(n["detail"]["title"].as_str().unwrap().len() > 10, "{n}");

    // The API shows it open, on the device's filter too.
    let addr = format!("{SERVE_IP}:{}", free_port(SERVE_IP));
    let serve = common::Serve::start(&db, &addr, &[]);
    let page = http::get(&addr, "/api/v1/findings").json();
    let items = page["items"].as_array().unwrap();
    let unauth: Vec<&Value> = items
        .iter()
        .filter(|f| f["finding"] == "stream-unauthenticated")
        .collect();
    assert_eq!(unauth.len(), 1, "{page}");
    assert_eq!(unauth[0]["state"], "open");
    assert_eq!(unauth[0]["stream"], stream);
    assert_eq!(unauth[0]["device"]["address"], CAMERA);
    let by_device = http::get(&addr, &format!("/api/v1/findings?device={CAMERA}")).json();
    assert_eq!(by_device["items"], page["items"]);
    let critical = http::get(&addr, "/api/v1/findings?severity=critical").json();
    assert!(
        critical["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "critical")
    );
    http::get(&addr, "/api/v1/findings?severity=worst").assert_problem(400, "invalid-parameter");
    http::get(&addr, "/api/v1/findings?device=127.0.9.99").assert_problem(404, "not-found");

    // Second audit: found again, nothing new delivered (the next finding event would follow).
    audit(&db);
    // Then the camera asks for a password. An audit interrupted (SIGINT) while a silent host
    // holds it judged the camera but ran incomplete: it resolves nothing.
    drop(open.take());
    let _locked = camera(Some("digest"));
    stalling_rtsp(SILENT);
    let mut c = camscan_with_db(&db);
    c.env("CAMSCAN_SITE", SITE).args([
        "audit",
        CAMERA,
        SILENT,
        "-p",
        "8554",
        "--timeout",
        "60s",
        "-f",
        "json",
    ]);
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "interrupted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let still = http::get(&addr, "/api/v1/findings").json();
    assert!(
        still["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["finding"] == "stream-unauthenticated"),
        "an interrupted audit resolves nothing: {still}"
    );
    // The third, complete, audit resolves the finding, once.
    let doc = audit(&db);
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "stream-unauthenticated"),
        "{doc}"
    );
    let got = wait_for(&sink_file, "finding_resolved", |n| {
        !of_kind(n, "finding_resolved", "stream-unauthenticated").is_empty()
    });
    assert_eq!(
        of_kind(&got, "finding_new", "stream-unauthenticated").len(),
        1,
        "no duplicate after the second audit"
    );
    let resolved = of_kind(&got, "finding_resolved", "stream-unauthenticated");
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["stream"], stream);
    assert!(
        resolved[0]["id"].as_i64() > new[0]["id"].as_i64(),
        "in order: {got:?}"
    );
    // Ids never repeat: at-least-once delivery delivered each once here.
    let mut ids: Vec<i64> = got.iter().map(|n| n["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), got.len());
    // No secret in anything the sink got.
    assert!(
        !std::fs::read_to_string(&sink_file)
            .unwrap()
            .contains("s3cret")
    );

    let open_now = http::get(&addr, "/api/v1/findings").json();
    assert!(
        !open_now["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["finding"] == "stream-unauthenticated"),
        "{open_now}"
    );
    let was = http::get(&addr, "/api/v1/findings?state=resolved").json();
    let was: Vec<&Value> = was["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["finding"] == "stream-unauthenticated")
        .collect();
    assert_eq!(was.len(), 1);
    assert!(was[0]["resolved_at"].is_string());
    drop(serve);

    // `camscan history` says it in one line.
    let mut c = camscan_with_db(&db);
    let out = run(c.args(["history", "--site", SITE]), Duration::from_secs(30));
    let text = common::stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.contains("finding_resolved")
                && l.contains("stream-unauthenticated port 8554")),
        "{text}"
    );
}
