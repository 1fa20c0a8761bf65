//! `camscan show DEVICE`: one device as the inventory knows it: identity, addresses, streams, credentials' scope.

use crate::record::CommandError;
use clap::Args;
use error::exit;
use input::environment::Environment;

use super::query::{open, unknown_device};
use super::write_stdout;

#[derive(Debug, Args, Default)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// The device: its id (`camscan devices`), an address it had, or its MAC.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<super::inventory::Doc>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

pub(super) fn run(args: &ShowArgs, env: &Environment) -> Result<u8, CommandError> {
    // Every value read before anything is opened.
    let width = super::stdout_width(args.table.width()?, env);
    let format = args.format.values()?.get(&export::inventory::DOC_FORMAT);
    let store = open(&args.store, env)?;
    let Some(detail) = store.device(&args.device, args.store.site()?.as_deref())? else {
        unknown_device(&args.device);
        return Ok(exit::NOTHING);
    };
    write_stdout(|out| export::inventory::device(&detail, format, width, out))?;
    Ok(exit::FOUND)
}
