//! One process, one way into the inventory file (issue 72). A long-running `camscan watch --push`
//! and a `camscan serve --push` keep their SQLite locks on the inventory while they push, beside
//! the real `sqlite3` shell (Debian's package) reading and writing the same file as a person
//! inspecting it does: the kernel still lists their locks (`/proc/locks`), the write-ahead log is
//! still there after each shell closes, no round fails, the person's rows and every round's scan
//! are in the file, and SQLite's `integrity_check` says ok.
//!
//! What it guards against: SQLite's locks are POSIX advisory locks, dropped for the whole process
//! when it closes *any* descriptor of the file ("How To Corrupt An SQLite Database File", section
//! 2.2). camscan once checked the file's header with a plain open and close before every
//! connection, so each push round (which opens a store of its own) silently gave up the watch's
//! lock, and the shell, closing last, deleted the watch's live WAL: "disk I/O error" on every
//! round after.
//!
//! Addresses: 127.0.62.1-9 (the RTSP camera, the fake Frigate, serve).

#![allow(clippy::print_stderr)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The POSIX locks process `pid` holds on the file at `path` (`/proc/locks`: `1: POSIX ADVISORY
/// READ <pid> <maj>:<min>:<inode> <start> <end>`).
fn locks_of(pid: u32, path: &Path) -> usize {
    let ino = std::fs::metadata(path).unwrap().ino().to_string();
    let pid = pid.to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| {
            f.len() >= 6 && f[1] == "POSIX" && f[4] == pid && f[5].rsplit(':').next() == Some(&ino)
        })
        .count()
}

/// Run the `sqlite3` shell on `db` with `sql`, as a person would; its output.
fn sqlite3(db: &Path, sql: &str) -> String {
    let o = common::run(
        Command::new("sqlite3")
            .args(["-bail", "-cmd", ".timeout 5000"])
            .arg(db)
            .arg(sql),
        Duration::from_secs(30),
    );
    assert!(
        o.status.success(),
        "sqlite3 {sql:?}: {}",
        common::stderr(&o)
    );
    common::stdout(&o).trim().to_string()
}

fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// A person's look at the inventory beside the running process `pid`: the process holds its
/// locks, a reader and a writer come and go, and the WAL is still there after each. The note is
/// written whatever the checks say; a check that fails is the error (the caller judges it: a
/// process that ended during the look takes its locks and, as SQLite's last connection, its WAL
/// with it).
fn a_person_reads_and_writes(db: &Path, pid: u32, n: usize) -> Result<(), String> {
    if locks_of(pid, db) < 1 {
        return Err(format!(
            "round {n}: the process holds no lock on the inventory"
        ));
    }
    let devices: i64 = sqlite3(db, "SELECT COUNT(*) FROM devices;")
        .parse()
        .unwrap();
    assert!(devices >= 1);
    sqlite3(
        db,
        &format!(
            "CREATE TABLE IF NOT EXISTS person_notes(n INTEGER); INSERT INTO person_notes VALUES ({n});"
        ),
    );
    if !wal(db).exists() {
        return Err(format!(
            "round {n}: the shell deleted the running process's WAL"
        ));
    }
    if locks_of(pid, db) < 1 {
        return Err(format!("round {n}: the lock went"));
    }
    Ok(())
}

/// A camscan in the background, its stderr in a file; killed by its PID when dropped.
struct Background {
    child: Child,
    stderr: PathBuf,
}

