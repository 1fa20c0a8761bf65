//! Misaddressed cameras on a real (virtual) LAN: the namespace lab of `tests/lab/lab.sh` with its
//! host h1 moved to another subnet on the same bridge (198.19.1.64/24, gateway 198.19.1.1 that does
//! not exist), as a camera still on its factory address is. It answers SADP to the multicast group
//! (our SADP agent, `tests/lab/responders/vendor_device.py`), multicasts a WS-Discovery Hello (PyPI
//! WSDiscovery, `wsd_responder.py`), and its own kernel ARPs for its gateway because it keeps trying
//! to reach a host beyond it (`offlink_talker.py`). camscan scans only the scanner's own /24 and
//! must report it as misaddressed with its subnet, gateway and the `ip addr add` line that reaches
//! it. Needs root and the lab venv: `scripts/test`.
// The figures (scan time, how fast the address goes after a signal) go to the test log.
#![allow(clippy::print_stderr)]

mod common;

use common::netns::NsLab;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::schema::Report;

/// The lab, torn down when dropped (panics included).
/// The lab of `tests/lab/lab.sh` with h1 moved to `camera`/24, default route via `gateway` (no
/// such host).
fn lab(prefix: &'static str, camera: &str, gateway: &str) -> NsLab {
    let lab = NsLab::up("misaddressed", "lab.sh", prefix, &[]);
    lab.misaddress("h1", camera, gateway);
    lab
}

/// The scanner's addresses on eth0 (`198.18.0.1/24`...).
fn scanner_addresses(lab: &NsLab) -> Vec<String> {
    let out = Command::new("ip")
        .args([
            "-n",
            &lab.ns("scan"),
            "-o",
            "-4",
            "addr",
            "show",
            "dev",
            "eth0",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            w.position(|x| x == "inet")?;
            w.next().map(str::to_string)
        })
        .collect()
}

/// camscan in the scanner, logging at info (the tests wait for its log lines).
fn camscan(lab: &NsLab) -> Command {
    let mut cmd = lab.camscan();
    cmd.env("CAMSCAN_LOG", "info");
    cmd
}

/// A scan of the lab's subnet with `--reach-misaddressed` (ARP, SADP and the probes of port 554),
/// its discovery window `wait`.
fn reaching(lab: &NsLab, wait: &str) -> Command {
    let mut cmd = camscan(lab);
    cmd.args([
        "scan",
        "198.18.0.0/24",
        "-f",
        "json",
        "-p",
        "554",
        "--discovery",
        "arp,sadp,ports",
        "--discovery-wait",
        wait,
        "--reach-misaddressed",
    ]);
    cmd
}

fn responder(name: &str) -> String {
    common::root_dir()
        .join("tests/lab/responders")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A running camscan whose stderr is read line by line while it runs.
struct Running {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("camscan runs");
        let (tx, lines) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines,
            stderr: Vec::new(),
            stdout,
        }
    }

    /// Read stderr until a line contains `text` (panics after `limit`).
    fn wait_for(&mut self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(50)) {
                let hit = line.contains(text);
                self.stderr.push(line);
                if hit {
                    return;
                }
            }
        }
        panic!("no {text:?} within {limit:?}:\n{}", self.stderr.join("\n"));
    }

    /// Wait for the end (at most `limit`): exit code, stdout, stderr.
    fn finish(mut self, limit: Duration) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("camscan did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = self.stdout.join().unwrap();
        // The stderr reader ends at EOF.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.stderr.push(line);
        }
        (status.code(), out, self.stderr.join("\n"))
    }
}

/// The camera: SADP agent, off-link talker; the WS-Discovery responder comes once camscan listens.
fn camera(lab: &mut NsLab) {
    let py = "/usr/bin/python3";
    lab.serve_with(
        py,
        "h1",
        &[
            &responder("vendor_device.py"),
            "sadp",
            "198.19.1.64",
            "--gateway",
            "198.19.1.1",
            "--model",
            "DS-2CD2143G2-I",
        ],
    );
    // Beyond its gateway: the kernel ARPs for 198.19.1.1 about once a second.
    lab.serve_with(py, "h1", &[&responder("offlink_talker.py"), "198.18.0.250"]);
}

