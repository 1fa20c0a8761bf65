//! `camscan backup FILE`: the inventory copied while it is in use ([`store::Store::backup`]:
//! SQLite's own `VACUUM INTO` through the one connection this command holds).

use crate::record::CommandError;
use clap::Args;
use error::exit;
use input::environment::Environment;

use super::query::open;
use super::write_stdout;

#[derive(Debug, Args, Default)]
pub struct BackupArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// Where to write the copy: a path where there is no file yet (mode 0600).
    #[arg(value_name = "FILE")]
    pub dest: std::path::PathBuf,
}

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
