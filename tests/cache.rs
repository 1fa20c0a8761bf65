//! Caching on real servers: a scan that knows what worked last time ([`Known`], built here from
//! the first scan's report as the store builds it from its database) re-checks an unchanged device
//! with a fraction of the requests and no failed login, and still finds a changed one fully.
//!
//! GStreamer's RTSP server (tests/servers/rtsp_server.py) plays a two-channel Hikvision-style NVR
//! behind Digest auth, in four versions: as first scanned, with its password changed, with a known
//! path gone, and with a third channel added. The media lab's nginx serves live HLS. Every server
//! is reached through a counting proxy of ours on the device's address, which forwards bytes as
//! they are and counts the requests (RTSP and HTTP) it sees; failed logins are the server's own
//! `AUTHFAIL` lines. The scans run through the library (`scan::pipeline`) with the map in the
//! context, as `camscan scan` runs them with the store's. Addresses 127.0.0.141-149; needs root
//! (port 80) and the lab packages (`scripts/test` installs them).

// The figures of each scan go to stderr (`--nocapture`): the table in docs/guide/scanning.md ("Rescans") comes from them.
#![allow(clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use analyze::context::{Known, known_from_report};
use camscan::discovery::DiscoveryMethod;
use camscan::scan::ScanConfig;
use camscan::scan::plan::ScanPlan;
use credentials::Credential;
use model::{Report, StreamStatus};
use serde_json::json;

/// The NVR as first scanned (and unchanged), and the device addresses of the scenarios.
const NVR: &str = "127.0.0.141";
const NVR_BACK: &str = "127.0.0.142";
const NEW_PASSWORD: &str = "127.0.0.143";
const NEW_PASSWORD_BACK: &str = "127.0.0.144";
const PATH_GONE: &str = "127.0.0.145";
const PATH_GONE_BACK: &str = "127.0.0.146";
const NEW_CHANNEL: &str = "127.0.0.147";
const NEW_CHANNEL_BACK: &str = "127.0.0.148";
const HLS_BACK: &str = "127.0.0.149";
const RTSP_PORT: u16 = 8554;
/// A second camera on the NVR's addresses: shared media, look-ahead encoders, Basic auth.
const SHARED_PORT: u16 = 8555;

/// Requests a proxy saw, by method.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<BTreeMap<String, usize>>>);

impl Counter {
    fn snapshot(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap().clone()
    }
}

fn total(m: &BTreeMap<String, usize>) -> usize {
    m.values().sum()
}

fn delta(
    after: &BTreeMap<String, usize>,
    before: &BTreeMap<String, usize>,
) -> BTreeMap<String, usize> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// A TCP proxy from `front` to `back` that counts the requests clients send (RTSP or HTTP heads;
/// RTSP interleaved frames are skipped) and forwards every byte unchanged, both ways.
fn proxy(front: &str, port: u16, back: &str, back_port: u16) -> Counter {
    let listener =
        TcpListener::bind((front, port)).unwrap_or_else(|e| panic!("{front}:{port}: {e}"));
    let back: SocketAddr = format!("{back}:{back_port}").parse().unwrap();
    let counter = Counter::default();
    let counts = counter.0.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(100_000) {
            let Ok(client) = conn else { continue };
            let Ok(server) = TcpStream::connect_timeout(&back, Duration::from_secs(5)) else {
                continue; // the client sees its connection closed
            };
            let (Ok(mut client_w), Ok(mut server_r)) = (client.try_clone(), server.try_clone())
            else {
                continue;
            };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_r, &mut client_w);
                let _ = client_w.shutdown(std::net::Shutdown::Both);
            });
            let counts = counts.clone();
            std::thread::spawn(move || {
                let (mut client, mut server) = (client, server);
                let mut buf = Vec::new();
                let mut conn = Conn::default();
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    let n = match client.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if server.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    count_requests(&mut buf, &mut conn, &counts);
                }
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    counter
}

/// What one connection sent so far.
#[derive(Default)]
struct Conn {
    describes: usize,
    /// A media session (it sent SETUP): its DESCRIBEs are counted as [`MEDIA_DESCRIBE`].
    media: bool,
}

/// DESCRIBEs of the connections that went on to SETUP: the media sessions of step 4 (media facts
/// and the PLAY check), as opposed to the path finding's on connections that never PLAY. The PLAY
/// check goes on the connection whose DESCRIBE found the stream, so a path walk's DESCRIBEs on
/// that connection count here too.
const MEDIA_DESCRIBE: &str = "DESCRIBE (media session)";

