//! The scan plan, end to end on the real binary: what `camscan scan` prints on stderr before it
//! sends anything and puts in the report's `plan`, and the warnings it sees.
//!
//! 1. A loopback scan (127.0.44.1-3, one port listening, one closed): the plan's addresses, ports,
//!    methods (ARP and ONVIF skipped: no target on an attached network) on stderr and in JSON, the
//!    plan printed before the scan, and the scan within the estimate's worst case.
//! 2. The namespace lab of `tests/lab/lab.sh`: the scanner's eth0 is one end of a veth pair on a
//!    plain bridge where ARP and multicast reach every host. With a container marker given through
//!    `CAMSCAN_CONTAINER_MARKERS` (the marker stands for `/.dockerenv`) the plan warns nothing, and
//!    `camscan doctor` passes: a veth is no Docker bridge network (only Docker's address pools
//!    say that, unit-tested); without the marker neither warns. As uid nobody without capabilities the plan says ARP runs unprivileged and warns
//!    `no-raw-sockets`. Addresses: 198.18.0.0/24 inside the lab only.
//!
//! Needs root (ip netns, setpriv): `scripts/test`.

mod common;

use common::netns::NsLab;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::schema::{Plan, Report};
use common::{camscan, camscan_in, run, stderr, stdout};
use serde_json::Value;

/// This file's loopback block (tests/common/mod.rs).
const LO: &str = "127.0.44.1";

fn plan_of(out: &std::process::Output) -> Plan {
    let report: Report =
        serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)));
    report.plan.expect("the report has a plan")
}

fn codes(plan: &Plan) -> Vec<&str> {
    plan.warnings.iter().map(|w| w.code.as_str()).collect()
}

fn method<'a>(plan: &'a Plan, name: &str) -> &'a common::schema::PlanMethod {
    plan.discovery
        .iter()
        .find(|m| m.method == name)
        .unwrap_or_else(|| panic!("{name} not in {:?}", plan.discovery))
}

#[test]
fn loopback_scan_prints_its_plan_first() {
    let listener = TcpListener::bind((LO, 0)).unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = common::free_port(LO);
    let ports = format!("{open},{closed}");
    let started = Instant::now();
    let out = run(
        camscan()
            .args(["scan", "127.0.44.1-3", "-p", &ports])
            .args(["--discovery", "arp,onvif,ports", "--no-detect"])
            .args(["--connect-timeout", "500ms", "-f", "json"])
            // No container marker and no cgroup signal, whatever machine runs the test.
            .env("CAMSCAN_CONTAINER_MARKERS", ""),
        Duration::from_secs(30),
    );
    let took = started.elapsed();
    let err = stderr(&out);
    let plan = plan_of(&out);

    // stderr: the plan is the first thing said, before any probe.
    let first = err.lines().next().unwrap_or("");
    assert_eq!(
        first,
        format!(
            "camscan: plan: 3 addresses 127.0.44.1-127.0.44.3, 2 ports, discovery port; skipped \
             arp, onvif (no target on an attached network); {} at once, at most 10000 a second; \
             per device 4 connections, 250 requests a second; PLAY checks 100 Mbit/s in all; \
             under 0.1 s (up to 0.5 s if every port is filtered)",
            plan.concurrency
        ),
        "{err}"
    );
    assert!(!err.contains("camscan: warning:"), "{err}");

    // JSON: the same plan.
    assert_eq!(plan.addresses, 3);
    assert!(plan.interfaces.is_empty(), "{:?}", plan.interfaces);
    assert_eq!(plan.ranges.len(), 1);
    let r = &plan.ranges[0];
    assert_eq!(
        (
            r.first.as_str(),
            r.last.as_str(),
            r.addresses,
            r.interface.as_deref()
        ),
        ("127.0.44.1", "127.0.44.3", 3, None)
    );
    assert_eq!(plan.ports, [open, closed]);
    assert!(method(&plan, "port").runs);
    for m in ["arp", "onvif"] {
        let m = method(&plan, m);
        assert!(!m.runs);
        assert_eq!(m.note.as_deref(), Some("no target on an attached network"));
    }
    assert_eq!(plan.connect_timeout_ms, 500);
    assert_eq!(plan.estimate.probes, 6);
    // 6 connects at the default 10,000 a second.
    assert_eq!(plan.max_rate, 10_000);
    assert!((plan.estimate.min_seconds - 0.0006).abs() < 1e-9);
    assert_eq!(plan.estimate.max_seconds, 0.5);
    assert!(
        plan.estimate
            .model
            .contains("6 connects (3 addresses x 2 ports)")
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);

    // The scan did what the plan said, and within its worst case (plus the process's start).
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["devices"][0]["ip"], LO, "{report:#}");
    assert_eq!(
        report["devices"][0]["open_ports"],
        serde_json::json!([open])
    );
    assert!(
        took < Duration::from_millis(500) + Duration::from_secs(3),
        "took {took:?}"
    );

    // --quiet: no plan on stderr; the report still has it.
    let out = run(
        camscan()
            .args(["-q", "scan", LO, "-p", &ports])
            .args(["--discovery", "ports", "--no-detect", "-f", "json"])
            .env("CAMSCAN_CONTAINER_MARKERS", ""),
        Duration::from_secs(30),
    );
    assert!(!stderr(&out).contains("camscan: plan:"), "{}", stderr(&out));
    assert_eq!(plan_of(&out).addresses, 1);
    drop(listener);
}