impl Background {
    fn spawn(cmd: &mut Command, dir: &Path, name: &str) -> Background {
        let stderr = dir.join(format!("{name}.stderr"));
        let child = cmd
            .stdout(std::fs::File::create(dir.join(format!("{name}.stdout"))).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Background { child, stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Its exit code, waiting up to `limit`.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("still running after {limit:?}:\n{}", self.stderr());
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < until, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn watch_push_keeps_its_lock_beside_a_sqlite3_shell() {
    let cam_ip = "127.0.62.1";
    let _camera = common::watch_camera(cam_ip);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let config = dir.path().join("frigate.yml");
    let (_tool, url) = common::empty_frigate("127.0.62.2", &config);
    const ROUNDS: usize = 10;
    let mut watch = Background::spawn(
        common::camscan_with_db(&db)
            .args(["watch", "--no-listen", cam_ip, "-p", "8554"])
            .args(["--every", "1s", "--rounds", &ROUNDS.to_string()])
            .args(["--notify", "stdout", "--push"])
            .arg(format!("frigate={url}")),
        dir.path(),
        "watch",
    );
    let pid = watch.child.id();
    // The first push has happened once Frigate's file holds the camera.
    wait_for("the first push", Duration::from_secs(90), || {
        std::fs::read_to_string(&config).is_ok_and(|t| t.contains("rtsp://"))
    });
    let mut looked = 0;
    let copy = dir.path().join("copy.db");
    while watch.child.try_wait().unwrap().is_none() && looked < 6 {
        if let Err(e) = a_person_reads_and_writes(&db, pid, looked) {
            // Only a watch that ended during the look (its last round done) may have let go: a
            // watch still running two seconds later held nothing while it ran.
            let until = Instant::now() + Duration::from_secs(2);
            while watch.child.try_wait().unwrap().is_none() {
                assert!(Instant::now() < until, "{e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            looked += 1;
            break;
        }
        if looked == 1 {
            // A copy taken while the watch writes: SQLite's own, whole, private.
            let o = common::run(
                common::camscan_with_db(&db).arg("backup").arg(&copy),
                Duration::from_secs(30),
            );
            assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
            assert!(common::stdout(&o).contains("check of the copy: ok"));
            assert_eq!(sqlite3(&copy, "PRAGMA integrity_check;"), "ok");
            let mode = std::fs::metadata(&copy).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // Never over a file that is there.
            let again = common::run(
                common::camscan_with_db(&db).arg("backup").arg(&copy),
                Duration::from_secs(30),
            );
            assert_eq!(again.status.code(), Some(2));
            assert!(common::stderr(&again).contains("never overwrites"));
        }
        looked += 1;
        std::thread::sleep(Duration::from_millis(1500));
    }
    assert!(looked >= 3, "the watch ended before the person looked");
    let code = watch.wait(Duration::from_secs(120));
    let err = watch.stderr();
    eprintln!("{err}");
    assert_eq!(code, Some(0), "{err}");
    for bad in ["disk I/O error", "ERROR", "malformed"] {
        assert!(!err.contains(bad), "{bad}: {err}");
    }
    // Nothing lost: every round's scan, every note of the person's, a sound file.
    assert_eq!(sqlite3(&db, "PRAGMA integrity_check;"), "ok");
    let scans: usize = sqlite3(&db, "SELECT COUNT(*) FROM scans WHERE complete = 1;")
        .parse()
        .unwrap();
    assert_eq!(scans, ROUNDS, "{err}");
    let notes: usize = sqlite3(&db, "SELECT COUNT(*) FROM person_notes;")
        .parse()
        .unwrap();
    assert_eq!(notes, looked);
}

#[test]
fn serve_push_keeps_its_lock_beside_a_sqlite3_shell() {
    let cam_ip = "127.0.62.5";
    let _camera = common::watch_camera(cam_ip);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    // The inventory, from a real scan of the camera.
    let o = common::run(
        common::camscan_with_db(&db).args(["scan", cam_ip, "-p", "8554", "-f", "json"]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let config = dir.path().join("frigate.yml");
    let (tool, url) = common::empty_frigate("127.0.62.6", &config);
    let addr = format!("127.0.62.7:{}", common::free_port("127.0.62.7"));
    let serve = common::Serve::start(&db, &addr, &["--push", &format!("frigate={url}")]);
    let pid = serve.child.id();
    let post = |apply: bool| {
        let body = format!(r#"{{"devices": [1], "apply": {apply}}}"#);
        let o = common::run(
            Command::new("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
                .args(["-H", "Content-Type: application/json", "--data", &body])
                .arg(format!("http://{addr}/api/v1/push/frigate")),
            Duration::from_secs(30),
        );
        common::stdout(&o).trim().to_string()
    };
    wait_for("serve's lock", Duration::from_secs(10), || {
        locks_of(pid, &db) >= 1
    });
    for n in 0..4 {
        // A dry run (the plan only) and then, once, an apply.
        assert_eq!(post(n == 2), "200");
        if let Err(e) = a_person_reads_and_writes(&db, pid, n) {
            panic!("{e}");
        }
    }
    let devices = common::run(
        Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
            .arg(format!("http://{addr}/api/v1/devices")),
        Duration::from_secs(30),
    );
    assert_eq!(common::stdout(&devices).trim(), "200");
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("rtsp://")
    );
    drop(tool);
    assert!(matches!(serve.stop("TERM"), Some(0 | 143)));
    assert_eq!(sqlite3(&db, "PRAGMA integrity_check;"), "ok");
    let notes: usize = sqlite3(&db, "SELECT COUNT(*) FROM person_notes;")
        .parse()
        .unwrap();
    assert_eq!(notes, 4);
    // The push's ledger row was written through the same file, beside the person's.
    let pushed: usize = sqlite3(&db, "SELECT COUNT(*) FROM pushes;")
        .parse()
        .unwrap();
    assert_eq!(pushed, 1);
}

/// A report is never written over the inventory (nor over any SQLite file): the write renames a
/// new file over its path, and a running watch would go on writing the old one, lost.
#[test]
fn a_report_is_never_written_over_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.db");
    let o = common::run(
        common::camscan_with_db(&db)
            .args(["scan", "127.0.62.9", "-p", "9", "-o"])
            .arg(&db),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(err.contains("is the inventory (--db)"), "{err}");
    assert_eq!(sqlite3(&db, "PRAGMA integrity_check;"), "ok");
    // Another inventory, not this command's: refused as an SQLite database.
    let other = dir.path().join("other.db");
    sqlite3(&other, "CREATE TABLE t(x);");
    let o = common::run(
        common::camscan()
            .args(["scan", "127.0.62.9", "-p", "9", "--no-db", "-o"])
            .arg(&other),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("is an SQLite database"));
    assert_eq!(sqlite3(&other, "SELECT COUNT(*) FROM t;"), "0");
}
