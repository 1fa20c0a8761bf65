//! Where the inventory is, for the commands that open one: `--db` (`CAMSCAN_DB`), else the
//! config file's `db:`, else the default place; the credential key's file from
//! `--credential-key`, else the file's `credential_key:`. Told apart (SQLite file or PostgreSQL
//! URL) here, once.

use crate::cli::{DbArgs, HubDbArgs};
use std::path::{Path, PathBuf};

use super::file::db_path;
use crate::cli::config::FileValues;
use crate::error::Error;
use crate::model::environment::Environment;
use crate::record::CommandError;
use crate::store::{Inventory, InventoryAt};

impl Inventory {
    /// The inventory `db` names, with its secrets in their default places in `env` (a PostgreSQL
    /// inventory's key in the configuration directory, [`crate::store::cred_key::in_config_dir`]).
    pub fn new(
        db: PathBuf,
        password_file: Option<PathBuf>,
        credential_key: Option<PathBuf>,
        env: &Environment,
    ) -> Inventory {
        let mut inventory = Inventory::at(db);
        inventory.password_file = password_file;
        inventory.credential_key = credential_key.or_else(|| match inventory.at {
            InventoryAt::Postgres(_) => crate::store::cred_key::in_config_dir(env),
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
            None => file.get(&crate::store::settings::CREDENTIAL_KEY)?,
        };
        Ok(Some(Inventory::new(db, password_file.cloned(), key, env)))
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
        Inventory::find(given, file, env)?.ok_or(CommandError::NoLocation)
    }

    /// `camscan hub`'s: the hub's database, as every inventory command finds it.
    pub fn of_hub(
        args: &HubDbArgs,
        file: &FileValues,
        env: &Environment,
    ) -> Result<Inventory, CommandError> {
        use crate::store::site_admin::{DB, DB_PASSWORD_FILE};
        let given = args.settings.values()?;
        let db = db_path(given.get(&DB).as_deref(), file, env)?.ok_or(CommandError::NoLocation)?;
        Ok(Inventory::new(db, given.get(&DB_PASSWORD_FILE), None, env))
    }
}
