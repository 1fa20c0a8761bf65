//! Identity first, end to end: who made a device decides which RTSP paths are asked first, and the
//! RTSP service's `path_walk` says which maker, from which evidence, and what was asked. Each
//! camera is GStreamer's real RTSP server with Digest auth serving only its maker's documented main
//! path (and sub path), so only the right maker's paths find it:
//!
//! * an Axis camera on loopback (127.0.4.1) whose web port (`tests/servers/axis_web.py`) matches
//!   the Axis signatures of `data/signatures.yaml`: the web fingerprint names the maker;
//! * a Sunell camera in a namespace lab (`tests/lab/lab.sh`, prefix `mpo`) with our ONVIF device
//!   double (`tests/lab/responders/onvif_device.py`, Manufacturer `Sunell`) found by the PyPI
//!   WSDiscovery responder: ONVIF GetDeviceInformation names the maker. Sunell's paths are not in
//!   the first round of an unnamed device, and the responder answers the probe after a random
//!   delay (up to 0.5 s, as WS-Discovery has it), usually after the first round: the answer then
//!   orders the rest of the walk, Sunell's paths first;
//! * a Mobotix camera in a namespace lab (prefix `mpm`) whose MAC is in Mobotix AG's IEEE block
//!   (00:03:C5): the MAC registry names the maker;
//! * a server on loopback (127.0.4.4, no auth) serving an undocumented path only: no stream, and
//!   the service's note says why;
//! * five cameras on loopback (127.0.4.5-9, no auth) whose RTSP `Server` header names their maker
//!   in plain words (`Server: ABUS`), each serving only its maker's documented main path, none of
//!   which a walk asks first when nothing names the maker: the main path is among the first two
//!   each camera is asked for (issue 54; `scripts/bench --zoo` runs every maker the same way).
//!
//! With the right password no login is refused (the servers count refused logins themselves). Needs
//! root (port 554, port 80, ip netns) and GStreamer and the lab venv: `scripts/test`.

mod common;

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::schema::{Auth, Report, Status};
use common::{Server, camscan, run, stderr, stdout};
use serde_json::{Value, json};

/// The Axis camera: RTSP on 554 (Digest) and its web port on 80.
const AXIS: &str = "127.0.4.1";
/// A server whose only path is in no maker's documentation.
const UNKNOWN: &str = "127.0.4.4";

/// Cameras whose `Server` header names their maker: (address, header, maker's name, main path).
const NAMED: [(&str, &str, &str, &str); 5] = [
    ("127.0.4.5", "ABUS", "ABUS", "/h264"),
    ("127.0.4.6", "Sunell RTSP Server", "Sunell", "/snl/live/1/1"),
    ("127.0.4.7", "Canon", "Canon", "/rtpstream/config1=r"),
    ("127.0.4.8", "JVC/2.0", "JVC", "/PSIA/Streaming/channels/0"),
    ("127.0.4.9", "EverFocus", "EverFocus", "/ch01/0"),
];

const USER: &str = "admin";
const AXIS_PASSWORD: &str = "Axis:pw-41";

/// Most paths a walk asks when its first round finds a stream (analyze::paths::FIRST_ROUND: "no
/// more than the dictionary of 2025 did (45 paths)").
const FIRST_ROUND_MOST: u64 = 45;

struct Loopback {
    rtsp: Server,
    _web: Server,
}

