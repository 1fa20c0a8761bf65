//! Discovery on a real (virtual) LAN: the namespace lab of `tests/lab/lab.sh`, with GStreamer's RTSP
//! server, CPython's http.server, the PyPI WSDiscovery responder, Debian's avahi-daemon (mDNS) and our
//! ONVIF device test double
//! running inside host namespaces. camscan runs inside the scanner namespace only. Each test builds
//! its own lab (its own namespace prefix) and tears it down at the end, also when it fails. One test
//! reconfigures its lab between scans (a host moved to another address, another given its old one)
//! to check the inventory's identity rules on real MACs.
//! Needs root and the lab venv: `scripts/test`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::schema::Report;
use common::{run, stderr, stdout};
use serde_json::json;

/// A lab of namespaces named `prefix-*`, torn down when dropped (panics included).
struct Lab {
    prefix: &'static str,
    servers: Vec<common::Server>,
}

impl Lab {
    fn up(prefix: &'static str) -> Lab {
        Lab::up_with(prefix, 0)
    }

    /// The lab with `extra` more hosts x1..: 198.18.0.101.., MAC 02:00:00:00:01:NN (lab.sh).
    fn up_with(prefix: &'static str, extra: u8) -> Lab {
        assert!(
            common::is_root(),
            "lab_discovery needs root (ip netns): run scripts/test"
        );
        let script = common::root_dir().join("tests/lab/lab.sh");
        let ok = Command::new("bash")
            .arg(&script)
            .args(["up", prefix, &extra.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "lab.sh up failed");
        Lab {
            prefix,
            servers: Vec::new(),
        }
    }

    /// Start a READY-printing program with `python` inside host namespace `ns`; returns its index.
    fn serve_with(&mut self, python: &str, ns: &str, args: &[&str]) -> usize {
        let ns = format!("{}-{ns}", self.prefix);
        let mut full = vec!["netns", "exec", ns.as_str(), python];
        full.extend_from_slice(args);
        self.servers
            .push(common::start("ip", &full, Duration::from_secs(90)));
        self.servers.len() - 1
    }

    /// A server run by Debian's python (GStreamer's bindings live there).
    fn serve(&mut self, ns: &str, args: &[&str]) -> usize {
        self.serve_with("/usr/bin/python3", ns, args)
    }

    /// camscan inside the scanner namespace, with no CAMSCAN_* from the test environment.
    fn camscan(&self) -> Command {
        self.camscan_via(&[])
    }

    /// [`Lab::camscan`] allowed to record in an inventory (the caller passes `--db`).
    fn camscan_recording(&self) -> Command {
        let mut cmd = self.camscan();
        cmd.env_remove("CAMSCAN_NO_DB");
        cmd
    }

    /// `ip -n PREFIX-node args..` (reconfigure one lab host); it must succeed.
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

    /// camscan in the scanner namespace as uid/gid 65534 with no capabilities (setpriv).
    fn camscan_as_nobody(&self) -> Command {
        self.camscan_via(&[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
    }

    fn camscan_via(&self, wrapper: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &format!("{}-scan", self.prefix)])
            .args(wrapper)
            .arg(env!("CARGO_BIN_EXE_camscan"));
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAMSCAN_") || k == "RUST_LOG")
        {
            cmd.env_remove(k);
        }
        // No inventory: the lab's scans leave no trace.
        cmd.env("CAMSCAN_NO_DB", "true");
        cmd
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.servers.clear();
        let script = common::root_dir().join("tests/lab/lab.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["down", self.prefix])
            .status();
    }
}

fn rtsp_config(dir: &std::path::Path, mounts: serde_json::Value) -> std::path::PathBuf {
    rtsp_config_on(dir, "198.18.0.11", mounts)
}

/// GStreamer's RTSP server on `address`:554 (it binds that address only).
fn rtsp_config_on(
    dir: &std::path::Path,
    address: &str,
    mounts: serde_json::Value,
) -> std::path::PathBuf {
    let cfg = dir.join(format!("rtsp-{address}.json"));
    let servers = json!([{"address": address, "port": 554, "auth": null, "mounts": mounts}]);
    std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
    cfg
}

#[test]
fn scan_without_targets_finds_the_lab_by_arp() {
    let mut lab = Lab::up("csl");
    let dir = tempfile::tempdir().unwrap();
    let cfg = rtsp_config(
        dir.path(),
        json!([{"path": "/Streaming/Channels/101",
                "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
                "audio": null}]),
    );
    let root = common::root_dir();
    let rtsp = root.join("tests/servers/rtsp_server.py");
    let http = root.join("tests/servers/http_server.py");
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    lab.serve("h2", &[http.to_str().unwrap(), "198.18.0.12", "80"]);

    // `camscan interfaces` inside the scanner namespace plans exactly the lab subnet.
    let out = run(
        lab.camscan().args(["interfaces", "-f", "json"]),
        Duration::from_secs(10),
    );
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let planned: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["scan"] == true)
        .map(|n| n["interface"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["eth0"]);

    let out = run(
        lab.camscan().args(["scan", "-f", "json", "--log", "info"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("no target given: scanning the attached subnets 198.18.0.0/24"),
        "{err}"
    );
    assert!(
        err.contains("ARP: raw mode"),
        "as root, raw ARP; one line says which mode ran: {err}"
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report.targets, ["198.18.0.0/24"]);
    let plan = report.plan.as_ref().expect("the report's plan");
    assert_eq!(plan.warnings[0].code, "no-targets", "{:?}", plan.warnings);

    // Targets given that come out empty (a blank variable, a generator that wrote nothing) are an
    // error, never the attached LAN. Run in the namespace: were it to scan, only the lab is there.
    let comments = dir.path().join("only-comments.txt");
    std::fs::write(&comments, "# generated: nothing today\n\n").unwrap();
    for args in [
        vec!["scan", ""],
        vec!["scan", " "],
        vec!["scan", "--targets-file", comments.to_str().unwrap()],
    ] {
        let out = run(lab.camscan().args(&args), Duration::from_secs(20));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("hold no address"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing scanned");
    }
    let ips: Vec<&str> = report.devices.iter().map(|d| d.ip.as_str()).collect();
    assert_eq!(
        ips,
        ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"],
        "every host that answers ARP, nothing else"
    );

    let cam = report.device("198.18.0.11");
    assert_eq!(cam.mac.as_deref(), Some("44:19:b6:00:00:11"));
    assert_eq!(
        cam.vendor.as_deref(),
        Some("Hikvision"),
        "vendor from the OUI"
    );
    assert_eq!(cam.discovered_by, ["arp", "port"]);
    assert!(cam.is_camera);
    assert!(
        cam.stream("rtsp://198.18.0.11:554/Streaming/Channels/101")
            .verified
    );
    let web = report.device("198.18.0.12");
    assert_eq!(web.mac.as_deref(), Some("02:00:00:00:00:12"));
    assert!(!web.is_camera && web.services[0].protocol == "http");
    let quiet = report.device("198.18.0.13");
    assert_eq!(
        quiet.discovered_by,
        ["arp"],
        "alive by ARP though no port is open"
    );
    assert!(quiet.open_ports.is_empty());
    let firewalled = report.device("198.18.0.14");
    assert_eq!(firewalled.mac.as_deref(), Some("02:00:00:00:00:14"));
    assert_eq!(
        firewalled.discovered_by,
        ["arp"],
        "alive though it drops all IP"
    );

    // Without privileges (uid nobody, no capabilities) the unprivileged method finds the same hosts
    // and MACs. Ports-only discovery with a 2 s connect timeout: the firewalled host's 19 dropped
    // probes run side by side, so the whole scan costs about one timeout, not seventeen.
    let started = std::time::Instant::now();
    let out = run(
        lab.camscan_as_nobody().args([
            "scan",
            "-f",
            "json",
            "--log",
            "info",
            "--discovery",
            "arp,ports",
            "--no-verify",
            "--connect-timeout",
            "2s",
        ]),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("ARP: unprivileged mode"), "{err}");
    let unprivileged: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let macs = |r: &Report| -> Vec<(String, Option<String>)> {
        r.devices
            .iter()
            .map(|d| (d.ip.clone(), d.mac.clone()))
            .collect()
    };
    assert_eq!(macs(&unprivileged), macs(&report));
    // ARP 0.8 s + one 2 s timeout; a second wave of probes would make it 4.8 s or more.
    assert!(
        took < Duration::from_millis(4500),
        "a firewalled host costs one connect timeout, took {took:?}"
    );
}

/// Every MAC's maker from the embedded IEEE registry: h1's 44:19:b6 is Hikvision's block (its
/// organisation and the vendor), h2's 02:00:... has the locally administered bit (randomised: no
/// maker), in JSON and in the CSV's last columns. ARP alone, no servers.
#[test]
fn arp_names_each_macs_maker_and_a_randomised_mac_none() {
    let lab = Lab::up("csk");
    let out = run(
        lab.camscan()
            .args(["scan", "-f", "json", "--discovery", "arp"]),
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "no camera found: {}",
        stderr(&out)
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let h1 = report.device("198.18.0.11");
    assert_eq!(h1.discovered_by, ["arp"]);
    assert_eq!(
        h1.mac_vendor.as_deref(),
        Some("Hangzhou Hikvision Digital Technology Co.,Ltd.")
    );
    assert_eq!(h1.vendor.as_deref(), Some("Hikvision"));
    assert!(!h1.mac_randomized);
    let h2 = report.device("198.18.0.12");
    assert_eq!(h2.mac.as_deref(), Some("02:00:00:00:00:12"));
    assert!(h2.mac_randomized);
    assert_eq!(
        (h2.mac_vendor.as_deref(), h2.vendor.as_deref()),
        (None, None)
    );

    let out = run(
        lab.camscan()
            .args(["scan", "-f", "csv", "--discovery", "arp"]),
        Duration::from_secs(60),
    );
    let csv = stdout(&out);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .contains(",mac_vendor,mac_randomized,"),
        "{csv}"
    );
    let row = |ip: &str| {
        lines
            .clone()
            .find(|l| l.starts_with(&format!("{ip},")))
            .unwrap()
    };
    // The MAC's maker, then the seven capability columns, `misaddressed`, `reach` and
    // `nvr_channels` (nothing learned by ARP alone).
    assert!(
        row("198.18.0.11")
            .ends_with(",\"Hangzhou Hikvision Digital Technology Co.,Ltd.\",false,,,,,,,,,,"),
        "{csv}"
    );
    assert!(row("198.18.0.12").ends_with(",,true,,,,,,,,,,"), "{csv}");
}

/// ONVIF end to end: the real WS-Discovery responder (PyPI WSDiscovery) announces a
/// NetworkVideoTransmitter; camscan finds it by Probe, logs in to its device API (our ONVIF test
/// double, PasswordDigest stamped with the device clock) after one wrong password, names the device
/// from GetDeviceInformation, and analyses the streams GetStreamUri returns (GStreamer).
#[test]
fn onvif_device_found_named_and_streams_analysed() {
    let mut lab = Lab::up("csm");
    let dir = tempfile::tempdir().unwrap();
    let cfg = rtsp_config(
        dir.path(),
        json!([
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 1280, "height": 720, "fps": 25, "profile": "main"},
             "audio": null},
            {"path": "/Streaming/Channels/102",
             "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
             "audio": null},
            {"path": "/Streaming/Channels/103",
             "video": {"codec": "h265", "width": 1280, "height": 720, "fps": 15},
             "audio": null}]),
    );
    let root = common::root_dir();
    let rtsp = root.join("tests/servers/rtsp_server.py");
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let onvif = root.join("tests/lab/responders/onvif_device.py");
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[wsd.to_str().unwrap(), "198.18.0.11"],
    );
    let device = lab.serve(
        "h1",
        &[
            onvif.to_str().unwrap(),
            "198.18.0.11",
            "--port",
            "8000",
            "--user",
            "admin",
            "--password",
            "s3cret",
            "--media2",
        ],
    );
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:wr0ng-pw\nadmin:s3cret\n").unwrap();
    // Only the ONVIF port is probed, no RTSP port: the streams must come from GetStreamUri.
    // Trace logging on: the ONVIF logins (WS-UsernameToken, HTTP Digest) and the RTSP ones must
    // not leak a password at any level.
    let out = run(
        lab.camscan()
            .args([
                "scan",
                "-f",
                "json",
                "-p",
                "8000",
                "--credentials",
                creds.to_str().unwrap(),
            ])
            .env("CAMSCAN_LOG", "trace"),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("TRACE"), "trace logging was on: {err}");
    // The device API is asked the moment the device's ProbeMatch is read, not when the discovery
    // window (1.5 s) has closed.
    let (asked, window) = (
        err.find("ONVIF device API asked"),
        err.find("WS-Discovery finished"),
    );
    assert!(
        asked.is_some() && asked < window,
        "device API asked at {asked:?}, window closed at {window:?}"
    );
    let all = format!("{}{err}", stdout(&out));
    // The passwords, and Basic's base64 of "admin:s3cret" / "admin:wr0ng-pw".
    for secret in [
        "s3cret",
        "wr0ng-pw",
        "YWRtaW46czNjcmV0",
        "YWRtaW46d3IwbmctcHc",
    ] {
        assert!(!all.contains(secret), "{secret:?} leaked");
    }
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let cam = report.device("198.18.0.11");
    assert_eq!(cam.discovered_by, ["arp", "onvif", "port"], "{cam:?}");
    assert!(cam.is_camera);
    assert_eq!(
        cam.name.as_deref(),
        Some("Lab Camera"),
        "name from the WS-Discovery scopes"
    );
    assert_eq!(
        cam.vendor.as_deref(),
        Some("Hikvision"),
        "GetDeviceInformation beats the OUI guess (its HIKVISION spelled as the registry spells it)"
    );
    assert_eq!(cam.model.as_deref(), Some("DS-2CD2043G2-I"));
    assert_eq!(cam.firmware.as_deref(), Some("V5.7.3"));
    assert_eq!(
        cam.serial.as_deref(),
        Some("DS-2CD2043G2-I20230101AAWRJ12345678")
    );
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let onvif_info = &raw["devices"][0]["onvif"];
    assert_eq!(
        onvif_info["endpoint"],
        "urn:uuid:bbb5242c-7a3c-5dac-9499-5d54f3d33f8c"
    );
    assert_eq!(
        onvif_info["xaddrs"][0],
        "http://198.18.0.11:8000/onvif/device_service"
    );
    let urls: Vec<&str> = cam.streams.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "rtsp://198.18.0.11:554/Streaming/Channels/101",
            "rtsp://198.18.0.11:554/Streaming/Channels/102",
            "rtsp://198.18.0.11:554/Streaming/Channels/103"
        ],
        "the H.265 stream is listed by Media2 only"
    );
    let h265 = cam.stream("rtsp://198.18.0.11:554/Streaming/Channels/103");
    assert_eq!(h265.video.as_ref().unwrap().codec, "h265");
    let profiles = onvif_info["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 3, "{profiles:?}");
    assert_eq!(profiles[2]["token"], "Profile_3");
    assert_eq!(profiles[2]["encoding"], "H265");
    assert_eq!(profiles[2]["service"], "media2");
    assert_eq!(
        profiles[2]["stream_uri"],
        "rtsp://198.18.0.11:554/Streaming/Channels/103"
    );
    assert_eq!(
        profiles[0]["snapshot_uri"],
        "http://198.18.0.11/onvif-http/snapshot?Profile_1"
    );
    assert_eq!(profiles[0]["fps"], 25.0);
    let main = cam.stream("rtsp://198.18.0.11:554/Streaming/Channels/101");
    assert!(main.verified);
    let v = main.video.as_ref().unwrap();
    assert_eq!((v.width, v.height), (Some(1280), Some(720)));
    // The device itself counted the failed logins: within the budget.
    std::thread::sleep(Duration::from_millis(300));
    let fails = lab.servers[device]
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("AUTHFAIL"))
        .count();
    assert!((1..=3).contains(&fails), "{fails} failed logins (budget 3)");
}

