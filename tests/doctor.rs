//! `camscan doctor` end to end, the real binary: over an inventory filled by a real scan of a
//! GStreamer RTSP camera (`tests/servers/rtsp_server.py`) on 127.0.0.231:8554, the same file
//! damaged, a config file with unknown keys, the serve token at 0644 and 0600, and webhook sinks
//! on loopback that listen (127.0.0.232) and do not (127.0.0.233). Every check's JSON shape is
//! checked, and the exit code against the failures. Doctor's own checks only read this machine;
//! the only packets are the connects to these loopback sinks.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::{Server, camscan, camscan_with_db, free_port, run, stderr, stdout};
use serde_json::{Value, json};

const CAMERA: &str = "127.0.0.231";
const LISTENING: &str = "127.0.0.232";
const REFUSING: &str = "127.0.0.233";
const LIMIT: Duration = Duration::from_secs(90);

/// A store one real scan filled, made once per test binary; tests copy it.
fn scanned_store() -> &'static Path {
    static STORE: OnceLock<(Server, tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, _, path) = STORE.get_or_init(|| {
        let server = common::rtsp_servers(&json!([
            {"address": CAMERA, "port": 8554, "auth": null, "mounts": [
                {"path": "/Streaming/Channels/101",
                 "video": {"codec": "h264", "width": 640, "height": 360, "fps": 15, "profile": "main"},
                 "audio": null}]}
        ]));
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inventory.db");
        let out = run(
            camscan_with_db(&db).args(["scan", CAMERA, "-p", "8554", "-f", "json"]),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(0), "scan: {}", stderr(&out));
        (server, dir, db)
    });
    path
}

/// A copy of the scanned store in a directory of its own (where its serve.token goes).
fn copy_of_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    std::fs::copy(scanned_store(), &db).unwrap();
    (dir, db)
}

/// `camscan doctor -f json ARGS` with `--db db`: the exit code and the parsed report, its shape
/// checked.
fn doctor(db: &Path, args: &[&str]) -> (i32, Value) {
    let out = run(
        camscan()
            .args(["doctor", "-f", "json", "--db"])
            .arg(db)
            .args(args),
        Duration::from_secs(30),
    );
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    check_shape(&report);
    let code = out.status.code().unwrap();
    let failed = report["summary"]["fail"].as_u64().unwrap();
    assert_eq!(code, if failed > 0 { 1 } else { 0 }, "{report:#}");
    (code, report)
}

/// The stable schema: `checks[]` of exactly {name, status, detail, fix} and a summary that
/// counts them.
fn check_shape(report: &Value) {
    let obj = report.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["checks", "summary"],
        "{report:#}"
    );
    let checks = report["checks"].as_array().unwrap();
    let mut counts = [0u64; 3];
    for c in checks {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        // The same four keys in the order camscan writes them (the tests' serde_json keeps the
        // document's order), nothing else.
        assert_eq!(keys, ["name", "status", "detail", "fix"], "{c}");
        assert!(c["name"].is_string() && c["detail"].is_string(), "{c}");
        let i = ["pass", "warn", "fail"]
            .iter()
            .position(|s| c["status"] == *s)
            .unwrap_or_else(|| panic!("status: {c}"));
        counts[i] += 1;
        // A warn or fail says what to do; a pass has nothing to fix.
        assert_eq!(c["fix"].is_string(), i > 0, "{c}");
    }
    for name in [
        "privileges",
        "container",
        "interfaces",
        "multicast_route",
        "open_files",
        "ffprobe",
        "config",
        "store",
        "serve_token",
    ] {
        assert!(checks.iter().any(|c| c["name"] == name), "{name} missing");
    }
    let s = &report["summary"];
    assert_eq!(
        [s["pass"].as_u64(), s["warn"].as_u64(), s["fail"].as_u64()],
        counts.map(Some)
    );
    assert_eq!(s["ok"], counts[2] == 0);
}

fn named<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == name)
        .collect()
}

fn one<'a>(report: &'a Value, name: &str) -> &'a Value {
    let found = named(report, name);
    assert_eq!(found.len(), 1, "{name}: {report:#}");
    found[0]
}

