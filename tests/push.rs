//! `camscan push` into running tools, each played by a small server that follows the tool's own
//! source contract (tests/servers/push/: Frigate 0.17's `PUT /api/config/set` with its
//! validation, file restore and 5 s cache; go2rtc's `/api/streams` writing its YAML; MediaMTX's
//! `/v3/config/paths/*` with Basic auth). The inventory is written with the store's own
//! `record_scan` (cameras given as data: their addresses in 198.18.0.0/15 are never contacted)
//! and, in `scan_push_puts_a_real_camera_into_frigate`, by a real scan of GStreamer's RTSP
//! server.
//!
//! What is asserted: one push adds every camera the export names (with its detect size); a
//! second push sends nothing and leaves the file byte for byte; a camera that moved (same MAC)
//! is one update under the same name; a person's entries never change (a name collision gives
//! the new camera another name, a person's camera of the same address is left alone, a person's
//! edit of camscan's entry makes it theirs); a refusal is shown with its camera and the rest go
//! on; an unreachable or silent tool fails within 15 s naming its URL; no camera password is on
//! camscan's stdout or stderr.
//!
//! Addresses: 127.0.60.1-20 (the fake tools, the RTSP camera).

#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use model::{
    AuthScheme, Credential, Device, DiscoveryMethod, Protocol, Stream, StreamStatus, VideoInfo,
};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "s3cr3t-Pw";

/// A camera with one verified RTSP main stream and a 640x360 sub stream (data only).
fn camera(mac: &str, ip: &str, name: &str, login: bool) -> Device {
    let mut d = Device::new(ip.parse().unwrap());
    d.mac = Some(mac.into());
    d.vendor = Some("Hikvision".into());
    d.name = Some(name.into());
    d.is_camera = true;
    d.open_ports = vec![554];
    d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
    let stream = |channel: u32, w: u32, h: u32| {
        let mut s = Stream::new(
            format!("rtsp://{ip}:554/Streaming/Channels/10{channel}"),
            Protocol::Rtsp,
            554,
        );
        s.status = StreamStatus::Ok;
        s.auth = if login {
            AuthScheme::Digest
        } else {
            AuthScheme::None
        };
        s.username = login.then(|| "admin".to_string());
        s.verified = true;
        let mut v = VideoInfo::new("h264".into());
        (v.width, v.height, v.fps) = (Some(w), Some(h), Some(25.0));
        s.video = Some(v);
        s
    };
    d.streams = vec![stream(1, 1920, 1080), stream(2, 640, 360)];
    d
}

fn record(db: &Path, n: u32, devices: Vec<Device>) {
    record_as(db, n, devices, PASSWORD);
}

/// [`record`], the cameras opened with `admin:password`.
fn record_as(db: &Path, n: u32, devices: Vec<Device>, password: &str) {
    common::inventory::record(
        db,
        n,
        "198.18.0.0/24",
        devices,
        &Credential::new("admin", password),
    );
}

/// A fake tool: `tests/servers/push/<tool>.py` with `args`, READY within 30 s.
fn fake(tool: &str, env: &[(&str, &str)], args: &[&str]) -> common::Server {
    common::push_fake(tool, env, args)
}

fn push(db: &Path, args: &[&str]) -> Output {
    push_as(db, args, PASSWORD)
}

/// [`push`] with `--credentials` holding `admin:password`.
fn push_as(db: &Path, args: &[&str], password: &str) -> Output {
    let creds = db.with_file_name("site.creds");
    std::fs::write(&creds, format!("admin:{password}\n")).unwrap();
    let o = common::run(
        common::camscan_with_db(db)
            .arg("push")
            .args(args)
            .arg("--credentials")
            .arg(&creds),
        LIMIT,
    );
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    eprintln!("camscan push {args:?}: {:?}\n{out}\n{err}", o.status.code());
    assert!(
        !out.contains(password) && !err.contains(password),
        "a camera password on camscan's output"
    );
    o
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(v).unwrap()
}

fn steps(o: &Output) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The requests a fake logged (its JSON lines), and how many changed something.
fn writes(server: &common::Server) -> usize {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| {
            matches!(
                v["method"].as_str(),
                Some("PUT" | "POST" | "PATCH" | "DELETE")
            )
        })
        .count()
}

const PERSONS_FRIGATE: &str = "\
# My own Frigate configuration: camscan must keep this comment
mqtt:
  enabled: false
cameras:
  front:  # the old front camera, on another subnet
    ffmpeg:
      inputs:
        - path: rtsp://10.1.1.9:554/live
          roles:
            - detect
            - record
    detect:
      width: 1280
      height: 720
  garden:
    ffmpeg:
      inputs:
        - path: rtsp://viewer:hunter2@198.18.0.14:554/stream1
          roles:
            - detect
";

fn persons(doc: &Value) -> (Value, Value) {
    (
        doc["cameras"]["front"].clone(),
        doc["cameras"]["garden"].clone(),
    )
}