/// An ONVIF camera that names its streams is not walked (issue 83): GetStreamUri names two paths no
/// dictionary holds (`/onvif/ch101`, `/onvif/ch102`, GStreamer serving them), the device API names
/// Hikvision, and the RTSP port's walk asks those two (and `/`, and the random baseline path), no
/// other maker's path; WS-Discovery's answer may come after the walk began (a responder waits up
/// to 0.5 s): the walk waits for it within the discovery window, before its first round when it
/// knows the device's web port, else before any other maker's path. Before issue 83 the dictionary walk ran beside the ONVIF answer
/// (the issue counted 201 DESCRIBEs on such a camera).
#[test]
#[allow(clippy::print_stderr)] // the walk and the counts, for --nocapture
fn an_onvif_camera_that_names_its_streams_gets_no_dictionary_walk() {
    let mut lab = Lab::up("csor");
    let dir = tempfile::tempdir().unwrap();
    let video = json!({"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"});
    let cfg = rtsp_config(
        dir.path(),
        json!([
            {"path": "/onvif/ch101", "video": video, "audio": null},
            {"path": "/onvif/ch102", "video": video, "audio": null}]),
    );
    let root = common::root_dir();
    let rtsp = root.join("tests/servers/rtsp_server.py");
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let onvif = root.join("tests/lab/responders/onvif_device.py");
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[wsd.to_str().unwrap(), "198.18.0.11"],
    );
    lab.serve(
        "h1",
        &[
            onvif.to_str().unwrap(),
            "198.18.0.11",
            "--port",
            "8000",
            "--stream-path",
            "/onvif/ch{channel}",
        ],
    );
    let out = run(
        lab.camscan().args(["scan", "-f", "json", "-p", "554,8000"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let cam = report.device("198.18.0.11");
    for path in ["/onvif/ch101", "/onvif/ch102"] {
        let s = cam.stream(&format!("rtsp://198.18.0.11:554{path}"));
        assert!(s.verified, "{s:?}");
    }
    let device = raw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "198.18.0.11")
        .unwrap();
    let rtsp = device["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["port"] == 554 && s["protocol"] == "rtsp")
        .unwrap_or_else(|| panic!("no RTSP service: {device:#}"));
    let walk = &rtsp["path_walk"];
    assert_eq!(walk["walk"], "focused", "{walk:#}");
    // The random baseline path, the two named paths and `/` when the device API answered before
    // the walk began (it waits within the discovery window when it knows of the web port first);
    // on a loaded machine the port probes of 8000 may come after 554's walk began, whose first
    // round is then its maker's (by MAC) documented paths until the named ones came. Never
    // another maker's path: no dictionary walk.
    let asked = walk["asked"].as_u64().unwrap();
    match walk["stopped"].as_str() {
        Some("named") => assert!(asked <= 4, "{asked} DESCRIBEs: {walk:#} {err}"),
        Some("later-round") => assert!(asked <= 10, "{asked} DESCRIBEs: {walk:#} {err}"),
        other => panic!("the walk stopped {other:?}: {walk:#}"),
    }
    assert_eq!(walk["answers"]["200"], 2, "{walk:#}");
    // Every RTSP request the device was sent: detection's OPTIONS, those DESCRIBEs, each stream's
    // description and PLAY check, the talk-back DESCRIBE: about five a stream.
    let counted = raw["coverage"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ip"] == "198.18.0.11")
        .unwrap_or_else(|| panic!("no request count: {:#}", raw["coverage"]));
    let rtsp_requests = counted["rtsp"].as_u64().unwrap();
    eprintln!("path_walk {walk}\nrequests {counted}");
    assert!(
        rtsp_requests <= 18,
        "{rtsp_requests} RTSP requests for two streams: {counted}"
    );
}

/// `camscan audit` on what discovery and the ONVIF device API tell: an ONVIF device that answers
/// its media operations to anyone, whose clock runs 10 minutes ahead (Debian's libfaketime under
/// the device, not an option of it), and whose SADP agent says it was never activated; another that
/// asks for credentials with a right clock (no finding); a UPnP device announcing itself over SSDP
/// (GUPnP/GSSDP); two hosts answering ARP for one address. The ONVIF device and the SADP agent are
/// our fakes (vendor firmware only).
#[test]
fn audit_judges_what_discovery_and_onvif_tell() {
    let mut lab = Lab::up_with("csy", 2);
    // Two boxes answering ARP for one address: x2 takes x1's 198.18.0.101 as well.
    lab.ip("x2", &["addr", "add", "198.18.0.101/24", "dev", "eth0"]);
    let root = common::root_dir();
    let path = |p: &str| root.join(p).to_string_lossy().into_owned();
    let (wsd, onvif) = (
        path("tests/lab/responders/wsd_responder.py"),
        path("tests/lab/responders/onvif_device.py"),
    );
    lab.serve_with(&common::lab_python(), "h1", &[&wsd, "198.18.0.11"]);
    lab.serve_with(
        "faketime",
        "h1",
        &[
            "-f",
            "+600s",
            "/usr/bin/python3",
            &onvif,
            "198.18.0.11",
            "--port",
            "8000",
        ],
    );
    let agent = path("tests/lab/responders/vendor_device.py");
    lab.serve(
        "h1",
        &[&agent, "sadp", "198.18.0.11", "--activated", "false"],
    );
    lab.serve_with(&common::lab_python(), "h2", &[&wsd, "198.18.0.12"]);
    lab.serve(
        "h2",
        &[
            &onvif,
            "198.18.0.12",
            "--port",
            "8000",
            "--user",
            "admin",
            "--password",
            "s3cret",
        ],
    );
    lab.serve(
        "h3",
        &[&path("tests/lab/responders/ssdp_device.py"), "198.18.0.13"],
    );
    let out = run(
        lab.camscan().args(["audit", "-f", "json", "-p", "8000"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("id"),
                s("severity"),
                f["device"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("uninitialized-device", "critical", "198.18.0.11"),
        ("onvif-unauthenticated", "high", "198.18.0.11"),
        ("clock-skew", "high", "198.18.0.11"),
        ("ip-conflict", "medium", "198.18.0.101"),
        // The lab's ONVIF device takes WS-UsernameToken only (a SOAP fault, no HTTP challenge).
        ("onvif-usernametoken-only", "low", "198.18.0.12"),
        ("upnp-exposed", "low", "198.18.0.13"),
        // An Axis camera that reports no firmware: the advisories covering every Axis model may
        // apply (CVE-2017-20049, all firmware before 5.65; CVE-2023-21414's ARTPEC-8 line).
        ("firmware-advisory", "info", "198.18.0.13"),
        ("firmware-advisory", "info", "198.18.0.13"),
    ];
    assert_eq!(
        found,
        want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())),
        "{err}"
    );
    let titles: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "firmware-advisory")
        .map(|f| f["title"].as_str().unwrap_or_default())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("CVE-2017-20049: may apply"))
            && titles
                .iter()
                .any(|t| t.starts_with("CVE-2023-21414: may apply")),
        "{titles:?}"
    );
    let evidence = |i: usize| doc["findings"][i]["evidence"].as_str().unwrap().to_string();
    assert_eq!(evidence(0), "its SADP answer says it is not activated");
    assert!(
        evidence(1).starts_with("GetDeviceInformation, GetProfiles, GetStreamUri")
            && evidence(1).contains("http://198.18.0.11:8000/onvif/device_service"),
        "{}",
        evidence(1)
    );
    // 600 s ahead, give or take the round trip.
    assert!(
        ["9 min 59 s ahead", "10 min 0 s ahead", "10 min 1 s ahead"]
            .iter()
            .any(|a| evidence(2).contains(a)),
        "{}",
        evidence(2)
    );
    // Whichever box answered first is the device's MAC; both are named.
    let conflict = evidence(3);
    assert!(
        conflict.starts_with("ARP requests for 198.18.0.101 were answered by 2 MACs: ")
            && conflict.contains("02:00:00:00:01:01")
            && conflict.contains("02:00:00:00:01:02"),
        "{conflict}"
    );
    assert_eq!(
        evidence(4),
        "onvif http://198.18.0.12:8000 refused requests without an HTTP Digest challenge; \
         offered: ws-usernametoken"
    );
    assert!(evidence(5).contains("SSDP"), "{}", evidence(5));
    // The device that asks for credentials: what it answered openly is only PRE_AUTH, its clock
    // is right; the report says so.
    let d12 = doc["report"]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "198.18.0.12")
        .unwrap();
    assert!(d12["onvif"].get("unauthenticated").is_none(), "{d12}");
    assert!(d12["onvif"]["clock_offset_s"].as_i64().unwrap().abs() <= 2);
}