#[test]
fn a_scanned_store_is_sound_and_untouched() {
    let (_dir, db) = copy_of_store();
    let before = std::fs::read(&db).unwrap();
    let (_, r) = doctor(&db, &[]);
    let store = one(&r, "store");
    assert_eq!(store["status"], "pass", "{store}");
    let detail = store["detail"].as_str().unwrap();
    assert!(
        detail.contains("integrity ok") && detail.contains(db.to_str().unwrap()),
        "{detail}"
    );
    assert!(detail.contains("schema "), "{detail}");
    assert_eq!(one(&r, "outbox")["status"], "pass");
    // No token yet: a pass that says who makes it.
    let token = one(&r, "serve_token");
    assert_eq!(token["status"], "pass");
    assert!(
        token["detail"]
            .as_str()
            .unwrap()
            .contains("created by camscan serve --print-token"),
        "{token}"
    );
    // Read-only: the inventory is byte for byte what it was.
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_damaged_store_fails_with_the_integrity_check() {
    let (_dir, db) = copy_of_store();
    // Keep page 1 (header and schema), overwrite every page after it.
    let mut bytes = std::fs::read(&db).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(bytes.len() > 2 * page, "a store of one page");
    for b in &mut bytes[page..] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let (code, r) = doctor(&db, &[]);
    assert_eq!(code, 1, "{r:#}");
    let store = one(&r, "store");
    assert_eq!(store["status"], "fail", "{store}");
    let detail = store["detail"].as_str().unwrap();
    assert!(detail.contains("integrity_check"), "{detail}");
    assert!(
        store["fix"].as_str().unwrap().contains("move it away"),
        "{store}"
    );
    // A missing store is only a warning.
    let (_, r) = doctor(&db.with_file_name("none.db"), &[]);
    assert_eq!(one(&r, "store")["status"], "warn");
    assert!(!db.with_file_name("none.db").exists());
}

#[test]
fn unknown_config_keys_are_named() {
    let (dir, db) = copy_of_store();
    let config = dir.path().join("camscan.yaml");
    std::fs::write(
        &config,
        "prots: 554,8554\nno_dns: true\nwatch:\n  every: 15m\n  notfiy: [stdout]\n",
    )
    .unwrap();
    let (code, r) = doctor(&db, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    let c = one(&r, "config");
    assert_eq!(c["status"], "fail");
    let detail = c["detail"].as_str().unwrap();
    for key in [
        "`prots` (did you mean `ports`?)",
        "`no_dns`",
        "`watch.notfiy` (did you mean `watch.notify`?)",
    ] {
        assert!(detail.contains(key), "{key}: {detail}");
    }
    assert!(!detail.contains("`watch.every`"), "{detail}");
    // The same file corrected passes.
    std::fs::write(
        &config,
        "ports: 554,8554\ndns: false\nwatch:\n  every: 15m\n",
    )
    .unwrap();
    let (_, r) = doctor(&db, &["--config", config.to_str().unwrap()]);
    assert_eq!(one(&r, "config")["status"], "pass", "{r:#}");
}

#[test]
fn the_serve_token_must_be_owner_only() {
    let (dir, db) = copy_of_store();
    let token = dir.path().join("serve.token");
    std::fs::write(&token, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, r) = doctor(&db, &[]);
    assert_eq!(code, 1);
    let t = one(&r, "serve_token");
    assert_eq!(t["status"], "fail", "{t}");
    assert_eq!(t["fix"], format!("chmod 600 {}", token.display()));
    assert!(t["detail"].as_str().unwrap().contains("0644"), "{t}");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_, r) = doctor(&db, &[]);
    let t = one(&r, "serve_token");
    assert_eq!(t["status"], "pass", "{t}");
    assert!(t["detail"].as_str().unwrap().contains("0600"), "{t}");
}

#[test]
fn webhook_sinks_are_reached_on_their_own_hosts() {
    let (dir, db) = copy_of_store();
    let listener = std::net::TcpListener::bind((LISTENING, 0)).unwrap();
    let up = format!(
        "webhook=http://{LISTENING}:{}/hook?token=secret",
        listener.local_addr().unwrap().port()
    );
    let down = format!("webhook=http://{REFUSING}:{}/hook", free_port(REFUSING));
    // One from the config file's watch section, one from --notify.
    let config = dir.path().join("camscan.yaml");
    std::fs::write(&config, format!("watch:\n  notify: [\"{up}\"]\n")).unwrap();
    let (code, r) = doctor(
        &db,
        &["--config", config.to_str().unwrap(), "--notify", &down],
    );
    assert_eq!(code, 1, "{r:#}");
    let sinks = named(&r, "sink");
    assert_eq!(sinks.len(), 2, "{r:#}");
    assert_eq!(sinks[0]["status"], "pass", "{}", sinks[0]);
    assert!(
        sinks[0]["detail"]
            .as_str()
            .unwrap()
            .contains("accepted a TCP connection"),
        "{}",
        sinks[0]
    );
    // The URL's path and query (where services put tokens) are not shown.
    assert!(!r.to_string().contains("secret"), "{r:#}");
    assert_eq!(sinks[1]["status"], "fail", "{}", sinks[1]);
    assert!(
        sinks[1]["detail"].as_str().unwrap().contains(REFUSING),
        "{}",
        sinks[1]
    );
    // The outbox line names both sinks (new to this store).
    let outbox = one(&r, "outbox")["detail"].as_str().unwrap();
    assert!(
        outbox.contains(LISTENING) && outbox.contains(REFUSING),
        "{outbox}"
    );
    // Only the listening one: nothing fails for it.
    let (_, r) = doctor(&db, &["--notify", &up, "--notify", "stdout"]);
    assert!(
        named(&r, "sink").iter().all(|s| s["status"] == "pass"),
        "{r:#}"
    );
}

#[test]
fn the_table_names_each_check_and_its_fix() {
    let (dir, db) = copy_of_store();
    let token = dir.path().join("serve.token");
    std::fs::write(&token, "x\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o640)).unwrap();
    // Unbounded (`--width 0`): the fix's command on one line, to be read whole.
    let out = run(
        camscan()
            .arg("doctor")
            .arg("--db")
            .arg(&db)
            .args(["--width", "0"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "colour on a pipe: {text}");
    for word in ["Check", "privileges", "store", "serve_token", "fail"] {
        assert!(text.contains(word), "{word}: {text}");
    }
    assert!(
        text.contains(&format!("chmod 600 {}", token.display())),
        "{text}"
    );
    assert!(text.contains("failed"), "{text}");
}
