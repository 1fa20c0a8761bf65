//! The announcement listener (`camscan::discovery::listen`, issue 16) on a real (virtual) LAN: the
//! namespace lab of `tests/lab/listen_lab.sh`, a scanner with three interfaces on three subnets of
//! which the listener is given two. The listener runs inside the scanner namespace as
//! `examples/listen.rs` (JSON lines on stdout); the devices start only after it is listening, as a
//! camera plugged in while `camscan watch` waits: the PyPI WSDiscovery publisher (Hello on start, Bye
//! when it leaves) and GUPnP/GSSDP (NOTIFY ssdp:alive on start, ssdp:byebye when it leaves). A fake
//! (`tests/lab/responders/announce.py`) plays the hostile peers. Each test builds its own lab (its own
//! namespace prefix) and tears it down at the end, also when it fails.
//! `camscan watch` runs here too: a camera plugged in after it started announces itself and is
//! scanned at once, and a camera whose link goes down is one `device_offline`.
//! Needs root and the lab venv: `scripts/test`.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The scanner's addresses (listen_lab.sh): eth0 and eth1 are listened on, eth2 is not.
const SCAN_ETH0: &str = "198.18.16.1";
const SCAN_ETH1: &str = "198.18.17.1";
const CAM: &str = "198.18.16.11";
const UPNP: &str = "198.18.17.13";
const EVIL: &str = "198.18.16.66";
/// evil's second address, outside every subnet of the scanner.
const EVIL_OUTSIDE: &str = "198.19.99.9";
const FAR: &str = "198.18.18.20";

/// A lab of namespaces named `prefix-*`, torn down when dropped (panics included).
struct Lab {
    prefix: &'static str,
    servers: Vec<common::Server>,
}

impl Lab {
    fn up(prefix: &'static str) -> Lab {
        assert!(
            common::is_root(),
            "lab_listen needs root (ip netns): run scripts/test"
        );
        let ok = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/listen_lab.sh"))
            .args(["up", prefix])
            .status()
            .unwrap()
            .success();
        assert!(ok, "listen_lab.sh up failed");
        Lab {
            prefix,
            servers: Vec::new(),
        }
    }

    /// Start a READY-printing `program args..` inside namespace `ns`; returns its index.
    fn start(&mut self, ns: &str, program: &str, args: &[&str]) -> usize {
        let ns = format!("{}-{ns}", self.prefix);
        let mut full = vec!["netns", "exec", ns.as_str(), program];
        full.extend_from_slice(args);
        self.servers
            .push(common::start("ip", &full, Duration::from_secs(90)));
        self.servers.len() - 1
    }

    /// The listener (examples/listen.rs) in the scanner namespace, joined on `addresses`.
    fn listener(&mut self, addresses: &[&str]) -> usize {
        let exe = listen_example();
        self.start("scan", exe.to_str().unwrap(), addresses)
    }

    /// Make server `i` leave as a device switched off gracefully does (SIGTERM: it sends its Bye or
    /// byebye, prints BYE, exits) and wait for it to exit.
    fn leave(&mut self, i: usize) {
        let server = &mut self.servers[i];
        let pid = server.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while server.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "{pid} still running after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let lines = server.lines.lock().unwrap().clone();
        assert!(lines.iter().any(|l| l == "BYE"), "{lines:?}");
    }

