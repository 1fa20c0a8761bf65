//! Where the inventory is, for the commands that open one: `--db` (`CAMSCAN_DB`), else the
//! config file's `db:`, else the default place; the credential key's file from
//! `--credential-key`, else the file's `credential_key:`. Told apart (SQLite file or PostgreSQL
//! URL) here, once.

use crate::cli::{DbArgs, HubDbArgs};
use crate::config::{FileConfig, Inventory, InventoryAt, db_path};
use crate::record::CommandError;

impl Inventory {
    /// An inventory command's inventory (the file may not exist yet).
    pub fn resolve(args: &DbArgs, file: &FileConfig) -> Result<Inventory, CommandError> {
        let db = db_path(args.db.as_deref(), file).ok_or(CommandError::NoLocation)?;
        Ok(Inventory {
            at: InventoryAt::new(db),
            password_file: args.db_password_file.clone(),
            credential_key: args
                .credential_key
                .clone()
                .or_else(|| file.credential_key.clone()),
        })
    }

    /// `camscan hub`'s: the hub's database, as every inventory command finds it.
    pub fn of_hub(args: &HubDbArgs, file: &FileConfig) -> Result<Inventory, CommandError> {
        let db = db_path(args.db.as_deref(), file).ok_or(CommandError::NoLocation)?;
        Ok(Inventory {
            at: InventoryAt::new(db),
            password_file: args.db_password_file.clone(),
            credential_key: None,
        })
    }
}
