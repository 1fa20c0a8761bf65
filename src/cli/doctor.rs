//! `camscan doctor`'s arguments.

use clap::Args;

use super::*;

#[derive(Debug, Args, Default)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub store: DbArgs,
    // Help: "Sinks to check besides the config file's `watch: notify:` (as `camscan watch
    // --notify`: `stdout`, `webhook=URL`, ...). Repeatable", the forms from `notify::SINKS`.
    #[arg(
        long,
        value_name = "SINK",
        help = format!(
            "Sinks to check besides the config file's `watch: notify:` (as `camscan watch \
             --notify`: {}). Repeatable",
            crate::notify::sink_list(false)
        )
    )]
    pub notify: Vec<String>,
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