#[test]
fn a_camera_on_another_subnet_is_found_and_explained() {
    let mut lab = lab("csma", "198.19.1.64", "198.19.1.1");
    camera(&mut lab);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let started = Instant::now();
    let mut scan = Running::start(
        camscan(&lab)
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", &db)
            .args([
                "scan",
                "198.18.0.0/24",
                "-f",
                "json",
                "-p",
                "80",
                "--no-verify",
                "--discovery",
                "arp,onvif,sadp,ports",
                "--discovery-wait",
                "2s",
            ]),
    );
    // A Hello is sent when a device joins the network: the camera joins while camscan listens.
    scan.wait_for("listening for Hellos", Duration::from_secs(20));
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[&responder("wsd_responder.py"), "198.19.1.64"],
    );
    let (code, out, err) = scan.finish(Duration::from_secs(60));
    eprintln!("scan took {:?}", started.elapsed());
    assert_eq!(code, Some(0), "{err}");
    let report: Report = serde_json::from_str(&out).unwrap();
    let cam = report
        .devices
        .iter()
        .find(|d| d.ip == "198.19.1.64")
        .unwrap_or_else(|| panic!("the camera is reported: {out}\n{err}"));
    let m = cam.misaddressed.as_ref().expect("marked misaddressed");
    assert_eq!(m.address, "198.19.1.64");
    assert_eq!(
        (m.mask.as_str(), m.prefix, m.mask_assumed),
        ("255.255.255.0", 24, false)
    );
    assert_eq!(m.gateway.as_deref(), Some("198.19.1.1"));
    assert_eq!(m.interface, "eth0");
    assert_eq!(m.seen_by, ["arp", "onvif", "sadp"], "{err}");
    assert_eq!(m.reach.temporary_address, "198.19.1.253");
    assert_eq!(m.reach.ip_addr_add, "ip addr add 198.19.1.253/24 dev eth0");
    assert_eq!(m.reach.ip_addr_del, "ip addr del 198.19.1.253/24 dev eth0");
    assert!(!m.reached);
    // Its maker and model from SADP, its MAC from the wire (ARP), its name from the Hello.
    assert_eq!(cam.mac.as_deref(), Some("44:19:b6:00:00:11"));
    assert_eq!(cam.vendor.as_deref(), Some("Hikvision"));
    assert_eq!(cam.model.as_deref(), Some("DS-2CD2143G2-I"));
    assert_eq!(cam.name.as_deref(), Some("Lab Camera"));
    assert!(cam.is_camera);
    for method in ["arp", "onvif", "sadp"] {
        assert!(
            cam.discovered_by.iter().any(|d| d == method),
            "{method}: {:?}",
            cam.discovered_by
        );
    }
    // Nothing was probed on it (no route) and every device of the lab's own subnet is not marked.
    assert!(cam.open_ports.is_empty());
    for d in report.devices.iter().filter(|d| d.ip != "198.19.1.64") {
        assert!(d.misaddressed.is_none(), "{}", d.ip);
    }
    // The table says it in a line people can act on.
    let json = dir.path().join("report.json");
    std::fs::write(&json, &out).unwrap();
    let table = common::run(
        common::camscan_in(&format!("{}-scan", lab.prefix)).args([
            "convert",
            json.to_str().unwrap(),
            "-f",
            "table",
            "--width",
            "0",
        ]),
        Duration::from_secs(20),
    );
    let text = common::stdout(&table);
    assert!(
        text.contains(
            "misaddressed: 198.19.1.64/24 (gateway 198.19.1.1), heard by arp, onvif, sadp on eth0: \
             reach it with `ip addr add 198.19.1.253/24 dev eth0`"
        ),
        "{text}"
    );
    // CSV: its own address and the command that reaches it, in columns of their own.
    let csv = common::run(
        common::camscan_in(&format!("{}-scan", lab.prefix)).args([
            "convert",
            json.to_str().unwrap(),
            "-f",
            "csv",
        ]),
        Duration::from_secs(20),
    );
    let mut rows = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "198.19.1.64")
        .expect("a CSV row for the camera");
    assert_eq!(
        &row[col("misaddressed")],
        "198.19.1.64/24 gateway 198.19.1.1"
    );
    assert_eq!(&row[col("reach")], "ip addr add 198.19.1.253/24 dev eth0");
    // The inventory keeps it: `camscan show` (the device API's document) has the same object.
    let show = common::run(
        common::camscan_with_db(&db).args(["show", "198.19.1.64", "-f", "json"]),
        Duration::from_secs(20),
    );
    let detail: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(
        detail["misaddressed"]["reach"]["ip_addr_add"], "ip addr add 198.19.1.253/24 dev eth0",
        "{detail}"
    );
    assert_eq!(detail["misaddressed"]["gateway"], "198.19.1.1");
    // Only listening: the scanner has no other address than its own.
    assert_eq!(scanner_addresses(&lab), ["198.18.0.1/24"]);

    // A scan of one empty address reports and records what is at that address: nothing, not
    // the camera discovery heard on the segment.
    let one = dir.path().join("one.db");
    let out = common::run(
        camscan(&lab)
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", &one)
            .args([
                "scan",
                "198.18.0.50",
                "-f",
                "json",
                "-p",
                "80",
                "--no-verify",
                "--discovery",
                "arp,sadp,ports",
                "--discovery-wait",
                "2s",
            ]),
        Duration::from_secs(60),
    );
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "nothing found: {err}");
    let report: Report = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert!(
        report.devices.is_empty(),
        "{:?}",
        report.devices.iter().map(|d| &d.ip).collect::<Vec<_>>()
    );
    let devices = common::run(
        common::camscan_with_db(&one).args(["devices", "-f", "json"]),
        Duration::from_secs(20),
    );
    assert_eq!(common::stdout(&devices).trim(), "[]", "nothing recorded");
}

