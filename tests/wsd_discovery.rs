//! WS-Discovery that does not give up, in the namespace lab of `tests/lab/lab.sh`:
//! - h2 runs `picky_wsd.py --only-typed` (OUR FAKE: answers only a Probe with Types, as devices that
//!   ignore an untyped Probe do) and h3 `picky_wsd.py --only-compact-unicast` (OUR FAKE: answers only
//!   a unicast Probe whose XML has no line break). camscan must find both, and each responder's log
//!   shows the Probe variant it answered and the ones it ignored (a client sending only the other
//!   variant would have missed it). x1 (198.18.0.101) runs `--only-pretty-unicast` (OUR FAKE: answers
//!   only a pretty-printed unicast Probe): found by the retry sent to the hosts still silent.
//! - h1 runs the real PyPI WSDiscovery 2.1.2 (`wsd_responder.py`) announcing an XAddr at
//!   198.18.0.64, an address no one holds (the camera's old address), while its ONVIF device
//!   service (`onvif_device.py`, our fake) answers at 198.18.0.11: camscan reports the stale XAddr
//!   and asks the device API at the sender's address.
//!
//! Needs root and the lab venv: `scripts/test`.
// The figures (scan time) go to the test log.
#![allow(clippy::print_stderr)]

mod common;

use common::netns::NsLab;
use std::time::{Duration, Instant};

use common::schema::Report;
use common::{run, stderr, stdout};

