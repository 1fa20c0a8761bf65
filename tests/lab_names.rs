//! The names a user reads in the configuration exports are fixed once given (issue 61): a
//! camera's Frigate name is a Frigate camera's identity (a renamed camera is a new camera whose
//! recordings start again), so a second camera of the same maker appearing must not rename the
//! first, and a new name comes from the device itself (its DNS name, else its maker and the end of
//! its MAC), never from what else is on the network.
//!
//! The namespace lab of `tests/lab/lab.sh`: GStreamer's RTSP server on h1 (a Hikvision MAC, no
//! DNS name) and on h2 (no maker in its MAC; dnsmasq there names it `porch.lab.test`). Between the
//! two scans into one inventory, h3 takes a second Hikvision MAC and starts its own RTSP server.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::netns::NsLab;
use common::{run, stderr, stdout};
use serde_json::json;

/// GStreamer's RTSP server on `address`:554 with one Hikvision-style path.
fn rtsp(lab: &mut NsLab, dir: &Path, node: &str, address: &str) {
    let cfg = dir.join(format!("rtsp-{node}.json"));
    let servers = json!([{"address": address, "port": 554, "auth": null, "mounts": [
        {"path": "/Streaming/Channels/101",
         "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
         "audio": null}]}]);
    std::fs::write(&cfg, serde_json::to_vec(&servers).unwrap()).unwrap();
    let script = common::root_dir().join("tests/servers/rtsp_server.py");
    lab.serve_with(
        "/usr/bin/python3",
        node,
        &[script.to_str().unwrap(), cfg.to_str().unwrap()],
    );
}

/// The Frigate export's camera names and the JSON report's `camera_name` per address, of one scan
/// recorded in `db`.
fn scan(lab: &NsLab, db: &Path) -> (BTreeSet<String>, Vec<(String, String)>) {
    let names = |format: &str| {
        let mut cmd = lab.camscan();
        cmd.env_remove("CAMSCAN_NO_DB");
        let out = run(
            cmd.args(["scan", "198.18.0.11-13", "-p", "554", "--db"])
                .arg(db)
                .args(["-f", format]),
            Duration::from_secs(90),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let frigate: serde_yaml::Value = serde_yaml::from_str(&names("frigate")).unwrap();
    let cameras = frigate["cameras"]
        .as_mapping()
        .expect("cameras")
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let report: serde_json::Value = serde_json::from_str(&names("json")).unwrap();
    let given = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| {
            Some((
                d["ip"].as_str()?.to_string(),
                d["camera_name"].as_str()?.to_string(),
            ))
        })
        .collect();
    (cameras, given)
}

#[test]
fn a_second_camera_of_the_same_maker_renames_nothing() {
    let mut lab = NsLab::up("lab_names", "lab.sh", "csnm", &["0"]);
    let dir = tempfile::tempdir().unwrap();
    let dnsmasq = format!(
        "dnsmasq --user=root --no-resolv --no-hosts --bind-interfaces --listen-address=198.18.0.12 \
         --pid-file={pid} --local=/0.18.198.in-addr.arpa/ \
         --host-record=porch.lab.test,198.18.0.12 && echo READY && cat",
        pid = dir.path().join("dnsmasq.pid").display(),
    );
    lab.serve_with("sh", "h2", &["-c", &dnsmasq]);
    rtsp(&mut lab, dir.path(), "h1", "198.18.0.11");
    rtsp(&mut lab, dir.path(), "h2", "198.18.0.12");
    let db = dir.path().join("inventory.db");

    let (cameras, given) = scan(&lab, &db);
    let want: BTreeSet<String> = ["hikvision_000011", "porch"].map(String::from).into();
    assert_eq!(
        cameras, want,
        "the maker's words with the MAC's end; the DNS name"
    );
    assert_eq!(
        given,
        [
            ("198.18.0.11".to_string(), "hikvision_000011".to_string()),
            ("198.18.0.12".to_string(), "porch".to_string()),
        ]
    );

    // A second Hikvision opens on h3.
    lab.ip(
        "h3",
        &["link", "set", "eth0", "address", "44:19:b6:00:00:13"],
    );
    rtsp(&mut lab, dir.path(), "h3", "198.18.0.13");
    let (cameras, given) = scan(&lab, &db);
    let want: BTreeSet<String> = ["hikvision_000011", "hikvision_000013", "porch"]
        .map(String::from)
        .into();
    assert_eq!(cameras, want, "every name of the first scan unchanged");
    assert_eq!(given[0], ("198.18.0.11".into(), "hikvision_000011".into()));
    assert_eq!(given[1], ("198.18.0.12".into(), "porch".into()));
}
