//! `camscan doctor`: why a scan may miss things ([`crate::doctor`] holds the checks).

use crate::cli::{ColorChoice, DoctorArgs};
use crate::record::CommandError;

pub(super) fn run(args: &DoctorArgs, color: Option<ColorChoice>) -> Result<u8, CommandError> {
    Ok(crate::doctor::run(&crate::cli::settings::doctor(
        args, color,
    ))?)
}