#[test]
fn frigate_push_adds_keeps_moves_and_leaves_a_persons_cameras() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, PERSONS_FRIGATE).unwrap();
    let ip = "127.0.60.1";
    // Frigate's own port, fixed: README.md's sample of a push is this test's.
    let port = "5000".to_string();
    let tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let url = format!("http://{ip}:{port}");
    let front = || camera("02:00:00:00:00:12", "198.18.0.12", "Front", true);
    let yard = camera("02:00:00:00:00:13", "198.18.0.13", "Yard", false);
    let porch = camera("02:00:00:00:00:14", "198.18.0.14", "Porch", true);
    record(&db, 1, vec![front(), yard.clone(), porch.clone()]);
    let before = persons(&yaml(&config));

    // The plan: Front's name is a person's, so it becomes front_2; Porch is already the
    // person's "garden" (same address); nothing is sent.
    let plan = push(&db, &["frigate", &url, "--dry-run", "-f", "json"]);
    assert_eq!(plan.status.code(), Some(0));
    assert_eq!(
        steps(&plan),
        [
            ("front_2".to_string(), "add".to_string()),
            ("yard".into(), "add".into()),
            ("porch".into(), "leave".into())
        ]
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), PERSONS_FRIGATE);
    assert_eq!(writes(&tool), 0);

    // Apply: both added with their detect size, verified; the person's cameras and comment kept.
    let first = push(&db, &["frigate", &url]);
    assert_eq!(first.status.code(), Some(0));
    let out = common::stdout(&first);
    assert!(
        out.contains("2 added") && out.contains("verified 2/2"),
        "{out}"
    );
    common::samples::console_sample(
        "README.md",
        "push-frigate",
        "tests/push.rs, its first push into the fake Frigate",
        &format!("camscan push frigate {url} --credentials site.creds"),
        &out,
        &[],
    );
    let doc = yaml(&config);
    assert_eq!(persons(&doc), before);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("camscan must keep this comment"), "{text}");
    let cam = &doc["cameras"]["front_2"];
    assert_eq!(cam["detect"]["width"], 640);
    assert_eq!(cam["detect"]["height"], 360);
    let paths: Vec<&str> = cam["ffmpeg"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            format!("rtsp://admin:{PASSWORD}@198.18.0.12:554/Streaming/Channels/101"),
            format!("rtsp://admin:{PASSWORD}@198.18.0.12:554/Streaming/Channels/102"),
        ]
    );
    assert!(doc["cameras"]["yard"].is_object());
    let written = writes(&tool);
    // `camscan devices` names each camera as it was pushed (issue 73: it did not).
    let listed = common::run(
        common::camscan_with_db(&db).args(["devices", "-f", "csv"]),
        LIMIT,
    );
    let listed = common::stdout(&listed);
    assert!(
        listed.contains("frigate:front_2") && listed.contains("frigate:yard"),
        "{listed}"
    );

    // A second push: no change, nothing sent, the file byte for byte the same.
    let again = push(&db, &["frigate", &url]);
    assert_eq!(again.status.code(), Some(0));
    assert!(common::stdout(&again).contains("2 already right"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    assert_eq!(writes(&tool), written, "the second push sent something");

    // Front moved (a new DHCP lease, the same MAC): one update under the same name.
    let mut moved = camera("02:00:00:00:00:12", "198.18.0.15", "Front", true);
    moved.name = Some("Front".into());
    record(&db, 2, vec![moved, yard.clone(), porch.clone()]);
    let update = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(update.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&update.stdout).unwrap();
    let changed: Vec<&Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] != "keep" && s["action"] != "leave")
        .collect();
    assert_eq!(changed.len(), 1, "{v}");
    assert_eq!(changed[0]["name"], "front_2");
    assert_eq!(changed[0]["action"], "update");
    assert_eq!(
        changed[0]["why"][0], "moved: 198.18.0.12 → 198.18.0.15",
        "{v}"
    );
    let doc = yaml(&config);
    assert_eq!(persons(&doc), before);
    assert!(
        doc["cameras"]["front_2"]["ffmpeg"]["inputs"][0]["path"]
            .as_str()
            .unwrap()
            .contains("@198.18.0.15:554/"),
        "{doc}"
    );

    // A person edits camscan's camera in Frigate's UI (the same API): it is theirs from then on,
    // and a later move of the camera leaves it alone.
    let edit = r#"{"requires_restart": 0, "config_data": {"cameras": {"front_2": {"detect": {"width": 1280, "height": 720}}}}}"#;
    let curl = std::process::Command::new("curl")
        .args([
            "-sS",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "--data",
            edit,
        ])
        .arg(format!("{url}/api/config/set"))
        .output()
        .unwrap();
    assert!(curl.status.success(), "{curl:?}");
    let mut moved_again = camera("02:00:00:00:00:12", "198.18.0.16", "Front", true);
    moved_again.name = Some("Front".into());
    record(&db, 3, vec![moved_again, yard, porch]);
    let left = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(left.status.code(), Some(0));
    let s = steps(&left);
    assert!(
        s.contains(&("front_2".to_string(), "leave".to_string())),
        "{s:?}"
    );
    let doc = yaml(&config);
    assert_eq!(doc["cameras"]["front_2"]["detect"]["width"], 1280);
    assert!(
        doc["cameras"]["front_2"]["ffmpeg"]["inputs"][0]["path"]
            .as_str()
            .unwrap()
            .contains("@198.18.0.15:554/")
    );
    let v: Value = serde_json::from_slice(&left.stdout).unwrap();
    let why = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "front_2")
        .map(|s| s["why"].to_string())
        .unwrap_or_default();
    assert!(why.contains("--hand-back front_2"), "{why}");

    // Issue 82: the person hands it back (`--hand-back`): camscan's fields again, the camera
    // followed to its new address, and camscan's from then on (the next push keeps it).
    let back = push(
        &db,
        &["frigate", &url, "--hand-back", "front_2", "-f", "json"],
    );
    assert_eq!(back.status.code(), Some(0), "{}", common::stderr(&back));
    let s = steps(&back);
    assert!(
        s.contains(&("front_2".to_string(), "update".to_string())),
        "{s:?}"
    );
    let doc = yaml(&config);
    assert_eq!(doc["cameras"]["front_2"]["detect"]["width"], 640, "{doc}");
    assert!(
        doc["cameras"]["front_2"]["ffmpeg"]["inputs"][0]["path"]
            .as_str()
            .unwrap()
            .contains("@198.18.0.16:554/"),
        "{doc}"
    );
    let again = push(&db, &["frigate", &url, "-f", "json"]);
    assert!(
        steps(&again).contains(&("front_2".to_string(), "keep".to_string())),
        "{:?}",
        steps(&again)
    );
    // An entry camscan never wrote is refused before anything is sent.
    let o = push(&db, &["frigate", &url, "--hand-back", "garden"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("garden"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn a_frigate_refusal_is_shown_with_its_camera_and_the_rest_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.2";
    let port = common::free_port(ip).to_string();
    // Frigate's environment has Yard's password variable, not Front's.
    let _tool = fake(
        "frigate",
        &[("FRIGATE_YARD_PASSWORD", "x")],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let url = format!("http://{ip}:{port}");
    record(
        &db,
        1,
        vec![
            camera("02:00:00:00:00:22", "198.18.0.22", "Front", true),
            camera("02:00:00:00:00:23", "198.18.0.23", "Yard", true),
        ],
    );
    let before = std::fs::read_to_string(&config).unwrap();
    let o = push(&db, &["frigate", &url, "--password-refs"]);
    assert_eq!(o.status.code(), Some(1), "a refusal exits 1");
    let out = common::stdout(&o);
    assert!(out.contains("refused: HTTP 400"), "{out}");
    assert!(out.contains("FRIGATE_FRONT_PASSWORD"), "{out}");
    let doc = yaml(&config);
    assert!(doc["cameras"]["front"].is_null(), "{doc}");
    assert!(doc["cameras"]["yard"].is_object(), "{doc}");
    assert_ne!(std::fs::read_to_string(&config).unwrap(), before);
}

#[test]
fn an_unreachable_or_silent_tool_fails_within_15_s_naming_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:32", "198.18.0.32", "Front", false)],
    );
    // Nothing listens.
    let ip = "127.0.60.3";
    let closed = common::free_port(ip);
    // Accepts, reads, never answers.
    let silent = std::net::TcpListener::bind((ip, 0)).unwrap();
    let silent_url = format!("http://{ip}:{}", silent.local_addr().unwrap().port());
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Ok((s, _)) = silent.accept() {
            kept.push(s);
            std::thread::sleep(Duration::from_secs(20));
        }
    });
    for url in [format!("http://{ip}:{closed}"), silent_url] {
        let t = Instant::now();
        let o = push(&db, &["frigate", &url]);
        let took = t.elapsed();
        assert_eq!(o.status.code(), Some(2));
        let err = common::stderr(&o);
        assert!(err.contains(&url) && err.contains("unreachable"), "{err}");
        assert!(took < Duration::from_secs(15), "{url}: {took:?}");
    }
    drop(held);
}

