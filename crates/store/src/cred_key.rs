//! The key of the stored credential hashes, kept in a file of its own and never in the inventory.
//!
//! The inventory remembers which credential opened a stream as HMAC-SHA256(key, user ":"
//! password) (`store::scans::record`), so that a later scan tries it first without the inventory
//! holding the password. A key stored in the same database as the hashes (`meta.cred_key`, as
//! camscan did before) protects nothing: a copy of the inventory file alone is enough to try a
//! dictionary of passwords against every hash. So the key lives in a file of mode 0600:
//!
//! * an SQLite inventory: beside it, its name with `.key` added
//!   (`~/.local/state/camscan/inventory.db.key`). One key per inventory, found wherever the
//!   inventory is moved with it, and the inventory file handed to someone else (a handover, a bug
//!   report) carries no key. Not one key in `~/.config/camscan/` for all inventories: two
//!   inventories made by an older camscan each hold their own key, and one file could take only
//!   one of them;
//! * a PostgreSQL inventory (no file to sit beside): `$XDG_CONFIG_HOME/camscan/credential.key`,
//!   else `~/.config/camscan/credential.key`; every machine that records into the same database
//!   needs the same file for the hashes to match (else it makes its own, and finds the
//!   credentials again);
//! * `--credential-key FILE` (`CAMSCAN_CREDENTIAL_KEY`, config `credential_key:`) for either.
//!
//! The file holds the key in hex on one line. It is made on first use, race-safe: the key is
//! written whole to a file of its own (created with `O_EXCL`, mode 0600) and then hard-linked to
//! the key's name, which fails if another process got there first; the loser reads the winner's.
//! A reader never sees half a key.
//!
//! An inventory made by an older camscan moves its key out when opened ([`super::Store::open`]):
//! the key file is written with the very bytes of `meta.cred_key` (so the hashes stored keep
//! matching, and the paths and credential that worked keep being tried first), then the row is
//! deleted (SQLite: with `secure_delete` and the write-ahead log truncated, so the bytes do not
//! linger in the file). When both exist and differ, opening stops with an error naming both: one
//! of them belongs to another inventory, and mixing them would silently lose every hash.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::db::{self, OptionalExtension, params};
use super::{Store, StoreError};

/// Bytes of a new key: HMAC-SHA256's block-sized secret is overkill, its output size is plenty.
pub const KEY_LEN: usize = 32;

/// The key file of the SQLite inventory `db`: beside it, `.key` added to its name.
pub fn beside(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// The key file of a PostgreSQL inventory: `$XDG_CONFIG_HOME/camscan/credential.key`, else
/// `$HOME/.config/camscan/credential.key`; `None` without either variable.
pub fn in_config_dir(env: &input::environment::Environment) -> Option<PathBuf> {
    env.config_dir().map(|d| d.join("credential.key"))
}

/// What is wrong with a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a credential key (one line of hex, at least 16 bytes); move it away and camscan makes a new one (the stored credential hashes then no longer match)", path.display())]
    Malformed { path: PathBuf },
    #[error("no random key for credential hashes: {0}")]
    Random(String),
}

/// The key in `path`, or `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, KeyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(KeyError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let key = from_hex(text.trim()).ok_or_else(|| KeyError::Malformed {
        path: path.to_path_buf(),
    })?;
    if key.len() < 16 {
        return Err(KeyError::Malformed {
            path: path.to_path_buf(),
        });
    }
    if let Ok(m) = std::fs::metadata(path)
        && m.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            key = %path.display(),
            mode = format!("{:o}", m.permissions().mode() & 0o777),
            "the credential key file is readable by others: chmod 600 it"
        );
    }
    Ok(Some(key))
}

/// The key in `path`, made (random, [`KEY_LEN`] bytes) when there is none.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, KeyError> {
    if let Some(k) = read(path)? {
        return Ok(k);
    }
    let mut key = vec![0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| KeyError::Random(e.to_string()))?;
    install(path, &key)
}

/// Write `key` to `path` unless a key is there already; the key `path` holds afterwards (the
/// other process's, when it won the race).
pub fn install(path: &Path, key: &[u8]) -> Result<Vec<u8>, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Whole first, under a name of its own, then linked into place: the link is the O_EXCL
    // step (it fails when the name exists), and nobody reads a half-written key.
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| KeyError::Random(e.to_string()))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", to_hex(&suffix)));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(format!("{}\n", to_hex(key)).as_bytes())?;
            f.sync_all()
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key.to_vec()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path)?.ok_or_else(|| KeyError::Malformed {
                path: path.to_path_buf(),
            })
        }
        Err(e) => Err(io(e)),
    }
}

