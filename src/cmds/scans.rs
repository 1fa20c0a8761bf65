//! `camscan scans`: the recorded scans.

use crate::record::CommandError;
use clap::Args;
use input::environment::Environment;

use super::query::{open, some};
use super::write_stdout;

#[derive(Debug, Args, Default)]
pub struct ScansArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<super::inventory::Rows>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

pub(super) fn run(args: &ScansArgs, env: &Environment) -> Result<u8, CommandError> {
    // Every value read before anything is opened.
    let width = super::stdout_width(args.table.width()?, env);
    let format = args.format.values()?.get(&export::inventory::ROWS_FORMAT);
    let store = open(&args.store, env)?;
    let list = store.scans(args.store.site()?.as_deref())?;
    write_stdout(|out| export::inventory::scans(&list, format, width, out))?;
    Ok(some(!list.is_empty()))
}
