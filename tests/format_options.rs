//! A format's own options (`--frigate-restream`, `--csv-delimiter`, `--backchannel`) reach
//! every command that writes the format, from the flag and from the config file's key: the
//! API's export (`camscan serve`, `GET /api/v1/export/{format}`) and `camscan watch --write`
//! (`scan` and `convert`: tests/cli.rs and tests/exports.rs). An inventory without devices is
//! enough: Frigate's export with the restream has its `go2rtc:` section, and the CSV its header
//! row in the delimiter chosen, whatever the cameras. Addresses 127.0.15.1-3, nothing sent
//! beyond a connect to a closed port on loopback.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::http::get;
use common::{Serve, camscan_with_db, free_port, run, stderr};

const SERVE_IP: &str = "127.0.15.1";
const LIMIT: Duration = Duration::from_secs(90);

/// A recorded scan of a closed port on `ip`: an inventory, with no device.
fn inventory(dir: &Path, ip: &str) -> PathBuf {
    let db = dir.join("inventory.db");
    let out = run(
        camscan_with_db(&db).args(["scan", ip, "-p", "9", "--discovery", "ports"]),
        LIMIT,
    );
    assert!(db.exists(), "{}", stderr(&out));
    db
}

fn export(addr: &str, format: &str) -> String {
    let a = get(addr, &format!("/api/v1/export/{format}"));
    assert_eq!(a.status, 200, "{format}");
    String::from_utf8(a.body).unwrap()
}

/// serve's flags, else its config file's keys, else the defaults.
#[test]
fn the_apis_export_takes_serves_format_options() {
    let dir = tempfile::tempdir().unwrap();
    let db = inventory(dir.path(), "127.0.15.2");
    let addr = |port: u16| format!("{SERVE_IP}:{port}");

    let port = free_port(SERVE_IP);
    let serve = Serve::start(&db, &addr(port), &[]);
    let frigate = export(&addr(port), "frigate");
    assert!(
        frigate.contains("cameras:") && !frigate.contains("go2rtc:"),
        "{frigate}"
    );
    assert!(export(&addr(port), "csv").starts_with("ip,mac,"));
    assert_eq!(serve.stop("TERM"), Some(143));

    let port = free_port(SERVE_IP);
    let flags = ["--frigate-restream", "--csv-delimiter", "tab"];
    let serve = Serve::start(&db, &addr(port), &flags);
    let frigate = export(&addr(port), "frigate");
    assert!(frigate.contains("go2rtc:"), "--frigate-restream: {frigate}");
    assert!(export(&addr(port), "csv").starts_with("ip\tmac\t"));
    assert_eq!(serve.stop("TERM"), Some(143));

    let config = dir.path().join("camscan.yaml");
    std::fs::write(&config, "frigate_restream: true\ncsv_delimiter: \";\"\n").unwrap();
    let port = free_port(SERVE_IP);
    let with_config = ["--config", config.to_str().unwrap()];
    let serve = Serve::start(&db, &addr(port), &with_config);
    let frigate = export(&addr(port), "frigate");
    assert!(frigate.contains("go2rtc:"), "frigate_restream: {frigate}");
    assert!(export(&addr(port), "csv").starts_with("ip;mac;"));
    assert_eq!(serve.stop("TERM"), Some(143));

    // The flag over the file; a bad value stops serve before it starts, naming the key.
    let port = free_port(SERVE_IP);
    let serve = Serve::start(
        &db,
        &addr(port),
        &["--config", config.to_str().unwrap(), "--csv-delimiter", "|"],
    );
    assert!(export(&addr(port), "csv").starts_with("ip|mac|"));
    assert_eq!(serve.stop("TERM"), Some(143));
    std::fs::write(&config, "csv_delimiter: \"::\"\n").unwrap();
    let out = run(
        camscan_with_db(&db)
            .args(["serve", "--listen", &addr(free_port(SERVE_IP))])
            .args(with_config),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("for csv_delimiter"),
        "{}",
        stderr(&out)
    );
}

/// One round of `camscan watch` writing Frigate's and the CSV export with `extra` arguments;
/// the two files.
fn watch_writes(dir: &Path, extra: &[&str]) -> (String, String) {
    let db = dir.join("watch.db");
    let (frigate, csv) = (dir.join("frigate.yml"), dir.join("inventory.csv"));
    let _ = std::fs::remove_file(&frigate);
    let _ = std::fs::remove_file(&csv);
    let out = run(
        camscan_with_db(&db)
            .args([
                "watch",
                "--no-listen",
                "127.0.15.3",
                "-p",
                "9",
                "--discovery",
                "ports",
            ])
            .args(["--rounds", "1"])
            .arg("--write")
            .arg(format!("frigate={}", frigate.display()))
            .arg("--write")
            .arg(format!("csv={}", csv.display()))
            .args(extra),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (common::read(&frigate), common::read(&csv))
}

/// watch's flags, else its config file's keys, else the defaults.
#[test]
fn watch_writes_with_watchs_format_options() {
    let dir = tempfile::tempdir().unwrap();
    let (frigate, csv) = watch_writes(dir.path(), &[]);
    assert!(
        frigate.contains("cameras:") && !frigate.contains("go2rtc:"),
        "{frigate}"
    );
    assert!(csv.starts_with("ip,mac,"), "{csv}");

    let (frigate, csv) = watch_writes(dir.path(), &["--frigate-restream", "--csv-delimiter", ";"]);
    assert!(frigate.contains("go2rtc:"), "--frigate-restream: {frigate}");
    assert!(csv.starts_with("ip;mac;"), "{csv}");

    let config = dir.path().join("camscan.yaml");
    std::fs::write(&config, "frigate_restream: true\ncsv_delimiter: tab\n").unwrap();
    let (frigate, csv) = watch_writes(dir.path(), &["--config", config.to_str().unwrap()]);
    assert!(frigate.contains("go2rtc:"), "frigate_restream: {frigate}");
    assert!(csv.starts_with("ip\tmac\t"), "{csv}");
}
