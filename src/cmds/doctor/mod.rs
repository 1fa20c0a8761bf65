//! `camscan doctor`: why a scan may miss things ([`crate::doctor`] holds the checks).

use crate::cli::Process;
use crate::record::CommandError;

mod resolve;

pub use resolve::*;

#[derive(Debug, clap::Args, Default)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub store: super::inventory::DbArgs,
    /// `--notify`: sinks to check besides the file's ([`DoctorNotify`]).
    #[command(flatten)]
    pub notify: crate::cli::SettingArgs<DoctorNotify>,
    /// `-f`.
    #[command(flatten)]
    pub format: crate::cli::SettingArgs<DoctorFormats>,
    #[command(flatten)]
    pub table: super::TableWidth,
}

/// `camscan doctor -f` ([`crate::doctor::FORMATS`]).
pub struct DoctorFormats;

impl crate::cli::SettingList for DoctorFormats {
    const LIST: &'static [&'static dyn input::setting::Declared] = crate::doctor::FORMATS;
}

/// `camscan doctor --notify`: watch's setting, with doctor's own help line
/// ([`crate::doctor::NOTIFY_HELP`]).
pub struct DoctorNotify;

impl crate::cli::SettingList for DoctorNotify {
    const LIST: &'static [&'static dyn input::setting::Declared] = &[&crate::notify::NOTIFY];
    const HELP: &'static [(&'static str, &'static str)] = &[("notify", crate::doctor::NOTIFY_HELP)];
}

pub(super) fn run(args: &DoctorArgs, process: &Process) -> Result<u8, CommandError> {
    Ok(crate::doctor::run(&doctor(args, process)?)?)
}
