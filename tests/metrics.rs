//! `camscan::metrics` against the real Prometheus tools: Debian's `promtool check metrics` on the
//! exposition, and a real Prometheus server (Debian's `prometheus`, 2.42 on bookworm) scraping it
//! every second, read back through its HTTP API. Also the endpoint's routes, `forget_*`, that
//! stream labels never carry credentials, and that slow clients cannot hold the server.
//!
//! Addresses: the metrics endpoint on 127.0.0.171 and 127.0.0.173-177 (port 0: the kernel picks;
//! one address per test where a test checks that a port is closed, since another test's bind to
//! port 0 could get the same port), Prometheus's web/API on 127.0.0.172. Every wait is bounded.

// The figures (exposition size, Prometheus's start) go to stderr, shown with --nocapture.
#![allow(clippy::print_stderr)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use camscan::metrics::{DeviceLabels, Limits, Metrics, MetricsServer, StreamLabels};
use camscan::notify::SinkStats;
use serde_json::Value;
use store::{CheckLayer, CheckResult, EventKind};

/// The Accept header Prometheus 2.42 sends when it scrapes.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// A metrics server on its own runtime thread; stopped (and waited for) on drop.
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    done: mpsc::Receiver<std::io::Result<()>>,
}

impl Running {
    fn start(ip: &str, metrics: Metrics, limits: Limits) -> Running {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let bind: SocketAddr = format!("{ip}:0").parse().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = MetricsServer::bind(bind).await.unwrap().with_limits(limits);
                addr_tx.send(server.local_addr().unwrap()).unwrap();
                let _ = done_tx.send(server.run(metrics, stop_rx).await);
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("metrics server did not bind within 10 s");
        Running { addr, stop, done }
    }

    /// Stop it; `run` must return within `within`.
    fn stop(&self, within: Duration) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        self.done
            .recv_timeout(within)
            .expect("metrics server did not stop in time")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = self.done.recv_timeout(Duration::from_secs(5));
    }
}