fn loopback() -> &'static Loopback {
    static LAB: OnceLock<Loopback> = OnceLock::new();
    LAB.get_or_init(|| {
        assert!(
            common::is_root(),
            "maker_paths needs root to bind ports 554 and 80: run scripts/test"
        );
        let mut servers = vec![
            json!({"address": AXIS, "port": 554,
             "auth": {"method": "digest", "user": USER, "password": AXIS_PASSWORD}, "mounts": [
                {"path": "/axis-media/media.amp", "video": h264(640, 360, 15), "audio": null}]}),
            json!({"address": UNKNOWN, "port": 554, "auth": null, "mounts": [
                {"path": "/some/undocumented/path", "video": h264(320, 240, 10), "audio": null}]}),
        ];
        for (address, header, _, main) in NAMED {
            servers.push(json!({"address": address, "port": 554, "auth": null,
                "server_header": header, "describes": true, "mounts": [
                    {"path": main, "video": h264(320, 240, 10), "audio": null}]}));
        }
        let rtsp = common::rtsp_servers(&Value::Array(servers));
        let script = common::root_dir().join("tests/servers/axis_web.py");
        let web = common::start(
            "/usr/bin/python3",
            &[script.to_str().unwrap(), AXIS, "80"],
            Duration::from_secs(30),
        );
        Loopback { rtsp, _web: web }
    })
}

fn h264(w: u32, h: u32, fps: u32) -> Value {
    json!({"codec": "h264", "width": w, "height": h, "fps": fps, "profile": "main"})
}

fn creds_file(lines: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), lines).unwrap();
    f
}

/// Run a scan to its JSON document: the typed report and the raw value (for `path_walk`).
fn scan_json(cmd: &mut Command) -> (std::process::Output, Report, Value) {
    let out = run(cmd.args(["-f", "json"]), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let report: Report =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}; stderr: {}", stderr(&out)));
    let raw: Value = serde_json::from_str(&text).unwrap();
    (out, report, raw)
}

/// The raw JSON of device `ip`'s RTSP service on `port`.
fn rtsp_service<'a>(raw: &'a Value, ip: &str, port: u16) -> &'a Value {
    let device = raw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == ip)
        .unwrap_or_else(|| panic!("no device {ip}: {raw:#}"));
    device["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["port"] == port && s["protocol"] == "rtsp")
        .unwrap_or_else(|| panic!("no RTSP service on {ip}:{port}: {device:#}"))
}

/// `lines` (a server's stdout) that start with `prefix`.
fn count(server: &Server, prefix: &str) -> usize {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .count()
}

/// What every test with a found stream checks of its RTSP service: the maker, the evidence that
/// named it, the maker's main path asked first, a walk that stopped with the first round, and no
/// "no stream path found" note beside a stream that was found.
fn assert_walk(service: &Value, maker: &str, by: &str, first: &str) {
    let walk = &service["path_walk"];
    assert_eq!(walk["maker"], maker, "path_walk: {walk:#}");
    assert_eq!(walk["by"], by, "path_walk: {walk:#}");
    assert_eq!(walk["first"], first, "path_walk: {walk:#}");
    assert!(
        walk["evidence"].as_str().is_some_and(|e| !e.is_empty()),
        "the evidence is named: {walk:#}"
    );
    let asked = walk["asked"].as_u64().unwrap();
    assert!(
        asked <= FIRST_ROUND_MOST,
        "the first round found the stream, so the rest of the dictionary is not asked \
         ({asked} paths asked): {walk:#}"
    );
    let note = service["note"].as_str().unwrap_or("");
    assert!(
        !note.starts_with("no stream path found"),
        "a stream was found, yet the service says {note:?}"
    );
}

/// The report says no login was refused on `cam` (the right password is never a failed login).
fn assert_no_refused_login(cam: &common::schema::Device) {
    assert!(
        !cam.errors
            .iter()
            .any(|e| e.message.contains("login refused")),
        "{:?}",
        cam.errors
    );
}

