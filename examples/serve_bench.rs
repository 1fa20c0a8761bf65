//! The benchmark of `camscan serve` (issue 18): over a 10 000-device inventory (the made-up site of
//! examples/support/site.rs), the first page of `GET /api/v1/devices` (median and p95 of 50), the
//! whole list walked 1 000 at a time, `GET /api/v1/export/json`; 100 clients of
//! `/api/v1/events/stream` while scans recorded here make events (who is served, who gets 503,
//! whether every served client gets every event, and the delay from the commit to receipt); the
//! server's idle RSS before and after that load; and, over a 1 000-device inventory, the web
//! page's time to interactive in headless Chromium (scripts/serve_page_bench.cjs). Figures are
//! printed against the targets (first page < 50 ms, page interactive < 1 s, idle RSS < 40 MB).
//!
//! ```text
//! scripts/bench --serve [DEVICES]    (builds the release binary and this, runs it)
//! target/release/examples/serve_bench [DEVICES [PAGE_DEVICES]]   (CAMSCAN_BIN: the camscan to run)
//! ```
//! A benchmark, not a test: nothing here fails a build. Loopback only (127.0.0.241 and .242); the
//! servers it starts are its own children, killed by their PID at the end.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program talks to its user

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use model::Report;
use store::{ScanInfo, Store};

#[path = "support/http.rs"]
mod http;
#[path = "support/site.rs"]
#[allow(dead_code)]
mod site;
use http::{get, rss};

/// The API server's address; the page's server is on .242.
const API: &str = "127.0.0.241:18741";
const PAGE: &str = "127.0.0.242:18742";
/// Event stream clients, and the events made while they listen.
const CLIENTS: usize = 100;
const EVENTS: usize = 20;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(what: &str, got: f64, unit: &str, target: f64) {
    let verdict = if got < target { "ok" } else { "OVER" };
    println!("{what:<52} {got:>10.1} {unit:<3} target < {target:<6} {verdict}");
}