/// A process we started, killed by its PID on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// An HTTP/1.0 request (so the answer is never chunked and ends with the connection), 10 s at most.
fn request(addr: SocketAddr, method: &str, path: &str, accept: Option<&str>) -> Reply {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{accept}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("no end of head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None)
}

fn device(id: i64, ip: &str, vendor: &str, model: &str) -> DeviceLabels {
    DeviceLabels {
        id,
        key: format!("mac:00:11:22:33:44:{id:02x}"),
        ip: ip.into(),
        vendor: vendor.into(),
        model: model.into(),
    }
}

fn stream(stream_id: i64, device_id: i64, url: &str, protocol: &str) -> StreamLabels {
    StreamLabels {
        stream_id,
        device_id,
        url: url.into(),
        protocol: protocol.into(),
    }
}

fn ok(fps: f64, kbps: f64, first_ms: u64) -> CheckResult {
    CheckResult {
        layer: CheckLayer::Ok,
        error: None,
        first_packet_ms: Some(first_ms),
        fps: Some(fps),
        bitrate_kbps: Some(kbps),
    }
}

/// What a watch of a small site would have recorded: two cameras (one with a hostile vendor
/// string), three streams (one up, one gone down after media failures, one HLS up), two scans,
/// events and two sinks.
fn filled() -> Metrics {
    let m = Metrics::new();
    m.device(&device(1, "127.0.0.131", "Hikvision", "DS-2CD2042WD"), true);
    m.device(
        &device(2, "127.0.0.132", "Acme \"Pro\" \\ Cams", "X\n1"),
        false,
    );
    let a = stream(
        10,
        1,
        "rtsp://127.0.0.131:8554/Streaming/Channels/101",
        "rtsp",
    );
    let b = stream(11, 2, "rtsp://127.0.0.132:8554/live", "rtsp");
    let c = stream(12, 1, "http://127.0.0.131:8080/hls/index.m3u8", "hls");
    m.stream_check(&a, &ok(25.0, 2048.0, 180), true);
    m.stream_check(&a, &ok(24.5, 1900.0, 210), true);
    m.stream_check(&b, &ok(15.0, 512.0, 90), true);
    for _ in 0..3 {
        m.stream_check(
            &b,
            &CheckResult::failed(CheckLayer::Media, "no media within 5 s"),
            false,
        );
    }
    m.stream_check(&c, &ok(30.0, 4000.0, 900), true);
    m.scan_finished(12.5, true, 2, 1024, 3);
    m.scan_finished(40.0, false, 2, 512, 0);
    m.event(EventKind::DeviceNew);
    m.event(EventKind::DeviceNew);
    m.event(EventKind::StreamDown);
    m.sink(
        "stdout",
        &SinkStats {
            delivered: 3,
            failures: 0,
            dropped: 0,
            depth: 0,
        },
    );
    m.sink(
        "webhook=http://127.0.0.1:9/hook?token=s3cret",
        &SinkStats {
            delivered: 1,
            failures: 4,
            dropped: 0,
            depth: 2,
        },
    );
    m
}

/// `promtool check metrics` on `body`: its exit status and everything it printed.
fn promtool(body: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn promtool_finds_no_problems_in_the_exposition() {
    let server = Running::start("127.0.0.171", filled(), Limits::default());
    let r = get(server.addr, "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let (clean, said) = promtool(&r.body);
    assert!(
        clean && said.trim().is_empty(),
        "promtool: {said}\n{}",
        r.body
    );
    for family in [
        "camscan_device_up",
        "camscan_stream_up",
        "camscan_stream_fps",
        "camscan_stream_bitrate_bytes_per_second",
        "camscan_stream_first_packet_seconds",
        "camscan_stream_checks_total",
        "camscan_scan_duration_seconds",
        "camscan_last_scan_timestamp_seconds",
        "camscan_scans_total",
        "camscan_probes_total",
        "camscan_failed_logins_total",
        "camscan_devices",
        "camscan_events_total",
        "camscan_outbox_depth",
        "camscan_notifications_delivered_total",
        "camscan_notification_failures_total",
        "camscan_outbox_dropped_total",
    ] {
        assert!(
            r.body.contains(&format!("# HELP {family} ")),
            "no HELP for {family}:\n{}",
            r.body
        );
    }
    assert!(!r.body.contains("s3cret"));

    // The same metrics as OpenMetrics, for a scraper that asks.
    let om = request(server.addr, "GET", "/metrics", Some(PROMETHEUS_ACCEPT));
    assert_eq!(
        om.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(om.body.ends_with("# EOF\n"));
    assert!(
        om.body
            .contains("# UNIT camscan_stream_first_packet_seconds seconds\n")
    );
    server.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn promtool_passes_a_site_of_100_streams() {
    let m = Metrics::new();
    for d in 0..25 {
        m.device(
            &device(d, &format!("10.0.0.{d}"), "Dahua", "IPC-HDW2431T"),
            d % 5 != 0,
        );
        for s in 0..4 {
            let id = d * 4 + s;
            let st = stream(
                id,
                d,
                &format!("rtsp://10.0.0.{d}:554/cam/realmonitor?channel=1&subtype={s}"),
                "rtsp",
            );
            if id % 7 == 0 {
                m.stream_check(
                    &st,
                    &CheckResult::failed(CheckLayer::Host, "no route"),
                    false,
                );
            } else {
                m.stream_check(&st, &ok(25.0, 4096.0, 300), true);
            }
        }
    }
    m.scan_finished(95.0, true, 25, 65536, 12);
    let server = Running::start("127.0.0.174", m, Limits::default());
    let classic = get(server.addr, "/metrics");
    let om = request(server.addr, "GET", "/metrics", Some(PROMETHEUS_ACCEPT));
    eprintln!(
        "100 streams, 25 devices: /metrics {} bytes classic, {} bytes OpenMetrics, {} samples",
        classic.body.len(),
        om.body.len(),
        classic.body.lines().filter(|l| !l.starts_with('#')).count()
    );
    let (clean, said) = promtool(&classic.body);
    assert!(clean && said.trim().is_empty(), "promtool: {said}");
}

#[test]
fn endpoint_routes() {
    let server = Running::start("127.0.0.176", filled(), Limits::default());
    let root = get(server.addr, "/");
    assert_eq!(root.status, 200);
    assert!(root.body.contains("/metrics"), "{}", root.body);
    assert_eq!(root.body.lines().count(), 1);
    assert_eq!(get(server.addr, "/metricsx").status, 404);
    assert_eq!(get(server.addr, "/api/v1/devices").status, 404);
    assert_eq!(request(server.addr, "POST", "/metrics", None).status, 405);
    let head = request(server.addr, "HEAD", "/metrics", None);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // Stopping ends `run` and the listener with it: no socket of this process listens there any
    // more. (A connect alone cannot tell: once the port is free, any other process's wildcard
    // bind to port 0 may be given it, as happened once in CI.)
    assert!(
        listening_here(server.addr),
        "the check must see the live listener"
    );
    server.stop(Duration::from_secs(5)).unwrap();
    assert!(!listening_here(server.addr));
}

/// Whether a socket of this process is listening on `addr` (IPv4): the inodes of the LISTEN
/// sockets on `addr` in /proc/net/tcp, matched against this process's open descriptors.
fn listening_here(addr: SocketAddr) -> bool {
    let SocketAddr::V4(v4) = addr else {
        panic!("IPv4 only: {addr}")
    };
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(v4.ip().octets()),
        v4.port()
    );
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            (cols.len() > 9 && cols[1] == local && cols[3] == "0A").then(|| cols[9].to_string())
        })
        .collect();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .any(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|target| {
                let target = target.to_string_lossy();
                inodes.iter().any(|i| target == format!("socket:[{i}]"))
            })
        })
}

