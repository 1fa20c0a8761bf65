//! Large networks, on namespace labs of `tests/lab/scale_lab.sh` small enough for the test budget:
//! each host an address with its own MAC (a macvlan), 60% of them cameras (GStreamer's RTSP server
//! on 554, nginx on 80), the others refusing 554, every other address of the range empty.
//!
//! 1. **Pacing and asking again** (attached /23, 40 hosts): the first ARP request to each camera
//!    is dropped on the camera's own interface (nftables in the hosts' namespace), as a busy
//!    segment loses frames. Every host is found, those found only when asked again are counted,
//!    and the requests on the wire (recorded on the scanner's switch port by
//!    `tests/lab/arp_watch.py`) keep to `--arp-rate` in every window.
//! 2. **One MAC for many addresses** (40 addresses behind one interface, as behind a Wi-Fi
//!    extender's MAC-NAT): 40 devices, the MAC named as a bridge or proxy-ARP host, and 40
//!    devices in the inventory after two scans.
//! 3. **Routed ranges** (/22 behind a router that drops what goes to an absent address): host
//!    discovery (ping and the likely ports) finds every host and costs far fewer connects than
//!    every port of every address; `--probe-all` finds the same; as uid nobody without an ICMP
//!    socket the ports alone still do.
//! 4. **The kernel's default neighbour thresholds** (gc_thresh3 1,024, as a scanning machine has
//!    them): 600 hosts on an attached /21. The lab's own 600 entries fit; the scanner's 600 more
//!    do not. The overflow is seen, said in the plan and the coverage record, waited out, and no
//!    port is counted closed or filtered because of it: every host and port is found.
//! 5. **Asking each camera only what it needs** (attached /24, 10 hosts): a camera its MAC's
//!    block names is asked its maker's paths only, 17 requests; a host nothing names, the whole
//!    web dictionary; nginx's page at every path is no snapshot.
//!
//! The thresholds are the kernel's, shared by every namespace: the binary runs alone
//! (`scripts/run-tests`' EXCLUSIVE), its tests one at a time, and test 4 puts back what it found.
//! Needs root (ip netns, nft, setpriv): `scripts/test`. Addresses: 198.19.0.0/16 and
//! 198.18.0.0/15 inside the labs only.

mod common;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use common::netns::NsLab;
use common::schema::Report;
use common::{run, stderr, stdout};

/// One lab at a time: they share the kernel's neighbour table.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The lab's hosts: address, MAC and `camera` or `other`, from the file `up` writes.
fn hosts(prefix: &str) -> Vec<(String, String, bool)> {
    std::fs::read_to_string(format!("/run/camscan-scale-{prefix}/hosts.txt"))
        .expect("the lab lists its hosts")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].to_string(), f[2] == "camera")
        })
        .collect()
}

