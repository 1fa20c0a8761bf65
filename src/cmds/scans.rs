//! `camscan scans`: the recorded scans.

use crate::cli::ScansArgs;
use crate::model::environment::Environment;
use crate::record::CommandError;

use super::query::{open, some};
use super::write_stdout;

pub(super) fn run(args: &ScansArgs, env: &Environment) -> Result<u8, CommandError> {
    // Every value read before anything is opened.
    let width = super::stdout_width(args.table.width()?, env);
    let format = args
        .format
        .values()?
        .get(&crate::export::inventory::ROWS_FORMAT);
    let store = open(&args.store, env)?;
    let list = store.scans(args.store.site()?.as_deref())?;
    write_stdout(|out| crate::export::inventory::scans(&list, format, width, out))?;
    Ok(some(!list.is_empty()))
}
