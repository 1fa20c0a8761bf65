//! `camscan doctor`: why a scan may miss things ([`crate::doctor`] holds the checks).

use crate::cli::DoctorArgs;
use crate::cli::settings::Process;
use crate::record::CommandError;

pub(super) fn run(args: &DoctorArgs, process: &Process) -> Result<u8, CommandError> {
    Ok(crate::doctor::run(&crate::cli::settings::doctor(
        args, process,
    )?)?)
}
