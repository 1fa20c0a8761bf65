//! `camscan backup FILE`: the inventory copied while it is in use ([`crate::store::Store::backup`]:
//! SQLite's own `VACUUM INTO` through the one connection this command holds).

use crate::cli::BackupArgs;
use crate::error::exit;
use crate::model::environment::Environment;
use crate::record::CommandError;

use super::query::open;
use super::write_stdout;

pub(super) fn run(args: &BackupArgs, env: &Environment) -> Result<u8, CommandError> {
    let store = open(&args.store, env)?;
    let b = store.backup(&args.dest)?;
    write_stdout(|out| {
        writeln!(
            out,
            "Copied the inventory ({} device(s), {} event(s), schema {}) to {} ({} bytes); \
             SQLite's check of the copy: ok. Its credential key was not copied: {}.",
            b.devices,
            b.events,
            b.schema_version,
            b.path.display(),
            b.bytes,
            store.key_file().display()
        )
    })?;
    Ok(exit::FOUND)
}
