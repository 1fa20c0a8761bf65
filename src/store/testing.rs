//! The store's tests run on both engines (one suite, parameterised): [`TestDb`] is a fresh
//! inventory on either, and [`both_engines!`] turns `fn name(engine: Engine)` into the tests
//! `name::sqlite` and `name::postgres`. PostgreSQL is Debian's server, started once per test
//! binary in a temporary directory on loopback (`tests/common/postgres.rs`, shared with the
//! integration tests); each test gets a database of its own. `CAMSCAN_TEST_PG` (an admin URL)
//! uses a running server instead.

use std::sync::atomic::{AtomicU32, Ordering};

use super::Store;
use super::db::{Conn, DbLocation, PgTarget};

pub(crate) use super::db::Engine;

#[allow(dead_code, clippy::all)]
#[path = "../../tests/common/postgres.rs"]
mod fixture;

/// A fresh, empty inventory on one engine; dropping it removes a file (a PostgreSQL database
/// goes with the test server).
pub(crate) struct TestDb {
    /// The SQLite file and its key file; a PostgreSQL database's key file.
    dir: tempfile::TempDir,
    pub at: DbLocation,
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The URL of a database on the test server that a test may create databases from.
fn admin_url() -> String {
    if let Ok(url) = std::env::var("CAMSCAN_TEST_PG") {
        return url;
    }
    fixture::pg().url("postgres")
}

impl TestDb {
    pub fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let at = DbLocation::File(dir.path().join("inventory.db"));
                TestDb { dir, at }
            }
            Engine::Postgres => {
                static N: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "camscan_t{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                );
                let admin = PgTarget::from_url(&admin_url(), &no_env).unwrap();
                let conn = Conn::postgres(&admin).unwrap();
                conn.execute_batch(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let mut target = admin.clone();
                target.dbname = name;
                TestDb {
                    dir: tempfile::tempdir().unwrap(),
                    at: DbLocation::Postgres(Box::new(target)),
                }
            }
        }
    }

    /// Open (again) the inventory.
    pub fn open(&self) -> Store {
        self.try_open().unwrap()
    }

    /// Open (again) the inventory, or why not.
    pub fn try_open(&self) -> Result<Store, super::StoreError> {
        match &self.at {
            DbLocation::File(path) => Store::open(path),
            // Not the user's own key file in the config directory.
            DbLocation::Postgres(target) => {
                Store::open_postgres_keyed(target, Some(&self.key_file()))
            }
        }
    }

    /// Where the inventory's credential key is kept.
    pub fn key_file(&self) -> std::path::PathBuf {
        match &self.at {
            DbLocation::File(path) => super::cred_key::beside(path),
            DbLocation::Postgres(_) => self.dir.path().join("credential.key"),
        }
    }
}

/// `both_engines!(a, b)`: the tests `a::sqlite`, `a::postgres`, `b::sqlite`, ... each calling
/// `fn a(engine: Engine)`.
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::store::testing::Engine::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::store::testing::Engine::Postgres)
            }
        }
    )*};
}
pub(crate) use both_engines;
