//! Cameras behind a PoE NVR: the namespace lab of `tests/lab/lab.sh` with its host h1 as a
//! Hikvision NVR, and a camera namespace (`PREFIX-cam`) reachable only from h1, over a private
//! link of its own (198.19.254.1 on h1, 198.19.254.2 in the camera namespace; h1 does not
//! forward, the scanner has no route there). The camera namespace runs GStreamer RTSP cameras
//! (`tests/servers/rtsp_server.py`, Debian's gst-rtsp-server); h1 re-streams two of them through
//! its own RTSP server with Digest (channels 1 and 2: `rtspsrc` of the camera, payloaded again, as
//! an NVR does) and serves its ISAPI behind Digest while its web page is public, as real NVRs do
//! (`tests/servers/isapi_nvr.py --open-root`, the answers in `tests/fixtures/nvr/lab/`, written
//! for the test: see its README).
//!
//! camscan, given the NVR's credential, must log in on the API's own path, list the NVR's three
//! channels with the addresses, models and online state the NVR gives, never the password the NVR
//! stores, play channels 1 and 2 through the NVR, and report no device on the private subnet. The
//! Dahua test does the same over Dahua's CGIs, the ONVIF test from the media profiles of an NVR that
//! speaks only ONVIF (one video source per channel). Needs root: `scripts/test`.
#![allow(clippy::print_stderr)]

mod common;

use common::netns::NsLab;
use common::{run, stderr, stdout};
use std::process::Command;
use std::time::{Duration, Instant};

const PREFIX: &str = "nvrl";

/// The camera namespace, deleted (with its end of the private link) however the test ends.
struct CameraNs(String);

