//! `camscan push` at a site's size: an inventory of N cameras (default 1 000, shaped like a site:
//! examples/support/site.rs) pushed into a fake Frigate (tests/servers/push/frigate.py, which
//! follows Frigate 0.17's `config_set`: the whole config file rewritten and validated on every
//! camera) on loopback, three times: the first push (N adds), a second (no change), and after a
//! rescan where 5 % of the cameras moved and 1 % changed their picture (updates). Prints the wall
//! time of each and the peak RSS of camscan, against the target: the first push < 60 s.
//!
//! ```text
//! scripts/bench --push [CAMERAS]
//! target/release/examples/push_bench CAMSCAN_BINARY PYTHON [CAMERAS]
//! ```
//!
//! With `--homeassistant-scan DB CAMERAS ROUND [SERVERS_JSON]` it only writes: scan ROUND of
//! the loopback site `scripts/push_ha_bench.py` (`scripts/bench --push-homeassistant`) pushes into
//! a real Home Assistant, recorded into the inventory DB, the site's login beside it (DB with the
//! extension `creds`), and with SERVERS_JSON the `tests/servers/rtsp_server.py` configuration that
//! serves every camera of every round (see [`ha_site`]).
//!
//! A benchmark, not a test: nothing here fails a build.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program talks to its user

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use store::Store;

#[path = "support/site.rs"]
mod site;
use site::{info, report};

/// One `camscan push frigate URL`: its wall time, its peak RSS (VmHWM of /proc/PID/status,
/// sampled every 20 ms while it runs; `unsafe` wait4 is denied in this crate) in MiB, and its
/// summary line.
fn run_push(camscan: &str, db: &std::path::Path, url: &str) -> (f64, f64, String) {
    use std::io::Read;
    let t = Instant::now();
    let mut child = Command::new(camscan)
        .args([
            "push",
            "frigate",
            url,
            "--push-timeout",
            "120",
            "--credentials",
        ])
        .arg(db.with_extension("creds"))
        .env("CAMSCAN_DB", db)
        .env("CAMSCAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("camscan runs");
    let status = format!("/proc/{}/status", child.id());
    let mut so = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = so.read_to_string(&mut out);
        out
    });
    let mut peak_kib = 0u64;
    while child.try_wait().ok().flatten().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak_kib = peak_kib.max(hwm.unwrap_or(0));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let secs = t.elapsed().as_secs_f64();
    let out = reader.join().unwrap_or_default();
    let summary = out.lines().last().unwrap_or("").to_string();
    (secs, peak_kib as f64 / 1024.0, summary)
}

fn login() -> Vec<model::Credential> {
    vec![model::Credential::new("admin", "site-Pw1")]
}

/// The site of the Home Assistant bench: CAMERAS GStreamer cameras on the loopback of Home
/// Assistant's namespace, each at its own address (camera `i`: 127.0.2b.(10 + i % 200) with
/// b = i / 200, so 127.0.0.10-209 for the first 200; Home Assistant is on 127.0.0.1), RTSP on 554
/// behind Digest (admin / the site's password), a main stream /Streaming/Channels/101 (H.264
/// main 640x360 25 fps, a keyframe every 2 s) and a sub stream /102 (320x180 10 fps), as a
/// Hikvision-style camera serves them. In each later scan 5 % of the cameras (i % 20 == 1) have
/// moved to 127.0.(2b + 1).(10 + i % 200), same MAC. Each camera is recorded as a scan records a
/// camera whose main stream played: what the server serves, measured over TCP.
mod ha_site {
    use std::net::Ipv4Addr;

    use model::{
        AuthScheme, Device, DiscoveryMethod, Measured, Protocol, Report, Stream, StreamStatus,
        VideoInfo,
    };
    use serde_json::{Value, json};
    use store::ScanInfo;

    pub const PASSWORD: &str = "site-Pw1";
    /// (path, width, height, fps) of each stream, the main one first.
    const STREAMS: [(&str, u32, u32, u32); 2] = [
        ("/Streaming/Channels/101", 640, 360, 25),
        ("/Streaming/Channels/102", 320, 180, 10),
    ];

    pub fn moved(i: u32, round: u32) -> bool {
        round > 0 && i % 20 == 1
    }

    pub fn address(i: u32, moved: bool) -> Ipv4Addr {
        let b = i / 200;
        assert!(b < 127, "at most 25 400 cameras");
        Ipv4Addr::new(
            127,
            0,
            (2 * b + u32::from(moved)) as u8,
            (10 + i % 200) as u8,
        )
    }

    fn device(i: u32, round: u32) -> Device {
        let addr = address(i, moved(i, round));
        let mut d = Device::new(addr.into());
        d.mac = Some(format!("02:1a:2b:00:{:02x}:{:02x}", i >> 8, i & 0xff));
        d.vendor = Some("Hikvision".into());
        d.model = Some("DS-2CD2143G2-I".into());
        d.name = Some(format!("cam-{i:03}"));
        d.is_camera = true;
        d.discovered_by = vec![DiscoveryMethod::Arp, DiscoveryMethod::Port];
        d.open_ports = vec![554];
        d.streams = STREAMS
            .iter()
            .map(|&(path, w, h, fps)| {
                let mut s = Stream::new(format!("rtsp://{addr}:554{path}"), Protocol::Rtsp, 554);
                s.status = StreamStatus::Ok;
                s.verified = true;
                s.auth = AuthScheme::Digest;
                s.username = Some("admin".into());
                let mut v = VideoInfo::new("h264".into());
                (v.width, v.height, v.fps) = (Some(w), Some(h), Some(f64::from(fps)));
                v.profile = Some("main".into());
                s.video = Some(v);
                s.measured = Some(Measured {
                    transport: "tcp".into(),
                    packets: 300,
                    bytes: 250_000,
                    fps: Some(f64::from(fps)),
                    bitrate_kbps: Some(1000.0),
                    keyframe: true,
                    duration_ms: 2000,
                    width: None,
                    height: None,
                });
                s
            })
            .collect();
        d
    }