fn responder(name: &str) -> String {
    common::root_dir()
        .join("tests/lab/responders")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The lines a server printed after READY.
fn lines(lab: &NsLab, server: usize) -> Vec<String> {
    lab.servers[server].lines.lock().unwrap().clone()
}

#[test]
fn picky_responders_and_a_stale_xaddr() {
    // One extra host, x1 at 198.18.0.101.
    let mut lab = NsLab::up("wsd_discovery", "lab.sh", "cwsd", &["1"]);
    // h1: the real library, announcing the camera's old address; the device service answers at
    // the new one.
    lab.serve_with(
        &common::lab_python(),
        "h1",
        &[
            &responder("wsd_responder.py"),
            "198.18.0.11",
            "http://198.18.0.64:8000/onvif/device_service",
        ],
    );
    lab.serve_with(
        "/usr/bin/python3",
        "h1",
        &[
            &responder("onvif_device.py"),
            "198.18.0.11",
            "--port",
            "8000",
        ],
    );
    lab.serve_with(
        "/usr/bin/python3",
        "h2",
        &[
            &responder("picky_wsd.py"),
            "198.18.0.12",
            "--only-typed",
            "--name",
            "Typed Only",
        ],
    );
    let typed_only = lab.servers.len() - 1;
    lab.serve_with(
        "/usr/bin/python3",
        "h3",
        &[
            &responder("picky_wsd.py"),
            "198.18.0.13",
            "--only-compact-unicast",
            "--name",
            "Compact Unicast",
            "--xaddr",
            "http://198.18.0.13/onvif/device_service",
        ],
    );
    let compact_only = lab.servers.len() - 1;
    lab.serve_with(
        "/usr/bin/python3",
        "x1",
        &[
            &responder("picky_wsd.py"),
            "198.18.0.101",
            "--only-pretty-unicast",
            "--name",
            "Pretty Unicast",
            "--xaddr",
            "http://198.18.0.101/onvif/device_service",
        ],
    );
    let pretty_only = lab.servers.len() - 1;

    let started = Instant::now();
    let out = run(
        lab.camscan().args([
            "scan",
            "198.18.0.0/24",
            "-f",
            "json",
            "-p",
            "8000",
            "--no-verify",
        ]),
        Duration::from_secs(60),
    );
    eprintln!("scan took {:?}", started.elapsed());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();

    // Both picky devices are found by WS-Discovery, with the name their answer gave.
    for (ip, name) in [
        ("198.18.0.12", "Typed Only"),
        ("198.18.0.13", "Compact Unicast"),
        ("198.18.0.101", "Pretty Unicast"),
    ] {
        let d = report.device(ip);
        assert!(
            d.discovered_by.iter().any(|m| m == "onvif"),
            "{ip}: {:?}\n{err}",
            d.discovered_by
        );
        assert_eq!(d.name.as_deref(), Some(name));
        assert!(d.is_camera);
    }
    // What each one answered and ignored: the variant that found it, and one that would not have.
    let typed = lines(&lab, typed_only);
    eprintln!("typed-only responder: {typed:#?}");
    let answered: Vec<&String> = typed.iter().filter(|l| l.starts_with("ANSWERED")).collect();
    assert!(!answered.is_empty(), "{typed:?}");
    assert!(answered.iter().all(|l| l.contains(" typed ")), "{typed:?}");
    assert!(
        typed
            .iter()
            .any(|l| l.starts_with("IGNORED multicast compact untyped")),
        "an untyped multicast Probe went out and would have missed it: {typed:?}"
    );
    assert!(
        typed
            .iter()
            .any(|l| l.starts_with("ANSWERED multicast compact typed dn:NetworkVideoTransmitter")),
        "{typed:?}"
    );
    assert!(
        typed
            .iter()
            .any(|l| l.starts_with("ANSWERED multicast compact typed tds:Device")),
        "{typed:?}"
    );
    let compact = lines(&lab, compact_only);
    eprintln!("compact-unicast-only responder: {compact:#?}");
    assert!(
        compact
            .iter()
            .filter(|l| l.starts_with("ANSWERED"))
            .all(|l| l.starts_with("ANSWERED unicast compact ")),
        "{compact:?}"
    );
    assert!(
        compact
            .iter()
            .any(|l| l.starts_with("ANSWERED unicast compact ")),
        "{compact:?}"
    );
    assert!(
        compact.iter().any(|l| l.starts_with("IGNORED multicast ")),
        "the multicast Probes went out and would have missed it: {compact:?}"
    );
    // The pretty retry: the device ignored the compact unicast Probes and every multicast one, and
    // answered the pretty ones sent to the hosts still silent.
    let pretty = lines(&lab, pretty_only);
    eprintln!("pretty-unicast-only responder: {pretty:#?}");
    for want in [
        "IGNORED unicast compact typed dn:NetworkVideoTransmitter",
        "IGNORED unicast compact untyped",
        "IGNORED multicast compact untyped",
        "ANSWERED unicast pretty typed dn:NetworkVideoTransmitter",
        "ANSWERED unicast pretty untyped",
    ] {
        assert!(
            pretty.iter().any(|l| l.starts_with(want)),
            "{want}: {pretty:?}"
        );
    }
    // The devices that answered the compact Probes got no pretty retry.
    assert!(
        !compact.iter().any(|l| l.contains(" pretty ")),
        "{compact:?}"
    );
    // Each variant has its own MessageID: the typed-only device saw 3 distinct multicast ones
    // and 2 unicast ones (repeats of one Probe keep theirs and print nothing).
    let ids: std::collections::HashSet<&str> = typed
        .iter()
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("urn:uuid:")))
        .collect();
    assert_eq!(ids.len(), typed.len(), "{typed:?}");
    assert!(ids.len() >= 5, "{typed:?}");

    // The stale XAddr: reported, and the device API asked at the sender's address instead.
    let cam = report.device("198.18.0.11");
    let onvif = cam.onvif.as_ref().expect("the WS-Discovery answer");
    assert_eq!(
        onvif.xaddrs,
        ["http://198.18.0.64:8000/onvif/device_service"]
    );
    assert_eq!(onvif.stale_xaddrs.len(), 1, "{:?}", onvif.stale_xaddrs);
    let s = &onvif.stale_xaddrs[0];
    eprintln!("stale XAddr: {s:?}");
    assert_eq!(s.address, "http://198.18.0.64:8000/onvif/device_service");
    assert_eq!(s.announced_by, "198.18.0.11");
    assert!(
        s.reason.starts_with("no answer within") || s.reason.starts_with("unreachable"),
        "{}",
        s.reason
    );
    assert_eq!(
        s.answers_on.as_deref(),
        Some("http://198.18.0.11:8000/onvif/device_service")
    );
    // The device API's facts (GetDeviceInformation) came from the address that answers.
    assert_eq!(cam.firmware.as_deref(), Some("V5.7.3"), "{err}");
    // The picky devices' XAddrs name themselves: nothing stale there.
    for ip in ["198.18.0.12", "198.18.0.13", "198.18.0.101"] {
        let o = report.device(ip).onvif.as_ref().unwrap();
        assert!(o.stale_xaddrs.is_empty(), "{ip}: {:?}", o.stale_xaddrs);
    }
    // A technician's line in the table.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    std::fs::write(&json, stdout(&out)).unwrap();
    let table = run(
        common::camscan_in(&lab.ns("scan")).args([
            "convert",
            json.to_str().unwrap(),
            "-f",
            "table",
            "--width",
            "0",
        ]),
        Duration::from_secs(20),
    );
    let text = stdout(&table);
    assert!(
        text.contains(
            "stale XAddr: 198.18.0.11 announces http://198.18.0.64:8000/onvif/device_service, \
             which does not answer ("
        ) && text.contains(
            "an old address of the device; it answers on http://198.18.0.11:8000/onvif/device_service"
        ),
        "{text}"
    );
}