impl Drop for CameraNs {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ip(args: &[&str]) {
    let ok = Command::new("ip").args(args).status().unwrap().success();
    assert!(ok, "ip {args:?} failed");
}

/// The lab with its host h1 as the NVR and the camera namespace `cam_ns` behind it on the
/// private link, running GStreamer RTSP cameras at `rtsp://198.19.254.2:554/ch1` and `/ch2`.
fn nvr_with_cameras(prefix: &'static str, cam_ns: &CameraNs) -> NsLab {
    let _ = Command::new("ip")
        .args(["netns", "del", &cam_ns.0])
        .status();
    let mut lab = NsLab::up("nvr", "lab.sh", prefix, &["0"]);
    ip(&["netns", "add", &cam_ns.0]);
    ip(&["-n", &cam_ns.0, "link", "set", "lo", "up"]);
    lab.ip(
        "h1",
        &[
            "link", "add", "poe0", "type", "veth", "peer", "name", "eth0", "netns", &cam_ns.0,
        ],
    );
    lab.ip("h1", &["addr", "add", "198.19.254.1/24", "dev", "poe0"]);
    lab.ip("h1", &["link", "set", "poe0", "up"]);
    ip(&[
        "-n",
        &cam_ns.0,
        "addr",
        "add",
        "198.19.254.2/24",
        "dev",
        "eth0",
    ]);
    ip(&["-n", &cam_ns.0, "link", "set", "eth0", "up"]);

    let video = serde_json::json!({"codec": "h264", "width": 640, "height": 360, "fps": 15});
    lab.servers.push(common::rtsp_servers_in(
        Some(&cam_ns.0),
        &serde_json::json!([{"address": "198.19.254.2", "port": 554, "mounts": [
            {"path": "/ch1", "video": video},
            {"path": "/ch2", "video": video},
        ]}]),
    ));
    lab
}

/// One scan of the lab NVR with its credential (recorded in `db` when given), checked for what
/// both makers' tests require: exit 0, the password the NVR stores for a camera nowhere in the
/// output, and no device on the NVR's private subnet.
/// h1's RTSP server (Debian's GStreamer, Digest admin/s3cret) relaying the cameras: each
/// `(path, camera path)` re-streams `rtsp://198.19.254.2:554/CAMERA_PATH`. Returns its index in
/// `lab.servers`.
fn relay(lab: &mut NsLab, mounts: &[(&str, &str)]) -> usize {
    let mounts: Vec<serde_json::Value> = mounts
        .iter()
        .map(|(path, camera)| {
            serde_json::json!({"path": path, "relay": format!("rtsp://198.19.254.2:554/{camera}")})
        })
        .collect();
    lab.servers.push(common::rtsp_servers_in(
        Some(&lab.ns("h1")),
        &serde_json::json!([{"address": "198.18.0.11", "port": 554,
        "auth": {"method": "digest", "user": "admin", "password": "s3cret"},
        "mounts": mounts}]),
    ));
    lab.servers.len() - 1
}

/// h1's web API: `tests/servers/SCRIPT` on port 80 with the answers of
/// `tests/fixtures/nvr/ANSWERS/`, behind Digest admin/s3cret, and `extra` options.
fn web_api(lab: &mut NsLab, script: &str, answers: &str, extra: &[&str]) {
    let root = common::root_dir();
    let nvr = root.join("tests/servers").join(script);
    let answers = root.join("tests/fixtures/nvr").join(answers);
    let mut args = vec![
        nvr.to_str().unwrap(),
        "198.18.0.11:80",
        answers.to_str().unwrap(),
        "--password",
        "s3cret",
    ];
    args.extend_from_slice(extra);
    lab.serve_with("/usr/bin/python3", "h1", &args);
}

fn scan_nvr(lab: &NsLab, dir: &std::path::Path, db: Option<&std::path::Path>) -> NvrScan {
    let creds = dir.join("creds.txt");
    std::fs::write(&creds, "admin:s3cret\n").unwrap();
    let mut cmd = lab.camscan();
    if let Some(db) = db {
        cmd.env_remove("CAMSCAN_NO_DB").env("CAMSCAN_DB", db);
    }
    let started = Instant::now();
    let out = run(
        cmd.args([
            "scan",
            "-f",
            "json",
            "-p",
            "80,554",
            "--credentials",
            creds.to_str().unwrap(),
        ]),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains("nvr-stored-secret"),
        "the camera password the NVR stores is never kept"
    );
    let report: common::schema::Report = serde_json::from_str(&text).unwrap();
    assert!(
        report
            .devices
            .iter()
            .all(|d| !d.ip.starts_with("198.19.254.")),
        "no device on the NVR's private subnet: {:?}",
        report.devices.iter().map(|d| &d.ip).collect::<Vec<_>>()
    );
    NvrScan { took, text, report }
}

/// What [`scan_nvr`] found.
struct NvrScan {
    took: Duration,
    text: String,
    report: common::schema::Report,
}

impl NvrScan {
    /// The NVR (198.18.0.11).
    fn nvr(&self) -> &common::schema::Device {
        self.report
            .devices
            .iter()
            .find(|d| d.ip == "198.18.0.11")
            .unwrap_or_else(|| panic!("no NVR in {}", self.text))
    }
}

/// Each channel as the NVR lists it: number, name, address, port, protocol, model, online.
#[allow(clippy::type_complexity)]
fn channel_rows(
    nvr: &common::schema::Device,
) -> Vec<(
    u32,
    Option<&str>,
    Option<&str>,
    Option<u16>,
    Option<&str>,
    Option<&str>,
    Option<bool>,
)> {
    nvr.nvr_channels
        .iter()
        .map(|c| {
            (
                c.channel,
                c.name.as_deref(),
                c.address.as_deref(),
                c.port,
                c.protocol.as_deref(),
                c.model.as_deref(),
                c.online,
            )
        })
        .collect()
}

#[test]
fn cameras_behind_an_nvr_are_listed_and_played_through_it() {
    // Dropped after the lab (whose servers, the cameras' among them, stop first).
    let cam_ns = CameraNs(format!("{PREFIX}-cam"));
    let mut lab = nvr_with_cameras(PREFIX, &cam_ns);
    relay(
        &mut lab,
        &[
            ("/Streaming/Channels/101", "ch1"),
            ("/Streaming/Channels/201", "ch2"),
        ],
    );
    // As a real NVR: the web page is public, ISAPI asks for Digest (realm: the model).
    web_api(
        &mut lab,
        "isapi_nvr.py",
        "lab",
        &["--open-root", "--realm", "DS-7608NI-LAB"],
    );

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let scan = scan_nvr(&lab, dir.path(), Some(&db));
    let (took, text) = (scan.took, &scan.text);
    let nvr = scan.nvr();
    let got = channel_rows(nvr);
    assert_eq!(
        got,
        vec![
            (
                1,
                Some("Gate"),
                Some("192.168.254.2"),
                Some(8000),
                Some("HIKVISION"),
                Some("DS-2CD2386G2-IU"),
                Some(true)
            ),
            (
                2,
                Some("Yard"),
                Some("192.168.254.3"),
                Some(80),
                Some("ONVIF"),
                Some("IPC-HFW2431S"),
                Some(true)
            ),
            (
                3,
                Some("Store"),
                Some("192.168.254.4"),
                Some(8000),
                Some("HIKVISION"),
                None,
                Some(false)
            ),
        ],
        "{text}"
    );
    let ch1 = &nvr.nvr_channels[0];
    assert_eq!(
        ch1.stream.as_deref(),
        Some("rtsp://198.18.0.11:554/Streaming/Channels/101")
    );
    assert_eq!(ch1.source, "hikvision-isapi");
    assert_eq!(ch1.user.as_deref(), Some("admin"));
    assert_eq!(
        ch1.serial.as_deref(),
        Some("DS-2CD2386G2-IU20240101LAB0001")
    );
    assert!(
        ch1.verified,
        "channel 1 played through the NVR: {:#?}",
        nvr.streams
    );
    // Channel 2 is found by the channel walk after channel 1 (which the login found: an NVR is
    // behind one) and played through the NVR too.
    assert!(
        nvr.nvr_channels[1].verified,
        "channel 2 played through the NVR: {:#?}",
        nvr.streams
    );
    assert!(!nvr.nvr_channels[2].verified, "channel 3 is not relayed");
    // CSV: the channels in one cell of each of the NVR's rows.
    let json = dir.path().join("report.json");
    std::fs::write(&json, text).unwrap();
    let csv = run(
        common::camscan().args(["convert", json.to_str().unwrap(), "-f", "csv"]),
        Duration::from_secs(20),
    );
    let mut rows = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = rows.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "nvr_channels").unwrap();
    let row = rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "198.18.0.11")
        .expect("a CSV row for the NVR");
    assert_eq!(
        &row[col],
        "1 Gate 192.168.254.2:8000 DS-2CD2386G2-IU online;2 Yard 192.168.254.3:80 IPC-HFW2431S \
         online;3 Store 192.168.254.4:8000 offline"
    );
    // The inventory keeps them: `camscan show` (the device API's document).
    let show = run(
        common::camscan_with_db(&db).args(["show", "198.18.0.11", "-f", "json"]),
        Duration::from_secs(20),
    );
    let detail: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(detail["nvr_channels"][1]["name"], "Yard", "{detail}");
    assert_eq!(detail["nvr_channels"][2]["online"], false);
    // The table with -v: a line per channel under the NVR.
    let out = run(
        lab.camscan().args([
            "scan",
            "-v",
            "--width",
            "200",
            "-p",
            "80,554",
            "--credentials",
            dir.path().join("creds.txt").to_str().unwrap(),
        ]),
        Duration::from_secs(60),
    );
    let table = stdout(&out);
    for want in [
        "nvr channel 1",
        "nvr channel 3",
        "192.168.254.2:8000",
        "offline",
    ] {
        assert!(table.contains(want), "{want:?} in the table:\n{table}");
    }
    assert!(!table.contains("198.19.254."), "{table}");
    eprintln!(
        "nvr: scan {:.1}s; channels verified: {:?}",
        took.as_secs_f64(),
        nvr.nvr_channels
            .iter()
            .map(|c| (c.channel, c.verified))
            .collect::<Vec<_>>()
    );
}

