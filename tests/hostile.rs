//! Hostile peers (issue 6): garbage, a tarpit, slowloris, endless headers, a 100 MB body, an XML bomb
//! and 100 000-deep XML, an SDP of 100 000 lines, a multipart stream with no boundary, an RTSP server
//! that redirects forever, slow bodies. Each is a loopback fake of `tests/servers/hostile.py` on its
//! own address in 127.0.0.81-92. For each, camscan must finish (exit 0 or 1, never 2 or a panic)
//! within a bound derived from the configured timeouts, keep its memory bounded, and record a clear
//! error on the device.
//!
//! Wall-time bounds: with `--timeout T` and `--connect-timeout C`, one protocol step (connect, send,
//! read the reply) costs at most `STEP = C + T`. Each test counts the steps its peer can cost and
//! allows `steps x STEP + SLACK`, where SLACK covers process start-up of a debug build and a loaded
//! CI machine. A behaviour that cost unbounded time (a read without a deadline, a redirect followed
//! forever) overruns the bound; `scan` also kills camscan at twice the bound so the test ends.
//!
//! Memory: camscan's peak resident set must stay under [`RSS_LIMIT_KIB`], far below what reading a
//! 100 MB body, a 2 MB SDP or an expanded XML bomb would take. It is measured exactly by GNU time
//! (`%M`) when installed, else by sampling `VmHWM` of /proc/PID/status every 20 ms while camscan runs.

// The measurements (wall time, peak RSS, the errors recorded) go to stderr: `--nocapture` shows them.
#![allow(clippy::print_stderr)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::schema::{Device, Report};

/// `--timeout`: every protocol step.
const T: Duration = Duration::from_secs(2);
/// `--connect-timeout`.
const C: Duration = Duration::from_secs(1);
/// One protocol step at most.
const STEP: Duration = Duration::from_secs(3);
/// Start-up, scheduling noise on a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(5);
/// `--verify-window`: how long an MJPEG stream is watched.
const WINDOW: Duration = Duration::from_secs(1);
/// Peak RSS allowed. A debug build scanning one host idles around 15-25 MiB.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

/// The ports camscan probes by default that a non-root process can bind (all but 554, 80, 81, 88, 443).
const HIGH_DEFAULT_PORTS: &str =
    "8554,10554,5554,8000,8080,8081,8443,1935,7447,34567,37777,2020,3478,8088,1984,8889";

fn servers() -> &'static common::Server {
    static SERVERS: OnceLock<common::Server> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let script = common::root_dir().join("tests/servers/hostile.py");
        let specs = [
            format!("garbage@127.0.0.81:{HIGH_DEFAULT_PORTS}"),
            "tarpit@127.0.0.82:8554".into(),
            "slowloris@127.0.0.83:8554,8080".into(),
            "headers@127.0.0.84:8554,8080".into(),
            "bigbody@127.0.0.85:8080".into(),
            "xmlbomb@127.0.0.86:8080".into(),
            "deepxml@127.0.0.87:8080".into(),
            "bigsdp@127.0.0.88:8554".into(),
            "noboundary@127.0.0.89:8080".into(),
            "redirect@127.0.0.90:8554".into(),
            "slowbody@127.0.0.91:8080".into(),
            "slowsdp@127.0.0.92:8554".into(),
        ];
        let mut args = vec![script.to_str().unwrap()];
        args.extend(specs.iter().map(String::as_str));
        common::start("/usr/bin/python3", &args, Duration::from_secs(60))
    })
}

/// One camscan run against a hostile peer.
struct Scan {
    report: Report,
    took: Duration,
    peak_rss_kib: u64,
    stderr: String,
}

/// Peak resident set so far of a running process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// GNU time, when installed: it reports the exact peak RSS of the process it ran (`%M`, from
/// `wait4`'s rusage). Without it, camscan's `VmHWM` is sampled while it runs.
const GNU_TIME: &str = "/usr/bin/time";

