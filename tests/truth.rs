//! What a user reads is true (issue 61), on real servers: GStreamer RTSP cameras
//! (`tests/servers/rtsp_server.py`) on 127.0.62.1-9, port 8554, scanned into a real SQLite
//! inventory by the real binary, read back by `devices`, `show`, `diff` and `serve`'s API.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Serve, Server, camscan_with_db, run, stderr, stdout};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(90);

/// A GStreamer RTSP server on `ip`:8554 with one H.264 stream, behind Digest `admin`/`right`
/// when `auth`.
fn camera(ip: &str, auth: bool) -> Server {
    let auth = auth.then(|| json!({"method": "digest", "user": "admin", "password": "right"}));
    common::rtsp_servers(&json!([
        {"address": ip, "port": 8554, "auth": auth, "mounts": [
            {"path": "/Streaming/Channels/101",
             "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
             "audio": null}]}
    ]))
}

fn json_of(db: &Path, args: &[&str]) -> Value {
    let out = run(camscan_with_db(db).args(args).args(["-f", "json"]), LIMIT);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// A stream whose login was refused is `refused`, never `up`: in `devices`' count, in `show`, in
/// the API's stream list and its filter. `up` is a stream that played.
#[test]
fn up_only_when_it_plays() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _open = camera("127.0.62.1", false);
    let _locked = camera("127.0.62.2", true);
    let creds = dir.path().join("creds.txt");
    std::fs::write(&creds, "admin:wrong\n").unwrap();
    let out = run(
        camscan_with_db(&db).args([
            "scan",
            "127.0.62.1-2",
            "-p",
            "8554",
            "-f",
            "json",
            "--credentials",
            creds.to_str().unwrap(),
        ]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let status = |ip: &str| {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .map(|d| d["streams"][0]["status"].clone())
    };
    assert_eq!(status("127.0.62.2"), Some(json!("auth_failed")));

    let devices = json_of(&db, &["devices"]);
    let up = |ip: &str| {
        let d = devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["address"] == ip)
            .unwrap_or_else(|| panic!("{ip}: {devices}"));
        (d["streams_up"].clone(), d["streams_total"].clone())
    };
    assert_eq!(up("127.0.62.1"), (json!(1), json!(1)));
    assert_eq!(up("127.0.62.2"), (json!(0), json!(1)), "refused is not up");
    let shown = json_of(&db, &["show", "127.0.62.2"]);
    assert_eq!(shown["streams"][0]["state"], "refused", "{shown}");
    let shown = json_of(&db, &["show", "127.0.62.1"]);
    assert_eq!(shown["streams"][0]["state"], "up", "{shown}");
    let table = stdout(&run(
        camscan_with_db(&db).args(["show", "127.0.62.2"]),
        LIMIT,
    ));
    assert!(table.contains("refused"), "{table}");

    let port = common::free_port("127.0.62.9");
    let serve = Serve::start(&db, &format!("127.0.62.9:{port}"), &[]);
    let list = common::http::get(&serve.addr, "/api/v1/streams").json();
    let mut states: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|s| {
            (
                s["url"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            (
                "rtsp://127.0.62.1:8554/Streaming/Channels/101".to_string(),
                "up".to_string()
            ),
            (
                "rtsp://127.0.62.2:8554/Streaming/Channels/101".to_string(),
                "refused".to_string()
            ),
        ]
    );
    let refused = common::http::get(&serve.addr, "/api/v1/streams?state=refused").json();
    assert_eq!(
        refused["items"].as_array().map(Vec::len),
        Some(1),
        "{refused}"
    );
}

/// The widest line of `text`, in characters (the tables' rules and borders are one column each).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Every table command fits the width: `$COLUMNS` in a pipe, 100 in a pipe without it, and
/// `--width`, leaving out the least important columns and naming them; `--width 0` is unbounded.
#[test]
fn every_table_fits_the_terminals_width() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _a = camera("127.0.62.3", false);
    let _b = camera("127.0.62.4", true);
    for _ in 0..2 {
        let out = run(
            camscan_with_db(&db).args(["scan", "127.0.62.3-4", "-p", "8554", "-f", "json"]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let dbs = db.to_str().unwrap();
    let commands: [&[&str]; 6] = [
        &["devices"],
        &["history"],
        &["scans"],
        &["show", "127.0.62.4"],
        &["audit", "--from-db"],
        &["doctor", "--db", dbs],
    ];
    let text = |args: &[&str], columns: Option<&str>| {
        let mut cmd = camscan_with_db(&db);
        cmd.args(args);
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = run(&mut cmd, LIMIT);
        assert!(
            out.status.code().is_some_and(|c| c <= 4),
            "{args:?}: {}",
            stderr(&out)
        );
        stdout(&out)
    };
    for args in commands {
        let natural = text(&[args, &["--width", "0"]].concat(), None);
        assert!(!natural.is_empty(), "{args:?}");
        let piped = text(args, None);
        assert!(widest(&piped) <= 100, "{args:?} in a pipe:\n{piped}");
        let narrow = text(args, Some("72"));
        assert!(widest(&narrow) <= 72, "{args:?} at COLUMNS=72:\n{narrow}");
        let given = text(&[args, &["--width", "64"]].concat(), Some("200"));
        assert!(widest(&given) <= 64, "{args:?} --width 64:\n{given}");
    }
    // A column left out is named.
    let narrow = text(&["devices", "--width", "60"], None);
    assert!(narrow.contains("Not shown at 60 columns:"), "{narrow}");
    assert!(widest(&text(&["devices", "--width", "0"], None)) > 100);
}

/// `diff` compares a scan with the last one of the same targets: a scan of part of the site in
/// between shows nothing as removed or added; scans of other targets compared by id say so.
#[test]
fn diff_compares_scans_of_the_same_targets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _a = camera("127.0.62.5", false);
    let _b = camera("127.0.62.6", false);
    for targets in ["127.0.62.5-6", "127.0.62.5", "127.0.62.5-6"] {
        let out = run(
            camscan_with_db(&db).args(["scan", targets, "-p", "8554", "-f", "json"]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let out = run(camscan_with_db(&db).arg("diff"), LIMIT);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.starts_with("-scan 1 "), "{text}");
    assert!(text.contains("no change"), "{text}");
    let out = run(camscan_with_db(&db).args(["diff", "2", "3"]), LIMIT);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("of different targets"), "{text}");
}

/// The audit asks ports the usual scans do not (FTP, SSH, Telnet): what it finds there is judged,
/// never recorded as a change of the inventory (a `port_opened 23` would alert `diff` and
/// `watch`).
#[test]
fn an_audits_own_ports_are_no_change_in_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _cam = camera("127.0.62.7", false);
    // BusyBox's telnetd on the camera's address, port 23; a login that never succeeds.
    let _telnet = common::start_silent(
        "busybox",
        &["telnetd", "-F", "-b", "127.0.62.7:23", "-l", "/bin/false"],
        ("127.0.62.7", 23),
    );
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.62.7", "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        camscan_with_db(&db).args(["audit", "127.0.62.7", "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    let audit: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!("{e}: {}", stderr(&out));
    });
    let judged = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "cleartext-admin-service" && f["port"] == 23);
    assert!(judged, "the audit judged port 23: {audit}");
    let history = json_of(&db, &["history"]);
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(!kinds.contains(&"port_opened"), "{history}");
    let shown = json_of(&db, &["show", "127.0.62.7"]);
    assert_eq!(shown["open_ports"], json!([8554]), "{shown}");

    // Judged from the inventory, the audit names what it could not check, and why.
    let out = run(
        camscan_with_db(&db).args(["audit", "--from-db", "-f", "json"]),
        LIMIT,
    );
    let from_db: common::schema::Audit =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(from_db.source, "inventory");
    let unchecked: Vec<&str> = from_db
        .not_checked
        .iter()
        .flat_map(|n| n.checks.iter().map(String::as_str))
        .collect();
    for id in [
        "credential-reuse",
        "cleartext-admin-service",
        "snmp-default-community",
    ] {
        assert!(unchecked.contains(&id), "{id}: {unchecked:?}");
    }
    assert!(from_db.not_checked.iter().all(|n| !n.why.is_empty()));
    let table = stdout(&run(
        camscan_with_db(&db).args(["audit", "--from-db"]),
        LIMIT,
    ));
    assert!(table.contains("Not checked"), "{table}");
}

/// `serve` says where its page is, and every address it prints answers.
#[test]
fn serve_announces_addresses_that_answer() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let out = run(
        camscan_with_db(&db).args(["scan", "127.0.62.11", "-p", "8554", "-f", "json"]),
        LIMIT,
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let addr = format!("127.0.62.12:{}", common::free_port("127.0.62.12"));
    let mut child = common::Proc(
        camscan_with_db(&db)
            .args(["serve", "--listen", &addr])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    std::io::BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let urls: Vec<&str> = first
        .split_whitespace()
        .map(|w| w.trim_end_matches([',', ';', ')']))
        .filter(|w| w.starts_with("http://"))
        .collect();
    assert!(
        urls.contains(&format!("http://{addr}/").as_str()),
        "{first}"
    );
    for url in urls {
        let path = url.strip_prefix(&format!("http://{addr}")).unwrap();
        let path = if path.is_empty() { "/" } else { path };
        let answer = common::http::get(&addr, path);
        assert!(
            (200..400).contains(&answer.status),
            "{url} answered {}: {first}",
            answer.status
        );
    }
}

/// `-v` is detail in the results, never logs; logs are `--log`'s; `-q` and `-v` go together.
#[test]
fn verbose_is_detail_and_logs_are_asked_with_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let _cam = camera("127.0.62.14", false);
    let scan = |extra: &[&str]| {
        let out = run(
            camscan_with_db(&db)
                .args(["scan", "127.0.62.14", "-p", "8554"])
                .args(extra),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        (stdout(&out), stderr(&out))
    };
    let (table, err) = scan(&["-v"]);
    assert!(!err.contains(" INFO "), "-v logs nothing more: {err}");
    assert!(
        table.contains("Measured") || table.contains("Service"),
        "-v: the detailed table: {table}"
    );
    let (_, err) = scan(&["--log", "info", "-f", "json"]);
    assert!(err.contains(" INFO "), "--log info: {err}");
    let (table, err) = scan(&["-v", "-q"]);
    assert!(err.is_empty(), "-q: {err}");
    // `-q` with a log filter (the benches' CAMSCAN_LOG): the filter's logs, nothing else.
    let (_, err) = scan(&["-q", "--log", "info", "-f", "json"]);
    assert!(err.contains(" INFO "), "-q --log info: {err}");
    assert!(table.contains("127.0.62.14"), "{table}");
}

/// A camera that answers DESCRIBE, SETUP and PLAY and never sends media
/// (`tests/servers/hostile.py` `noplay`) is `unverified`, never `ok`, in every output of the
/// scan (issue 72: the table said `ok`, -v "ok record, detect", the JSON `status: ok, verified:
/// false`), with the PLAY check's failure as the reason; `show` and the API say the same. A
/// version 1 report of it (`ok`, not verified) read back by `convert` says `unverified`.
#[test]
fn a_stream_that_never_sends_media_is_unverified_everywhere() {
    let script = common::root_dir().join("tests/servers/hostile.py");
    let _noplay = common::start(
        "/usr/bin/python3",
        &[script.to_str().unwrap(), "noplay@127.0.62.15:8554"],
        Duration::from_secs(30),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let url = "rtsp://127.0.62.15:8554/Streaming/Channels/101";
    let scan = |format: &str, extra: &[&str]| {
        let out = run(
            camscan_with_db(&db)
                .args([
                    "scan",
                    "127.0.62.15",
                    "-p",
                    "8554",
                    "--width",
                    "200",
                    "-f",
                    format,
                ])
                .args(["--timeout", "1s"])
                .args(extra),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let report: Value = serde_json::from_str(&scan("json", &[])).unwrap();
    assert_eq!(report["schema_version"], 2);
    let stream = &report["devices"][0]["streams"][0];
    assert_eq!(stream["url"], url, "{report}");
    assert_eq!(
        (&stream["status"], &stream["verified"]),
        (&json!("unverified"), &json!(false)),
        "{report}"
    );
    let errors = report["devices"][0]["errors"].to_string();
    assert!(errors.contains("no media packet"), "{errors}");

    let table = scan("table", &[]);
    let row = table.lines().find(|l| l.contains(url)).unwrap();
    assert!(
        row.contains("unverified [1]") && !row.contains(" ok "),
        "{table}"
    );
    assert!(table.contains("[1] unverified: RTSP PLAY"), "{table}");
    assert!(table.contains("no media packet"), "{table}");
    let detail = scan("table", &["-v"]);
    assert!(!detail.contains(" ok "), "{detail}");
    assert!(detail.contains("unverified [1]"), "{detail}");
    let csv = scan("csv", &[]);
    assert!(
        csv.contains(&format!("{url},rtsp,8554,unverified,")),
        "{csv}"
    );
    let xml = scan("xml", &[]);
    assert!(xml.contains("<status>unverified</status>"), "{xml}");
    let yaml = scan("yaml", &[]);
    assert!(yaml.contains("status: unverified"), "{yaml}");
    let ndjson = scan("ndjson", &[]);
    assert!(ndjson.contains("\"status\":\"unverified\""), "{ndjson}");
    let m3u = scan("m3u", &[]);
    assert!(m3u.contains("(unverified)"), "{m3u}");
    // --no-verify: not checked, and the note says so.
    let unchecked = scan("table", &["--no-verify"]);
    assert!(unchecked.contains("no PLAY check ran"), "{unchecked}");

    let shown = json_of(&db, &["show", "127.0.62.15"]);
    assert_eq!(shown["streams"][0]["state"], "unverified", "{shown}");
    assert_eq!(shown["streams"][0]["status"], "unverified", "{shown}");

    // The same report as schema version 1 wrote it, read back.
    let mut v1 = report.clone();
    v1["schema_version"] = json!(1);
    v1["devices"][0]["streams"][0]["status"] = json!("ok");
    let path = dir.path().join("v1.json");
    std::fs::write(&path, v1.to_string()).unwrap();
    let out = run(
        camscan_with_db(&db).args(["convert", path.to_str().unwrap(), "-f", "json"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(back["devices"][0]["streams"][0]["status"], "unverified");
    assert_eq!(back["schema_version"], 2);
}