/// Count the whole requests at the start of `buf` and drop them from it.
fn count_requests(buf: &mut Vec<u8>, conn: &mut Conn, counts: &Mutex<BTreeMap<String, usize>>) {
    loop {
        if buf.first() == Some(&b'$') {
            // RTSP interleaved frame: '$', channel, 16-bit length.
            if buf.len() < 4 {
                return;
            }
            let n = 4 + usize::from(u16::from_be_bytes([buf[2], buf[3]]));
            if buf.len() < n {
                return;
            }
            buf.drain(..n);
            continue;
        }
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        if buf.len() < end + 4 + length {
            return;
        }
        let method = head.split_whitespace().next().unwrap_or("?").to_string();
        let mut counts = counts.lock().unwrap();
        if method == "SETUP" && !conn.media {
            conn.media = true;
            *counts.entry("DESCRIBE".into()).or_default() -= conn.describes;
            *counts.entry(MEDIA_DESCRIBE.into()).or_default() += conn.describes;
        }
        let method = match method.as_str() {
            "DESCRIBE" if conn.media => MEDIA_DESCRIBE.to_string(),
            "DESCRIBE" => {
                conn.describes += 1;
                method
            }
            _ => method,
        };
        *counts.entry(method).or_default() += 1;
        drop(counts);
        buf.drain(..end + 4 + length);
    }
}

struct Lab {
    rtsp: common::Server,
    _hls: common::Server,
    nvr_rtsp: Counter,
    nvr_http: Counter,
    new_password: Counter,
    path_gone: Counter,
    new_channel: Counter,
    shared: Counter,
}

fn mount(path: &str, w: u32, h: u32) -> serde_json::Value {
    json!({"path": path,
           "video": {"codec": "h264", "width": w, "height": h, "fps": 10, "profile": "main"},
           "audio": null})
}

/// Channel `ch` of the NVR: main and sub stream.
fn channel(ch: u32) -> [serde_json::Value; 2] {
    [
        mount(&format!("/Streaming/Channels/{ch}01"), 320, 240),
        mount(&format!("/Streaming/Channels/{ch}02"), 160, 120),
    ]
}

fn nvr(address: &str, password: &str, mounts: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"address": address, "port": RTSP_PORT,
           "auth": {"method": "digest", "user": "admin", "password": password},
           "mounts": mounts})
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(
            common::is_root(),
            "cache needs root (port 80): run scripts/test"
        );
        let two: Vec<_> = channel(1).into_iter().chain(channel(2)).collect();
        let mut gone = two.clone();
        gone.pop(); // /Streaming/Channels/202
        let mut three = two.clone();
        three.extend(channel(3));
        let rtsp = common::rtsp_servers(&json!([
            nvr(NVR_BACK, "secret", two.clone()),
            nvr(NEW_PASSWORD_BACK, "changed", two),
            nvr(PATH_GONE_BACK, "secret", gone),
            nvr(NEW_CHANNEL_BACK, "secret", three),
            {"address": NVR_BACK, "port": SHARED_PORT, "shared": true,
             "auth": {"method": "basic", "user": "admin", "password": "secret"}, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 25,
                           "profile": "main", "bframes": 2}, "audio": null},
                {"path": "/Streaming/Channels/102",
                 "video": {"codec": "h264", "width": 320, "height": 240, "fps": 15,
                           "profile": "main", "bframes": 2}, "audio": null}]},
        ]));
        let bind = format!("hls={HLS_BACK}");
        let hls = common::media_lab(
            &["--only", "hls", "--bind", &bind, "--timeout", "60"],
            Duration::from_secs(90),
        );
        Lab {
            rtsp,
            _hls: hls,
            nvr_rtsp: proxy(NVR, RTSP_PORT, NVR_BACK, RTSP_PORT),
            nvr_http: proxy(NVR, 80, HLS_BACK, 80),
            new_password: proxy(NEW_PASSWORD, RTSP_PORT, NEW_PASSWORD_BACK, RTSP_PORT),
            path_gone: proxy(PATH_GONE, RTSP_PORT, PATH_GONE_BACK, RTSP_PORT),
            new_channel: proxy(NEW_CHANNEL, RTSP_PORT, NEW_CHANNEL_BACK, RTSP_PORT),
            shared: proxy(NVR, SHARED_PORT, NVR_BACK, SHARED_PORT),
        }
    })
}