/// The same lab with h1 as a Dahua NVR: its CGI API behind Digest (`tests/servers/dahua_nvr.py`,
/// the answers in `tests/fixtures/nvr/dahua-lab/`, written for the test: see its README) and its
/// RTSP server relaying the camera as Dahua's `/cam/realmonitor?channel=1&subtype=0`.
#[test]
fn cameras_behind_a_dahua_nvr_are_listed_and_played_through_it() {
    const PREFIX: &str = "nvrd";
    // Dropped after the lab (whose servers, the cameras' among them, stop first).
    let cam_ns = CameraNs(format!("{PREFIX}-cam"));
    let mut lab = nvr_with_cameras(PREFIX, &cam_ns);
    relay(
        &mut lab,
        &[
            ("/cam/realmonitor?channel=1&subtype=0", "ch1"),
            ("/cam/realmonitor?channel=2&subtype=0", "ch2"),
        ],
    );
    // As a real NVR: the web page (its RPC2 login script) is public, the CGIs ask.
    web_api(&mut lab, "dahua_nvr.py", "dahua-lab", &["--open-root"]);

    let dir = tempfile::tempdir().unwrap();
    let scan = scan_nvr(&lab, dir.path(), None);
    let (took, text) = (scan.took, &scan.text);
    let nvr = scan.nvr();
    let got = channel_rows(nvr);
    // Slot 3 of the table is unused (`Enable=false`): not listed, and the next one is channel 4.
    assert_eq!(
        got,
        vec![
            (
                1,
                Some("Entry"),
                Some("192.168.1.108"),
                Some(37777),
                Some("Dahua2"),
                Some("IPC-HDW2431T-AS"),
                Some(true)
            ),
            (
                2,
                Some("Porch"),
                Some("192.168.1.109"),
                Some(80),
                Some("Onvif"),
                Some("DS-2CD1143G0-I"),
                Some(true)
            ),
            (
                4,
                Some("Garage"),
                Some("192.168.1.111"),
                Some(37777),
                Some("Private"),
                None,
                Some(false)
            ),
        ],
        "{text}"
    );
    let ch1 = &nvr.nvr_channels[0];
    assert_eq!(
        ch1.stream.as_deref(),
        Some("rtsp://198.18.0.11:554/cam/realmonitor?channel=1&subtype=0")
    );
    assert_eq!(
        ch1.substream.as_deref(),
        Some("rtsp://198.18.0.11:554/cam/realmonitor?channel=1&subtype=1")
    );
    assert_eq!(ch1.source, "dahua-cgi");
    assert_eq!(ch1.user.as_deref(), Some("admin"));
    assert_eq!(ch1.serial.as_deref(), Some("7H07AB1RAZ64978"));
    assert_eq!(ch1.firmware.as_deref(), Some("2.800.0000000.3.R"));
    assert!(
        ch1.verified,
        "channel 1 played through the NVR: {:#?}",
        nvr.streams
    );
    assert!(
        nvr.nvr_channels[1].verified,
        "channel 2 played through the NVR: {:#?}",
        nvr.streams
    );
    assert!(!nvr.nvr_channels[2].verified, "channel 4 is not relayed");
    eprintln!(
        "dahua nvr: scan {:.1}s; channels verified: {:?}",
        took.as_secs_f64(),
        nvr.nvr_channels
            .iter()
            .map(|c| (c.channel, c.verified))
            .collect::<Vec<_>>()
    );
}