    pub fn scan(n: u32, round: u32) -> (ScanInfo, Report) {
        let info = ScanInfo {
            started_at: format!("2026-01-{:02}T03:00:00Z", round + 1),
            finished_at: format!("2026-01-{:02}T03:05:00Z", round + 1),
            complete: true,
            site: "bench".into(),
            targets: vec!["127.0.0.0/16".into()],
            ports: vec![554],
            methods: vec!["arp".into(), "port".into()],
            version: env!("CARGO_PKG_VERSION").into(),
            coverage: None,
        };
        let report = Report {
            schema_version: model::SCHEMA_VERSION,
            camscan_version: env!("CARGO_PKG_VERSION").into(),
            started_at: info.started_at.clone(),
            finished_at: info.finished_at.clone(),
            complete: true,
            targets: info.targets.clone(),
            plan: None,
            coverage: None,
            devices: (0..n).map(|i| device(i, round)).collect(),
        };
        (info, report)
    }

    /// rtsp_server.py's configuration: one server per address any round uses (shared media, as
    /// deployed cameras serve it: one encoder per stream, started by its first client; x264 with
    /// 2 B-frames and look-ahead, as scripts/soak_watch.py's cameras: a client's first packet
    /// comes about 1.5 s after its PLAY).
    pub fn servers(n: u32) -> Value {
        let mounts: Vec<Value> = STREAMS
            .iter()
            .map(|&(path, w, h, fps)| {
                json!({"path": path, "video": {"codec": "h264", "profile": "main", "width": w,
                       "height": h, "fps": fps, "gop": 2, "bframes": 2}, "audio": null})
            })
            .collect();
        let mut out = Vec::new();
        for i in 0..n {
            for m in [false, true] {
                if m && !moved(i, 1) {
                    continue;
                }
                out.push(json!({"address": address(i, m).to_string(), "port": 554,
                    "shared": true, "backlog": 64,
                    "auth": {"method": "digest", "user": "admin", "password": PASSWORD},
                    "mounts": mounts}));
            }
        }
        Value::Array(out)
    }
}

/// `--homeassistant-scan DB CAMERAS ROUND [SERVERS_JSON]`.
fn homeassistant_scan(mut args: impl Iterator<Item = String>) {
    let usage = "usage: push_bench --homeassistant-scan DB CAMERAS ROUND [SERVERS_JSON]";
    let db = std::path::PathBuf::from(args.next().expect(usage));
    let n: u32 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let round: u32 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    std::fs::write(
        db.with_extension("creds"),
        format!("admin:{}\n", ha_site::PASSWORD),
    )
    .unwrap();
    let (info, report) = ha_site::scan(n, round);
    let mut store = Store::open(&db).expect("inventory");
    store
        .record_scan(
            &info,
            &report,
            &[model::Credential::new("admin", ha_site::PASSWORD)],
        )
        .unwrap();
    if let Some(path) = args.next() {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&ha_site::servers(n)).unwrap(),
        )
        .unwrap();
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    if std::env::args().nth(1).as_deref() == Some("--homeassistant-scan") {
        homeassistant_scan(args.skip(1));
        return;
    }
    let camscan = args
        .next()
        .expect("usage: push_bench CAMSCAN PYTHON [CAMERAS]");
    let python = args
        .next()
        .expect("usage: push_bench CAMSCAN PYTHON [CAMERAS]");
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("inv.db");
    let config = dir.path().join("config.yml");
    std::fs::write(&config, "mqtt:\n  enabled: false\ncameras: {}\n").unwrap();
    // The site's login, as the scan's credentials file had it: its keyed hash is recorded with
    // each stream, and the push finds the password in the same file.
    std::fs::write(db.with_extension("creds"), "admin:site-Pw1\n").unwrap();
    {
        let mut store = Store::open(&db).expect("inventory");
        store
            .record_scan(&info(0), &report(n, 0), &login())
            .unwrap();
    }
    let ip = "127.0.60.200";
    let port = std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/push/frigate.py");
    let mut fake = Command::new(&python)
        .args([script, "--bind", ip, "--port", &port.to_string()])
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fake Frigate starts");
    let mut lines = BufReader::new(fake.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.map(|l| l.trim() == "READY").unwrap_or(false) {
            break;
        }
    }
    // Its request log is drained so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let url = format!("http://{ip}:{port}");
    println!("camscan push into a fake Frigate 0.17 ({n} cameras in the inventory)");
    let (t1, rss1, s1) = run_push(&camscan, &db, &url);
    println!(
        "{:<40} {t1:>8.1} s  peak RSS {rss1:>6.1} MiB  target < 60 s {}",
        "first push (adds)",
        if t1 < 60.0 { "ok" } else { "OVER" }
    );
    println!("  {s1}");
    let (t2, rss2, s2) = run_push(&camscan, &db, &url);
    println!(
        "{:<40} {t2:>8.1} s  peak RSS {rss2:>6.1} MiB",
        "second push (no change)"
    );
    println!("  {s2}");
    {
        let mut store = Store::open(&db).expect("inventory");
        store
            .record_scan(&info(1), &report(n, 1), &login())
            .unwrap();
    }
    let (t3, rss3, s3) = run_push(&camscan, &db, &url);
    println!(
        "{:<40} {t3:>8.1} s  peak RSS {rss3:>6.1} MiB",
        "after a rescan (5 % moved)"
    );
    println!("  {s3}");
    drop(fake.stdin.take());
    let _ = fake.wait();
}
