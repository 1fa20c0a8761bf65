//! `camscan diff [A] [B]`: what changed between two recorded scans (the last two by default).

use crate::cli::DiffArgs;
use crate::model::environment::Environment;
use crate::record::CommandError;

use super::query::open;
use super::write_stdout;

pub(super) fn run(args: &DiffArgs, env: &Environment) -> Result<u8, CommandError> {
    let format = args
        .format
        .values()?
        .get(&crate::export::inventory::DOC_FORMAT);
    let store = open(&args.store, env)?;
    let diff = store.diff(args.scan_a, args.scan_b, args.store.site()?.as_deref())?;
    write_stdout(|out| crate::export::inventory::diff(&diff, format, out))?;
    Ok(if diff.is_empty() { 0 } else { 1 })
}
