//! `camscan watch` on the repo's lab: GStreamer's RTSP server as cameras (shared media, as
//! deployments run it), a real SQLite inventory, events read from watch's NDJSON stdout as a
//! consumer would. A camera's server stopped while watch checks streams gives `stream_down`
//! within the checks `--down-after` says; started again, `stream_up`; a camera added gives
//! `device_new` at the next scan; SIGTERM ends it with 143 and a store that opens. Addresses
//! 127.0.0.181-191.

// The time to stream_down goes to stderr (`--nocapture`).
#![allow(clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `camscan watch` whose stdout lines arrive on a channel.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<(String, Value)>,
    seen: Vec<Value>,
    /// The lines as printed, in order.
    printed: Vec<String>,
}

impl Watch {
    fn start(db: &std::path::Path, args: &[&str]) -> Watch {
        let mut child = common::camscan_with_db(db)
            .env("CAMSCAN_LOG", "info")
            .arg("watch")
            // Loopback targets join no multicast group anyway; this says so.
            .arg("--no-listen")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line: {line}: {e}"));
                if tx.send((line, v)).is_err() {
                    return;
                }
            }
        });
        Watch {
            child,
            lines: rx,
            seen: Vec::new(),
            printed: Vec::new(),
        }
    }

    /// Wait (at most `limit`) for an event of `kind` about `ip`; panics with what came instead.
    fn expect(&mut self, kind: &str, ip: &str, limit: Duration) -> Value {
        let until = Instant::now() + limit;
        loop {
            if let Some(v) = self
                .seen
                .iter()
                .find(|v| v["kind"] == kind && v["device"]["ip"] == ip)
            {
                return v.clone();
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.keep(line),
                Err(_) => panic!("no {kind} for {ip} within {limit:?}; got {:#?}", self.seen),
            }
        }
    }

    /// A line watch printed, as printed and as read.
    fn keep(&mut self, (line, v): (String, Value)) {
        self.printed.push(line);
        self.seen.push(v);
    }

    fn kinds_of(&self, ip: &str) -> Vec<String> {
        self.seen
            .iter()
            .filter(|v| v["device"]["ip"] == ip)
            .map(|v| v["kind"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn stop(mut self) -> Option<i32> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(15);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("watch ignored SIGTERM");
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const METRICS: &str = "127.0.0.187:9750";

/// GET /metrics of the watch (classic text format).
fn metrics() -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(METRICS).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    c.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    body
}

#[test]
fn a_stopped_camera_goes_down_and_up_and_a_new_one_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let cam = common::watch_camera("127.0.0.181");
    let args = [
        "127.0.0.181-127.0.0.182",
        "-p",
        "8554",
        "--every",
        "20s",
        "--check-streams",
        "1s",
        "--down-after",
        "2",
        "--metrics",
        METRICS,
    ];
    let mut w = Watch::start(&db, &args);
    let new = w.expect("device_new", "127.0.0.181", Duration::from_secs(60));
    assert_eq!(new["schema"], 1);
    assert!(new["id"].as_i64().unwrap() > 0);
    assert!(new["scan_id"].as_i64().is_some());

    // The camera's server stops: its port closes. Checks every second, down after two.
    drop(cam);
    let stopped = Instant::now();
    let down = w.expect("stream_down", "127.0.0.181", Duration::from_secs(30));
    let took = stopped.elapsed();
    assert_eq!(down["stream"], "rtsp://127.0.0.181:8554/live");
    assert_eq!(down["detail"]["layer"], "port", "{down:#}");
    assert!(down["scan_id"].is_null());
    eprintln!("stream_down {took:?} after the server stopped");
    // docs/guide/watch.md's sample: what watch printed up to the stream_down.
    common::samples::console_sample(
        "docs/guide/watch.md",
        "watch-stream-down",
        "tests/watch.rs, a camera's server stopped",
        &format!("camscan watch --no-listen {}", args.join(" ")),
        &(w.printed.join("\n") + "\n"),
        &[common::samples::Varies::TIMESTAMP],
    );
    // The metrics say so too (the exposition follows the check that made the event).
    let m = metrics();
    assert!(
        m.lines().any(|l| l.starts_with("camscan_stream_up{")
            && l.contains(r#"url="rtsp://127.0.0.181:8554/live""#)
            && l.ends_with(" 0")),
        "{m}"
    );
    assert!(
        m.contains(r#"camscan_events_total{kind="stream_down"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"camscan_scans_total{complete="true"} 1"#),
        "{m}"
    );
    // Within three checks of a second (and a check's own deadlines when the last one was under way).
    assert!(took < Duration::from_secs(12), "{took:?}");

    // Back: one good check brings it up.
    let _cam = common::watch_camera("127.0.0.181");
    w.expect("stream_up", "127.0.0.181", Duration::from_secs(30));
    let m = metrics();
    assert!(
        m.lines().any(|l| l.starts_with("camscan_stream_up{")
            && l.contains(r#"url="rtsp://127.0.0.181:8554/live""#)
            && l.ends_with(" 1")),
        "{m}"
    );
    assert!(
        m.contains("camscan_stream_fps{"),
        "a good check measures the rate: {m}"
    );

    // A camera installed: the next scan (every 20 s) finds it.
    let _cam2 = common::watch_camera("127.0.0.182");
    w.expect("device_new", "127.0.0.182", Duration::from_secs(60));

    // The unchanged camera made no other event (no false alarm from shared media's 503s).
    let kinds = w.kinds_of("127.0.0.181");
    assert_eq!(
        kinds,
        ["device_new", "stream_down", "stream_up"],
        "{:#?}",
        w.seen
    );
    // Event ids grow: delivery in order.
    let ids: Vec<i64> = w.seen.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "{ids:?}");
    assert_eq!(w.stop(), Some(143));

    // The store opens and agrees.
    let out = common::run(
        common::camscan_with_db(&db).args(["devices", "-f", "json"]),
        Duration::from_secs(30),
    );
    let devices: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let ips: Vec<&str> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["address"].as_str())
        .collect();
    assert!(
        ips.contains(&"127.0.0.181") && ips.contains(&"127.0.0.182"),
        "{devices:#}"
    );
}

/// Events wait in the store for a sink: a watch stopped before delivering (here: stopped at once)
/// delivers them at its next start, in order, none lost, none repeated once acknowledged.
#[test]
fn events_left_in_the_outbox_are_delivered_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let _cam = common::watch_camera("127.0.0.183");
    // `camscan scan` records events but sends them nowhere; the stdout sink's cursor starts at
    // the newest event when watch first runs, so create it first.
    let mut w = Watch::start(&db, &["127.0.0.184", "-p", "8554", "--rounds", "1"]);
    let _ = w.child.wait();
    // Events derived while no watch runs: a scan of the camera.
    let out = common::run(
        common::camscan_with_db(&db).args(["scan", "127.0.0.183", "-p", "8554", "-f", "json"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    // The next watch delivers them first.
    let mut w = Watch::start(&db, &["127.0.0.184", "-p", "8554", "--rounds", "1"]);
    let new = w.expect("device_new", "127.0.0.183", Duration::from_secs(60));
    assert!(new["scan_id"].as_i64().is_some());
    let status = w.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // And a third run has nothing more for it.
    let mut w = Watch::start(&db, &["127.0.0.184", "-p", "8554", "--rounds", "1"]);
    let _ = w.child.wait();
    while let Ok(line) = w.lines.recv_timeout(Duration::from_millis(500)) {
        w.keep(line);
    }
    assert!(w.kinds_of("127.0.0.183").is_empty(), "{:#?}", w.seen);
}

#[test]
fn watch_needs_the_inventory_and_valid_flags() {
    for (args, what) in [
        (
            vec!["watch", "127.0.0.184", "--no-db"],
            "needs the inventory",
        ),
        (vec!["watch", "127.0.0.184", "--every", "0s"], "--every"),
        (
            vec!["watch", "127.0.0.184", "--cron", "61 * * * *"],
            "--cron",
        ),
        (
            vec!["watch", "127.0.0.184", "--notify", "sms=1"],
            "--notify",
        ),
        (
            vec!["watch", "127.0.0.184", "--check-streams", "x"],
            "--check-streams",
        ),
        (
            vec!["watch", "127.0.0.184", "--write", "nvr=/tmp/x.yaml"],
            "--write",
        ),
        (
            vec!["watch", "127.0.0.184", "--write-then", "true"],
            "--write-then",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = common::run(
            common::camscan_with_db(&dir.path().join("w.db")).args(&args),
            Duration::from_secs(10),
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = common::stderr(&out);
        assert!(err.contains(what), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// SIGHUP re-reads the configuration file: the targets it names now are scanned at once.
/// SIGINT then ends watch with 130, and the inventory opens.
#[test]
fn sighup_reloads_the_config_file_and_sigint_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let config = dir.path().join("config.yaml");
    let _a = common::watch_camera("127.0.0.185");
    let _b = common::watch_camera("127.0.0.186");
    std::fs::write(
        &config,
        "targets: [127.0.0.185]\nports: [8554]\nwatch:\n  every: 1h\n",
    )
    .unwrap();
    let mut w = Watch::start(&db, &["--config", config.to_str().unwrap()]);
    w.expect("device_new", "127.0.0.185", Duration::from_secs(60));
    std::fs::write(
        &config,
        "targets: [127.0.0.186]\nports: [8554]\nwatch:\n  every: 1h\n",
    )
    .unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &w.child.id().to_string()])
        .status();
    w.expect("device_new", "127.0.0.186", Duration::from_secs(60));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &w.child.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Ok(Some(s)) = w.child.try_wait() {
            break s.code();
        }
        assert!(Instant::now() < until, "watch ignored SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(130));
    let out = common::run(
        common::camscan_with_db(&db).args(["scans", "-f", "json"]),
        Duration::from_secs(30),
    );
    let scans: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 2, "{scans:#}");
}

/// The sinks named on the command line get the events: here an `exec` sink appending each notice
/// to a file, beside stdout.
#[test]
fn an_exec_sink_gets_every_event_as_stdout_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let log = dir.path().join("events.ndjson");
    let _cam = common::watch_camera("127.0.0.188");
    let exec = format!(
        "exec=sh -c 'cat >> {}; echo >> {}'",
        log.display(),
        log.display()
    );
    let mut w = Watch::start(
        &db,
        &[
            "127.0.0.188",
            "-p",
            "8554",
            "--rounds",
            "1",
            "--notify",
            "stdout",
            "--notify",
            &exec,
        ],
    );
    w.expect("device_new", "127.0.0.188", Duration::from_secs(60));
    assert_eq!(w.child.wait().unwrap().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let got: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids = |v: &[Value]| {
        v.iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&got), ids(&w.seen), "{text}");
}

/// A camera whose password is changed while watch checks it: one `auth_changed`, one failed login
/// on the camera, and no more checks (so no more failed logins) until the next scan.
#[test]
fn a_changed_password_is_one_auth_changed_and_one_failed_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:secret\n").unwrap();
    let with_password = |password: &str| {
        common::rtsp_servers(&json!([
            {"address": "127.0.0.189", "port": 8554, "shared": true,
             "auth": {"method": "digest", "user": "admin", "password": password}, "mounts": [
                {"path": "/live",
                 "video": {"codec": "h264", "width": 320, "height": 240, "fps": 10}, "audio": null}]}
        ]))
    };
    let cam = with_password("secret");
    let mut w = Watch::start(
        &db,
        &[
            "127.0.0.189",
            "-p",
            "8554",
            "--every",
            "1h",
            "--check-streams",
            "1s",
            "--credentials",
            creds.to_str().unwrap(),
        ],
    );
    w.expect("device_new", "127.0.0.189", Duration::from_secs(60));
    drop(cam);
    let changed = with_password("changed");
    let ev = w.expect("auth_changed", "127.0.0.189", Duration::from_secs(30));
    assert_eq!(ev["detail"]["layer"], "auth", "{ev:#}");
    // Five more check intervals: nothing more is sent to the camera with the refused password.
    std::thread::sleep(Duration::from_secs(5));
    let fails = changed
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("AUTHFAIL"))
        .count();
    assert_eq!(fails, 1, "one failed login");
    while let Ok(line) = w.lines.recv_timeout(Duration::from_millis(200)) {
        w.keep(line);
    }
    assert_eq!(
        w.kinds_of("127.0.0.189"),
        ["device_new", "auth_changed"],
        "{:#?}",
        w.seen
    );
    assert_eq!(w.stop(), Some(143));
}

/// `kill -9` while a slow sink still has events to take: the next start opens the store and
/// delivers what was left, so the sink has every event the inventory holds (at least once).
#[test]
fn after_kill_9_the_next_run_delivers_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let log = dir.path().join("events.ndjson");
    let _a = common::watch_camera("127.0.0.190");
    let _b = common::watch_camera("127.0.0.191");
    // A slow sink: a second per event.
    let exec = format!(
        "exec=sh -c 'sleep 1; cat >> {}; echo >> {}'",
        log.display(),
        log.display()
    );
    let args = [
        "127.0.0.190-127.0.0.191",
        "-p",
        "8554",
        "--every",
        "1h",
        "--notify",
        exec.as_str(),
    ];
    let mut w = Watch::start(&db, &args);
    let until = Instant::now() + Duration::from_secs(60);
    let delivered = |log: &std::path::Path| -> Vec<i64> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    while delivered(&log).is_empty() {
        assert!(Instant::now() < until, "the sink got nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    w.child.kill().unwrap(); // SIGKILL
    let _ = w.child.wait();
    let before = delivered(&log);
    // The inventory's events: more than the sink had when it was killed.
    let history = |db: &std::path::Path| -> Vec<i64> {
        let out = common::run(
            common::camscan_with_db(db).args(["history", "-f", "json"]),
            Duration::from_secs(30),
        );
        let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let all = history(&db);
    assert!(all.len() > before.len(), "{all:?} / {before:?}");
    // Started again: what was left arrives, in order.
    let mut rounds = args.to_vec();
    rounds.extend(["--rounds", "1"]);
    let mut w = Watch::start(&db, &rounds);
    assert_eq!(w.child.wait().unwrap().code(), Some(0));
    let after = delivered(&log);
    let all = history(&db);
    for id in &all {
        assert!(
            after.contains(id),
            "event {id} lost: sink {after:?}, store {all:?}"
        );
    }
    let mut sorted = after.clone();
    sorted.dedup();
    assert!(
        sorted.windows(2).all(|p| p[0] < p[1]),
        "in order: {after:?}"
    );
}

/// The systemd units the Debian package ships (packaging/deb/: the watch, which is also a fleet's
/// agent, and serve, also the fleet's hub) are ones systemd accepts (`systemd-analyze verify`,
/// with the unit's binary path pointed at this build).
#[test]
fn the_systemd_units_verify() {
    for name in ["camscan-watch.service", "camscan-serve.service"] {
        let dir = tempfile::tempdir().unwrap();
        let unit = std::fs::read_to_string(common::root_dir().join("packaging/deb").join(name))
            .unwrap()
            .replace("/usr/bin/camscan", env!("CARGO_BIN_EXE_camscan"));
        let path = dir.path().join(name);
        std::fs::write(&path, unit).unwrap();
        let out = common::run(
            std::process::Command::new("systemd-analyze")
                .arg("verify")
                .arg(&path),
            Duration::from_secs(30),
        );
        assert!(out.status.success(), "{name}: {}", common::stderr(&out));
        assert_eq!(common::stderr(&out).trim(), "", "{name}: no warnings");
    }
}