fn info_line(what: &str, got: String) {
    println!("{what:<52} {got:>10}");
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// An inventory of `n` devices x 3 streams (one complete scan) at `path`.
fn fill(path: &Path, n: u32) -> Store {
    let _ = std::fs::remove_file(path);
    let mut store = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
    store
        .record_scan(&site::info(0), &site::report(n, 0), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    store
}

fn start(camscan: &str, db: &Path, listen: &str, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap_or_else(|e| panic!("{e}"));
    let child = Command::new(camscan)
        .args(["serve", "--db"])
        .arg(db)
        .args(["--listen", listen, "--allow-targets", "127.0.0.1/32"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{camscan}: {e}"));
    let addr: SocketAddr = listen.parse().expect("an address");
    for _ in 0..200 {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(child);
    panic!("camscan serve on {listen} did not start");
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// What one event stream client saw.
enum Seen {
    /// 200: the ids of the events received, with when.
    Served(Vec<(i64, Instant)>),
    /// Another status (503), with its `Retry-After`.
    Refused(u16, Option<String>),
    /// The connection closed (or failed) before a status line.
    Closed,
}

fn sse_client(stop: Arc<AtomicBool>, opened: mpsc::Sender<()>) -> Seen {
    let Ok(mut tcp) = TcpStream::connect(API) else {
        let _ = opened.send(());
        return Seen::Closed;
    };
    tcp.set_read_timeout(Some(Duration::from_millis(300))).ok();
    let asked = write!(
        tcp,
        "GET /api/v1/events/stream HTTP/1.1\r\nHost: {API}\r\nAccept: text/event-stream\r\n\r\n"
    );
    let mut reader = BufReader::new(tcp);
    let mut status_line = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while asked.is_ok() && status_line.is_empty() && Instant::now() < deadline {
        match reader.read_line(&mut status_line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    let _ = opened.send(());
    let status: u16 = match status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
    {
        Some(s) => s,
        None => return Seen::Closed,
    };
    if status != 200 {
        let mut retry = None;
        let mut l = String::new();
        while reader.read_line(&mut l).is_ok_and(|n| n > 2) {
            if let Some(v) = l.to_lowercase().strip_prefix("retry-after:") {
                retry = Some(v.trim().to_string());
            }
            l.clear();
        }
        return Seen::Refused(status, retry);
    }
    let mut got = Vec::new();
    let mut l = String::new();
    while !stop.load(Ordering::Relaxed) {
        match reader.read_line(&mut l) {
            Ok(0) => break,
            Ok(_) => {
                // Chunked framing lines are not `id:` lines; an event's `id:` line is whole.
                if let Some(id) = l.trim().strip_prefix("id:")
                    && let Ok(id) = id.trim().parse()
                {
                    got.push((id, Instant::now()));
                }
                l.clear();
            }
            Err(_) => {} // the read timeout: look at the stop flag
        }
    }
    Seen::Served(got)
}

/// One scan of only device `i`'s address, with new firmware: a `firmware_changed` event.
fn firmware_scan(store: &mut Store, i: u32, k: usize) -> Vec<i64> {
    let mut d = site::device(i, 0);
    d.firmware = Some(format!("V6.0.{k}"));
    let target = format!("{}/32", d.ip);
    let report = Report {
        schema_version: 1,
        camscan_version: env!("CARGO_PKG_VERSION").into(),
        started_at: String::new(),
        finished_at: String::new(),
        complete: true,
        targets: vec![target.clone()],
        plan: None,
        coverage: None,
        devices: vec![d],
    };
    let info = ScanInfo {
        targets: vec![target],
        ..site::info(1)
    };
    store
        .record_scan(&info, &report, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .events
        .iter()
        .map(|e| e.id)
        .collect()
}

fn api_part(camscan: &str, dir: &Path, n: u32) {
    let db = dir.join("api.db");
    let t = Instant::now();
    let mut store = fill(&db, n);
    println!(
        "serve benchmark: {n} devices x 3 streams (inventory written in {:.1} s), camscan serve on {API}",
        t.elapsed().as_secs_f64()
    );
    let server = start(camscan, &db, API, &dir.join("api.log"));
    let pid = server.id();
    std::thread::sleep(Duration::from_millis(500));
    let (rss_start, _) = rss(pid);

    // The first page, 50 times (one warm-up first), each on a new connection.
    let (status, _, _) = get(API, "/api/v1/devices?limit=100");
    assert_eq!(status, 200, "GET /api/v1/devices");
    let mut times: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let (s, _, body) = get(API, "/api/v1/devices?limit=100");
            let took = ms(t.elapsed());
            assert!(s == 200 && !body.is_empty());
            took
        })
        .collect();
    times.sort_by(f64::total_cmp);
    line(
        "GET /api/v1/devices?limit=100, median of 50",
        percentile(&times, 0.5),
        "ms",
        50.0,
    );
    line(
        "GET /api/v1/devices?limit=100, p95 of 50",
        percentile(&times, 0.95),
        "ms",
        50.0,
    );

    // The whole list, 1 000 at a time.
    let t = Instant::now();
    let (mut pages, mut devices) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/devices?limit=1000&cursor={c}"),
            None => "/api/v1/devices?limit=1000".to_string(),
        };
        let (s, _, body) = get(API, &path);
        assert_eq!(s, 200, "{path}");
        let page: serde_json::Value = serde_json::from_slice(&body).expect("a page");
        pages += 1;
        devices += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(c) if pages < 100 => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    info_line(
        &format!("full walk, limit=1000 ({devices} devices, {pages} pages)"),
        format!("{:.1} ms", ms(t.elapsed())),
    );

    let t = Instant::now();
    let (s, _, body) = get(API, "/api/v1/export/json");
    let took = t.elapsed();
    assert_eq!(s, 200, "GET /api/v1/export/json");
    info_line(
        &format!(
            "GET /api/v1/export/json ({:.1} MB)",
            body.len() as f64 / 1e6
        ),
        format!("{:.1} ms", ms(took)),
    );
    let (rss_reads, _) = rss(pid);

    // 100 event stream clients at once, then EVENTS scans of one device each.
    let stop_flag = Arc::new(AtomicBool::new(false));
    let (opened_tx, opened_rx) = mpsc::channel();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop_flag, opened_tx) = (stop_flag.clone(), opened_tx.clone());
            std::thread::spawn(move || sse_client(stop_flag, opened_tx))
        })
        .collect();
    for _ in 0..CLIENTS {
        let _ = opened_rx.recv_timeout(Duration::from_secs(15));
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut committed: Vec<(i64, Instant)> = Vec::new();
    for k in 0..EVENTS {
        let ids = firmware_scan(&mut store, (k as u32 * 37) % n, k);
        let at = Instant::now();
        committed.extend(ids.into_iter().map(|id| (id, at)));
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let (rss_streams, _) = rss(pid);
    stop_flag.store(true, Ordering::Relaxed);
    let seen: Vec<Seen> = clients
        .into_iter()
        .map(|c| c.join().unwrap_or(Seen::Closed))
        .collect();
    let (mut served, mut complete, mut closed) = (0, 0, 0);
    let mut refused: std::collections::BTreeMap<String, usize> = Default::default();
    let mut delays = Vec::new();
    for s in &seen {
        match s {
            Seen::Served(got) => {
                served += 1;
                let mut all = true;
                for (id, at) in &committed {
                    match got.iter().find(|(g, _)| g == id) {
                        Some((_, recv)) => delays.push(ms(recv.saturating_duration_since(*at))),
                        None => all = false,
                    }
                }
                if all {
                    complete += 1;
                }
            }
            Seen::Refused(status, retry) => {
                *refused
                    .entry(format!(
                        "{status} (Retry-After: {})",
                        retry.as_deref().unwrap_or("none")
                    ))
                    .or_default() += 1;
            }
            Seen::Closed => closed += 1,
        }
    }
    delays.sort_by(f64::total_cmp);
    let refused: Vec<String> = refused
        .iter()
        .map(|(k, v)| format!("{v} got {k}"))
        .collect();
    println!(
        "{CLIENTS} event stream clients at once: {served} served, {}, {closed} closed without an answer",
        if refused.is_empty() {
            "none refused".to_string()
        } else {
            refused.join(", ")
        }
    );
    println!(
        "{EVENTS} scans made {} events; served clients that got every one: {complete} of {served}",
        committed.len()
    );
    info_line(
        "event delay, commit to receipt, median",
        format!("{:.1} ms", percentile(&delays, 0.5)),
    );
    info_line(
        "event delay, commit to receipt, max",
        format!("{:.1} ms", delays.last().copied().unwrap_or(f64::NAN)),
    );
    drop(store);
    std::thread::sleep(Duration::from_secs(1));
    let (rss_after, hwm) = rss(pid);
    line("idle RSS after start", rss_start, "MB", 40.0);
    info_line(
        "RSS after the reads / with the streams open",
        format!("{rss_reads:.1} / {rss_streams:.1} MB"),
    );
    line("idle RSS after the load", rss_after, "MB", 40.0);
    info_line("peak RSS (VmHWM)", format!("{hwm:.1} MB"));
    stop(server);
}

fn page_part(camscan: &str, dir: &Path, n: u32) {
    let db = dir.join("page.db");
    drop(fill(&db, n));
    let server = start(camscan, &db, PAGE, &dir.join("page.log"));
    let script = "scripts/serve_page_bench.cjs";
    let out = Command::new("node")
        .arg(script)
        .arg(format!("http://{PAGE}/"))
        .arg(n.to_string())
        .arg(dir.join("chromium"))
        .stderr(Stdio::inherit())
        .output();
    stop(server);
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value =
                serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
            let runs = v["runs"].as_array().cloned().unwrap_or_default();
            let get = |k: &str| -> Vec<f64> {
                let mut x: Vec<f64> = runs.iter().filter_map(|r| r[k].as_f64()).collect();
                x.sort_by(f64::total_cmp);
                x
            };
            let (dcl, rows, ready) = (get("dcl"), get("rows"), get("ready"));
            println!(
                "web page over {n} devices, headless Chromium ({}), {} loads (the first cold)",
                v["browser"].as_str().unwrap_or("?"),
                runs.len()
            );
            if let Some(first) = runs.first() {
                info_line(
                    "first load: domContentLoaded / table has all rows",
                    format!(
                        "{:.0} / {:.0} ms",
                        first["dcl"].as_f64().unwrap_or(f64::NAN),
                        first["rows"].as_f64().unwrap_or(f64::NAN)
                    ),
                );
            }
            info_line(
                "domContentLoaded, median",
                format!("{:.1} ms", percentile(&dcl, 0.5)),
            );
            line(
                &format!("table has {n} rows (interactive), median"),
                percentile(&rows, 0.5),
                "ms",
                1000.0,
            );
            line(
                &format!("table has {n} rows (interactive), max"),
                rows.last().copied().unwrap_or(f64::NAN),
                "ms",
                1000.0,
            );
            info_line(
                "the page's camscan-ready-list mark, median",
                format!("{:.1} ms", percentile(&ready, 0.5)),
            );
        }
        Ok(o) => println!(
            "web page: {script} failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(e) => println!("web page: skipped, node did not run: {e}"),
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let page_n: u32 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let camscan =
        std::env::var("CAMSCAN_BIN").unwrap_or_else(|_| "target/release/camscan".to_string());
    let dir = tempfile::tempdir().expect("a temporary directory");
    api_part(&camscan, dir.path(), n);
    page_part(&camscan, dir.path(), page_n);
}
