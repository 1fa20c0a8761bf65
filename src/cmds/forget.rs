//! `camscan forget DEVICE`: remove a device and its history from the inventory.

use crate::cli::ForgetArgs;
use crate::error::exit;
use crate::model::environment::Environment;
use crate::record::CommandError;

use super::query::{open, unknown_device};
use super::write_stdout;

pub(super) fn run(args: &ForgetArgs, env: &Environment) -> Result<u8, CommandError> {
    let mut store = open(&args.store, env)?;
    let n = store.forget(&args.device, args.store.site()?.as_deref())?;
    if n == 0 {
        unknown_device(&args.device);
        return Ok(exit::NOTHING);
    }
    write_stdout(|out| writeln!(out, "Forgot {n} device(s) matching {:?}.", args.device))?;
    Ok(exit::FOUND)
}
