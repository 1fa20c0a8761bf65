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
//! A benchmark, not a test: nothing here fails a build.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program talks to its user

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use camscan::store::Store;

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

fn login() -> Vec<camscan::model::Credential> {
    vec![camscan::model::Credential::new("admin", "site-Pw1")]
}

fn main() {
    let mut args = std::env::args().skip(1);
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