/// Failed logins the server behind `back` counted so far.
fn auth_failures(back: &str) -> usize {
    auth_failures_on(back, RTSP_PORT)
}

fn auth_failures_on(back: &str, port: u16) -> usize {
    // The server's stdout is read by a thread: give it a moment to catch up.
    std::thread::sleep(Duration::from_millis(300));
    let label = format!("AUTHFAIL {back}:{port}");
    lab()
        .rtsp
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| **l == label)
        .count()
}

/// Wrong entries before the right one.
fn creds() -> Vec<Credential> {
    vec![
        Credential::new("root", "12345"),
        Credential::new("guest", "guest"),
        Credential::new("admin", "secret"),
    ]
}

/// Scan `target` on `ports` through the library, knowing `known`; the report and its wall time.
fn scan(
    target: &str,
    ports: &[u16],
    creds: Vec<Credential>,
    known: HashMap<IpAddr, Known>,
) -> (Report, Duration) {
    let mut cfg = ScanConfig {
        targets: vec![target.to_string()],
        ports: ports.to_vec(),
        credentials: creds,
        ..ScanConfig::default()
    };
    cfg.settings.set(
        &camscan::discovery::DISCOVERY,
        vec![DiscoveryMethod::Port].into(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        // The stack camscan's own scan runtime gives a port's analysis (one deep future).
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .unwrap();
    rt.block_on(async move {
        let started = Instant::now();
        let plan = ScanPlan::build(&cfg).await.unwrap();
        let ctx = plan.context(&cfg, known);
        let scanned =
            camscan::scan::pipeline(plan, ctx, camscan::scan::Progress::Quiet, None).await;
        (scanned.report, started.elapsed())
    })
}

/// The streams of a report: URL -> (status, width, height).
fn streams(r: &Report) -> BTreeMap<String, (StreamStatus, Option<u32>, Option<u32>)> {
    r.devices
        .iter()
        .flat_map(|d| &d.streams)
        .map(|s| {
            let v = s.video.as_ref();
            (
                s.url.clone(),
                (s.status, v.and_then(|v| v.width), v.and_then(|v| v.height)),
            )
        })
        .collect()
}

/// The services of a report: (port, protocol, auth, server).
fn services(r: &Report) -> BTreeSet<String> {
    r.devices
        .iter()
        .flat_map(|d| &d.services)
        .map(|s| format!("{} {:?} {:?} {:?}", s.port, s.protocol, s.auth, s.server))
        .collect()
}

fn rtsp_urls(host: &str, paths: &[&str]) -> BTreeSet<String> {
    rtsp_urls_on(host, RTSP_PORT, paths)
}

fn rtsp_urls_on(host: &str, port: u16, paths: &[&str]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| format!("rtsp://{host}:{port}{p}"))
        .collect()
}

const TWO_CHANNELS: [&str; 4] = [
    "/Streaming/Channels/101",
    "/Streaming/Channels/102",
    "/Streaming/Channels/201",
    "/Streaming/Channels/202",
];

/// The first scan of the NVR (RTSP and HLS), knowing nothing: its report, what it cost, and the
/// map a rescan starts from.
struct First {
    report: Report,
    rtsp: BTreeMap<String, usize>,
    http: BTreeMap<String, usize>,
    failed_logins: usize,
    took: Duration,
    known: HashMap<IpAddr, Known>,
}

fn first() -> &'static First {
    static FIRST: OnceLock<First> = OnceLock::new();
    FIRST.get_or_init(|| {
        let lab = lab();
        let (rtsp0, http0) = (lab.nvr_rtsp.snapshot(), lab.nvr_http.snapshot());
        let fails0 = auth_failures(NVR_BACK);
        let (report, took) = scan(NVR, &[RTSP_PORT, 80], creds(), HashMap::new());
        let known = known_from_report(&report, &creds());
        First {
            rtsp: delta(&lab.nvr_rtsp.snapshot(), &rtsp0),
            http: delta(&lab.nvr_http.snapshot(), &http0),
            failed_logins: auth_failures(NVR_BACK) - fails0,
            report,
            took,
            known,
        }
    })
}