/// Scan `target` on `ports` (ports-only discovery: nothing leaves loopback) with the test's timeouts
/// (`timeout` as `--timeout`), measuring wall time and peak RSS; asserts the scan completed and stayed
/// within `bound` and [`RSS_LIMIT_KIB`].
fn scan(name: &str, target: &str, ports: &str, timeout: Duration, bound: Duration) -> Scan {
    use std::os::unix::process::CommandExt;
    servers();
    let gnu_time = std::path::Path::new(GNU_TIME).exists();
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let camscan = env!("CARGO_BIN_EXE_camscan");
    let mut cmd = Command::new(if gnu_time { GNU_TIME } else { camscan });
    if gnu_time {
        cmd.args(["-f", "%M", "-o"])
            .arg(rss_file.path())
            .arg(camscan);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("CAMSCAN_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    // No inventory: these scans are about hostile peers, and leave no trace.
    cmd.env("CAMSCAN_NO_DB", "true");
    let started = Instant::now();
    let mut child = cmd
        .args([
            "scan",
            target,
            "-p",
            ports,
            "--discovery",
            "ports",
            "-f",
            "json",
        ])
        .args(["--timeout", &format!("{}ms", timeout.as_millis())])
        .args(["--connect-timeout", &format!("{}ms", C.as_millis())])
        .args(["--verify-window", &format!("{}ms", WINDOW.as_millis())])
        .process_group(0) // camscan (and GNU time) can be killed together
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("camscan runs");
    let pid = child.id();
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let kill_at = started + bound * 2;
    let mut sampled = 0;
    let status = loop {
        if !gnu_time && let Some(kib) = vm_hwm_kib(pid) {
            sampled = sampled.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > kill_at {
            // The process group this test started: camscan, and GNU time around it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
            panic!(
                "{name}: camscan still running after {:?}; stderr:\n{err}",
                bound * 2
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let stdout = String::from_utf8(out.join().unwrap()).expect("stdout is UTF-8");
    common::reports::keep(stdout.as_bytes());
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    // GNU time writes "Command exited with non-zero status 1" before the number on exit code 1.
    let peak = if gnu_time {
        std::fs::read_to_string(rss_file.path())
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .next_back()
            .expect("GNU time wrote %M")
    } else {
        sampled
    };
    let how = if gnu_time { "GNU time" } else { "sampled" };
    eprintln!("{name}: {took:.2?}, peak RSS {peak} KiB ({how}; bound {bound:?})");
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{name}: exit {status:?}; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert!(took <= bound, "{name}: took {took:?}, bound {bound:?}");
    assert!(peak > 0 || !gnu_time, "{name}: no RSS measured");
    assert!(
        peak <= RSS_LIMIT_KIB,
        "{name}: peak RSS {peak} KiB > {RSS_LIMIT_KIB} KiB"
    );
    let report: Report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}; stdout:\n{stdout}\nstderr:\n{stderr}"));
    assert!(report.complete, "{name}");
    for d in &report.devices {
        for e in &d.errors {
            eprintln!("  {} port {:?}: {}", d.ip, e.port, e.message);
        }
    }
    Scan {
        report,
        took,
        peak_rss_kib: peak,
        stderr,
    }
}

/// `steps` protocol steps plus slack.
fn bound(steps: u32) -> Duration {
    STEP * steps + SLACK
}

/// The errors recorded for `port` on `d`.
fn errors_on(d: &Device, port: u16) -> Vec<&str> {
    d.errors
        .iter()
        .filter(|e| e.port == Some(port))
        .map(|e| e.message.as_str())
        .collect()
}

/// Some error on `port` contains one of `words`.
fn assert_error(d: &Device, port: u16, words: &[&str]) {
    let errors = errors_on(d, port);
    assert!(
        errors.iter().any(|m| words.iter().any(|w| m.contains(w))),
        "{} port {port}: expected an error mentioning one of {words:?}, got {:#?}",
        d.ip,
        d.errors
    );
}

/// HTTP analysis of one port, step by step: detection (OPTIONS, then GET /) is 2 steps; the root page
/// 1; the 11 fingerprint paths, 4 at a time, 3; the dictionary (15 paths plus the page's links, 4 at a
/// time) 4 more when no more than one link is followed. Each path costs at most one step (its head
/// and its body share one deadline), an MJPEG path the watch window on top.
const HTTP_STEPS: u32 = 2 + 1 + 3 + 4;

/// Random bytes on every port camscan probes by default (TLS on 8443, RTMP on 1935 and STUN on 3478
/// get garbage too). Each port's detectors fail on the first bytes, so no step should wait; the
/// bound allows each port's detection chain (TLS/STUN/RTMP first, OPTIONS, GET, RTMP last: at most 4
/// steps, ports in parallel) plus the probe.
#[test]
fn garbage_on_every_port() {
    let s = scan("garbage", "127.0.0.81", HIGH_DEFAULT_PORTS, T, bound(1 + 4));
    let d = s.report.device("127.0.0.81");
    assert_eq!(d.open_ports.len(), 16, "{:?}", d.open_ports);
    assert!(
        d.services.is_empty(),
        "garbage is no service: {:?}",
        d.services
    );
    for &port in &d.open_ports {
        assert_error(d, port, &["malformed reply", "TLS handshake"]);
    }
    assert!(!d.is_camera);
}

/// Accepts and never answers, on an RTSP port of a device that shows nothing else: detection
/// waits one step and does not ask again. (A device that has shown a media server gets the start
/// patience there: `tests/asking.rs`.)
#[test]
fn tarpit_costs_one_step() {
    let s = scan("tarpit", "127.0.0.82", "8554", T, bound(1 + 1));
    let d = s.report.device("127.0.0.82");
    assert_error(d, 8554, &["no complete answer within 2s"]);
    // The harness measures a real run: the tarpit did cost its timeout, and RSS was sampled.
    assert!(s.took >= T, "{:?}", s.took);
    assert!(s.peak_rss_kib > 1024, "{} KiB", s.peak_rss_kib);
    assert!(!s.stderr.contains("ERROR"), "{}", s.stderr);
}

/// A head at one byte per second, never complete, on an RTSP and an HTTP port: one step each (ports
/// in parallel), recorded as a timeout.
#[test]
fn slowloris_costs_one_step_per_port() {
    let s = scan("slowloris", "127.0.0.83", "8554,8080", T, bound(1 + 1));
    let d = s.report.device("127.0.0.83");
    for port in [8554, 8080] {
        assert_error(d, port, &["no complete answer within 2s"]);
    }
}

/// Header lines without end, as fast as camscan reads: refused at the head cap (16 KiB), at once.
#[test]
fn endless_headers_stop_at_the_head_cap() {
    let s = scan("headers", "127.0.0.84", "8554,8080", T, bound(1 + 1));
    let d = s.report.device("127.0.0.84");
    for port in [8554, 8080] {
        assert_error(d, port, &["larger than 16384 bytes"]);
    }
}

/// `GET /` (and every other path) answers 100 MB: camscan reads its caps (256 KiB of a page), says the
/// page was cut, and still describes the web server.
#[test]
fn hundred_megabyte_body_is_read_to_its_cap() {
    let s = scan("bigbody", "127.0.0.85", "8080", T, bound(1 + HTTP_STEPS));
    let d = s.report.device("127.0.0.85");
    assert_eq!(d.services.len(), 1, "{:?}", d.services);
    assert_eq!(d.services[0].protocol, "http");
    assert_eq!(d.services[0].title.as_deref(), Some("Big"));
    assert_error(d, 8080, &["larger than 262144 bytes"]);
}

/// A billion-laughs MPD linked from the root page (and on the dictionary's `/dash/stream.mpd` and
/// Hikvision's deviceInfo path): never expanded, refused with a reason, no stream made of it.
#[test]
fn xml_bomb_is_refused() {
    let s = scan("xmlbomb", "127.0.0.86", "8080", T, bound(1 + HTTP_STEPS));
    let d = s.report.device("127.0.0.86");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    assert_error(d, 8080, &["DASH /live/manifest.mpd: "]);
    assert_error(d, 8080, &["declares entities"]);
}

/// An MPD nested 100 000 elements deep: the walk stops at its depth cap and says so.
#[test]
fn deeply_nested_xml_is_cut() {
    let s = scan("deepxml", "127.0.0.87", "8080", T, bound(1 + HTTP_STEPS));
    let d = s.report.device("127.0.0.87");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    assert_error(d, 8080, &["DASH /live/manifest.mpd: "]);
    assert_error(d, 8080, &["nested deeper than 32"]);
}

/// DESCRIBE answers an SDP of 100 000 lines (about 2 MB): refused at the 64 KiB body cap without
/// reading it. Steps: OPTIONS, the baseline DESCRIBE, the HTTP question on the same port.
#[test]
fn sdp_of_a_hundred_thousand_lines_is_refused() {
    let s = scan("bigsdp", "127.0.0.88", "8554", T, bound(1 + 3));
    let d = s.report.device("127.0.0.88");
    assert_eq!(d.services[0].protocol, "rtsp");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    assert_error(d, 8554, &["larger than 65536 bytes"]);
}

/// `multipart/x-mixed-replace` with no boundary anywhere: given up after 64 KiB, with the reason.
#[test]
fn multipart_without_boundary_is_given_up() {
    let s = scan(
        "noboundary",
        "127.0.0.89",
        "8080",
        T,
        bound(1 + HTTP_STEPS) + WINDOW,
    );
    let d = s.report.device("127.0.0.89");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    assert_error(
        d,
        8080,
        &["MJPEG /mjpg/video.mjpg: multipart stream with no boundary"],
    );
}

/// Every RTSP request is answered 301/302 to a new path on the same server: camscan does not follow
/// (the server reports any request for a path only a redirect named) and says the server redirects.
/// Every answer is immediate, so the path walk costs no step of waiting: OPTIONS, the walk, and the
/// HTTP question on the same port.
#[test]
fn rtsp_redirects_are_recorded_not_followed() {
    let s = scan("redirect", "127.0.0.90", "8554", T, bound(1 + 3));
    let d = s.report.device("127.0.0.90");
    assert_eq!(d.services[0].protocol, "rtsp");
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    assert_error(d, 8554, &["redirect"]);
    let followed: Vec<String> = servers()
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("FOLLOWED 127.0.0.90 "))
        .cloned()
        .collect();
    assert!(followed.is_empty(), "redirects followed: {followed:?}");
}

/// Heads at once, bodies at one byte per second on every GET: the web server is still described
/// (its head said 200), the cut page is recorded, and each path costs at most its step. With a 1 s
/// timeout to keep the run short.
#[test]
fn slow_http_bodies_cost_one_step_per_path() {
    let t = Duration::from_secs(1);
    let step = C + t;
    let s = scan(
        "slowbody",
        "127.0.0.91",
        "8080",
        t,
        step * (1 + HTTP_STEPS) + SLACK,
    );
    let d = s.report.device("127.0.0.91");
    assert_eq!(d.services.len(), 1, "{:?}", d.services);
    assert_eq!(d.services[0].protocol, "http");
    assert_error(d, 8080, &["within 1s"]);
}

/// RTSP DESCRIBE whose SDP trickles: the baseline DESCRIBE costs one step and ends the walk.
#[test]
fn slow_sdp_costs_one_step() {
    let s = scan("slowsdp", "127.0.0.92", "8554", T, bound(1 + 3));
    let d = s.report.device("127.0.0.92");
    assert_eq!(d.services[0].protocol, "rtsp");
    assert_error(d, 8554, &["no complete answer within 2s"]);
}