fn report(out: &std::process::Output) -> Report {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

/// Every lab host is a device of the report, every camera with 554 open, every host with 80.
fn every_host_and_port(report: &Report, hosts: &[(String, String, bool)]) {
    for (ip, _, camera) in hosts {
        let d = report
            .devices
            .iter()
            .find(|d| &d.ip == ip)
            .unwrap_or_else(|| panic!("{ip} not found: {:?}", report.coverage));
        assert!(d.open_ports.contains(&80), "{ip}: {:?}", d.open_ports);
        assert_eq!(
            d.open_ports.contains(&554),
            *camera,
            "{ip}: {:?}",
            d.open_ports
        );
    }
    assert_eq!(
        report.devices.len(),
        hosts.len(),
        "no device beyond the lab's hosts"
    );
}

/// `up PREFIX VARIANT N RANGE`, leaving the kernel's thresholds as they are.
fn lab(prefix: &'static str, variant: &str, n: &str, range: &str) -> NsLab {
    NsLab::up_with(
        "scale",
        "scale_lab.sh",
        prefix,
        &[variant, n, range],
        &[("CAMSCAN_LAB_KEEP_THRESHOLDS", "1")],
    )
}

fn nft(ns: &str, rules: &str) {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(rules.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "nft in {ns}: {rules}");
}

const PORTS_ONLY: [&str; 8] = [
    "--no-detect",
    "--discovery",
    "arp,ports",
    "--no-db",
    "--no-dns",
    "-f",
    "json",
    "-p",
];

#[test]
fn arp_keeps_to_its_budget_and_asks_the_silent_again() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = lab("scpace", "attached", "40", "198.19.0.0/23");
    let hosts = hosts("scpace");
    // The first request for each camera, on the camera's own interface (macvlan hK for host K),
    // is dropped; later ones pass.
    let own: Vec<String> = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| h.2)
        .map(|(k, h)| format!("{} . \"h{k}\"", h.0))
        .collect();
    nft(
        &lab.ns("hosts"),
        &format!(
            "table arp lossy {{
               set own {{ type ipv4_addr . ifname; elements = {{ {} }}; }}
               set asked {{ type ipv4_addr; flags dynamic; size 65536; }}
               chain input {{ type filter hook input priority 0; policy accept;
                 arp operation request arp daddr ip . iifname @own arp daddr ip != @asked \
                   add @asked {{ arp daddr ip }} drop; }}
             }}",
            own.join(", ")
        ),
    );
    // The scanner is 198.19.0.1 on the switch's port `scan`.
    let mut watch = Command::new("ip")
        .args(["netns", "exec", &lab.ns("sw")])
        .arg(common::root_dir().join("tests/lab/arp_watch.py"))
        .args(["scan", "198.19.0.1", "12"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(watch.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "LISTENING");
    }
    let out = run(
        lab.camscan()
            .args(["scan", "198.19.0.0/23", "--arp-rate", "1000"])
            .args(PORTS_ONLY)
            .arg("554,80"),
        Duration::from_secs(60),
    );
    let r = report(&out);
    every_host_and_port(&r, &hosts);
    assert_eq!(r.plan.as_ref().unwrap().arp_rate, 1000);
    assert!(
        stderr(&out).contains("ARP at most 1000 requests a second"),
        "{}",
        stderr(&out)
    );
    let arp = r.coverage.as_ref().unwrap().arp.as_ref().expect("ARP ran");
    assert_eq!(arp.mode, "raw");
    assert_eq!(arp.answered, 40);
    assert!(
        arp.found_on_retry >= 20,
        "the 24 cameras answer only when asked again (one may be heard on its own): {arp:?}"
    );
    assert!(arp.passes >= 3, "loss this high asks again: {arp:?}");
    assert!(arp.loss_percent > 1.0, "{arp:?}");
    assert_eq!(
        arp.final_rate, 500,
        "backed off to half the budget: {arp:?}"
    );
    assert!(r.complete, "{:?}", r.coverage);

    // On the wire: every request camscan sent, none beyond the budget. A bucket of 1000 a
    // second holds 20 (20 ms); any 100 ms holds at most 100 + 20, any second 1000 + 20.
    let watched = watch.wait_with_output().unwrap();
    let seen: serde_json::Value = serde_json::from_slice(&watched.stdout).unwrap();
    let times: Vec<f64> = seen["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect();
    let sent = arp.asked + arp.asked_again;
    assert!(
        times.len() as u64 >= sent,
        "{} requests on the wire, {sent} counted",
        times.len()
    );
    let most_within = |window: f64| {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t < times[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    // The kernel's own ARP for the connects adds a few requests beside the sweep's.
    let slack = 45;
    assert!(
        most_within(0.1) <= 120 + slack,
        "{} requests within 100 ms",
        most_within(0.1)
    );
    assert!(
        most_within(1.0) <= 1020 + slack,
        "{} requests within 1 s",
        most_within(1.0)
    );
    // The first pass alone (509 addresses) cannot be faster than the budget allows.
    assert!(
        times.last().unwrap() >= &((509.0 - 20.0) / 1000.0),
        "{:?}",
        times.last()
    );
}

#[test]
fn many_addresses_behind_one_mac_are_as_many_devices() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = lab("sconemac", "onemac", "40", "198.19.0.0/23");
    let hosts = hosts("sconemac");
    let out = run(
        lab.camscan()
            .args(["scan", "198.19.0.0/23"])
            .args(PORTS_ONLY)
            .arg("554,80"),
        Duration::from_secs(60),
    );
    let r = report(&out);
    every_host_and_port(&r, &hosts);
    assert!(
        r.devices.iter().all(|d| d.mac_shared),
        "each device flagged"
    );
    let cov = r.coverage.as_ref().unwrap();
    assert_eq!(cov.shared_macs.len(), 1, "{cov:?}");
    assert_eq!(cov.shared_macs[0].mac, "02:19:ff:00:00:02");
    assert_eq!(cov.shared_macs[0].addresses, 40);
    assert!(cov.shared_macs[0].kind.contains("proxy-ARP"));

    // Recorded twice in an inventory: 40 devices, none of them keyed by the shared MAC.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    for _ in 0..2 {
        let out = run(
            lab.camscan()
                .env_remove("CAMSCAN_NO_DB")
                .args(["scan", "198.19.0.0/23", "--db"])
                .arg(&db)
                .args([
                    "--no-detect",
                    "--discovery",
                    "arp,ports",
                    "--no-dns",
                    "-p",
                    "554,80",
                    "-f",
                    "json",
                ]),
            Duration::from_secs(60),
        );
        // 1: no camera found (`--no-detect` names none), still a whole scan.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    }
    let out = run(
        lab.camscan()
            .args(["devices", "-f", "json", "--db"])
            .arg(&db),
        Duration::from_secs(30),
    );
    let devices: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(devices.len(), 40, "{}", stdout(&out));
    assert!(
        devices
            .iter()
            .all(|d| !d["key"].as_str().unwrap().starts_with("mac:")),
        "{devices:?}"
    );
    let out = run(
        lab.camscan().args(["scans", "-f", "json", "--db"]).arg(&db),
        Duration::from_secs(30),
    );
    let scans: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(
        scans[0]["coverage"]["shared_macs"][0]["addresses"], 40,
        "the scan record keeps its coverage: {scans:?}"
    );
}

#[test]
fn routed_ranges_find_their_hosts_before_every_port() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = lab("scroute", "routed", "40", "198.19.0.0/22");
    let hosts = hosts("scroute");
    // Two likely ports and two others; the router drops what goes to the 982 empty addresses.
    let ports = "554,80,8554,9000";
    let scan = |extra: &[&str], mut c: Command| {
        c.args(["scan", "198.19.0.0/22"])
            .args(PORTS_ONLY)
            .arg(ports)
            .args(extra);
        let out = run(&mut c, Duration::from_secs(120));
        report(&out)
    };
    let r = scan(&[], lab.camscan());
    every_host_and_port(&r, &hosts);
    assert_eq!(r.plan.as_ref().unwrap().host_discovery, [554, 80]);
    let cov = r.coverage.as_ref().unwrap();
    let hd = cov.host_discovery.as_ref().expect("host discovery ran");
    assert_eq!((hd.asked, hd.answered), (1022, 40), "{hd:?}");
    assert_eq!(hd.icmp_answered, Some(40), "root pings: {hd:?}");
    // 1022 x 2 likely ports, then the other 2 on the 40 hosts.
    assert_eq!(cov.probes.connects, 1022 * 2 + 40 * 2, "{cov:?}");
    assert!(r.complete);

    // Every port of every address: the same hosts and ports, twice the connects.
    let all = scan(&["--probe-all"], lab.camscan());
    every_host_and_port(&all, &hosts);
    assert!(all.plan.as_ref().unwrap().host_discovery.is_empty());
    let all_cov = all.coverage.as_ref().unwrap();
    assert!(all_cov.host_discovery.is_none());
    assert_eq!(all_cov.probes.connects, 1022 * 4);

    // uid nobody, no capabilities (no raw socket; ping_group_range leaves ping sockets to root):
    // the likely ports alone find every host.
    let mut nobody = lab.camscan_as_nobody();
    nobody.env("HOME", "/nonexistent");
    let r = scan(&[], nobody);
    every_host_and_port(&r, &hosts);
    let hd = r.coverage.as_ref().unwrap().host_discovery.clone().unwrap();
    assert_eq!(hd.answered, 40);
    assert_eq!(hd.icmp_answered, None, "{hd:?}");
}

/// gc_thresh1..3 set for the test, put back however it ends.
struct Thresholds([String; 3]);

const NEIGH: &str = "/proc/sys/net/ipv4/neigh/default";

impl Thresholds {
    fn set(values: [&str; 3]) -> Thresholds {
        let old = [1, 2, 3].map(|i| {
            std::fs::read_to_string(format!("{NEIGH}/gc_thresh{i}"))
                .unwrap()
                .trim()
                .to_string()
        });
        // Lowering: the highest last, raising: first; the kernel does not mind the order.
        for (i, v) in values.iter().enumerate() {
            std::fs::write(format!("{NEIGH}/gc_thresh{}", i + 1), v).unwrap();
        }
        Thresholds(old)
    }
}

impl Drop for Thresholds {
    fn drop(&mut self) {
        for (i, v) in self.0.iter().enumerate() {
            let _ = std::fs::write(format!("{NEIGH}/gc_thresh{}", i + 1), v);
        }
    }
}

#[test]
fn the_default_neighbour_table_overflows_and_is_waited_out() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The kernel's defaults (net/ipv4/arp.c), as a scanning machine has them.
    let _thresholds = Thresholds::set(["128", "512", "1024"]);
    let lab = lab("scneigh", "attached", "600", "198.19.0.0/21");
    let hosts = hosts("scneigh");
    let out = run(
        lab.camscan()
            .args(["scan", "198.19.0.0/21"])
            .args(PORTS_ONLY)
            .arg("554,80"),
        Duration::from_secs(180),
    );
    let r = report(&out);
    let plan = r.plan.as_ref().unwrap();
    let warning = plan
        .warnings
        .iter()
        .find(|w| w.code == "neighbour-table")
        .unwrap_or_else(|| panic!("{:?}", plan.warnings));
    assert!(
        warning.message.contains("2046 addresses")
            && warning
                .message
                .contains("sysctl -w net.ipv4.neigh.default.gc_thresh1="),
        "{}",
        warning.message
    );
    assert!(
        stderr(&out).contains("camscan: warning: neighbour-table:"),
        "{}",
        stderr(&out)
    );
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.neighbour_overflows > 0, "the overflow is seen: {cov:?}");
    // No port closed or filtered because of it, nothing lost, every host and port found.
    assert_eq!(cov.probes.timeouts, 0, "{cov:?}");
    assert_eq!(cov.probes.lost, 0, "{cov:?}");
    every_host_and_port(&r, &hosts);
    assert!(r.complete, "{cov:?}");
}