/// From a scan's `timing` debug log: port 80 of the Axis camera was handed to analysis
/// (its timing's first millisecond) no earlier than the RTSP port's path walk began.
fn web_port_came_late(log: &str) -> bool {
    // `timing: port 127.0.4.1:80 http 3-79 ms: ...` and `timing: port 127.0.4.1:554 rtsp 1-584
    // ms: detect 1-2, rtsp 2-584, paths 2-123, ...`
    let line = |port: &str| {
        log.lines()
            .find(|l| l.contains(&format!("timing: port {AXIS}:{port} ")))
            .map(str::to_string)
    };
    let first_ms = |text: &str, after: &str| -> Option<u64> {
        let rest = &text[text.find(after)? + after.len()..];
        rest.split('-').next()?.trim().parse().ok()
    };
    match (line("80"), line("554")) {
        (Some(web), Some(rtsp)) => {
            let opened = first_ms(&web, " http ");
            let walked = first_ms(&rtsp, "paths ");
            matches!((opened, walked), (Some(o), Some(w)) if o >= w)
        }
        _ => false,
    }
}

/// Cases 1 and 5: the web port's fingerprint (the Axis brand JSON and title) names Axis: the walk
/// asks `/axis-media/media.amp` first and finds it behind Digest, with the one (right) password,
/// which the camera never refuses.
#[test]
fn web_fingerprint_names_the_maker() {
    let lab = loopback();
    let before = count(&lab.rtsp, &format!("AUTHFAIL {AXIS}:"));
    let creds = creds_file(&format!("{USER}:{AXIS_PASSWORD}\n"));
    // The web port first: on a LAN the RTSP port's detection takes a round trip after both ports
    // answered the connect, so the web port is handed to analysis (and promises its fingerprint)
    // before the walk starts; on loopback, with nothing between them, probing 554 first lets the
    // walk start before port 80 is even open. What camscan promises is the order for a web port
    // open before the walk starts: a scan on a machine so loaded that port 80 was handed out
    // after the walk began (both times are in its timing log) is scanned again, at most twice.
    let mut attempt = 0;
    let (out, report, raw) = loop {
        attempt += 1;
        let (out, report, raw) = scan_json(camscan().env("RUST_LOG", "camscan=debug").args([
            "scan",
            AXIS,
            "-p",
            "80,554",
            "--credentials",
            creds.path().to_str().unwrap(),
        ]));
        let named = rtsp_service(&raw, AXIS, 554)["path_walk"]["maker"] == "Axis";
        let err = stderr(&out);
        if named || attempt == 3 || !web_port_came_late(&err) {
            if !named {
                // What the walk knew when (the debug log of clues and ports).
                let log: Vec<&str> = err
                    .lines()
                    .filter(|l| {
                        l.contains("clues")
                            || l.contains("ordered")
                            || l.contains("timing")
                            || l.contains("DESCRIBE url=rtsp://127.0.4.1:554/camscan")
                    })
                    .collect();
                panic!(
                    "{:#}\n{}",
                    rtsp_service(&raw, AXIS, 554)["path_walk"],
                    log.join("\n")
                );
            }
            break (out, report, raw);
        }
    };

    let cam = report.device(AXIS);
    assert_eq!(cam.vendor.as_deref(), Some("Axis"), "{cam:?}");
    let s = cam.stream("rtsp://127.0.4.1:554/axis-media/media.amp");
    assert_eq!(
        (s.status, s.auth, s.username.as_deref()),
        (Status::Ok, Auth::Digest, Some(USER)),
        "{s:?}"
    );
    assert_eq!(cam.streams.len(), 1, "{:?}", cam.streams);
    let rtsp = rtsp_service(&raw, AXIS, 554);
    assert_eq!(rtsp["auth"], "digest");
    assert_walk(rtsp, "Axis", "http-fingerprint", "/axis-media/media.amp");

    // 5. The right password: no refused login, neither in the report nor at the camera.
    assert_no_refused_login(cam);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        count(&lab.rtsp, &format!("AUTHFAIL {AXIS}:")) - before,
        0,
        "the camera refused no login"
    );
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains(AXIS_PASSWORD), "the password leaked");
}

