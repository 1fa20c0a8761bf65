//! Where the inventory is, for the commands that open one (`DbArgs`, [`resolve`]): `--db`
//! (`CAMSCAN_DB`), else the config file's `db:`, else the default place; the credential key's
//! file from `--credential-key`, else the file's `credential_key:`. Told apart (SQLite file or
//! PostgreSQL URL) here, once. And the formats the listing commands share (`Rows`, `Doc`).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::file::FileValues;
use crate::record::CommandError;
use error::Error;
use input::environment::Environment;
use store::{Inventory, InventoryAt};

/// The inventory's settings ([`store::settings::INVENTORY`]).
pub struct InventorySettings;

impl crate::cli::SettingList for InventorySettings {
    const LIST: &'static [&'static dyn input::setting::Declared] = store::settings::INVENTORY;
}

/// Where the inventory is, how it is opened and which site: declared once
/// ([`store::settings`]), flattened by every command that reads or records it (`scan`,
/// `watch`, `audit`, `serve`, `push`, `doctor` and the inventory commands).
#[derive(Debug, Args, Default, Clone)]
pub struct DbArgs {
    /// `--db`, `--db-password-file`, `--credential-key`, `--site`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<InventorySettings>,
    #[command(flatten)]
    pub config: crate::cli::ConfigFile,
}

/// The inventory's settings as given (a flag or its variable), each read by its parser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenInventory {
    pub db: Option<PathBuf>,
    pub db_password_file: Option<PathBuf>,
    pub credential_key: Option<PathBuf>,
    pub site: Option<String>,
}

impl DbArgs {
    /// What was given of the inventory's settings; a value its parser refuses is the error.
    pub fn given(&self) -> Result<GivenInventory, error::Error> {
        use store::settings::{CREDENTIAL_KEY, DB, DB_PASSWORD_FILE, SITE};
        let v = self.settings.values()?;
        Ok(GivenInventory {
            db: v.get(&DB),
            db_password_file: v.get(&DB_PASSWORD_FILE),
            credential_key: v.get(&CREDENTIAL_KEY),
            site: v.get(&SITE),
        })
    }

    /// `--site`, given.
    pub fn site(&self) -> Result<Option<String>, error::Error> {
        Ok(self.given()?.site)
    }
}

/// `-f` of the inventory's lists ([`export::inventory::ROWS`]).
pub struct Rows;

impl crate::cli::SettingList for Rows {
    const LIST: &'static [&'static dyn input::setting::Declared] = export::inventory::ROWS;
}

/// `-f` of `show` and `diff` ([`export::inventory::DOC`]).
pub struct Doc;

impl crate::cli::SettingList for Doc {
    const LIST: &'static [&'static dyn input::setting::Declared] = export::inventory::DOC;
}

/// The inventory `db` names, with its secrets in their default places in `env` (a PostgreSQL
/// inventory's key in the configuration directory, [`store::cred_key::in_config_dir`]).
pub fn inventory(
    db: PathBuf,
    password_file: Option<PathBuf>,
    credential_key: Option<PathBuf>,
    env: &Environment,
) -> Inventory {
    let mut inventory = Inventory::at(db);
    inventory.password_file = password_file;
    inventory.credential_key = credential_key.or_else(|| match inventory.at {
        InventoryAt::Postgres(_) => store::cred_key::in_config_dir(env),
        InventoryAt::File(_) => None,
    });
    inventory.env = env.clone();
    inventory
}

/// The inventory `--db` names (else the file's `db:`, else the default place), its password
/// file and its key (`--credential-key`, else the file's): every command finds it so.
/// `None`: no place for one. A value of the file's the setting refuses is the error.
pub fn find(
    (db, password_file, key): (Option<&Path>, Option<&PathBuf>, Option<&PathBuf>),
    file: &FileValues,
    env: &Environment,
) -> Result<Option<Inventory>, Error> {
    let Some(db) = db_path(db, file, env)? else {
        return Ok(None);
    };
    let key = match key {
        Some(key) => Some(key.clone()),
        None => file.get(&store::settings::CREDENTIAL_KEY)?,
    };
    Ok(Some(inventory(db, password_file.cloned(), key, env)))
}

/// An inventory command's inventory (the file may not exist yet).
pub fn resolve(
    args: &DbArgs,
    file: &FileValues,
    env: &Environment,
) -> Result<Inventory, CommandError> {
    let g = args.given()?;
    let given = (
        g.db.as_deref(),
        g.db_password_file.as_ref(),
        g.credential_key.as_ref(),
    );
    find(given, file, env)?.ok_or(CommandError::NoLocation)
}

/// The inventory database: the flag's (or `CAMSCAN_DB`'s), else the config file's `db:`, else the
/// default location ([`store::default_db_path`]; `None` without a home directory).
pub fn db_path(
    flag: Option<&Path>,
    file: &FileValues,
    env: &Environment,
) -> Result<Option<PathBuf>, Error> {
    Ok(match flag {
        Some(flag) => Some(flag.to_path_buf()),
        None => file
            .get(&store::settings::DB)?
            .or_else(|| store::default_db_path(env)),
    })
}
