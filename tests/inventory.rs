//! The inventory end to end on real servers: GStreamer RTSP cameras (`tests/servers/rtsp_server.py`,
//! one process per camera so each can be stopped and restarted) on 127.0.0.131-136, port 8554, and
//! a silent peer of ours (on 135 or 139) that keeps a scan busy until it is interrupted,
//! scanned into a real SQLite file by the real binary. The lab then changes as a site does (a
//! camera unplugged, one reconfigured to another resolution, a new one installed), a scan is
//! interrupted by Ctrl-C, and the scan after it must derive exactly the events that say so; `diff`,
//! `devices`, `show`, `history`, `scans`, `forget` and `prune` read it back.
//!
//! A host moving to another address with its MAC cannot happen on loopback (no MACs): the namespace
//! lab does it (`tests/lab_discovery.rs`, `a_host_that_changes_address_keeps_its_identity_by_mac`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::samples::Varies;
use common::{Server, camscan_with_db, run, stderr, stdout};
use serde_json::{Value, json};

const TARGETS: &str = "127.0.0.131-135";
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

fn scan_with(db: &Path, extra: &[&str]) -> Output {
    run(
        camscan_with_db(db)
            .args(["scan", TARGETS, "-p", "8554", "-f", "json"])
            .args(extra),
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

/// Start a scan of `targets` (NDJSON), wait until the devices `final_ips` are final (written) while
/// a silent peer keeps the scan busy, then Ctrl-C it: exit 130.
fn interrupted_scan(db: &Path, targets: &str, final_ips: &[&str]) -> Output {
    let mut child = camscan_with_db(db)
        .args(["scan", targets, "-p", "8554", "-f", "ndjson"])
        .args(["--timeout", "60s", "--detect-timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Lines are read on a thread for as long as camscan writes them (a reader that went away
    // would stop the scan by itself).
    let stdout_pipe = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    while seen.len() < final_ips.len() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the cameras become final while the silent peer is still waited on");
        let d: Value = serde_json::from_str(&line).unwrap();
        seen.push(d["ip"].as_str().unwrap().to_string());
    }
    seen.sort();
    assert_eq!(seen, final_ips);
    assert!(child.try_wait().unwrap().is_none(), "still scanning");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("camscan ignored SIGINT: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Since scan"), "{}", stderr(&out));
    // The warning counts what is written: every line, those before the signal and after.
    let written = seen.len() + rx.iter().count();
    assert!(
        stderr(&out).contains(&format!("writing the {written} device(s) found so far")),
        "{written} written: {}",
        stderr(&out)
    );
    out
}

/// The events newer than `before` (a `history -f json` array taken earlier), sorted; and the
/// older ones must be `before` itself (history is never rewritten).
fn new_events(db: &Path, before: &Value) -> Vec<(String, String, String)> {
    let devices = json_of(db, &["devices"], 0);
    let history = json_of(db, &["history"], 0);
    let (all, old) = (history.as_array().unwrap(), before.as_array().unwrap());
    let newest = &all[..all.len() - old.len()];
    assert_eq!(all[newest.len()..], old[..], "history is never rewritten");
    events_of(&Value::Array(newest.to_vec()), &devices)
}

fn addr_states(s: &[(String, String, String)]) -> Vec<(&str, &str)> {
    s.iter().map(|(a, s, _)| (a.as_str(), s.as_str())).collect()
}

#[test]
fn the_inventory_follows_a_changing_lab() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let cam131 = camera("127.0.0.131", 640, 360);
    let cam132 = camera("127.0.0.132", 640, 360);
    let cam133 = camera("127.0.0.133", 1280, 720);

    // 1. The first scan: three new cameras; nothing to compare with, so no summary line, and
    // nothing known to try first.
    let out = scan_with(&db, &["--log", "info"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("known paths all serve media"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("Since scan"),
        "no earlier scan: {}",
        stderr(&out)
    );
    let report: Value = serde_json::from_str(&stdout(&out)).expect("results on stdout");
    assert_eq!(report["devices"].as_array().unwrap().len(), 3);
    let first = states(&db);
    assert_eq!(
        addr_states(&first),
        [
            ("127.0.0.131", "online"),
            ("127.0.0.132", "online"),
            ("127.0.0.133", "online")
        ]
    );
    // A new device's streams come with it: no stream_new of their own.
    assert_eq!(
        new_events(&db, &json!([])),
        owned(&[
            ("device_new", "127.0.0.131", ""),
            ("device_new", "127.0.0.132", ""),
            ("device_new", "127.0.0.133", "")
        ])
    );
    let history1 = json_of(&db, &["history"], 0);

    // 2. The site changes: 132 unplugged, 133 reconfigured to 640x360, 134 installed.
    drop(cam132);
    drop(cam133);
    let _cam133 = camera("127.0.0.133", 640, 360);
    let _cam134 = camera("127.0.0.134", 1280, 720);

    // 3. The next scan sees exactly that, and says so in one line at the end. It tried first
    // what worked last time (the store's known paths): the unchanged 131 needed nothing else.
    let out = scan_with(&db, &["--log", "info"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).lines().any(
            |l| l.contains("known paths all serve media: device unchanged")
                && l.contains("127.0.0.131:8554")
        ),
        "{}",
        stderr(&out)
    );
    let scans = json_of(&db, &["scans"], 0);
    let (a, b) = (
        scans[1]["id"].as_i64().unwrap(),
        scans[0]["id"].as_i64().unwrap(),
    );
    assert_eq!(
        stderr(&out).trim_end().lines().last().unwrap_or(""),
        format!(
            "Since scan {a} ({}) of the same targets: 1 new, 1 gone, 1 changed device(s) (camscan diff {a} {b})",
            short(scans[1]["started_at"].as_str().unwrap())
        )
    );
    let second = states(&db);
    assert_eq!(
        addr_states(&second),
        [
            ("127.0.0.131", "online"),
            ("127.0.0.132", "offline"),
            ("127.0.0.133", "online"),
            ("127.0.0.134", "online")
        ]
    );
    assert_eq!(second[0], first[0], "131 online since the first scan");
    assert_ne!(second[1].2, first[1].2, "132 offline since this scan");
    let u132 = url("127.0.0.132");
    let u133 = url("127.0.0.133");
    let u134 = url("127.0.0.134");
    assert_eq!(
        new_events(&db, &history1),
        owned(&[
            ("device_new", "127.0.0.134", ""),
            ("device_offline", "127.0.0.132", ""),
            ("stream_changed", "127.0.0.133", &u133),
        ])
    );
    let history2 = json_of(&db, &["history"], 0);

    // 4. diff: the last two complete scans by default, as ndiff prints them; exit 1 = changed.
    // Ids are given as devices become final (in the order their analyses end).
    let devices = json_of(&db, &["devices"], 0);
    let id_of = |ip: &str| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["address"] == ip)
            .map(|d| d["id"].as_i64().unwrap())
            .unwrap()
    };
    let diff_text = command(&db, &["diff"], 1);
    let lines: Vec<&str> = diff_text.lines().collect();
    assert!(lines[0].starts_with(&format!("-scan {a} ")), "{diff_text}");
    assert!(lines[1].starts_with(&format!("+scan {b} ")), "{diff_text}");
    assert_eq!(
        lines[2..],
        [
            "",
            &format!(
                "+127.0.0.134 (device {}, ip:127.0.0.134):",
                id_of("127.0.0.134")
            ),
            "+  port 8554",
            &format!("+  stream {u134}"),
            "",
            &format!(
                "-127.0.0.132 (device {}, ip:127.0.0.132):",
                id_of("127.0.0.132")
            ),
            "-  port 8554",
            &format!("-  stream {u132}"),
            "",
            &format!(
                " 127.0.0.133 (device {}, ip:127.0.0.133):",
                id_of("127.0.0.133")
            ),
            // The store's words for a stream: status, codec, size, fps, audio (`-`: none).
            &format!("-  stream {u133}: ok h264 1280x720 15 -"),
            &format!("+  stream {u133}: ok h264 640x360 15 -"),
        ],
        "{diff_text}"
    );
    // docs/guide/inventory.md's sample of `camscan diff` is this one.
    common::samples::console_sample(
        "docs/guide/inventory.md",
        "diff",
        "tests/inventory.rs, its lab after a site's changes",
        "camscan diff",
        &diff_text,
        &[Varies::TIMESTAMP, Varies::DEVICE_ID],
    );
    let diff = json_of(&db, &["diff", &a.to_string(), &b.to_string()], 1);
    assert_eq!(diff["added"][0]["address"], "127.0.0.134");
    assert_eq!(diff["removed"][0]["address"], "127.0.0.132");
    assert_eq!(diff["changed"][0]["address"], "127.0.0.133");
    // A scan against itself: nothing changed, exit 0.
    command(&db, &["diff", &b.to_string(), &b.to_string()], 0);

    // 5. Ctrl-C during the next scan changes no state. 131 is unplugged too, and the scan runs
    // long enough to find the cameras and to miss 131, but a silent peer on 135 keeps it from
    // finishing, so it may not judge: 131 stays online. What it saw is recorded (a sighting is
    // a fact: the silent 135 is new).
    drop(cam131);
    let tarpit = Tarpit::on("127.0.0.135");
    interrupted_scan(&db, TARGETS, &["127.0.0.133", "127.0.0.134"]);
    drop(tarpit);
    let third = states(&db);
    assert_eq!(
        third[..4],
        second[..],
        "an interrupted scan changes no state"
    );
    assert_eq!(addr_states(&third[4..]), [("127.0.0.135", "online")]);
    assert_eq!(
        new_events(&db, &history2),
        owned(&[("device_new", "127.0.0.135", "")]),
        "the interrupted scan derives nothing negative"
    );
    let scans = json_of(&db, &["scans"], 0);
    assert_eq!(
        scans[0]["complete"], false,
        "recorded as interrupted: {scans}"
    );
    assert_eq!(
        command(&db, &["diff"], 1),
        diff_text,
        "diff compares complete scans only"
    );

    // 6. The other commands on this inventory.
    let offline = json_of(&db, &["devices", "--state", "offline"], 0);
    assert_eq!(offline.as_array().unwrap().len(), 1);
    assert_eq!(offline[0]["address"], "127.0.0.132");
    assert_eq!(offline[0]["streams_up"], 0);
    json_of(&db, &["devices", "--vendor", "no such vendor"], 1);
    // Cameras only: the silent peer (a port open, nothing spoken) is no camera.
    let all = json_of(&db, &["devices"], 0);
    let cameras = json_of(&db, &["devices", "--cameras"], 0);
    let addresses = |v: &Value, camera: Option<bool>| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|d| camera.is_none_or(|c| d["is_camera"] == c))
            .map(|d| d["address"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        addresses(&cameras, None),
        addresses(&all, Some(true)),
        "{cameras}"
    );
    assert!(
        !addresses(&all, Some(false)).is_empty(),
        "a device that is no camera: {all}"
    );
    assert!(addresses(&cameras, None).contains(&"127.0.0.133".to_string()));
    let table = command(&db, &["devices"], 0);
    assert!(table.contains("5 device(s), 4 online"), "{table}");
    let csv = command(&db, &["devices", "-f", "csv"], 0);
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(
        csv.starts_with("id,state,state_since,address,mac,"),
        "{csv}"
    );
    let ndjson = command(&db, &["devices", "-f", "ndjson"], 0);
    assert_eq!(ndjson.lines().count(), 5);
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&command(&db, &["devices", "-f", "yaml"], 0)).unwrap();
    assert_eq!(yaml.as_sequence().unwrap().len(), 5);

    let shown = json_of(&db, &["show", "127.0.0.133"], 0);
    assert_eq!(shown["streams"][0]["video"]["width"], 640);
    assert_eq!(shown["streams"][0]["state"], "up");
    assert_eq!(shown["main_stream"], url("127.0.0.133"));
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["stream_changed", "device_new"], "newest first");
    let text = command(&db, &["show", "127.0.0.133"], 0);
    assert!(text.contains("h264 640x360 15fps main"), "{text}");
    assert!(text.contains("stream_changed"), "{text}");
    command(&db, &["show", "127.0.0.199"], 1);

    let history = json_of(&db, &["history", "127.0.0.132"], 0);
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["device_offline", "device_new"], "newest first");
    let recent = json_of(&db, &["history", "--since", "1h"], 0);
    assert_eq!(recent, json_of(&db, &["history"], 0));
    json_of(&db, &["history", "--since", "2000-01-01"], 0);
    command(&db, &["history", "127.0.0.199"], 1);
    let csv = command(&db, &["history", "-f", "csv"], 0);
    assert_eq!(csv.lines().count(), 1 + 7, "{csv}");
    // The device's id is the inventory's (devices are recorded as each becomes final, so in no
    // fixed order): the row names its address.
    assert!(
        csv.lines().any(|l| l.contains(",stream_changed,")
            && l.contains(",127.0.0.133,rtsp://127.0.0.133:8554/")),
        "{csv}"
    );

    let scans = command(&db, &["scans"], 0);
    assert!(
        scans.contains("interrupted") && scans.contains("complete"),
        "{scans}"
    );

    // forget, then prune.
    command(&db, &["forget", "127.0.0.132"], 0);
    command(&db, &["forget", "127.0.0.132"], 1);
    assert_eq!(json_of(&db, &["devices"], 0).as_array().unwrap().len(), 4);
    let pruned = command(&db, &["prune", "--older-than", "90d"], 0);
    assert!(pruned.starts_with("Removed 0 scan(s)"), "{pruned}");
    assert_eq!(json_of(&db, &["scans"], 0).as_array().unwrap().len(), 3);
    let out = run(
        camscan_with_db(&db).args(["prune", "--older-than", "soon"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("older_than"), "{}", stderr(&out));
}

/// A stream that changes while a scan is interrupted: the interrupted scan may not judge the
/// change, so the next complete scan must still report it (`stream_changed`), not find the new
/// facts already stored and say nothing.
#[test]
fn a_change_seen_by_an_interrupted_scan_is_reported_by_the_next_complete_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let targets = "127.0.0.136-139";
    let cam = camera("127.0.0.136", 1280, 720);
    let out = run(
        camscan_with_db(&db).args(["scan", targets, "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = json_of(&db, &["history"], 0);
    drop(cam);
    let _cam = camera("127.0.0.136", 640, 360);
    let tarpit = Tarpit::on("127.0.0.139");
    interrupted_scan(&db, targets, &["127.0.0.136"]);
    drop(tarpit);
    let out = run(
        camscan_with_db(&db).args(["scan", targets, "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        new_events(&db, &before),
        owned(&[
            ("device_new", "127.0.0.139", ""),
            ("device_offline", "127.0.0.139", ""),
            ("stream_changed", "127.0.0.136", &url("127.0.0.136")),
        ])
    );
}

fn short(rfc3339: &str) -> String {
    let t: jiff::Timestamp = rfc3339.parse().unwrap();
    t.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}