/// GStreamer's RTSP server on the camera's own address, one H.264 stream where Hikvision puts it.
fn rtsp_on_camera(lab: &mut NsLab, dir: &std::path::Path) {
    let cfg = dir.join("rtsp.json");
    let servers = serde_json::json!([{"address": "198.19.1.64", "port": 554, "auth": null, "mounts": [
        {"path": "/Streaming/Channels/101",
         "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
         "audio": null}]}]);
    std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
    let rtsp = common::root_dir().join("tests/servers/rtsp_server.py");
    lab.serve_with(
        "/usr/bin/python3",
        "h1",
        &[rtsp.to_str().unwrap(), cfg.to_str().unwrap()],
    );
}

const ADDED: &str = "temporary address added";

#[test]
fn reach_misaddressed_scans_the_camera_and_takes_its_address_away() {
    let mut lab = lab("csmb", "198.19.1.64", "198.19.1.1");
    let dir = tempfile::tempdir().unwrap();
    rtsp_on_camera(&mut lab, dir.path());
    camera(&mut lab);
    let started = Instant::now();
    let out = common::run(&mut reaching(&lab, "1s"), Duration::from_secs(60));
    eprintln!(
        "scan with --reach-misaddressed took {:?}",
        started.elapsed()
    );
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(ADDED) && err.contains("temporary address removed"),
        "{err}"
    );
    let report: Report = serde_json::from_str(&common::stdout(&out)).unwrap();
    let cam = report
        .devices
        .iter()
        .find(|d| d.ip == "198.19.1.64")
        .unwrap_or_else(|| panic!("the camera is reported: {err}"));
    let m = cam
        .misaddressed
        .as_ref()
        .expect("still marked misaddressed");
    assert!(m.reached, "{m:?}");
    assert_eq!(m.reach.ip_addr_add, "ip addr add 198.19.1.253/24 dev eth0");
    // Scanned fully through the temporary address: its RTSP port, its stream, played.
    assert_eq!(cam.open_ports, [554], "{err}");
    let s = cam
        .streams
        .iter()
        .find(|s| s.url == "rtsp://198.19.1.64:554/Streaming/Channels/101")
        .unwrap_or_else(|| panic!("{:?}\n{err}", cam.streams));
    assert!(s.verified, "{s:?}");
    // Gone when camscan ended.
    assert_eq!(scanner_addresses(&lab), ["198.18.0.1/24"]);
}

/// Poll the scanner's addresses until they are `want` (at most `limit`).
fn addresses_become(lab: &NsLab, want: &[&str], limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let now = scanner_addresses(lab);
        if now == want || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_temporary_address_goes_on_ctrl_c_and_on_kill_9() {
    let mut lab = lab("csmc", "198.19.1.64", "198.19.1.1");
    camera(&mut lab);
    let scan = |lab: &NsLab| {
        // Long enough that the signal comes while the address is in use.
        Running::start(&mut reaching(lab, "20s"))
    };
    let with = ["198.18.0.1/24", "198.19.1.253/24"];
    for signal in ["INT", "KILL"] {
        let mut running = scan(&lab);
        running.wait_for(ADDED, Duration::from_secs(20));
        assert_eq!(scanner_addresses(&lab), with, "added while scanning");
        let pid = running.child.id().to_string();
        let sent = Instant::now();
        // `ip netns exec` execs camscan: the child's pid is camscan's.
        assert!(
            Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .status()
                .unwrap()
                .success()
        );
        let (code, _, err) = running.finish(Duration::from_secs(20));
        let left = addresses_become(&lab, &["198.18.0.1/24"], Duration::from_secs(3));
        eprintln!(
            "SIG{signal}: exit {code:?}, address gone {:?} after the signal",
            sent.elapsed()
        );
        assert_eq!(
            left,
            ["198.18.0.1/24"],
            "SIG{signal} left the address: {err}"
        );
        if signal == "INT" {
            // Ctrl-C ends the scan as interrupted (exit 130), after camscan removed the address itself.
            assert_eq!(code, Some(130), "{err}");
            assert!(err.contains("temporary address removed"), "{err}");
        } else {
            assert_eq!(code, None, "killed by SIGKILL");
        }
    }
    // An address of the scanner's that was there before (a host address, no subnet: the camera
    // stays misaddressed) is not camscan's: only the one it added goes.
    lab.ip("scan", &["addr", "add", "198.19.1.253/32", "dev", "eth0"]);
    let out = common::run(&mut reaching(&lab, "1s"), Duration::from_secs(60));
    let err = common::stderr(&out);
    assert!(err.contains(ADDED), "{err}");
    assert_eq!(
        scanner_addresses(&lab),
        ["198.18.0.1/24", "198.19.1.253/32"],
        "the address that was there stays"
    );
}