/// Case 4: a server whose one path no maker documents: no stream, and the RTSP service says why (no
/// maker named, how many paths, 404 to each, and what to do).
#[test]
fn no_stream_path_found_says_why() {
    loopback();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let (_out, report, raw) =
        scan_json(common::camscan_with_db(&db).args(["scan", UNKNOWN, "-p", "554"]));
    let d = report.device(UNKNOWN);
    assert!(d.streams.is_empty(), "{:?}", d.streams);
    let rtsp = rtsp_service(&raw, UNKNOWN, 554);
    let note = rtsp["note"]
        .as_str()
        .unwrap_or_else(|| panic!("no note: {rtsp:#}"));
    assert!(note.starts_with("no stream path found"), "{note}");
    assert!(note.contains("404 to every path"), "{note}");
    assert!(note.contains("--paths"), "{note}");
    let walk = &rtsp["path_walk"];
    assert!(
        walk["maker"].is_null(),
        "no evidence names a maker: {walk:#}"
    );
    assert!(
        walk["asked"].as_u64().unwrap() > FIRST_ROUND_MOST,
        "the whole dictionary: {walk:#}"
    );
    let answers = walk["answers"].as_object().unwrap();
    assert_eq!(
        answers.keys().collect::<Vec<_>>(),
        ["404"],
        "404 and nothing else: {walk:#}"
    );
    let asked = walk["asked"].as_u64().unwrap();
    assert!(
        note.contains(&format!("{asked} paths asked")),
        "the note and path_walk agree: {note} / {walk:#}"
    );
    // `camscan doctor` reads the same reason from the inventory.
    let out = run(
        common::camscan_with_db(&db).args(["doctor", "-f", "json"]),
        Duration::from_secs(30),
    );
    let checks: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = checks
        .as_array()
        .or_else(|| checks["checks"].as_array())
        .and_then(|l| l.iter().find(|c| c["name"] == "stream_paths"))
        .unwrap_or_else(|| panic!("no stream_paths check: {checks:#}"));
    assert_eq!(check["status"], "warn", "{check:#}");
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("{UNKNOWN}:554 {note}")),
        "{detail}"
    );
}

/// The paths `camera` was sent a DESCRIBE for, in the order it read them, but `/` and camscan's
/// random baseline path.
fn described(server: &Server, camera: &str) -> Vec<String> {
    let prefix = format!("DESCRIBE {camera}:554 ");
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|p| *p != "/" && !p.starts_with("/camscan-"))
        .map(str::to_string)
        .collect()
}

