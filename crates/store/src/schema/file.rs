//! The one way into an inventory file. Every SQLite connection camscan opens on an inventory
//! comes from [`connect`], and nothing else in camscan opens that file, its `-wal`, `-shm` or
//! `-journal` (a `stat`, which opens nothing, is harmless).
//!
//! Why it must stay so: SQLite's locks on a database file are POSIX advisory locks, and those
//! belong to the process and the file, not to a descriptor. Closing *any* descriptor of the
//! file drops every lock the process holds on it ("How To Corrupt An SQLite Database File",
//! sqlite.org/howtocorrupt.html, section 2.2). SQLite keeps its own connections of one process
//! safe from each other (one record per inode, closes deferred while a lock is held), but a
//! plain `open()` and `close()` beside a live connection (a header check, an inspection)
//! silently gives up that connection's SHARED lock. Another process's last connection (the
//! `sqlite3` shell a person opens beside a `watch`) then takes the EXCLUSIVE lock on its close
//! and deletes the live WAL and its index: every later write of the watch fails with "disk I/O
//! error", and what it wrote since the last checkpoint is gone.
//!
//! So the raw header check (a wrong file is one clear error before a scan starts) runs only
//! while this process holds no connection on the file: a register of the files held, by device
//! and inode, under whose lock the check and the connection's opening happen. A process that
//! already holds the file trusts the check its first connection made, and reads what it needs
//! through SQLite.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::super::StoreError;
use super::map_sqlite;

/// The first 16 bytes of every SQLite 3 database file (sqlite.org/fileformat.html §1.3).
pub(super) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A file, as the kernel knows it: a rename or a second path to it is the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

fn id_of(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|m| FileId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// The inventory files this process holds a connection on, each with its count of connections.
static HELD: Mutex<Vec<(FileId, usize)>> = Mutex::new(Vec::new());

/// This process's hold on an inventory file, for as long as one of its connections is open.
/// Keep it beside the connection and drop it after it (declared after it in a struct).
#[derive(Debug)]
pub(crate) struct Held(FileId);

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = model::sync::lock(&HELD);
        if let Some(i) = held.iter().position(|(id, _)| *id == self.0) {
            held[i].1 -= 1;
            if held[i].1 == 0 {
                held.swap_remove(i);
            }
        }
    }
}

/// Whether this process holds a connection on the file at `path`.
#[cfg(test)]
pub(crate) fn held(path: &Path) -> bool {
    let Some(id) = id_of(path) else {
        return false;
    };
    model::sync::lock(&HELD).iter().any(|(held, _)| *held == id)
}

/// What [`connect`] does with a path where there is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// Make it (mode 0600, its parent directories too): a new inventory.
    Create,
    /// Fail with `StoreError::Io` of kind `NotFound`.
    Fail,
}

/// This process's hold on the inventory at `path` and an SQLite connection on it, opened with
/// `flags`. The file's header is checked first ([`check_header`]) unless this process already
/// holds a connection on it. The hold comes first so that `let (held, conn) = connect(..)?`
/// drops the connection before the hold.
pub(crate) fn connect(
    path: &Path,
    flags: OpenFlags,
    missing: Missing,
) -> Result<(Held, Connection), StoreError> {
    let mut held = model::sync::lock(&HELD);
    let already = id_of(path).is_some_and(|id| held.iter().any(|(h, _)| *h == id));
    if !already {
        check_file(path, missing)?;
        if let Some(m) = mount_of(path).filter(|m| m.is_network()) {
            tracing::warn!(
                "the inventory {} is on {} ({}), a network filesystem: SQLite's locks may not \
                 hold there; keep it on a local disk (`camscan doctor` says more)",
                path.display(),
                m.fstype,
                m.source
            );
        }
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| map_sqlite(path, e))?;
    let id = id_of(path).ok_or_else(|| StoreError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "gone the moment it was opened",
        ),
    })?;
    match held.iter_mut().find(|(h, _)| *h == id) {
        Some((_, n)) => *n += 1,
        None => held.push((id, 1)),
    }
    Ok((Held(id), conn))
}