/// What the first scan of the NVR knew, as known at `ip` (the same device under test elsewhere).
fn known_at(ip: &str) -> HashMap<IpAddr, Known> {
    let nvr: IpAddr = NVR.parse().unwrap();
    let k = first().known.get(&nvr).expect("the NVR is known").clone();
    HashMap::from([(ip.parse().unwrap(), k)])
}

/// Scans of one server at a time: the counts are each scan's own.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn an_unchanged_device_is_rechecked_with_few_requests_and_no_failed_login() {
    let _one = one_at_a_time();
    let lab = lab();
    let first = first();
    // The map the first scan makes: its four RTSP paths, its HLS playlists, the credential.
    let nvr: IpAddr = NVR.parse().unwrap();
    let k = &first.known[&nvr];
    assert_eq!(
        k.rtsp_paths.get(&RTSP_PORT).cloned().unwrap_or_default(),
        TWO_CHANNELS.map(String::from).to_vec()
    );
    let http = k.http_paths.get(&80).cloned().unwrap_or_default();
    assert!(http.contains(&"/hls/cam.m3u8".to_string()), "{http:?}");
    assert_eq!(k.credential, Some(Credential::new("admin", "secret")));
    let before = streams(&first.report);
    let found: BTreeSet<String> = before
        .keys()
        .filter(|u| u.starts_with("rtsp:"))
        .cloned()
        .collect();
    assert_eq!(found, rtsp_urls(NVR, &TWO_CHANNELS), "{before:#?}");
    assert!(
        before.values().all(|(st, ..)| *st == StreamStatus::Ok),
        "{before:#?}"
    );
    assert_eq!(
        first.failed_logins, 2,
        "root and guest were tried before admin"
    );

    let (rtsp0, http0) = (lab.nvr_rtsp.snapshot(), lab.nvr_http.snapshot());
    let fails0 = auth_failures(NVR_BACK);
    let (report, took) = scan(NVR, &[RTSP_PORT, 80], creds(), first.known.clone());
    let rtsp = delta(&lab.nvr_rtsp.snapshot(), &rtsp0);
    let http = delta(&lab.nvr_http.snapshot(), &http0);
    let failed = auth_failures(NVR_BACK) - fails0;
    eprintln!(
        "first scan: RTSP {:?} ({} requests), HTTP {:?} ({} requests), {} failed logins, {:?}",
        first.rtsp,
        total(&first.rtsp),
        first.http,
        total(&first.http),
        first.failed_logins,
        first.took
    );
    eprintln!(
        "rescan:     RTSP {rtsp:?} ({} requests), HTTP {http:?} ({} requests), {failed} failed logins, {took:?}",
        total(&rtsp),
        total(&http)
    );
    // The same streams, with the same facts and status, and the same services.
    assert_eq!(streams(&report), before);
    assert_eq!(services(&report), services(&first.report));
    let finding = |m: &BTreeMap<String, usize>| m.get("DESCRIBE").copied().unwrap_or(0);
    let media = |m: &BTreeMap<String, usize>| m.get(MEDIA_DESCRIBE).copied().unwrap_or(0);
    // Path finding: the dictionary, login trials and channel walk against the first known path
    // (its Digest challenge, then the credential) and a look at the next channel on the same
    // connection. The other known paths are re-checked by their media sessions alone.
    assert!(
        finding(&first.rtsp) >= 5 * finding(&rtsp),
        "first {} DESCRIBEs finding paths, rescan {}",
        finding(&first.rtsp),
        finding(&rtsp)
    );
    assert!(finding(&rtsp) <= 3, "{rtsp:?}");
    // All DESCRIBEs, the media sessions' included (each asks without credentials, then with).
    assert!(
        finding(&first.rtsp) + media(&first.rtsp) >= 5 * (finding(&rtsp) + media(&rtsp)),
        "first {:?}, rescan {rtsp:?}",
        first.rtsp
    );
    // The media sessions are the same on both scans: every stream is set up and PLAYed (on the
    // first scan on the connections whose DESCRIBEs found the paths, whose DESCRIBEs therefore
    // count as a media session's).
    assert_eq!(rtsp.get("SETUP"), first.rtsp.get("SETUP"));
    assert_eq!(rtsp.get("PLAY"), first.rtsp.get("PLAY"));
    assert_eq!(failed, 0, "no failed login on the rescan");
    assert!(
        total(&http) < total(&first.http),
        "first {:?}, rescan {http:?}",
        first.http
    );
}