#[test]
fn go2rtc_push_writes_its_yaml_and_a_second_push_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("go2rtc.yaml");
    let persons = "# my go2rtc\nstreams:\n  doorbell: rtsp://10.1.1.5/live  # mine\n";
    std::fs::write(&config, persons).unwrap();
    let ip = "127.0.60.4";
    let port = common::free_port(ip).to_string();
    let tool = fake(
        "go2rtc",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let url = format!("http://{ip}:{port}");
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:42", "198.18.0.42", "Front", true)],
    );
    let o = push(&db, &["go2rtc", &url]);
    assert_eq!(o.status.code(), Some(0));
    let doc = yaml(&config);
    assert_eq!(doc["streams"]["doorbell"], "rtsp://10.1.1.5/live");
    let main = serde_json::to_string(&doc["streams"]["front"]).unwrap();
    assert!(
        main.contains("198.18.0.42:554/Streaming/Channels/101"),
        "{doc}"
    );
    assert!(
        doc["streams"]["front_sub"]
            .to_string()
            .contains("Channels/102")
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let sent = writes(&tool);
    let again = push(&db, &["go2rtc", &url]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(writes(&tool), sent);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    // The camera forgotten: its streams stay until --prune, which removes only camscan's.
    let forget = common::run(
        common::camscan_with_db(&db).args(["forget", "198.18.0.42"]),
        LIMIT,
    );
    assert_eq!(forget.status.code(), Some(0), "{}", common::stderr(&forget));
    let kept = push(&db, &["go2rtc", &url, "-f", "json"]);
    assert_eq!(kept.status.code(), Some(0));
    assert_eq!(steps(&kept), [("front".to_string(), "leave".to_string())]);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let pruned = push(&db, &["go2rtc", &url, "--prune", "-f", "json"]);
    assert_eq!(pruned.status.code(), Some(0));
    assert_eq!(
        steps(&pruned),
        [("front".to_string(), "remove".to_string())]
    );
    let doc = yaml(&config);
    assert_eq!(doc["streams"]["doorbell"], "rtsp://10.1.1.5/live");
    assert!(
        doc["streams"]["front"].is_null() && doc["streams"]["front_sub"].is_null(),
        "{doc}"
    );
    assert!(std::fs::read_to_string(&config).unwrap().contains("# mine"));
    // Nothing left of camscan's: a further prune has nothing to do.
    let none = push(&db, &["go2rtc", &url, "--prune", "-f", "json"]);
    assert!(steps(&none).is_empty());
}

#[test]
fn mediamtx_push_logs_in_and_a_second_push_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let ip = "127.0.60.5";
    let port = common::free_port(ip).to_string();
    let pass = dir.path().join("api.pass");
    std::fs::write(&pass, "apipass\n").unwrap();
    let tool = fake(
        "mediamtx",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--user",
            "api",
            "--password-file",
            pass.to_str().unwrap(),
        ],
    );
    let url = format!("http://{ip}:{port}");
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:52", "198.18.0.52", "Front", true)],
    );
    // Without the login: MediaMTX's 401, said as no login given and where one goes (issue 82),
    // not as a login refused.
    let refused = push(&db, &["mediamtx", &url]);
    assert_eq!(refused.status.code(), Some(2));
    let err = common::stderr(&refused);
    assert!(
        err.contains("no login was given")
            && err.contains("HTTP 401")
            && err.contains("--push-login-file")
            && err.contains("CAMSCAN_PUSH_USER"),
        "{err}"
    );
    assert!(!err.contains("login refused"), "{err}");
    let login = dir.path().join("login");
    std::fs::write(&login, "api:apipass\n").unwrap();
    let with = [
        "mediamtx",
        &url,
        "--push-login-file",
        login.to_str().unwrap(),
    ];
    let o = push(&db, &with);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        common::stdout(&o).contains("verified 2/2") || common::stdout(&o).contains("verified 1/1")
    );
    let sent = writes(&tool);
    let again = push(&db, &with);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(writes(&tool), sent);
}

/// A URL with a login in it is refused before anything is sent: argv is readable by every user.
#[test]
fn a_login_in_the_url_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    record(&db, 1, vec![]);
    let o = push(&db, &["go2rtc", "http://admin:pw@127.0.60.6:1984"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("process list"));
    // Issue 82: Home Assistant takes no user and password at all: the message says what it
    // takes instead (a long-lived access token, and where it goes), never suggests a pair.
    for args in [
        &["push", "homeassistant", "http://admin:pw@127.0.60.6:8123"][..],
        &[
            "scan",
            "127.0.60.6",
            "--push",
            "homeassistant=http://admin:pw@127.0.60.6:8123",
        ],
    ] {
        let o = common::run(common::camscan_with_db(&db).args(args), LIMIT);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("which Home Assistant does not take")
                && err.contains("long-lived access token")
                && err.contains("--push-login-file")
                && err.contains("CAMSCAN_PUSH_TOKEN")
                && err.contains("(http://127.0.60.6:8123)"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("user:password") && !err.contains("CAMSCAN_PUSH_USER"),
            "{err}"
        );
        assert!(
            !err.contains("admin:pw"),
            "the login is not repeated: {err}"
        );
    }
}