/// Issue 54: a maker named in plain words in the RTSP `Server` header (`Server: ABUS`) is
/// evidence: its documented main path is among the first two each camera is asked for (the walk
/// sends a few at once, on parallel connections), the stream is found there, and `path_walk` says
/// which words named the maker.
#[test]
fn server_header_words_name_the_maker() {
    let lab = loopback();
    let (_out, report, raw) = scan_json(camscan().args(["scan", "127.0.4.5-9", "-p", "554"]));
    let mut wrong = Vec::new();
    for (address, header, maker, main) in NAMED {
        let cam = report.device(address);
        let s = cam.stream(&format!("rtsp://{address}:554{main}"));
        assert_eq!(s.status, Status::Ok, "{s:?}");
        let walk = &rtsp_service(&raw, address, 554)["path_walk"];
        assert_walk(rtsp_service(&raw, address, 554), maker, "rtsp-server", main);
        let named_by = walk["named_by"].as_str().unwrap_or_default();
        assert!(
            named_by.contains(&format!("RTSP Server header \"{header}\"")),
            "{walk:#}"
        );
        let asked = described(&lab.rtsp, address);
        if !asked.iter().take(2).any(|p| p == main) {
            wrong.push(format!(
                "{maker}: {main} not in the first two asked, {asked:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- the namespace labs (cases 2 and 3) ---------------------------------------------------------

/// The lab of `tests/lab/lab.sh` under `prefix`, torn down when dropped (panics included).
struct Lab {
    prefix: &'static str,
    servers: Vec<Server>,
    dir: tempfile::TempDir,
}

/// The camera's address in the lab (host h1).
const LAB_CAM: &str = "198.18.0.11";

impl Lab {
    fn up(prefix: &'static str) -> Lab {
        assert!(
            common::is_root(),
            "maker_paths needs root (ip netns): run scripts/test"
        );
        let ok = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/lab.sh"))
            .args(["up", prefix])
            .status()
            .unwrap()
            .success();
        assert!(ok, "lab.sh up {prefix} failed");
        Lab {
            prefix,
            servers: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `ip -n PREFIX-node args..`; it must succeed.
    fn ip(&self, node: &str, args: &[&str]) {
        let ns = format!("{}-{node}", self.prefix);
        let ok = Command::new("ip")
            .args(["-n", &ns])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ip -n {ns} {args:?} failed");
    }

    /// Start a READY-printing `python` program inside host namespace `node`; returns its index.
    fn serve_with(&mut self, python: &str, node: &str, args: &[&str]) -> usize {
        let ns = format!("{}-{node}", self.prefix);
        let mut full = vec!["netns", "exec", ns.as_str(), python];
        full.extend_from_slice(args);
        self.servers
            .push(common::start("ip", &full, Duration::from_secs(90)));
        self.servers.len() - 1
    }

    /// GStreamer's RTSP server on h1:554 with Digest (`USER`, `password`) serving `mounts`.
    fn camera(&mut self, password: &str, mounts: Value) -> usize {
        let cfg = self.dir.path().join("rtsp.json");
        let servers = json!([{"address": LAB_CAM, "port": 554,
            "auth": {"method": "digest", "user": USER, "password": password},
            "mounts": mounts}]);
        std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
        let script = common::root_dir().join("tests/servers/rtsp_server.py");
        self.serve_with(
            "/usr/bin/python3",
            "h1",
            &[script.to_str().unwrap(), cfg.to_str().unwrap()],
        )
    }

    /// A credentials file with `line`.
    fn creds(&self, line: &str) -> std::path::PathBuf {
        let p = self.dir.path().join("creds.txt");
        std::fs::write(&p, format!("{line}\n")).unwrap();
        p
    }

    /// camscan inside the scanner namespace.
    fn camscan(&self) -> Command {
        common::camscan_in(&format!("{}-scan", self.prefix))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.servers.clear();
        let _ = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/lab.sh"))
            .args(["down", self.prefix])
            .status();
    }
}

/// Case 2: ONVIF GetDeviceInformation says `Sunell`: Sunell's documented `/snl/live/1/1` leads
/// the walk (the first round when the answer came before it, else the rest) and is found with its
/// sub stream behind Digest, soon after the answer: not the whole dictionary. (The ONVIF double's
/// GetStreamUri names Hikvision-style URIs, which this camera does not serve: ONVIF's own stream
/// URIs are followed by design, beside the walk.)
#[test]
fn onvif_device_information_names_the_maker() {
    let mut lab = Lab::up("mpo");
    const PASSWORD: &str = "iPro-pw-2";
    // A locally administered MAC: only the device API names a maker.
    lab.ip(
        "h1",
        &["link", "set", "dev", "eth0", "address", "02:00:00:00:00:11"],
    );
    let rtsp = lab.camera(
        PASSWORD,
        json!([
            {"path": "/snl/live/1/1", "video": h264(640, 360, 15), "audio": null},
            {"path": "/snl/live/1/2", "video": h264(320, 180, 10), "audio": null}]),
    );
    let root = common::root_dir();
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let onvif = root.join("tests/lab/responders/onvif_device.py");
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[
            wsd.to_str().unwrap(),
            LAB_CAM,
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/name/Lab%20Camera",
            "onvif://www.onvif.org/hardware/SN-IPR57",
        ],
    );
    let device = lab.serve_with(
        "/usr/bin/python3",
        "h1",
        &[
            onvif.to_str().unwrap(),
            LAB_CAM,
            "--port",
            "8000",
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--manufacturer",
            "Sunell",
            "--model",
            "SN-IPR57",
            "--firmware",
            "2.80",
            "--serial",
            "ABC12345",
        ],
    );
    let creds = lab.creds(&format!("{USER}:{PASSWORD}"));
    let (_out, report, raw) = scan_json(lab.camscan().env("RUST_LOG", "camscan=debug").args([
        "scan",
        LAB_CAM,
        "-p",
        "554,8000",
        "--credentials",
        creds.to_str().unwrap(),
    ]));
    let cam = report.device(LAB_CAM);
    assert!(cam.discovered_by.iter().any(|m| m == "onvif"), "{cam:?}");
    assert_eq!(
        (cam.vendor.as_deref(), cam.model.as_deref()),
        (Some("Sunell"), Some("SN-IPR57"))
    );
    for path in ["/snl/live/1/1", "/snl/live/1/2"] {
        let s = cam.stream(&format!("rtsp://{LAB_CAM}:554{path}"));
        assert_eq!(
            (s.status, s.auth),
            (Status::Ok, Auth::Digest),
            "{s:?} {:#} {}",
            rtsp_service(&raw, LAB_CAM, 554),
            stderr(&_out)
        );
    }
    let walk = &rtsp_service(&raw, LAB_CAM, 554)["path_walk"];
    assert_eq!(walk["maker"], "Sunell", "path_walk: {walk:#}");
    assert_eq!(walk["by"], "onvif-device", "path_walk: {walk:#}");
    assert_eq!(walk["first"], "/snl/live/1/1", "path_walk: {walk:#}");
    // The baseline, "/" and the first round, then Sunell's two paths: the rest of the
    // dictionary is not asked once the named maker's path served.
    let asked = walk["asked"].as_u64().unwrap();
    assert!(
        asked <= 2 * FIRST_ROUND_MOST,
        "{asked} paths asked: {walk:#}"
    );
    // The right password: refused by neither the RTSP server nor the device API.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(&lab.servers[rtsp], "AUTHFAIL"), 0);
    assert_eq!(count(&lab.servers[device], "AUTHFAIL"), 0);
    assert_no_refused_login(cam);
}

/// Case 3: the camera's MAC is in Mobotix AG's IEEE block (00:03:C5), and nothing else names a
/// maker: the walk asks Mobotix's documented `/mobotix.h264` first and finds it behind Digest.
#[test]
fn mac_names_the_maker() {
    let mut lab = Lab::up("mpm");
    const PASSWORD: &str = "Mx-pw-3";
    const MAC: &str = "00:03:c5:12:34:56";
    lab.ip("h1", &["link", "set", "dev", "eth0", "address", MAC]);
    let rtsp = lab.camera(
        PASSWORD,
        json!([{"path": "/mobotix.h264", "video": h264(640, 360, 15), "audio": null}]),
    );
    let creds = lab.creds(&format!("{USER}:{PASSWORD}"));
    let (_out, report, raw) = scan_json(lab.camscan().args([
        "scan",
        LAB_CAM,
        "-p",
        "554",
        "--discovery",
        "arp,ports",
        "--credentials",
        creds.to_str().unwrap(),
    ]));
    let cam = report.device(LAB_CAM);
    assert_eq!(
        cam.mac.as_deref().map(str::to_ascii_lowercase).as_deref(),
        Some(MAC)
    );
    assert!(
        cam.mac_vendor
            .as_deref()
            .is_some_and(|v| v.to_ascii_lowercase().contains("mobotix")),
        "{:?}",
        cam.mac_vendor
    );
    let s = cam.stream(&format!("rtsp://{LAB_CAM}:554/mobotix.h264"));
    assert_eq!((s.status, s.auth), (Status::Ok, Auth::Digest), "{s:?}");
    assert_walk(
        rtsp_service(&raw, LAB_CAM, 554),
        "Mobotix",
        "mac",
        "/mobotix.h264",
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(&lab.servers[rtsp], "AUTHFAIL"), 0);
}
