//! A misaddressed camera the inventory knows is asked for, not waited for (issue 62): in the lab
//! of `tests/lab/lab.sh` (prefix `csmk`), host h1 sits on another subnet on the same bridge
//! (198.19.1.64/24, gateway 198.19.1.1 that does not exist). The first scan hears it ARP for its
//! gateway (`offlink_talker.py`, stopped after that scan); from then on the camera says nothing
//! on its own, as a camera between its gateway retries does, and every later scan into the same
//! inventory must still find it, because it asks for it with an ARP probe on the segment it was
//! heard on. `camscan diff` of consecutive scans stays empty. Needs root and the lab: `scripts/test`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::netns::NsLab;
use common::schema::Report;
use common::{run, stderr, stdout};

const CAMERA: &str = "198.19.1.64";
/// Scans after the first, the camera silent in all of them.
const SILENT_SCANS: usize = 4;

fn scan(lab: &NsLab, db: &Path) -> Report {
    let out = run(
        lab.camscan()
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", db)
            .args([
                "scan",
                "198.18.0.0/24",
                "-f",
                "json",
                "-p",
                "554",
                "--discovery",
                "arp,ports",
            ]),
        Duration::from_secs(60),
    );
    // 1: no camera found (the camera has no open port here; it is only heard).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn has_camera(r: &Report) -> bool {
    r.devices
        .iter()
        .any(|d| d.ip == CAMERA && d.misaddressed.is_some())
}

#[test]
fn a_known_misaddressed_camera_is_found_by_every_scan() {
    let lab = NsLab::up("misaddressed_known", "lab.sh", "csmk", &[]);
    lab.misaddress("h1", CAMERA, "198.19.1.1");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");

    // The first scan hears the camera ask for its gateway (about once a second).
    let talker = common::root_dir().join("tests/lab/responders/offlink_talker.py");
    let mut talking = Command::new("ip")
        .args(["netns", "exec", &lab.ns("h1"), "/usr/bin/python3"])
        .arg(&talker)
        .arg("198.18.0.250")
        .stdin(Stdio::piped()) // it runs until its stdin ends
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(talking.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "READY");
    let mut first = None;
    for _ in 0..10 {
        let r = scan(&lab, &db);
        if has_camera(&r) {
            first = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = talking.kill();
    let _ = talking.wait();
    assert!(first.is_some(), "no scan heard the talking camera");
    // Its neighbour entries go stale: from now on it sends nothing unless asked.
    std::thread::sleep(Duration::from_secs(1));

    let mut missed = Vec::new();
    for i in 0..SILENT_SCANS {
        if !has_camera(&scan(&lab, &db)) {
            missed.push(i + 1);
        }
    }
    assert!(
        missed.is_empty(),
        "silent scans {missed:?} of {SILENT_SCANS} did not find the camera"
    );
    let out = run(
        lab.camscan()
            .env_remove("CAMSCAN_NO_DB")
            .env("CAMSCAN_DB", &db)
            .args(["diff", "-f", "json"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for part in ["added", "removed", "changed"] {
        assert_eq!(diff[part], serde_json::json!([]), "{diff:#}");
    }
}