/// The whole road on a real camera: GStreamer's RTSP server asking for a Digest login, scanned
/// with the site's credentials file and pushed into Frigate after the scan is recorded; the
/// camera lands with the password that opened it and the size its PLAY check measured.
#[test]
fn scan_push_puts_a_real_camera_into_frigate() {
    let cam_ip = "127.0.60.10";
    let _camera = common::rtsp_servers(&serde_json::json!([
        {"address": cam_ip, "port": 8554, "shared": true,
         "auth": {"method": "digest", "user": "admin", "password": PASSWORD},
         "mounts": [{"path": "/live",
                     "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10},
                     "audio": null}]}
    ]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let creds = dir.path().join("site.creds");
    std::fs::write(&creds, format!("admin:wrong\nadmin:{PASSWORD}\n")).unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.11";
    let port = common::free_port(ip).to_string();
    let _tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let o = common::run(
        common::camscan_with_db(&db)
            .args(["scan", cam_ip, "-p", "8554", "-f", "json"])
            .arg("--credentials")
            .arg(&creds)
            .arg("--push")
            .arg(format!("frigate=http://{ip}:{port}")),
        LIMIT,
    );
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    eprintln!("{out}\n{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 added") && err.contains("verified 1/1"),
        "{err}"
    );
    let doc = yaml(&config);
    let cams = doc["cameras"].as_object().unwrap();
    assert_eq!(cams.len(), 1, "{doc}");
    let cam = cams.values().next().unwrap();
    assert_eq!(cam["detect"]["width"], 320);
    assert_eq!(cam["detect"]["height"], 240);
    assert_eq!(
        cam["ffmpeg"]["inputs"][0]["path"],
        format!("rtsp://admin:{PASSWORD}@{cam_ip}:8554/live")
    );
    // Its one input's roles, which Frigate reads back in its own order, are still camscan's.
    let again = push(
        &db,
        &["frigate", &format!("http://{ip}:{port}"), "-f", "json"],
    );
    assert_eq!(again.status.code(), Some(0));
    let name = cams.keys().next().unwrap().clone();
    assert_eq!(steps(&again), [(name, "keep".to_string())]);
}

/// `watch --push`: the first round adds the camera (one `pushed` event on the sinks), the rounds
/// after it change nothing and send no event.
#[test]
fn watch_push_keeps_frigate_right_and_tells_the_sinks() {
    let cam_ip = "127.0.60.12";
    let _camera = common::watch_camera(cam_ip);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.13";
    let port = common::free_port(ip).to_string();
    let tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let o = common::run(
        common::camscan_with_db(&db)
            .args(["watch", "--no-listen", cam_ip, "-p", "8554"])
            .args(["--every", "1s", "--rounds", "3", "--notify", "stdout"])
            .arg("--push")
            .arg(format!("frigate=http://{ip}:{port}")),
        LIMIT,
    );
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    eprintln!("{out}\n{err}");
    assert_eq!(o.status.code(), Some(0), "{err}");
    let pushed: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "pushed" || e["kind"] == "push_failed")
        .collect();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["kind"], "pushed");
    assert_eq!(pushed[0]["detail"]["tool"], "frigate");
    assert_eq!(pushed[0]["detail"]["action"], "add");
    let doc = yaml(&config);
    assert_eq!(doc["cameras"].as_object().unwrap().len(), 1, "{doc}");
    // Three rounds, one change: one PUT (the camera with its update topic).
    assert_eq!(writes(&tool), 1);
}

fn curl(args: &[&str]) -> (u16, String) {
    let o = std::process::Command::new("curl")
        .args(["-sS", "-k", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// The fake Frigate keeps the failure modes of Frigate's contract that camscan must live with:
/// a config that fails validation is a 400 and the file is written back byte for byte; the
/// query-string form with a list index is a 500; a write with an `Origin` and no CSRF token is a
/// 401; `GET /api/config` is cached 5 s unless `X-Cache-Bypass`.
#[test]
fn the_fake_frigate_keeps_frigates_failure_modes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    std::fs::write(&config, PERSONS_FRIGATE).unwrap();
    let ip = "127.0.60.7";
    let port = common::free_port(ip).to_string();
    let _tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let set = format!("http://{ip}:{port}/api/config/set");
    let get = format!("http://{ip}:{port}/api/config");
    let json = [
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--data",
    ];
    // Two inputs, no detect role (a lone input gets Frigate's own roles): refused, the file as
    // it was.
    let bad = r#"{"requires_restart": 0, "config_data": {"cameras": {"x": {"ffmpeg": {"inputs": [{"path": "rtsp://h/x", "roles": ["record"]}, {"path": "rtsp://h/y", "roles": ["audio"]}]}}}}}"#;
    let (code, body) = curl(&[&json[..], &[bad, &set]].concat());
    assert_eq!(code, 400, "{body}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), PERSONS_FRIGATE);
    // The query form with a list index.
    // The query form with a list index (a JSON body all the same: FastAPI wants one, 422 else).
    let q = format!("{set}?cameras.front.ffmpeg.inputs.0.path=rtsp://h/y");
    let (code, _) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--data",
        "{}",
        &q,
    ]);
    assert_eq!(code, 500);
    let (code, _) = curl(&["-X", "PUT", &q]);
    assert_eq!(code, 422);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), PERSONS_FRIGATE);
    // Origin without a CSRF token.
    let ok =
        r#"{"requires_restart": 0, "config_data": {"cameras": {"front": {"detect": {"fps": 5}}}}}"#;
    let (code, body) =
        curl(&[&json[..], &[ok, "-H", "Origin: http://evil.example", &set]].concat());
    assert_eq!(code, 401, "{body}");
    // The cache: a change within 5 s is not seen without the bypass.
    let (_, before) = curl(&[&get]);
    let (code, _) = curl(&[&json[..], &[ok, &set]].concat());
    assert_eq!(code, 200);
    let (_, cached) = curl(&[&get]);
    assert_eq!(cached, before);
    let (_, fresh) = curl(&["-H", "X-Cache-Bypass: 1", &get]);
    let v: Value = serde_json::from_str(&fresh).unwrap();
    assert_eq!(v["cameras"]["front"]["detect"]["fps"], 5);
    assert_eq!(
        v["cameras"]["garden"]["ffmpeg"]["inputs"][0]["path"],
        "rtsp://*:*@198.18.0.14:554/stream1"
    );
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("camscan must keep this comment")
    );
}

fn openssl(args: &[&str]) {
    let o = std::process::Command::new("openssl")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "openssl {args:?}: {o:?}");
}