/// What `camscan doctor` says of a key file: whether it is there and who may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Not made yet (the first scan that records a credential makes it).
    Missing,
    /// There, with this mode (permission bits).
    Present { mode: u32 },
}

/// The state of the key file `path`.
pub fn state(path: &Path) -> Result<KeyState, std::io::Error> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(KeyState::Present {
            mode: m.permissions().mode() & 0o7777,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyState::Missing),
        Err(e) => Err(e),
    }
}

impl Store {
    /// The key of the credential hashes: from the key file (made on first use); an inventory
    /// that still holds its key in `meta.cred_key` (an older camscan's) has it moved out, the
    /// very bytes, so the hashes stored keep matching.
    pub(super) fn cred_key(&self) -> Result<Vec<u8>, StoreError> {
        let key_err = |e| StoreError::CredentialKey {
            path: self.path.clone(),
            source: e,
        };
        let in_db: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'cred_key'",
                params![],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some(old) = in_db else {
            return load_or_create(&self.key_file).map_err(key_err);
        };
        // Written unless a key file is there already (another process moved it first, or a
        // move stopped before the row was deleted): then it must be the same key.
        let kept = install(&self.key_file, &old).map_err(key_err)?;
        if kept != old {
            return Err(StoreError::KeyMismatch {
                path: self.path.clone(),
                key_file: self.key_file.clone(),
            });
        }
        let sqlite = self.engine() == db::Engine::Sqlite;
        if sqlite {
            // The deleted row's bytes are zeroed in the file rather than left in a free page.
            self.conn
                .execute_batch("PRAGMA secure_delete = ON")
                .map_err(|e| self.err(e))?;
        }
        self.conn
            .execute("DELETE FROM meta WHERE key = 'cred_key'", params![])
            .map_err(|e| self.err(e))?;
        if sqlite {
            // Nor in the write-ahead log: copied into the database and the log emptied. Best
            // effort: a reader holding the log open keeps it until it closes.
            let _ = self
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete = OFF");
        }
        tracing::info!(
            db = %self.path.display(),
            key = %self.key_file.display(),
            "moved the credential hashes' key out of the inventory into its key file"
        );
        Ok(old)
    }
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::DbLocation;
    use crate::testing::{Engine, TestDb, both_engines, camera, report, scan};
    use model::Credential;

