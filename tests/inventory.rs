//! The inventory end to end on real servers: GStreamer RTSP cameras (`tests/servers/rtsp_server.py`,
//! one process per camera so each can be stopped and restarted) on 127.0.0.131-134, port 8554,
//! scanned into a real SQLite file by the real binary. The lab then changes as a site does (a
//! camera unplugged, one reconfigured to another resolution, a new one installed), a scan is
//! interrupted by Ctrl-C, and the scan after it must derive exactly the events that say so; `diff`,
//! `devices`, `show`, `history`, `scans`, `forget` and `prune` read it back.
//!
//! A host moving to another address with its MAC cannot happen on loopback (no MACs): the store's
//! unit tests cover that merge rule.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{Server, camscan_with_db, run, stderr, stdout};
use serde_json::{Value, json};

const TARGETS: &str = "127.0.0.131-139";
const LIMIT: Duration = Duration::from_secs(90);

/// One camera: a GStreamer RTSP server on `ip`:8554 with one H.264 stream of `w`x`h`.
fn camera(ip: &str, w: u32, h: u32) -> Server {
    common::rtsp_servers(&json!([
        {"address": ip, "port": 8554, "auth": null, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": w, "height": h, "fps": 15, "profile": "main"},
             "audio": null}]}
    ]))
}

fn url(ip: &str) -> String {
    format!("rtsp://{ip}:8554/Streaming/Channels/101")
}

fn scan(db: &Path) -> Output {
    run(
        camscan_with_db(db).args(["scan", TARGETS, "-p", "8554", "-f", "json"]),
        LIMIT,
    )
}

