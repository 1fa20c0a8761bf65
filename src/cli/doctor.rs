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
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub format: DoctorFormat,
    #[command(flatten)]
    pub table: crate::cli::TableWidth,
}

pub use crate::doctor::DoctorFormat;