/// The same lab with h1 as an NVR that speaks only ONVIF: PyPI WSDiscovery announces it
/// (`tests/lab/responders/wsd_responder.py`), and our ONVIF test double
/// (`tests/lab/responders/onvif_device.py --sources`, written from the ONVIF Media and Media2
/// specifications, not captured) serves its device and media services behind WS-UsernameToken,
/// with one video source per channel and a main and a sub profile each, whose GetStreamUri names
/// the NVR's real RTSP relays (paths no dictionary guesses: only the device API leads there).
/// camscan must list the two channels from the profiles (source `onvif`, named by the video
/// source configurations, the camera itself unknown), with both streams through the NVR, and play
/// each main stream, without a refused login anywhere.
#[test]
fn cameras_behind_an_onvif_nvr_are_listed_from_its_profiles_and_played() {
    const PREFIX: &str = "nvro";
    let cam_ns = CameraNs(format!("{PREFIX}-cam"));
    let mut lab = nvr_with_cameras(PREFIX, &cam_ns);
    let rtsp = relay(
        &mut lab,
        &[
            ("/nvr-relay/101", "ch1"),
            ("/nvr-relay/102", "ch1"),
            ("/nvr-relay/201", "ch2"),
            ("/nvr-relay/202", "ch2"),
        ],
    );
    let root = common::root_dir();
    let wsd = root.join("tests/lab/responders/wsd_responder.py");
    let onvif = root.join("tests/lab/responders/onvif_device.py");
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[
            wsd.to_str().unwrap(),
            "198.18.0.11",
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/name/Lab%20NVR",
        ],
    );
    lab.serve_with(
        "/usr/bin/python3",
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
            "--sources",
            "Gate,Yard",
            "--stream-path",
            "/nvr-relay/{channel}",
            "--manufacturer",
            "LabVision",
            "--model",
            "NVR-4",
        ],
    );
    let device = lab.servers.len() - 1;

    let dir = tempfile::tempdir().unwrap();
    let scan = scan_nvr(&lab, dir.path(), None);
    let (took, text) = (scan.took, &scan.text);
    let nvr = scan.nvr();
    let rows: Vec<_> = nvr
        .nvr_channels
        .iter()
        .map(|c| {
            (
                c.channel,
                c.name.as_deref(),
                c.stream.as_deref(),
                c.substream.as_deref(),
                c.source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                1,
                Some("Gate"),
                Some("rtsp://198.18.0.11:554/nvr-relay/101"),
                Some("rtsp://198.18.0.11:554/nvr-relay/102"),
                "onvif"
            ),
            (
                2,
                Some("Yard"),
                Some("rtsp://198.18.0.11:554/nvr-relay/201"),
                Some("rtsp://198.18.0.11:554/nvr-relay/202"),
                "onvif"
            ),
        ],
        "{text}"
    );
    // ONVIF profiles say nothing of the camera behind a source.
    assert_eq!(
        channel_rows(nvr),
        [
            (1, Some("Gate"), None, None, None, None, None),
            (2, Some("Yard"), None, None, None, None, None)
        ]
    );
    for c in &nvr.nvr_channels {
        assert!(
            c.verified,
            "channel {} played through the NVR: {:#?}",
            c.channel, nvr.streams
        );
    }
    // CSV: the channels by number and name (nothing is known of the cameras).
    let json = dir.path().join("report.json");
    std::fs::write(&json, text).unwrap();
    let csv = run(
        common::camscan().args(["convert", json.to_str().unwrap(), "-f", "csv"]),
        Duration::from_secs(20),
    );
    let mut csv_rows = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = csv_rows.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "nvr_channels").unwrap();
    let row = csv_rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "198.18.0.11")
        .expect("a CSV row for the NVR");
    assert_eq!(&row[col], "1 Gate;2 Yard");
    // The right password everywhere: neither the device API nor the RTSP server refused one.
    std::thread::sleep(Duration::from_millis(300));
    for (server, what) in [(device, "ONVIF device"), (rtsp, "RTSP server")] {
        let refused = lab.servers[server]
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("AUTHFAIL"))
            .count();
        assert_eq!(refused, 0, "{what} refused a login");
    }
    eprintln!(
        "onvif nvr: scan {:.1}s; channels verified: {:?}",
        took.as_secs_f64(),
        nvr.nvr_channels
            .iter()
            .map(|c| (c.channel, c.verified))
            .collect::<Vec<_>>()
    );
}
