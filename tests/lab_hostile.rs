//! Hostile peers that need multicast, so a namespace lab (`tests/lab/lab.sh`, prefix `csh`): SSDP
//! devices whose LOCATION is a tarpit (it accepts the description request and never answers) or names
//! another host. camscan runs inside the lab's scanner namespace only. Needs root: `scripts/test`.
//! The loopback hostile peers are in `tests/hostile.rs`.

// The measured wall time goes to stderr: `--nocapture` shows it.
#![allow(clippy::print_stderr)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::schema::Report;
use common::{run, stderr, stdout};

/// The lab of prefix `csh`, torn down when dropped (panics included).
struct Lab {
    servers: Vec<common::Server>,
}

const PREFIX: &str = "csh";

impl Lab {
    fn up() -> Lab {
        assert!(
            common::is_root(),
            "lab_hostile needs root (ip netns): run scripts/test"
        );
        let ok = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/lab.sh"))
            .args(["up", PREFIX])
            .status()
            .unwrap()
            .success();
        assert!(ok, "lab.sh up failed");
        Lab {
            servers: Vec::new(),
        }
    }

    /// tests/servers/hostile.py with `specs` inside host namespace `ns`.
    fn hostile(&mut self, ns: &str, specs: &[&str]) {
        let ns = format!("{PREFIX}-{ns}");
        let script = common::root_dir().join("tests/servers/hostile.py");
        let mut args = vec!["netns", "exec", &ns, "/usr/bin/python3"];
        args.push(script.to_str().unwrap());
        args.extend_from_slice(specs);
        self.servers
            .push(common::start("ip", &args, Duration::from_secs(90)));
    }

    /// camscan in the scanner namespace, with no CAMSCAN_* from the test environment.
    fn camscan(&self) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &format!("{PREFIX}-scan")])
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
        let _ = Command::new("bash")
            .arg(common::root_dir().join("tests/lab/lab.sh"))
            .args(["down", PREFIX])
            .status();
    }
}

/// Two devices answer M-SEARCH with a LOCATION on themselves whose port is a tarpit, a third with a
/// LOCATION on another host. Each tarpit costs one step (`--connect-timeout` 1 s + `--timeout` 2 s),
/// fetched side by side, and is recorded on its device; the foreign LOCATION is never contacted and
/// says so. Bound: ARP (under 1 s for three hosts) + `--discovery-wait` 1 s + one step 3 s + 5 s slack
/// for a loaded machine (the unit test `discovery::ssdp::tests` pins that the fetches overlap).
#[test]
fn ssdp_location_at_a_tarpit_costs_one_step() {
    let mut lab = Lab::up();
    lab.hostile("h1", &["ssdp@198.18.0.11:49152"]);
    lab.hostile("h2", &["ssdp@198.18.0.12:49152"]);
    lab.hostile("h3", &["ssdpaway@198.18.0.13:49153"]);
    let started = Instant::now();
    let out = run(
        lab.camscan().args([
            "scan",
            "198.18.0.11-13",
            "--discovery",
            "arp,ssdp",
            "--discovery-wait",
            "1s",
            "--connect-timeout",
            "1s",
            "--timeout",
            "2s",
            "-f",
            "json",
        ]),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    eprintln!("ssdp lab: {took:.2?}");
    let err = stderr(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    assert!(took <= Duration::from_secs(10), "took {took:?}; {err}");
    let report: Report = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(report.complete);
    for ip in ["198.18.0.11", "198.18.0.12"] {
        let d = report.device(ip);
        assert!(d.discovered_by.contains(&"ssdp".to_string()), "{d:?}");
        assert!(
            d.errors.iter().any(|e| e.message
                == format!(
                    "HTTP GET /description.xml to {ip}:49152 got no complete answer within 2s"
                )),
            "{ip}: {:#?}",
            d.errors
        );
    }
    let away = report.device("198.18.0.13");
    assert!(
        away.errors.iter().any(|e| e.message
            == "SSDP LOCATION http://198.18.0.99:49153/description.xml is not http:// on the replying device; not fetched"),
        "{:#?}",
        away.errors
    );
    let answered: usize = lab
        .servers
        .iter()
        .map(|s| {
            s.lines
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.starts_with("SSDP "))
                .count()
        })
        .sum();
    assert!(answered >= 3, "each device answered an M-SEARCH");
}