#[test]
fn a_changed_password_costs_one_failed_login_and_the_new_one_is_found() {
    let _one = one_at_a_time();
    let lab = lab();
    let known = known_at(NEW_PASSWORD);
    // The credential that worked is now refused; the new one comes after a wrong one. Budget 3:
    // the known one refused (1), root refused (2), then the new one. Were the refused known
    // credential tried again, the budget would be spent before the new password.
    let creds = vec![
        Credential::new("root", "12345"),
        Credential::new("admin", "secret"),
        Credential::new("admin", "changed"),
    ];
    let before = lab.new_password.snapshot();
    let (report, _) = scan(NEW_PASSWORD, &[RTSP_PORT], creds, known);
    let got = streams(&report);
    let urls: BTreeSet<String> = got.keys().cloned().collect();
    assert_eq!(urls, rtsp_urls(NEW_PASSWORD, &TWO_CHANNELS), "{got:#?}");
    assert!(
        got.values().all(|(st, ..)| *st == StreamStatus::Ok),
        "{got:#?}"
    );
    assert_eq!(
        auth_failures(NEW_PASSWORD_BACK),
        2,
        "the known credential is refused once"
    );
    let d = report
        .devices
        .iter()
        .flat_map(|d| &d.streams)
        .next()
        .unwrap();
    assert_eq!(d.username.as_deref(), Some("admin"));
    eprintln!(
        "new password: RTSP {:?}",
        delta(&lab.new_password.snapshot(), &before)
    );
}

#[test]
fn a_known_path_gone_brings_the_full_analysis() {
    let _one = one_at_a_time();
    let lab = lab();
    let before = lab.path_gone.snapshot();
    let (report, _) = scan(PATH_GONE, &[RTSP_PORT], creds(), known_at(PATH_GONE));
    let got = streams(&report);
    let urls: BTreeSet<String> = got.keys().cloned().collect();
    assert_eq!(urls, rtsp_urls(PATH_GONE, &TWO_CHANNELS[..3]), "{got:#?}");
    assert!(
        got.values().all(|(st, ..)| *st == StreamStatus::Ok),
        "{got:#?}"
    );
    // The credential worked on the known paths: the full analysis sends it alone.
    assert_eq!(auth_failures(PATH_GONE_BACK), 0);
    let rtsp = delta(&lab.path_gone.snapshot(), &before);
    let first = first().rtsp.get("DESCRIBE").copied().unwrap_or(0);
    // The dictionary was walked again (a full analysis, not the few requests of a recheck).
    assert!(
        rtsp.get("DESCRIBE").copied().unwrap_or(0) * 2 > first,
        "{rtsp:?}, first {first}"
    );
    eprintln!("path gone: RTSP {rtsp:?}");
}

#[test]
fn a_new_channel_is_found() {
    let _one = one_at_a_time();
    let lab = lab();
    let before = lab.new_channel.snapshot();
    let (report, _) = scan(NEW_CHANNEL, &[RTSP_PORT], creds(), known_at(NEW_CHANNEL));
    let got = streams(&report);
    let urls: BTreeSet<String> = got.keys().cloned().collect();
    let mut all = TWO_CHANNELS.to_vec();
    all.extend(["/Streaming/Channels/301", "/Streaming/Channels/302"]);
    assert_eq!(urls, rtsp_urls(NEW_CHANNEL, &all), "{got:#?}");
    assert!(
        got.values().all(|(st, ..)| *st == StreamStatus::Ok),
        "{got:#?}"
    );
    assert_eq!(auth_failures(NEW_CHANNEL_BACK), 0);
    eprintln!(
        "new channel: RTSP {:?}",
        delta(&lab.new_channel.snapshot(), &before)
    );
}

#[test]
fn a_known_http_path_gone_brings_the_dictionary_back() {
    let _one = one_at_a_time();
    let lab = lab();
    let first = first();
    // Known: a playlist the server no longer has, beside one it still serves.
    let k = Known {
        http_paths: BTreeMap::from([(
            80,
            vec!["/hls/gone.m3u8".to_string(), "/hls/cam.m3u8".to_string()],
        )]),
        ..Known::default()
    };
    let before = lab.nvr_http.snapshot();
    let (report, _) = scan(
        NVR,
        &[80],
        creds(),
        HashMap::from([(NVR.parse().unwrap(), k)]),
    );
    let http = delta(&lab.nvr_http.snapshot(), &before);
    let got = streams(&report);
    let want: BTreeMap<_, _> = streams(&first.report)
        .into_iter()
        .filter(|(u, _)| u.starts_with("http:"))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "every HLS stream of the first scan, found again");
    // The dictionary and the media folders were asked again.
    assert!(
        total(&http) > total(&first.http),
        "{http:?}, first {:?}",
        first.http
    );
    eprintln!("http path gone: HTTP {http:?}");
}

