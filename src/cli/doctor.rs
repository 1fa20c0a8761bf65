//! `camscan doctor`'s arguments.

use clap::Args;

use super::*;

#[derive(Debug, Args, Default)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub store: DbArgs,
    /// `--notify`: sinks to check besides the file's ([`DoctorNotify`]).
    #[command(flatten)]
    pub notify: SettingArgs<DoctorNotify>,
    /// `-f`.
    #[command(flatten)]
    pub format: SettingArgs<DoctorFormats>,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

/// `camscan doctor -f` ([`crate::doctor::FORMATS`]).
pub struct DoctorFormats;

impl SettingList for DoctorFormats {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = crate::doctor::FORMATS;
}

/// `camscan doctor --notify`: watch's setting, with doctor's own help line
/// ([`crate::doctor::NOTIFY_HELP`]).
pub struct DoctorNotify;

impl SettingList for DoctorNotify {
    const LIST: &'static [&'static dyn crate::model::setting::Declared] = &[&crate::notify::NOTIFY];
    const HELP: &'static [(&'static str, &'static str)] = &[("notify", crate::doctor::NOTIFY_HELP)];
}