/// Ask each camera only what it needs (issue 83), on the lab's own servers (GStreamer's RTSP
/// server, nginx): a camera whose MAC's block names Hikvision, whose documented paths serve, is
/// asked that maker's paths only. On its RTSP port: the detection, the random path, Hikvision's
/// main, sub and third streams, channel 2's main stream alone (missing: a camera, so neither its
/// sub stream nor the impossible channel 97 is asked), the two PLAY checks and the talk-back
/// DESCRIBE; not `/media/video1..3`, which an OEM's entry lists beside Hikvision's
/// `/Streaming/Channels/101`. On its web port: the root, and Hikvision's device API and snapshot;
/// no other maker's paths, no WHEP guesses, no media folders. 17 requests where 53 were asked. The
/// other hosts, which nothing names, are still asked the whole web dictionary. And nginx answers
/// every path with its page, naming a `*.jpg` path `image/jpeg` by its built-in types: no
/// snapshot is reported anywhere (before: `/snapshot.jpg` "verified" on every host).
#[test]
fn a_camera_its_mac_names_is_asked_only_its_makers_paths() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = lab("scfocus", "attached", "10", "198.19.0.0/24");
    let hosts = hosts("scfocus");
    let out = run(
        lab.camscan().args([
            "scan",
            "198.19.0.0/24",
            "--no-db",
            "--no-dns",
            "-p",
            "554,80",
            "-f",
            "json",
        ]),
        Duration::from_secs(120),
    );
    let r: serde_json::Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let requests = |ip: &str| {
        r["coverage"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["ip"] == ip)
            .unwrap_or_else(|| panic!("{ip}: no request count: {}", r["coverage"]))
            .clone()
    };
    assert_eq!(r["devices"].as_array().unwrap().len(), hosts.len());
    for (ip, _, camera) in &hosts {
        let d = r["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip.as_str())
            .unwrap_or_else(|| panic!("{ip} not found"));
        let streams: Vec<&str> = d["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["url"].as_str().unwrap())
            .collect();
        let q = requests(ip);
        if *camera {
            assert_eq!(
                streams,
                [
                    format!("rtsp://{ip}:554/Streaming/Channels/101"),
                    format!("rtsp://{ip}:554/Streaming/Channels/102"),
                ],
                "{ip}: {d}"
            );
            assert!(
                d["streams"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["verified"] == true),
                "{d}"
            );
            let rtsp = d["services"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["port"] == 554)
                .unwrap();
            let walk = &rtsp["path_walk"];
            assert_eq!(walk["maker"], "Hikvision", "{walk}");
            assert_eq!(walk["by"], "mac", "{walk}");
            assert_eq!(walk["stopped"], "maker", "{walk}");
            // At most 101 and `/` (the first round), 102 and 103 (its entry) and channel 2's
            // 201 (the walk's account counts what its connections asked: 4 or 5, as the
            // channel walk's request went on one of them or on its own); 200 twice. Before: 8,
            // with Uniview's `/media/video1..3`.
            assert!(walk["asked"].as_u64().unwrap() <= 5, "{walk}");
            assert_eq!(walk["answers"]["200"], 2, "{walk}");
            // RTSP: OPTIONS and DESCRIBE / (detection), the random path, 4 paths, SETUP and
            // PLAY of each stream's check, the talk-back DESCRIBE (and the detection's
            // OPTIONS once more on the walk's connection); HTTP: GET / twice (the detection's
            // head, the page), /ISAPI/System/deviceInfo, /ISAPI/Streaming/channels/101/picture.
            assert!(q["rtsp"].as_u64().unwrap() <= 13, "{ip}: {q}");
            assert!(q["http"].as_u64().unwrap() <= 4, "{ip}: {q}");
            assert!(q["total"].as_u64().unwrap() <= 17, "{ip}: {q}");
        } else {
            assert!(streams.is_empty(), "{ip}: {streams:?}");
            // Nothing names the host: the whole dictionary, probes, WHEP guesses and folders.
            assert!(q["http"].as_u64().unwrap() >= 25, "{ip}: {q}");
        }
    }
}