const PREFIX: &str = "cspl";

/// A container marker (standing for `/.dockerenv`) in `dir`.
fn marker(dir: &tempfile::TempDir) -> String {
    let p = dir.path().join("dockerenv");
    std::fs::write(&p, "").unwrap();
    p.display().to_string()
}

/// A scan of h1 (198.18.0.11, an on-link host with no server) from the lab's scanner.
const SCAN: [&str; 12] = [
    "scan",
    "198.18.0.11",
    "-p",
    "554",
    "--discovery",
    "arp,onvif,ports",
    "--discovery-wait",
    "300ms",
    "--no-detect",
    "-f",
    "json",
    "--no-dns",
];

#[test]
fn a_veth_in_a_container_where_multicast_works_is_no_bridge_warning() {
    let lab = NsLab::up("scan_plan", "lab.sh", PREFIX, &[]);
    let scanner = lab.ns("scan");
    let dir = tempfile::tempdir().unwrap();
    let marker = marker(&dir);

    // Issue 61: a container marker and a veth on a plain bridge (the lab, where ARP and multicast
    // reach every host) is no Docker bridge network: only an address from Docker's pools says
    // that (unit-tested in crates/net/src/host.rs: the lab may use no other addresses).
    let out = run(
        camscan_in(&scanner)
            .args(SCAN)
            .env("CAMSCAN_CONTAINER_MARKERS", &marker),
        Duration::from_secs(30),
    );
    let err = stderr(&out);
    let plan = plan_of(&out);
    assert!(codes(&plan).is_empty(), "{err}");
    assert!(!err.contains("container-bridge"), "{err}");
    // The rest of the plan, as the lab is: eth0 attached, raw ARP (root), ONVIF's multicast.
    assert_eq!(plan.interfaces.len(), 1, "{:?}", plan.interfaces);
    let eth0 = &plan.interfaces[0];
    assert_eq!(
        (
            eth0.name.as_str(),
            eth0.address.as_str(),
            eth0.subnet.as_str()
        ),
        ("eth0", "198.18.0.1", "198.18.0.0/24")
    );
    assert_eq!(plan.ranges[0].interface.as_deref(), Some("eth0"));
    assert_eq!(method(&plan, "arp").note.as_deref(), Some("raw"));
    assert!(method(&plan, "arp").runs && method(&plan, "onvif").runs);
    assert!(
        err.starts_with(
            "camscan: plan: 1 address on eth0 (198.18.0.0/24), 1 port, discovery arp, onvif, port;"
        ),
        "{err}"
    );

    // Doctor, in the same place, says the same.
    let out = run(
        camscan_in(&scanner)
            .args(["doctor", "-f", "json"])
            .env("CAMSCAN_CONTAINER_MARKERS", &marker),
        Duration::from_secs(30),
    );
    let doctor: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "container")
        .unwrap_or_else(|| panic!("{doctor:#}"));
    assert_eq!(check["status"], "pass", "{check:#}");

    // No marker: the same veth is a namespace of one's own, not a container: no warning.
    let out = run(
        camscan_in(&scanner)
            .args(SCAN)
            .env("CAMSCAN_CONTAINER_MARKERS", ""),
        Duration::from_secs(30),
    );
    assert!(codes(&plan_of(&out)).is_empty(), "{}", stderr(&out));
    let out = run(
        camscan_in(&scanner)
            .args(["doctor", "-f", "json"])
            .env("CAMSCAN_CONTAINER_MARKERS", ""),
        Duration::from_secs(30),
    );
    let doctor: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "container")
        .unwrap();
    assert_eq!(check["status"], "pass", "{check:#}");

    // uid nobody without capabilities: ARP runs unprivileged, and the plan says so.
    let mut nobody = lab.camscan_as_nobody();
    nobody.args(SCAN).env("CAMSCAN_CONTAINER_MARKERS", "");
    let out = run(&mut nobody, Duration::from_secs(30));
    let plan = plan_of(&out);
    assert_eq!(method(&plan, "arp").note.as_deref(), Some("unprivileged"));
    assert_eq!(codes(&plan), ["no-raw-sockets"], "{}", stderr(&out));
    assert!(
        stderr(&out).contains("camscan: warning: no-raw-sockets: not root and no CAP_NET_RAW"),
        "{}",
        stderr(&out)
    );
}
