//! Whether a running scan's process is still there. A scan begun in an SQLite inventory holds an
//! exclusive lock on a file beside it (`<inventory>.scan-<id>`) until its end; the kernel drops
//! the lock when the process dies (kill -9, a power cut), so another process (a fleet agent
//! reading its next batch) knows at once that a scan whose heartbeat is still fresh has nobody
//! recording it, instead of waiting two minutes for the heartbeat to go stale. Best effort: a
//! file that cannot be made or read leaves the heartbeat to decide, as before.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file of scan `scan` of the inventory at `db`.
pub(crate) fn path(db: &Path, scan: i64) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(format!(".scan-{scan}"));
    PathBuf::from(name)
}

/// Hold scan `scan`'s lock (made with mode 0600); `None` when it cannot be.
pub(crate) fn hold(db: &Path, scan: i64) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path(db, scan))
        .ok()?;
    try_lock(&f).then_some(f)
}

/// Let scan `scan`'s lock go (its end) and remove its file.
pub(crate) fn release(db: &Path, scan: i64, held: File) {
    let _ = std::fs::remove_file(path(db, scan));
    drop(held);
}

/// Whether the process that began scan `scan` is gone: its lock file is there and nobody holds
/// it (the file is then removed). `false` when it is held, or there is no file (a scan begun by
/// an older camscan, or one whose file could not be made): the heartbeat decides.
pub(crate) fn gone(db: &Path, scan: i64) -> bool {
    let p = path(db, scan);
    let Ok(f) = OpenOptions::new().write(true).open(&p) else {
        return false;
    };
    if try_lock(&f) {
        let _ = std::fs::remove_file(&p);
        true
    } else {
        false
    }
}

/// An exclusive `flock` on `f`, without waiting (`File::try_lock` is newer than camscan's
/// oldest supported Rust).
#[allow(unsafe_code)]
fn try_lock(f: &File) -> bool {
    // SAFETY: flock on a file descriptor this `File` owns and keeps open; no memory is passed.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_alive_and_a_dropped_one_gone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inventory.db");
        assert!(!gone(&db, 7), "no file: the heartbeat decides");
        let held = hold(&db, 7).expect("a lock");
        assert!(!gone(&db, 7), "held by this process (another open file)");
        // What a killed process leaves: the file, nobody holding it.
        drop(held);
        assert!(gone(&db, 7));
        assert!(!path(&db, 7).exists(), "the file goes with it");
        let held = hold(&db, 8).unwrap();
        release(&db, 8, held);
        assert!(!path(&db, 8).exists());
        assert!(!gone(&db, 8));
    }
}
