//! The inventory's benchmark (issue 15): write a scan of 10 000 devices x 3 streams, list the
//! 10 000 devices, diff two 10 000-device scans, write 10 scans, and print the times and the file
//! size against the targets (write < 2 s, list < 200 ms, diff < 1 s, < 20 MB for 10 scans).
//!
//! ```text
//! cargo run --release --example store_bench [-- DEVICES [DB]]     (or scripts/bench --store)
//! ```
//! A benchmark, not a test: nothing here fails a build. The devices are made up but shaped like a
//! camera site (Hikvision/Dahua/Axis names, an RTSP main and sub stream and a JPEG snapshot each,
//! measured PLAY facts), and each later scan changes a few of them the way sites change: 5 % move
//! to another address, 1 % get new firmware, 2 % change a stream's size, 1 % vanish and 1 % are
//! new, so every scan derives events and the diff has work to do.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program talks to its user

use std::time::{Duration, Instant};

use model::Report;
use store::{DeviceQuery, Store};

#[path = "support/site.rs"]
mod site;
use site::{info, report};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(what: &str, got: f64, unit: &str, target: f64) {
    let verdict = if got < target { "ok" } else { "OVER" };
    println!("{what:<44} {got:>10.1} {unit:<3} target < {target:<6} {verdict}");
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A second argument keeps the database there (to look inside with sqlite3).
    let path = std::env::args()
        .nth(2)
        .map_or_else(|| dir.path().join("inventory.db"), std::path::PathBuf::from);
    let _ = std::fs::remove_file(&path);
    let creds = [credentials::Credential::new("admin", "bench-password")];
    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));

    let reports: Vec<Report> = (0..10).map(|r| report(n, r)).collect();
    let t = Instant::now();
    let first = store
        .record_scan(&info(0), &reports[0], &creds)
        .unwrap_or_else(|e| panic!("{e}"));
    let write_first = t.elapsed();
    let t = Instant::now();
    let listed = store
        .devices(&DeviceQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let list = t.elapsed();
    let t = Instant::now();
    let second = store
        .record_scan(&info(1), &reports[1], &creds)
        .unwrap_or_else(|e| panic!("{e}"));
    let write_second = t.elapsed();
    let t = Instant::now();
    let diff = store
        .diff(Some(first.scan_id), Some(second.scan_id), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let diff_time = t.elapsed();
    let mut writes = vec![write_first, write_second];
    for (r, rep) in reports.iter().enumerate().skip(2) {
        let t = Instant::now();
        store
            .record_scan(&info(r as u32), rep, &creds)
            .unwrap_or_else(|e| panic!("{e}"));
        writes.push(t.elapsed());
    }
    let t = Instant::now();
    let listed_after = store
        .devices(&DeviceQuery::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let list_after = t.elapsed();
    let t = Instant::now();
    let known = store
        .known("bench", &["10.20.0.0/16".into()], &creds)
        .unwrap_or_else(|e| panic!("{e}"));
    let known_time = t.elapsed();
    drop(store);
    // Closing the last connection checkpoints the WAL into the file.
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    let t = Instant::now();
    let reopened = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let open_time = t.elapsed();
    drop(reopened);

    println!(
        "inventory benchmark: {n} devices x 3 streams, 10 scans, {}",
        path.display()
    );
    line(
        &format!("write scan 1 ({} events)", first.events.len()),
        ms(write_first),
        "ms",
        2000.0,
    );
    line(
        &format!("list {} devices", listed.len()),
        ms(list),
        "ms",
        200.0,
    );
    line(
        &format!("write scan 2 ({} events)", second.events.len()),
        ms(write_second),
        "ms",
        2000.0,
    );
    line(
        &format!(
            "diff scan 1 -> 2 (+{} -{} ~{})",
            diff.added.len(),
            diff.removed.len(),
            diff.changed.len()
        ),
        ms(diff_time),
        "ms",
        1000.0,
    );
    let slowest = writes.iter().max().copied().unwrap_or_default();
    line("slowest of 10 scan writes", ms(slowest), "ms", 2000.0);
    line(
        &format!("list {} devices after 10 scans", listed_after.len()),
        ms(list_after),
        "ms",
        200.0,
    );
    println!(
        "{:<44} {:>10.1} ms (known() for {} addresses)",
        "known paths and credentials",
        ms(known_time),
        known.len()
    );
    println!(
        "{:<44} {:>10.1} ms",
        "open (checks, migrations) after 10 scans",
        ms(open_time)
    );
    line("file size after 10 scans", size as f64 / 1e6, "MB", 20.0);
}
