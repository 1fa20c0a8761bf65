//! No secret in any process's command line, and none beside its hash (issue 40).
//!
//! The handover report (`camscan audit -f html`) takes keyframes of cameras behind a login
//! (GStreamer's RTSP server on 127.0.40.1-2: H.264 behind Basic, H.265 behind Digest) while a
//! watcher thread reads every process's `/proc/PID/cmdline` (ffmpeg's and ffprobe's children of
//! camscan included) again and again: none may hold the password, and the report must still show
//! each camera's keyframe (so a broken feed fails the test, not only a leaking one). Needs root
//! and GStreamer's RTSP server (`scripts/test` installs it).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{run, stderr, stdout};
use serde_json::json;

const H264: &str = "127.0.40.1";
const H265: &str = "127.0.40.2";
/// A space and a quote: the password is looked for as typed and percent-encoded in URLs.
const PASSWORD: &str = "argv40 n0t'here";

/// What the watcher saw.
#[derive(Default)]
struct Seen {
    /// Command lines read in all (every process, every pass).
    read: usize,
    /// ffmpeg and ffprobe command lines among them.
    tools: Vec<String>,
    /// Command lines that held the password.
    leaks: Vec<String>,
}

/// Read every `/proc/*/cmdline` until `stop` (at most `limit`), recording what [`Seen`] counts.
fn watch_cmdlines(stop: Arc<AtomicBool>, limit: Duration) -> std::thread::JoinHandle<Seen> {
    std::thread::spawn(move || {
        let secrets = [
            PASSWORD.to_string(),
            PASSWORD.replace(' ', "%20").replace('\'', "%27"),
            "n0t".to_string(),
        ];
        let mut seen = Seen::default();
        let end = Instant::now() + limit;
        while !stop.load(Ordering::SeqCst) && Instant::now() < end {
            let Ok(procs) = std::fs::read_dir("/proc") else {
                break;
            };
            for p in procs.flatten() {
                let Ok(raw) = std::fs::read(p.path().join("cmdline")) else {
                    continue; // gone already, or not a process
                };
                if raw.is_empty() {
                    continue;
                }
                seen.read += 1;
                let line = String::from_utf8_lossy(&raw).replace('\0', " ");
                let program = line.split(' ').next().unwrap_or("");
                if (program.ends_with("ffmpeg") || program.ends_with("ffprobe"))
                    && seen.tools.len() < 1000
                {
                    seen.tools.push(line.clone());
                }
                if secrets.iter().any(|s| line.contains(s.as_str())) {
                    seen.leaks.push(line);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        seen
    })
}

/// The two cameras behind a login, started once for the file's tests.
fn lab() {
    static LAB: std::sync::OnceLock<common::Server> = std::sync::OnceLock::new();
    LAB.get_or_init(|| {
        assert!(
            common::is_root(),
            "the RTSP lab needs root: run scripts/test"
        );
        let video = |codec: &str| {
            json!({"codec": codec, "width": 640, "height": 360, "fps": 10, "profile": "main"})
        };
        common::rtsp_servers(&json!([
            {"address": H264, "port": 8554,
             "auth": {"method": "basic", "user": "admin", "password": PASSWORD},
             "mounts": [{"path": "/live", "video": video("h264"), "audio": null}]},
            {"address": H265, "port": 8554,
             "auth": {"method": "digest", "user": "admin", "password": PASSWORD},
             "mounts": [{"path": "/Streaming/Channels/101", "video": video("h265"), "audio": null}]}
        ]))
    });
}

#[test]
fn no_password_on_any_command_line_while_keyframes_are_taken() {
    lab();
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::write(&creds, format!("admin:{PASSWORD}\n")).unwrap();
    let report = dir.path().join("report.html");

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_cmdlines(stop.clone(), Duration::from_secs(200));
    let mut c = common::camscan();
    c.args([
        "audit",
        "127.0.40.1-2",
        "-p",
        "8554",
        "--credentials",
        creds.to_str().unwrap(),
        // ffprobe too: it opens each stream with the credential.
        "--ffprobe",
        "-f",
        "html",
        "-o",
        report.to_str().unwrap(),
    ]);
    let out = run(&mut c, Duration::from_secs(150));
    stop.store(true, Ordering::SeqCst);
    let seen = watcher.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    assert!(seen.read > 100, "the watcher read command lines");
    assert!(
        seen.leaks.is_empty(),
        "the password on a command line: {:?}",
        seen.leaks
    );
    // The watcher did see the tools run with these cameras (it could have caught a leak).
    assert!(
        seen.tools.iter().any(|l| l.contains("ffprobe")),
        "ffprobe seen: {:?}",
        seen.tools
    );

    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains("n0t"), "no password in the report");
    for (ip, codec) in [(H264, "H264"), (H265, "H265")] {
        let start = html
            .find(&format!("<article class=\"device\" id=\"dev-{ip}\">"))
            .unwrap_or_else(|| panic!("no card for {ip}"));
        let card = &html[start..];
        let card = &card[..card.find("</article>").unwrap()];
        assert!(
            card.contains("src=\"data:image/jpeg;base64,")
                && card.contains(&format!("<figcaption>video keyframe ({codec})")),
            "{ip} has its keyframe: {card}"
        );
    }
}

/// A scan recorded in an inventory keeps the key of its credential hashes beside it, mode 0600,
/// and nothing of it in the database; the next scan of the same inventory still knows which
/// credential worked; `camscan doctor` shows the key file.
#[test]
fn the_inventorys_credential_key_is_a_file_of_its_own() {
    lab();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let creds = dir.path().join("creds");
    std::fs::write(&creds, format!("nobody:wrong\nadmin:{PASSWORD}\n")).unwrap();
    let scan = || {
        let out = run(
            common::camscan_with_db(&db).args([
                "scan",
                H264,
                "-p",
                "8554",
                "--credentials",
                creds.to_str().unwrap(),
                "-f",
                "json",
                "--log",
                "info",
            ]),
            Duration::from_secs(60),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stderr(&out)
    };
    scan();
    let key_file = dir.path().join("inventory.db.key");
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o7777
    };
    assert_eq!(mode, 0o600);
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(key.trim().len(), 64, "32 bytes in hex: {key:?}");
    let meta = run(
        std::process::Command::new("/usr/bin/python3").args([
            "-c",
            "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(c.execute(\"SELECT count(*) FROM meta WHERE key='cred_key'\").fetchone()[0], c.execute('SELECT count(*) FROM streams WHERE cred IS NOT NULL').fetchone()[0])",
            db.to_str().unwrap(),
        ]),
        Duration::from_secs(10),
    );
    assert_eq!(
        stdout(&meta).trim(),
        "0 1",
        "no key in the database, one hash: {}",
        stderr(&meta)
    );

    // The next scan revisits the path with the credential that worked (its hash matched under
    // the file's key; with another key it finds no credential and says the path no longer
    // serves media).
    let second = scan();
    assert!(
        second.contains("known paths all serve media: device unchanged")
            && !second.contains("no longer serves media"),
        "the path and credential that worked: {second}"
    );

    let out = run(
        common::camscan()
            .args(["doctor", "-f", "json", "--db"])
            .arg(&db),
        Duration::from_secs(30),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "credential_key")
        .unwrap_or_else(|| panic!("no credential_key check: {report:#}"));
    assert_eq!(check["status"], "pass", "{check}");
    assert_eq!(
        check["detail"],
        format!("{}: mode 0600", key_file.display()),
        "{check}"
    );
}
