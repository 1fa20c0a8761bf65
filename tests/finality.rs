//! When a device is final (NDJSON's contract: one line per device, written when nothing can change
//! it any more): on the namespace lab of `tests/lab/lab.sh`, with a late SSDP answer on purpose.
//!
//! - h1 (198.18.0.11) answers SSDP only, 1.1 s after each M-SEARCH: the captured answer of GSSDP
//!   (`tests/lab/responders/fixtures/ssdp_msearch_reply_rootdevice.txt`, unchanged) replayed late,
//!   and its captured UPnP description served at the LOCATION it names. Its line must carry what the
//!   late answer said: the line was not written before it.
//! - h2 (198.18.0.12) is CPython's http.server on port 80: analysed within milliseconds.
//! - h4 (198.18.0.14) answers ARP and drops every IP packet: its probe of port 80 waits out a
//!   4 s connect timeout.
//!
//! h2's line must come before h4's: a device does not wait for the probes of other hosts.
//! Needs root: `scripts/test`. The lines' arrival times go to stderr (`--nocapture`).

#![allow(clippy::print_stderr)]

mod common;

use std::io::BufRead;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::netns::NsLab;

const UDN: &str = "uuid:Upnp-BasicDevice-1_0-00408CA45086";

#[test]
fn ndjson_lines_wait_for_late_answers_but_not_for_other_hosts_probes() {
    let mut lab = NsLab::up("finality", "lab.sh", "csfin", &["0"]);
    let root = common::root_dir();
    let fixtures = root.join("tests/lab/responders/fixtures");
    // The captured answer's LOCATION: http://198.18.0.11:48254/Upnp-BasicDevice-1_0-00408CA45086.xml
    let site = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures.join("upnp_description_axis.xml"),
        site.path().join("Upnp-BasicDevice-1_0-00408CA45086.xml"),
    )
    .unwrap();
    let describe = format!(
        "import functools, http.server, sys, threading\n\
         h = functools.partial(http.server.SimpleHTTPRequestHandler, directory={:?})\n\
         s = http.server.ThreadingHTTPServer(('198.18.0.11', 48254), h)\n\
         threading.Thread(target=s.serve_forever, daemon=True).start()\n\
         print('READY', flush=True)\n\
         sys.stdin.read()\n",
        site.path().to_str().unwrap()
    );
    lab.serve_with("/usr/bin/python3", "h1", &["-c", &describe]);
    let replay = root.join("tests/lab/responders/replay.py");
    let answer = fixtures.join("ssdp_msearch_reply_rootdevice.txt");
    lab.serve_with(
        "/usr/bin/python3",
        "h1",
        &[
            replay.to_str().unwrap(),
            "198.18.0.11",
            "1900",
            answer.to_str().unwrap(),
            // "M-SEARCH"
            "--expect",
            "4d2d534541524348",
            "--group",
            "239.255.255.250",
            "--delay-ms",
            "1100",
        ],
    );
    let web = root.join("tests/servers/http_server.py");
    lab.serve_with(
        "/usr/bin/python3",
        "h2",
        &[web.to_str().unwrap(), "198.18.0.12", "80"],
    );

    let started = Instant::now();
    let mut child = lab
        .camscan()
        .args([
            "scan",
            "198.18.0.0/24",
            "-p",
            "80",
            "--discovery",
            "arp,ssdp,ports",
            "--connect-timeout",
            "4s",
            "-f",
            "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .map(|l| (started.elapsed(), l))
            .collect::<Vec<_>>()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the scan did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let ended = started.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let lines = reader.join().unwrap();
    assert!(
        status.code() == Some(0) || status.code() == Some(1),
        "{status:?}: {err}"
    );

    let devices: Vec<(Duration, serde_json::Value)> = lines
        .iter()
        .map(|(t, l)| {
            (
                *t,
                serde_json::from_str(l).expect("each line one JSON device"),
            )
        })
        .collect();
    let ips: Vec<&str> = devices
        .iter()
        .map(|(_, d)| d["ip"].as_str().unwrap())
        .collect();
    let mut unique = ips.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ips.len(), "one line per device: {ips:?}");
    let line = |ip: &str| {
        devices
            .iter()
            .find(|(_, d)| d["ip"] == ip)
            .unwrap_or_else(|| panic!("no line for {ip}: {ips:?}\n{err}"))
    };

    // The late answer is in h1's line: it was written after the answer came, not before.
    let (_, late) = line("198.18.0.11");
    assert!(
        late["discovered_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "ssdp"),
        "{late}"
    );
    assert_eq!(late["upnp"]["udn"], UDN, "{late}");
    assert_eq!(
        late["model"], "AXIS P3301",
        "the description was read: {late}"
    );

    // h2 does not wait for h4's probe, which waits out its connect timeout.
    let (web_at, web) = line("198.18.0.12");
    assert_eq!(web["open_ports"], serde_json::json!([80]), "{web}");
    let (dark_at, _) = line("198.18.0.14");
    assert!(
        *dark_at >= Duration::from_secs(4),
        "h4's probe waits out 4 s: {dark_at:?}"
    );
    assert!(
        *web_at + Duration::from_millis(1500) < *dark_at,
        "h2's line ({web_at:?}) comes well before h4's ({dark_at:?}), whose probe still ran"
    );
    assert_eq!(
        devices.last().map(|(_, d)| d["ip"].as_str().unwrap()),
        Some("198.18.0.14"),
        "{ips:?}"
    );
    eprintln!(
        "lines at: {:?}; scan ended at {ended:?}",
        devices
            .iter()
            .map(|(t, d)| (d["ip"].as_str().unwrap().to_string(), *t))
            .collect::<Vec<_>>()
    );
}