    /// Multicast each of `datagrams` once from `source` (an address of namespace `ns`) to the group
    /// on `port`, with the fake announcer.
    fn announce(&self, ns: &str, source: &str, port: u16, datagrams: &[Vec<u8>]) {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (i, d) in datagrams.iter().enumerate() {
            let f = dir.path().join(format!("{i:02}.bin"));
            std::fs::write(&f, d).unwrap();
            files.push(f.to_string_lossy().into_owned());
        }
        let script = common::root_dir().join("tests/lab/responders/announce.py");
        let out = common::run(
            Command::new("ip")
                .args(["netns", "exec", &format!("{}-{ns}", self.prefix)])
                .arg("/usr/bin/python3")
                .arg(script)
                .args([source, &port.to_string()])
                .args(&files),
            Duration::from_secs(20),
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        assert_eq!(common::stdout(&out).lines().count(), datagrams.len());
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.servers.clear();
        let _ = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/listen_lab.sh"))
            .args(["down", self.prefix])
            .status();
    }
}

/// examples/listen.rs: as `scripts/test` built it beside the tests (`CAMSCAN_LISTEN_EXAMPLE`: a
/// `cargo build` here would compile camscan's library again, without the lint wrapper the
/// suite's build uses), else built now (cargo builds no example for `cargo test --test
/// lab_listen`).
fn listen_example() -> PathBuf {
    if let Some(built) = std::env::var_os("CAMSCAN_LISTEN_EXAMPLE").map(PathBuf::from)
        && built.exists()
    {
        return built;
    }
    let root = common::root_dir();
    let ok = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", "listen", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "cargo build --example listen failed");
    // target/debug/deps/lab_listen-HASH -> target/debug/examples/listen
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/listen");
    assert!(path.exists(), "{} missing", path.display());
    path
}

/// The announcements the listener printed so far, as (ip, kind, source, detail).
fn heard(lab: &Lab, listener: usize) -> Vec<(String, String, String, Option<String>)> {
    lab.servers[listener]
        .lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (
                v["ip"].as_str().unwrap().to_string(),
                v["kind"].as_str().unwrap().to_string(),
                v["source"].as_str().unwrap().to_string(),
                v["detail"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Wait (at most `limit`) until the listener has printed something matching `done`; return what it
/// has printed by then.
fn wait_for(
    lab: &Lab,
    listener: usize,
    limit: Duration,
    done: impl Fn(&[(String, String, String, Option<String>)]) -> bool,
) -> Vec<(String, String, String, Option<String>)> {
    let deadline = Instant::now() + limit;
    loop {
        let now = heard(lab, listener);
        if done(&now) || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn count(h: &[(String, String, String, Option<String>)], ip: &str, kind: &str) -> usize {
    h.iter().filter(|a| a.0 == ip && a.1 == kind).count()
}

/// Issue 16: devices that come up after the listener started are heard at once, each burst of
/// repeats folded into one announcement, with the address and the service URL of the device; when
/// they leave, their Bye / byebye is heard. The WS-Discovery camera is on the first listened subnet,
/// the UPnP device on the second. A second listener on the same host shares the ports.
#[test]
fn devices_announcing_after_the_listener_started_are_heard() {
    let mut lab = Lab::up("csa");
    let listener = lab.listener(&[SCAN_ETH0, SCAN_ETH1]);
    // Another listener on the host (as wsdd or a second camscan would be): SO_REUSEADDR/REUSEPORT.
    let second = lab.listener(&[SCAN_ETH0]);
    assert!(heard(&lab, listener).is_empty());

    let root = common::root_dir();
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let ssdp = root.join("tests/lab/responders/ssdp_device.py");
    let camera = lab.start("cam", &common::lab_python(), &[wsd.to_str().unwrap(), CAM]);
    let upnp = lab.start("upnp", "/usr/bin/python3", &[ssdp.to_str().unwrap(), UPNP]);

    // WSDiscovery sends its Hello 4 times over about 1.5 s; wait out the repeat window too.
    wait_for(&lab, listener, Duration::from_secs(15), |h| {
        count(h, CAM, "hello") >= 1 && count(h, UPNP, "alive") >= 1
    });
    std::thread::sleep(Duration::from_secs(2));
    let h = heard(&lab, listener);
    assert_eq!(
        count(&h, CAM, "hello"),
        1,
        "4 copies of one Hello, one announcement: {h:?}"
    );
    let hello = h.iter().find(|a| a.0 == CAM).unwrap();
    assert_eq!(hello.2, "ws-discovery");
    assert_eq!(
        hello.3.as_deref(),
        Some("http://198.18.16.11:8000/onvif/device_service")
    );
    // GSSDP clears stale caches with one byebye round at start, then sends 3 alive rounds of 3 NTs:
    // nine alive NOTIFYs, one announcement.
    assert_eq!(count(&h, UPNP, "alive"), 1, "{h:?}");
    let alive = h.iter().find(|a| a.0 == UPNP && a.1 == "alive").unwrap();
    assert_eq!(alive.2, "ssdp");
    let location = alive.3.as_deref().unwrap();
    assert!(
        location.starts_with("http://198.18.17.13:")
            && location.ends_with("/Upnp-BasicDevice-1_0-00408CA45086.xml"),
        "{location}"
    );
    let ups: Vec<&str> = h
        .iter()
        .filter(|a| a.0 == UPNP)
        .map(|a| a.1.as_str())
        .collect();
    assert_eq!(ups.last(), Some(&"alive"), "{ups:?}");
    assert!(
        h.iter().all(|a| a.0 == CAM || a.0 == UPNP),
        "nothing else on the lab speaks: {h:?}"
    );
    // The second listener (eth0 only) heard the camera, not the UPnP device on eth1.
    let h2 = heard(&lab, second);
    assert_eq!(count(&h2, CAM, "hello"), 1, "{h2:?}");
    assert!(h2.iter().all(|a| a.0 == CAM), "{h2:?}");

    // Both leave gracefully.
    let before = h.len();
    lab.leave(camera);
    lab.leave(upnp);
    wait_for(&lab, listener, Duration::from_secs(10), |h| {
        count(&h[before..], CAM, "bye") >= 1 && count(&h[before..], UPNP, "byebye") >= 1
    });
    std::thread::sleep(Duration::from_secs(1));
    let h = heard(&lab, listener);
    let after = &h[before..];
    assert_eq!(count(after, CAM, "bye"), 1, "{after:?}");
    assert_eq!(count(after, UPNP, "byebye"), 1, "{after:?}");
    assert_eq!(after.len(), 2, "{after:?}");
    let bye = after.iter().find(|a| a.0 == CAM).unwrap();
    assert_eq!((bye.2.as_str(), bye.3.as_deref()), ("ws-discovery", None));
}

fn hello(xaddrs: &str) -> Vec<u8> {
    format!(
        concat!(
            r#"<?xml version="1.0" ?><s:Envelope xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
            r#"xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:s="http://www.w3.org/2003/05/soap-envelope">"#,
            r#"<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</a:Action>"#,
            r#"<a:MessageID>urn:uuid:6f668cd9-62bc-422e-9cb7-441d65347afb</a:MessageID></s:Header>"#,
            r#"<s:Body><d:Hello><a:EndpointReference><a:Address>urn:uuid:e71e0000-0000-4000-8000-000000000066</a:Address>"#,
            r#"</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>{}</d:XAddrs>"#,
            r#"<d:MetadataVersion>1</d:MetadataVersion></d:Hello></s:Body></s:Envelope>"#
        ),
        xaddrs
    )
    .into_bytes()
}

fn notify(location: &str) -> Vec<u8> {
    format!(
        "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: {location}\r\nNTS: ssdp:alive\r\nNT: upnp:rootdevice\r\nUSN: uuid:e71e::upnp:rootdevice\r\n\r\n"
    )
    .into_bytes()
}

/// Hostile and foreign announcements are dropped, and the listener keeps going: junk, a 60 KB
/// datagram, an XML bomb, a Hello and a NOTIFY naming another host of the subnet (so that a peer
/// cannot make the watch loop scan someone else) or one outside it, a Hello from an address outside
/// the interface's subnet, and a valid Hello on the interface not listened on. Then the same peer's
/// honest Hello is heard.
#[test]
fn hostile_announcements_are_dropped() {
    let mut lab = Lab::up("csb");
    let listener = lab.listener(&[SCAN_ETH0, SCAN_ETH1]);

    // 60 KB: a Hello naming another host, padded with 15 000 header elements.
    let huge = {
        let mut h = hello("http://198.18.16.12/onvif/device_service");
        let at = h.windows(11).position(|w| w == b"</s:Header>").unwrap();
        h.splice(at..at, b"<x/>".repeat(15_000));
        h
    };
    assert!(huge.len() > 60_000);
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><s:Envelope><s:Body><d:Hello><d:XAddrs>&b;</d:XAddrs></d:Hello></s:Body></s:Envelope>"#.to_vec();
    let deep = format!("{}<Body><Hello/></Body>", "<s:Envelope>".repeat(5000)).into_bytes();
    lab.announce(
        "evil",
        EVIL,
        3702,
        &[
            b"\x00\xff garbage \x1b[31m".to_vec(),
            huge,
            bomb,
            deep,
            hello("http://198.18.16.11:8000/onvif/device_service"),
            hello("http://198.19.99.5/onvif/device_service http://[fe80::1]/onvif"),
        ],
    );
    let huge_notify = {
        let mut n = notify(&format!("http://{EVIL}:80/d.xml"));
        let at = n.len() - 2;
        n.splice(
            at..at,
            b"X-Pad: "
                .iter()
                .copied()
                .chain([b'p'; 60_000])
                .chain(*b"\r\n"),
        );
        n
    };
    lab.announce(
        "evil",
        EVIL,
        1900,
        &[
            b"NOTIFY * HTTP/1.1\r\n\r\n".to_vec(),
            huge_notify,
            notify("http://198.18.16.11:80/description.xml"),
            // An M-SEARCH, as another control point sends: not an announcement.
            b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n".to_vec(),
        ],
    );
    // From an address outside 198.18.16.0/24, naming itself: outside the interface's subnet.
    lab.announce(
        "evil",
        EVIL_OUTSIDE,
        3702,
        &[hello(&format!(
            "http://{EVIL_OUTSIDE}/onvif/device_service"
        ))],
    );
    // A valid Hello on the subnet the listener was not given.
    lab.announce(
        "far",
        FAR,
        3702,
        &[hello(&format!("http://{FAR}/onvif/device_service"))],
    );
    // Then the peer's honest Hello and NOTIFY (0.0.0.0 in XAddrs means the sender, as some cameras say).
    lab.announce(
        "evil",
        EVIL,
        3702,
        &[hello("http://0.0.0.0:8080/onvif/device_service")],
    );
    lab.announce(
        "evil",
        EVIL,
        1900,
        &[notify(&format!("http://{EVIL}:49152/d.xml"))],
    );
    let h = wait_for(&lab, listener, Duration::from_secs(10), |h| h.len() >= 2);
    std::thread::sleep(Duration::from_millis(500));
    let h2 = heard(&lab, listener);
    assert_eq!(h, h2, "nothing more arrives late");
    assert_eq!(
        h,
        [
            (
                EVIL.to_string(),
                "hello".to_string(),
                "ws-discovery".to_string(),
                Some("http://198.18.16.66:8080/onvif/device_service".to_string())
            ),
            (
                EVIL.to_string(),
                "alive".to_string(),
                "ssdp".to_string(),
                Some("http://198.18.16.66:49152/d.xml".to_string())
            ),
        ]
    );
}

/// `camscan watch` in the scanner namespace: its first scan finds nothing on the first subnet; a
/// WS-Discovery camera plugged in afterwards announces itself with a Hello, and watch scans it at
/// once (an hour before the next scheduled scan) and reports `device_new`.
#[test]
fn watch_scans_a_camera_that_announces_itself() {
    let mut lab = Lab::up("csw");
    // The camera is unplugged: its link is down until it is plugged in, below.
    let link = |state: &str| {
        let ok = Command::new("ip")
            .args(["-n", "csw-cam", "link", "set", "eth0", state])
            .status()
            .unwrap()
            .success();
        assert!(ok, "ip link set {state}");
    };
    link("down");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let mut child = Command::new("ip")
        .args(["netns", "exec", "csw-scan", env!("CARGO_BIN_EXE_camscan")])
        .args(["watch", "198.18.16.0/24", "-p", "8000", "--every", "1h"])
        .env_remove("CAMSCAN_NO_DB")
        .env("CAMSCAN_DB", &db)
        .env("CAMSCAN_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let events = lines_of(child.stdout.take().unwrap());
    let logs = lines_of(child.stderr.take().unwrap());
    let waited = |lines: &std::sync::Arc<std::sync::Mutex<Vec<String>>>, what: &str, limit: u64| {
        let until = Instant::now() + Duration::from_secs(limit);
        while Instant::now() < until {
            if lines.lock().unwrap().iter().any(|l| l.contains(what)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    let ok = waited(&logs, "next scan", 60);
    assert!(ok, "the first scan ended: {:#?}", logs.lock().unwrap());
    let about_cam = |events: &[String]| -> Vec<Value> {
        events
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["device"]["ip"] == CAM)
            .collect()
    };
    // The lab's other hosts are found (ARP answers); the camera is not there yet.
    assert!(about_cam(&events.lock().unwrap()).is_empty());
    let before = events.lock().unwrap().len();

    link("up");
    let wsd = common::root_dir().join("tests/lab/responders/wsd_responder.py");
    lab.start("cam", &common::lab_python(), &[wsd.to_str().unwrap(), CAM]);
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until && about_cam(&events.lock().unwrap()[before..]).is_empty() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let logs = logs.lock().unwrap().clone();
    let new = about_cam(&events.lock().unwrap()[before..]);
    assert_eq!(
        new.iter()
            .map(|v| v["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["device_new"],
        "{logs:#?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.contains("a device announced itself") && l.contains(CAM)),
        "{logs:#?}"
    );
}

/// The lines a child writes, as they come.
fn lines_of(
    r: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use std::io::BufRead;
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(r).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    lines
}

/// A camera whose link goes down while `camscan watch` checks its streams: its host stops
/// answering, and watch reports one `device_offline` (not a `stream_down` per stream); when the
/// link is back, `device_online`. GStreamer's RTSP server plays the camera (two streams).
#[test]
fn an_unreachable_camera_is_one_device_offline() {
    let mut lab = Lab::up("csu");
    let config = tempfile::NamedTempFile::new().unwrap();
    let mounts: Vec<Value> = ["/Streaming/Channels/101", "/Streaming/Channels/201"]
        .iter()
        .map(|p| {
            serde_json::json!({"path": p, "video": {"codec": "h264", "width": 320, "height": 240,
                "fps": 10}, "audio": null})
        })
        .collect();
    std::fs::write(
        config.path(),
        serde_json::to_vec(&serde_json::json!([
            {"address": CAM, "port": 554, "shared": true, "auth": null, "mounts": mounts}
        ]))
        .unwrap(),
    )
    .unwrap();
    let script = common::root_dir().join("tests/servers/rtsp_server.py");
    lab.start(
        "cam",
        "/usr/bin/python3",
        &[script.to_str().unwrap(), config.path().to_str().unwrap()],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("watch.db");
    let mut child = Command::new("ip")
        .args(["netns", "exec", "csu-scan", env!("CARGO_BIN_EXE_camscan")])
        .args(["watch", CAM, "-p", "554", "--every", "1h", "--no-listen"])
        .args(["--check-streams", "1s", "--down-after", "2"])
        .env_remove("CAMSCAN_NO_DB")
        .env("CAMSCAN_DB", &db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let events = lines_of(child.stdout.take().unwrap());
    let kinds = |events: &std::sync::Arc<std::sync::Mutex<Vec<String>>>| -> Vec<String> {
        events
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| v["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let wait_kind = |kind: &str, limit: u64| {
        let until = Instant::now() + Duration::from_secs(limit);
        while Instant::now() < until {
            if kinds(&events).iter().any(|k| k == kind) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    let ok = wait_kind("device_new", 60);
    assert!(ok, "{:?}", kinds(&events));
    let link = |state: &str| {
        let ok = Command::new("ip")
            .args(["-n", "csu-cam", "link", "set", "eth0", state])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    link("down");
    let offline = wait_kind("device_offline", 30);
    link("up");
    let online = offline && wait_kind("device_online", 30);
    let _ = child.kill();
    let _ = child.wait();
    let got = kinds(&events);
    assert!(offline && online, "{got:?}");
    assert_eq!(
        got,
        ["device_new", "device_offline", "device_online"],
        "one device_offline, no stream_down"
    );
}