#[test]
fn a_taken_address_is_a_bind_error_naming_it() {
    let taken = TcpListener::bind("127.0.0.177:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let err = rt
        .block_on(camscan::metrics::serve(addr, Metrics::new(), rx))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn forget_removes_the_series_and_labels_never_carry_userinfo() {
    let m = filled();
    m.stream_check(
        &stream(
            20,
            1,
            "rtsp://admin:hunter2@127.0.0.131:8554/Streaming/Channels/201",
            "rtsp",
        ),
        &ok(12.0, 300.0, 100),
        true,
    );
    let server = Running::start("127.0.0.175", m.clone(), Limits::default());
    let body = get(server.addr, "/metrics").body;
    assert!(
        !body.contains("hunter2") && !body.contains("admin"),
        "{body}"
    );
    assert!(body.contains(
        r#"camscan_stream_up{stream_id="20",device_id="1",url="rtsp://127.0.0.131:8554/Streaming/Channels/201",protocol="rtsp"} 1"#
    ), "{body}");

    m.forget_stream(11);
    let body = get(server.addr, "/metrics").body;
    assert!(!body.contains("stream_id=\"11\""), "{body}");
    assert!(body.contains("stream_id=\"10\""));

    // A device goes with its streams.
    m.forget_device(1);
    let body = get(server.addr, "/metrics").body;
    for gone in [
        "device_id=\"1\"",
        "stream_id=\"10\"",
        "stream_id=\"12\"",
        "stream_id=\"20\"",
    ] {
        assert!(!body.contains(gone), "{gone} still there:\n{body}");
    }
    assert!(body.contains("camscan_device_up{device_id=\"2\""), "{body}");
    let (clean, said) = promtool(&body);
    assert!(clean && said.trim().is_empty(), "promtool: {said}");
}

/// Wait until `ready` says so (or `limit` passes); how long it took.
fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// GET `path` of the Prometheus HTTP API as JSON; `None` until it answers.
fn api(addr: SocketAddr, path: &str) -> Option<Value> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

/// `/api/v1/query` of `promql`: the result vector.
fn query(addr: SocketAddr, promql: &str) -> Vec<Value> {
    let q: String = url::form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    api(addr, &format!("/api/v1/query?query={q}"))
        .and_then(|v| v["data"]["result"].as_array().cloned())
        .unwrap_or_default()
}

fn free_port(ip: &str) -> u16 {
    TcpListener::bind(format!("{ip}:0"))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

/// Prometheus 2.42 here is ready 0.2 s after it starts; the first scrape follows about 5 s later
/// (its discovery manager passes targets on at most every 5 s), so the series appear after ~5.5 s.
#[test]
fn prometheus_scrapes_the_endpoint() {
    let server = Running::start("127.0.0.171", filled(), Limits::default());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: camscan\n    static_configs:\n      - targets: ['{}']\n",
            server.addr
        ),
    )
    .unwrap();
    let web: SocketAddr = format!("127.0.0.172:{}", free_port("127.0.0.172"))
        .parse()
        .unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let started = Instant::now();
    let _prometheus = Proc(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus (Debian package `prometheus`; scripts/test installs it)"),
    );
    let prometheus_log =
        || std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();

    let up = wait_for(Duration::from_secs(30), || {
        query(web, "up{job=\"camscan\"}")
            .first()
            .is_some_and(|s| value(s) == 1.0)
    });
    let Some(_) = up else {
        panic!(
            "Prometheus did not scrape camscan within 30 s:\n{}",
            prometheus_log()
        );
    };
    let series = wait_for(Duration::from_secs(30), || {
        query(web, "camscan_stream_up").len() == 3
    });
    assert!(
        series.is_some(),
        "no camscan_stream_up series:\n{}",
        prometheus_log()
    );
    eprintln!(
        "Prometheus: started to up==1 and series in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut streams = query(web, "camscan_stream_up");
    streams.sort_by_key(|s| s["metric"]["stream_id"].as_str().unwrap().to_string());
    let m = &streams[0]["metric"];
    assert_eq!(m["job"], "camscan");
    assert_eq!(m["instance"], server.addr.to_string());
    assert_eq!(m["stream_id"], "10");
    assert_eq!(m["device_id"], "1");
    assert_eq!(m["url"], "rtsp://127.0.0.131:8554/Streaming/Channels/101");
    assert_eq!(m["protocol"], "rtsp");
    assert_eq!(value(&streams[0]), 1.0);
    assert_eq!(streams[1]["metric"]["stream_id"], "11");
    assert_eq!(value(&streams[1]), 0.0);
    assert_eq!(streams[2]["metric"]["protocol"], "hls");

    let one = |q: &str| -> f64 {
        let r = query(web, q);
        assert_eq!(r.len(), 1, "{q}: {r:?}");
        value(&r[0])
    };
    assert_eq!(one("camscan_stream_fps{stream_id=\"10\"}"), 24.5);
    assert_eq!(
        one("camscan_stream_bitrate_bytes_per_second{stream_id=\"10\"}"),
        237_500.0
    );
    assert_eq!(
        one("camscan_stream_first_packet_seconds{stream_id=\"12\"}"),
        0.9
    );
    // The down stream's last check measured nothing.
    assert!(query(web, "camscan_stream_fps{stream_id=\"11\"}").is_empty());
    assert_eq!(
        one("camscan_stream_checks_total{stream_id=\"11\",result=\"media\"}"),
        3.0
    );
    assert_eq!(
        one("camscan_stream_checks_total{stream_id=\"11\",result=\"ok\"}"),
        1.0
    );
    assert_eq!(
        one("camscan_stream_checks_total{stream_id=\"11\",result=\"auth\"}"),
        0.0
    );
    assert_eq!(one("camscan_scans_total{complete=\"true\"}"), 1.0);
    assert_eq!(one("camscan_scans_total{complete=\"false\"}"), 1.0);
    assert_eq!(one("camscan_scan_duration_seconds_count"), 2.0);
    assert_eq!(one("camscan_scan_duration_seconds_sum"), 52.5);
    assert_eq!(
        one("camscan_scan_duration_seconds_bucket{le=\"30.0\"}"),
        1.0
    );
    assert_eq!(one("camscan_probes_total"), 1536.0);
    assert_eq!(one("camscan_failed_logins_total"), 3.0);
    assert_eq!(one("camscan_devices"), 2.0);
    assert_eq!(one("camscan_events_total{kind=\"device_new\"}"), 2.0);
    assert_eq!(one("camscan_events_total{kind=\"port_opened\"}"), 0.0);
    assert_eq!(
        one("camscan_outbox_depth{sink=\"webhook=http://127.0.0.1:9/hook\"}"),
        2.0
    );
    assert_eq!(
        one("camscan_notification_failures_total{sink=\"webhook=http://127.0.0.1:9/hook\"}"),
        4.0
    );
    assert_eq!(
        one("camscan_notifications_delivered_total{sink=\"stdout\"}"),
        3.0
    );
    assert!(one("time() - camscan_last_scan_timestamp_seconds") < 300.0);

    // Label values with quotes, a backslash and a newline arrive as they were sent.
    let offline = query(web, "camscan_device_up == 0");
    assert_eq!(offline.len(), 1, "{offline:?}");
    assert_eq!(offline[0]["metric"]["vendor"], "Acme \"Pro\" \\ Cams");
    assert_eq!(offline[0]["metric"]["model"], "X\\u{a}1");
    assert_eq!(offline[0]["metric"]["device_id"], "2");

    // Prometheus read the OpenMetrics text (it asks for it): only that format carries units.
    let unit = wait_for(Duration::from_secs(10), || {
        api(
            web,
            "/api/v1/metadata?metric=camscan_stream_first_packet_seconds",
        )
        .is_some_and(|v| v["data"]["camscan_stream_first_packet_seconds"][0]["unit"] == "seconds")
    });
    assert!(unit.is_some(), "no unit in Prometheus's metadata");
    let scans = api(web, "/api/v1/metadata?metric=camscan_scans").unwrap();
    assert_eq!(
        scans["data"]["camscan_scans"][0]["type"], "counter",
        "{scans}"
    );

    // No scrape errors over the run.
    let targets = api(web, "/api/v1/targets").unwrap();
    let t = &targets["data"]["activeTargets"][0];
    assert_eq!(t["health"], "up", "{t}");
    assert_eq!(t["lastError"], "", "{t}");
}

#[test]
fn slow_clients_cannot_hold_the_server() {
    let limits = Limits {
        header_read: Duration::from_secs(1),
        // Longer than every wait below: what lets the clients go is the header deadline.
        connection: Duration::from_secs(30),
        max_connections: 2,
        grace: Duration::from_millis(500),
    };
    let server = Running::start("127.0.0.173", filled(), limits);
    // Two clients that send half a request line and then nothing.
    let mut slow: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).unwrap();
            s.write_all(b"GET /metr").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // Both slots are taken: a third connection is closed without an answer.
    let mut third = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = third.write_all(b"GET /metrics HTTP/1.0\r\n\r\n");
    let mut buf = Vec::new();
    let _ = third.read_to_end(&mut buf);
    assert!(
        buf.is_empty(),
        "answered past the cap: {}",
        String::from_utf8_lossy(&buf)
    );

    // The header deadline closes the slow ones (hyper answers 408 or just closes).
    let start = Instant::now();
    for s in &mut slow {
        let mut rest = Vec::new();
        let r = s.read_to_end(&mut rest);
        let closed = match &r {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "slow client still connected: {r:?}");
        let text = String::from_utf8_lossy(&rest);
        assert!(!text.contains("200 OK"), "{text}");
    }
    assert!(
        start.elapsed() < Duration::from_secs(9),
        "slow clients held on"
    );
    assert_eq!(get(server.addr, "/metrics").status, 200);

    // A kept-alive connection that stops sending is let go too.
    let mut idle = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    let start = Instant::now();
    let r = idle.read_to_end(&mut all);
    assert!(r.is_ok(), "idle keep-alive connection not closed: {r:?}");
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
    assert!(start.elapsed() < Duration::from_secs(9));
    server.stop(Duration::from_secs(5)).unwrap();
}