/// Frigate's authenticated port: TLS and `POST /api/login`. Its default certificate, made as
/// Frigate makes it (`docker/main/rootfs/etc/s6-overlay/s6-rc.d/nginx/run`: self-signed,
/// `CN=*`, no subject alternative name), is trusted only with `--push-insecure`; a certificate
/// from the site's own CA with `--push-ca-file`. camscan logs in with `--push-login-file` and
/// pushes with the session cookie; a wrong or missing login is exit 2.
#[test]
fn frigate_over_tls_with_its_login() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.8";
    // Frigate's own default certificate.
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-days",
        "1",
        "-nodes",
        "-x509",
        "-subj",
        "/O=FRIGATE DEFAULT CERT/CN=*",
        "-keyout",
        &d("default.key"),
        "-out",
        &d("default.pem"),
    ]);
    // A site CA and a certificate it signed for the tool's address.
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-days",
        "1",
        "-nodes",
        "-x509",
        "-subj",
        "/CN=site CA",
        "-keyout",
        &d("ca.key"),
        "-out",
        &d("ca.pem"),
    ]);
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=frigate",
        "-keyout",
        &d("leaf.key"),
        "-out",
        &d("leaf.csr"),
    ]);
    std::fs::write(
        dir.path().join("leaf.ext"),
        format!("subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\n"),
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &d("leaf.csr"),
        "-CA",
        &d("ca.pem"),
        "-CAkey",
        &d("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &d("leaf.ext"),
        "-out",
        &d("leaf.pem"),
    ]);
    std::fs::write(dir.path().join("admin.pass"), "frigate-admin-pw\n").unwrap();
    let start = |cert: &str, key: &str| {
        let port = common::free_port(ip).to_string();
        let tls = common::free_port(ip).to_string();
        let server = fake(
            "frigate",
            &[],
            &[
                "--bind",
                ip,
                "--port",
                &port,
                "--config",
                config.to_str().unwrap(),
                "--tls-port",
                &tls,
                "--cert",
                &d(cert),
                "--key",
                &d(key),
                "--user",
                "admin",
                "--password-file",
                &d("admin.pass"),
            ],
        );
        (server, format!("https://{ip}:{tls}"))
    };
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:82", "198.18.0.82", "Front", true)],
    );
    let login = d("login");
    std::fs::write(&login, "admin:wrong\n").unwrap();
    let (tool, url) = start("default.pem", "default.key");
    // The self-signed default, not trusted; then trusted, a wrong login.
    let o = push(&db, &["frigate", &url, "--push-login-file", &login]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("--push-insecure"),
        "{}",
        common::stderr(&o)
    );
    let o = push(
        &db,
        &[
            "frigate",
            &url,
            "--push-login-file",
            &login,
            "--push-insecure",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("login refused"),
        "{}",
        common::stderr(&o)
    );
    // No login at all: the authenticated port's 401.
    let o = push(&db, &["frigate", &url, "--push-insecure"]);
    assert_eq!(o.status.code(), Some(2));
    // The right login.
    std::fs::write(&login, "admin:frigate-admin-pw\n").unwrap();
    let o = push(
        &db,
        &[
            "frigate",
            &url,
            "--push-login-file",
            &login,
            "--push-insecure",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(yaml(&config)["cameras"]["front"].is_object());
    drop(tool);
    // The site's CA: trusted with --push-ca-file; the push finds the camera already right.
    let (_tool, url) = start("leaf.pem", "leaf.key");
    let o = push(
        &db,
        &[
            "frigate",
            &url,
            "--push-login-file",
            &login,
            "--push-ca-file",
            &d("ca.pem"),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
}

/// A big push into Frigate goes in batches (Frigate rewrites and validates its whole file on
/// every change), and a batch Frigate refuses is halved until the refused camera is alone: one
/// camera refused, the 23 others added and verified, in 11 requests rather than 24.
#[test]
fn a_big_frigate_push_is_batched_and_a_refusal_stays_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.9";
    let port = common::free_port(ip).to_string();
    let tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let mut cams: Vec<Device> = (0..23)
        .map(|i| {
            camera(
                &format!("02:00:00:00:01:{i:02x}"),
                &format!("198.18.1.{}", i + 10),
                &format!("Cam {i}"),
                false,
            )
        })
        .collect();
    // Its password a reference Frigate's environment cannot fill: Frigate refuses it.
    cams.insert(
        17,
        camera("02:00:00:00:01:ff", "198.18.1.200", "Gate", true),
    );
    record(&db, 1, cams);
    let o = push(
        &db,
        &["frigate", &format!("http://{ip}:{port}"), "--password-refs"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = common::stdout(&o);
    assert!(out.contains("23 added, 1 refused; verified 23/23"), "{out}");
    assert!(out.contains("200 at a time"), "{out}");
    let doc = yaml(&config);
    assert_eq!(doc["cameras"].as_object().unwrap().len(), 23);
    assert!(doc["cameras"]["gate"].is_null());
    // 24, refused; its halves (12 taken, 12 refused); and so on down to the one camera: 11.
    assert_eq!(writes(&tool), 11);
}

/// `--frigate-restream`: each camera's go2rtc streams written beside it in Frigate's `go2rtc:`
/// section and started through Frigate's `PUT /api/go2rtc/streams/{name}`, the inputs from the
/// restream; on a slow Frigate (every answer 200 ms late); a second push changes nothing.
#[test]
fn frigate_restream_writes_the_go2rtc_streams_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.14";
    let port = common::free_port(ip).to_string();
    let tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
            "--delay-ms",
            "200",
        ],
    );
    let url = format!("http://{ip}:{port}");
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:92", "198.18.0.92", "Front", true)],
    );
    let o = push(&db, &["frigate", &url, "--frigate-restream"]);
    assert_eq!(o.status.code(), Some(0));
    let doc = yaml(&config);
    let streams = &doc["go2rtc"]["streams"];
    assert!(
        streams["front"]
            .to_string()
            .contains("@198.18.0.92:554/Streaming/Channels/101"),
        "{doc}"
    );
    assert!(
        streams["front_sub"].to_string().contains("Channels/102"),
        "{doc}"
    );
    let inputs = &doc["cameras"]["front"]["ffmpeg"]["inputs"];
    assert_eq!(inputs[0]["path"], "rtsp://127.0.0.1:8554/front");
    assert_eq!(inputs[1]["path"], "rtsp://127.0.0.1:8554/front_sub");
    let state: Value = serde_json::from_str(&curl(&[&format!("{url}/_fake/state")]).1).unwrap();
    assert!(
        state["go2rtc"]["front"]
            .as_str()
            .unwrap()
            .contains("198.18.0.92"),
        "{state}"
    );
    let sent = writes(&tool);
    let text = std::fs::read_to_string(&config).unwrap();
    let again = push(&db, &["frigate", &url, "--frigate-restream"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(writes(&tool), sent);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

/// A push killed (SIGKILL) after Frigate took the camera and before camscan read it back: the
/// ledger held the write as pending, so the next push finds its own camera (keep), not a
/// person's (leave), and sends nothing again.
#[test]
fn a_push_killed_mid_way_still_knows_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    let ip = "127.0.60.15";
    let port = common::free_port(ip).to_string();
    // Every answer 1.5 s late, after the change is made (as a loaded Frigate's would be).
    let tool = fake(
        "frigate",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
            "--delay-ms",
            "1500",
        ],
    );
    let url = format!("http://{ip}:{port}");
    record(
        &db,
        1,
        vec![camera("02:00:00:00:00:a2", "198.18.0.162", "Front", false)],
    );
    let mut child = common::camscan_with_db(&db)
        .args(["push", "frigate", &url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The read answered at 1.5 s; the camera's PUT is made at once and answered at 3 s.
    let end = Instant::now() + Duration::from_secs(10);
    while writes(&tool) == 0 && !yaml(&config)["cameras"]["front"].is_object() {
        assert!(Instant::now() < end, "the PUT never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        yaml(&config)["cameras"]["front"].is_object(),
        "Frigate took it"
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let again = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(steps(&again), [("front".to_string(), "keep".to_string())]);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

/// Issue 73: `--prune` never removes a camera that is still there. After a rescan whose login
/// was refused (a scan without `--credentials`), the camera is still in the inventory: its entry
/// is left as written and the plan says why. Only once the inventory no longer holds the device
/// (`camscan forget`; `camscan prune` after the retention) does `--prune` remove it.
#[test]
fn prune_never_removes_a_camera_still_in_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    let (_tool, url) = common::empty_frigate("127.0.60.21", &config);
    let gate = || camera("02:00:00:00:00:31", "198.18.0.31", "Gate", true);
    record(&db, 1, vec![gate()]);
    let first = push(&db, &["frigate", &url]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(yaml(&config)["cameras"].as_object().unwrap().len(), 1);
    // `show` says where camscan pushed it, and under which name.
    let shown = common::run(
        common::camscan_with_db(&db).args(["show", "02:00:00:00:00:31"]),
        LIMIT,
    );
    let text = common::stdout(&shown);
    assert!(
        text.contains("Pushed:") && text.contains(&format!("frigate {url} as gate")),
        "{text}"
    );

    // The next scan had no credentials: every stream refused.
    let mut refused = gate();
    for s in &mut refused.streams {
        s.status = StreamStatus::AuthRequired;
        s.verified = false;
        s.video = None;
    }
    record(&db, 2, vec![refused]);
    let o = push(&db, &["frigate", &url, "--prune", "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(steps(&o), [("gate".to_string(), "leave".to_string())]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let why = v["steps"][0]["why"].to_string();
    assert!(why.contains("still in the inventory"), "{why}");
    assert_eq!(yaml(&config)["cameras"].as_object().unwrap().len(), 1);

    // The device leaves the inventory: now --prune removes what camscan wrote.
    let forget = common::run(
        common::camscan_with_db(&db).args(["forget", "02:00:00:00:00:31"]),
        LIMIT,
    );
    assert_eq!(forget.status.code(), Some(0), "{}", common::stderr(&forget));
    let o = push(&db, &["frigate", &url, "--prune", "-f", "json"]);
    assert_eq!(steps(&o), [("gate".to_string(), "remove".to_string())]);
    assert_eq!(yaml(&config)["cameras"].as_object().unwrap().len(), 0);
}

/// Issue 73: errors a user can act on, and one device pushed from the command line. A URL
/// without its scheme says to write it whole; go2rtc's push aimed at Frigate's API says where
/// go2rtc's API usually is; `--device` pushes that camera only, and an unknown one is refused
/// before anything is sent. A push that changes nothing prints no restart note.
#[test]
fn push_errors_say_what_to_do_and_one_device_can_be_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    let (tool, url) = common::empty_frigate("127.0.60.22", &config);
    record(
        &db,
        1,
        vec![
            camera("02:00:00:00:00:41", "198.18.0.41", "Gate", true),
            camera("02:00:00:00:00:42", "198.18.0.42", "Yard", true),
        ],
    );
    let bare = push(&db, &["frigate", url.trim_start_matches("http://")]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(
        common::stderr(&bare).contains("with http:// or https://"),
        "{}",
        common::stderr(&bare)
    );
    let wrong = push(&db, &["go2rtc", &url]);
    assert_eq!(wrong.status.code(), Some(2));
    let err = common::stderr(&wrong);
    assert!(
        err.contains("is this go2rtc's API?") && err.contains(":1984"),
        "{err}"
    );
    let unknown = push(&db, &["frigate", &url, "--device", "198.18.0.99"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(common::stderr(&unknown).contains("no such device"));
    assert_eq!(writes(&tool), 0);

    let one = push(
        &db,
        &[
            "frigate",
            &url,
            "--device",
            "02:00:00:00:00:42",
            "-f",
            "json",
        ],
    );
    assert_eq!(one.status.code(), Some(0), "{}", common::stderr(&one));
    assert_eq!(steps(&one), [("yard".to_string(), "add".to_string())]);
    let doc = yaml(&config);
    assert_eq!(doc["cameras"].as_object().unwrap().len(), 1, "{doc}");
    // Nothing to change: no note about Frigate's restart.
    let again = push(&db, &["frigate", &url, "--device", "02:00:00:00:00:42"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        !common::stdout(&again).contains("restart"),
        "{}",
        common::stdout(&again)
    );
}

/// Issue 73: a camera whose stream answered but never played is not pushed by default (a tool
/// given it probes it on every change: Frigate 30 s); the plan says why, and
/// `--push-unverified` pushes it anyway.
#[test]
fn a_stream_that_never_played_is_not_pushed_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    let (tool, url) = common::empty_frigate("127.0.60.23", &config);
    let mut silent = camera("02:00:00:00:00:51", "198.18.0.51", "Silent", true);
    for s in &mut silent.streams {
        s.status = StreamStatus::Unverified;
        s.verified = false;
    }
    record(&db, 1, vec![silent]);
    let o = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(steps(&o), [("silent".to_string(), "skip".to_string())]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let why = v["steps"][0]["why"].to_string();
    assert!(
        why.contains("never played") && why.contains("--push-unverified"),
        "{why}"
    );
    assert_eq!(writes(&tool), 0);
    let o = push(&db, &["frigate", &url, "--push-unverified", "-f", "json"]);
    assert_eq!(steps(&o), [("silent".to_string(), "add".to_string())]);
    assert_eq!(yaml(&config)["cameras"].as_object().unwrap().len(), 1);
}

/// Issue 73: an ONVIF PTZ camera without a login, pushed into Frigate. Frigate's `config_set`
/// reads `""` as "delete this key" and answers 500 when the key is not there; camscan sent
/// `onvif.user: ""` and `onvif.password: ""` (what Frigate's docs ask of a file) and was refused.
/// Through the API it now leaves them out; the fake Frigate keeps Frigate's refusal.
#[test]
fn an_onvif_camera_without_a_login_is_taken_by_frigate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    let (_tool, url) = common::empty_frigate("127.0.60.24", &config);
    let mut ptz = camera("02:00:00:00:00:61", "198.18.0.61", "Dome", false);
    ptz.onvif = Some(
        serde_json::from_value(serde_json::json!({
            "endpoint": null, "types": [], "scopes": [],
            "xaddrs": ["http://198.18.0.61/onvif/device_service"],
            "profiles": [{"token": "p1", "name": null, "encoding": "H264", "width": 1920,
                          "height": 1080, "fps": 25.0, "service": "media",
                          "stream_uri": null, "snapshot_uri": null}]
        }))
        .unwrap(),
    );
    ptz.capabilities.ptz = Some(model::capabilities::Ptz {
        nodes: 1,
        relative: true,
        ..Default::default()
    });
    record(&db, 1, vec![ptz]);
    let o = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(steps(&o), [("dome".to_string(), "add".to_string())]);
    let doc = yaml(&config);
    let onvif = &doc["cameras"]["dome"]["onvif"];
    assert_eq!(onvif["host"], "198.18.0.61", "{doc}");
    assert!(
        onvif.get("user").is_none() && onvif.get("password").is_none(),
        "{doc}"
    );
    // Frigate's own refusal of "" on a key that is not there, kept by the fake.
    let (code, _) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--data",
        r#"{"requires_restart": 0, "config_data": {"cameras": {"dome": {"onvif": {"user": ""}}}}}"#,
        &format!("{url}/api/config/set"),
    ]);
    assert_eq!(code, 500);
    // A second push sends nothing.
    let again = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(steps(&again), [("dome".to_string(), "keep".to_string())]);
}

/// The password of the first URL in `text` (its userinfo percent-decoded), as a tool's URL parser
/// reads it.
/// Every step of the push's JSON plan is `action`.
fn all_steps(o: &Output, action: &str) {
    let s = steps(o);
    assert!(s.iter().all(|(_, a)| a == action), "{s:?}");
}

fn url_password(text: &str) -> String {
    let url = text
        .split('"')
        .find(|s| s.contains("://"))
        .unwrap_or(text)
        .trim_start_matches("ffmpeg:");
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    model::percent_decode(u.password().unwrap_or(""))
}

/// A PTZ camera (ONVIF device service answered, one profile) with a login.
fn ptz_camera(mac: &str, ip: &str, name: &str) -> Device {
    let mut d = camera(mac, ip, name, true);
    d.onvif = Some(
        serde_json::from_value(serde_json::json!({
            "endpoint": null, "types": [], "scopes": [],
            "xaddrs": [format!("http://{ip}/onvif/device_service")],
            "profiles": [{"token": "p1", "name": null, "encoding": "H264", "width": 1920,
                          "height": 1080, "fps": 25.0, "service": "media",
                          "stream_uri": null, "snapshot_uri": null}]
        }))
        .unwrap(),
    );
    d.capabilities.ptz = Some(model::capabilities::Ptz {
        nodes: 1,
        relative: true,
        ..Default::default()
    });
    d
}

/// A password with every character special to a URL, to YAML or to Python's `str.format`
/// reaches each tool as the camera's own: in Frigate's input path (percent-encoded) and its
/// `onvif.password`, an `EnvString` that Frigate formats with `str.format` (braces doubled: a
/// `{x}` sent as it is was a KeyError, and Frigate refused the camera with 400), in go2rtc's
/// YAML through its query-string `src`, and in MediaMTX's JSON `source`. A second push keeps.
#[test]
fn a_password_with_url_yaml_and_format_characters_reaches_each_tool_whole() {
    const ODD: &str = "p@ss: w/r#d%?&\"{x}+y'}{";
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    record_as(
        &db,
        1,
        vec![ptz_camera("02:00:00:00:00:63", "198.18.0.63", "Dome")],
        ODD,
    );
    // Frigate.
    let config = dir.path().join("config.yml");
    let (_frigate, url) = common::empty_frigate("127.0.60.25", &config);
    let o = push_as(&db, &["frigate", &url, "-f", "json"], ODD);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    assert_eq!(steps(&o), [("dome".to_string(), "add".to_string())]);
    let doc = yaml(&config);
    let cam = &doc["cameras"]["dome"];
    for input in cam["ffmpeg"]["inputs"].as_array().unwrap() {
        assert_eq!(url_password(input["path"].as_str().unwrap()), ODD, "{doc}");
    }
    assert_eq!(cam["onvif"]["user"], "admin", "{doc}");
    // What Frigate's str.format makes of it is the password.
    assert_eq!(
        cam["onvif"]["password"],
        ODD.replace('{', "{{").replace('}', "}}"),
        "{doc}"
    );
    let again = push_as(&db, &["frigate", &url, "-f", "json"], ODD);
    assert_eq!(steps(&again), [("dome".to_string(), "keep".to_string())]);

    // go2rtc.
    let g2config = dir.path().join("go2rtc.yaml");
    std::fs::write(&g2config, "streams:\n").unwrap();
    let ip = "127.0.60.26";
    let port = common::free_port(ip).to_string();
    let _go2rtc = fake(
        "go2rtc",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            g2config.to_str().unwrap(),
        ],
    );
    let url = format!("http://{ip}:{port}");
    let o = push_as(&db, &["go2rtc", &url, "-f", "json"], ODD);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    let doc = yaml(&g2config);
    for name in ["dome", "dome_sub"] {
        let sources = doc["streams"][name]
            .as_array()
            .unwrap_or_else(|| panic!("{doc}"));
        for src in sources {
            let src = src.as_str().unwrap();
            assert_eq!(url_password(src), ODD, "{src}");
        }
    }
    let again = push_as(&db, &["go2rtc", &url, "-f", "json"], ODD);
    all_steps(&again, "keep");

    // MediaMTX.
    let ip = "127.0.60.27";
    let port = common::free_port(ip).to_string();
    let _mediamtx = fake("mediamtx", &[], &["--bind", ip, "--port", &port]);
    let url = format!("http://{ip}:{port}");
    let o = push_as(&db, &["mediamtx", &url, "-f", "json"], ODD);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    let (_, body) = curl(&[&format!("{url}/v3/config/paths/list")]);
    let list: Value = serde_json::from_str(&body).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    for item in items {
        assert_eq!(
            url_password(item["source"].as_str().unwrap()),
            ODD,
            "{item}"
        );
    }
    let again = push_as(&db, &["mediamtx", &url, "-f", "json"], ODD);
    all_steps(&again, "keep");
}

/// MediaMTX's path patch keeps every field it is not given (`copyStructFields` skips a nil
/// pointer: `null` and a field left out both mean "as it was", never the default). A camera
/// first pushed with `rtspTransport: udp` (its PLAY check needed UDP) and updated when its
/// stream's transport is no longer known (moved, pushed with --push-unverified) must not keep
/// `udp`: camscan sends the default, `automatic`, and the path reads back so.
#[test]
fn a_mediamtx_update_sets_the_transport_camscan_means() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let ip = "127.0.60.28";
    let port = common::free_port(ip).to_string();
    let _tool = fake("mediamtx", &[], &["--bind", ip, "--port", &port]);
    let url = format!("http://{ip}:{port}");
    let mut cam = camera("02:00:00:00:00:64", "198.18.0.64", "Yard", true);
    for s in &mut cam.streams {
        s.measured = Some(
            serde_json::from_value(serde_json::json!({
                "transport": "udp", "packets": 100, "bytes": 100000, "fps": 25.0,
                "bitrate_kbps": 800.0, "keyframe": true, "duration_ms": 2000
            }))
            .unwrap(),
        );
    }
    record(&db, 1, vec![cam]);
    let o = push(&db, &["mediamtx", &url, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let read = || -> Value {
        let (_, body) = curl(&[&format!("{url}/v3/config/paths/list")]);
        serde_json::from_str(&body).unwrap()
    };
    let list = read();
    assert_eq!(list["items"][0]["rtspTransport"], "udp", "{list}");
    // The camera moved; its new stream was not measured.
    record(
        &db,
        2,
        vec![camera("02:00:00:00:00:64", "198.18.0.65", "Yard", true)],
    );
    let o = push(&db, &["mediamtx", &url, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    all_steps(&o, "update");
    let list = read();
    for item in list["items"].as_array().unwrap() {
        assert!(
            item["source"].as_str().unwrap().contains("198.18.0.65"),
            "{item}"
        );
        assert_eq!(item["rtspTransport"], "automatic", "{item}");
    }
    // And a second push keeps.
    let again = push(&db, &["mediamtx", &url, "-f", "json"]);
    all_steps(&again, "keep");
}

/// The fake go2rtc and MediaMTX keep their tools' rules on the values a push could send: go2rtc
/// answers 400 and keeps its file when the spliced YAML does not parse (a person's compact list
/// under the key is left behind by the splice), and refuses insecure or spaced sources; MediaMTX's
/// patch keeps a field given `null` or left out, an add takes `null` as the default, and a bad
/// transport, a user name without a password, and `sourceOnDemand` on a publisher are 400s.
#[test]
fn the_fake_go2rtc_and_mediamtx_keep_their_tools_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("go2rtc.yaml");
    let persons = "streams:\n  cam:\n  - rtsp://10.1.1.5/a\n  - rtsp://10.1.1.5/b\n";
    std::fs::write(&config, persons).unwrap();
    let ip = "127.0.60.29";
    let port = common::free_port(ip).to_string();
    let _go2rtc = fake(
        "go2rtc",
        &[],
        &[
            "--bind",
            ip,
            "--port",
            &port,
            "--config",
            config.to_str().unwrap(),
        ],
    );
    let api = format!("http://{ip}:{port}/api/streams");
    let put = |query: &str| curl(&["-X", "PUT", &format!("{api}?{query}")]).0;
    assert_eq!(put("name=cam&src=rtsp://10.1.1.6/x"), 400);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), persons);
    assert_eq!(put("name=x&src=exec:ffmpeg"), 400);
    assert_eq!(put("name=x&src=rtsp://10.1.1.6/a%20b"), 400);
    assert_eq!(put("name=new&src=rtsp://10.1.1.6/x"), 200);
    assert_eq!(yaml(&config)["streams"]["new"][0], "rtsp://10.1.1.6/x");

    let ip = "127.0.60.30";
    let port = common::free_port(ip).to_string();
    let _mediamtx = fake("mediamtx", &[], &["--bind", ip, "--port", &port]);
    let base = format!("http://{ip}:{port}/v3/config/paths");
    let send = |method: &str, path: &str, body: &str| {
        curl(&[
            "-X",
            method,
            "-H",
            "Content-Type: application/json",
            "--data",
            body,
            &format!("{base}/{path}"),
        ])
        .0
    };
    let get = |name: &str| -> Value {
        serde_json::from_str(&curl(&[&format!("{base}/get/{name}")]).1).unwrap()
    };
    let src = r#""source": "rtsp://10.1.1.6/x", "sourceOnDemand": true"#;
    assert_eq!(
        send(
            "POST",
            "add/a",
            &format!(r#"{{{src}, "rtspTransport": "udp"}}"#)
        ),
        200
    );
    assert_eq!(send("PATCH", "patch/a", r#"{"rtspTransport": null}"#), 200);
    assert_eq!(get("a")["rtspTransport"], "udp");
    assert_eq!(
        send("PATCH", "patch/a", r#"{"source": "rtsp://10.1.1.7/x"}"#),
        200
    );
    assert_eq!(get("a")["rtspTransport"], "udp");
    assert_eq!(
        send("PATCH", "patch/a", r#"{"rtspTransport": "automatic"}"#),
        200
    );
    assert_eq!(get("a")["rtspTransport"], "automatic");
    assert_eq!(
        send(
            "POST",
            "add/b",
            &format!(r#"{{{src}, "rtspTransport": null}}"#)
        ),
        200
    );
    assert_eq!(get("b")["rtspTransport"], "automatic");
    assert_eq!(
        send(
            "POST",
            "add/c",
            &format!(r#"{{{src}, "rtspTransport": "x"}}"#)
        ),
        400
    );
    let no_pass = r#"{"source": "rtsp://admin@10.1.1.6/x", "sourceOnDemand": true}"#;
    assert_eq!(send("POST", "add/c", no_pass), 400);
    assert_eq!(send("POST", "add/c", r#"{"sourceOnDemand": true}"#), 400);
    assert_eq!(
        send(
            "PATCH",
            "patch/a",
            r#"{"source": "rtsp://admin@10.1.1.6/x"}"#
        ),
        400
    );
    assert_eq!(get("a")["source"], "rtsp://10.1.1.7/x");
}

/// Issue 82: a replaced camera is a new entry, never the old one's. The dead camera's device was
/// the newest (SQLite gave its id to the next new device, and the ledger, which names cameras by
/// id, took the replacement for it: "porch update moved"); `forget` says what it leaves in the
/// tool, the replacement is added under a name of its own, and the old entry keeps its camera
/// (Frigate keeps its recordings under it) until `--prune` removes it.
#[test]
fn a_replaced_camera_is_a_new_entry_never_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    let (_tool, url) = common::empty_frigate("127.0.60.22", &config);
    let drive = || camera("02:00:00:00:00:41", "198.18.0.41", "Drive", true);
    record(
        &db,
        1,
        vec![
            drive(),
            camera("02:00:00:00:00:42", "198.18.0.42", "Porch", true),
        ],
    );
    assert_eq!(push(&db, &["frigate", &url]).status.code(), Some(0));
    let input = |doc: &Value, name: &str| {
        doc["cameras"][name]["ffmpeg"]["inputs"][0]["path"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(input(&yaml(&config), "porch").contains("198.18.0.42"));

    let forget = common::run(
        common::camscan_with_db(&db).args(["forget", "02:00:00:00:00:42"]),
        LIMIT,
    );
    let said = common::stdout(&forget);
    assert_eq!(forget.status.code(), Some(0), "{}", common::stderr(&forget));
    assert!(
        said.contains(&format!("Left in frigate at {url}: porch"))
            && said.contains(&format!("camscan push frigate {url} --prune")),
        "{said}"
    );
    // The replacement: another MAC, another address.
    record(
        &db,
        2,
        vec![
            drive(),
            camera("02:00:00:00:00:43", "198.18.0.43", "Porch", true),
        ],
    );
    let o = push(&db, &["frigate", &url, "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let mut got = steps(&o);
    got.sort();
    assert_eq!(
        got,
        [
            ("drive".to_string(), "keep".to_string()),
            ("porch".to_string(), "leave".to_string()),
            ("porch_2".to_string(), "add".to_string()),
        ]
    );
    let doc = yaml(&config);
    assert!(input(&doc, "porch").contains("198.18.0.42"), "{doc}");
    assert!(input(&doc, "porch_2").contains("198.18.0.43"), "{doc}");
    // Its old entry goes with --prune, the new one stays.
    let o = push(&db, &["frigate", &url, "--prune", "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let doc = yaml(&config);
    assert!(doc["cameras"].get("porch").is_none(), "{doc}");
    assert!(input(&doc, "porch_2").contains("198.18.0.43"), "{doc}");
}
