//! `camscan watch --write` and `camscan diff` on an unchanged lab: VLC serving MJPEG over HTTP
//! (`tests/servers/media_lab.py`, 5 fps, whose measured rate moves a little each scan: 4.97,
//! 5.01, 4.98) on 127.0.7.1:8080 and GStreamer's RTSP server on 127.0.7.2:8554, watched every
//! second. The first round writes the exports and runs `--write-then`; rounds that find the same
//! cameras leave the files untouched (same inode, same bytes) and run nothing, the JSON export
//! (which prints measured rates and scan times) included; a camera added on 127.0.7.3 rewrites
//! them and runs the command once. Then `camscan diff` of two of the unchanged rounds is "no
//! change", exit 0. Addresses 127.0.7.1-4 (.4: the launcher's snapshot server).

#![allow(clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Server;

fn mjpeg() -> Server {
    common::media_lab(
        &[
            "--only",
            "mjpeg",
            "--bind",
            "mjpeg=127.0.7.1",
            // The launcher's snapshot server (lab plumbing) on this file's addresses too: other
            // test files run media labs at the same time.
            "--bind",
            "hls=127.0.7.4",
            "--timeout",
            "60",
        ],
        Duration::from_secs(70),
    )
}

/// Wait (at most `limit`) until `f` holds.
fn until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < end, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p).map_or(0, |s| s.lines().count())
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn exports_follow_the_cameras_and_an_unchanged_lab_is_no_change() {
    let t0 = Instant::now();
    let _vlc = mjpeg();
    let _cam = common::watch_camera("127.0.7.2");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let go2rtc = dir.path().join("go2rtc.yaml");
    let json = dir.path().join("inventory.json");
    let ran = dir.path().join("ran.log");
    let then = format!(
        "sh -c 'echo \"$CAMSCAN_WRITTEN\" | wc -l >> {}'",
        ran.display()
    );
    let mut child = common::camscan_with_db(&db)
        .env("CAMSCAN_LOG", "info")
        .args([
            "watch",
            "--no-listen",
            "127.0.7.1-127.0.7.3",
            "-p",
            "8080,8554",
        ])
        .args(["--every", "1s"])
        .arg("--write")
        .arg(format!("go2rtc={}", go2rtc.display()))
        .arg("--write")
        .arg(format!("json={}", json.display()))
        .args(["--write-then", &then])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Rounds done: watch logs "next scan" after each.
    let rounds = Arc::new(AtomicUsize::new(0));
    let err = child.stderr.take().unwrap();
    let r = rounds.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("next scan") {
                r.fetch_add(1, Ordering::SeqCst);
            }
            eprintln!("{line}");
        }
    });
    let child = Running(child);
    let limit = Duration::from_secs(60);
    until(limit, "the first round", || {
        rounds.load(Ordering::SeqCst) >= 1
    });
    let first = std::fs::read_to_string(&go2rtc).expect("go2rtc file written on the first round");
    assert!(
        first.contains("127.0.7.2:8554/live") && first.contains("127.0.7.1:8080/mjpg/video.mjpg"),
        "{first}"
    );
    until(limit, "the command after the first write", || {
        lines(&ran) == 1
    });
    assert_eq!(
        std::fs::read_to_string(&ran).unwrap().trim(),
        "2",
        "two files written"
    );
    let inode = |p: &Path| std::fs::metadata(p).unwrap().ino();
    let (g_ino, j_ino) = (inode(&go2rtc), inode(&json));
    let json_first = std::fs::read(&json).unwrap();

    // Two more rounds of the same cameras: nothing rewritten, nothing run.
    until(limit, "two more rounds", || {
        rounds.load(Ordering::SeqCst) >= 3
    });
    assert_eq!(std::fs::read_to_string(&go2rtc).unwrap(), first);
    assert_eq!(std::fs::read(&json).unwrap(), json_first);
    assert_eq!((inode(&go2rtc), inode(&json)), (g_ino, j_ino), "replaced");
    assert_eq!(lines(&ran), 1, "--write-then ran without a change");

    // A camera added: both files rewritten, the command run once.
    let _new = common::watch_camera("127.0.7.3");
    until(limit, "the rewrite for the new camera", || {
        std::fs::read_to_string(&go2rtc).is_ok_and(|s| s.contains("127.0.7.3:8554/live"))
    });
    until(limit, "the command after the rewrite", || lines(&ran) == 2);
    let seen = rounds.load(Ordering::SeqCst);
    until(limit, "one more round", || {
        rounds.load(Ordering::SeqCst) > seen
    });
    assert_eq!(lines(&ran), 2, "--write-then ran again without a change");
    assert_ne!(inode(&json), j_ino, "the JSON export was not rewritten");
    drop(child);

    // The unchanged rounds, diffed: no change, exit 0 (VLC's rate moved between them).
    let out = common::run(
        common::camscan_with_db(&db).args(["diff", "1", "3"]),
        Duration::from_secs(20),
    );
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.trim_end().ends_with("no change"), "{text}");
    let rates = common::run(
        common::camscan_with_db(&db).args(["history", "-f", "json"]),
        Duration::from_secs(20),
    );
    assert!(
        !common::stdout(&rates).contains("stream_changed"),
        "{}",
        common::stdout(&rates)
    );
    eprintln!("watch --write lab: {:?}", t0.elapsed());
}