/// Shared media with look-ahead encoders, as deployments run GStreamer: a stream is prepared for
/// its first client and torn down after its last (503 meanwhile), and each preparation takes the
/// encoder's look-ahead. The recheck leaves no connection holding a stream, so every media session
/// may meet the teardown: each stream must still be verified, and measured as on the first scan.
#[test]
fn a_shared_media_camera_is_rechecked_and_every_stream_verified() {
    let _one = one_at_a_time();
    let lab = lab();
    let c0 = lab.shared.snapshot();
    let f0 = auth_failures_on(NVR_BACK, SHARED_PORT);
    let (first, first_took) = scan(NVR, &[SHARED_PORT], creds(), HashMap::new());
    let c1 = lab.shared.snapshot();
    let f1 = auth_failures_on(NVR_BACK, SHARED_PORT);
    let known = known_from_report(&first, &creds());
    let (again, took) = scan(NVR, &[SHARED_PORT], creds(), known);
    let c2 = lab.shared.snapshot();
    let f2 = auth_failures_on(NVR_BACK, SHARED_PORT);
    let (first_counts, counts) = (delta(&c1, &c0), delta(&c2, &c1));
    eprintln!(
        "shared media, first scan: RTSP {first_counts:?}, {} failed logins, {first_took:?}",
        f1 - f0
    );
    eprintln!(
        "shared media, rescan:     RTSP {counts:?}, {} failed logins, {took:?}",
        f2 - f1
    );
    let urls = rtsp_urls_on(NVR, SHARED_PORT, &TWO_CHANNELS[..2]);
    for r in [&first, &again] {
        let got: BTreeSet<String> = streams(r).into_keys().collect();
        assert_eq!(got, urls);
        for s in r.devices.iter().flat_map(|d| &d.streams) {
            assert_eq!(s.status, StreamStatus::Ok, "{s:#?}");
            assert!(s.verified, "{} verified: {:#?}", s.url, r.devices[0].errors);
            assert!(s.measured.as_ref().is_some_and(|m| m.keyframe), "{s:#?}");
        }
    }
    assert_eq!(streams(&again), streams(&first));
    assert_eq!(f2 - f1, 0, "no failed login on the rescan");
    let finding = |m: &BTreeMap<String, usize>| m.get("DESCRIBE").copied().unwrap_or(0);
    let media = |m: &BTreeMap<String, usize>| m.get(MEDIA_DESCRIBE).copied().unwrap_or(0);
    assert!(
        finding(&first_counts) + media(&first_counts) >= 5 * (finding(&counts) + media(&counts)),
        "{first_counts:?} / {counts:?}"
    );
}

/// Through `camscan scan` and its inventory, with several passwords for one user name (as a
/// technician's file has them): the store keeps the keyed hash of the entry that worked, so the
/// rescan tries that one and no other.
#[test]
fn the_inventory_remembers_which_of_one_users_passwords_worked() {
    let _one = one_at_a_time();
    lab();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:12345\nadmin:admin\nadmin:secret\n").unwrap();
    let scan = || {
        let fails = auth_failures(NVR_BACK);
        let out = common::run(
            common::camscan_with_db(&db)
                .env("CAMSCAN_LOG", "info")
                .args(["scan", NVR, "-p", &RTSP_PORT.to_string(), "-f", "json"])
                .arg("--credentials")
                .arg(&creds),
            Duration::from_secs(120),
        );
        let report: Report = serde_json::from_str(&common::stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
        (
            report,
            common::stderr(&out),
            auth_failures(NVR_BACK) - fails,
        )
    };
    let (first, _, first_fails) = scan();
    assert_eq!(
        first_fails, 2,
        "admin:12345 and admin:admin before admin:secret"
    );
    let (again, log, fails) = scan();
    assert!(log.contains("device unchanged"), "{log}");
    assert_eq!(fails, 0, "the rescan sent admin:secret only");
    assert_eq!(streams(&again), streams(&first));
}