    #[test]
    fn a_new_key_is_made_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/inventory.db.key");
        let k = load_or_create(&path).unwrap();
        assert_eq!(k.len(), KEY_LEN);
        assert_eq!(state(&path).unwrap(), KeyState::Present { mode: 0o600 });
        assert_eq!(load_or_create(&path).unwrap(), k, "the same key read back");
        // Nothing left behind but the key.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["inventory.db.key"]);
    }

    #[test]
    fn the_loser_of_a_race_takes_the_winners_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let first = install(&path, &[1u8; 32]).unwrap();
        assert_eq!(install(&path, &[2u8; 32]).unwrap(), first);
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let p = dir.path().join("raced");
                std::thread::spawn(move || load_or_create(&p).unwrap())
            })
            .collect();
        let keys: Vec<Vec<u8>> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "not hex\n").unwrap();
        assert!(matches!(
            load_or_create(&path),
            Err(KeyError::Malformed { .. })
        ));
        std::fs::write(&path, "abcd\n").unwrap();
        assert!(matches!(read(&path), Err(KeyError::Malformed { .. })));
        assert_eq!(read(&dir.path().join("none")).unwrap(), None);
    }

    #[test]
    fn places() {
        assert_eq!(
            beside(Path::new("/var/lib/camscan/inventory.db")),
            Path::new("/var/lib/camscan/inventory.db.key")
        );
    }

    both_engines!(
        an_older_inventory_moves_its_key_out_and_its_hashes_still_match,
        a_key_file_that_differs_from_the_inventorys_key_is_an_error_naming_both,
    );

    /// The credential key the inventory itself holds: `None` once it lives in its key file.
    fn key_in_db(s: &Store) -> Option<Vec<u8>> {
        s.conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'cred_key'",
                params![],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
    }

    /// Put the inventory back as an older camscan left it: its key in `meta.cred_key`.
    fn key_into_db(s: &Store, key: &[u8]) {
        s.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('cred_key', ?1)",
                params![key.to_vec()],
            )
            .unwrap();
    }

    /// An inventory made by an older camscan (its key in `meta`, no key file) has its key moved
    /// to the key file, the very bytes, and deleted from the database; the paths and credential
    /// that worked are still known.
    fn an_older_inventory_moves_its_key_out_and_its_hashes_still_match(engine: Engine) {
        use std::os::unix::fs::PermissionsExt;
        let db = TestDb::new(engine);
        let creds = [Credential::new("admin", "12345")];
        let key = {
            let mut s = db.open();
            assert_eq!(key_in_db(&s), None, "a new inventory keeps no key");
            s.record_scan(
                &scan(1, true),
                &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
                &creds,
            )
            .unwrap();
            key_into_db(&s, &s.key);
            s.key.clone()
        };
        std::fs::remove_file(db.key_file()).unwrap();

        let s = db.open();
        assert_eq!(key_in_db(&s), None, "moved out of the inventory");
        assert_eq!(s.key, key);
        assert_eq!(
            read(&db.key_file()).unwrap(),
            Some(key.clone()),
            "the key file holds the very bytes"
        );
        let mode = std::fs::metadata(db.key_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(k.credential.as_ref().unwrap().password, "12345");
        assert_eq!(
            k.rtsp_paths[&554],
            vec!["/Streaming/Channels/101".to_string()]
        );
        drop(s);
        if let DbLocation::File(path) = &db.at {
            // Nor are its bytes left anywhere in the file or its log.
            let mut bytes = std::fs::read(path).unwrap();
            bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
            assert!(
                !bytes.windows(key.len()).any(|w| w == key.as_slice()),
                "the key's bytes are gone from the inventory file"
            );
        }
        // A move stopped before the row was deleted (the same key in both): finished now.
        let s = db.open();
        key_into_db(&s, &key);
        drop(s);
        let s = db.open();
        assert_eq!((key_in_db(&s), s.key.clone()), (None, key));
    }

    /// The inventory's own key and another in the key file: opening stops, naming both, and
    /// leaves both as they were.
    fn a_key_file_that_differs_from_the_inventorys_key_is_an_error_naming_both(engine: Engine) {
        let db = TestDb::new(engine);
        let s = db.open();
        key_into_db(&s, &[7u8; 32]);
        drop(s);
        let before = std::fs::read(db.key_file()).unwrap();
        let e = db.try_open().err().unwrap();
        assert!(matches!(e, StoreError::KeyMismatch { .. }), "{e:?}");
        let line = e.to_string();
        assert!(
            line.contains(&db.key_file().display().to_string())
                && line.contains("meta.cred_key")
                && line.contains("--credential-key"),
            "{line}"
        );
        assert_eq!(std::fs::read(db.key_file()).unwrap(), before);
        // Given a key file of its own, the inventory moves its key there.
        let own = tempfile::tempdir().unwrap();
        let own = own.path().join("own.key");
        let s = match &db.at {
            DbLocation::File(path) => Store::open_keyed(path, Some(&own)).unwrap(),
            DbLocation::Postgres(t) => Store::open_postgres_keyed(t, Some(&own)).unwrap(),
        };
        assert_eq!(s.key, vec![7u8; 32]);
        assert_eq!(s.key_file(), own.as_path());
        assert_eq!(key_in_db(&s), None);
    }

    /// A copy of the inventory file alone holds no key: opened elsewhere, it makes a key of its
    /// own and none of the stored hashes matches.
    #[test]
    fn a_copied_inventory_has_no_key_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.db");
        let creds = [Credential::new("admin", "12345")];
        let mut s = Store::open(&path).unwrap();
        s.record_scan(
            &scan(1, true),
            &report(vec![camera("aa:bb:cc:00:00:01", "10.0.0.5", 1920)]),
            &creds,
        )
        .unwrap();
        drop(s);
        let elsewhere = tempfile::tempdir().unwrap();
        let copy = elsewhere.path().join("inventory.db");
        std::fs::copy(&path, &copy).unwrap();
        let c = rusqlite::Connection::open(&copy).unwrap();
        let found: Vec<Vec<u8>> = c
            .prepare("SELECT value FROM meta WHERE key='cred_key'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(found.is_empty(), "no key in the copy");
        drop(c);
        let s = Store::open(&copy).unwrap();
        let original = read(&beside(&path)).unwrap().unwrap();
        assert_ne!(s.key, original);
        let known = s.known("lab", &["10.0.0.0/24".into()], &creds).unwrap();
        let k = &known[&"10.0.0.5".parse::<IpAddr>().unwrap()];
        assert_eq!(k.credential, None, "the hashes need the original key");
    }
}
