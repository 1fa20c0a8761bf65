//! `camscan diff [A] [B]`: what changed between two recorded scans (the last two by default).

use crate::record::CommandError;
use clap::Args;
use input::environment::Environment;

use super::query::open;
use super::write_stdout;

#[derive(Debug, Args, Default)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// The older scan's id, as `camscan scans` lists it in this inventory (at a fleet's hub, the
    /// hub's ids: `camscan scans --site NAME`) [default: the second-last complete scan].
    #[arg(value_name = "SCAN_A")]
    pub scan_a: Option<i64>,
    /// The newer scan's id [default: the last complete scan].
    #[arg(value_name = "SCAN_B")]
    pub scan_b: Option<i64>,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<super::inventory::Doc>,
}

pub(super) fn run(args: &DiffArgs, env: &Environment) -> Result<u8, CommandError> {
    let format = args.format.values()?.get(&export::inventory::DOC_FORMAT);
    let store = open(&args.store, env)?;
    let diff = store.diff(args.scan_a, args.scan_b, args.store.site()?.as_deref())?;
    write_stdout(|out| export::inventory::diff(&diff, format, out))?;
    Ok(if diff.is_empty() { 0 } else { 1 })
}
