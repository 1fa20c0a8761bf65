//! Settings are resolved once: every command reads its config file once per process and resolves
//! all it needs (the scan's settings, the inventory's place, the credential key's file, serve's
//! watcher) from that read. Each read is a debug line on the `camscan::config` target; these
//! tests count the lines a whole command run writes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{camscan, free_port, run, stderr};

const LIMIT: Duration = Duration::from_secs(60);
const READ: &str = "reading the config file";

/// The config file's reads in a run's log.
fn reads(log: &str) -> usize {
    log.lines().filter(|l| l.contains(READ)).count()
}

/// A config file in `dir` naming the inventory `db`, a credential key and a `watch:` section, so
/// that every setting a command could look for is in the file.
fn config(dir: &Path, db: &Path) -> std::path::PathBuf {
    let path = dir.join("camscan.yaml");
    std::fs::write(
        &path,
        format!(
            "db: {}\ncredential_key: {}\ntimeout: 2s\nsite: lab\nwatch:\n  check_streams: 1h\n",
            db.display(),
            dir.join("credential.key").display()
        ),
    )
    .unwrap();
    path
}

/// camscan with debug logs of its config reads, its inventory from the config file only.
fn logged() -> Command {
    let mut c = camscan();
    c.env("CAMSCAN_LOG", "camscan::config=debug");
    c.env_remove("CAMSCAN_NO_DB");
    c
}

#[test]
fn one_command_reads_its_config_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let file = config(dir.path(), &db);
    let file = file.to_str().unwrap();
    let port = free_port("127.0.0.1").to_string();
    // A scan that records (the inventory, its key and the site all from the file).
    let scan = ["scan", "--config", file, "127.0.0.1", "-p", &port];
    let inventory = ["devices", "--config", file];
    let token = ["serve", "--config", file, "--print-token"];
    let audit = ["audit", "--config", file, "--from-db"];
    let doctor = ["doctor", "--config", file];
    for args in [&scan[..], &inventory, &token, &audit, &doctor] {
        let out = run(logged().args(args), LIMIT);
        let log = stderr(&out);
        assert_eq!(reads(&log), 1, "camscan {}: {log}", args.join(" "));
    }
    assert!(db.exists(), "the scan recorded where the file said");
}

#[test]
fn serve_reads_its_config_file_once_for_the_inventory_scans_and_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let file = config(dir.path(), &db);
    let port = free_port("127.0.0.1").to_string();
    // An inventory to serve.
    let out = run(
        logged().args([
            "scan",
            "--config",
            file.to_str().unwrap(),
            "127.0.0.1",
            "-p",
            &port,
        ]),
        LIMIT,
    );
    assert!(db.exists(), "{}", stderr(&out));
    let log_path = dir.path().join("serve.log");
    // A port released by `free_port` may be taken by another test binary before serve binds it:
    // a connection alone does not show that serve listens, its read of the file in the log does
    // (that line comes before the bind); a serve that found its port taken is started again on
    // another (three tries).
    let mut child = None;
    for _ in 0..3 {
        let addr = format!("127.0.0.1:{}", free_port("127.0.0.1"));
        let mut c = logged()
            .args([
                "serve",
                "--config",
                file.to_str().unwrap(),
                "--listen",
                &addr,
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        let listening = loop {
            if c.try_wait().unwrap().is_some() {
                break false;
            }
            if reads(&common::read(&log_path)) > 0 && std::net::TcpStream::connect(&addr).is_ok() {
                break true;
            }
            if Instant::now() > until {
                let _ = c.kill();
                panic!("serve did not listen: {}", common::read(&log_path));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if listening {
            child = Some(c);
            break;
        }
        let log = common::read(&log_path);
        assert!(log.contains("in use"), "serve ended at its start: {log}");
    }
    let mut child = child.expect("serve found a free port in three tries");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = common::read(&log_path);
    // 143: serve ran until SIGTERM stopped it (not a start that failed beside another listener).
    assert_eq!(status.code(), Some(143), "{log}");
    // The start read it once: the inventory, its key, the token's place, API scans' settings and
    // the watcher's (`watch: check_streams`) all came from that read.
    assert_eq!(reads(&log), 1, "{log}");
}

/// A site that sends to a hub keeps its own inventory in SQLite, whichever command runs its
/// agent: `serve --hub` refuses a PostgreSQL `--db` at its start, as `scan --hub` does, before it
/// connects to anything.
#[test]
fn serve_and_scan_refuse_a_hub_agent_on_postgresql() {
    let db = "postgres://site@127.0.0.1:9/camscan";
    let hub = "postgres://site@127.0.0.1:9/hub";
    let port = free_port("127.0.0.1").to_string();
    for args in [
        &["serve", "--db", db, "--hub", hub, "--listen", "127.0.0.1:0"][..],
        &["scan", "--db", db, "--hub", hub, "127.0.0.1", "-p", &port],
    ] {
        let out = run(logged().args(args), LIMIT);
        let log = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "camscan {}: {log}",
            args.join(" ")
        );
        assert!(log.contains("keeps its own inventory in a file"), "{log}");
    }
}
