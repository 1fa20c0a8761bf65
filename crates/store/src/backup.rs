//! A copy of an SQLite inventory taken while it is in use (`camscan backup`).
//!
//! A file copy (`cp`, `rsync`) of a database that a `watch` is writing is one of the ways
//! SQLite's "How To Corrupt An SQLite Database File" lists (section 1.2: a backup or restore
//! made while a transaction is active): it may take half of a transaction, or the database
//! file without the WAL that holds its newest pages. The copy here is SQLite's own `VACUUM
//! INTO` on the store's connection: one read transaction, so it is the inventory as it stood at
//! one moment, whole, compacted, beside a writer that is never stopped or locked out.
//!
//! The copy is written under a temporary name (mode 0600: the inventory is a map of a network)
//! and linked to its name only when SQLite finished it and its own check passed, so a backup
//! killed half-way never leaves a file under the name asked for, and an existing file is never
//! overwritten. The credential key stays where it is ([`super::cred_key`]): a copy of the
//! inventory carries no key.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::db::{Engine, params};
use super::{Store, StoreError};

/// What [`Store::backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub path: PathBuf,
    /// Bytes of the copy.
    pub bytes: u64,
    pub schema_version: i64,
    pub devices: i64,
    pub events: i64,
}

impl Store {
    /// Copy this (SQLite) inventory to `dest`, a path where there is no file yet.
    pub fn backup(&self, dest: &Path) -> Result<Backup, StoreError> {
        let io = |path: &Path, source: std::io::Error| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if self.conn.engine() != Engine::Sqlite {
            return Err(io(
                &self.path,
                std::io::Error::other(
                    "a PostgreSQL inventory is backed up by the server's own tools (pg_dump)",
                ),
            ));
        }
        if dest.exists() {
            return Err(io(
                dest,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already there: a backup never overwrites a file; remove it or give another name",
                ),
            ));
        }
        let tmp = temporary(dest);
        // VACUUM INTO takes a file that does not exist or is empty; made here so that it is the
        // owner's only from the start.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io(&tmp, e))?;
        let made = self.vacuum_into(&tmp).and_then(|()| check_copy(&tmp));
        let linked = made.and_then(|b| {
            std::fs::hard_link(&tmp, dest)
                .map(|()| b)
                .map_err(|e| io(dest, e))
        });
        let _ = std::fs::remove_file(&tmp);
        let mut b = linked?;
        b.path = dest.to_path_buf();
        Ok(b)
    }

    fn vacuum_into(&self, tmp: &Path) -> Result<(), StoreError> {
        let name = tmp.to_str().ok_or_else(|| StoreError::Io {
            path: tmp.to_path_buf(),
            source: std::io::Error::other("a path SQLite cannot name (not UTF-8)"),
        })?;
        self.conn
            .execute("VACUUM INTO ?1", params![name])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// `dest`'s temporary name, in its directory (the link to `dest` stays on one filesystem).
fn temporary(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(name)
}

/// The copy at `path` opened on its own (it is not the inventory, so this process holds no
/// connection on it) and checked by SQLite: sound, and what it holds.
fn check_copy(path: &Path) -> Result<Backup, StoreError> {
    let err = |e| super::schema::map_sqlite(path, e);
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(err)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(err)?;
    if check != "ok" {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("the copy failed SQLite's check: {check}"),
        });
    }
    let count = |table: &str| -> Result<i64, StoreError> {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(err)
    };
    Ok(Backup {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        schema_version: conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?,
        devices: count("devices")?,
        events: count("events")?,
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::testing::{camera, report, scan};

    fn recorded(path: &Path, n: u32) -> Store {
        let mut s = Store::open(path).unwrap();
        for i in 1..=n {
            s.record_scan(
                &scan(i, true),
                &report(vec![camera(
                    &format!("aa:bb:cc:00:00:{i:02x}"),
                    &format!("10.0.0.{i}"),
                    1920,
                )]),
                &[],
            )
            .unwrap();
        }
        s
    }

    #[test]
    fn a_backup_is_whole_private_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let store = recorded(&path, 3);
        let locks = crate::schema::locks_held(&path);
        let dest = dir.path().join("copy.db");
        let b = store.backup(&dest).unwrap();
        assert_eq!(b.devices, 3);
        assert!(b.events >= 3, "{b:?}");
        assert_eq!(b.schema_version, crate::schema::current_version());
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Nothing of the temporary name is left, and the live inventory kept its locks.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
        assert_eq!(crate::schema::locks_held(&path), locks);
        // The copy opens as an inventory of its own, with the same devices.
        let copy = Store::open(&dest).unwrap();
        assert_eq!(
            copy.devices(&crate::DeviceQuery::default()).unwrap().len(),
            3
        );
        // A second backup to the same name is refused, and the first is untouched.
        let before = std::fs::read(&dest).unwrap();
        let e = store.backup(&dest).unwrap_err();
        assert!(e.to_string().contains("never overwrites"), "{e}");
        assert_eq!(std::fs::read(&dest).unwrap(), before);
    }

    /// A backup taken while another connection writes is a consistent inventory: every scan in
    /// it is whole (a scan's devices and events came in one transaction).
    #[test]
    fn a_backup_beside_a_writer_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let reader = recorded(&path, 1);
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut w = Store::open(&writer_path).unwrap();
            for i in 2..=40u32 {
                w.record_scan(
                    &scan(i, true),
                    &report(vec![camera(
                        &format!("aa:bb:cc:00:01:{i:02x}"),
                        &format!("10.0.1.{i}"),
                        1920,
                    )]),
                    &[],
                )
                .unwrap();
            }
        });
        let mut copies = Vec::new();
        for i in 0..5 {
            let dest = dir.path().join(format!("copy-{i}.db"));
            copies.push(reader.backup(&dest).unwrap());
        }
        writer.join().unwrap();
        for b in copies {
            let c = Store::open_reading(&b.path, None).unwrap();
            let scans = c.scans(None).unwrap().len() as i64;
            // One device per scan: a copy holds as many devices as scans, never half a scan.
            assert_eq!(b.devices, scans, "{b:?}");
        }
    }
}