/// The mount the file at `path` is on (its directory's when there is no file yet), from this
/// process's `/proc/self/mountinfo`; `None` when either cannot be read.
pub fn mount_of(path: &Path) -> Option<model::mounts::Mount> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let real = match path.canonicalize() {
        Ok(p) => p,
        Err(_) => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            dir.unwrap_or(Path::new("."))
                .canonicalize()
                .ok()?
                .join(path.file_name()?)
        }
    };
    model::mounts::mount_of(&text, &real)
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Check what is at `path` before SQLite touches it: nothing (made as `missing` says), an empty
/// file (a new database), or an SQLite file whose header is intact and whose length covers the
/// pages the header counts (a truncated copy fails here, not mid-write). Opens and closes the
/// file: only ever called by [`connect`] while no connection of this process holds it.
fn check_file(path: &Path, missing: Missing) -> Result<(), StoreError> {
    if missing == Missing::Create
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    let mut file = match OpenOptions::new().read(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && missing == Missing::Create => {
            // A map of a network: readable by its owner only.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| io(path, e))?;
            return Ok(());
        }
        Err(e) => return Err(io(path, e)),
    };
    let meta = file.metadata().map_err(|e| io(path, e))?;
    if meta.is_dir() {
        return Err(io(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    let mut header = [0u8; 100];
    let mut got = 0;
    while got < header.len() {
        match file.read(&mut header[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(io(path, e)),
        }
    }
    check_header(&header[..got], meta.len()).map_err(|problem| match problem {
        HeaderProblem::NotSqlite => StoreError::NotSqlite {
            path: path.to_path_buf(),
        },
        HeaderProblem::Truncated(detail) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
    })
}

#[derive(Debug, PartialEq)]
pub(crate) enum HeaderProblem {
    NotSqlite,
    Truncated(String),
}

/// Judge a database file from its first (up to) 100 bytes and its length (sqlite.org/fileformat.html
/// §1.3: page size at offset 16, change counter at 24, page count at 28, valid when the
/// "version-valid-for" number at 92 equals the change counter).
pub(crate) fn check_header(header: &[u8], len: u64) -> Result<(), HeaderProblem> {
    if header.is_empty() {
        return Ok(());
    }
    if header.len() < 100 || &header[..16] != SQLITE_MAGIC {
        return Err(
            if header.starts_with(&SQLITE_MAGIC[..header.len().min(16)]) {
                HeaderProblem::Truncated(format!("only {len} bytes"))
            } else {
                HeaderProblem::NotSqlite
            },
        );
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => u64::from(n),
    };
    let valid = be32(92) == be32(24);
    let pages = u64::from(be32(28));
    if valid && pages > 0 && len < pages * page_size {
        return Err(HeaderProblem::Truncated(format!(
            "truncated: {len} bytes, its header counts {pages} pages of {page_size}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(page_size: u16, pages: u32, valid: bool) -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[..16].copy_from_slice(SQLITE_MAGIC);
        h[16..18].copy_from_slice(&page_size.to_be_bytes());
        h[24..28].copy_from_slice(&7u32.to_be_bytes());
        h[28..32].copy_from_slice(&pages.to_be_bytes());
        h[92..96].copy_from_slice(&(if valid { 7u32 } else { 6 }).to_be_bytes());
        h
    }

    #[test]
    fn header_checks() {
        assert_eq!(check_header(b"", 0), Ok(()));
        assert_eq!(check_header(&header(4096, 3, true), 3 * 4096), Ok(()));
        assert_eq!(check_header(&header(4096, 3, true), 5 * 4096), Ok(()));
        assert!(matches!(
            check_header(&header(4096, 3, true), 4096),
            Err(HeaderProblem::Truncated(_))
        ));
        // An out-of-date page count (older writers) says nothing.
        assert_eq!(check_header(&header(4096, 3, false), 4096), Ok(()));
        // Page size 1 means 65536.
        assert!(check_header(&header(1, 2, true), 100_000).is_err());
        assert_eq!(
            check_header(b"hello world, this is text", 25),
            Err(HeaderProblem::NotSqlite)
        );
        assert!(matches!(
            check_header(b"SQLite for", 10),
            Err(HeaderProblem::Truncated(_))
        ));
    }
}

/// The POSIX locks this process holds on the file at `path`, as the kernel lists them
/// (`/proc/locks`: `1: POSIX ADVISORY READ <pid> <maj>:<min>:<inode> <start> <end>`).
#[cfg(test)]
pub(crate) fn locks_held(path: &Path) -> usize {
    let ino = std::fs::metadata(path).unwrap().ino();
    let pid = std::process::id().to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| {
            f.len() >= 6
                && f[1] == "POSIX"
                && f[4] == pid
                && f[5].rsplit(':').next() == Some(&ino.to_string())
        })
        .count()
}

#[cfg(test)]
mod held_tests {
    use super::*;
    use crate::Store;
    use crate::testing::{camera, report, scan};

    /// Issue 72's cause, in one process: a second store on the same inventory (a push round of
    /// `watch`), a reader's store and doctor's inspection, each opened and dropped beside a live
    /// store, leave the live connection's locks held.
    #[test]
    fn a_second_way_in_keeps_the_live_connections_locks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let mut live = Store::open(&path).unwrap();
        live.record_scan(
            &scan(1, true),
            &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
            &[],
        )
        .unwrap();
        assert!(held(&path));
        let before = locks_held(&path);
        assert!(before >= 1, "WAL mode keeps a SHARED lock on the file");
        drop(Store::open(&path).unwrap());
        assert_eq!(locks_held(&path), before, "after a second store");
        drop(Store::open_reading(&path, None).unwrap());
        assert_eq!(locks_held(&path), before, "after a reader's store");
        crate::inspect::inspect(&path).unwrap();
        assert_eq!(locks_held(&path), before, "after doctor's inspection");
        // A wrong path to the same file is the same file.
        let again = dir.path().join(".").join("inventory.db");
        drop(Store::open(&again).unwrap());
        assert_eq!(locks_held(&path), before, "after a second path to it");
        assert!(held(&path));
        drop(live);
        assert!(!held(&path), "the hold goes with the last connection");
        assert_eq!(locks_held(&path), 0);
    }

    /// With no connection held, the header check still runs: a file turned to text after the
    /// last store closed is one clear error.
    #[test]
    fn the_check_runs_again_once_nothing_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        drop(Store::open(&path).unwrap());
        std::fs::write(&path, "not a database\n".repeat(20)).unwrap();
        let e = Store::open(&path).err().unwrap();
        assert!(matches!(e, StoreError::NotSqlite { .. }), "{e}");
        assert!(!held(&path));
    }

    /// A child camscan starts (a notify command, ffprobe) is `exec`ed at once and inherits no
    /// descriptor of the inventory: SQLite opens its files close-on-exec, so no second process
    /// ever holds (or closes) the file behind camscan's back.
    #[test]
    fn a_child_process_holds_no_descriptor_of_the_inventory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let mut live = Store::open(&path).unwrap();
        live.record_scan(
            &scan(1, true),
            &report(vec![camera("aa:bb:cc:00:00:02", "10.0.0.6", 1920)]),
            &[],
        )
        .unwrap();
        let out = std::process::Command::new("ls")
            .args(["-l", "/proc/self/fd/"])
            .output()
            .unwrap();
        let fds = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && fds.contains("/proc/"), "{fds}");
        assert!(!fds.contains("inventory.db"), "{fds}");
    }

    /// The door is the only one: no code of camscan's outside it opens an SQLite connection
    /// (`backup.rs` opens its own finished copy, never the inventory), and none picks another
    /// VFS, the exclusive locking mode or `immutable`, each of which would give one process two
    /// ways of locking one file. The test-only part of each file (after its first
    /// `#[cfg(test)]`) is left out.
    #[test]
    fn only_this_door_opens_an_inventory() {
        // Every crate of the workspace: this one's src/, the main crate's and its siblings'.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = vec![root.join("src"), root.join("crates")];
        let mut offenders = Vec::new();
        while let Some(p) = files.pop() {
            if p.is_dir() {
                files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let name = p.to_string_lossy().into_owned();
            let door =
                name.ends_with("store/src/schema/file.rs") || name.ends_with("store/src/backup.rs");
            for pat in ["Connection::open", "open_with_flags"] {
                if code.contains(pat) && !door {
                    offenders.push(format!("{name}: {pat}"));
                }
            }
            for pat in [
                "locking_mode",
                "immutable=",
                "vfs=",
                "unix-dotfile",
                "unix-excl",
            ] {
                if code.contains(pat) {
                    offenders.push(format!("{name}: {pat}"));
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
