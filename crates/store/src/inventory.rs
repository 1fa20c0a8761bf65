//! Where an inventory is: `--db`, the file's `db:` or the default place (the entrance resolves
//! which, `cmds::inventory`), told apart once as an SQLite file or a PostgreSQL URL, with its
//! secrets' files; and the fleet's hub a site sends to. Locations only: the store opens them
//! (`camscan::record::open`).

use std::path::{Path, PathBuf};

use input::environment::Environment;

/// The inventory's default place: `$XDG_STATE_HOME/camscan/inventory.db`, else
/// `~/.local/state/camscan/inventory.db`: the XDG base directory specification's place for state
/// that should persist between runs but is not worth backing up like user data (a history of
/// what was seen). `None` without either variable.
pub fn default_db_path(env: &Environment) -> Option<PathBuf> {
    env.state_dir().map(|d| d.join("inventory.db"))
}

/// Where an inventory is, told apart once, when the settings are resolved: `--db` (env
/// `CAMSCAN_DB`, the config file's `db:`) is a file path (SQLite) or a `postgres://` /
/// `postgresql://` URL (a PostgreSQL server, the fleet's hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryAt {
    /// An SQLite file (it may not exist yet).
    File(PathBuf),
    /// A PostgreSQL database, as its URL.
    Postgres(String),
}

impl InventoryAt {
    /// `db` as `--db` gave it.
    pub fn new(db: PathBuf) -> InventoryAt {
        match db.to_str() {
            Some(url) if model::is_postgres_url(url) => InventoryAt::Postgres(url.into()),
            _ => InventoryAt::File(db),
        }
    }

    /// As `--db` gave it (a URL as given: [`crate::db::location`] redacts it for messages).
    pub fn as_path(&self) -> &Path {
        match self {
            InventoryAt::File(p) => p,
            InventoryAt::Postgres(url) => Path::new(url),
        }
    }
}

/// An inventory and its secrets' files, as a command opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// Where it is.
    pub at: InventoryAt,
    /// `--db-password-file`: the PostgreSQL password's file.
    pub password_file: Option<PathBuf>,
    /// The credential key's file (`--credential-key`, `CAMSCAN_CREDENTIAL_KEY`, config
    /// `credential_key:`, else for a PostgreSQL inventory the configuration directory's, as the
    /// entrance resolves it, `cmds::inventory`); `None`: beside an SQLite file
    /// ([`crate::cred_key`]), or no place for a PostgreSQL inventory's.
    pub credential_key: Option<PathBuf>,
    /// The environment its connection reads: a PostgreSQL URL's `PG*` variables and
    /// `~/.pgpass`, the state directory of serve's token beside a server's inventory.
    pub env: Environment,
}

impl Inventory {
    /// The SQLite file, when the inventory is one.
    pub fn file(&self) -> Option<&Path> {
        match &self.at {
            InventoryAt::File(p) => Some(p),
            InventoryAt::Postgres(_) => None,
        }
    }

    /// The inventory `db` names, with its secrets in their default places and no environment.
    pub fn at(db: PathBuf) -> Inventory {
        Inventory {
            at: InventoryAt::new(db),
            password_file: None,
            credential_key: None,
            env: Environment::default(),
        }
    }
}

/// The fleet's hub a site sends its inventory to (`--hub`; `camscan::fleet` sends).
#[derive(Debug, Clone, PartialEq)]
pub struct HubConfig {
    /// `--hub`: a `postgres://` URL (or a file, for a hub on this machine).
    pub at: InventoryAt,
    /// `--hub-password-file`.
    pub password_file: Option<PathBuf>,
    /// This site's name.
    pub site: String,
    /// The environment its connection reads (`PG*`, `~/.pgpass`).
    pub env: Environment,
}