/// `firmware-advisory` end to end: two ONVIF devices (our test double) tell their maker, model
/// and firmware through GetDeviceInformation as a Hikvision DS-2CD2142F-IW would: one on
/// V5.3.0 build 151016, inside CVE-2017-7921's range for the DS-2CD2xx2F-I series (critical: in
/// CISA's KEV), one on V5.4.41 build 170312, the fixed line (nothing); a third reports the same
/// vulnerable firmware for a model of another series (nothing: a version alone never matches).
#[test]
fn audit_matches_an_advisory_on_maker_model_and_firmware() {
    let mut lab = Lab::up("csf");
    let root = common::root_dir();
    let path = |p: &str| root.join(p).to_string_lossy().into_owned();
    let (wsd, onvif) = (
        path("tests/lab/responders/wsd_responder.py"),
        path("tests/lab/responders/onvif_device.py"),
    );
    for (host, ip, model, firmware) in [
        ("h1", "198.18.0.11", "DS-2CD2142F-IW", "V5.3.0 build 151016"),
        (
            "h2",
            "198.18.0.12",
            "DS-2CD2142F-IW",
            "V5.4.41 build 170312",
        ),
        ("h3", "198.18.0.13", "DS-2CD2143G2-I", "V5.3.0 build 151016"),
    ] {
        lab.serve_with(&common::lab_python(), host, &[&wsd, ip]);
        lab.serve(
            host,
            &[
                &onvif,
                ip,
                "--port",
                "8000",
                "--model",
                model,
                "--firmware",
                firmware,
            ],
        );
    }
    let out = run(
        lab.camscan().args(["audit", "-f", "json", "-p", "8000"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let advisories: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "firmware-advisory")
        .collect();
    assert_eq!(advisories.len(), 1, "{advisories:?} {err}");
    let f = advisories[0];
    assert_eq!(
        (f["severity"].as_str(), f["device"]["address"].as_str()),
        (Some("critical"), Some("198.18.0.11"))
    );
    let evidence = f["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with(
            "advisory CVE-2017-7921 (ICSA-17-124-01) applies to DS-2CD2142F-IW before firmware \
             V5.4.41"
        ) && evidence.contains("the device runs V5.3.0 build 151016"),
        "{evidence}"
    );
    assert!(f["source"].as_str().unwrap().contains("icsa-17-124-01"));
}

/// SSDP with a real UPnP stack: GUPnP/GSSDP (Debian) announcing a camera-like device (an Axis P3301
/// description). camscan finds it by M-SEARCH, fetches its description from the device itself, and
/// names the device from it.
#[test]
fn ssdp_device_found_and_described() {
    let mut lab = Lab::up("csn");
    let ssdp = common::root_dir().join("tests/lab/responders/ssdp_device.py");
    lab.serve("h3", &[ssdp.to_str().unwrap(), "198.18.0.13"]);
    let out = run(
        lab.camscan()
            .args(["scan", "-f", "json", "--discovery", "arp,ssdp"]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an Axis description makes a camera: {err}"
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let d = report.device("198.18.0.13");
    assert_eq!(d.discovered_by, ["arp", "ssdp"], "{d:?}");
    assert!(d.is_camera);
    assert_eq!(
        d.vendor.as_deref(),
        Some("Axis"),
        "UPnP's AXIS, spelled as the vendor registry spells it"
    );
    assert_eq!(d.model.as_deref(), Some("AXIS P3301"));
    assert_eq!(d.serial.as_deref(), Some("00408CA45086"));
    assert_eq!(d.name.as_deref(), Some("AXIS P3301 - 00408CA45086"));
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let upnp = &raw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ip"] == "198.18.0.13")
        .unwrap()["upnp"];
    assert_eq!(upnp["udn"], "uuid:Upnp-BasicDevice-1_0-00408CA45086");
    // With its ports probed (port 80 only), its LOCATION's web server (GUPnP's, on a random port)
    // is probed too and listed among its services (issue 84: it was not).
    let out = run(
        lab.camscan().args([
            "scan",
            "198.18.0.13",
            "-p",
            "80",
            "-f",
            "json",
            "--discovery",
            "arp,ssdp,ports",
        ]),
        Duration::from_secs(60),
    );
    let probed: Report =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let h3 = probed.device("198.18.0.13");
    let web: Vec<u16> = h3
        .services
        .iter()
        .filter(|s| s.protocol == "http" && s.port != 80)
        .map(|s| s.port)
        .collect();
    assert_eq!(web.len(), 1, "{:?}\n{}", h3.services, stderr(&out));
    assert!(h3.open_ports.contains(&web[0]), "{:?}", h3.open_ports);
    // Other lab hosts answer ARP but not SSDP.
    assert!(
        !report
            .device("198.18.0.11")
            .discovered_by
            .contains(&"ssdp".to_string())
    );
}

/// Vendor discovery: a Hikvision NVR's SADP agent (answering to the multicast group) and a Dahua
/// camera's DHIP agent (answering the asker) name their devices; the NVR's announced channel count
/// makes the RTSP channel walk step over an empty input (channel 2) to find channel 3; and a host
/// with two addresses is one device. The SADP/DHIP agents are our fakes (vendor firmware only).
#[test]
fn sadp_and_dhip_name_devices_and_feed_the_channel_walk() {
    let mut lab = Lab::up("cso");
    let dir = tempfile::tempdir().unwrap();
    let video = json!({"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"});
    let cfg = rtsp_config(
        dir.path(),
        json!([
            {"path": "/Streaming/Channels/101", "video": video, "audio": null},
            {"path": "/Streaming/Channels/301", "video": video, "audio": null}]),
    );
    let root = common::root_dir();
    let rtsp = root.join("tests/servers/rtsp_server.py");
    let agent = root.join("tests/lab/responders/vendor_device.py");
    let agent = agent.to_str().unwrap();
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    let sadp = lab.serve(
        "h1",
        &[
            agent,
            "sadp",
            "198.18.0.11",
            "--channels",
            "3",
            "--reply",
            "multicast",
        ],
    );
    let dhip = lab.serve("h2", &[agent, "dhip", "198.18.0.12", "--reply", "unicast"]);

    let out = run(
        lab.camscan().args([
            "scan",
            "198.18.0.0/24",
            "-f",
            "json",
            "--log",
            "info",
            "--no-verify",
            "--discovery",
            "arp,sadp,dhip,ports",
            "--discovery-wait",
            "700ms",
        ]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let raw_device = |ip: &str| {
        raw["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .unwrap()
            .clone()
    };

    let nvr = report.device("198.18.0.11");
    assert_eq!(nvr.discovered_by, ["arp", "port", "sadp"]);
    assert_eq!(nvr.vendor.as_deref(), Some("Hikvision"));
    assert_eq!(nvr.model.as_deref(), Some("DS-7604NI-K1"));
    assert_eq!(
        nvr.serial.as_deref(),
        Some("DS-7604NI-K10420231122CCRRJ00000001")
    );
    assert_eq!(nvr.firmware.as_deref(), Some("V4.74.010 build 231122"));
    let raw_nvr = raw_device("198.18.0.11");
    assert_eq!(raw_nvr["channels"], 3);
    let announced = &raw_nvr["announced"][0];
    assert_eq!(announced["protocol"], "sadp");
    assert_eq!(announced["mac"], "44:19:b6:00:00:11");
    assert_eq!(announced["sdk_port"], 8000);
    assert_eq!(announced["activated"], true);
    let urls: Vec<&str> = nvr.streams.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "rtsp://198.18.0.11:554/Streaming/Channels/101",
            "rtsp://198.18.0.11:554/Streaming/Channels/301"
        ],
        "channel 3 found past the empty channel 2 because 3 channels were announced"
    );

    let cam = report.device("198.18.0.12");
    assert_eq!(cam.discovered_by, ["arp", "dhip"]);
    assert!(
        cam.is_camera,
        "a DHIP device is a video device without any stream"
    );
    assert_eq!(cam.vendor.as_deref(), Some("Dahua"));
    assert_eq!(cam.model.as_deref(), Some("IPC-HDW2431T-AS-S2"));
    assert_eq!(cam.serial.as_deref(), Some("7J0ABCD1234567"));
    let raw_cam = raw_device("198.18.0.12");
    assert_eq!(raw_cam["announced"][0]["sdk_port"], 37777);
    assert_eq!(raw_cam["announced"][0]["mac"], "02:00:00:00:00:12");

    // One box, two addresses (same MAC): one device. Its IPv6 link-local address (EUI-64 of the
    // same MAC) joins it when the all-nodes echo after the sweep finds the address past duplicate
    // address detection: on a loaded machine it is, on an idle one the lab is too new.
    let twin = raw_device("198.18.0.13");
    let addresses: Vec<&str> = twin["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        addresses
            .iter()
            .filter(|a| !a.contains(':'))
            .copied()
            .collect::<Vec<_>>(),
        ["198.18.0.13", "198.18.0.23"],
        "{addresses:?}"
    );
    assert!(
        addresses
            .iter()
            .filter(|a| a.contains(':'))
            .all(|a| *a == "fe80::ff:fe00:13"),
        "only the box's own link-local address: {addresses:?}"
    );
    assert!(report.devices.iter().all(|d| d.ip != "198.18.0.23"));

    // Both agents were asked (multicast, broadcast and unicast all reach them) and answered.
    for agent in [sadp, dhip] {
        let lines = lab.servers[agent].lines.lock().unwrap().clone();
        assert!(lines.iter().any(|l| l == "QUERY 198.18.0.1"), "{lines:?}");
    }
}

/// DVRIP, Ubiquiti, Hanwha, Vivotek, Sony, Bosch and Foscam through the one vendor engine, each host
/// answering with
/// a reply captured from a real device or published by a scanner's self-test (tests/fixtures/vendor/README.md),
/// replayed unchanged by `replay.py`. The captured replies carry the real devices' own addresses and
/// MACs (192.168.x, e0:63:da:..): camscan keeps each answer by the address it came from (a target),
/// reports the device's own MAC and address in `announced`, and names, models and serials the box.
#[test]
fn captured_vendor_replies_name_devices() {
    let mut lab = Lab::up_with("csd", 6);
    let root = common::root_dir();
    let replay = root.join("tests/lab/responders/replay.py");
    let replay = replay.to_str().unwrap().to_string();
    let fixture = |f: &str| {
        root.join("tests/fixtures/vendor")
            .join(f)
            .to_str()
            .unwrap()
            .to_string()
    };
    // (host, address, port, fixture, extra arguments)
    let plan: [(&str, &str, &str, String, &[&str]); 8] = [
        (
            "x1",
            "198.18.0.101",
            "34569",
            fixture("dvrip/besder_xm530_ipsearch_rsp.json"),
            &[
                "--expect",
                "ff00000000000000000000000000fa05",
                "--reply-port",
                "34569",
                "--dvrip-header",
            ],
        ),
        (
            "x2",
            "198.18.0.102",
            "10001",
            fixture("ubiquiti/uvc_g4_pro.bin"),
            &["--expect", "01000000", "--group", "233.89.188.1"],
        ),
        (
            "x3",
            "198.18.0.103",
            "10001",
            fixture("ubiquiti/ufp_uap_b.bin"),
            &["--expect", "01000000"],
        ),
        (
            "x4",
            "198.18.0.104",
            "7701",
            fixture("hanwha/universalscanner_selftest.bin"),
            &["--expect", "0100000000", "--reply-port", "7711"],
        ),
        (
            "h2",
            "198.18.0.12",
            "10000",
            fixture("vivotek/universalscanner_selftest.bin"),
            &["--expect", "..4a5d8f1c"],
        ),
        (
            "h3",
            "198.18.0.13",
            "2380",
            fixture("sony/universalscanner_selftest.bin"),
            &["--expect", "02454e513a616c6c696e666fff03"],
        ),
        (
            "x5",
            "198.18.0.105",
            "1757",
            fixture("bosch/universalscanner_selftest.xml"),
            &[
                "--expect",
                "9939a427........ff0006de",
                "--reply-port",
                "1758",
            ],
        ),
        (
            "x6",
            "198.18.0.106",
            "10000",
            fixture("foscam/universalscanner_selftest.bin"),
            &["--expect", "4d4f5f490000", "--reply-port", "10000"],
        ),
    ];
    let mut agents = Vec::new();
    for (host, address, port, file, extra) in &plan {
        let mut args = vec![replay.as_str(), *address, *port, file.as_str()];
        args.extend_from_slice(extra);
        agents.push(lab.serve(host, &args));
    }

    let out = run(
        lab.camscan().args([
            "scan",
            "198.18.0.0/24",
            "-f",
            "json",
            "--log",
            "info",
            "--no-verify",
            "--discovery",
            "arp,dvrip,ubiquiti,hanwha,vivotek,sony,bosch,foscam",
        ]),
        Duration::from_secs(60),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();

    // XMeye/Sofia DVRIP: the Besder camera's search answer (to port 34569 of the asker).
    let xm = report.device("198.18.0.101");
    assert_eq!(xm.discovered_by, ["arp", "dvrip"]);
    assert!(xm.is_camera);
    assert_eq!(xm.vendor.as_deref(), Some("XMeye"));
    assert_eq!(xm.name.as_deref(), Some("camera_743c"), "HostName");
    assert_eq!(xm.serial.as_deref(), Some("09d53d540f99b818"));
    assert_eq!(
        xm.firmware.as_deref(),
        Some("V5.00.R02.00030747.10010.349f17.0000000")
    );
    assert_eq!(xm.channels, Some(1), "ChannelNum goes to the channel walk");
    assert_eq!(xm.mac.as_deref(), Some("02:00:00:00:01:01"), "ARP's MAC");
    let a = &xm.announced[0];
    assert_eq!(a.protocol, "dvrip");
    assert_eq!(
        a.mac.as_deref(),
        Some("dc:29:19:e2:74:3c"),
        "the device's own"
    );
    assert_eq!(a.ipv4.as_deref(), Some("192.168.1.103"), "HostIP");
    assert_eq!(a.sdk_port, Some(34567));

    // Ubiquiti: a UniFi G4 Pro camera, and a UniFi Protect bridge that is no camera.
    let uvc = report.device("198.18.0.102");
    assert_eq!(uvc.discovered_by, ["arp", "ubiquiti"]);
    assert!(uvc.is_camera);
    assert_eq!(uvc.vendor.as_deref(), Some("Ubiquiti"));
    assert_eq!(uvc.model.as_deref(), Some("UVC G4 Pro"));
    assert_eq!(uvc.name.as_deref(), Some("Gate"));
    assert_eq!(uvc.announced[0].mac.as_deref(), Some("e0:63:da:00:5e:08"));
    let bridge = report.device("198.18.0.103");
    assert_eq!(bridge.discovered_by, ["arp", "ubiquiti"]);
    assert!(!bridge.is_camera, "a UniFi bridge is not a camera");
    assert_eq!(bridge.model.as_deref(), Some("UFP-UAP-B"));
    assert_eq!(bridge.name.as_deref(), Some("AlexanderTechRoom"));

    // Hanwha: asked on 7701, answered to 7711.
    let hanwha = report.device("198.18.0.104");
    assert_eq!(hanwha.discovered_by, ["arp", "hanwha"]);
    assert_eq!(hanwha.vendor.as_deref(), Some("Hanwha"));
    assert_eq!(hanwha.model.as_deref(), Some("Virtual"));
    assert!(hanwha.is_camera);

    let vivotek = report.device("198.18.0.12");
    assert_eq!(vivotek.discovered_by, ["arp", "vivotek"]);
    assert_eq!(vivotek.vendor.as_deref(), Some("Vivotek"));
    assert_eq!(vivotek.name.as_deref(), Some("Virtual-Virtual-1"));

    // Sony, on the host that also answers on 198.18.0.23 (one box: same MAC).
    let sony = report.device("198.18.0.13");
    assert!(sony.discovered_by.contains(&"sony".to_string()));
    assert_eq!(sony.vendor.as_deref(), Some("Sony"));
    assert_eq!(sony.model.as_deref(), Some("Virtual"));
    // A placeholder serial is reported but merges nothing (registry::is_real_serial).
    assert_eq!(sony.serial.as_deref(), Some("123456789"));
    assert_eq!(sony.announced[0].mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));

    // Bosch: asked on 1757, answered (the XML form) to 1758.
    let bosch = report.device("198.18.0.105");
    assert_eq!(bosch.discovered_by, ["arp", "bosch"]);
    assert_eq!(bosch.vendor.as_deref(), Some("Bosch"));
    assert_eq!(bosch.model.as_deref(), Some("Virtual (XML)"));
    assert_eq!(bosch.serial.as_deref(), Some("12345678:12345678"));

    // Foscam, on the port Vivotek uses too: each protocol reads only its own answers.
    let foscam = report.device("198.18.0.106");
    assert_eq!(foscam.discovered_by, ["arp", "foscam"]);
    assert_eq!(foscam.vendor.as_deref(), Some("Foscam"));
    assert_eq!(foscam.name.as_deref(), Some("Virtual device"));

    for (agent, (host, ..)) in agents.into_iter().zip(&plan) {
        let lines = lab.servers[agent].lines.lock().unwrap().clone();
        assert!(
            lines.iter().any(|l| l == "QUERY 198.18.0.1"),
            "{host}: {lines:?}"
        );
    }
}

/// mDNS / DNS-SD against Debian's avahi-daemon (what Linux-based cameras run), with static service
/// files: an Axis-style camera on h1 (`_axis-video._tcp` with TXT `macaddress`, `_rtsp._tcp` with
/// a `path` no dictionary holds, on a port not in the scan's list) and a printer on h2. mDNS is on
/// by default and its answers arrive inside the discovery window: the camera is named from its
/// instance and host name, its RTSP port is probed because it was announced and the announced path
/// is what finds its stream. With mDNS as the only method, the device is still found and its
/// announced stream described (and its MAC taken from the TXT record, ARP having seen none).
#[test]
fn mdns_names_devices_and_leads_to_announced_streams() {
    let mut lab = Lab::up("csq");
    let dir = tempfile::tempdir().unwrap();
    let video = json!({"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"});
    let cfg = dir.path().join("rtsp.json");
    let servers = json!([{"address": "198.18.0.11", "port": 8554, "auth": null,
        "mounts": [{"path": "/lab/announced-by-mdns", "video": video, "audio": null}]}]);
    std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
    let root = common::root_dir();
    let rtsp = root.join("tests/servers/rtsp_server.py");
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    let avahi = root.join("tests/lab/responders/avahi_device.py");
    let avahi = avahi.to_str().unwrap();
    let services = root.join("tests/lab/responders/avahi");
    let camera = services.join("axis-camera.service");
    let printer = services.join("printer.service");
    lab.serve(
        "h1",
        &[avahi, "axis-accc8e0a1b2c", camera.to_str().unwrap()],
    );
    lab.serve("h2", &[avahi, "brother-printer", printer.to_str().unwrap()]);

    let scan = |extra: &[&str]| {
        let mut cmd = lab.camscan();
        cmd.args([
            "scan",
            "198.18.0.0/24",
            "-f",
            "json",
            "--log",
            "info",
            "--ports",
            "80",
        ])
        .args(extra);
        let out = run(&mut cmd, Duration::from_secs(60));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        let raw: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        (raw, err)
    };
    let device = |raw: &serde_json::Value, ip: &str| {
        raw["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .unwrap_or_else(|| panic!("no {ip} in {raw:#}"))
            .clone()
    };

    // Default methods: ARP, ..., mDNS, ports, in one discovery window.
    let (raw, err) = scan(&[]);
    assert!(err.contains("mDNS finished devices=2"), "{err}");
    let cam = device(&raw, "198.18.0.11");
    assert_eq!(cam["discovered_by"], json!(["arp", "port", "mdns"]));
    assert_eq!(cam["name"], "AXIS M3045-V - ACCC8E0A1B2C");
    assert_eq!(cam["hostname"], "axis-accc8e0a1b2c.local");
    assert_eq!(
        cam["mac"], "44:19:b6:00:00:11",
        "the MAC seen by ARP, not the TXT's"
    );
    assert_eq!(cam["is_camera"], true);
    assert_eq!(
        cam["open_ports"],
        json!([8554]),
        "8554 is not in --ports 80: probed because it was announced"
    );
    let services = &cam["mdns"]["services"];
    assert_eq!(
        services[0],
        json!({"service": "_axis-video._tcp", "instance": "AXIS M3045-V - ACCC8E0A1B2C",
               "host": "axis-accc8e0a1b2c.local", "port": 80,
               "txt": ["macaddress=ACCC8E0A1B2C"]})
    );
    assert_eq!(services[1]["service"], "_rtsp._tcp");
    assert_eq!(services[1]["port"], 8554);
    assert_eq!(services[1]["txt"], json!(["path=/lab/announced-by-mdns"]));
    assert_eq!(
        cam["mdns"]["types"],
        json!(["_axis-video._tcp", "_rtsp._tcp"])
    );
    let stream = &cam["streams"][0];
    assert_eq!(
        stream["url"],
        "rtsp://198.18.0.11:8554/lab/announced-by-mdns"
    );
    assert_eq!(stream["status"], "ok");
    assert_eq!(stream["verified"], true);
    assert_eq!(stream["video"]["width"], 640);

    let printer = device(&raw, "198.18.0.12");
    assert_eq!(printer["discovered_by"], json!(["arp", "mdns"]));
    assert_eq!(printer["hostname"], "brother-printer.local");
    assert_eq!(printer["is_camera"], false);
    assert_eq!(
        printer["mdns"],
        json!({"services": [], "types": ["_http._tcp", "_ipp._tcp"]}),
        "a printer's web page is not a camera's; what it offers is listed"
    );
    for ip in ["198.18.0.13", "198.18.0.14"] {
        assert_eq!(device(&raw, ip)["discovered_by"], json!(["arp"]));
    }

    // mDNS alone: no ARP, no port probes. The devices are found all the same, and the announced
    // stream is described by the discovery itself.
    let (raw, err) = scan(&["--discovery", "mdns"]);
    let cam = device(&raw, "198.18.0.11");
    assert_eq!(cam["discovered_by"], json!(["mdns"]), "{err}");
    assert_eq!(cam["mac"], "ac:cc:8e:0a:1b:2c", "from TXT macaddress");
    assert_eq!(cam["open_ports"], json!([]));
    assert_eq!(
        cam["streams"][0]["url"],
        "rtsp://198.18.0.11:8554/lab/announced-by-mdns"
    );
    assert_eq!(cam["streams"][0]["status"], "ok");
    let ips: Vec<&str> = raw["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["198.18.0.11", "198.18.0.12"]);
}

/// An inventory command (`camscan devices|show|history|diff ..` on `db`, no network); its exit code
/// must be `code`.
fn inventory(db: &std::path::Path, args: &[&str], code: i32) -> String {
    let out = run(
        common::camscan_with_db(db).args(args),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn inventory_json(db: &std::path::Path, args: &[&str], code: i32) -> serde_json::Value {
    let text = inventory(db, &[args, &["-f", "json"]].concat(), code);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// The events of `history` newer than `before` (an earlier `history -f json`), oldest first, as
/// (kind, device id, stream URL, detail); the older ones must be `before` itself.
fn events_since(
    db: &std::path::Path,
    before: &serde_json::Value,
) -> Vec<(String, i64, Option<String>, serde_json::Value)> {
    let all = inventory_json(db, &["history"], 0);
    let (all, old) = (all.as_array().unwrap(), before.as_array().unwrap());
    let newest = &all[..all.len() - old.len()];
    assert_eq!(all[newest.len()..], old[..], "history is never rewritten");
    newest
        .iter()
        .rev()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["device_id"].as_i64().unwrap(),
                e["stream_url"].as_str().map(str::to_string),
                e["detail"].clone(),
            )
        })
        .collect()
}

/// The stored device with this MAC (`camscan devices -f json`); exactly one.
fn device_with_mac(devices: &serde_json::Value, mac: &str) -> serde_json::Value {
    let found: Vec<&serde_json::Value> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["mac"] == mac)
        .collect();
    assert_eq!(found.len(), 1, "one device with {mac}: {devices}");
    found[0].clone()
}

/// Issue 15: the store's identity rules on real hosts with real MACs. A camera (GStreamer's RTSP
/// server on h1, MAC 44:19:b6:00:00:11) moves from 198.18.0.11 to 198.18.0.21 as a DHCP lease
/// change would move it, keeping its MAC: the next scan records one device that changed address
/// (its stream known at the new address), not a new device and an offline one. Then another box
/// (x1, another MAC) is given the old address: that is a new device, not the camera.
#[test]
fn a_host_that_changes_address_keeps_its_identity_by_mac() {
    const CAM_MAC: &str = "44:19:b6:00:00:11";
    const NEW_MAC: &str = "02:00:00:00:01:01";
    let mut lab = Lab::up_with("csmv", 1);
    // x1 is a box not on the network yet: no address until it is given the camera's old one.
    lab.ip("x1", &["addr", "del", "198.18.0.101/24", "dev", "eth0"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let mounts = json!([{"path": "/Streaming/Channels/101",
        "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
        "audio": null}]);
    let rtsp = common::root_dir().join("tests/servers/rtsp_server.py");
    let rtsp = rtsp.to_str().unwrap();
    let cfg11 = rtsp_config_on(dir.path(), "198.18.0.11", mounts.clone());
    let cfg21 = rtsp_config_on(dir.path(), "198.18.0.21", mounts);
    let camera = lab.serve("h1", &[rtsp, cfg11.to_str().unwrap()]);

    // Default discovery (raw ARP gives the MACs) of the whole lab subnet, into the inventory.
    let scan = |lab: &Lab| -> (Report, String) {
        let out = run(
            lab.camscan_recording().args([
                "scan",
                "198.18.0.0/24",
                "-f",
                "json",
                "--db",
                db.to_str().unwrap(),
            ]),
            Duration::from_secs(90),
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        (serde_json::from_str(&stdout(&out)).unwrap(), err)
    };

    // 1. The camera at .11.
    let (report, _) = scan(&lab);
    let ips: Vec<&str> = report.devices.iter().map(|d| d.ip.as_str()).collect();
    assert_eq!(
        ips,
        ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"]
    );
    assert_eq!(report.device("198.18.0.11").mac.as_deref(), Some(CAM_MAC));
    assert!(
        report
            .device("198.18.0.11")
            .stream("rtsp://198.18.0.11:554/Streaming/Channels/101")
            .verified
    );
    let devices1 = inventory_json(&db, &["devices"], 0);
    assert_eq!(devices1.as_array().unwrap().len(), 4, "{devices1}");
    let cam1 = device_with_mac(&devices1, CAM_MAC);
    let cam_id = cam1["id"].as_i64().unwrap();
    assert_eq!(cam1["key"], format!("mac:{CAM_MAC}"));
    assert_eq!(cam1["address"], "198.18.0.11");
    assert_eq!(cam1["state"], "online");
    assert_eq!(
        (&cam1["streams_up"], &cam1["streams_total"]),
        (&json!(1), &json!(1))
    );
    let history1 = inventory_json(&db, &["history"], 0);
    let kinds: Vec<&str> = history1
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["device_new"; 4], "{history1}");

    // 2. The camera moves to .21 with its MAC. GStreamer's server was bound to .11: it is started
    // again on the new address, as the camera's own server would listen there after the move.
    lab.servers.remove(camera);
    lab.ip("h1", &["addr", "del", "198.18.0.11/24", "dev", "eth0"]);
    lab.ip("h1", &["addr", "add", "198.18.0.21/24", "dev", "eth0"]);
    lab.serve("h1", &[rtsp, cfg21.to_str().unwrap()]);

    // 3. The next scan: nothing at .11, the camera at .21, and one device that changed.
    let (report, err) = scan(&lab);
    let ips: Vec<&str> = report.devices.iter().map(|d| d.ip.as_str()).collect();
    assert_eq!(
        ips,
        ["198.18.0.12", "198.18.0.13", "198.18.0.14", "198.18.0.21"]
    );
    let moved = report.device("198.18.0.21");
    assert_eq!(moved.mac.as_deref(), Some(CAM_MAC));
    assert!(
        moved
            .stream("rtsp://198.18.0.21:554/Streaming/Channels/101")
            .verified
    );
    assert!(
        err.trim_end()
            .lines()
            .last()
            .unwrap_or("")
            .contains("of the same targets: 0 new, 0 gone, 1 changed device(s) (camscan diff 1 2)"),
        "{err}"
    );

    let devices2 = inventory_json(&db, &["devices"], 0);
    assert_eq!(
        devices2.as_array().unwrap().len(),
        4,
        "no new device: {devices2}"
    );
    let cam2 = device_with_mac(&devices2, CAM_MAC);
    assert_eq!(cam2["id"], cam_id, "the same device");
    assert_eq!(cam2["address"], "198.18.0.21");
    assert_eq!(cam2["state"], "online");
    assert_eq!(
        cam2["state_since"], cam1["state_since"],
        "online since the first scan: it never went offline"
    );
    assert_eq!(
        (&cam2["streams_up"], &cam2["streams_total"]),
        (&json!(1), &json!(1))
    );
    assert!(
        devices2
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "online"),
        "{devices2}"
    );

    // Exactly one event: the move. No device_new for .21, no device_offline for .11, and its
    // stream is the same stream at the new address (no stream_new / stream_gone).
    assert_eq!(
        events_since(&db, &history1),
        [(
            "address_changed".to_string(),
            cam_id,
            None,
            json!({"before": "198.18.0.11", "after": "198.18.0.21"})
        )]
    );
    let history2 = inventory_json(&db, &["history"], 0);
    let cam_history = inventory_json(&db, &["history", CAM_MAC], 0);
    let kinds: Vec<&str> = cam_history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["address_changed", "device_new"], "newest first");

    let shown = inventory_json(&db, &["show", "198.18.0.21"], 0);
    assert_eq!(shown["id"], cam_id);
    let addresses: Vec<&str> = shown["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ip"].as_str().unwrap())
        .collect();
    // Both IPv4 addresses, and the link-local address the scan's neighbour discovery learned
    // for the same MAC (its EUI-64 interface id: 44:19:b6:00:00:11).
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["198.18.0.11", "198.18.0.21", "fe80::4619:b6ff:fe00:11"],
        "{shown}"
    );
    let streams = shown["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1, "{shown}");
    assert_eq!(
        streams[0]["url"],
        "rtsp://198.18.0.21:554/Streaming/Channels/101"
    );
    assert_eq!(streams[0]["state"], "up");
    assert_eq!(streams[0]["video"]["width"], 640);
    // The old address still names the device that had it.
    assert_eq!(
        inventory_json(&db, &["show", "198.18.0.11"], 0)["id"],
        cam_id
    );
    let text = inventory(&db, &["show", CAM_MAC], 0);
    assert!(text.contains("address_changed"), "{text}");

    // diff: one device changed its address; nothing added, nothing removed.
    let diff = inventory(&db, &["diff"], 1);
    let lines: Vec<&str> = diff.lines().collect();
    assert!(lines[0].starts_with("-scan 1 "), "{diff}");
    assert!(lines[1].starts_with("+scan 2 "), "{diff}");
    assert_eq!(
        lines[2..],
        [
            "",
            &format!(" 198.18.0.21 (device {cam_id}, mac:{CAM_MAC}):"),
            "-  address: 198.18.0.11",
            "+  address: 198.18.0.21",
        ],
        "{diff}"
    );
    let diff = inventory_json(&db, &["diff", "1", "2"], 1);
    assert_eq!(diff["added"], json!([]), "{diff}");
    assert_eq!(diff["removed"], json!([]), "{diff}");
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1, "{diff}");
    assert_eq!(diff["changed"][0]["device_id"], cam_id);
    assert_eq!(
        diff["changed"][0]["changes"],
        json!([{"field": "address", "before": "198.18.0.11", "after": "198.18.0.21"}])
    );

    // 4. Another box (x1, its own MAC) is given the camera's old address: a new device, not the
    // camera, which stays at .21.
    lab.ip("x1", &["addr", "add", "198.18.0.11/24", "dev", "eth0"]);
    let (report, _) = scan(&lab);
    assert_eq!(report.device("198.18.0.11").mac.as_deref(), Some(NEW_MAC));
    assert_eq!(report.device("198.18.0.21").mac.as_deref(), Some(CAM_MAC));
    let devices3 = inventory_json(&db, &["devices"], 0);
    assert_eq!(devices3.as_array().unwrap().len(), 5, "{devices3}");
    let newcomer = device_with_mac(&devices3, NEW_MAC);
    let new_id = newcomer["id"].as_i64().unwrap();
    assert_ne!(new_id, cam_id);
    assert_eq!(newcomer["address"], "198.18.0.11");
    assert_eq!(newcomer["key"], format!("mac:{NEW_MAC}"));
    let cam3 = device_with_mac(&devices3, CAM_MAC);
    assert_eq!(cam3["id"], cam_id);
    assert_eq!(cam3["address"], "198.18.0.21");
    assert_eq!(cam3["state"], "online");
    assert_eq!(
        events_since(&db, &history2),
        [(
            "device_new".to_string(),
            new_id,
            None,
            json!({"address": "198.18.0.11", "key": format!("mac:{NEW_MAC}")})
        )]
    );
    assert_eq!(
        inventory_json(&db, &["show", "198.18.0.11"], 0)["id"],
        new_id
    );
    let diff = inventory(&db, &["diff"], 1);
    let lines: Vec<&str> = diff.lines().collect();
    assert!(lines[0].starts_with("-scan 2 "), "{diff}");
    assert_eq!(
        lines[2..],
        [
            "",
            &format!("+198.18.0.11 (device {new_id}, mac:{NEW_MAC}):")
        ],
        "{diff}"
    );
}

/// Issue 82: a camera's login follows the camera. The credentials file scopes the camera's login
/// to its address (`198.18.0.11 admin:...`) beside a shared line that is wrong for it. The camera
/// (GStreamer's RTSP server with Digest auth on h1, MAC 44:19:b6:00:00:11) moves to .21: the
/// scoped line no longer covers it, and before this it ended refused there. Now the inventory
/// recognises it by its MAC and sends the login that opened it first: opened, verified, and not
/// one failed login at the server. A `watch` round after a second move (to .31) takes the same
/// path, and a scan of the unmoved camera re-checks it with that login too.
#[test]
fn a_cameras_login_follows_it_to_a_new_address() {
    const CAM_MAC: &str = "44:19:b6:00:00:11";
    let mut lab = Lab::up("csfl");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:shared-wrong\n198.18.0.11 admin:cam-pass\n").unwrap();
    let rtsp = common::root_dir().join("tests/servers/rtsp_server.py");
    let rtsp = rtsp.to_str().unwrap().to_string();
    let serve_at = |lab: &mut Lab, address: &str| -> usize {
        let cfg = dir.path().join(format!("rtsp-{address}.json"));
        let servers = json!([{"address": address, "port": 554,
            "auth": {"method": "digest", "user": "admin", "password": "cam-pass"},
            "mounts": [{"path": "/Streaming/Channels/101",
                "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
                "audio": null}]}]);
        std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
        lab.serve("h1", &[&rtsp, cfg.to_str().unwrap()])
    };
    let move_to = |lab: &mut Lab, server: usize, from: &str, to: &str| -> usize {
        lab.servers.remove(server);
        lab.ip("h1", &["addr", "del", &format!("{from}/24"), "dev", "eth0"]);
        lab.ip("h1", &["addr", "add", &format!("{to}/24"), "dev", "eth0"]);
        serve_at(lab, to)
    };
    let scan = |lab: &Lab| -> Report {
        let out = run(
            lab.camscan_recording().args([
                "scan",
                "198.18.0.0/24",
                "-p",
                "554",
                "-f",
                "json",
                "--credentials",
                creds.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
            ]),
            Duration::from_secs(90),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let opened = |report: &Report, ip: &str| {
        let d = report.device(ip);
        assert_eq!(d.mac.as_deref(), Some(CAM_MAC));
        let s = d.stream(&format!("rtsp://{ip}:554/Streaming/Channels/101"));
        assert!(s.verified, "{d:#?}");
        assert_eq!(s.username.as_deref(), Some("admin"));
    };

    // 1. At .11 its own line opens it.
    let server = serve_at(&mut lab, "198.18.0.11");
    opened(&scan(&lab), "198.18.0.11");
    assert_eq!(lab.servers[server].lines_starting("AUTHFAIL"), 0);

    // 2. Moved to .21: the login that opened it follows it, before the shared line.
    let server = move_to(&mut lab, server, "198.18.0.11", "198.18.0.21");
    let report = scan(&lab);
    opened(&report, "198.18.0.21");
    assert_eq!(
        lab.servers[server].lines_starting("AUTHFAIL"),
        0,
        "no wrong login sent first: {:#?}",
        report.device("198.18.0.21")
    );

    // 3. Moved again, to .31, and a `watch` round finds it: the same path.
    let server = move_to(&mut lab, server, "198.18.0.21", "198.18.0.31");
    let out = run(
        lab.camscan_recording().args([
            "watch",
            "198.18.0.0/24",
            "-p",
            "554",
            "--rounds",
            "1",
            "--credentials",
            creds.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ]),
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lab.servers[server].lines_starting("AUTHFAIL"), 0);
    let shown = inventory_json(&db, &["show", CAM_MAC], 0);
    assert_eq!(shown["address"], "198.18.0.31", "{shown}");
    let stream = shown["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["url"] == "rtsp://198.18.0.31:554/Streaming/Channels/101")
        .unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(stream["state"], "up", "{shown}");
    assert_eq!(stream["username"], "admin", "{shown}");

    // 4. Unmoved since: the re-check of the known stream goes in with the login that followed it.
    opened(&scan(&lab), "198.18.0.31");
    assert_eq!(lab.servers[server].lines_starting("AUTHFAIL"), 0);
}

/// The PTR queries dnsmasq logged so far (`query[PTR] 11.0.18.198.in-addr.arpa from ...`).
fn ptr_queries(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once("query[PTR] "))
        .map(|(_, rest)| rest.split(' ').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn reverse_dns_names_every_device_with_one_lookup_each_and_the_inventory_caches_them() {
    let mut lab = Lab::up("csx");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dnsmasq.log");
    // dnsmasq on h2, the lab scanner's resolver (lab.sh): names for two hosts, and authoritative
    // for the lab's reverse zone, so the others get a real "no such name" (NXDOMAIN).
    let dnsmasq = format!(
        "dnsmasq --user=root --no-resolv --no-hosts --bind-interfaces --listen-address=198.18.0.12 \
         --pid-file={pid} --log-queries --log-facility={log} --local=/0.18.198.in-addr.arpa/ \
         --host-record=cam1.lab.test,198.18.0.11 --host-record=Web-Server.Lab.Test,198.18.0.12 \
         && echo READY && cat",
        pid = dir.path().join("dnsmasq.pid").display(),
        log = log.display(),
    );
    lab.serve_with("sh", "h2", &["-c", &dnsmasq]);
    let db = dir.path().join("inventory.db");
    let db_arg = db.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let out = run(
            lab.camscan_recording()
                .args([
                    "scan",
                    "198.18.0.0/24",
                    "-p",
                    "80",
                    "--db",
                    db_arg,
                    "--log",
                    "info",
                ])
                .args(extra),
            Duration::from_secs(60),
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        out
    };

    let out = scan(&["-f", "json"]);
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    let cam = report.device("198.18.0.11");
    assert_eq!(cam.hostname.as_deref(), Some("cam1.lab.test"));
    assert!(
        cam.names
            .iter()
            .any(|n| (n.name.as_str(), n.kind.as_str(), n.source.as_str())
                == ("cam1.lab.test", "host", "dns")),
        "{:?}",
        cam.names
    );
    assert_eq!(
        report.device("198.18.0.12").hostname.as_deref(),
        Some("web-server.lab.test"),
        "shown in lower case"
    );
    assert_eq!(report.device("198.18.0.13").hostname, None, "NXDOMAIN");
    // One lookup per address found, no more: every address DNS can name. An IPv6 link-local
    // address a device was also heard at (its mDNS or NDP answer, when it came first over IPv6)
    // is never looked up (`reverse_dns::named_in_dns`: its name is no resolver's to give).
    let mut addresses: Vec<String> = report
        .devices
        .iter()
        .flat_map(|d| d.addresses.iter().cloned())
        .filter(|a| !a.to_ascii_lowercase().starts_with("fe80:"))
        .collect();
    addresses.sort();
    let mut asked: Vec<String> = ptr_queries(&log)
        .iter()
        .map(|q| {
            let mut octets: Vec<&str> = q.trim_end_matches(".in-addr.arpa").split('.').collect();
            octets.reverse();
            octets.join(".")
        })
        .collect();
    asked.sort();
    assert!(addresses.len() >= 4, "{addresses:?}");
    assert_eq!(asked, addresses, "one PTR query per address found");

    // A rescan with the inventory asks nothing: names and "no name" come from its cache, and the
    // table shows the name.
    let out = scan(&["-f", "table"]);
    let table = stdout(&out);
    assert!(table.contains("cam1.lab.test"), "{table}");
    assert_eq!(ptr_queries(&log).len(), asked.len(), "{}", stderr(&out));
    // --fresh asks again; -n never asks.
    scan(&["-f", "json", "--fresh"]);
    assert_eq!(ptr_queries(&log).len(), 2 * asked.len());
    let out = scan(&["-f", "json", "-n", "--fresh"]);
    assert_eq!(ptr_queries(&log).len(), 2 * asked.len());
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report.device("198.18.0.11").hostname, None);
}
