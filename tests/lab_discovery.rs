//! Discovery on a real (virtual) LAN: the namespace lab of `tests/lab/lab.sh`, with GStreamer's RTSP
//! server and CPython's http.server running inside host namespaces. camscan runs inside the scanner
//! namespace only, with no target: it must find its attached 198.18.0.0/24, learn who is alive by ARP
//! (with MACs and the OUI vendor), probe only those hosts, and analyse the camera. The lab is torn
//! down at the end of the test, also when it fails. Needs root: `scripts/test`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::schema::Report;
use common::{run, stderr, stdout};
use serde_json::json;

const PREFIX: &str = "csl";

/// Builds the lab; tears it down when dropped (panics included).
struct Lab {
    servers: Vec<common::Server>,
}

impl Lab {
    fn up() -> Lab {
        assert!(
            common::is_root(),
            "lab_discovery needs root (ip netns): run scripts/test"
        );
        let script = common::root_dir().join("tests/lab/lab.sh");
        let ok = Command::new("bash")
            .arg(&script)
            .args(["up", PREFIX])
            .status()
            .unwrap()
            .success();
        assert!(ok, "lab.sh up failed");
        Lab {
            servers: Vec::new(),
        }
    }

    /// Start a READY-printing server inside host namespace `ns`.
    fn serve(&mut self, ns: &str, args: &[&str]) {
        let ns = format!("{PREFIX}-{ns}");
        let mut full = vec!["netns", "exec", ns.as_str(), "/usr/bin/python3"];
        full.extend_from_slice(args);
        self.servers
            .push(common::start("ip", &full, Duration::from_secs(30)));
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.servers.clear();
        let script = common::root_dir().join("tests/lab/lab.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["down", PREFIX])
            .status();
    }
}

#[test]
fn scan_without_targets_finds_the_lab_by_arp() {
    let mut lab = Lab::up();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rtsp.json");
    std::fs::write(
        &cfg,
        serde_json::to_vec(
            &json!([{"address": "198.18.0.11", "port": 554, "auth": null, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
             "audio": null}]}]),
        )
        .unwrap(),
    )
    .unwrap();
    let rtsp = common::root_dir().join("tests/servers/rtsp_server.py");
    let http = common::root_dir().join("tests/servers/http_server.py");
    lab.serve("h1", &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()]);
    lab.serve("h2", &[http.to_str().unwrap(), "198.18.0.12", "80"]);

    // `camscan interfaces` inside the scanner namespace plans exactly the lab subnet.
    let out = run(
        Command::new("ip")
            .args(["netns", "exec", &format!("{PREFIX}-scan")])
            .arg(env!("CARGO_BIN_EXE_camscan"))
            .args(["interfaces", "-f", "json"]),
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

    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &format!("{PREFIX}-scan")])
        .arg(env!("CARGO_BIN_EXE_camscan"))
        .args(["scan", "-f", "json", "-v"]);
    // Same environment hygiene as common::camscan().
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("CAMSCAN_") || k == "RUST_LOG") {
        cmd.env_remove(k);
    }
    let out = run(&mut cmd, Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("scanning attached subnets 198.18.0.0/24"),
        "{err}"
    );
    assert!(
        err.contains("ARP: unprivileged mode"),
        "one line says which ARP mode ran: {err}"
    );
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report.targets, ["198.18.0.0/24"]);
    let ips: Vec<&str> = report.devices.iter().map(|d| d.ip.as_str()).collect();
    assert_eq!(
        ips,
        ["198.18.0.11", "198.18.0.12", "198.18.0.13"],
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
    let s = cam.stream("rtsp://198.18.0.11:554/Streaming/Channels/101");
    assert!(s.verified);
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
}