/// Run an inventory command; its exit code must be `code`.
fn command(db: &Path, args: &[&str], code: i32) -> String {
    let out = run(camscan_with_db(db).args(args), LIMIT);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn json_of(db: &Path, args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.extend(["-f", "json"]);
    let text = command(db, &all, code);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// Each device's (address, state) by address.
fn states(db: &Path) -> Vec<(String, String, String)> {
    let list = json_of(db, &["devices"], 0);
    let mut v: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["address"].as_str().unwrap().to_string(),
                d["state"].as_str().unwrap().to_string(),
                d["state_since"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Events as (kind, address of the device, stream) sorted, for exact comparison.
fn events_of(events: &Value, devices: &Value) -> Vec<(String, String, String)> {
    let address = |id: &Value| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| &d["id"] == id)
            .map(|d| d["address"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut v: Vec<(String, String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                address(&e["device_id"]),
                e["stream_url"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// A listener on `ip`:8554 that accepts and never answers, until dropped: it keeps a scan busy
/// (detection waits on it) so that the scan can be interrupted mid-way.
struct Tarpit {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Tarpit {
    fn on(ip: &str) -> Tarpit {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind((ip, 8554)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                if let Ok((s, _)) = listener.accept() {
                    held.push(s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Tarpit {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Tarpit {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn the_inventory_follows_a_changing_lab() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let cam131 = camera("127.0.0.131", 640, 360);
    let cam132 = camera("127.0.0.132", 640, 360);
    let cam133 = camera("127.0.0.133", 1280, 720);

    // 1. The first scan: three new cameras; nothing to compare with, so no summary line.
    let out = scan(&db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("Since scan"),
        "no earlier scan: {}",
        stderr(&out)
    );
    let report: Value = serde_json::from_str(&stdout(&out)).expect("results on stdout");
    assert_eq!(report["devices"].as_array().unwrap().len(), 3);
    let first = states(&db);
    assert_eq!(
        first
            .iter()
            .map(|(a, s, _)| (a.as_str(), s.as_str()))
            .collect::<Vec<_>>(),
        [
            ("127.0.0.131", "online"),
            ("127.0.0.132", "online"),
            ("127.0.0.133", "online")
        ]
    );
    let devices = json_of(&db, &["devices"], 0);
    let events = json_of(&db, &["history"], 0);
    let mut expect = Vec::new();
    for ip in ["127.0.0.131", "127.0.0.132", "127.0.0.133"] {
        expect.push(("device_new", ip, ""));
        expect.push(("stream_new", ip, url(ip).leak() as &str));
    }
    assert_eq!(events_of(&events, &devices), owned(&expect));

    // 2. The site changes: 132 unplugged, 133 reconfigured to 640x360, 134 installed.
    drop(cam132);
    drop(cam133);
    let _cam133 = camera("127.0.0.133", 640, 360);
    let _cam134 = camera("127.0.0.134", 1280, 720);

    // 3. A scan interrupted by Ctrl-C changes no state: it ran long enough to find the cameras
    // (and to miss 132), but a silent peer on 139 kept it from finishing, so it may not judge.
    let tarpit = Tarpit::on("127.0.0.139");
    let history_before = json_of(&db, &["history"], 0);
    let mut child = camscan_with_db(&db)
        .args(["scan", TARGETS, "-p", "8554", "-f", "ndjson"])
        .args(["--timeout", "60s", "--detect-timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap());
    let mut final_devices = Vec::new();
    for line in lines.lines() {
        let d: Value = serde_json::from_str(&line.unwrap()).unwrap();
        final_devices.push(d["ip"].as_str().unwrap().to_string());
        if final_devices.len() == 3 {
            break;
        }
    }
    final_devices.sort();
    assert_eq!(final_devices, ["127.0.0.131", "127.0.0.133", "127.0.0.134"]);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "camscan ignored SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Since scan"), "{}", stderr(&out));
    assert_eq!(states(&db), first, "an interrupted scan changes no state");
    assert_eq!(
        json_of(&db, &["history"], 0),
        history_before,
        "and derives no event"
    );
    let scans = json_of(&db, &["scans"], 0);
    assert_eq!(
        scans[0]["complete"], false,
        "recorded as interrupted: {scans}"
    );
    drop(tarpit);

    // 4. The next complete scan sees the changes.
    let out = scan(&db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scans = json_of(&db, &["scans"], 0);
    let (a, b) = (
        scans[2]["id"].as_i64().unwrap(),
        scans[0]["id"].as_i64().unwrap(),
    );
    assert_eq!(
        stderr(&out).trim_end().lines().last().unwrap_or(""),
        format!(
            "Since scan {a} ({}) of the same targets: 1 new, 1 gone, 1 changed device(s) (camscan diff {a} {b})",
            short(scans[2]["started_at"].as_str().unwrap())
        )
    );
    let now = states(&db);
    let st: Vec<(&str, &str)> = now
        .iter()
        .map(|(a, s, _)| (a.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        st,
        [
            ("127.0.0.131", "online"),
            ("127.0.0.132", "offline"),
            ("127.0.0.133", "online"),
            ("127.0.0.134", "online")
        ]
    );
    assert_eq!(now[0], first[0], "131 online since the first scan");
    assert_ne!(now[1].2, first[1].2, "132 offline since this scan");
    let devices = json_of(&db, &["devices"], 0);
    let since_b = json_of(&db, &["history", "--since", "1h"], 0);
    let newest: Vec<Value> = since_b
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["scan_id"].as_i64() == Some(b))
        .cloned()
        .collect();
    let u132 = url("127.0.0.132");
    let u133 = url("127.0.0.133");
    let u134 = url("127.0.0.134");
    assert_eq!(
        events_of(&Value::Array(newest), &devices),
        owned(&[
            ("device_new", "127.0.0.134", ""),
            ("device_offline", "127.0.0.132", ""),
            ("stream_changed", "127.0.0.133", &u133),
            ("stream_down", "127.0.0.132", &u132),
            ("stream_new", "127.0.0.134", &u134),
        ])
    );

    // 5. diff: the last two complete scans by default, as ndiff prints them; exit 1 = changed.
    let text = command(&db, &["diff"], 1);
    let body: Vec<&str> = text.lines().skip(2).collect();
    assert!(text.starts_with(&format!("-scan {a} ")), "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("+scan {b} ")),
        "{text}"
    );
    assert_eq!(
        body,
        [
            "",
            "+127.0.0.134 (device 4, ip:127.0.0.134):",
            "+  port 8554",
            &format!("+  stream {u134}"),
            "",
            "-127.0.0.132 (device 2, ip:127.0.0.132):",
            "-  port 8554",
            &format!("-  stream {u132}"),
            "",
            " 127.0.0.133 (device 3, ip:127.0.0.133):",
            &format!("-  stream {u133}: h264 1280x720 15fps main"),
            &format!("+  stream {u133}: h264 640x360 15fps main"),
        ],
        "{text}"
    );
    let diff = json_of(&db, &["diff", &a.to_string(), &b.to_string()], 1);
    assert_eq!(diff["added"][0]["address"], "127.0.0.134");
    assert_eq!(diff["removed"][0]["address"], "127.0.0.132");
    assert_eq!(diff["changed"][0]["address"], "127.0.0.133");
    // A scan against itself: nothing changed, exit 0.
    command(&db, &["diff", &b.to_string(), &b.to_string()], 0);

    // 6. The other commands on this inventory.
    let offline = json_of(&db, &["devices", "--state", "offline"], 0);
    assert_eq!(offline.as_array().unwrap().len(), 1);
    assert_eq!(offline[0]["address"], "127.0.0.132");
    assert_eq!(offline[0]["streams_up"], 0);
    json_of(&db, &["devices", "--vendor", "no such vendor"], 1);
    let table = command(&db, &["devices"], 0);
    assert!(table.contains("4 device(s), 3 online"), "{table}");
    let csv = command(&db, &["devices", "-f", "csv"], 0);
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(
        csv.starts_with("id,state,state_since,address,mac,"),
        "{csv}"
    );
    let ndjson = command(&db, &["devices", "-f", "ndjson"], 0);
    assert_eq!(ndjson.lines().count(), 4);
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&command(&db, &["devices", "-f", "yaml"], 0)).unwrap();
    assert_eq!(yaml.as_sequence().unwrap().len(), 4);

    let shown = json_of(&db, &["show", "127.0.0.133"], 0);
    assert_eq!(shown["streams"][0]["video"]["width"], 640);
    assert_eq!(shown["streams"][0]["state"], "up");
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["stream_changed", "stream_new", "device_new"],
        "newest first"
    );
    let text = command(&db, &["show", "127.0.0.133"], 0);
    assert!(text.contains("h264 640x360 15fps main"), "{text}");
    command(&db, &["show", "127.0.0.199"], 1);

    let history = json_of(&db, &["history", "127.0.0.132"], 0);
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds[0] == "device_offline" || kinds[0] == "stream_down",
        "{kinds:?}"
    );
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    command(&db, &["history", "127.0.0.199"], 1);

    let scans = command(&db, &["scans"], 0);
    assert!(
        scans.contains("interrupted") && scans.contains("complete"),
        "{scans}"
    );

    // forget, then prune.
    command(&db, &["forget", "127.0.0.132"], 0);
    command(&db, &["forget", "127.0.0.132"], 1);
    assert_eq!(json_of(&db, &["devices"], 0).as_array().unwrap().len(), 3);
    let pruned = command(&db, &["prune", "--older-than", "90d"], 0);
    assert!(pruned.starts_with("Removed 0 scan(s)"), "{pruned}");
    assert_eq!(json_of(&db, &["scans"], 0).as_array().unwrap().len(), 3);
    let out = run(
        camscan_with_db(&db).args(["prune", "--older-than", "soon"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("older_than"), "{}", stderr(&out));
    drop(cam131);
}

fn short(rfc3339: &str) -> String {
    let t: jiff::Timestamp = rfc3339.parse().unwrap();
    t.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}
